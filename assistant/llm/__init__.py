"""LLM adapters: the OpenAI-compatible client, the embedded model, recording and replay, and
the LLM's health (:mod:`assistant.llm.health`). The scripted test server lives in
:mod:`assistant.testing`.

Example:
    >>> from assistant.llm import Message, resolve_llm_config, make_client
    >>> from assistant.testing import Reply, ScriptedLLMServer
    >>> with ScriptedLLMServer([Reply.json({"answer": 42})]) as server:
    ...     client = make_client(resolve_llm_config(server.base_url, "m"))
    ...     client.complete([Message(role="user", content="?")], schema={"type": "object"}).parsed
    {'answer': 42}
"""

from typing import Any

from assistant.llm.base import LLMClient, LLMResponse, Message, ToolCall, Usage
from assistant.llm.config import LLMConfig, StructuredMode, resolve_llm_config
from assistant.llm.factory import make_client
from assistant.llm.health import CircuitBreaker, HealthChange, HealthState
from assistant.llm.openai_client import OpenAICompatibleClient
from assistant.llm.recording import RecordingClient
from assistant.llm.replay import ReplayClient

__all__ = [
    "CircuitBreaker",
    "HealthChange",
    "HealthState",
    "LLMClient",
    "LLMConfig",
    "LLMResponse",
    "Message",
    "OpenAICompatibleClient",
    "RecordingClient",
    "ReplayClient",
    "StructuredMode",
    "ToolCall",
    "Usage",
    "make_client",
    "resolve_llm_config",
]

_MOVED_TO_TESTING = frozenset({"FaultMix", "Reply", "ScriptedLLMServer", "schema_responder"})


def __getattr__(name: str) -> Any:
    """The test server's names, still importable from here for one release (deprecated)."""
    if name in _MOVED_TO_TESTING:
        import warnings

        import assistant.testing

        warnings.warn(
            f"assistant.llm.{name} moved to assistant.testing.{name}",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(assistant.testing, name)
    raise AttributeError(f"module 'assistant.llm' has no attribute {name!r}")
