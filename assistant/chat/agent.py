"""Natural-language chat turns: a LangChain tool-calling agent over the slash commands.

Each tool is a thin wrapper around one :class:`~assistant.chat.commands.ChatController`
command, so the agent can do nothing the commands cannot, and a tool's error goes back to the
model as text so it can retry. What starts or stops a session is only *proposed* (the reply
carries the command; the user's ``/run`` runs it), as for the request parser. Small local
models call tools badly: the controller uses this agent only when an LLM endpoint and model
are configured (the embedded model gets :mod:`assistant.chat.intent` instead). Every model
call of a turn is recorded in the store outside any session, with ``purpose="chat_agent"``.

Example (needs an OpenAI-compatible endpoint):
    >>> from assistant.chat.commands import ChatController
    >>> chat = ChatController({}, llm_base_url="http://localhost:11434/v1", llm_model="qwen3")
    >>> chat.agent = ChatAgent(chat)
    >>> chat.handle("tune a model on df to predict churn").text  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import shlex
import time
from typing import Any
from uuid import UUID

from assistant.chat.commands import ChatController, ChatReply
from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

PURPOSE = "chat_agent"
"""The ``purpose`` of the agent's LLM calls in the store."""


class ChatAgent:
    """Answers a chat message with an LLM that calls the controller's commands as tools.

    Args:
        controller: the kernel's :class:`ChatController`: its namespace, its sessions and
            its LLM endpoint (``llm_base_url``, ``llm_model``, else the environment; the API
            key comes from the environment only: ``ASSISTANT_LLM_API_KEY``/``OPENAI_API_KEY``).
        timeout_s: per LLM request.
        max_steps: how many model/tool rounds a turn may take.
    """

    def __init__(
        self, controller: ChatController, *, timeout_s: float = 60.0, max_steps: int = 8
    ) -> None:
        self.controller = controller
        self.timeout_s = timeout_s
        self.max_steps = max_steps

    def __call__(self, text: str) -> ChatReply:
        try:
            from langchain.agents import create_agent
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise AssistantError(
                "natural-language chat needs langchain and langchain-openai; the slash "
                "commands work without them (type /help)"
            ) from exc
        from assistant.llm.config import resolve_llm_config
        from assistant.prompting import render

        config = resolve_llm_config(self.controller.llm_base_url, self.controller.llm_model)
        if config.embedded or not config.model:
            raise AssistantError(
                "natural-language chat needs an LLM endpoint and model (settings: LLM base "
                "URL and model); the slash commands always work (type /help)"
            )
        chat_model = ChatOpenAI(
            model=config.model,
            base_url=config.base_url,
            api_key=config.api_key_value() or "not-needed",
            temperature=0.0,
            timeout=self.timeout_s,
            max_retries=1,
        )
        replies: list[ChatReply] = []
        recorder = _recorder(self.controller, config)
        agent = create_agent(
            chat_model,
            tools=self._tools(replies),
            system_prompt=render("chat_agent.j2", dataframes=self.controller.dataframes()),
        )
        try:
            state = agent.invoke(
                {"messages": [{"role": "user", "content": text}]},
                {"recursion_limit": 2 * self.max_steps + 1, "callbacks": [recorder]},
            )
        except Exception as exc:  # the endpoint's errors, in any client's types
            logger.warning("chat agent failed: %r", exc)
            raise AssistantError(
                f"the LLM could not answer ({type(exc).__name__}: {exc}); the slash commands "
                "still work (type /help)"
            ) from exc
        answer = _text(state["messages"][-1].content) if state.get("messages") else ""
        return _merge(answer, replies)

    def _tools(self, replies: list[ChatReply]) -> list[Any]:
        from langchain_core.tools import tool

        chat = self.controller

        def run(command: str) -> str:
            reply = chat.handle(command)
            replies.append(reply)
            return reply.text

        def propose(command: str) -> str:
            reply = chat.propose(command)
            replies.append(reply)
            if not reply.proposed:
                return reply.text
            return (
                f"Proposed {command}; it has not run. The user starts it with /run (or edits "
                "it): tell them so, and do not say it started."
            )

        @tool
        def list_dataframes() -> dict[str, list[str]]:
            """The DataFrames in the notebook's kernel, each with its column names."""
            return chat.dataframes()

        @tool
        def start_tuning(
            dataframe: str,
            target: str,
            metric: str | None = None,
            n_trials: int = 20,
            model: str = "auto",
        ) -> str:
            """Propose tuning a model on a DataFrame of the kernel to predict the target column
            (the user confirms with /run).

            metric: e.g. roc_auc, accuracy, f1, rmse (the task's default if omitted).
            model: auto, random_forest, hist_gradient_boosting, svm, logistic, linear, knn, mlp.
            """
            options = f"target={shlex.quote(target)} n_trials={int(n_trials)} model={model}"
            if metric:
                options += f" metric={shlex.quote(metric)}"
            return propose(f"/tune {shlex.quote(dataframe)} {options}")

        @tool
        def session_status() -> str:
            """Progress of the current tuning session."""
            return run("/status")

        @tool
        def best_configuration() -> str:
            """The best configuration and score of the current session so far."""
            return run("/best")

        @tool
        def stop_session() -> str:
            """Propose stopping the current session after the trials in flight (the user
            confirms with /run)."""
            return propose("/stop")

        @tool
        def resume_session(session_id: str | None = None) -> str:
            """Propose resuming the current session, or the session with this id (the user
            confirms with /run)."""
            return propose(f"/resume {session_id or ''}".strip())

        @tool
        def explain_trial(trial: int) -> str:
            """Why the engine suggested the configuration of this trial number."""
            return run(f"/explain {int(trial)}")

        @tool
        def insert_best_model_code() -> str:
            """Insert a notebook cell with the code of the best configuration so far."""
            reply = chat.handle("/best")
            replies.append(reply)
            if reply.code is None:
                return reply.text
            return "A cell with the best configuration is offered to the user."

        return [
            list_dataframes,
            start_tuning,
            session_status,
            best_configuration,
            stop_session,
            resume_session,
            explain_trial,
            insert_best_model_code,
        ]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _merge(answer: str, replies: list[ChatReply]) -> ChatReply:
    """The model's answer, carrying what the tools asked the sidebar to show; a proposal is
    spelled out whatever the model said about it."""
    fields: dict[str, Any] = {}
    for reply in replies:
        for name in ("session_id", "storage", "view", "code"):
            value = getattr(reply, name)
            if value is not None:
                fields[name] = value
    text = answer or "(no answer)"
    proposals = [r for r in replies if r.proposed]
    if proposals:
        command = proposals[-1].command
        fields.update(command=command, proposed=True)
        text += f"\n\nProposed: {command}\nType /run to run it, or edit the command."
    return ChatReply(text=text, **fields)


