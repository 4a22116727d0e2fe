"""A live view of a tuning session for notebooks, built from ipywidgets.

:class:`SessionWidget` follows a session the way every face does: it asks the store for the
events after the last one it saw (:meth:`SessionWidget.refresh`) and redraws a status line, a
best-so-far plot (a Plotly ``FigureWidget``, updated in place), the latest suggestion with the
engine's rationale, and a trials table. Passing :meth:`SessionWidget.callback` to
``TuningSession.run(callbacks=...)`` refreshes it after each trial; :meth:`SessionWidget.follow`
polls the store instead, for a session that runs elsewhere (another process or machine, the
JupyterLab sidebar). All text is HTML-escaped: rationales are LLM output, which is data. It
never prints.

Example:
    >>> from assistant.store import Store
    >>> store = Store("sqlite:///:memory:")
    >>> sid = store.create_session(name="demo", study_name="demo",
    ...                            spec={"metric": "accuracy", "direction": "maximize"})
    >>> view = SessionWidget(store, sid)
    >>> _ = store.append_event(sid, "trial_finished", {"status": "complete", "value": 0.9},
    ...                        trial_number=0)
    >>> view.refresh()
    1
    >>> trials, best = view.plot.data
    >>> trials.x, trials.y, best.y
    ((0,), (0.9,), (0.9,))
"""

from __future__ import annotations

import html
import logging
import threading
from typing import TYPE_CHECKING, Any

from assistant.fold import fold_events, initial_view
from assistant.report import html_table
from assistant.store import EventRecord, Store
from assistant.timeline import describe_event, format_config, format_score

if TYPE_CHECKING:
    import ipywidgets
    import optuna
    from optuna.trial import FrozenTrial

    from assistant.session import TuningSession

logger = logging.getLogger(__name__)

_ENDED = {"finished", "stopped", "failed"}
# The LLM's health is a banner, not a footnote: a dead LLM must be seen at a glance.
_BANNER_STYLE = {
    "ok": "",
    "degraded": "background:#fff4ce;border:1px solid #d9a400;padding:4px 8px;margin:2px 0",
    "unavailable": "background:#fde7e9;border:1px solid #c50f1f;padding:4px 8px;margin:2px 0",
}


