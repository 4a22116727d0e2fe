"""REST handlers that read the store: sessions, a session's trials, events and timeline.

Every route is behind Jupyter's authentication (token or password, and XSRF for unsafe
methods) and only reads. The stores opened are kept in the web application's settings, so
there is no module-global state and two servers in one process stay apart.

Routes, under the server's base URL (``storage`` is an optional store URL; the server's
default is ``$ASSISTANT_STORAGE`` or ``./automl-assistant.db``). A SQLite ``storage`` must
name a file inside the server's root directory or beside the default store: a path
argument cannot reach other files (403).

- ``GET automl-assistant/sessions`` → ``{"storage", "sessions": [...]}``
- ``GET automl-assistant/sessions/ID`` → ``{"session", "trials": [...]}``
- ``GET automl-assistant/sessions/ID/events?after_id=N`` → ``{"events": [...], "last_id"}``
- ``GET automl-assistant/sessions/ID/timeline`` → ``{"entries": [...]}``
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from assistant.errors import SessionNotFoundError
from assistant.store import Store, default_storage_url, redact_url

NAMESPACE = "automl-assistant"
_SETTINGS_KEY = "automl_assistant_stores"
_SESSION_ID = r"(?P<session_id>[A-Za-z0-9_.\-]+)"


class StoreCache:
    """The stores this server has opened, by URL (one SQLAlchemy engine each)."""

    def __init__(self) -> None:
        self._stores: dict[str, Store] = {}
        self._lock = threading.Lock()

    def get(self, url: str) -> Store | None:
        """The store at ``url``; ``None`` for a SQLite file that does not exist yet (reading
        must not create databases)."""
        sqlite_file = url.startswith("sqlite:///") and ":memory:" not in url
        if sqlite_file and not Path(url.removeprefix("sqlite:///")).exists():
            return None
        with self._lock:
            if url not in self._stores:
                self._stores[url] = Store(url)
            return self._stores[url]

    def close(self) -> None:
        with self._lock:
            for store in self._stores.values():
                store.close()
            self._stores.clear()


class _StoreHandler(APIHandler):
    """Shared plumbing: which store, JSON out, blocking reads off the event loop."""

    def _storage_url(self) -> str:
        default = default_storage_url()
        url = self.get_argument("storage", "") or default
        if url != default and not _inside_allowed_dirs(url, self._allowed_dirs(default)):
            raise tornado.web.HTTPError(
                403, "storage: a SQLite file must lie inside the server's root directory"
            )
        return url

    def _allowed_dirs(self, default: str) -> list[Path]:
        dirs = [Path(self.settings.get("server_root_dir") or ".").expanduser()]
        if default.startswith("sqlite:///"):
            dirs.append(Path(default.removeprefix("sqlite:///")).parent)
        return [d.resolve() for d in dirs]

    def _store(self) -> Store | None:
        cache: StoreCache = self.settings[_SETTINGS_KEY]
        return cache.get(self._storage_url())

    async def _reply(self, read: Callable[[], Any]) -> None:
        try:
            body = await asyncio.to_thread(read)
        except SessionNotFoundError as exc:
            raise tornado.web.HTTPError(404, str(exc)) from exc
        self.finish(json.dumps(body, default=str))

    def _session_store(self, session_id: str) -> Store:
        store = self._store()
        if store is None:
            raise SessionNotFoundError(f"no session {session_id!r}: the store is empty")
        return store


class SessionsHandler(_StoreHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        def read() -> dict[str, Any]:
            store = self._store()
            sessions = store.list_sessions() if store else []
            return {
                "storage": redact_url(self._storage_url()),
                "sessions": [_session_summary(record) for record in sessions],
            }

        await self._reply(read)


class SessionHandler(_StoreHandler):
    @tornado.web.authenticated
    async def get(self, session_id: str) -> None:
        def read() -> dict[str, Any]:
            store = self._session_store(session_id)
            record = store.get_session(session_id)
            return {"session": _session_summary(record), "trials": _trials(store, record)}

        await self._reply(read)


class EventsHandler(_StoreHandler):
    @tornado.web.authenticated
    async def get(self, session_id: str) -> None:
        try:
            after_id = int(self.get_argument("after_id", "0"))
        except ValueError as exc:
            raise tornado.web.HTTPError(400, "after_id must be an integer") from exc
        kinds = [k for k in self.get_arguments("kind") if k] or None

        def read() -> dict[str, Any]:
            store = self._session_store(session_id)
            store.get_session(session_id)
            found = store.events(session_id, after_id=after_id, kinds=kinds)
            return {
                "events": [event.model_dump(mode="json") for event in found],
                "last_id": found[-1].id if found else after_id,
            }

        await self._reply(read)


class TimelineHandler(_StoreHandler):
    @tornado.web.authenticated
    async def get(self, session_id: str) -> None:
        from assistant.timeline import build_timeline

        def read() -> dict[str, Any]:
            store = self._session_store(session_id)
            entries = build_timeline(store, session_id)
            return {"entries": [entry.model_dump(mode="json") for entry in entries]}

        await self._reply(read)


def _session_summary(record: Any) -> dict[str, Any]:
    spec = record.spec or {}
    return {
        "id": record.id,
        "name": record.name,
        "status": record.status,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "tool": spec.get("tool"),
        "metric": spec.get("metric"),
        "direction": spec.get("direction"),
        "n_trials": spec.get("n_trials"),
        "mode": spec.get("mode"),
        "result": record.result,
    }


def _trials(store: Store, record: Any) -> list[dict[str, Any]]:
    """The session's trials from the event stream (the same fold as every face)."""
    from assistant.fold import fold_trials

    return [row.model_dump(mode="json") for row in fold_trials(store.events(record.id))]


def _inside_allowed_dirs(url: str, allowed: list[Path]) -> bool:
    """Whether a store URL stays inside ``allowed``: SQLite files must (symlinks and ``..``
    resolved first); server databases such as PostgreSQL are not paths and may be named."""
    if not url.startswith("sqlite"):
        return True
    if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
        return False
    path = Path(url.split("///", 1)[-1].split("?", 1)[0]).expanduser().resolve()
    return any(path.is_relative_to(folder) for folder in allowed)


def setup_handlers(web_app: Any) -> None:
    """Register the routes on a Jupyter server's tornado application."""
    web_app.settings.setdefault(_SETTINGS_KEY, StoreCache())
    base = url_path_join(web_app.settings["base_url"], NAMESPACE)
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "sessions"), SessionsHandler),
            (url_path_join(base, "sessions", _SESSION_ID), SessionHandler),
            (url_path_join(base, "sessions", _SESSION_ID, "events"), EventsHandler),
            (url_path_join(base, "sessions", _SESSION_ID, "timeline"), TimelineHandler),
        ],
    )
