"""A natural-language chat turn: the LangChain agent calls tools through a real HTTP server
(:class:`~assistant.testing.ScriptedLLMServer` answering with tool calls). What starts or
stops a session is proposed, and runs on the user's ``/run``; every model call goes through
our LLM client and is recorded, and the recording replays the turn with no HTTP at all."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from assistant.chat import ChatController
from assistant.chat.agent import PURPOSE, ChatAgent
from assistant.errors import AssistantError
from assistant.llm import ReplayClient
from assistant.testing import Reply, ScriptedLLMServer

_calls = Reply.calling


@pytest.fixture
def frame() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame.sample(120, random_state=0)


def test_agent_lists_frames_and_proposes_tuning_that_runs_on_run(frame: pd.DataFrame) -> None:
    script = [
        _calls(("list_dataframes", {})),
        _calls(
            ("start_tuning", {"dataframe": "df", "target": "target", "n_trials": 2, "model": "knn"})
        ),
        Reply.text("Started a knn session on df."),  # the model may say so: the reply won't
    ]
    with ScriptedLLMServer(script) as server:
        chat = ChatController(
            {"df": frame},
            llm_base_url=server.base_url,
            llm_model="scripted-model",
            tune_defaults={"llm": "off", "isolation": "inline", "n_folds": "2"},
        )
        chat.agent = ChatAgent(chat, timeout_s=10)
        reply = chat.handle("tune a model on my data to predict target")
        requests = server.requests
    command = "/tune df target=target n_trials=2 model=knn"
    assert reply.ok, reply.text
    assert (reply.command, reply.proposed) == (command, True)
    assert reply.text.endswith(
        f"Proposed: {command}\nType /run (or yes) to run it, or edit the command."
    )
    assert chat.session_id is None and chat.store.list_sessions() == []  # nothing started
    calls = chat.store.llm_calls(None)
    assert [c.purpose for c in calls] == [PURPOSE] * 3
    assert calls[0].messages[-1] == {
        "role": "user",
        "content": "tune a model on my data to predict target",
    }
    assert "start_tuning" in [t["function"]["name"] for t in calls[0].params["tools"]]
    assert calls[1].response_parsed == {
        "tool_calls": [
            {
                "id": "call_0",
                "name": "start_tuning",
                "arguments": {"dataframe": "df", "target": "target", "n_trials": 2, "model": "knn"},
            }
        ]
    }
    # The tool's answer went back to the model as a tool message, in the record too.
    assert calls[1].messages[-1]["role"] == "tool"
    assert calls[1].messages[-1]["tool_call_id"] == "call_0"
    assert calls[1].messages[-2]["tool_calls"][0]["name"] == "list_dataframes"
    assert calls[2].response_text == "Started a knn session on df."
    assert all(c.error is None for c in calls)
    started = chat.handle("/run")
    assert started.ok, started.text
    assert started.text.startswith("Started session") and started.command == command
    assert started.view == "live" and started.session_id == chat.session_id
    chat.wait(120)
    advertised = {t["function"]["name"] for t in requests[0]["tools"]}
    assert {"list_dataframes", "start_tuning", "stop_session", "explain_trial"} <= advertised
    assert "df: " in requests[0]["messages"][0]["content"]  # the system prompt names the frames
    tool_answer = requests[1]["messages"][-1]
    assert tool_answer["role"] == "tool"
    assert "mean radius" in tool_answer["content"]
    assert requests[2]["messages"][-1]["content"].startswith(f"Proposed {command}; it has not run")
    assert "finished, 2 of 2" in chat.handle("/status").text


def test_tool_error_goes_back_to_the_model(frame: pd.DataFrame) -> None:
    script = [
        _calls(("start_tuning", {"dataframe": "nope", "target": "target"})),
        Reply.text("There is no DataFrame called nope; your DataFrames: df."),
    ]
    with ScriptedLLMServer(script) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        chat.agent = ChatAgent(chat, timeout_s=10)
        reply = chat.handle("tune nope")
        requests = server.requests
    assert reply.text.startswith("There is no DataFrame")
    assert "no variable 'nope'" in requests[1]["messages"][-1]["content"]


def test_endpoint_failure_is_a_reply(frame: pd.DataFrame) -> None:
    with ScriptedLLMServer([Reply.error(500)] * 3) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        chat.agent = ChatAgent(chat, timeout_s=5)
        reply = chat.handle("hello")
    assert not reply.ok
    assert "slash commands still work" in reply.text


def test_without_endpoint_the_parser_answers_and_the_agent_refuses() -> None:
    chat = ChatController({})
    chat.agent = ChatAgent(chat)
    reply = chat.handle("hello")  # the embedded model: the request parser, not the agent
    assert reply.ok and reply.command == "/help"
    with pytest.raises(AssistantError, match="needs an LLM endpoint"):
        chat.agent("hello")


def test_the_recorded_turn_replays_without_the_endpoint(frame: pd.DataFrame) -> None:
    """The agent's records are complete: a ReplayClient under the same agent answers the
    same turn, call for call, with the server gone."""
    script = [
        _calls(("best_configuration", {})),
        Reply.text("No session has run yet."),
    ]
    with ScriptedLLMServer(script) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        chat.agent = ChatAgent(chat, timeout_s=10)
        live = chat.handle("what is the best configuration so far?")
    replay = ReplayClient(chat.store, None)
    agent = ChatAgent(chat)
    agent._client = lambda: replay  # type: ignore[method-assign,assignment,return-value]
    replayed = agent("what is the best configuration so far?")
    assert replayed.text == live.text == "No session has run yet."
    assert replay.calls_served == 2 and replay.remaining == 0


def test_the_api_key_never_reaches_the_records(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "sk-test-agent-0123456789"
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", key)
    # An endpoint that echoes the key back, in its text and in a tool call's arguments.
    script = [
        _calls(("explain_trial", {"trial": 0, "note": key})),
        Reply.text(f"your key is {key}"),
    ]
    with ScriptedLLMServer(script) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        chat.agent = ChatAgent(chat, timeout_s=10)
        reply = chat.handle("explain trial 0")
        requests = server.requests
    assert requests[0]["messages"]  # the requests really went out, with the key in the header
    assert key not in reply.text
    rows = [c.model_dump_json() for c in chat.store.llm_calls(None)]
    assert len(rows) == 2 and not any(key in row for row in rows)
