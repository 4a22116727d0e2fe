"""Scenario 4: a sentinel API key, which the LLM server also echoes back in error bodies and
rationales, must appear nowhere a session's record can surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import assistant.llm
from assistant.llm import LLMConfig
from assistant.session import TuningSession
from assistant.store import REDACTED, Store
from assistant.testing import ScriptedLLMServer, schema_responder
from benchmarks.reliability import (
    FAST_LLM,
    QUADRATIC_PATH,
    SENTINEL_KEY,
    captured_logs,
    run_with_secret,
    session_outputs,
    toy_data,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = Path(tmp_path_factory.mktemp("secrets"))
    with captured_logs() as logs:
        session = run_with_secret(folder)
        found = session_outputs(session, folder)
    found["logs (DEBUG)"] = logs.getvalue().encode()
    found["sqlite"] = b"".join(v for k, v in found.items() if k.startswith("sqlite:"))
    found["data_dir"] = b"".join(v for k, v in found.items() if k.startswith("data_dir:"))
    found["llm_call_errors"] = "\n".join(
        c.error or "" for c in session.store.llm_calls(session.id)
    ).encode()
    return found


def test_the_server_really_echoed_the_key(outputs: dict[str, bytes]) -> None:
    # the echoed key reached the records, scrubbed: the places below are not vacuous
    assert f"invalid key {REDACTED}".encode() in outputs["llm_call_errors"]
    assert len(outputs["logs (DEBUG)"]) > 1000 and len(outputs["data_dir"]) > 0


@pytest.mark.parametrize(
    "place",
    [
        "sqlite",
        "logs (DEBUG)",
        "report.html",
        "replay",
        "timeline",
        "cli show --json",
        "cli sessions --json",
        "data_dir",
    ],
)
def test_the_key_is_nowhere(outputs: dict[str, bytes], place: str) -> None:
    assert SENTINEL_KEY.encode() not in outputs[place]


def test_an_explicit_api_key_is_the_one_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str | None] = []
    real = assistant.llm.make_client

    def spy(config: LLMConfig) -> Any:
        sent.append(config.api_key_value())
        return real(config)

    monkeypatch.setattr(assistant.llm, "make_client", spy)
    with ScriptedLLMServer(schema_responder()) as server:
        session = TuningSession.create(
            toy_data(),
            tool=QUADRATIC_PATH,
            store=Store(f"sqlite:///{tmp_path / 'k.db'}"),
            metric="accuracy",
            n_trials=2,
            n_folds=2,
            mode="full",
            isolation="inline",
            llm=LLMConfig(base_url=server.base_url, model="m", api_key=SENTINEL_KEY, **FAST_LLM),
            data_dir=tmp_path / "data",
        )
        session.run()
    assert sent == [SENTINEL_KEY]
