"""The circuit breaker: when the LLM is unavailable, for how long, and what listeners hear."""

from __future__ import annotations

import pytest

from assistant.errors import LLMUnavailableError
from assistant.llm.health import CircuitBreaker, HealthChange, UnavailableClient


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def breaker_with_log(clock: FakeClock, **options) -> tuple[CircuitBreaker, list[HealthChange]]:
    breaker = CircuitBreaker(clock=clock, **options)
    changes: list[HealthChange] = []
    breaker.subscribe(changes.append)
    return breaker, changes


def test_opens_after_threshold_consecutive_failures(clock):
    breaker, changes = breaker_with_log(clock, threshold=3, cooldown_s=30)
    assert breaker.admit() is False
    assert breaker.failed("connection refused") is False
    assert breaker.failed("connection refused") is False
    assert breaker.state == "degraded"
    assert breaker.failed("connection refused") is True
    assert breaker.state == "unavailable"
    assert [c.state for c in changes] == ["degraded", "unavailable"]
    assert changes[-1].retry_in_s == 30 and "3 failures in a row" in changes[-1].reason
    with pytest.raises(LLMUnavailableError, match="next try in 30s"):
        breaker.admit()


def test_a_success_resets_the_count(clock):
    breaker, changes = breaker_with_log(clock, threshold=2)
    breaker.failed("HTTP 500")
    breaker.succeeded()
    breaker.failed("HTTP 500")
    assert breaker.state == "degraded"
    assert [c.state for c in changes] == ["degraded", "ok", "degraded"]


def test_after_the_cooldown_one_probe_goes_through(clock):
    breaker, changes = breaker_with_log(clock, threshold=1, cooldown_s=10)
    breaker.failed("connection refused")
    clock.now = 9.9
    with pytest.raises(LLMUnavailableError):
        breaker.admit()
    clock.now = 10.0
    assert breaker.admit() is True  # the probe
    with pytest.raises(LLMUnavailableError):  # only one at a time
        breaker.admit()
    breaker.succeeded()
    assert breaker.state == "ok" and breaker.admit() is False
    assert [(c.previous, c.state) for c in changes] == [
        ("ok", "unavailable"),
        ("unavailable", "ok"),
    ]


def test_a_failed_probe_doubles_the_cooldown_up_to_the_cap(clock):
    breaker, changes = breaker_with_log(clock, threshold=1, cooldown_s=10, max_cooldown_s=25)
    breaker.failed("timeout")
    for expected_wait in (20, 25, 25):
        clock.now += 100
        assert breaker.admit() is True
        assert breaker.failed("timeout") is True
        with pytest.raises(LLMUnavailableError, match=f"next try in {expected_wait}s"):
            breaker.admit()
    assert len(changes) == 1  # still unavailable: no new transition


def test_a_permanent_trip_is_never_probed(clock):
    breaker, changes = breaker_with_log(clock)
    breaker.trip("the embedded LLM server died again (exit code 139)", permanent=True)
    clock.now = 10_000
    with pytest.raises(LLMUnavailableError, match="will not be tried again"):
        breaker.admit()
    assert changes[-1].permanent and changes[-1].retry_in_s is None
    assert breaker.admits_never


def test_a_restart_is_always_told(clock):
    breaker, changes = breaker_with_log(clock)
    breaker.degrade("server restarted", restarted=True)
    breaker.degrade("server restarted", restarted=True)
    assert [c.restarted for c in changes] == [True, True]


def test_a_failing_listener_does_not_break_the_llm_path(clock):
    breaker = CircuitBreaker(threshold=1, clock=clock)

    def broken(_change: HealthChange) -> None:
        raise RuntimeError("a face's bug")

    breaker.subscribe(broken)
    assert breaker.failed("refused") is True


def test_unsubscribe_stops_the_calls(clock):
    breaker = CircuitBreaker(threshold=1, clock=clock)
    seen: list[HealthChange] = []
    unsubscribe = breaker.subscribe(seen.append)
    unsubscribe()
    breaker.failed("refused")
    assert seen == []


def test_unavailable_client_fails_at_once_with_the_reason():
    client = UnavailableClient("EmbeddedLLMError: the server would not start")
    assert client.health.state == "unavailable" and client.health.admits_never
    with pytest.raises(LLMUnavailableError, match="would not start"):
        client.complete([])
