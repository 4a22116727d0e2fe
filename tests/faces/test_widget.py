"""The notebook view: its ipywidgets state follows a real session, with no browser."""

from __future__ import annotations

import doctest
import html
import re
import time

import optuna
import pytest
from optuna.trial import FrozenTrial

from assistant import events, widget
from assistant.store import Store
from assistant.widget import SessionWidget
from tests.faces.conftest import MARKUP, make_session

_ROW = re.compile(r"<tr><td>(\d+)</td><td>(\w+)</td>")
_STATE = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}


def _rows(view: SessionWidget) -> dict[int, str]:
    """Trial number → status, as the table shows it."""
    return {int(n): status for n, status in _ROW.findall(view.table.value)}


def _polyline_points(view: SessionWidget) -> int:
    match = re.search(r'<polyline points="([^"]*)"', view.plot.value)
    return len(match[1].split()) if match else 0


def test_widget_follows_a_running_session(tmp_path, capsys) -> None:
    session = make_session(tmp_path)
    view = SessionWidget(session)
    assert "created" in view.status.value
    assert _rows(view) == {}
    assert "no complete trial yet" in view.plot.value
    assert "No suggestion yet." in view.suggestion.value

    seen: list[int] = []

    def check(study: optuna.Study, trial: FrozenTrial) -> None:
        # view.callback ran just before: the trial that just ended is already on show.
        assert _rows(view)[trial.number] == _STATE[trial.state.name]
        assert "running" in view.status.value
        seen.append(trial.number)

    result = session.run(callbacks=[view.callback, check])

    assert seen == list(range(6))
    assert view.refresh() > 0  # the final evaluation and the end of the session
    assert view.refresh() == 0
    trials = session.study.trials
    assert _rows(view) == {t.number: _STATE[t.state.name] for t in trials}
    assert _polyline_points(view) == view.plot.value.count("<circle") == result.n_complete
    assert "finished" in view.status.value
    assert f"6/6 trials finished ({result.n_complete} complete" in view.status.value
    assert "held-out accuracy" in view.status.value
    latest = session.store.events(session.id, kinds=[events.SUGGESTION])[-1]
    assert f"trial {latest.trial_number}</b>" in view.suggestion.value
    assert html.escape(latest.payload["rationale"]) in view.suggestion.value
    assert capsys.readouterr().out == ""


def test_widget_opened_on_a_finished_session_shows_it_all(off_session) -> None:
    view = SessionWidget(off_session.store, off_session.id)

    assert len(_rows(view)) == len(off_session.study.trials)
    assert _polyline_points(view) == off_session.result().n_complete
    assert "finished" in view.status.value
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert view.widget.children[0] is view.status


def test_widget_escapes_names_and_rationales(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/w.db")
    sid = store.create_session(
        name=f"demo {MARKUP}", study_name="demo", spec={"metric": "f1", "direction": "minimize"}
    )
    view = SessionWidget(store, sid)
    store.append_event(
        sid,
        events.SUGGESTION,
        {"source": "llm", "config": {"k": 3}, "rationale": MARKUP, "predicted": 0.5},
        trial_number=0,
    )
    store.append_event(
        sid, events.TRIAL_FINISHED, {"status": "complete", "value": 0.4}, trial_number=0
    )
    store.append_event(
        sid, events.TRIAL_FINISHED, {"status": "complete", "value": 0.7}, trial_number=1
    )

    assert view.refresh() == 3
    for part in (view.status, view.plot, view.suggestion, view.table):
        assert MARKUP not in part.value
    assert html.escape(MARKUP) in view.suggestion.value
    assert html.escape(MARKUP) in view.status.value
    assert "best f1 0.4 (trial 0)" in view.status.value  # minimised: the lower one


def test_widget_needs_a_session_id_with_a_store(tmp_path) -> None:
    with pytest.raises(ValueError, match="session_id"):
        SessionWidget(Store(f"sqlite:///{tmp_path}/w.db"))


def test_docstring_examples_run() -> None:
    result = doctest.testmod(widget)
    assert result.attempted > 0 and result.failed == 0


def _eventually(check, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def test_follow_shows_a_session_run_elsewhere_and_ends_with_it(tmp_path) -> None:
    session = make_session(tmp_path)
    # Another Store on the same file: the view reads what another process would write.
    view = SessionWidget(Store(f"sqlite:///{tmp_path}/s.db"), session.id).follow(0.02)
    assert view.following and _rows(view) == {}
    session.run()  # no callback: only the polling can see these trials
    assert _eventually(lambda: not view.following), "it stops once the session finished"
    assert _rows(view) == dict.fromkeys(range(6), "complete")
    assert "finished" in view.status.value


def test_unfollow_stops_the_polling(tmp_path) -> None:
    view = SessionWidget(make_session(tmp_path)).follow(0.02)
    assert view.following
    view.unfollow()
    assert not view.following
    view.unfollow()  # a no-op now
    with pytest.raises(ValueError, match="positive"):
        view.follow(0)
