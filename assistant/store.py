"""One store for everything: Optuna's RDB tables and the assistant's own, in one database.

A single URL configures it (SQLite file by default, in WAL mode; PostgreSQL by URL). Our
tables hold tuning sessions, every LLM call (messages, parameters, response, usage, latency,
error) and the event stream that every face renders; they are made and upgraded by the
versioned migrations in :mod:`assistant.migrations` (Alembic, with a version table of their
own beside Optuna's). Secrets registered with :meth:`Store.add_secret` are scrubbed from
everything written, so an API key cannot land in a record even if it leaks into a prompt or
an error message.

Example:
    >>> store = Store("sqlite:///:memory:")
    >>> session_id = store.create_session(name="demo", study_name="demo")
    >>> store.append_event(session_id, "note", {"text": "hello"})
    1
    >>> [e.kind for e in store.events(session_id)]
    ['note']
"""

from __future__ import annotations

import os
import secrets
import threading
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import optuna
from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from assistant.errors import SessionNotFoundError, StoreError

SCHEMA_VERSION = 1
"""The number of the newest migration (``assistant/migrations/versions/``), which it writes
to ``assistant_meta.schema_version``; a store with a larger one was written by a newer
version and is refused."""
REDACTED = "[REDACTED]"
DEFAULT_STORE_ENV = "ASSISTANT_STORAGE"
HEARTBEAT_INTERVAL_S = 5
HEARTBEAT_GRACE_S = 20


def default_storage_url() -> str:
    """The store used when none is given: ``$ASSISTANT_STORAGE`` or ``./automl-assistant.db``."""
    return os.environ.get(DEFAULT_STORE_ENV) or f"sqlite:///{Path('automl-assistant.db').resolve()}"


def redact_url(url: str) -> str:
    """A database URL with its password replaced by ``***``."""
    return make_url(url).render_as_string(hide_password=True)


def _now() -> datetime:
    return datetime.now(UTC)


class _Base(DeclarativeBase):
    pass


