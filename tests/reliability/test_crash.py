"""Scenario 2: SIGKILL. A trial worker killed mid-trial fails that trial with a reason and
the session goes on; a session process killed while talking to an LLM resumes with every
finished trial intact, no event or trial duplicated and a sound database. (The plain
kill -9 resume of a statistical session is in tests/session/test_session.py.)"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from optuna.trial import TrialState

from assistant import events
from assistant.llm import LLMConfig
from assistant.session import TuningSession
from assistant.store import Store
from assistant.testing import ScriptedLLMServer, schema_responder
from benchmarks.reliability import (
    FAST_LLM,
    LIGHT_ENGINE,
    NAPPER_PATH,
    WorkerKill,
    integrity_ok,
    kill_worker_mid_trial,
    toy_data,
    trial_ledger,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

REPO = Path(__file__).resolve().parents[2]
N_TRIALS = 8


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> WorkerKill:
    return kill_worker_mid_trial(Path(tmp_path_factory.mktemp("worker-kill")), N_TRIALS)


def test_the_killed_trial_fails_with_its_reason(killed: WorkerKill) -> None:
    failed = [t for t in killed.session.study.trials if t.state == TrialState.FAIL]
    assert len(failed) == 1
    assert "SIGKILL" in failed[0].user_attrs["failure_reason"]
    finished = killed.session.store.events(killed.session.id, kinds=[events.TRIAL_FINISHED])
    ending = next(e for e in finished if e.trial_number == failed[0].number)
    assert ending.payload["status"] == "failed" and "SIGKILL" in ending.payload["error"]


def test_the_session_goes_on_to_the_end(killed: WorkerKill) -> None:
    result = killed.session.result()
    assert result.status == "finished" and result.final is not None
    assert result.n_complete + result.n_pruned + result.n_failed == N_TRIALS
    assert result.n_complete + result.n_pruned == N_TRIALS - 1


def test_nothing_before_the_kill_changed_and_nothing_is_duplicated(killed: WorkerKill) -> None:
    after = {t.number: (t.params, t.value) for t in killed.session.study.trials}
    assert len(killed.before) >= 3
    assert all(after[n] == killed.before[n] for n in killed.before)
    ledger = trial_ledger(killed.session)
    assert ledger["numbers_contiguous"] and ledger["running_left"] == 0
    assert ledger["started_events"] == ledger["finished_events"] == N_TRIALS
    assert ledger["duplicate_started"] == ledger["duplicate_finished"] == 0
    assert integrity_ok(killed.url)


def test_kill_9_of_a_session_talking_to_an_llm_resumes_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'killed-full.db'}"
    with ScriptedLLMServer(schema_responder(seed=2)) as server:
        session = TuningSession.create(
            toy_data(),
            tool=NAPPER_PATH,
            store=Store(url),
            metric="accuracy",
            n_trials=9,
            n_folds=2,
            mode="full",
            llm=LLMConfig(base_url=server.base_url, model="scripted", **FAST_LLM),
            options=LIGHT_ENGINE,
            isolation="inline",
            data_dir=tmp_path / "data",
        )
        script = (
            "import sys; from assistant.session import TuningSession; from assistant.store "
            "import Store; TuningSession.open(sys.argv[1], Store(sys.argv[2])).run()"
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.Popen([sys.executable, "-c", script, session.id, url], env=env)
        watcher = Store(url)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            finished = watcher.events(session.id, kinds=[events.TRIAL_FINISHED])
            started = watcher.events(session.id, kinds=[events.TRIAL_STARTED])
            # killed after the LLM's warm start (the step after the five-trial design)
            if len(finished) >= 6 and len(started) > len(finished):
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        before = {
            t.number: (t.params, t.value) for t in session.study.trials if t.state.is_finished()
        }
        calls_before = len(watcher.llm_calls(session.id))
        assert len(before) >= 6 and calls_before > 0
        time.sleep(2.5)
        resumed = TuningSession.open(session.id, Store(url, heartbeat_grace_s=2)).run()
    trials = session.study.trials
    assert all((t.params, t.value) == before[t.number] for t in trials if t.number in before)
    assert resumed.status == "finished"
    assert resumed.n_complete + resumed.n_pruned + resumed.n_failed == 9
    abandoned = watcher.events(session.id, kinds=[events.TRIAL_ABANDONED])
    assert [trials[e.trial_number].state for e in abandoned] == [TrialState.FAIL]
    ledger = trial_ledger(session)
    assert ledger["numbers_contiguous"] and ledger["running_left"] == 0
    assert ledger["duplicate_started"] == ledger["duplicate_finished"] == 0
    # the abandoned trial started but never finished; every other trial did both, once
    assert ledger["started_events"] == ledger["finished_events"] + 1 == len(trials)
    suggestions = collections.Counter(
        e.trial_number for e in watcher.events(session.id, kinds=[events.SUGGESTION])
    )
    assert max(suggestions.values()) == 1, "a trial got two suggestions"
    assert len(watcher.llm_calls(session.id)) >= calls_before, "LLM records were lost"
    assert integrity_ok(url)
