"""Recording every LLM call to the store, and replaying a session from it with no HTTP."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from assistant.errors import (
    LLMError,
    LLMOutputError,
    LLMServerError,
    ReplayDivergenceError,
    ReplayExhaustedError,
)
from assistant.llm import Message, OpenAICompatibleClient, RecordingClient, ReplayClient
from assistant.store import Store
from assistant.testing import Reply, ScriptedLLMServer

from .helpers import CHOICE_SCHEMA, GOOD_ANSWER, fast_config

SENTINEL = "sk-SENTINEL-12345"


def ask(text: str) -> list[Message]:
    return [Message(role="system", content="You tune models."), Message(role="user", content=text)]


def record_session(store: Store, server: ScriptedLLMServer) -> tuple[str, list]:
    """Three calls (text, structured with a re-ask, structured) recorded under one session."""
    session_id = store.create_session(name="s", study_name="s")
    client = RecordingClient(OpenAICompatibleClient(fast_config(server)), store, session_id)
    responses = [
        client.complete(ask("hello"), purpose="chat"),
        client.complete(ask("pick one"), CHOICE_SCHEMA, purpose="warmstart", seed=1),
        client.complete(ask("pick again"), CHOICE_SCHEMA, purpose="proposal", max_tokens=50),
    ]
    return session_id, responses


def replay_calls(client) -> list:
    return [
        client.complete(ask("hello"), purpose="chat"),
        client.complete(ask("pick one"), CHOICE_SCHEMA, purpose="warmstart", seed=1),
        client.complete(ask("pick again"), CHOICE_SCHEMA, purpose="proposal", max_tokens=50),
    ]


SCRIPT = [
    Reply.text("hi!"),
    Reply.text("not json"),
    Reply.json(GOOD_ANSWER),
    Reply.json({"model": "random_forest", "learning_rate": 0.3}),
]


def test_one_row_per_call_with_everything(store):
    with ScriptedLLMServer(SCRIPT, model="served") as server:
        session_id, responses = record_session(store, server)
        base_url = server.base_url
    calls = store.llm_calls(session_id)
    assert len(calls) == 3
    first, second, _third = calls
    assert first.purpose == "chat" and first.params == {"purpose": "chat"}
    assert first.messages == [m.to_record() for m in ask("hello")]
    assert first.json_schema is None
    assert first.response_text == "hi!" and first.response_parsed is None
    assert first.model == "served" and first.base_url == base_url
    assert first.prompt_tokens > 0 and first.completion_tokens > 0
    assert first.error_type is None and first.error is None
    assert second.json_schema == CHOICE_SCHEMA
    assert second.params == {"purpose": "warmstart", "seed": 1}
    assert second.response_parsed == GOOD_ANSWER
    assert second.attempts == 2
    assert second.latency_s == responses[1].latency_s


def test_replay_gives_identical_responses_without_http(store, tmp_path):
    with ScriptedLLMServer(SCRIPT) as server:
        session_id, recorded = record_session(store, server)
        count = server.request_count
        replay = ReplayClient(Store(f"sqlite:///{tmp_path}/t.db"), session_id)
        assert replay.remaining == 3 and replay.calls_served == 0
        replayed = replay_calls(replay)
        assert server.request_count == count
    assert replayed == recorded
    assert replay.remaining == 0 and replay.calls_served == 3
    assert replay.model_name == recorded[0].model


def test_replay_after_the_server_is_gone(store):
    with ScriptedLLMServer(SCRIPT) as server:
        session_id, recorded = record_session(store, server)
    assert replay_calls(ReplayClient(store, session_id)) == recorded


def test_divergence_names_the_call_and_the_field(store):
    with ScriptedLLMServer(SCRIPT) as server:
        session_id, _ = record_session(store, server)
    replay = ReplayClient(store, session_id)
    replay.complete(ask("hello"), purpose="chat")
    with pytest.raises(ReplayDivergenceError) as caught:
        replay.complete(ask("pick two"), CHOICE_SCHEMA, purpose="warmstart", seed=1)
    error = caught.value
    assert error.index == 1
    assert error.field == "messages[1].content"
    assert (error.recorded, error.requested) == ("pick one", "pick two")
    assert "#1" in str(error) and "messages[1].content" in str(error)
    assert replay.calls_served == 1


@pytest.mark.parametrize(
    ("schema", "params", "field"),
    [
        (None, {"purpose": "warmstart", "seed": 1}, "json_schema"),
        (CHOICE_SCHEMA, {"purpose": "warmstart", "seed": 2}, "params.seed"),
        (CHOICE_SCHEMA, {"purpose": "proposal", "seed": 1}, "params.purpose"),
        (CHOICE_SCHEMA, {"purpose": "warmstart"}, "params.seed"),
        (CHOICE_SCHEMA, {"purpose": "warmstart", "seed": 1, "n": 2}, "params.n"),
    ],
)
def test_divergence_in_schema_or_params(store, schema, params, field):
    with ScriptedLLMServer(SCRIPT) as server:
        session_id, _ = record_session(store, server)
    replay = ReplayClient(store, session_id)
    replay.complete(ask("hello"), purpose="chat")
    with pytest.raises(ReplayDivergenceError) as caught:
        replay.complete(ask("pick one"), schema, **params)
    assert (caught.value.index, caught.value.field) == (1, field)


def test_volatile_params_are_not_compared(store):
    with ScriptedLLMServer(["a"]) as server:
        client = RecordingClient(OpenAICompatibleClient(fast_config(server)), store, None)
        client.complete(ask("q"), user="alice")
    assert ReplayClient(store, None).complete(ask("q"), user="bob").text == "a"


def test_bool_and_int_are_different(store):
    store.record_llm_call(None, messages=[], json_schema=None, params={"x": 1}, response_text="")
    with pytest.raises(ReplayDivergenceError, match=r"params\.x"):
        ReplayClient(store, None).complete([], x=True)


def test_exhausted_recording(store):
    with ScriptedLLMServer(SCRIPT) as server:
        session_id, _ = record_session(store, server)
    replay = ReplayClient(store, session_id)
    replay_calls(replay)
    with pytest.raises(ReplayExhaustedError, match="3 LLM calls"):
        replay.complete(ask("hello"), purpose="chat")


@pytest.mark.parametrize(
    ("reply", "error_type"),
    [(Reply.error(500, "down"), LLMServerError), (Reply.text("never json"), LLMOutputError)],
)
def test_recorded_failure_replays_as_the_same_error(store, reply, error_type):
    session_id = store.create_session(name="s", study_name="s")
    with ScriptedLLMServer(lambda _body: reply) as server:
        client = RecordingClient(
            OpenAICompatibleClient(fast_config(server, max_retries=1, output_retries=1)),
            store,
            session_id,
        )
        with pytest.raises(error_type) as live:
            client.complete(ask("q"), CHOICE_SCHEMA, purpose="proposal")
    (row,) = store.llm_calls(session_id)
    assert row.error_type == error_type.__name__
    assert row.error == str(live.value)
    assert row.attempts == 2
    with pytest.raises(error_type) as replayed:
        ReplayClient(store, session_id).complete(ask("q"), CHOICE_SCHEMA, purpose="proposal")
    assert str(replayed.value) == str(live.value)
    if error_type is LLMOutputError:
        assert row.response_text == "never json"
        assert replayed.value.last_text == live.value.last_text == "never json"


def test_unknown_recorded_error_replays_as_llm_error(store):
    store.record_llm_call(
        None, messages=[], json_schema=None, params={}, error_type="Mystery", error="odd"
    )
    with pytest.raises(LLMError, match="Mystery: odd"):
        ReplayClient(store, None).complete([])


def test_replay_is_thread_safe(store):
    for i in range(40):
        store.record_llm_call(
            None,
            messages=[{"role": "user", "content": "same"}],
            json_schema=None,
            params={},
            response_text=f"answer {i}",
        )
    replay = ReplayClient(store, None)
    answers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            text = replay.complete([Message(role="user", content="same")]).text
            with lock:
                answers.append(text)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == sorted(f"answer {i}" for i in range(40))
    assert replay.remaining == 0 and replay.calls_served == 40


def test_async_record_and_replay(store):
    with ScriptedLLMServer([Reply.json(GOOD_ANSWER)]) as server:
        client = RecordingClient(OpenAICompatibleClient(fast_config(server)), store, None)
        live = asyncio.run(client.acomplete(ask("q"), CHOICE_SCHEMA, purpose="warmstart"))
    replay = ReplayClient(store, None)
    assert asyncio.run(replay.acomplete(ask("q"), CHOICE_SCHEMA, purpose="warmstart")) == live


def test_api_key_never_reaches_the_database(tmp_path):
    db = Path(tmp_path) / "t.db"
    store = Store(f"sqlite:///{db}")
    session_id = store.create_session(name="s", study_name="s")
    script = [
        Reply.text(f"echo {SENTINEL}"),
        Reply.error(400, f"Incorrect API key provided: {SENTINEL}"),
        Reply.text(f"not json {SENTINEL}"),
    ]
    with ScriptedLLMServer(script) as server:
        inner = OpenAICompatibleClient(fast_config(server, api_key=SENTINEL, output_retries=0))
        client = RecordingClient(inner, store, session_id)
        leaky = [Message(role="user", content=f"my key is {SENTINEL}")]
        # an endpoint echoing the key does not pass it on to the engine either
        assert client.complete(leaky, purpose=SENTINEL).text == "echo [REDACTED]"
        with pytest.raises(LLMError) as refused:
            client.complete(leaky, user=SENTINEL)
        with pytest.raises(LLMOutputError):
            client.complete(leaky, CHOICE_SCHEMA)
    assert SENTINEL not in str(refused.value)
    rows = store.llm_calls(session_id)
    assert len(rows) == 3 and "[REDACTED]" in rows[0].messages[0]["content"]
    assert rows[1].error_type == "LLMError"
    files = [p for p in (db, Path(f"{db}-wal")) if p.exists()]
    assert files
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), path.name
    store.close()
    for path in (db, Path(f"{db}-wal")):
        if path.exists():
            assert SENTINEL.encode() not in path.read_bytes(), path.name
