"""The ``automl-assistant`` command line.

Every command that reports something takes ``--json`` and then prints exactly one JSON
object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from assistant._deprecation import deprecated_alias
from assistant.errors import AssistantError

logger = logging.getLogger(__name__)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--storage",
        default=None,
        help="database URL (default: $ASSISTANT_STORAGE or ./automl-assistant.db)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


class _Renamed(argparse.Action):
    """An old spelling of an option, hidden from --help: it sets the new option's value and
    is noted in ``args.deprecated`` so that :func:`main` can warn once parsing is done."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, new: str, **kwargs: Any):
        super().__init__(
            option_strings, dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs
        )
        self.new = new

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        namespace.deprecated = [*getattr(namespace, "deprecated", []), (option_string, self.new)]


def _renamed(parser: argparse.ArgumentParser, old: str, new: str, **kwargs: Any) -> None:
    """Accept ``old`` as a deprecated spelling of the option ``new`` (same type, choices)."""
    dest = new.removeprefix("--").replace("-", "_")
    parser.add_argument(old, action=_Renamed, dest=dest, new=new, **kwargs)


_LLM_MODES = ["full", "warmstart", "off"]


def _add_search(parser: argparse.ArgumentParser, model_default: str, model_help: str) -> None:
    """The knobs that ``demo`` and ``tune`` share, spelled as in ``tune()``."""
    parser.add_argument("--model", default=model_default, help=model_help)
    parser.add_argument("--n-trials", type=int, default=20, help="number of trials (default: 20)")
    parser.add_argument(
        "--llm",
        choices=_LLM_MODES,
        default="full",
        help="full: the LLM suggests and scores; warmstart: it only proposes the first trials; "
        "off: statistical search only (default: full)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="stop starting new trials after this many seconds (default: no limit)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the split, folds and search")
    parser.add_argument(
        "--llm-budget",
        default=None,
        metavar="tokens:N,seconds:S,usd:D",
        help="the most the session's LLM calls may cost, any of: tokens, seconds of LLM time, "
        "US dollars (with price_in:P,price_out:P per million tokens for a model whose price "
        "is not known); once spent, the search goes on statistically (default: no limit)",
    )
    _renamed(parser, "--trials", "--n-trials", type=int)
    _renamed(parser, "--mode", "--llm", choices=_LLM_MODES)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automl-assistant",
        description="LLM-assisted hyperparameter tuning on Optuna.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="tune a model on a built-in dataset with the embedded LLM")
    _add_common(demo)
    _add_search(
        demo,
        "random_forest",
        "tool name (see `tools`; default: random_forest, the demo's fixed choice, where "
        "`tune` defaults to auto)",
    )
    _renamed(demo, "--tool", "--model")

    tune = sub.add_parser("tune", help="tune a model on a CSV or Parquet file")
    _add_common(tune)
    tune.add_argument("--data", required=True, help="CSV or Parquet file")
    tune.add_argument("--target", required=True, help="target column")
    _add_search(
        tune, "auto", "tool name (see `tools`), or auto to let the assistant choose (default: auto)"
    )
    tune.add_argument(
        "--metric", default=None, help="e.g. roc_auc, accuracy, rmse (default: the task's)"
    )
    tune.add_argument("--n-folds", type=int, default=5, help="cross-validation folds (default: 5)")
    _renamed(tune, "--folds", "--n-folds", type=int)
    tune.add_argument("--n-jobs", type=int, default=1, help="trials run in parallel")
    tune.add_argument("--notes", default="", help="free text the LLM reads")
    tune.add_argument("--name", default=None, help="session name")
    tune.add_argument(
        "--ensemble",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="blend the best trials after tuning, kept when it beats the best single one in "
        "cross-fitted validation (default: on for --model auto)",
    )

    sessions = sub.add_parser("sessions", help="list sessions in the store")
    _add_common(sessions)

    show = sub.add_parser("show", help="show one session")
    _add_common(show)
    show.add_argument("session_id")

    tools = sub.add_parser("tools", help="list the training tools")
    _add_common(tools)

    replay = sub.add_parser("replay", help="replay a session from the store")
    _add_common(replay)
    replay.add_argument("session_id")
    mode = replay.add_mutually_exclusive_group()
    mode.add_argument("--step", action="store_true", help="walk the timeline one event at a time")
    mode.add_argument(
        "--reexecute",
        action="store_true",
        help="retrain the recorded configurations and compare the scores",
    )
    replay.add_argument(
        "--tolerance",
        type=float,
        default=1e-6,
        help="largest score difference that still counts as reproduced",
    )

    report = sub.add_parser("report", help="write a self-contained HTML report of a session")
    _add_common(report)
    report.add_argument("session_id")
    report.add_argument("--html", required=True, help="output file")

    resume = sub.add_parser("resume", help="resume a stopped or interrupted session")
    _add_common(resume)
    resume.add_argument("session_id")
    resume.add_argument("--n-jobs", type=int, default=1)

    stop = sub.add_parser("stop", help="ask a running session to stop after its current trials")
    _add_common(stop)
    stop.add_argument("session_id")

    worker = sub.add_parser("worker", help="join a session from this machine and run its trials")
    _add_common(worker)
    worker.add_argument("--session", required=True, help="the session id to join")
    worker.add_argument("--n-jobs", type=int, default=1)
    worker.add_argument(
        "--data-dir",
        default=None,
        help="where this machine sees the session's data (default: as recorded)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    for old, new in getattr(args, "deprecated", []):
        print(f"automl-assistant: warning: {deprecated_alias(old, new)}", file=sys.stderr)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
    handler = _COMMANDS[args.command]
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            payload, text = handler(args)
    except AssistantError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": str(exc), "type": type(exc).__name__}))
        else:
            print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(payload, default=str))
    else:
        print(text)
    return 0


def _dataset_headline(context: dict[str, Any]) -> str:
    from assistant.context import DatasetInfo

    return DatasetInfo.model_validate(context.get("dataset") or {}).headline()


def _show_warning(message: Warning | str, *_: Any, **__: Any) -> None:
    """A warning as a line of the CLI's own (a data problem, not a source line of ours)."""
    print(f"automl-assistant: warning: {message}", file=sys.stderr)


# -- commands -----------------------------------------------------------------------------


def _store(args: argparse.Namespace) -> Any:
    from assistant.store import Store

    return Store(args.storage)


def _llm_budget(args: argparse.Namespace) -> Any:
    from assistant.records import LLMBudget

    return LLMBudget.parse(args.llm_budget) if args.llm_budget is not None else None


def _progress(session: Any, quiet: bool) -> Any:
    from assistant.progress import TerminalProgress

    return TerminalProgress(
        session.spec.n_trials, enabled=not quiet, llm_state=lambda: session.llm_state
    )


def _run_session(
    session: Any, args: argparse.Namespace, n_jobs: int = 1, timeout: float | None = None
) -> dict[str, Any]:
    progress = _progress(session, quiet=args.json)
    with progress:
        result = session.run(n_jobs=n_jobs, callbacks=[progress.callback], timeout=timeout)
    return result.model_dump(mode="json")


def cmd_demo(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from sklearn.datasets import load_breast_cancer

    from assistant.session import TuningSession
    from assistant.tools import Dataset

    bunch = load_breast_cancer()
    data = Dataset.from_arrays(
        bunch.data,
        bunch.target,
        "classification",
        feature_names=list(bunch.feature_names),
        name="breast cancer (scikit-learn)",
    )
    store = _store(args)
    session = TuningSession.create(
        data,
        tool=args.model,
        store=store,
        metric="roc_auc",
        n_trials=args.n_trials,
        n_folds=3,
        seed=args.seed,
        mode=args.llm,
        name=f"demo: {args.model} on breast cancer",
        notes="Demo session: tumour diagnosis from 30 cell-nucleus measurements.",
        llm_budget=_llm_budget(args),
    )
    payload = _run_session(session, args, timeout=args.timeout)
    payload["storage"] = store.display_url
    payload["llm"] = session.spec.llm.get("model") or "embedded"
    return payload, _summary(session, payload, store)


def cmd_tune(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.session import TuningSession
    from assistant.tabular import read_table
    from assistant.tools import Dataset

    frame = read_table(args.data)
    data = Dataset.from_frame(frame, args.target, name=str(args.data))
    store = _store(args)
    session = TuningSession.create(
        data,
        tool=args.model,
        store=store,
        metric=args.metric,
        n_trials=args.n_trials,
        n_folds=args.n_folds,
        seed=args.seed,
        mode=args.llm,
        notes=args.notes,
        name=args.name,
        llm_budget=_llm_budget(args),
        ensemble=args.ensemble,
    )
    payload = _run_session(session, args, n_jobs=args.n_jobs, timeout=args.timeout)
    payload["storage"] = store.display_url
    return payload, _summary(session, payload, store)


def cmd_sessions(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    store = _store(args)
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "status": s.status,
            "created_at": s.created_at.isoformat(),
            "tool": s.spec.get("tool"),
            "metric": s.spec.get("metric"),
            "best_cv_score": (s.result or {}).get("best_cv_score"),
        }
        for s in store.list_sessions()
    ]
    lines = [f"{r['id']}  {r['status']:<9} {r['name']}  best={r['best_cv_score']}" for r in rows]
    return {"sessions": rows}, "\n".join(lines) or "no sessions"


def cmd_show(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.session import TuningSession

    store = _store(args)
    session = TuningSession.open(args.session_id, store)
    record = store.get_session(session.id)
    trials = [
        {
            "number": t.number,
            "state": t.state.name,
            "value": t.value,
            "params": t.params,
            "source": (t.user_attrs.get("assistant_suggestion") or {}).get("source"),
            "failure_reason": t.user_attrs.get("failure_reason"),
        }
        for t in session.study.trials
    ]
    payload = {
        "id": session.id,
        "name": session.name,
        "status": record.status,
        "spec": session.spec.model_dump(mode="json"),
        "result": record.result,
        "trials": trials,
    }
    lines = [f"{session.id}  {session.name}  [{record.status}]"]
    data = _dataset_headline(session.spec.context)
    if data:
        lines.append(f"  data: {data}")
    error = (record.result or {}).get("error")
    if error:
        lines.append(f"  why: {error}")
    for t in trials:
        lines.append(
            f"  #{t['number']:<3} {t['state']:<8} {t['value']!s:<22} "
            f"{t['source'] or '':<12} {t['params']}"
        )
        if t["failure_reason"]:
            lines.append(f"       failed: {t['failure_reason']}")
    return payload, "\n".join(lines)


def cmd_tools(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.tools import list_tools

    rows = [{"name": t.name, "family": t.family, "tasks": sorted(t.tasks)} for t in list_tools()]
    return {"tools": rows}, "\n".join(f"{r['name']:<24} {r['family']}" for r in rows)


def _summary(session: Any, payload: dict[str, Any], store: Any) -> str:
    lines = [
        f"Session {session.id} ({payload['status']}): {payload['n_complete']} trials complete,"
        f" {payload['n_failed']} failed, {payload['n_pruned']} pruned."
    ]
    lines += _race_lines(session, store)
    if payload.get("best_config"):
        family = f" ({payload['best_family']})" if payload.get("best_family") else ""
        lines.append(f"Best configuration{family}: {json.dumps(payload['best_config'])}")
        lines.append(f"Cross-validated {session.spec.metric}: {payload['best_cv_score']:.4f}")
    if payload.get("final"):
        from assistant.records import FinalEvaluation

        final = FinalEvaluation.model_validate(payload["final"])
        lines.append(final.headline())
        if final.ensemble is not None:
            lines.append(final.ensemble.headline())
    health = payload.get("llm_health")
    if health:
        from assistant.llm_health import LLMHealthSummary

        lines.append(LLMHealthSummary.model_validate(health).headline())
    budget = payload.get("llm_budget")
    if budget:
        from assistant.records import LLMBudgetStatus

        lines.append(LLMBudgetStatus.model_validate(budget).headline())
    lines.append(
        f"LLM calls recorded: {payload['n_llm_calls']}; fallbacks: {payload['n_fallbacks']}"
    )
    lines.append(f"Inspect it: automl-assistant show {session.id} --storage {store.display_url}")
    return "\n".join(lines)


def _race_lines(session: Any, store: Any) -> list[str]:
    """``model="auto"``: the families raced, each rung's survivors, and the winner."""
    from assistant.fold import fold_events

    race = fold_events(store.events(session.id)).race
    return race.lines() if race is not None else []


def cmd_replay(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    store = _store(args)
    if args.reexecute:
        from assistant.replay import reexecute_session

        reexec = reexecute_session(store, args.session_id, tolerance=args.tolerance)
        verdict = "reproduces" if reexec.reproduced else "does NOT reproduce"
        return reexec.model_dump(mode="json"), (
            f"Re-executed {reexec.compared} trials: the session {verdict} "
            f"(largest difference {reexec.max_abs_diff:.3g}, tolerance {reexec.tolerance:g})."
        )
    if args.step:
        from assistant.timeline import build_timeline

        entries = build_timeline(store, args.session_id)
        if args.json:
            return {"timeline": [e.model_dump(mode="json") for e in entries]}, ""
        interactive = sys.stdin.isatty()
        for entry in entries:
            print(f"[{entry.index:>4}] {entry.title}")
            if interactive and input("  (Enter: next, q: quit) ").strip().lower() == "q":
                break
        return {}, f"{len(entries)} timeline entries."
    from assistant.replay import replay_session

    replay = replay_session(store, args.session_id)
    if replay.reproduced:
        text = (
            f"Replayed {replay.n_replayed} trials and {replay.llm_calls_served} LLM calls from "
            "the store (no LLM call, no training): every decision reproduced."
        )
    else:
        d = replay.divergence
        text = f"Replay diverged: {d.what if d else '?'} (trial {d.trial_number if d else '?'})"
    return replay.model_dump(mode="json"), text


def cmd_report(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.report import write_report

    path = write_report(_store(args), args.session_id, args.html)
    return {"report": str(path)}, f"Report written to {path}"


def cmd_resume(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.session import TuningSession

    store = _store(args)
    session = TuningSession.open(args.session_id, store)
    payload = _run_session(session, args, n_jobs=args.n_jobs)
    return payload, _summary(session, payload, store)


def cmd_stop(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.session import TuningSession

    TuningSession.open(args.session_id, _store(args)).stop()
    return {"session_id": args.session_id, "stop_requested": True}, "Stop requested."


def cmd_worker(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    from assistant.session import TuningSession

    store = _store(args)
    session = TuningSession.open(args.session, store)
    if args.data_dir:
        session.spec = session.spec.model_copy(update={"data_dir": args.data_dir})
    result = session.run(n_jobs=args.n_jobs, worker=True)
    payload = result.model_dump(mode="json")
    return payload, (
        f"Worker done: the session has {payload['n_complete']} complete trials "
        f"({payload['n_failed']} failed, {payload['n_pruned']} pruned)."
    )


_COMMANDS = {
    "demo": cmd_demo,
    "tune": cmd_tune,
    "sessions": cmd_sessions,
    "show": cmd_show,
    "tools": cmd_tools,
    "replay": cmd_replay,
    "report": cmd_report,
    "resume": cmd_resume,
    "stop": cmd_stop,
    "worker": cmd_worker,
}
