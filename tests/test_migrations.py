"""Migrations of our tables: a store written before them opens and replays, the head matches
the models, Optuna's tables are never touched, newer stores are refused, first opens race."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import optuna
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect, text
from sqlalchemy.engine import make_url

from assistant import migrations
from assistant.errors import StoreError
from assistant.replay import replay_session
from assistant.session import TuningSession
from assistant.store import SCHEMA_VERSION, Store, _Base
from tests.session.test_postgres import postgres_url  # noqa: F401 (a fixture)

FIXTURE = Path(__file__).parent / "fixtures" / "store_v1.sqlite"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pg_url(postgres_url: str) -> Iterator[str]:  # noqa: F811
    """A new, empty database on the test PostgreSQL server."""
    name = f"assistant_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.integration]),
    ]
)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


def _revisions(url: str, table: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text(f"SELECT version_num FROM {table}"))]
    finally:
        engine.dispose()


def _v1_rows(path: Path) -> dict[str, list[tuple]]:
    """Our rows in the columns the v1 schema had (later revisions may add some), but the
    meta table's, whose schema version a migration changes."""
    with closing(sqlite3.connect(FIXTURE)) as v1, closing(sqlite3.connect(path)) as db:
        rows = {}
        for table in sorted(migrations.BASELINE_TABLES - {"assistant_meta"}):
            columns = ", ".join(f'"{c[1]}"' for c in v1.execute(f"PRAGMA table_info({table})"))
            rows[table] = db.execute(f"SELECT {columns} FROM {table} ORDER BY 1").fetchall()
        return rows


def _schema_version(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT value FROM assistant_meta WHERE key = 'schema_version'")
            ).scalar_one()
    finally:
        engine.dispose()


