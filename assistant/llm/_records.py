"""How a request is written down, shared by recording and replay so both see the same thing."""

from __future__ import annotations

import json
from typing import Any

from assistant.llm.base import LLMResponse, Message, ToolCall

VOLATILE_PARAMS = frozenset({"timeout", "request_timeout", "stream_options", "user", "metadata"})
"""Parameters that do not change the answer, so replay does not compare them."""


def jsonable(value: Any) -> Any:
    """``value`` as it will read back from a JSON column (tuples become lists, and so on)."""
    return json.loads(json.dumps(value, default=repr))


def request_fields(
    messages: list[Message], schema: dict[str, Any] | None, params: dict[str, Any]
) -> dict[str, Any]:
    """The request columns of one LLM call record: ``messages``, ``json_schema``, ``params``."""
    return {
        "messages": [m.to_record() for m in messages],
        "json_schema": jsonable(schema),
        "params": jsonable(params),
    }


def recorded_parsed(response: LLMResponse) -> dict[str, Any] | None:
    """The ``response_parsed`` column: the JSON answer, or the tool calls of an answer that
    made some (a call is offered tools or a schema, not both)."""
    if response.tool_calls:
        return {"tool_calls": [call.model_dump(mode="json") for call in response.tool_calls]}
    return response.parsed


def answered_parsed(
    parsed: dict[str, Any] | None, params: dict[str, Any]
) -> tuple[dict[str, Any] | None, tuple[ToolCall, ...]]:
    """``(parsed, tool_calls)`` of a recorded answer: the inverse of :func:`recorded_parsed`."""
    if params.get("tools") and isinstance(parsed, dict) and "tool_calls" in parsed:
        return None, tuple(ToolCall.model_validate(c) for c in parsed["tool_calls"])
    return parsed, ()
