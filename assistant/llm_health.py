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
from typing import Literal

from pydantic import BaseModel, Field

from assistant import events
from assistant.store import EventRecord, Store

HealthSummaryState = Literal["ok", "degraded", "unavailable", "off", "unused"]

LLM_SOURCES = frozenset({"warmstart", "llm"})
"""Suggestion sources that mean the trial's configuration came from the LLM."""


class LLMHealthState(BaseModel):
    """The LLM's health as the event stream tells it so far; ``since_trial`` is the trial
    where the current state (trouble of either kind, or health) began."""

    state: Literal["ok", "degraded", "unavailable"] = "ok"
    reason: str = ""
    since_trial: int | None = None
    restarts: int = 0

    def banner(self) -> str | None:
        """The warning a face shows while the LLM is not answering (``None`` when it is)."""
        since = f" from trial {self.since_trial}" if self.since_trial is not None else ""
        if self.state == "unavailable":
            why = short_reason(self.reason)
            return f"LLM unavailable{since} ({why}): the search runs statistically."
        if self.state == "degraded":
            return f"LLM degraded{since} ({short_reason(self.reason)}): still trying it."
        return None


class LLMHealthSummary(BaseModel):
    """What the LLM contributed to a session, and whether it really answered.

    ``state`` is ``off`` when the session ran without the LLM, ``unused`` when it never
    needed a call; otherwise the last health state (``ok`` with failed calls is possible:
    a malformed answer is a failed call of a working endpoint).
    """

    state: HealthSummaryState
    reason: str = ""
    since_trial: int | None = None
    calls: int = 0
    calls_answered: int = 0
    calls_failed: dict[str, int] = Field(default_factory=dict)
    by_purpose: dict[str, dict[str, int]] = Field(
        default_factory=dict, description='purpose → {"calls": n, "answered": n}'
    )
    llm_trials: int = 0
    restarts: int = 0

    def headline(self) -> str:
        """One line for a summary, e.g. ``LLM: ok (31 of 31 calls answered; 4 trials from
        its suggestions)``."""
        if self.state == "off":
            return "LLM: off (statistical search only)"
        if self.state == "unused":
            return "LLM: not called (the defaults and the initial design needed no LLM)"
        answered = f"{self.calls_answered} of {self.calls} calls answered"
        if self.by_purpose:
            parts = (f"{p} {c['answered']}/{c['calls']}" for p, c in self.by_purpose.items())
            answered += f" ({', '.join(parts)})"
        failed = ", ".join(f"{n} {kind}" for kind, n in sorted(self.calls_failed.items()))
        failed = f", failed: {failed}" if failed else ""
        trials = f"{self.llm_trials} trial(s) from its suggestions"
        restarts = f"; server restarted {self.restarts}x" if self.restarts else ""
        if self.state == "unavailable":
            since = f" from trial {self.since_trial}" if self.since_trial is not None else ""
            return (
                f"LLM: unavailable{since} ({short_reason(self.reason)}): the search ran "
                f"statistically ({answered}{failed}; {trials}{restarts})"
            )
        return f"LLM: {self.state} ({answered}{failed}; {trials}{restarts})"


def short_reason(reason: str, limit: int = 200) -> str:
    """A reason's first line, cut to ``limit`` characters (a server's log tail follows it
    in the full text, which the events keep)."""
    first = reason.strip().splitlines()[0] if reason.strip() else "no reason given"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def fold_llm_health(
    stream: Iterable[EventRecord], start: LLMHealthState | None = None
) -> LLMHealthState:
    """The LLM's health after ``stream`` (any events; only the health ones count), from
    ``start`` (a face that follows a session folds each new batch into what it had)."""
    state = start.model_copy() if start is not None else LLMHealthState()
    for event in stream:
        if event.kind not in events.LLM_HEALTH:
            continue
        p = event.payload
        new = str(p.get("state", "ok"))
        if new not in ("ok", "degraded", "unavailable"):
            continue
        # A streak of trouble counts from its first sign: degraded at trial 0, then
        # unavailable at trial 5, is "not answering since trial 0".
        if new != state.state and (new == "ok" or state.state == "ok"):
            state.since_trial = event.trial_number
        state.state = new  # type: ignore[assignment]
        state.reason = str(p.get("reason", ""))
        if p.get("restarted"):
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
        if e.kind == events.SUGGESTION and e.payload.get("source") in LLM_SOURCES
    }
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
    )
