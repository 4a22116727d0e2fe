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


def _plotted(view: SessionWidget) -> tuple[list[tuple[int, float]], list[float]]:
    """The figure's data: (trial number, value) of each marker, and the best-so-far line."""
    trials, best = view.plot.data
    assert trials.x == best.x
    return list(zip(trials.x, trials.y, strict=True)), list(best.y)


def _expected(
    trials: list[FrozenTrial], maximize: bool
) -> tuple[list[tuple[int, float]], list[float]]:
    """What the plot must show of a study's trials: every complete one, and the best so far."""
    points = [(t.number, t.value) for t in trials if t.state.name == "COMPLETE"]
    pick = max if maximize else min
    best = [pick(v for _n, v in points[: i + 1]) for i in range(len(points))]
    return points, best


def test_widget_follows_a_running_session(tmp_path, capsys) -> None:
    session = make_session(tmp_path)
    view = SessionWidget(session)
    assert "created" in view.status.value
    assert _rows(view) == {}
    assert _plotted(view) == ([], [])
    assert view.plot.layout.title.text == "no complete trial yet"
    assert "No suggestion yet." in view.suggestion.value

    seen: list[int] = []

    def check(study: optuna.Study, trial: FrozenTrial) -> None:
        # view.callback ran just before: the trial that just ended is already on show.
        assert _rows(view)[trial.number] == _STATE[trial.state.name]
        assert "running" in view.status.value
        seen.append(trial.number)

    figure = view.plot
    result = session.run(callbacks=[view.callback, check])
    assert view.plot is figure  # updated in place, never replaced

    assert seen == list(range(6))
    assert view.refresh() > 0  # the final evaluation and the end of the session
    assert view.refresh() == 0
    trials = session.study.trials
    assert _rows(view) == {t.number: _STATE[t.state.name] for t in trials}
    assert _plotted(view) == _expected(trials, maximize=True)
    assert len(_plotted(view)[0]) == result.n_complete
    assert view.plot.layout.yaxis.title.text == "accuracy"
    assert view.plot.layout.title.text == "best accuracy so far"
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
    assert _plotted(view) == _expected(off_session.study.trials, maximize=True)
    assert len(_plotted(view)[0]) == off_session.result().n_complete
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
    for part in (view.status, view.suggestion, view.table):
        assert MARKUP not in part.value
    assert MARKUP not in view.plot.to_json()
    assert _plotted(view) == ([(0, 0.4), (1, 0.7)], [0.4, 0.4])  # minimised: 0.4 stays best
    assert html.escape(MARKUP) in view.suggestion.value
    assert html.escape(MARKUP) in view.status.value
    assert "best f1 0.4 (trial 0)" in view.status.value  # minimised: the lower one


def test_widget_plot_shows_a_metric_name_as_written(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path}/w.db")
    sid = store.create_session(name="m", study_name="m", spec={"metric": "<b>f1</b>"})
    view = SessionWidget(store, sid)
    store.append_event(
        sid, events.TRIAL_FINISHED, {"status": "complete", "value": 1.0}, trial_number=0
    )
    view.refresh()
    # Plotly reads tags in its text: escaped, the name shows as it is spelled.
    assert view.plot.layout.yaxis.title.text == "&lt;b&gt;f1&lt;/b&gt;"
    assert view.plot.layout.title.text == "best &lt;b&gt;f1&lt;/b&gt; so far"


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
