"""How a request is written down, shared by recording and replay so both see the same thing."""

from __future__ import annotations

import json
from typing import Any

from assistant.llm.base import Message

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
        "messages": [m.model_dump() for m in messages],
        "json_schema": jsonable(schema),
        "params": jsonable(params),
    }
