"""Several machines, one session: two worker processes on a real PostgreSQL server.

The fixture starts Debian's PostgreSQL cluster (installed by `make test` / `.ci/run`) and
creates a fresh database. Without PostgreSQL the test is skipped, except in CI, where it
must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from sklearn.datasets import load_iris

from assistant import events
from assistant.session import TuningSession
from assistant.store import Store
from assistant.tools import Dataset

REPO = Path(__file__).resolve().parents[2]
SOCKET_DIR = "/var/run/postgresql"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if shutil.which("pg_ctlcluster") is None or shutil.which("psql") is None:
        _unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    if os.geteuid() != 0:
        _unavailable("starting the system PostgreSQL cluster needs root")
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout
    if not clusters.strip():
        _unavailable("no PostgreSQL cluster is set up")
    version, name, _port, status = clusters.split()[:4]
    started = status != "online"
    if started:
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=True)
    subprocess.run(["su", "postgres", "-c", "createuser -s root"], capture_output=True)
    database = f"assistant_test_{uuid.uuid4().hex[:8]}"
    subprocess.run(
        ["psql", "-h", SOCKET_DIR, "-d", "postgres", "-c", f"create database {database};"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg:///{database}?host={SOCKET_DIR}"
    finally:
        subprocess.run(
            [
                "psql",
                "-h",
                SOCKET_DIR,
                "-d",
                "postgres",
                "-c",
                f"drop database if exists {database} with (force);",
            ],
            capture_output=True,
        )
        if started:
            subprocess.run(["pg_ctlcluster", version, name, "stop"], capture_output=True)


@pytest.mark.postgres
@pytest.mark.integration
def test_two_workers_on_postgres_finish_every_trial_once(postgres_url: str, tmp_path: Path) -> None:
    data = Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")
    store = Store(postgres_url)
    session = TuningSession.create(
        data,
        tool="tests.session.slow_tool:TOOL",
        store=store,
        n_trials=12,
        mode="off",
        isolation="inline",
        n_folds=2,
        data_dir=tmp_path / "data",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [
        sys.executable,
        "-m",
        "assistant",
        "worker",
        "--storage",
        postgres_url,
        "--session",
        session.id,
        "--json",
    ]
    workers = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE) for _ in range(2)]
    for worker in workers:
        assert worker.wait(timeout=240) == 0
    trials = session.study.trials
    assert sum(t.state.is_finished() for t in trials) >= 12
    assert all(t.state.is_finished() for t in trials), "no trial may be lost"
    assert all(t.state != optuna.trial.TrialState.FAIL for t in trials)
    assert len({tuple(sorted(t.params.items())) for t in trials}) == len(trials)
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    started = store.events(session.id, kinds=[events.SESSION_STARTED])
    assert len(started) == 2 and all(e.payload["worker"] for e in started)
    # both workers really ran trials
    per_worker = {
        e.payload.get("worker_id") for e in store.events(session.id, kinds=[events.TRIAL_STARTED])
    }
    assert len(per_worker) == 2
