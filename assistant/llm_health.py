"""What the LLM did in a session, told plainly: one reduction that every face shows.

:func:`fold_llm_health` reads the health events (``llm_degraded`` / ``llm_unavailable`` /
``llm_recovered``) of a session's stream; :func:`summarize_llm_health` adds the recorded
calls and the trials that came from the LLM's suggestions. The CLI's summary, ``--json``,
the HTML report, the notebook widget and the sidebar's banner all say the same thing.

Example:
    >>> from assistant.store import EventRecord
    >>> from datetime import datetime, UTC
    >>> event = EventRecord(id=1, session_id="s", kind="llm_unavailable", trial_number=0,
    ...     created_at=datetime.now(UTC), payload={"state": "unavailable",
    ...     "reason": "connection refused", "previous": "ok"})
    >>> fold_llm_health([event]).banner()
    'LLM unavailable from trial 0 (connection refused): the search runs statistically.'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from assistant import events
from assistant.records import (
    LLM_SOURCES,
    CallValue,
    HealthSummaryState,
    LLMHealthState,
    LLMHealthSummary,
    short_reason,
)
from assistant.store import EventRecord, Store

__all__ = [
    "LLM_SOURCES",
    "LLMHealthState",
    "LLMHealthSummary",
    "fold_llm_health",
    "short_reason",
    "summarize_llm_health",
]


def fold_llm_health(
    stream: Iterable[EventRecord], start: LLMHealthState | None = None
) -> LLMHealthState:
    """The LLM's health after ``stream`` (any events; only the health ones count), from
    ``start`` (a face that follows a session folds each new batch into what it had)."""
    state = start.model_copy() if start is not None else LLMHealthState()
    for event in stream:
        if event.kind not in events.LLM_HEALTH:
            continue
        change = events.payload_of(event)
        assert isinstance(change, events.LLMHealthChanged)
        # A streak of trouble counts from its first sign: degraded at trial 0, then
        # unavailable at trial 5, is "not answering since trial 0".
        if change.state != state.state and (change.state == "ok" or state.state == "ok"):
            state.since_trial = event.trial_number
        state.state = change.state
        state.reason = change.reason
        if change.restarted:
            state.restarts += 1
    return state


def summarize_llm_health(
    store: Store, session_id: str, mode: str | None = None
) -> LLMHealthSummary:
    """The session's :class:`LLMHealthSummary`, from its events and recorded LLM calls."""
    if mode is None:
        mode = str(store.get_session(session_id).spec.get("mode", "full"))
    stream = store.events(session_id)
    health = fold_llm_health(stream)
    calls = store.llm_calls(session_id)
    failed = Counter(c.error_type for c in calls if c.error_type)
    llm_trials = {
        e.trial_number
        for e in stream
        if e.kind == events.SUGGESTION
        and getattr(events.payload_of(e), "source", None) in LLM_SOURCES
    }
    steps, calling, value, not_waiting = _scheduled_calls(stream)
    answered = len(calls) - sum(failed.values())
    by_purpose: dict[str, dict[str, int]] = {}
    for call in calls:
        counts = by_purpose.setdefault(call.purpose or "other", {"calls": 0, "answered": 0})
        counts["calls"] += 1
        counts["answered"] += call.error_type is None
    reason = health.reason
    if mode == "off":
        state: HealthSummaryState = "off"
    elif not calls and health.state == "ok":
        state = "unused"
    elif not answered and health.state == "ok":
        state, reason = "degraded", "none of its answers was usable"
    else:
        state = health.state
    return LLMHealthSummary(
        state=state,
        reason=reason,
        since_trial=health.since_trial,
        calls=len(calls),
        calls_answered=answered,
        calls_failed=dict(failed),
        by_purpose=by_purpose,
        llm_trials=len(llm_trials),
        restarts=health.restarts,
        model_steps=steps,
        steps_calling=calling,
        value=value,
        trials_not_waiting=not_waiting,
    )


def _scheduled_calls(
    stream: Iterable[EventRecord],
) -> tuple[int, dict[str, int], dict[str, CallValue], int]:
    """From the suggestions: how many model-based steps there were, how many made each kind
    of call, each kind's latest estimate (see assistant.engine.value), and how many trials
    ran statistically rather than wait for the LLM's step."""
    not_waiting = 0
    steps: set[int] = set()
    calling: dict[str, set[int]] = {}
    value: dict[str, CallValue] = {}
    for event in stream:
        if event.kind != events.SUGGESTION:
            continue
        suggestion = events.payload_of(event)
        not_waiting += getattr(suggestion, "llm_ready", None) is False
        schedule = getattr(suggestion, "llm_schedule", None)
        step = getattr(suggestion, "planned_at", None)
        if not schedule or step is None:
            continue
        steps.add(step)
        for kind, decision in schedule.items():
            calling.setdefault(kind, set())
            if decision.call:
                calling[kind].add(step)
            if decision.value is not None:
                value[kind] = decision.value
    return len(steps), {k: len(v) for k, v in calling.items()}, value, not_waiting
