"""A LangChain chat model over our :class:`~assistant.llm.base.LLMClient`.

LangChain's agents (``create_agent``) need a ``BaseChatModel`` that can ``bind_tools``; this
one sends every request through the client it is given, so an agent's calls get what the
engine's calls get: one retry policy and circuit breaker, the API key kept out of everything
written, and, with a :class:`~assistant.llm.recording.RecordingClient`, one row per call in
the store (tools offered, messages, the tool calls made).

Example:
    >>> from assistant.llm import LLMConfig, OpenAICompatibleClient
    >>> from assistant.testing import Reply, ScriptedLLMServer
    >>> with ScriptedLLMServer([Reply.calling(("add", {"a": 1, "b": 2}))]) as server:
    ...     client = OpenAICompatibleClient(LLMConfig(base_url=server.base_url, model="m"))
    ...     model = ClientChatModel(client=client, purpose="demo")
    ...     def add(a: int, b: int) -> int:
    ...         '''Add two numbers.'''
    ...         return a + b
    ...     message = model.bind_tools([add]).invoke("1 + 2?")
    >>> [(call["name"], call["args"]) for call in message.tool_calls]
    [('add', {'a': 1, 'b': 2})]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict

from assistant.llm.base import LLMClient, Message, ToolCall

_ROLES = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
# LangChain's spellings of "call some tool" and OpenAI's.
_ANY_TOOL = ("any", "required", True)


class ClientChatModel(BaseChatModel):
    """A LangChain chat model whose every request is ``client.complete(...)``.

    Args:
        client: the LLM client (wrap it in a RecordingClient to record the calls).
        purpose: the ``purpose`` label of the calls in the records.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: LLMClient
    purpose: str = ""

    @property
    def _llm_type(self) -> str:
        return "automl-assistant-llm-client"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.client.model_name, "purpose": self.purpose}

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """This model with OpenAI function definitions of ``tools`` sent on each request."""
        bound: dict[str, Any] = {"tools": [convert_to_openai_tool(t) for t in tools]}
        if tool_choice in _ANY_TOOL:
            bound["tool_choice"] = "required"
        elif isinstance(tool_choice, str) and tool_choice not in ("auto", "none"):
            bound["tool_choice"] = {"type": "function", "function": {"name": tool_choice}}
        elif tool_choice:
            bound["tool_choice"] = tool_choice
        kwargs.pop("strict", None)  # our client validates nothing it was not asked to
        return self.bind(**bound, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if stop:
            kwargs["stop"] = stop
        response = self.client.complete(
            [to_message(m) for m in messages], None, purpose=self.purpose, **kwargs
        )
        usage = response.usage
        message = AIMessage(
            content=response.text,
            tool_calls=[
                {"name": c.name, "args": c.arguments, "id": c.id, "type": "tool_call"}
                for c in response.tool_calls
            ],
            usage_metadata={
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
            response_metadata={"model_name": response.model},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


def to_message(message: BaseMessage) -> Message:
    """A LangChain message as ours (tool calls and tool answers included)."""
    role = _ROLES.get(message.type)
    if role is None:
        raise ValueError(f"cannot send a LangChain {message.type!r} message to the LLM")
    content = message.content
    if isinstance(content, list):
        content = "".join(
            part if isinstance(part, str) else str(part.get("text", "")) for part in content
        )
    calls = tuple(
        ToolCall(id=c.get("id") or f"call_{i}", name=c["name"], arguments=c["args"])
        for i, c in enumerate(getattr(message, "tool_calls", None) or [])
    )
    tool_call_id = message.tool_call_id if isinstance(message, ToolMessage) else None
    return Message(role=role, content=content, tool_calls=calls, tool_call_id=tool_call_id)
