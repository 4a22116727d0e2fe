"""An in-process LLMClient with canned answers, for engine unit tests (no network).

Integration tests use the real HTTP ScriptedLLMServer instead; this one keeps pure-engine
tests fast and shows the engine depends only on the LLMClient interface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.errors import LLMError
from assistant.llm.base import LLMResponse, Message, Usage

Answer = Callable[[str, list[Message], dict[str, Any] | None], dict[str, Any] | Exception]


class ScriptedClient:
    """Answers each call with ``answer(purpose, messages, schema)``; records every call."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.calls: list[dict[str, Any]] = []

    @property
    def model_name(self) -> str:
        return "scripted"

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        purpose = params.get("purpose", "")
        self.calls.append(
            {"purpose": purpose, "messages": messages, "schema": schema, "params": params}
        )
        result = self.answer(purpose, messages, schema)
        if isinstance(result, Exception):
            raise result
        text = str(result)
        return LLMResponse(
            text=text,
            parsed=result,
            usage=Usage(prompt_tokens=len(" ".join(m.content for m in messages).split())),
            model="scripted",
        )


def first_choices(schema: dict[str, Any]) -> dict[str, Any]:
    """A config answer that takes the first allowed value of every parameter."""
    out = {}
    for name, spec in schema["properties"].items():
        out[name] = spec["enum"][0] if "enum" in spec else 0.5
    return out


def unusable(_purpose: str, _messages: list[Message], _schema: Any) -> LLMError:
    return LLMError("scripted failure")
