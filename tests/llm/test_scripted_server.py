"""The scripted OpenAI-compatible server and its fault injection."""

from __future__ import annotations

import contextlib
import json
import threading
import urllib.request
from typing import Any

import openai
import pytest
from jsonschema import ValidationError, validate

from assistant.errors import LLMOutputError
from assistant.llm import Message, OpenAICompatibleClient
from assistant.testing import FaultMix, Reply, ScriptedLLMServer, fill_schema, schema_responder

from .helpers import CHOICE_SCHEMA, GOOD_ANSWER, fast_config

ASK = [Message(role="user", content="Pick.")]


def _sdk(server: ScriptedLLMServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)


def test_models_endpoint_and_base_url():
    with ScriptedLLMServer(model="m-1") as server:
        assert server.base_url.endswith("/v1")
        assert [m.id for m in _sdk(server).models.list().data] == ["m-1"]
        assert server.request_count == 0


def test_queue_then_exhaustion_message():
    with ScriptedLLMServer(["a"]) as server:
        client = _sdk(server)
        first = client.chat.completions.create(
            model="x", messages=[{"role": "user", "content": "q"}]
        )
        assert first.choices[0].message.content == "a"
        with pytest.raises(openai.BadRequestError, match="no reply left"):
            client.chat.completions.create(model="x", messages=[{"role": "user", "content": "q"}])
        assert server.remaining == 0
        assert server.request_count == 2


def test_error_reply_carries_headers_and_body():
    with (
        ScriptedLLMServer([Reply.error(429, "wait", retry_after=7)]) as server,
        pytest.raises(openai.RateLimitError) as caught,
    ):
        _sdk(server).chat.completions.create(model="x", messages=[])
    assert caught.value.response.headers["retry-after"] == "7"
    assert "wait" in caught.value.message


def test_streaming_answer():
    with ScriptedLLMServer([Reply.text("a fairly long streamed answer, in pieces")]) as server:
        stream = _sdk(server).chat.completions.create(
            model="x",
            messages=[{"role": "user", "content": "q"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "a fairly long streamed answer, in pieces"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_requests_are_recorded_from_many_threads():
    with ScriptedLLMServer(lambda body: body["messages"][0]["content"]) as server:
        client = OpenAICompatibleClient(fast_config(server))
        answers: list[str] = []

        def ask(i: int) -> None:
            answers.append(client.complete([Message(role="user", content=f"q{i}")]).text)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(answers) == sorted(f"q{i}" for i in range(16))
    assert server.request_count == 16
    assert sorted(r["messages"][0]["content"] for r in server.requests) == sorted(answers)


def test_a_failing_responder_is_reported_not_hung():
    def broken(_body: dict[str, Any]) -> str:
        raise RuntimeError("responder bug")

    with (
        ScriptedLLMServer(broken) as server,
        pytest.raises(openai.BadRequestError, match="responder bug"),
    ):
        _sdk(server).chat.completions.create(model="x", messages=[])


def test_stop_does_not_wait_for_delayed_replies():
    server = ScriptedLLMServer(lambda _body: Reply(content="late", delay_s=60)).start()
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps({"messages": []}).encode(),
        headers={"Content-Type": "application/json"},
    )
    waiting = threading.Thread(target=_ignore_errors, args=(request,), daemon=True)
    waiting.start()
    while server.request_count == 0:
        threading.Event().wait(0.01)
    server.stop()
    waiting.join(timeout=5)
    assert not waiting.is_alive()


def _ignore_errors(request: urllib.request.Request) -> None:
    with contextlib.suppress(OSError):
        urllib.request.urlopen(request, timeout=10).read()


def test_schema_responder_answers_every_structured_mode():
    with ScriptedLLMServer() as server:
        for mode in ("json_schema", "json_object_schema", "json_object", "prompt"):
            client = OpenAICompatibleClient(fast_config(server, structured_output=mode))
            response = client.complete(ASK, CHOICE_SCHEMA)
            assert response.attempts == 1, mode
            validate(response.parsed, CHOICE_SCHEMA)


def test_fill_schema_respects_bounds_and_arrays():
    import random

    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 3, "maximum": 5},
            "xs": {"type": "array", "items": {"type": "number"}, "minItems": 2},
            "flag": {"type": "boolean"},
            "name": {"type": ["string", "null"]},
        },
    }
    rng = random.Random(1)
    for _ in range(20):
        validate(fill_schema(schema, rng), schema)


def _fault_sequence(seed: int, count: int) -> list[str]:
    mix = FaultMix(garbage=0.2, server_error=0.2, rate_limit=0.1, timeout=0.1, drop=0.1, seed=seed)
    for _ in range(count):
        mix({"messages": []})
    return mix.faults


def test_fault_mix_is_deterministic_by_seed():
    assert _fault_sequence(3, 50) == _fault_sequence(3, 50)
    assert _fault_sequence(3, 50) != _fault_sequence(4, 50)


def test_fault_mix_rates_are_roughly_respected():
    counts = {k: _fault_sequence(0, 2000).count(k) for k in ("garbage", "drop", "none")}
    assert 300 < counts["garbage"] < 500
    assert 140 < counts["drop"] < 260
    assert 500 < counts["none"] < 700


def test_fault_mix_rejects_impossible_rates():
    with pytest.raises(ValueError, match="add up"):
        FaultMix(garbage=0.6, server_error=0.6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultMix(garbage=-0.1)


def test_wrong_shape_and_out_of_range_faults_break_the_schema():
    clean = schema_responder(seed=0)
    body = {"messages": [], "response_format": {"type": "json_object", "schema": CHOICE_SCHEMA}}
    for fault in ("wrong_shape", "out_of_range"):
        rates = {"garbage": 0.0, "server_error": 0.0, "rate_limit": 0.0, "timeout": 0.0}
        mix = FaultMix(clean, **rates, **{fault: 1.0})
        for _ in range(5):
            answer = json.loads(mix(body).content)
            with pytest.raises(ValidationError):
                validate(answer, CHOICE_SCHEMA)


def test_client_survives_a_fault_mix():
    mix = FaultMix(
        garbage=0.25,
        server_error=0.1,
        rate_limit=0.1,
        timeout=0.05,
        drop=0.05,
        wrong_shape=0.05,
        out_of_range=0.05,
        seed=11,
        timeout_delay_s=2,
    )
    with ScriptedLLMServer(mix) as server:
        client = OpenAICompatibleClient(
            fast_config(server, timeout_s=0.3, max_retries=6, output_retries=8)
        )
        answers = []
        for _ in range(15):
            try:
                answers.append(client.complete(ASK, CHOICE_SCHEMA).parsed)
            except LLMOutputError:
                answers.append(None)
    good = [a for a in answers if a is not None]
    assert len(good) >= 14
    for answer in good:
        validate(answer, CHOICE_SCHEMA)
    assert mix.injected["none"] < server.request_count


def test_reply_helpers():
    assert Reply.json(GOOD_ANSWER).content == json.dumps(GOOD_ANSWER)
    assert Reply.error(503).status == 503
    assert Reply.dropped().drop


def test_tool_call_replies_reach_the_sdk_as_tool_calls():
    reply = Reply.calling(("list_dataframes", {}), ("start_tuning", {"trials": 2}))
    with ScriptedLLMServer([reply]) as server:
        answer = _sdk(server).chat.completions.create(
            model="scripted", messages=[{"role": "user", "content": "tune df"}]
        )
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = [(c.function.name, json.loads(c.function.arguments)) for c in choice.message.tool_calls]
    assert calls == [("list_dataframes", {}), ("start_tuning", {"trials": 2})]
