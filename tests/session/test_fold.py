"""The one fold of the event stream, and the typed events it reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from assistant import events
from assistant.event_schema import main as write_schema
from assistant.fold import fold_events, fold_trials
from assistant.store import EventRecord, Store

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "events").glob("*.json"))


def _records(raw: list[dict[str, Any]]) -> list[EventRecord]:
    return [EventRecord.model_validate({**e, "session_id": "fixture"}) for e in raw]


def _event(i: int, kind: str, payload: dict[str, Any], trial: int | None = None) -> EventRecord:
    return EventRecord(
        id=i,
        session_id="s",
        kind=kind,
        trial_number=trial,
        created_at=datetime.now(UTC),
        payload=payload,
    )


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_the_fold_gives_the_view_the_shared_fixture_records(fixture: Path) -> None:
    data = json.loads(fixture.read_text())
    view = fold_events(_records(data["events"]))
    assert view.model_dump(mode="json") == data["view"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_folding_in_batches_gives_the_same_view(fixture: Path) -> None:
    records = _records(json.loads(fixture.read_text())["events"])
    view = None
    for start in range(0, len(records), 3):
        view = fold_events(records[start : start + 3], view)
    assert view == fold_events(records)


def test_fixture_covers_every_row_status_and_the_review_rules() -> None:
    view = fold_events(_records(json.loads(FIXTURES[0].read_text())["events"]))
    statuses = {row.status for row in view.rows()}
    assert {"complete", "rejected", "abandoned", "timeout"} <= statuses
    assert view.trials[2].source == "user"  # an allowed edit replaced the suggestion
    assert view.trials[4].status == "rejected"  # an edit that never ran, once the run ended
    assert view.health.state == "unavailable" and view.health.since_trial == 2
    assert view.best() is not None and view.best().number == 2  # minimize


def test_an_event_that_does_not_fit_its_model_is_skipped_and_counted(caplog) -> None:
    stream = [
        _event(1, "trial_finished", {"status": "exploded"}, 0),
        _event(2, "trial_finished", {"status": "complete", "value": 0.5}, 1),
    ]
    view = fold_events(stream)
    assert view.n_invalid == 1 and [r.number for r in view.rows()] == [1]
    assert "does not fit its model" in caplog.text


def test_an_unknown_kind_is_kept_and_ignored_by_the_fold() -> None:
    record = _event(1, "note", {"text": "hello"})
    assert events.payload_of(record).model_dump() == {"text": "hello"}
    assert fold_trials([record]) == []


def test_every_kind_has_a_payload_model() -> None:
    assert set(events.PAYLOADS) == set(events.ALL)


def test_emit_writes_the_model_of_the_kind_and_refuses_another(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/e.db")
    sid = store.create_session(name="s", study_name="s")
    events.emit(store, sid, events.Fallback(reason="LLM timed out"), trial_number=3)
    (written,) = store.events(sid)
    assert written.kind == "fallback" and written.payload["reason"] == "LLM timed out"
    assert written.trial_number == 3
    with pytest.raises(TypeError, match="several kinds"):
        events.emit(store, sid, events.LLMHealthChanged(state="ok", previous="ok", reason=""))
    with pytest.raises(TypeError, match="takes"):
        events.emit(store, sid, events.Fallback(reason="x"), kind=events.TRIAL_STARTED)
    with pytest.raises(ValidationError):
        events.UserAction(action="explode")


def test_the_checked_in_schema_is_what_the_models_give(tmp_path: Path) -> None:
    # The sidebar's TypeScript types are generated from this file (make event-types).
    fresh = tmp_path / "events.schema.json"
    write_schema([str(fresh)])
    assert fresh.read_text() == (ROOT / "src" / "events.schema.json").read_text(), (
        "the event models changed: run `make event-types` and commit the result"
    )