class SessionWidget:
    """A notebook view of one session that follows its event stream.

    Args:
        source: a ``TuningSession``, or a :class:`~assistant.store.Store` together with
            ``session_id``.
        session_id: the session to show when ``source`` is a store.

    The view shows what the store already holds as soon as it is created. ``widget`` is the
    ipywidgets container; a notebook displays the object itself too. ``status``,
    ``suggestion`` and ``table`` are its ``ipywidgets.HTML`` parts; ``plot`` is a Plotly
    ``FigureWidget`` whose first trace holds each complete trial's value and whose second the
    best value so far.

    Example:
        >>> from assistant.store import Store
        >>> store = Store("sqlite:///:memory:")
        >>> sid = store.create_session(name="demo", study_name="demo")
        >>> SessionWidget(store, sid).refresh()
        0
    """

    def __init__(self, source: TuningSession | Store, session_id: str | None = None) -> None:
        try:
            import ipywidgets
        except ImportError as exc:
            raise ImportError(
                "the notebook view needs ipywidgets: pip install 'automl-assistant[jupyter]'"
            ) from exc
        if isinstance(source, Store):
            if session_id is None:
                raise ValueError("session_id is required when source is a Store")
            self.store, self.session_id = source, session_id
        else:
            self.store, self.session_id = source.store, source.id
        record = self.store.get_session(self.session_id)
        self.name = record.name
        self._lock = threading.Lock()
        self.view = initial_view(record)
        """The session as its events tell it (:func:`assistant.fold.fold_events`)."""
        self._latest_event: EventRecord | None = None
        self._following: threading.Event | None = None
        self._follower: threading.Thread | None = None

        self.status = ipywidgets.HTML()
        self.plot = _best_so_far_figure()
        self.suggestion = ipywidgets.HTML(layout=ipywidgets.Layout(flex="1 1 auto"))
        self.table = ipywidgets.HTML()
        self.widget: ipywidgets.VBox = ipywidgets.VBox(
            [self.status, ipywidgets.HBox([self.plot, self.suggestion]), self.table]
        )
        self.refresh()

    def refresh(self) -> int:
        """Apply the events written since the last refresh, redraw, and return how many."""
        with self._lock:
            new = self.store.events(self.session_id, after_id=self.view.last_event_id)
            if new:
                self.view = fold_events(new, self.view)
                self._latest_event = new[-1]
            if new or not self.status.value:
                self._render()
        if new:
            logger.debug("session %s view: %d new event(s)", self.session_id, len(new))
        return len(new)

    def follow(self, interval_s: float = 2.0) -> SessionWidget:
        """Refresh every ``interval_s`` seconds in a background thread until the session
        has finished, stopped or failed (or :meth:`unfollow` is called); returns the view,
        so ``SessionWidget(store, sid).follow()`` displays a live view of a session that
        runs elsewhere."""
        if interval_s <= 0:
            raise ValueError("interval_s must be positive")
        self.unfollow()
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(interval_s):
                try:
                    new = self.refresh()
                except Exception as exc:  # a store that went away: say so once and end
                    logger.warning("session %s view stopped following: %s", self.session_id, exc)
                    return
                if not new and self.view.state in _ENDED:
                    return

        self._following = stop
        self._follower = threading.Thread(
            target=poll, name=f"session-view-{self.session_id}", daemon=True
        )
        self._follower.start()
        return self

    def unfollow(self) -> None:
        """Stop the polling started by :meth:`follow` (a no-op when it is not running)."""
        if self._following is not None and self._follower is not None:
            self._following.set()
            self._follower.join()
        self._following = self._follower = None

    @property
    def following(self) -> bool:
        """Whether the background polling of :meth:`follow` is running."""
        return self._follower is not None and self._follower.is_alive()

    def callback(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """An Optuna callback: ``session.run(callbacks=[view.callback])`` keeps it live."""
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- drawing -------------------------------------------------------------------------
    def _render(self) -> None:
        points = self.view.best_so_far()
        self.status.value = self._status_html(points)
        self._update_plot(points)
        self.suggestion.value = self._suggestion_html()
        self.table.value = self._table_html()

    def _status_html(self, points: list[tuple[int, float, float]]) -> str:
        view = self.view
        counts = {"complete": 0, "failed": 0, "pruned": 0, "timeout": 0, "abandoned": 0}
        counts.update({k: v for k, v in view.counts().items() if k in counts})
        failed = counts["failed"] + counts["timeout"] + counts["abandoned"]
        finished = sum(counts.values())
        parts = [
            f"<b>{_e(self.name)}</b>",
            _e(view.state),
            _e(
                f"{finished}/{view.n_trials or '?'} trials finished "
                f"({counts['complete']} complete, {failed} failed, {counts['pruned']} pruned)"
            ),
        ]
        if points:
            best = points[-1][2]
            trial = next(number for number, value, _best in points if value == best)
            parts.append(_e(f"best {self.view.metric} {format_score(best)} (trial {trial})"))
        if view.started is not None and view.started.llm_model:
            parts.append(_e(f"LLM {view.started.llm_model}"))
        if view.n_fallbacks:
            parts.append(_e(f"{view.n_fallbacks} fallback(s)"))
        if view.final:
            f = view.final
            parts.append(
                _e(
                    f"held-out {f.metric} {format_score(f.test_score)}"
                    f" [{format_score(f.ci_low)}, {format_score(f.ci_high)}]"
                )
            )
            if f.ensemble is not None and f.ensemble.kept:
                parts.append(
                    _e(
                        f"ensemble of {len(f.ensemble.members)}: held-out "
                        f"{format_score(f.ensemble.test_score)}"
                    )
                )
        latest = (
            f"<br><small>{_e(describe_event(self._latest_event, self.view.metric))}</small>"
            if self._latest_event is not None
            else ""
        )
        banner = view.health.banner()
        warning = (
            f'<div class="automl-llm-banner automl-llm-{view.health.state}" '
            f'style="{_BANNER_STYLE[view.health.state]}">{_e(banner)}</div>'
            if banner
            else ""
        )
        spent = view.budget_banner()
        if spent:
            warning += (
                f'<div class="automl-llm-banner automl-llm-budget" '
                f'style="{_BANNER_STYLE["degraded"]}">{_e(spent)}</div>'
            )
        return warning + " · ".join(parts) + latest

    def _update_plot(self, points: list[tuple[int, float, float]]) -> None:
        numbers = [number for number, _value, _best in points]
        with self.plot.batch_update():
            trials, best = self.plot.data
            trials.x, trials.y = numbers, [value for _n, value, _best in points]
            best.x, best.y = numbers, [top for _n, _value, top in points]
            # Plotly reads a few HTML tags in its text: a metric's name is shown as written.
            metric = _e(self.view.metric)
            self.plot.layout.yaxis.title.text = metric
            # Trial numbers are whole: one tick each while they are few, Plotly's beyond.
            self.plot.layout.xaxis.dtick = 1 if numbers and numbers[-1] < 10 else None
            self.plot.layout.title.text = (
                f"best {metric} so far" if points else "no complete trial yet"
            )

    def _suggestion_html(self) -> str:
        latest = self.view.latest_suggestions(1)
        if not latest or latest[0].suggestion is None:
            return "<i>No suggestion yet.</i>"
        number, s = latest[0].number, latest[0].suggestion
        lines = [
            f"<b>Latest suggestion: trial {_e(number)}</b> ({_e(s.source)})",
            _e(format_config(s.config)),
        ]
        if s.rationale:
            lines.append(f"<i>{_e(s.rationale)}</i>")
        if s.predicted is not None:
            lines.append(_e(f"predicted {self.view.metric} {format_score(s.predicted)}"))
        if s.fallback:
            lines.append(_e(f"fallback: {s.fallback}"))
        return '<div style="padding-left:1em">' + "<br>".join(lines) + "</div>"

    def _table_html(self) -> str:
        rows = [
            (
                r.number,
                r.status,
                format_score(r.value) if r.value is not None else None,
                r.source,
                format_config(r.config),
                f"{r.duration_s:.2f}" if r.duration_s is not None else None,
                r.error,
            )
            for r in self.view.rows()
        ]
        table = html_table(
            ["Trial", "Status", self.view.metric, "Source", "Parameters", "Duration (s)", "Note"],
            rows,
        )
        return f'<div style="max-height:320px;overflow:auto">{table}</div>'


def _best_so_far_figure() -> Any:
    """An empty best-so-far figure: trial values as markers, the best so far as a step line."""
    try:
        import plotly.graph_objects as go

        return go.FigureWidget(
            data=[
                go.Scatter(
                    x=[],
                    y=[],
                    mode="markers",
                    name="trial",
                    marker={"size": 8},
                    hovertemplate="trial %{x}: %{y:.4g}<extra></extra>",
                ),
                go.Scatter(
                    x=[],
                    y=[],
                    mode="lines",
                    name="best so far",
                    line={"shape": "hv", "width": 2},
                    hovertemplate="best after trial %{x}: %{y:.4g}<extra></extra>",
                ),
            ],
            layout={
                "width": 420,
                "height": 260,
                "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
                "template": "plotly_white",
                "title": {"font": {"size": 13}},
                "xaxis": {"title": {"text": "trial"}, "tickformat": "d", "rangemode": "tozero"},
                "legend": {"orientation": "h", "y": -0.25},
            },
        )
    except ImportError as exc:  # plotly's FigureWidget needs anywidget
        raise ImportError(
            f"the notebook view's plot needs plotly and anywidget ({exc}): "
            "pip install 'automl-assistant[jupyter]'"
        ) from exc


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)
