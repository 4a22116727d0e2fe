"""The event stream read as a session: one reduction that every face uses.

:func:`fold_events` turns a session's events into a :class:`SessionView`: its state, the
trial table (each trial's configuration, where it came from, how it ended, and a person's
decision on it), the LLM's health and budget, the fallbacks and the final evaluation. The
notebook widget, the Jupyter server's trial list, the chat's ``/status`` and ``/best`` all call it;
the sidebar's ``foldEvents`` (``src/fold.ts``) mirrors it and is tested against the same
fixture files (``tests/fixtures/events/``).

A face that follows a session folds each new batch into the view it has::

    view = fold_events(store.events(sid))
    view = fold_events(store.events(sid, after_id=last_id), view)

Example:
    >>> from datetime import UTC, datetime
    >>> from assistant.store import EventRecord, SessionRecord, Store
    >>> def event(i, kind, payload, trial=None):
    ...     return EventRecord(id=i, session_id="s", kind=kind, trial_number=trial,
    ...                        created_at=datetime.now(UTC), payload=payload)
    >>> view = fold_events([
    ...     event(1, "suggestion", {"config": {"C": 1.0}, "source": "default"}, 0),
    ...     event(2, "trial_finished", {"status": "complete", "value": 0.9}, 0)])
    >>> view.trials[0].status, view.trials[0].source, view.best_so_far()
    ('complete', 'default', [(0, 0.9, 0.9)])
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant import events
from assistant.llm_health import fold_llm_health
from assistant.records import (
    FinalEvaluation,
    LLMBudgetStatus,
    LLMHealthState,
    LLMSpend,
    spend_vs_budget,
)
from assistant.store import EventRecord, SessionRecord, Store

logger = logging.getLogger(__name__)

RowStatus = Literal[
    "suggested", "running", "complete", "pruned", "failed", "timeout", "rejected", "abandoned"
]
SessionState = Literal["", "created", "running", "finished", "stopped", "failed"]
_STATES = {"created", "running", "finished", "stopped", "failed"}


# The view's JSON always has every field: the generated TypeScript types say so too.
_VIEW_CONFIG = ConfigDict(json_schema_serialization_defaults_required=True)


class Decision(BaseModel):
    """A person's decision on a trial's suggestion (review mode)."""

    model_config = _VIEW_CONFIG

    action: Literal["accept", "reject", "edit"]
    config: dict[str, Any] = Field(default_factory=dict)


class TrialRow(BaseModel):
    """One trial as the events tell it so far; ``suggestion`` and ``outcome`` are the
    events' payloads as written, so a face reads any of their fields from here."""

    model_config = _VIEW_CONFIG

    number: int
    status: RowStatus = "suggested"
    config: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    value: float | None = None
    duration_s: float | None = None
    error: str | None = None
    suggestion: events.SuggestionMade | None = None
    outcome: events.TrialFinished | None = None
    decision: Decision | None = None
    family: str | None = Field(None, exclude=True)
    """The trial's family in a ``model="auto"`` session. Left out of the view's JSON until
    the sidebar's fold (``src/fold.ts``) mirrors it."""


class RaceView(BaseModel):
    """``model="auto"``: the families considered, each rung's decision, and the winner."""

    model_config = _VIEW_CONFIG

    considered: events.FamiliesConsidered | None = None
    rungs: list[events.RungFinished] = Field(default_factory=list)
    chosen: events.FamilyChosen | None = None

    def lines(self) -> list[str]:
        """The race in words, a line each: the families, each rung's best scores, survivors
        and dropped families, and the winner (the sidebar's ``raceLines`` says the same)."""
        lines = [self.considered.line()] if self.considered is not None else []
        lines += [rung.line() for rung in self.rungs]
        if self.chosen is not None:
            lines.append(self.chosen.line())
        return lines


