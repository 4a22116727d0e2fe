"""Sessions: events, stop and resume, a killed process, workers sharing a session."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import optuna
import pytest

from assistant import events
from assistant.session import TuningSession
from assistant.store import Store
from assistant.tools import Dataset

REPO = Path(__file__).resolve().parents[2]
NAPPER = "tests.session.slow_tool:TOOL"


def test_a_session_writes_its_story_as_events(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=6, mode="off", isolation="inline", n_folds=3
    )
    result = session.run()
    kinds = [e.kind for e in session.events()]
    assert kinds[0] == events.SESSION_CREATED and kinds[1] == events.SESSION_STARTED
    assert kinds.count(events.TRIAL_STARTED) == kinds.count(events.TRIAL_FINISHED) == 6
    assert kinds.count(events.SUGGESTION) == 6
    assert kinds[-2:] == [events.FINAL_EVALUATION, events.SESSION_FINISHED]
    assert result.status == "finished" and result.final is not None
    assert store.get_session(session.id).result["n_complete"] == result.n_complete
    ids = [e.id for e in session.events()]
    assert ids == sorted(ids)


def test_reopened_by_id_from_the_store_alone(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=3, mode="off", isolation="inline", n_folds=3
    )
    session.run()
    again = TuningSession.open(session.id, Store(store.url))
    assert again.spec == session.spec
    assert again.result().best_config == session.result().best_config
    train, test = again.load_data()
    assert train.n_rows + test.n_rows == iris.n_rows


def test_stop_then_resume(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool=NAPPER, store=store, n_trials=8, mode="off", isolation="inline", n_folds=2
    )
    # a stop written by another face (another process in real life) through the store
    threading.Timer(1.5, lambda: TuningSession.open(session.id, store).stop()).start()
    first = session.run()
    assert first.status == "stopped"
    done = first.n_complete
    assert 0 < done < 8
    again = TuningSession.open(session.id, store).run()
    assert again.status == "finished"
    assert again.n_complete + again.n_pruned + again.n_failed == 8
    numbers = [t.number for t in session.study.trials]
    assert numbers == list(range(len(numbers)))


def test_a_stop_from_a_callback_ends_the_run_after_that_trial(store: Store, iris: Dataset) -> None:
    """A user's callback runs before the session's own stop check, so a stop it asks for
    takes effect at once, not one trial later."""
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=8, mode="off", isolation="inline", n_folds=2
    )

    def stop_after_the_third(_study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if trial.number == 2:
            session.stop()

    result = session.run(callbacks=[stop_after_the_third])
    assert result.status == "stopped"
    assert [t.number for t in session.study.trials] == [0, 1, 2]


@pytest.mark.integration
def test_resume_after_kill_9(tmp_path: Path, iris: Dataset) -> None:
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    session = TuningSession.create(
        iris, tool=NAPPER, store=Store(url), n_trials=10, mode="off", isolation="process", n_folds=2
    )
    script = (
        "import sys; from assistant.session import TuningSession; from assistant.store import "
        "Store; TuningSession.open(sys.argv[1], Store(sys.argv[2])).run()"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script, session.id, url], env=env)
    watcher = Store(url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        finished = watcher.events(session.id, kinds=[events.TRIAL_FINISHED])
        started = watcher.events(session.id, kinds=[events.TRIAL_STARTED])
        if len(finished) >= 3 and len(started) > len(finished):
            break  # mid-trial
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {
        t.number: (t.params, t.value)
        for t in session.study.trials
        if t.state == optuna.trial.TrialState.COMPLETE
    }
    assert len(before) >= 3
    time.sleep(2.5)
    resumed = TuningSession.open(session.id, Store(url, heartbeat_grace_s=2)).run()
    trials = session.study.trials
    after = {t.number: (t.params, t.value) for t in trials}
    assert all(after[n] == before[n] for n in before), "finished trials must be intact"
    states = [t.state for t in trials]
    assert optuna.trial.TrialState.RUNNING not in states
    abandoned = watcher.events(session.id, kinds=[events.TRIAL_ABANDONED])
    assert len(abandoned) == 1
    assert states[abandoned[0].trial_number] == optuna.trial.TrialState.FAIL
    assert resumed.n_complete + resumed.n_failed + resumed.n_pruned == 10
    assert len({t.number for t in trials}) == len(trials)
    db = sqlite3.connect(tmp_path / "killed.db")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


@pytest.mark.integration
def test_two_worker_processes_share_one_session(tmp_path: Path, iris: Dataset) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    session = TuningSession.create(
        iris, tool=NAPPER, store=Store(url), n_trials=12, mode="off", isolation="inline", n_folds=2
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [
        sys.executable,
        "-m",
        "assistant",
        "worker",
        "--storage",
        url,
        "--session",
        session.id,
        "--json",
    ]
    workers = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE) for _ in range(2)]
    for w in workers:
        assert w.wait(timeout=180) == 0
    trials = session.study.trials
    finished = [t for t in trials if t.state.is_finished()]
    assert len(finished) >= 12
    assert len({tuple(sorted(t.params.items())) for t in trials}) == len(trials)
    assert all(t.state != optuna.trial.TrialState.FAIL for t in trials)
    assert all(t.state.is_finished() for t in trials), "no trial may be lost"
    started = session.store.events(session.id, kinds=[events.SESSION_STARTED])
    assert [e.payload["worker"] for e in started] == [True, True]


def test_each_run_says_which_llm_it_asks(store: Store, iris: Dataset) -> None:
    from assistant.fold import session_view
    from assistant.llm import LLMConfig
    from assistant.testing import ScriptedLLMServer, schema_responder

    off = TuningSession.create(
        iris, tool="knn", store=store, n_trials=2, mode="off", isolation="inline", n_folds=3
    )
    off.run()
    assert session_view(store, off.id).started.llm_model is None
    with ScriptedLLMServer(schema_responder(seed=3)) as server:
        config = LLMConfig(base_url=server.base_url, model="scripted-m")
        on = TuningSession.create(
            iris, tool="knn", store=store, n_trials=2, llm=config, isolation="inline", n_folds=3
        )
        on.run()
    assert session_view(store, on.id).started.llm_model == "scripted-m"


def test_a_tool_that_cannot_run_leaves_the_session_recorded_as_failed(
    store: Store, iris: Dataset
) -> None:
    from assistant.errors import ToolError

    with pytest.raises(ToolError):
        TuningSession.create(iris, tool="no_such_tool", store=store, mode="off")
    (record,) = store.list_sessions()
    assert record.status == "failed"
