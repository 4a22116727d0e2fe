"""A session says plainly whether its LLM answered: health events, the summary, the faces."""

from __future__ import annotations

import time

import pytest

from assistant import events
from assistant.engine import EngineOptions
from assistant.llm import LLMConfig
from assistant.session import TuningSession
from assistant.testing import Reply, ScriptedLLMServer, delayed, schema_responder
from tests.llm.helpers import closed_port


def run_session(iris, store, isolation="inline", **options):
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=20, isolation=isolation, n_folds=3, **options
    )
    started = time.monotonic()
    result = session.run()
    return session, result, time.monotonic() - started


def run_with_slow_llm(iris, store, delay_s, seed):
    """A 20-trial session (sessions' defaults) with a scripted LLM over real HTTP that
    answers every call ``delay_s`` seconds late."""
    with ScriptedLLMServer(delayed(schema_responder(seed=seed), delay_s)) as server:
        llm = LLMConfig(base_url=server.base_url, model="m", timeout_s=10)
        return run_session(iris, store, llm=llm)


@pytest.mark.integration
def test_a_dead_llm_costs_little_and_is_said_plainly(iris, store):
    # Trials in worker processes, as by default.
    dead = LLMConfig(base_url=f"http://127.0.0.1:{closed_port()}/v1", model="m", timeout_s=2)
    session, result, _ = run_session(iris, store, isolation="process", llm=dead)

    assert result.n_complete + result.n_pruned + result.n_failed == 20
    assert result.n_complete >= 10  # the rest pruned: the pruner's work, not the LLM's
    health = result.llm_health
    assert health is not None and health.state == "unavailable"
    assert health.since_trial == 5 and health.calls_answered == 0 and health.llm_trials == 0
    # The breaker stops the retry cost: one call paid for its retries, the next one sent a
    # single request (the fifth failure in a row), and no other call sent anything.
    attempted = [c for c in session.store.llm_calls(session.id) if c.attempts > 0]
    assert [c.attempts for c in attempted] == [4, 1], [
        (c.error_type, c.attempts) for c in attempted
    ]
    assert health.calls_failed.get("LLMUnavailableError", 0) >= 2
    assert "LLM: unavailable from trial 5" in health.headline()
    assert "the search ran statistically" in health.headline()
    # Degraded at the warm start (trial 5, after the design), unavailable at the next call.
    changes = [
        (e.kind, e.trial_number) for e in session.store.events(session.id)
        if e.kind in events.LLM_HEALTH
    ]  # fmt: skip
    assert [kind for kind, _ in changes] == [events.LLM_DEGRADED, events.LLM_UNAVAILABLE]
    assert changes[0][1] == 5 and changes[1][1] >= 5
    (event,) = session.store.events(session.id, kinds=[events.LLM_UNAVAILABLE])
    assert "connection failed" in event.payload["reason"] and event.payload["retry_in_s"] == 30
    # What the dead LLM cost, as the store recorded it (back-off included): one call's
    # back-off schedule (0.5 + 1 + 2 s) and refused connections, not a retry cost per step.
    # A wall-clock ratio to an LLM-free run measured the machine's load more than this.
    backoff_s = sum(dead.backoff_s * 2**k for k in range(dead.max_retries))
    llm_s = sum(c.latency_s for c in session.store.llm_calls(session.id))
    assert llm_s <= backoff_s + 1.5, (llm_s, backoff_s)

    from assistant.replay import replay_session

    replay = replay_session(session.store, session.id)  # the failures replay as recorded
    assert replay.reproduced, replay.divergence


@pytest.mark.integration
def test_an_llm_that_comes_back_is_recorded_as_recovered(iris, store):
    answers = schema_responder(seed=0)
    state = {"requests": 0}

    def respond(body):
        state["requests"] += 1
        return Reply.error(503) if state["requests"] <= 2 else answers(body)

    with ScriptedLLMServer(respond) as server:
        config = LLMConfig(
            base_url=server.base_url,
            model="m",
            max_retries=1,
            backoff_s=0.0,
            breaker_threshold=2,
            breaker_cooldown_s=0.05,
        )
        session, result, _ = run_session(iris, store, llm=config)
    kinds = [e.kind for e in session.store.events(session.id) if e.kind in events.LLM_HEALTH]
    assert kinds[:2] == [events.LLM_DEGRADED, events.LLM_UNAVAILABLE]
    assert events.LLM_RECOVERED in kinds
    assert result.llm_health is not None and result.llm_health.state == "ok"
    assert result.llm_health.calls_answered > 0


