"""The server extension's REST routes, through a real jupyter_server (``jp_fetch``)."""

from __future__ import annotations

import json
import os
import warnings

import pytest
from tornado.httpclient import HTTPClientError

from assistant.store import Store


@pytest.fixture
def store() -> Store:
    """The default store (``$ASSISTANT_STORAGE``, a temp file) with one session in it."""
    store = Store(os.environ["ASSISTANT_STORAGE"])
    sid = store.create_session(
        name="knn on iris",
        study_name="assistant-x",
        spec={"tool": "knn", "metric": "accuracy", "direction": "maximize", "n_trials": 2},
        session_id="20261124-120000-abcdef",
    )
    store.append_event(sid, "suggestion", {"config": {"k": 3}, "source": "default"}, trial_number=0)
    store.append_event(sid, "trial_started", {"config": {"k": 3}}, trial_number=0)
    store.append_event(
        sid, "trial_finished", {"status": "complete", "value": 0.9, "duration_s": 0.1},
        trial_number=0,
    )  # fmt: skip
    store.append_event(sid, "user_action", {"action": "stop"})
    return store


def _get(jp_asyncio_loop, jp_fetch, *parts: str, **params: str) -> dict:
    response = jp_asyncio_loop.run_until_complete(
        jp_fetch("automl-assistant", *parts, method="GET", params=params)
    )
    assert response.code == 200
    return json.loads(response.body)


def test_sessions_list(store, jp_fetch, jp_asyncio_loop) -> None:
    body = _get(jp_asyncio_loop, jp_fetch, "sessions")
    assert [s["id"] for s in body["sessions"]] == ["20261124-120000-abcdef"]
    assert body["sessions"][0]["metric"] == "accuracy"


def test_session_with_trials(store, jp_fetch, jp_asyncio_loop) -> None:
    body = _get(jp_asyncio_loop, jp_fetch, "sessions", "20261124-120000-abcdef")
    assert body["session"]["name"] == "knn on iris"
    (trial,) = body["trials"]
    assert trial["number"] == 0
    assert trial["status"] == "complete"
    assert trial["value"] == 0.9
    assert trial["suggestion"]["source"] == "default"


def test_events_after_id(store, jp_fetch, jp_asyncio_loop) -> None:
    sid = "20261124-120000-abcdef"
    everything = _get(jp_asyncio_loop, jp_fetch, "sessions", sid, "events")
    assert [e["kind"] for e in everything["events"]] == [
        "suggestion", "trial_started", "trial_finished", "user_action",
    ]  # fmt: skip
    first = everything["events"][0]["id"]
    later = _get(jp_asyncio_loop, jp_fetch, "sessions", sid, "events", after_id=str(first))
    assert len(later["events"]) == 3
    assert later["last_id"] == everything["last_id"]
    none = _get(jp_asyncio_loop, jp_fetch, "sessions", sid, "events", after_id=str(10**6))
    assert none == {"events": [], "last_id": 10**6}


def test_timeline(store, jp_fetch, jp_asyncio_loop) -> None:
    body = _get(jp_asyncio_loop, jp_fetch, "sessions", "20261124-120000-abcdef", "timeline")
    titles = [entry["title"] for entry in body["entries"]]
    assert titles[-1] == "User action: stop"
    assert "Trial 0 finished: accuracy 0.9 (complete)" in titles


def test_other_store_by_url(jp_root_dir, jp_fetch, jp_asyncio_loop) -> None:
    url = f"sqlite:///{jp_root_dir / 'other.db'}"
    Store(url).create_session(name="elsewhere", study_name="s", session_id="other-1")
    body = _get(jp_asyncio_loop, jp_fetch, "sessions", storage=url)
    assert [s["name"] for s in body["sessions"]] == ["elsewhere"]


def test_missing_store_is_empty_and_not_created(jp_root_dir, jp_fetch, jp_asyncio_loop) -> None:
    path = jp_root_dir / "absent.db"
    body = _get(jp_asyncio_loop, jp_fetch, "sessions", storage=f"sqlite:///{path}")
    assert body["sessions"] == []
    assert not path.exists()


@pytest.mark.parametrize(
    "where",
    ["/etc/passwd", "{root}/../outside.db", "{tmp}/elsewhere.db", ":memory:"],
)
def test_storage_cannot_leave_the_root_directory(
    where, jp_root_dir, tmp_path_factory, jp_fetch, jp_asyncio_loop
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    Store(f"sqlite:///{outside / 'elsewhere.db'}").create_session(name="x", study_name="x")
    url = "sqlite:///" + where.format(root=jp_root_dir, tmp=outside)
    with pytest.raises(HTTPClientError) as error:
        jp_asyncio_loop.run_until_complete(
            jp_fetch("automl-assistant", "sessions", params={"storage": url})
        )
    assert error.value.code == 403


def test_unknown_session_is_404(store, jp_fetch, jp_asyncio_loop) -> None:
    for parts in (("nope",), ("nope", "events"), ("nope", "timeline")):
        with pytest.raises(HTTPClientError) as error:
            jp_asyncio_loop.run_until_complete(jp_fetch("automl-assistant", "sessions", *parts))
        assert error.value.code == 404


def test_bad_after_id_is_400(store, jp_fetch, jp_asyncio_loop) -> None:
    with pytest.raises(HTTPClientError) as error:
        jp_asyncio_loop.run_until_complete(
            jp_fetch(
                "automl-assistant", "sessions", "20261124-120000-abcdef", "events",
                params={"after_id": "x"},
            )
        )  # fmt: skip
    assert error.value.code == 400


def test_without_token_is_403(store, jp_fetch, jp_asyncio_loop) -> None:
    for parts in (("sessions",), ("sessions", "20261124-120000-abcdef", "events")):
        with pytest.raises(HTTPClientError) as error:
            jp_asyncio_loop.run_until_complete(
                jp_fetch("automl-assistant", *parts, headers={"Authorization": ""})
            )
        assert error.value.code == 403


def test_every_route_is_authenticated(jp_serverapp) -> None:
    """The template's check: with unauthenticated access off, no route lacks an auth decorator
    (jupyter_server warns with JupyterServerAuthWarning for each one that does)."""
    from jupyter_server.utils import JupyterServerAuthWarning

    from assistant.jupyter_ext.handlers import setup_handlers

    web_app = jp_serverapp.web_app
    web_app.settings["allow_unauthenticated_access"] = False
    with warnings.catch_warnings():
        warnings.simplefilter("error", JupyterServerAuthWarning)
        setup_handlers(web_app)


def test_no_route_changes_state(store, jp_fetch, jp_asyncio_loop) -> None:
    """The routes only read: unsafe methods are refused (405), whatever their XSRF token."""
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        with pytest.raises(HTTPClientError) as error:
            jp_asyncio_loop.run_until_complete(
                jp_fetch(
                    "automl-assistant", "sessions", "20261124-120000-abcdef",
                    method=method, body=None if method == "DELETE" else "{}",
                    allow_nonstandard_methods=True,
                )
            )  # fmt: skip
        assert error.value.code in (403, 405), method
