"""The LLM seam: one small interface every client implements.

The engine talks only to :class:`LLMClient`. Implementations are the OpenAI-compatible HTTP
client, a recording wrapper that writes every call to the store, and a replay client that
answers from those records; the engine never knows which one it holds.
"""

from __future__ import annotations

import json
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class ToolCall(BaseModel):
    """A function the model asked to call: OpenAI's ``tool_calls`` entry, arguments parsed."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def to_openai(self) -> dict[str, Any]:
        """The entry as the Chat Completions API spells it (arguments as a JSON string)."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments)},
        }


class Message(BaseModel):
    """One chat message.

    ``tool_calls`` are an assistant message's calls of the tools it was offered; a ``tool``
    message answers one of them (``tool_call_id``). Records keep only the fields that are set
    (:meth:`to_record`), so a plain message reads back as ``{"role", "content"}``.
    """

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The message as it is written to the store (unset fields left out)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def to_openai(self) -> dict[str, Any]:
        """The message as the Chat Completions API takes it."""
        wire: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            wire["tool_calls"] = [call.to_openai() for call in self.tool_calls]
        if self.tool_call_id is not None:
            wire["tool_call_id"] = self.tool_call_id
        return wire


class Usage(BaseModel):
    """Token counts reported by the endpoint (zero when it reports none)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LLMResponse(BaseModel):
    """What one completed call returned.

    ``parsed`` holds the JSON object when a schema was requested and the answer fitted it;
    ``tool_calls`` the tools the model called when it was offered some (``tools=[...]``).
    ``attempts`` counts HTTP requests made for this call, retries included.
    """

    text: str
    parsed: dict[str, Any] | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    attempts: int = 1


@runtime_checkable
class LLMClient(Protocol):
    """Anything that completes a chat, optionally constrained to a JSON schema.

    ``params`` are sampling parameters (``temperature``, ``max_tokens``, ``seed``, ``n``…)
    passed through to the endpoint, and ``tools``/``tool_choice`` (OpenAI's function
    definitions) for a model that may call tools: its calls come back in
    :attr:`LLMResponse.tool_calls`. Raises :class:`assistant.errors.LLMError` subclasses.
    """

    @property
    def model_name(self) -> str:
        """The model this client talks to, for records and reports."""
        ...

    def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        **params: Any,
    ) -> LLMResponse:
        """Complete ``messages``; with ``schema``, return a JSON object that fits it."""
        ...