def test_an_llm_that_cannot_be_set_up_leaves_the_session_statistical(iris, store, monkeypatch):
    from assistant.errors import EmbeddedLLMError

    def broken(_config=None):
        raise EmbeddedLLMError("the embedded LLM server exited with code 139 before it was ready")

    monkeypatch.setattr("assistant.llm.make_client", broken)
    session = TuningSession.create(
        iris,
        tool="knn",
        store=store,
        n_trials=6,
        isolation="inline",
        n_folds=3,
        llm=LLMConfig(embedded=True),
    )
    result = session.run()
    assert result.n_complete == 6
    assert result.llm_health is not None and result.llm_health.state == "unavailable"
    assert "exit" in result.llm_health.headline() and "code 139" in result.llm_health.headline()
    assert session.store.events(session.id, kinds=[events.LLM_UNAVAILABLE])[0].payload["permanent"]


def test_the_off_mode_says_off(iris, store):
    _, result, _ = run_session(iris, store, mode="off")
    assert result.llm_health is not None and result.llm_health.state == "off"
    assert result.llm_health.headline().startswith("LLM: off")


@pytest.mark.integration
def test_an_llm_that_contributes_nothing_is_called_sparsely_and_the_summary_says_so(iris, store):
    """Over real HTTP, an LLM answering random valid JSON (no signal): after the burn-in
    its calls become sparse, every face's headline says how often each kind was called and
    what it was estimated to contribute, and replay reaches the same decisions."""
    with ScriptedLLMServer(schema_responder(seed=3)) as server:
        llm = LLMConfig(base_url=server.base_url, model="m", timeout_s=10)
        # Every trial waits for its step, so the count of steps does not depend on timing;
        # two surrogate samples a step, so the count of calls shows the samples too.
        waits = EngineOptions(llm_wait="always", n_surrogate_samples=2)
        session, result, _ = run_session(iris, store, llm=llm, options=waits)
    health = result.llm_health
    assert health is not None and health.state == "ok"
    # 20 trials: 5 in the design, 1 from the warm start (it did not beat the design, so
    # its other point went back), 1 statistical step while the LLM's first step was planned.
    assert health.model_steps == 13
    assert 4 <= health.steps_calling["surrogate"] <= health.model_steps // 2
    assert 4 <= health.steps_calling["propose"] <= health.model_steps // 2
    surrogate_calls = sum(c.purpose == "surrogate" for c in session.store.llm_calls(session.id))
    assert surrogate_calls == 2 * health.steps_calling["surrogate"]  # two samples per call
    headline = health.headline()
    assert f"surrogate at {health.steps_calling['surrogate']} of 13 steps" in headline
    assert f"proposals at {health.steps_calling['propose']} of 13 steps" in headline

    from assistant.replay import replay_session

    replay = replay_session(session.store, session.id)
    assert replay.reproduced, replay.divergence


@pytest.mark.integration
def test_a_session_never_waits_for_a_slow_llm_and_replays_the_same(iris, store):
    """Sessions run with llm_wait="never": over real HTTP, an LLM that takes 0.3 s per call
    does not hold up trials of a few milliseconds; the trials that did not wait say so, and
    replay (instant answers) reproduces every suggestion by following the record."""
    session, result, elapsed = run_with_slow_llm(iris, store, delay_s=0.3, seed=5)
    assert session.spec.options["llm_wait"] == "never"
    suggestions = [e.payload for e in session.store.events(session.id, kinds=[events.SUGGESTION])]
    skipped = [s for s in suggestions if s.get("llm_ready") is False]
    assert skipped and all("still running" in s["fallback"] for s in skipped)
    health = result.llm_health
    assert health is not None and health.trials_not_waiting == len(skipped)
    assert f"{len(skipped)} trial(s) ran statistically rather than wait" in health.headline()
    calls = session.store.llm_calls(session.id)
    assert elapsed < 0.3 * len(calls) + 10, (elapsed, len(calls))  # calls overlapped trials
    assert result.n_complete + result.n_pruned == 20

    from assistant.replay import replay_session

    replay = replay_session(session.store, session.id)
    assert replay.reproduced, replay.divergence


@pytest.mark.integration
def test_the_warm_start_is_waited_for_even_when_steps_are_not(iris, store):
    """A session does not wait for the LLM's model steps, but its warm start (one call, right
    after the design) is planned when the design ends and its points run: an LLM slower
    than the trials still contributes them (the embedded model's first call also starts it)."""
    session, result, _ = run_with_slow_llm(iris, store, delay_s=1.0, seed=6)
    sources = [e.payload["source"] for e in store.events(session.id, kinds=[events.SUGGESTION])]
    assert "warmstart" not in sources[:5] and sources[5] == "warmstart"
    assert result.llm_health is not None and result.llm_health.llm_trials >= 1