class SessionView(BaseModel):
    """A session as its event stream tells it; ``started`` is the last run's start."""

    model_config = _VIEW_CONFIG

    state: SessionState = ""
    error: str | None = None
    metric: str = "score"
    direction: Literal["minimize", "maximize"] = "maximize"
    n_trials: int | None = None
    tool: str | None = None
    review: bool = False
    started: events.SessionStarted | None = None
    trials: dict[int, TrialRow] = Field(default_factory=dict)
    health: LLMHealthState = Field(default_factory=LLMHealthState)
    n_fallbacks: int = 0
    budget: LLMBudgetStatus | None = Field(None, exclude=True)
    """The session's LLM budget, and whether (and from which trial) it was spent. Left out of
    the view's JSON until the sidebar's fold (``src/fold.ts``) mirrors it; the sidebar's Live
    view reads the ``llm_budget_spent`` events itself."""
    race: RaceView | None = None
    """The race across families of a ``model="auto"`` session (``None`` otherwise)."""
    final: FinalEvaluation | None = None
    n_invalid: int = 0
    """Events skipped because their payload did not fit its model (logged as warnings)."""
    last_event_id: int = 0

    def budget_banner(self) -> str | None:
        """The warning a face shows once the LLM budget is spent (``None`` before)."""
        budget = self.budget
        if budget is None or not budget.spent_out:
            return None
        since = f" from trial {budget.since_trial}" if budget.since_trial is not None else ""
        return (
            f"LLM budget spent{since} ({budget.reason}: "
            f"{spend_vs_budget(budget.spent, budget.budget)}): the search runs statistically."
        )

    def rows(self) -> list[TrialRow]:
        """The trials in order of their numbers."""
        return [self.trials[n] for n in sorted(self.trials)]

    def best_so_far(self) -> list[tuple[int, float, float]]:
        """(trial number, its value, the best value up to it) for each complete trial."""
        pick = max if self.direction == "maximize" else min
        out: list[tuple[int, float, float]] = []
        for row in self.rows():
            if row.status == "complete" and row.value is not None:
                best = pick(out[-1][2], row.value) if out else row.value
                out.append((row.number, float(row.value), float(best)))
        return out

    def best(self) -> TrialRow | None:
        """The best complete trial (the first of equals), or ``None``."""
        complete = [r for r in self.rows() if r.status == "complete" and r.value is not None]
        if not complete:
            return None
        pick = max if self.direction == "maximize" else min
        return pick(complete, key=lambda r: float(r.value))  # type: ignore[arg-type]

    def latest_suggestions(self, n: int = 3) -> list[TrialRow]:
        """The last ``n`` trials that have a suggestion, newest first."""
        return [r for r in reversed(self.rows()) if r.suggestion is not None][:n]

    def counts(self) -> dict[str, int]:
        """How many trials are in each status."""
        out: dict[str, int] = {}
        for row in self.trials.values():
            out[row.status] = out.get(row.status, 0) + 1
        return out


def fold_events(stream: Iterable[EventRecord], start: SessionView | None = None) -> SessionView:
    """The :class:`SessionView` after ``stream``, from ``start`` (a copy is returned)."""
    view = start.model_copy(deep=True) if start is not None else SessionView()
    for event in stream:
        _apply(view, event)
        view.last_event_id = max(view.last_event_id, event.id)
    return view


def initial_view(record: SessionRecord) -> SessionView:
    """The view of a session before its events: what its stored record says."""
    spec = record.spec or {}
    return SessionView(
        state=record.status if record.status in _STATES else "",
        metric=str(spec.get("metric") or "score"),
        direction="minimize" if spec.get("direction") == "minimize" else "maximize",
        n_trials=spec.get("n_trials"),
        tool=spec.get("tool"),
    )


def session_view(store: Store, session_id: str) -> SessionView:
    """The view of a stored session: its record, then all its events."""
    return fold_events(store.events(session_id), initial_view(store.get_session(session_id)))


def fold_trials(stream: Iterable[EventRecord]) -> list[TrialRow]:
    """The trial table of ``stream``, in trial order."""
    return fold_events(stream).rows()


