"""Scenario 1: a 50-trial full-mode session against an LLM that answers garbage 30% of the
time, HTTP 500 10%, 429 with Retry-After 10%, times out 5%, and drops connections, answers
in the wrong shape or out of range a few percent more."""

from __future__ import annotations

from pathlib import Path

import pytest
from optuna.trial import TrialState

from assistant import events
from assistant.sampler import SUGGESTION_ATTR
from benchmarks.reliability import SPACE, FaultyRun, faulty_llm, trial_ledger

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

N_TRIALS = 50


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> FaultyRun:
    return faulty_llm(Path(tmp_path_factory.mktemp("faulty")), n_trials=N_TRIALS)


def test_every_kind_of_fault_was_injected(run: FaultyRun) -> None:
    injected = run.mix.injected
    kinds = ("garbage", "server_error", "rate_limit", "timeout", "drop", "wrong_shape")
    assert all(injected[k] > 0 for k in (*kinds, "out_of_range")), injected
    assert injected["garbage"] > injected["server_error"]  # the mix is the issue's


def test_all_trials_run_and_none_is_lost(run: FaultyRun) -> None:
    ledger = trial_ledger(run.session)
    assert ledger["n_trials"] == N_TRIALS and ledger["numbers_contiguous"]
    assert ledger["started_events"] == ledger["finished_events"] == N_TRIALS
    assert ledger["duplicate_started"] == ledger["duplicate_finished"] == 0
    states = {t.state for t in run.session.study.trials}
    assert states <= {TrialState.COMPLETE, TrialState.PRUNED}, "an LLM fault failed a trial"
    assert run.session.result().status == "finished"


def test_every_executed_config_is_a_point_of_the_space(run: FaultyRun) -> None:
    assert all(SPACE.contains(t.params) for t in run.session.study.trials)
    started = run.session.store.events(run.session.id, kinds=[events.TRIAL_STARTED])
    assert all(SPACE.contains(e.payload["config"]) for e in started)


def test_every_fallback_is_recorded_on_its_trial_and_as_an_event(run: FaultyRun) -> None:
    on_trials = {
        (t.number, t.user_attrs[SUGGESTION_ATTR]["fallback"])
        for t in run.session.study.trials
        if t.user_attrs[SUGGESTION_ATTR]["fallback"]
    }
    as_events = {
        (e.trial_number, e.payload["reason"])
        for e in run.session.store.events(run.session.id, kinds=[events.FALLBACK])
    }
    assert on_trials and on_trials == as_events
    assert run.session.result().n_fallbacks == len(as_events)


def test_llm_call_records_show_the_errors(run: FaultyRun) -> None:
    calls = run.session.store.llm_calls(run.session.id)
    errors = {c.error_type for c in calls if c.error_type}
    expected = {
        "LLMOutputError",  # garbage, wrong shape, out of range
        "LLMServerError",
        "LLMRateLimitError",
        "LLMTimeoutError",
        "LLMConnectionError",  # dropped connections
    }
    assert expected <= errors, errors
    assert all(c.error for c in calls if c.error_type), "an error row without its message"
    assert all(c.response_parsed is not None for c in calls if not c.error_type)
    # every HTTP request is accounted for: a call row covers its retries and re-asks
    assert sum(c.attempts for c in calls) <= run.requests
