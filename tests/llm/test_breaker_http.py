"""The circuit breaker in the real client, over HTTP on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from assistant.errors import LLMConnectionError, LLMServerError, LLMUnavailableError
from assistant.llm import LLMConfig, Message, OpenAICompatibleClient
from assistant.testing import Reply, ScriptedLLMServer
from tests.llm.helpers import closed_port, fast_config

HELLO = [Message(role="user", content="hi")]


def client_of_a_dead_endpoint(**settings) -> OpenAICompatibleClient:
    """A client of a port on the loopback where nothing listens (connections are refused)."""
    base_url = f"http://127.0.0.1:{closed_port()}/v1"
    return OpenAICompatibleClient(LLMConfig(base_url=base_url, model="m", **settings))


def test_a_failing_endpoint_is_not_called_while_unavailable():
    down = {"on": True}

    def respond(_body):
        return Reply.error(500) if down["on"] else "back"

    with ScriptedLLMServer(respond) as server:
        client = OpenAICompatibleClient(
            fast_config(server, max_retries=2, breaker_threshold=3, breaker_cooldown_s=0.3)
        )
        changes = []
        client.health.subscribe(changes.append)
        with pytest.raises(LLMServerError):  # 3 requests: the last retry opens the breaker
            client.complete(HELLO)
        assert server.request_count == 3 and client.health.state == "unavailable"
        for _ in range(10):
            with pytest.raises(LLMUnavailableError, match="next try in"):
                client.complete(HELLO)
        assert server.request_count == 3  # nothing was sent while unavailable

        time.sleep(0.35)
        with pytest.raises(LLMUnavailableError):  # the probe fails: no retry of it
            client.complete(HELLO)
        assert server.request_count == 4

        down["on"] = False
        time.sleep(0.65)  # the cool-down doubled
        assert client.complete(HELLO).text == "back"
        assert client.health.state == "ok"
    assert [c.state for c in changes] == ["degraded", "unavailable", "ok"]


def test_a_refused_connection_opens_the_breaker_within_one_call():
    client = client_of_a_dead_endpoint(max_retries=5, backoff_s=0.01, breaker_threshold=3)
    with pytest.raises(LLMUnavailableError, match="unavailable after: connection failed"):
        client.complete(HELLO)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError):
        client.complete(HELLO)
    assert time.monotonic() - started < 0.05  # no request, no back-off


def test_output_errors_and_rate_limits_do_not_open_the_breaker():
    replies = [Reply.error(429, retry_after=0)] * 3 + ["not json"] * 6 + ['{"a": 1}']
    with ScriptedLLMServer(replies) as server:
        client = OpenAICompatibleClient(fast_config(server, max_retries=3, breaker_threshold=1))
        with pytest.raises(Exception) as caught:
            client.complete(HELLO, schema={"type": "object"})
        assert not isinstance(caught.value, LLMUnavailableError)
        assert client.health.state == "ok"


def test_connection_errors_are_still_their_own_type_with_the_breaker_closed():
    client = client_of_a_dead_endpoint(max_retries=1, backoff_s=0.0, breaker_threshold=5)
    with pytest.raises(LLMConnectionError):
        client.complete(HELLO)
    assert client.health.state == "degraded"