def _apply(view: SessionView, event: EventRecord) -> None:
    try:
        payload = events.payload_of(event)
    except ValidationError as exc:  # a face must not die of one bad event: skip it, say so
        logger.warning(
            "event %d (%s) does not fit its model, skipped: %s", event.id, event.kind, exc
        )
        view.n_invalid += 1
        return
    n = event.trial_number
    if isinstance(payload, events.LLMHealthChanged):
        view.health = fold_llm_health([event], view.health)
    elif isinstance(payload, events.SessionCreated):
        view.state = "created"
        view.metric = payload.spec.metric
        view.direction = payload.spec.direction
        view.n_trials = payload.spec.n_trials
        view.tool = payload.spec.tool
        if payload.spec.llm_budget is not None:
            view.budget = LLMBudgetStatus(budget=payload.spec.llm_budget, spent=LLMSpend())
    elif isinstance(payload, events.ToolChosen):
        view.tool = payload.tool
    elif isinstance(payload, events.FamiliesConsidered | events.RungFinished | events.FamilyChosen):
        _race(view, payload)
    elif isinstance(payload, events.SessionStarted):
        view.state = "running"
        view.review = payload.review
        view.started = payload
        view.error = None
    elif isinstance(payload, events.SessionEnded):
        view.state = "finished" if event.kind == events.SESSION_FINISHED else "stopped"
        if payload.llm_budget is not None:
            view.budget = payload.llm_budget
        _settle_edits(view)
    elif isinstance(payload, events.SessionFailed):
        view.state, view.error = "failed", payload.error
        _settle_edits(view)
    elif isinstance(payload, events.Fallback):
        view.n_fallbacks += 1
    elif isinstance(payload, events.LLMBudgetSpent):
        view.budget = LLMBudgetStatus(
            budget=payload.budget,
            spent=payload.spent,
            spent_out=True,
            reason=payload.reason,
            since_trial=n,
        )
    elif isinstance(payload, events.FinalEvaluated):
        view.final = FinalEvaluation.model_validate(payload.model_dump())
    elif isinstance(payload, events.UserAction):
        _decide(view, payload)
    elif n is not None:
        _apply_trial(view, _row(view, n), payload)


def _apply_trial(view: SessionView, row: TrialRow, payload: events.Payload) -> None:
    if isinstance(payload, events.SuggestionMade):
        row.suggestion = payload
        row.source = payload.source
        row.config = dict(payload.config)
    elif isinstance(payload, events.TrialStarted):
        row.status = "running"
        row.config = dict(payload.config) or row.config
        row.family = payload.family
        if row.decision is not None and row.decision.action == "edit":
            row.source = "user"  # the edit the space allowed replaced the suggestion
    elif isinstance(payload, events.TrialFinished):
        row.outcome = payload
        row.status = payload.status
        row.value = payload.value
        row.duration_s = payload.duration_s
        row.error = payload.error
        if payload.status == "rejected" and payload.config:
            row.config = dict(payload.config)
    elif isinstance(payload, events.TrialAbandoned):
        row.status = "abandoned"
        row.error = f"abandoned: {payload.reason}" if payload.reason else "abandoned"


def _race(
    view: SessionView,
    payload: events.FamiliesConsidered | events.RungFinished | events.FamilyChosen,
) -> None:
    race = view.race = view.race or RaceView()
    if isinstance(payload, events.FamiliesConsidered):
        race.considered = payload
    elif isinstance(payload, events.RungFinished):
        race.rungs.append(payload)
    else:
        race.chosen = payload


def _decide(view: SessionView, action: events.UserAction) -> None:
    if action.action == "stop" or action.trial is None:
        return
    row = _row(view, action.trial)
    row.decision = Decision(action=action.action, config=dict(action.config or {}))
    # A rejected trial fails without running: no trial_started follows.
    if action.action == "reject" and row.status == "suggested":
        row.status = "rejected"


def _settle_edits(view: SessionView) -> None:
    """An edit the space did not allow fails its trial unrun: once the run ends, say so."""
    for row in view.trials.values():
        if row.status == "suggested" and row.decision and row.decision.action == "edit":
            row.status = "rejected"


def _row(view: SessionView, number: int) -> TrialRow:
    if number not in view.trials:
        view.trials[number] = TrialRow(number=number)
    return view.trials[number]
