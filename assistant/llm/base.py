"""The LLM seam: one small interface every client implements.

The engine talks only to :class:`LLMClient`. Implementations are the OpenAI-compatible HTTP
client, a recording wrapper that writes every call to the store, and a replay client that
answers from those records; the engine never knows which one it holds.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    """Token counts reported by the endpoint (zero when it reports none)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class LLMResponse(BaseModel):
    """What one completed call returned.

    ``parsed`` holds the JSON object when a schema was requested and the answer fitted it.
    ``attempts`` counts HTTP requests made for this call, retries included.
    """

    text: str
    parsed: dict[str, Any] | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    model: str = ""
    attempts: int = 1


@runtime_checkable
class LLMClient(Protocol):
    """Anything that completes a chat, optionally constrained to a JSON schema.

    ``params`` are sampling parameters (``temperature``, ``max_tokens``, ``seed``, ``n``…)
    passed through to the endpoint. Raises :class:`assistant.errors.LLMError` subclasses.
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
