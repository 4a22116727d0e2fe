"""LLM adapters: the OpenAI-compatible client, the embedded model, recording and replay.

Example:
    >>> from assistant.llm import Message, Reply, ScriptedLLMServer, resolve_llm_config, make_client
    >>> with ScriptedLLMServer([Reply.json({"answer": 42})]) as server:
    ...     client = make_client(resolve_llm_config(server.base_url, "m"))
    ...     client.complete([Message(role="user", content="?")], schema={"type": "object"}).parsed
    {'answer': 42}
"""

from assistant.llm.base import LLMClient, LLMResponse, Message, Usage
from assistant.llm.config import LLMConfig, StructuredMode, resolve_llm_config
from assistant.llm.factory import make_client
from assistant.llm.openai_client import OpenAICompatibleClient
from assistant.llm.recording import RecordingClient
from assistant.llm.replay import ReplayClient
from assistant.llm.scripted_server import FaultMix, Reply, ScriptedLLMServer, schema_responder

__all__ = [
    "FaultMix",
    "LLMClient",
    "LLMConfig",
    "LLMResponse",
    "Message",
    "OpenAICompatibleClient",
    "RecordingClient",
    "ReplayClient",
    "Reply",
    "ScriptedLLMServer",
    "StructuredMode",
    "Usage",
    "make_client",
    "resolve_llm_config",
    "schema_responder",
]
