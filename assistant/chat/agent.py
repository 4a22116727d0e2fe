"""Natural-language chat turns: a LangChain tool-calling agent over the slash commands.

Each tool is a thin wrapper around one :class:`~assistant.chat.commands.ChatController`
command, so the agent can do nothing the commands cannot, and a tool's error goes back to the
model as text so it can retry. What starts or stops a session is only *proposed* (the reply
carries the command; the user's ``/run`` runs it), as for the request parser. Small local
models call tools badly: the controller uses this agent only when an LLM endpoint and model
are configured (the embedded model gets :mod:`assistant.chat.intent` instead). The agent's
model is :class:`~assistant.llm.langchain_model.ClientChatModel` over the same client the
engine uses (retries, circuit breaker, API key scrubbed), wrapped in a RecordingClient: each
model call of a turn is a row in the store outside any session, ``purpose="chat_agent"``,
with the tools offered (``params["tools"]``) and the calls made (``response_parsed``).

Example (needs an OpenAI-compatible endpoint):
    >>> from assistant.chat.commands import ChatController
    >>> chat = ChatController({}, llm_base_url="http://localhost:11434/v1", llm_model="qwen3")
    >>> chat.agent = ChatAgent(chat)
    >>> chat.handle("tune a model on df to predict churn").text  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import shlex
from typing import Any

from assistant.chat.commands import ChatController, ChatReply
from assistant.errors import AssistantError, LLMError
from assistant.llm.config import resolve_llm_config
from assistant.llm.factory import make_client
from assistant.llm.langchain_model import ClientChatModel
from assistant.llm.recording import RecordingClient

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
        self._recorded: tuple[tuple[Any, ...], RecordingClient] | None = None

    def __call__(self, text: str) -> ChatReply:
        from langchain.agents import create_agent

        from assistant.prompting import render

        replies: list[ChatReply] = []
        agent = create_agent(
            ClientChatModel(client=self._client(), purpose=PURPOSE),
            tools=self._tools(replies),
            system_prompt=render("chat_agent.j2", dataframes=self.controller.dataframes()),
        )
        try:
            state = agent.invoke(
                {"messages": [{"role": "user", "content": text}]},
                {"recursion_limit": 2 * self.max_steps + 1},
            )
        except LLMError as exc:
            logger.warning("chat agent failed: %s", exc)
            raise AssistantError(
                f"the LLM could not answer ({type(exc).__name__}: {exc}); the slash commands "
                "still work (type /help)"
            ) from exc
        answer = _text(state["messages"][-1].content) if state.get("messages") else ""
        return _merge(answer, replies)

    def _client(self) -> RecordingClient:
        """The recorded client of the controller's endpoint, kept while that endpoint is the
        same (its circuit breaker remembers an endpoint that stopped answering)."""
        config = resolve_llm_config(self.controller.llm_base_url, self.controller.llm_model)
        if config.embedded or not config.model:
            raise AssistantError(
                "natural-language chat needs an LLM endpoint and model (settings: LLM base "
                "URL and model); the slash commands always work (type /help)"
            )
        config = config.model_copy(update={"timeout_s": self.timeout_s})
        key = (config.base_url, config.model, self.controller.store.url)
        if self._recorded is None or self._recorded[0] != key:
            client = RecordingClient(make_client(config), self.controller.store, session_id=None)
            self._recorded = (key, client)
        return self._recorded[1]

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
        text += f"\n\nProposed: {command}\nType /run (or yes) to run it, or edit the command."
    return ChatReply(text=text, **fields)
