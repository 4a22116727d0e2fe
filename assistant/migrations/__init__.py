"""Versioned migrations of the assistant's own tables (Alembic), kept apart from Optuna's.

Optuna keeps its tables in the same database and migrates them with Alembic too, recording
its revision in ``alembic_version``. Ours is recorded in :data:`VERSION_TABLE`, and every
migration, comparison and autogeneration sees only the tables named ``assistant_*``
(:func:`is_ours`), so neither history ever touches the other's tables.

Revisions are numbered ``0001``, ``0002``…, and revision *N* sets
``assistant_meta.schema_version`` to *N* (:func:`set_schema_version`, which the revision
template calls): releases from before the migrations read that row to refuse a store newer
than themselves. To change a table, edit its model in :mod:`assistant.store`, bump
``SCHEMA_VERSION`` there, run ``python -m assistant.migrations revision -m "what changed"``
and read what it wrote; ``tests/test_migrations.py`` fails until models and migrations agree.

:func:`upgrade` is what :class:`~assistant.store.Store` runs on opening a database. Alembic is
configured here in code: no ``alembic.ini`` is read.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from assistant.errors import StoreError

VERSION_TABLE = "assistant_alembic_version"
"""Our revision's table (Optuna's is ``alembic_version``, in the same database)."""
TABLE_PREFIX = "assistant_"
BASELINE = "0001"
"""The schema of the release before migrations, which made its tables with ``create_all``."""
BASELINE_TABLES = frozenset(
    {"assistant_meta", "assistant_sessions", "assistant_llm_calls", "assistant_events"}
)
# Any constant bigint: PostgreSQL's advisory lock that serializes first opens.
_PG_LOCK_KEY = 0x61_7574_6F6D_6C00  # "automl\0"


def is_ours(table: str) -> bool:
    """Whether a table belongs to the assistant (not to Optuna, not our version table)."""
    return table.startswith(TABLE_PREFIX) and table != VERSION_TABLE


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: reflect our tables only."""
    return type_ != "table" or (name is not None and is_ours(name))


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _to: Any) -> bool:
    """Alembic's ``include_object`` hook: compare and migrate our tables only."""
    return type_ != "table" or (name is not None and is_ours(name))


def context_options(dialect: str) -> dict[str, Any]:
    """The options every migration context of ours is configured with."""
    return {
        "version_table": VERSION_TABLE,
        "include_name": include_name,
        "include_object": include_object,
        "compare_type": True,
        # SQLite alters a table by copying it: autogenerate writes batch operations for it.
        "render_as_batch": dialect == "sqlite",
    }


def config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for our migrations, on a connection (in a transaction the
    caller commits) or, for ``python -m assistant.migrations``, on a URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent).replace("%", "%%"))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    """The newest revision this version knows."""
    revision = _script().get_current_head()
    assert revision is not None
    return revision


def known_revisions() -> set[str]:
    return {script.revision for script in _script().walk_revisions()}


def set_schema_version(number: int) -> None:
    """Inside a revision: record ``number`` as ``assistant_meta.schema_version``."""
    op.execute(
        text("UPDATE assistant_meta SET value = :value WHERE key = 'schema_version'").bindparams(
            value=str(number)
        )
    )


@dataclass(frozen=True)
class _Found:
    """What a database holds of ours."""

    tables: frozenset[str]
    revisions: tuple[str, ...]
    schema_version: int | None

    @classmethod
    def read(cls, conn: Connection) -> _Found:
        names = set(inspect(conn).get_table_names())
        revisions: tuple[str, ...] = ()
        if VERSION_TABLE in names:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))
            revisions = tuple(sorted(row[0] for row in rows))
        schema_version = None
        if "assistant_meta" in names:
            value = conn.execute(
                text("SELECT value FROM assistant_meta WHERE key = 'schema_version'")
            ).scalar()
            schema_version = None if value is None else int(value)
        return cls(frozenset(n for n in names if is_ours(n)), revisions, schema_version)

    def refuse_newer(self, where: str) -> None:
        latest = head()
        unknown = [r for r in self.revisions if r not in known_revisions()]
        if unknown or (self.schema_version or 0) > int(latest):
            written = unknown[0] if unknown else f"{self.schema_version:04d}"
            raise StoreError(
                f"the store at {where} was written by a newer version (schema {written} > "
                f"{latest}); upgrade automl-assistant"
            )


def upgrade(engine: Engine, where: str) -> None:
    """Bring our tables in the database of ``engine`` to the head revision.

    A database without our tables gets them; one with the release-before-migrations tables
    and no version table is stamped at :data:`BASELINE` first; one written by a newer
    version is refused with a :class:`~assistant.errors.StoreError` naming ``where``. Any
    number of processes may do this at once on the same database: the work is done under a
    database-wide lock, by the first one there, and the others find it done.
    """
    with engine.connect() as conn:
        found = _Found.read(conn)
    found.refuse_newer(where)
    if found.revisions == (head(),):
        return
    with _exclusive(engine) as conn:
        found = _Found.read(conn)  # another process may have migrated while we waited
        found.refuse_newer(where)
        cfg = config(conn)
        if not found.revisions and found.tables:
            missing = BASELINE_TABLES - found.tables
            if missing:
                raise StoreError(
                    f"the store at {where} has some of the assistant's tables but not "
                    f"{', '.join(sorted(missing))}, and no {VERSION_TABLE} table: it was not "
                    "written by automl-assistant, or its first opening was interrupted"
                )
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the database's migration lock until commit.

    PostgreSQL: a transaction-scoped advisory lock (its DDL is transactional, so a migration
    is all or nothing). SQLite: ``BEGIN IMMEDIATE`` takes the write lock at once, on a
    connection of its own whose DDL stays inside that transaction (Python's sqlite3 module
    would otherwise commit around it). Other databases migrate without a lock.
    """
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        locking = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 60})

        @event.listens_for(locking, "connect")
        def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(locking, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with locking.begin() as conn:
                yield conn
        finally:
            locking.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        yield conn
