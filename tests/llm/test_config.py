"""Config resolution: explicit arguments, then the environment, then the embedded default."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from assistant.llm import LLMConfig, resolve_llm_config
from assistant.llm.config import OPENAI_DEFAULT_BASE_URL

SENTINEL = "sk-SENTINEL-12345"


def test_nothing_configured_means_embedded():
    config = resolve_llm_config()
    assert config.embedded
    assert config.base_url is None and config.model is None
    assert config.effective_structured_mode() == "json_object_schema"


def test_environment_is_used(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env/v1")
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "env-model")
    config = resolve_llm_config()
    assert not config.embedded
    assert (config.base_url, config.model) == ("http://openai-env/v1", "env-model")
    assert config.api_key_value() == SENTINEL
    assert config.effective_structured_mode() == "json_schema"


def test_assistant_variables_win_over_openai_ones(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env/v1")
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://assistant-env/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-assistant")
    config = resolve_llm_config()
    assert config.base_url == "http://assistant-env/v1"
    assert config.api_key_value() == "sk-assistant"


def test_explicit_arguments_win_over_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://assistant-env/v1")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "env-model")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    config = resolve_llm_config("http://explicit/v1", "explicit-model", "sk-explicit")
    assert (config.base_url, config.model) == ("http://explicit/v1", "explicit-model")
    assert config.api_key_value() == "sk-explicit"


def test_model_without_url_means_openai(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    config = resolve_llm_config(model="gpt-test")
    assert not config.embedded
    assert config.base_url == OPENAI_DEFAULT_BASE_URL


def test_embedded_override_ignores_environment_key(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://openai-env/v1")
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    config = resolve_llm_config(embedded=True, timeout_s=5)
    assert config.embedded and config.base_url is None
    assert config.api_key is None
    assert config.timeout_s == 5


def test_overrides_are_validated():
    with pytest.raises(ValidationError, match="timeout_s"):
        resolve_llm_config("http://x/v1", timeout_s=0)
    with pytest.raises(ValidationError, match="no_such_option"):
        resolve_llm_config("http://x/v1", no_such_option=1)
    with pytest.raises(ValidationError, match="structured_output"):
        resolve_llm_config("http://x/v1", structured_output="xml")


def test_api_key_never_shown():
    config = LLMConfig(base_url="http://x/v1", model="m", api_key=SENTINEL)
    public = config.to_public_dict()
    assert SENTINEL not in repr(config)
    assert SENTINEL not in str(config)
    assert SENTINEL not in json.dumps(public)
    assert SENTINEL not in config.model_dump_json()
    assert "api_key" not in public and public["has_api_key"] is True
    assert public["model"] == "m" and public["temperature"] == 0.7


def test_explicit_structured_mode_is_kept():
    config = LLMConfig(base_url="http://x/v1", structured_output="prompt", embedded=True)
    assert config.effective_structured_mode() == "prompt"


def test_a_recorded_config_comes_back_with_every_setting(monkeypatch):
    config = LLMConfig(
        base_url="http://127.0.0.1:9/v1",
        model="m",
        api_key="sk-recorded-nowhere",
        temperature=0.2,
        backoff_s=0.05,
        max_backoff_s=1.0,
        breaker_threshold=2,
        breaker_cooldown_s=7.0,
        structured_output="json_object",
    )
    public = config.to_public_dict()
    assert "sk-recorded-nowhere" not in str(public)
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "sk-recorded-nowhere")
    assert LLMConfig.from_public_dict(public) == config
    monkeypatch.delenv("ASSISTANT_LLM_API_KEY")
    assert LLMConfig.from_public_dict(public).api_key is None
    assert LLMConfig.from_public_dict({**public, "a_future_setting": 1}).model == "m"


def test_a_resumed_session_talks_to_the_llm_with_the_recorded_settings(tmp_path):
    from sklearn.datasets import load_iris

    from assistant.run import llm_client_for
    from assistant.session import TuningSession
    from assistant.store import Store
    from assistant.tools import Dataset

    store = Store(f"sqlite:///{tmp_path}/resume.db")
    config = LLMConfig(base_url="http://127.0.0.1:9/v1", model="m", breaker_threshold=2)
    data = Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")
    created = TuningSession.create(data, tool="knn", store=store, llm=config, n_trials=2)
    reopened = TuningSession.open(created.id, store)
    client = llm_client_for(reopened)
    # with the automatic choices made, as they were recorded
    assert client.inner.config == config.resolved() and client.health.threshold == 2


def test_continuous_values_are_automatic_and_overridable():
    endpoint = resolve_llm_config("http://x/v1", "m")
    embedded = resolve_llm_config(embedded=True)
    assert endpoint.continuous_values is None and endpoint.effective_continuous_values()
    assert not embedded.effective_continuous_values()
    assert not resolve_llm_config(
        "http://x/v1", continuous_values=False
    ).effective_continuous_values()
    assert resolve_llm_config(embedded=True, continuous_values=True).effective_continuous_values()
    # A session records the choice made, so a later version's automatic rule cannot change it.
    recorded = LLMConfig.from_public_dict(embedded.resolved().to_public_dict())
    assert recorded.continuous_values is False
    assert LLMConfig.from_public_dict(endpoint.to_public_dict()) == endpoint
