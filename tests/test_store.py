"""The store: one database for Optuna's tables and ours, ordered events, secret scrubbing."""

import sqlite3
from pathlib import Path

import optuna
import pytest

from assistant.errors import SessionNotFoundError
from assistant.store import REDACTED, Store, redact_url


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.db'}")


def test_optuna_and_assistant_tables_share_one_database(store: Store, tmp_path: Path) -> None:
    sid = store.create_session(name="s", study_name="study-1", spec={"tool": "rf"})
    study = optuna.create_study(study_name="study-1", storage=store.optuna_storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "store.db").execute(
            "select name from sqlite_master where type='table'"
        )
    }
    assert {
        "studies",
        "trials",
        "assistant_sessions",
        "assistant_events",
        "assistant_llm_calls",
    } <= tables
    assert store.get_session(sid).spec == {"tool": "rf"}


def test_sqlite_runs_in_wal_mode(store: Store, tmp_path: Path) -> None:
    store.create_session(name="s", study_name="x")
    mode = sqlite3.connect(tmp_path / "store.db").execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"


def test_events_are_ordered_and_followable(store: Store) -> None:
    sid = store.create_session(name="s", study_name="x")
    other = store.create_session(name="t", study_name="y")
    ids = [store.append_event(sid, "trial_end", {"i": i}, trial_number=i) for i in range(5)]
    store.append_event(other, "noise")
    assert ids == sorted(ids)
    assert [e.payload["i"] for e in store.events(sid)] == [0, 1, 2, 3, 4]
    assert [e.payload["i"] for e in store.events(sid, after_id=ids[2])] == [3, 4]
    assert store.events(sid, kinds=["noise"]) == []


def test_sessions_list_update_and_missing(store: Store) -> None:
    a = store.create_session(name="a", study_name="a")
    store.update_session(a, status="finished", result={"best": 1.0})
    record = store.get_session(a)
    assert record.status == "finished" and record.result == {"best": 1.0}
    assert [s.id for s in store.list_sessions()] == [a]
    with pytest.raises(SessionNotFoundError, match="nope"):
        store.get_session("nope")


def test_secrets_are_scrubbed_everywhere(store: Store, tmp_path: Path) -> None:
    secret = "sk-SENTINEL-store-0001"
    store.add_secret(secret)
    sid = store.create_session(name=f"n {secret}", study_name="x", spec={"k": secret})
    store.append_event(sid, "note", {"text": f"key={secret}", "nested": [{"a": secret}]})
    store.record_llm_call(
        sid,
        messages=[{"role": "user", "content": secret}],
        params={},
        response_text=secret,
        error=f"401 for {secret}",
    )
    assert store.events(sid)[0].payload["nested"][0]["a"] == REDACTED
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("store.db*"))
    assert secret.encode() not in raw


def test_urls_are_shown_without_passwords() -> None:
    shown = redact_url("postgresql://user:hunter2@localhost/db")
    assert "hunter2" not in shown and "user" in shown
