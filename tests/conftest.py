"""Fixtures for every test: no user state, and no real LLM endpoint reachable by accident."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

_LLM_ENV = (
    "ASSISTANT_LLM_BASE_URL",
    "ASSISTANT_LLM_MODEL",
    "ASSISTANT_LLM_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_API_KEY",
)


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Point the default store at a temp dir and hide the user's LLM settings."""
    state = tmp_path_factory.mktemp("assistant-state")
    monkeypatch.setenv("ASSISTANT_STORAGE", f"sqlite:///{state}/automl-assistant.db")
    for name in _LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def shared_server() -> Iterator[None]:
    """The embedded server a test started is stopped after it (tests share one at a time)."""
    from assistant.llm import embedded

    yield
    embedded.stop_embedded_server()
