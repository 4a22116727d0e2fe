"""The OpenAI-compatible client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest

from assistant.errors import (
    LLMConnectionError,
    LLMError,
    LLMOutputError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
)
from assistant.llm import LLMConfig, Message, OpenAICompatibleClient, make_client
from assistant.testing import Reply, ScriptedLLMServer, requested_schema

from .helpers import CHOICE_SCHEMA, GOOD_ANSWER, fast_config

ASK = [Message(role="system", content="You tune models."), Message(role="user", content="Pick.")]


def always(reply: Reply):
    return lambda _body: reply


def test_plain_text_call_fills_the_response():
    with ScriptedLLMServer(["hello there"], model="served-model") as server:
        response = OpenAICompatibleClient(fast_config(server)).complete(ASK)
    assert response.text == "hello there"
    assert response.parsed is None
    assert response.model == "served-model"
    assert response.attempts == 1
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0
    assert response.latency_s > 0
    body = server.requests[0]
    assert body["model"] == "test-model"
    assert body["messages"] == [m.to_openai() for m in ASK]
    assert body["temperature"] == 0.7
    assert "response_format" not in body


def test_structured_output_is_parsed_and_validated():
    with ScriptedLLMServer([Reply.json(GOOD_ANSWER)]) as server:
        response = OpenAICompatibleClient(fast_config(server)).complete(ASK, CHOICE_SCHEMA)
    assert response.parsed == GOOD_ANSWER
    response_format = server.requests[0]["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["schema"] == CHOICE_SCHEMA


def test_fenced_json_with_prose_is_accepted():
    text = 'Here you go:\n```json\n{"model": "random_forest", "learning_rate": 0.5}\n```\nBye'
    with ScriptedLLMServer([text]) as server:
        response = OpenAICompatibleClient(fast_config(server)).complete(ASK, CHOICE_SCHEMA)
    assert response.parsed == {"model": "random_forest", "learning_rate": 0.5}
    assert response.text == text


@pytest.mark.parametrize(
    "bad",
    [
        "I would pick xgboost.",
        '{"model": "xgboost", "learning_rate": ',
        json.dumps({"model": "lightgbm", "learning_rate": 0.1}),
        json.dumps({"model": "xgboost", "learning_rate": 5.0}),
    ],
    ids=["prose", "truncated", "enum", "out-of-range"],
)
def test_unusable_answer_is_reasked_then_accepted(bad):
    with ScriptedLLMServer([bad, Reply.json(GOOD_ANSWER)]) as server:
        response = OpenAICompatibleClient(fast_config(server)).complete(ASK, CHOICE_SCHEMA)
    assert response.parsed == GOOD_ANSWER
    assert response.attempts == 2
    assert server.request_count == 2
    reask = server.requests[1]["messages"]
    assert reask[: len(ASK)] == [m.to_openai() for m in ASK]
    assert reask[len(ASK)] == {"role": "assistant", "content": bad}
    assert reask[-1]["role"] == "user" and "could not be used" in reask[-1]["content"]
    assert response.usage.prompt_tokens > 0


def test_output_error_after_the_reask_bound():
    with ScriptedLLMServer(always(Reply.text("no JSON here"))) as server:
        client = OpenAICompatibleClient(fast_config(server, output_retries=2))
        with pytest.raises(LLMOutputError) as caught:
            client.complete(ASK, CHOICE_SCHEMA)
    assert server.request_count == 3
    assert caught.value.last_text == "no JSON here"
    assert caught.value.attempts == 3


def test_rate_limit_honours_retry_after_then_succeeds():
    script = [Reply.error(429, "slow down", retry_after=0.4), Reply.json(GOOD_ANSWER)]
    with ScriptedLLMServer(script) as server:
        client = OpenAICompatibleClient(fast_config(server))
        started = time.monotonic()
        response = client.complete(ASK, CHOICE_SCHEMA)
    assert time.monotonic() - started >= 0.4
    assert response.parsed == GOOD_ANSWER
    assert response.attempts == 2


def test_retry_after_is_capped():
    script = [Reply.error(429, retry_after=3600), "ok"]
    with ScriptedLLMServer(script) as server:
        client = OpenAICompatibleClient(fast_config(server, max_backoff_s=0.05))
        started = time.monotonic()
        assert client.complete(ASK).text == "ok"
    assert time.monotonic() - started < 2


def test_persistent_rate_limit_raises_after_max_retries():
    with ScriptedLLMServer(always(Reply.error(429, retry_after=0))) as server:
        client = OpenAICompatibleClient(fast_config(server, max_retries=2))
        with pytest.raises(LLMRateLimitError) as caught:
            client.complete(ASK)
    assert server.request_count == 3
    assert caught.value.attempts == 3


def test_server_error_then_success():
    with ScriptedLLMServer([Reply.error(500, "boom"), Reply.error(503), "ok"]) as server:
        response = OpenAICompatibleClient(fast_config(server)).complete(ASK)
    assert response.text == "ok"
    assert response.attempts == 3


def test_persistent_server_error_raises_after_max_retries():
    with ScriptedLLMServer(always(Reply.error(500, "boom"))) as server:
        client = OpenAICompatibleClient(fast_config(server, max_retries=1))
        with pytest.raises(LLMServerError, match="boom"):
            client.complete(ASK, CHOICE_SCHEMA)
        # An outage is not the endpoint refusing the format: structured output stays.
        assert client.structured_mode == "json_schema"
    assert server.request_count == 2


def test_timeout_raises_after_retries():
    with ScriptedLLMServer(always(Reply(content="late", delay_s=3))) as server:
        client = OpenAICompatibleClient(fast_config(server, timeout_s=0.5, max_retries=1))
        started = time.monotonic()
        with pytest.raises(LLMTimeoutError):
            client.complete(ASK)
    assert server.request_count == 2
    assert time.monotonic() - started < 2.5


def test_slow_answer_within_timeout_is_fine():
    with ScriptedLLMServer([Reply(content="ok", delay_s=0.2)]) as server:
        assert OpenAICompatibleClient(fast_config(server, timeout_s=2)).complete(ASK).text == "ok"


def test_dropped_connection_raises_connection_error():
    with ScriptedLLMServer(always(Reply.dropped())) as server, pytest.raises(LLMConnectionError):
        OpenAICompatibleClient(fast_config(server, max_retries=2)).complete(ASK)
    assert server.request_count == 3


def test_dropped_connection_then_success():
    with ScriptedLLMServer([Reply.dropped(), "ok"]) as server:
        assert OpenAICompatibleClient(fast_config(server)).complete(ASK).text == "ok"


def test_connection_refused_raises_connection_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=1)
    with pytest.raises(LLMConnectionError, match="connection"):
        OpenAICompatibleClient(config.model_copy(update={"backoff_s": 0.01})).complete(ASK)


def test_client_errors_are_not_retried():
    with (
        ScriptedLLMServer(always(Reply.error(401, "bad key"))) as server,
        pytest.raises(LLMError, match="API key") as caught,
    ):
        OpenAICompatibleClient(fast_config(server)).complete(ASK)
    assert type(caught.value) is LLMError
    assert server.request_count == 1


def _refuses_json_schema(body: dict[str, Any]) -> Reply:
    if (body.get("response_format") or {}).get("type") == "json_schema":
        # What llama.cpp's server answers to {"type": "json_schema"}.
        message = "Input should be 'text' or 'json_object' ('body', 'response_format', 'type')"
        return Reply.error(500, message)
    return Reply.json(GOOD_ANSWER)


def test_json_schema_refusal_downgrades_and_is_remembered():
    with ScriptedLLMServer(_refuses_json_schema) as server:
        client = OpenAICompatibleClient(fast_config(server, max_retries=0))
        assert client.structured_mode == "json_schema"
        first = client.complete(ASK, CHOICE_SCHEMA)
        assert first.parsed == GOOD_ANSWER and first.attempts == 2
        assert client.structured_mode == "json_object_schema"
        second = client.complete(ASK, CHOICE_SCHEMA)
    assert second.attempts == 1
    assert server.request_count == 3
    assert server.requests[2]["response_format"] == {"type": "json_object", "schema": CHOICE_SCHEMA}


def test_downgrade_goes_on_to_json_object_with_the_schema_in_the_prompt():
    def refuses_schemas(body: dict[str, Any]) -> Reply:
        if (body.get("response_format") or {}).get("type") != "json_object" or (
            "schema" in body["response_format"]
        ):
            return Reply.error(400, "response_format schema is not supported")
        return Reply.json(GOOD_ANSWER)

    with ScriptedLLMServer(refuses_schemas) as server:
        client = OpenAICompatibleClient(fast_config(server))
        assert client.complete(ASK, CHOICE_SCHEMA).parsed == GOOD_ANSWER
        assert client.structured_mode == "json_object"
    last = server.requests[-1]
    assert last["response_format"] == {"type": "json_object"}
    system = last["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("You tune models.")
    assert "JSON" in system["content"]
    assert requested_schema(last) == CHOICE_SCHEMA


def test_prompt_mode_sends_no_response_format():
    user_only = [Message(role="user", content="Pick.")]
    with ScriptedLLMServer([Reply.json(GOOD_ANSWER)]) as server:
        client = OpenAICompatibleClient(fast_config(server, structured_output="prompt"))
        assert client.complete(user_only, CHOICE_SCHEMA).parsed == GOOD_ANSWER
    body = server.requests[0]
    assert "response_format" not in body
    assert (
        body["messages"][0]["role"] == "system" and "JSON schema" in body["messages"][0]["content"]
    )
    assert body["messages"][1:] == [m.to_openai() for m in user_only]


def test_purpose_is_never_sent_but_other_params_are():
    with ScriptedLLMServer(["ok"]) as server:
        client = OpenAICompatibleClient(fast_config(server))
        client.complete(ASK, purpose="warmstart", temperature=0.1, max_tokens=32, seed=7, top_k=5)
    body = server.requests[0]
    assert "purpose" not in body
    assert "warmstart" not in json.dumps(body)
    assert (body["temperature"], body["max_tokens"], body["seed"], body["top_k"]) == (0.1, 32, 7, 5)


def test_invalid_schema_is_refused_before_any_request():
    with (
        ScriptedLLMServer(["ok"]) as server,
        pytest.raises(ValueError, match="invalid JSON schema"),
    ):
        OpenAICompatibleClient(fast_config(server)).complete(ASK, {"type": "no-such-type"})
    assert server.request_count == 0


def test_model_is_discovered_when_not_configured():
    with ScriptedLLMServer(["ok"], model="listed-model") as server:
        client = OpenAICompatibleClient(LLMConfig(base_url=server.base_url))
        assert client.model_name == ""
        client.complete(ASK)
    assert client.model_name == "listed-model"
    assert server.requests[0]["model"] == "listed-model"


def test_make_client_for_an_endpoint():
    with ScriptedLLMServer(["ok"]) as server:
        client = make_client(fast_config(server))
        assert client.complete(ASK).text == "ok"


def test_acomplete_behaves_like_complete():
    script = [Reply.error(500), "not json", Reply.json(GOOD_ANSWER), "second"]
    with ScriptedLLMServer(script) as server:
        client = OpenAICompatibleClient(fast_config(server))
        response = asyncio.run(client.acomplete(ASK, CHOICE_SCHEMA, purpose="warmstart"))
        assert response.parsed == GOOD_ANSWER
        assert response.attempts == 3
        # A second event loop gets working connections too.
        assert asyncio.run(client.acomplete(ASK)).text == "second"
    assert all("purpose" not in body for body in server.requests)


def test_acomplete_raises_the_same_errors():
    with ScriptedLLMServer(always(Reply.error(429, retry_after=0))) as server:
        client = OpenAICompatibleClient(fast_config(server, max_retries=1))
        with pytest.raises(LLMRateLimitError):
            asyncio.run(client.acomplete(ASK))
    assert server.request_count == 2


def test_acomplete_runs_concurrently():
    with ScriptedLLMServer(always(Reply(content="ok", delay_s=0.3))) as server:
        client = OpenAICompatibleClient(fast_config(server))

        async def many() -> list[str]:
            answers = await asyncio.gather(*(client.acomplete(ASK) for _ in range(4)))
            return [a.text for a in answers]

        started = time.monotonic()
        assert asyncio.run(many()) == ["ok"] * 4
    assert time.monotonic() - started < 1.0


def test_stream_param_is_refused():
    with ScriptedLLMServer(["ok"]) as server, pytest.raises(ValueError, match="stream"):
        OpenAICompatibleClient(fast_config(server)).complete(ASK, stream=True)
    assert server.request_count == 0


def test_raw_control_characters_inside_strings_are_accepted() -> None:
    from assistant.llm._json_output import parse_json_object

    assert parse_json_object('{"rationale": "line one\nline\ttwo", "x": 1}') == {
        "rationale": "line one\nline\ttwo",
        "x": 1,
    }


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_tools_go_out_and_tool_calls_come_back_then_the_answer_goes_in():
    script = [Reply.calling(("weather", {"city": "Oslo"})), Reply.text("Cold.")]
    with ScriptedLLMServer(script) as server:
        client = OpenAICompatibleClient(fast_config(server))
        first = client.complete(ASK, tools=[WEATHER_TOOL], tool_choice="auto")
        call = first.tool_calls[0]
        answer = Message(role="tool", content="-3 °C", tool_call_id=call.id)
        said = Message(role="assistant", content=first.text, tool_calls=first.tool_calls)
        second = client.complete([*ASK, said, answer], tools=[WEATHER_TOOL])
    assert (call.name, call.arguments) == ("weather", {"city": "Oslo"})
    assert first.parsed is None and second.text == "Cold." and second.tool_calls == ()
    assert server.requests[0]["tools"] == [WEATHER_TOOL]
    assert server.requests[0]["tool_choice"] == "auto"
    sent = server.requests[1]["messages"][len(ASK) :]
    assert sent[0]["tool_calls"] == [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
        }
    ]
    assert sent[1] == {"role": "tool", "content": "-3 °C", "tool_call_id": call.id}


@pytest.mark.parametrize("arguments", ['{"city": ', '["Oslo"]'], ids=["truncated", "not-object"])
def test_tool_call_arguments_that_are_not_a_json_object_are_a_problem(arguments):
    from openai.types.chat import ChatCompletion

    from assistant.llm.openai_client import _tool_calls

    completion = ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_0",
                                "type": "function",
                                "function": {"name": "weather", "arguments": arguments},
                            }
                        ],
                    },
                }
            ],
        }
    )
    calls, problem = _tool_calls(completion)
    assert calls == () and "'weather' tool call are not a JSON object" in problem


def test_a_plain_message_is_recorded_as_role_and_content_only():
    assert ASK[1].to_record() == {"role": "user", "content": "Pick."}
