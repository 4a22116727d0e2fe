"""Tool calls from :class:`~assistant.llm.scripted_server.ScriptedLLMServer`.

The scripted server answers with message text only. :func:`enable_tool_calls` makes a
scripted answer of the form ``{"tool_calls": [{"name", "arguments"}]}`` go out as OpenAI tool
calls (``finish_reason: "tool_calls"``), for the agent tests and the browser tests' server.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from assistant.llm import scripted_server
from assistant.llm.scripted_server import Reply


def tool_calls(*calls: tuple[str, dict[str, Any]]) -> Reply:
    """A scripted answer that calls these tools: ``tool_calls(("list_dataframes", {}))``."""
    return Reply.json({"tool_calls": [{"name": n, "arguments": a} for n, a in calls]})


def with_tool_calls(plain: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap the server's completion builder so tool-call answers become real tool calls."""

    def completion(body: dict[str, Any], reply: Reply, model: str) -> dict[str, Any]:
        answer = plain(body, reply, model)
        try:
            calls = json.loads(reply.content).get("tool_calls")
        except (ValueError, AttributeError):
            calls = None
        if calls:
            answer["choices"][0]["message"] = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])},
                    }
                    for i, c in enumerate(calls)
                ],
            }
            answer["choices"][0]["finish_reason"] = "tool_calls"
        return answer

    return completion


def enable_tool_calls() -> None:
    """Patch the scripted server module in this process (the browser tests' server)."""
    scripted_server._completion = with_tool_calls(scripted_server._completion)  # type: ignore[assignment]