def _recorder(controller: ChatController, config: Any) -> Any:
    """A LangChain callback handler that writes each chat-model call of a turn to the store."""
    from langchain_core.callbacks import BaseCallbackHandler

    store = controller.store
    store.add_secret(config.api_key_value())

    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.started: dict[UUID, tuple[float, list[dict[str, Any]], dict[str, Any]]] = {}

        def on_chat_model_start(
            self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID,
            **kwargs: Any,
        ) -> None:  # fmt: skip
            params = dict(kwargs.get("invocation_params") or {})
            tools = [t.get("function", {}).get("name") for t in params.pop("tools", None) or []]
            params = {k: v for k, v in params.items() if k in ("model", "temperature")}
            params["tools"] = tools
            sent = [_message(m) for m in messages[0]] if messages else []
            self.started[run_id] = (time.monotonic(), sent, params)

        def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
            started, sent, params = self.started.pop(run_id, (time.monotonic(), [], {}))
            generation = response.generations[0][0] if response.generations else None
            message = getattr(generation, "message", None)
            usage = getattr(message, "usage_metadata", None) or {}
            tool_calls = [
                {"name": c["name"], "args": c["args"]} for c in getattr(message, "tool_calls", [])
            ]
            store.record_llm_call(
                None, messages=sent, json_schema=None, params=params, purpose=PURPOSE,
                model=str(params.get("model") or config.model), base_url=config.base_url or "",
                response_text=_text(getattr(message, "content", "")),
                response_parsed={"tool_calls": tool_calls} if tool_calls else None,
                prompt_tokens=int(usage.get("input_tokens", 0)),
                completion_tokens=int(usage.get("output_tokens", 0)),
                latency_s=time.monotonic() - started,
            )  # fmt: skip

        def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
            started, sent, params = self.started.pop(run_id, (time.monotonic(), [], {}))
            store.record_llm_call(
                None, messages=sent, json_schema=None, params=params, purpose=PURPOSE,
                model=str(config.model), base_url=config.base_url or "",
                latency_s=time.monotonic() - started, error_type=type(error).__name__,
                error=str(error),
            )  # fmt: skip

    return Recorder()


def _message(message: Any) -> dict[str, Any]:
    """A LangChain message as a record's ``{"role", "content"}`` (plus its tool calls)."""
    roles = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
    out: dict[str, Any] = {
        "role": roles.get(message.type, message.type),
        "content": _text(message.content),
    }
    if getattr(message, "tool_calls", None):
        out["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    return out