def _our_schema(path: Path) -> set[tuple[str, str, str]]:
    """Our tables' and indexes' DDL as SQLite keeps it, whitespace normalized."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL")
        return {
            (kind, name, " ".join(sql.split()))
            for kind, name, sql in rows
            if migrations.is_ours(name)
        }


# -- a store written by the release before migrations ------------------------------------
def test_a_v1_store_is_stamped_and_keeps_every_record(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    shutil.copyfile(FIXTURE, path)
    before = _v1_rows(path)
    optunas = _revisions(f"sqlite:///{FIXTURE}", "alembic_version")
    assert before["assistant_sessions"] and before["assistant_events"]
    assert before["assistant_llm_calls"]
    store = Store(f"sqlite:///{path}")
    assert _revisions(store.url, migrations.VERSION_TABLE) == [migrations.head()]
    assert _revisions(store.url, "alembic_version") == optunas  # Optuna's, untouched
    assert _schema_version(store.url) == str(SCHEMA_VERSION)
    assert _v1_rows(path) == before

    sessions = store.list_sessions()
    assert {s.id for s in sessions} == {row[0] for row in before["assistant_sessions"]}
    n_events = n_calls = 0
    for record in sessions:
        session = TuningSession.open(record.id, store)
        assert record.result is not None
        # Read back through today's model: every recorded field as written, new ones default.
        result = session.result()
        assert result.model_dump(mode="json") == type(result).model_validate(
            record.result
        ).model_dump(mode="json")
        assert set(record.result) <= set(result.model_dump(mode="json"))
        assert len(session.study.trials) == record.spec["n_trials"]
        events = store.events(record.id)
        assert [e.id for e in events] == sorted(e.id for e in events)
        n_events += len(events)
        n_calls += len(store.llm_calls(record.id))
        report = replay_session(store, record.id)
        assert report.reproduced, report.divergence
        assert report.n_replayed == record.spec["n_trials"]
    assert n_events == len(before["assistant_events"])
    assert n_calls == len(before["assistant_llm_calls"])
    store.close()
    # Opening it again finds it at the head and changes nothing.
    Store(f"sqlite:///{path}").close()
    assert _v1_rows(path) == before


def test_the_baseline_revision_is_exactly_the_v1_schema(tmp_path: Path) -> None:
    path = tmp_path / "baseline.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(migrations.config(conn), migrations.BASELINE)
    engine.dispose()
    assert _our_schema(path) == _our_schema(FIXTURE)
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("SELECT * FROM assistant_meta").fetchall() == [("schema_version", "1")]


# -- the head and the models -------------------------------------------------------------
def test_migrations_at_head_produce_exactly_the_models(empty_url: str) -> None:
    store = Store(empty_url)
    optuna.create_study(study_name="theirs", storage=store.optuna_storage)  # Optuna's tables
    with store.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts=migrations.context_options(conn.dialect.name)
        )
        assert compare_metadata(context, _Base.metadata) == []
        # The comparison does see a model that runs ahead of the migrations.
        ahead = MetaData()
        for table in _Base.metadata.tables.values():
            table.to_metadata(ahead)
        ahead.tables["assistant_events"].append_column(Column("extra", Integer, nullable=True))
        diffs = compare_metadata(context, ahead)
        assert [d[0] for d in diffs] == ["add_column"] and diffs[0][3].name == "extra"
    store.close()


def test_the_revisions_are_a_numbered_line_ending_at_schema_version() -> None:
    script = ScriptDirectory.from_config(migrations.config())
    chain = [s.revision for s in reversed(list(script.walk_revisions()))]
    assert chain == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    assert chain[0] == migrations.BASELINE and chain[-1] == migrations.head()
    assert int(migrations.head()) == SCHEMA_VERSION
    assert all(migrations.is_ours(name) for name in _Base.metadata.tables)


# -- fresh, newer and odd databases ------------------------------------------------------
def test_a_fresh_database_is_upgraded_beside_optuna(empty_url: str) -> None:
    store = Store(empty_url)
    sid = store.create_session(name="s", study_name="s")
    optuna.create_study(study_name="s", storage=store.optuna_storage)
    assert _revisions(empty_url, migrations.VERSION_TABLE) == [migrations.head()]
    assert len(_revisions(empty_url, "alembic_version")) == 1  # Optuna's own, beside ours
    assert _schema_version(empty_url) == str(SCHEMA_VERSION)
    store.close()
    reopened = Store(empty_url)
    assert reopened.get_session(sid).name == "s"
    reopened.close()


def test_an_in_memory_store_is_migrated_too() -> None:
    store = Store("sqlite:///:memory:")
    sid = store.create_session(name="m", study_name="m")
    store.append_event(sid, "note")
    assert [e.kind for e in store.events(sid)] == ["note"]
    with store.engine.connect() as conn:
        version = conn.execute(text(f"SELECT version_num FROM {migrations.VERSION_TABLE}"))
        assert version.scalar_one() == migrations.head()
    store.close()


@pytest.mark.parametrize(
    "newer",
    [
        f"UPDATE {migrations.VERSION_TABLE} SET version_num = '9999'",
        "UPDATE assistant_meta SET value = '9999' WHERE key = 'schema_version'",
    ],
    ids=["revision", "schema_version"],
)
def test_a_store_written_by_a_newer_version_is_refused(empty_url: str, newer: str) -> None:
    Store(empty_url).close()
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text(newer))
    engine.dispose()
    with pytest.raises(StoreError, match=r"written by a newer version .*upgrade automl-assistant"):
        Store(empty_url)


def test_downgrading_to_base_drops_ours_and_keeps_optunas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    optuna.create_study(study_name="kept", storage=store.optuna_storage)
    with store.engine.begin() as conn:
        command.downgrade(migrations.config(conn), "base")
    names = set(inspect(store.engine).get_table_names())
    assert not any(migrations.is_ours(name) for name in names)
    assert {"studies", "trials", "alembic_version"} <= names
    store.close()
    store = Store(url)  # and back up
    assert optuna.get_all_study_names(store.optuna_storage) == ["kept"]
    assert _revisions(url, migrations.VERSION_TABLE) == [migrations.head()]
    store.close()


def test_part_of_our_tables_without_a_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE TABLE assistant_meta (key VARCHAR(64) PRIMARY KEY, value TEXT)")
        db.commit()
    with pytest.raises(StoreError, match="assistant_events, assistant_llm_calls"):
        Store(f"sqlite:///{path}")


# -- several processes opening a new store at once ---------------------------------------
_OPEN = """
import sys, time
from pathlib import Path
from assistant.store import Store
ready, go, url = sys.argv[1:]
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.002)
Store(url).close()
"""


@pytest.mark.integration
def test_processes_racing_to_open_a_new_store_all_succeed(empty_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{i}" for i in range(3)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, str(flag), str(go), empty_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for flag in ready
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(flag.exists() for flag in ready):
            assert time.monotonic() < deadline, "the processes did not start"
            assert all(p.poll() is None for p in procs), [p.communicate()[0] for p in procs]
            time.sleep(0.01)
        go.touch()
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0] * len(procs), "\n".join(outputs)
    assert _revisions(empty_url, migrations.VERSION_TABLE) == [migrations.head()]
    store = Store(empty_url)
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM assistant_meta")).scalar_one() == 1
    store.close()
