"""Chat request parser benchmark (issue #17): field accuracy and latency on the request table.

Runs :func:`assistant.chat.intent.parse_request` over every row of
:data:`assistant.chat.intent_cases.CASES` (the table the tests use) twice: with the LLM off
(the rules alone) and with the embedded model (SmolLM2-135M through llama.cpp, asked only
for what the rules leave open), and writes ``benchmarks/results/chat_intent.json``::

    python -m benchmarks.chat_intent               # rules, then the embedded model
    python -m benchmarks.chat_intent --no-embedded # the rules alone

A field is scored on every row whose expected command has it or whose answer has it (a
missing or extra field is wrong). A row whose right answer is a question scores on whether
the parser asked for the right slot.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.chat.intent import ParsedRequest, parse_request
from assistant.chat.intent_cases import CASES, IntentCase, asks_for, command_fields, context_for
from assistant.llm.base import LLMClient

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results" / "chat_intent.json"


def _correct(case: IntentCase, request: ParsedRequest) -> bool:
    if case.expected is None:
        return request.command is None and asks_for(request.question) == case.asks
    return request.command == case.expected


def _score_fields(rows: list[tuple[IntentCase, ParsedRequest]]) -> dict[str, dict[str, Any]]:
    """Per field: how many rows have it (expected or answered), and the share right."""
    totals: dict[str, list[int]] = {}
    for case, request in rows:
        if case.expected is None:
            continue
        want = command_fields(case.expected)
        got = command_fields(request.command) if request.command else {}
        for name in dict.fromkeys([*want, *got]):
            right, seen = totals.setdefault(name, [0, 0])
            totals[name] = [right + (want.get(name) == got.get(name)), seen + 1]
    return {
        name: {"rows": seen, "accuracy": round(right / seen, 3)}
        for name, (right, seen) in sorted(totals.items(), key=lambda kv: -kv[1][1])
    }


def _share(rows: list[tuple[IntentCase, ParsedRequest]]) -> dict[str, Any]:
    right = sum(_correct(case, request) for case, request in rows)
    return {"rows": len(rows), "command_accuracy": round(right / len(rows), 3) if rows else None}


def evaluate(client: LLMClient | None) -> dict[str, Any]:
    """Parse every row with ``client`` (``None``: the rules alone) and score the answers."""
    rows: list[tuple[IntentCase, ParsedRequest]] = []
    latencies: list[float] = []
    per_row: list[dict[str, Any]] = []
    for case in CASES:
        started = time.perf_counter()
        request = parse_request(case.text, context_for(case), client)
        latencies.append(time.perf_counter() - started)
        rows.append((case, request))
        per_row.append({
            "text": case.text,
            "expected": case.expected,
            "command": request.command,
            "asks": asks_for(request.question),
            "right": _correct(case, request),
            "llm_fields": request.llm_fields,
            "from_llm": request.from_llm,
            "llm_error": request.llm_error,
            "latency_s": round(latencies[-1], 4),
        })  # fmt: skip
    asked = [(c, r) for c, r in rows if r.llm_fields]
    asked_latency = [row["latency_s"] for row in per_row if row["llm_fields"]]
    return {
        "n_cases": len(CASES),
        "command_accuracy": _share(rows)["command_accuracy"],
        "intent_accuracy": round(sum(r.intent == c.intent for c, r in rows) / len(rows), 3),
        "questions": _share([(c, r) for c, r in rows if c.expected is None]),
        "rules_rows": _share([(c, r) for c, r in rows if c.rules]),
        "llm_rows": _share([(c, r) for c, r in rows if not c.rules]),
        "fields": _score_fields(rows),
        "llm_calls": len(asked),
        "llm_errors": sum(r.llm_error is not None for _c, r in asked),
        "llm_asked_rows": _share(asked),
        "latency_s": {
            "mean": round(statistics.fmean(latencies), 4),
            "median": round(statistics.median(latencies), 4),
            "max": round(max(latencies), 4),
            "mean_with_llm_call": round(statistics.fmean(asked_latency), 3)
            if asked_latency
            else None,
        },
        "per_row": per_row,
    }


def _embedded_client(store_url: str) -> tuple[LLMClient, float]:
    """A recording client of the embedded model, started (the start time is returned)."""
    from assistant.llm import RecordingClient, make_client, resolve_llm_config
    from assistant.store import Store

    started = time.perf_counter()
    inner = make_client(resolve_llm_config(embedded=True, timeout_s=60.0))
    return RecordingClient(inner, Store(store_url), session_id=None), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embedded", action="store_true", help="score the rules alone")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "table": "assistant/chat/intent_cases.py",
        "modes": {"rules": evaluate(None)},
    }
    if not args.no_embedded:
        with tempfile.TemporaryDirectory() as tmp:
            client, start_s = _embedded_client(f"sqlite:///{tmp}/bench.db")
            result["modes"]["embedded"] = {
                "model": client.model_name,
                "server_start_s": round(start_s, 2),
                **evaluate(client),
            }
            from assistant.llm import embedded

            embedded.stop_embedded_server()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for mode, figures in result["modes"].items():
        fields = ", ".join(f"{k} {v['accuracy']:.0%}" for k, v in figures["fields"].items())
        print(
            f"{mode}: commands {figures['command_accuracy']:.1%} of {figures['n_cases']}, "
            f"intent {figures['intent_accuracy']:.1%}, LLM rows "
            f"{figures['llm_rows']['command_accuracy']:.0%}, {figures['llm_calls']} LLM calls, "
            f"mean {figures['latency_s']['mean'] * 1000:.1f} ms; fields: {fields}"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