class _Meta(_Base):
    __tablename__ = "assistant_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class _SessionRow(_Base):
    __tablename__ = "assistant_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    study_name: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(32), default="created")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class _LLMCallRow(_Base):
    __tablename__ = "assistant_llm_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str | None] = mapped_column(
        ForeignKey("assistant_sessions.id"), index=True, nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    purpose: Mapped[str] = mapped_column(String(64), default="")
    model: Mapped[str] = mapped_column(String(256), default="")
    base_url: Mapped[str] = mapped_column(String(512), default="")
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    json_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_parsed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_s: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error_type: Mapped[str | None] = mapped_column(String(128), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class _EventRow(_Base):
    __tablename__ = "assistant_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("assistant_sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    kind: Mapped[str] = mapped_column(String(64), index=True)
    trial_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SessionRecord(BaseModel):
    """A tuning session as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    study_name: str
    status: str
    created_at: datetime
    updated_at: datetime
    spec: dict[str, Any]
    result: dict[str, Any] | None = None


class LLMCallRecord(BaseModel):
    """One LLM call as stored (successful or not)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: str | None
    created_at: datetime
    purpose: str
    model: str
    base_url: str
    messages: list[dict[str, Any]]
    json_schema: dict[str, Any] | None
    params: dict[str, Any]
    response_text: str | None
    response_parsed: dict[str, Any] | None
    prompt_tokens: int
    completion_tokens: int
    latency_s: float
    attempts: int
    error_type: str | None
    error: str | None


class EventRecord(BaseModel):
    """One event of a session's stream."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: str
    created_at: datetime
    kind: str
    trial_number: int | None
    payload: dict[str, Any]


def new_session_id() -> str:
    """A time-sortable, unique session id such as ``20261124-113501-3f9a1c``."""
    return f"{_now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Store:
    """The assistant's database: Optuna's storage plus sessions, LLM calls and events.

    Args:
        url: SQLAlchemy URL; ``None`` means :func:`default_storage_url`.
        heartbeat_grace_s: how long a running trial may go without a heartbeat before any
            process may declare it dead (its process killed or its machine lost).
    """

    def __init__(
        self, url: str | None = None, *, heartbeat_grace_s: int = HEARTBEAT_GRACE_S
    ) -> None:
        self.url = url or default_storage_url()
        self.heartbeat_grace_s = heartbeat_grace_s
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._optuna_storage: optuna.storages.RDBStorage | None = None
        self.engine: Engine = self._make_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._upgrade_schema()

    # -- setup -------------------------------------------------------------------------
    @staticmethod
    def _make_engine(url: str) -> Engine:
        if url.startswith("sqlite"):
            if url in ("sqlite://", "sqlite:///:memory:"):
                from sqlalchemy.pool import StaticPool

                engine = create_engine(
                    url, connect_args={"check_same_thread": False}, poolclass=StaticPool
                )
            else:
                path = url.split("///", 1)[-1]
                if path:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 60})

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.execute("PRAGMA busy_timeout=60000")
                cursor.close()

            return engine
        return create_engine(url, pool_pre_ping=True)

    def _upgrade_schema(self) -> None:
        # Alembic is imported when a store is opened, not when the package is.
        from assistant import migrations

        try:
            migrations.upgrade(self.engine, self.display_url)
        except StoreError:
            raise
        except Exception as exc:  # the URL is the user's: say which one failed
            raise StoreError(f"cannot open the store at {self.display_url}: {exc}") from exc

    @property
    def display_url(self) -> str:
        """The URL with any password hidden."""
        return redact_url(self.url)

    @property
    def optuna_storage(self) -> optuna.storages.RDBStorage:
        """Optuna's RDB storage on the same database (created once, shared)."""
        with self._lock:
            if self._optuna_storage is None:
                kwargs: dict[str, Any] = {}
                if self.url.startswith("sqlite"):
                    kwargs = {"connect_args": {"timeout": 60}}
                    if self.url in ("sqlite://", "sqlite:///:memory:"):
                        raise StoreError(
                            "an in-memory SQLite store cannot hold Optuna studies; "
                            "use a file URL such as sqlite:///tuning.db"
                        )
                else:
                    kwargs = {"pool_pre_ping": True}
                # Heartbeats let any process tell a trial whose process died (kill -9, a
                # lost machine) from one still running elsewhere.
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    self._optuna_storage = optuna.storages.RDBStorage(
                        self.url,
                        engine_kwargs=kwargs,
                        heartbeat_interval=min(HEARTBEAT_INTERVAL_S, self.heartbeat_grace_s),
                        grace_period=self.heartbeat_grace_s,
                    )
            return self._optuna_storage

    # -- secrets -----------------------------------------------------------------------
    def add_secret(self, value: str | None) -> None:
        """Register a secret (an API key) that must never be written."""
        if value and len(value) >= 4:
            self._secrets.add(value)

    def scrub(self, value: Any) -> Any:
        """Return ``value`` with every registered secret replaced by ``[REDACTED]``."""
        if not self._secrets:
            return value
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.scrub(v) for v in value]
        return value

    # -- sessions ----------------------------------------------------------------------
    def create_session(
        self,
        *,
        name: str,
        study_name: str,
        spec: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> str:
        """Create a session row and return its id."""
        sid = session_id or new_session_id()
        with self._sessions.begin() as db:
            db.add(
                _SessionRow(
                    id=sid,
                    name=self.scrub(name),
                    study_name=study_name,
                    spec=self.scrub(spec or {}),
                )
            )
        return sid

    def get_session(self, session_id: str) -> SessionRecord:
        """Return one session; raise :class:`SessionNotFoundError` if it does not exist."""
        with self._sessions() as db:
            row = db.get(_SessionRow, session_id)
            if row is None:
                raise SessionNotFoundError(f"no session {session_id!r} in {self.display_url}")
            return SessionRecord.model_validate(row)

    def list_sessions(self) -> list[SessionRecord]:
        """All sessions, newest first."""
        with self._sessions() as db:
            rows = db.scalars(select(_SessionRow).order_by(_SessionRow.created_at.desc()))
            return [SessionRecord.model_validate(r) for r in rows]

    def update_session(
        self,
        session_id: str,
        *,
        status: str | None = None,
        result: dict[str, Any] | None = None,
        spec: dict[str, Any] | None = None,
    ) -> None:
        """Change a session's status, result or spec."""
        with self._sessions.begin() as db:
            row = db.get(_SessionRow, session_id)
            if row is None:
                raise SessionNotFoundError(f"no session {session_id!r} in {self.display_url}")
            if status is not None:
                row.status = status
            if result is not None:
                row.result = self.scrub(result)
            if spec is not None:
                row.spec = self.scrub(spec)
            row.updated_at = _now()

    # -- LLM calls ---------------------------------------------------------------------
    def record_llm_call(self, session_id: str | None, **fields: Any) -> int:
        """Write one LLM call (fields as in :class:`LLMCallRecord`) and return its id."""
        with self._sessions.begin() as db:
            row = _LLMCallRow(session_id=session_id, **self.scrub(fields))
            db.add(row)
            db.flush()
            return row.id

    def llm_calls(self, session_id: str | None) -> list[LLMCallRecord]:
        """A session's LLM calls in the order they were made."""
        with self._sessions() as db:
            query = select(_LLMCallRow).order_by(_LLMCallRow.id)
            query = (
                query.where(_LLMCallRow.session_id.is_(None))
                if session_id is None
                else query.where(_LLMCallRow.session_id == session_id)
            )
            return [LLMCallRecord.model_validate(r) for r in db.scalars(query)]

    # -- events ------------------------------------------------------------------------
    def append_event(
        self,
        session_id: str,
        kind: str,
        payload: dict[str, Any] | None = None,
        *,
        trial_number: int | None = None,
    ) -> int:
        """Append an event to a session's stream and return its id (ids only increase)."""
        with self._sessions.begin() as db:
            row = _EventRow(
                session_id=session_id,
                kind=kind,
                trial_number=trial_number,
                payload=self.scrub(payload or {}),
            )
            db.add(row)
            db.flush()
            return row.id

    def events(
        self,
        session_id: str,
        *,
        after_id: int = 0,
        kinds: Iterable[str] | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """A session's events with id greater than ``after_id``, oldest first."""
        with self._sessions() as db:
            query = (
                select(_EventRow)
                .where(_EventRow.session_id == session_id, _EventRow.id > after_id)
                .order_by(_EventRow.id)
            )
            if kinds is not None:
                query = query.where(_EventRow.kind.in_(list(kinds)))
            if limit is not None:
                query = query.limit(limit)
            return [EventRecord.model_validate(r) for r in db.scalars(query)]

    def close(self) -> None:
        """Dispose of the database connections."""
        self.engine.dispose()
        if self._optuna_storage is not None:
            self._optuna_storage.remove_session()
            self._optuna_storage.engine.dispose()
