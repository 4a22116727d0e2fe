"""Replay: fast (no LLM, no training) reproduces a session; an altered record diverges;
re-execution retrains and compares."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from assistant.llm import LLMConfig
from assistant.replay import reexecute_session, replay_session
from assistant.session import TuningSession
from assistant.store import Store
from assistant.testing import FaultMix, ScriptedLLMServer, schema_responder
from assistant.tools import Dataset


@pytest.fixture
def recorded(store: Store, iris: Dataset) -> tuple[Store, str, ScriptedLLMServer]:
    mix = FaultMix(
        schema_responder(seed=3),
        garbage=0.15,
        server_error=0.0,
        rate_limit=0.0,
        timeout=0.0,
        seed=3,
    )
    server = ScriptedLLMServer(mix).start()
    config = LLMConfig(
        base_url=server.base_url,
        model="scripted",
        api_key="sk-REPLAY-SECRET",
        timeout_s=2,
        max_retries=0,
        output_retries=0,
        backoff_s=0,
    )
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=9, llm=config, isolation="inline", n_folds=3, seed=5
    )
    session.run()
    yield store, session.id, server
    server.stop()


def test_fast_replay_reproduces_with_zero_http(recorded) -> None:
    store, session_id, server = recorded
    before = server.request_count
    report = replay_session(store, session_id)
    assert server.request_count == before, "replay must not call the LLM"
    assert report.reproduced, report.divergence
    assert report.n_replayed == report.n_trials == 9
    assert report.llm_calls_served == report.llm_calls_recorded > 0


def test_an_altered_record_is_detected(recorded) -> None:
    store, session_id, _server = recorded
    with store.engine.begin() as db:
        first_propose = db.execute(
            text(
                "select id from assistant_llm_calls where session_id = :s and purpose = 'propose' "
                "order by id limit 1"
            ),
            {"s": session_id},
        ).scalar_one()
        db.execute(
            text("update assistant_llm_calls set messages = :m where id = :i"),
            {"m": '[{"role": "user", "content": "tampered"}]', "i": first_propose},
        )
    report = replay_session(store, session_id)
    assert not report.reproduced
    assert report.divergence is not None and "messages" in report.divergence.what


def test_reexecution_reproduces_a_small_sklearn_session(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=4, mode="off", isolation="inline", n_folds=3
    )
    session.run()
    report = reexecute_session(store, session.id, tolerance=1e-9)
    assert report.compared >= 1 and report.reproduced
    assert report.max_abs_diff <= 1e-9


def test_replay_of_a_stopped_and_resumed_session(store: Store, iris: Dataset) -> None:
    with ScriptedLLMServer(schema_responder(seed=8)) as server:
        config = LLMConfig(
            base_url=server.base_url, model="scripted", timeout_s=2, max_retries=0, backoff_s=0
        )
        session = TuningSession.create(
            iris,
            tool="knn",
            store=store,
            n_trials=10,
            llm=config,
            isolation="inline",
            n_folds=3,
            seed=2,
        )
        session.run(n_trials=6)  # a first run that ends early, as if stopped
        TuningSession.open(session.id, store).run()
        report = replay_session(store, session.id)
    assert report.n_trials == 10
    assert report.reproduced, report.divergence
