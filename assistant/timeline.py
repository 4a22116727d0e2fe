"""A session's history as one ordered list, and its LLM token bill.

:func:`build_timeline` merges a session's events and its LLM calls by time into
:class:`TimelineEntry` items, each with a one-line title a person reads. It is the
step-through view that the CLI's replay, the HTML report and the JupyterLab sidebar render;
it decides nothing and reads only the store. :func:`token_usage` adds up the LLM calls per
purpose, with an optional cost estimate.

Example:
    >>> from assistant.store import Store
    >>> store = Store("sqlite:///:memory:")
    >>> sid = store.create_session(name="demo", study_name="demo", spec={"metric": "accuracy"})
    >>> _ = store.record_llm_call(sid, purpose="propose", messages=[], prompt_tokens=1151,
    ...                           completion_tokens=208, latency_s=4.9)
    >>> _ = store.append_event(sid, "trial_finished", {"status": "complete", "value": 0.99312},
    ...                        trial_number=7)
    >>> [entry.title for entry in build_timeline(store, sid)]
    ['LLM propose: 1,151→208 tokens, 4.9 s', 'Trial 7 finished: accuracy 0.9931 (complete)']
    >>> token_usage(store, sid)["prompt_tokens"]
    1151
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from assistant import events
from assistant.engine.families import SEP
from assistant.records import spend_vs_budget
from assistant.space import format_number
from assistant.store import EventRecord, LLMCallRecord, Store

LLM_CALL = "llm_call"
"""The ``kind`` of a timeline entry that is an LLM call rather than an event."""


class TimelineEntry(BaseModel):
    """One step of a session: an event or an LLM call.

    ``record_id`` is the event's or the LLM call's id in the store; ``detail`` is the
    event's payload, or the call's request, answer and usage.
    """

    index: int
    at: datetime
    kind: str
    record_id: int
    trial_number: int | None = None
    title: str
    detail: dict[str, Any]

    def payload(self) -> events.Payload | None:
        """The event's typed payload (``None`` for an LLM call, or a payload that does not
        fit its model)."""
        if self.kind == LLM_CALL:
            return None
        try:
            return events.parse_payload(self.kind, self.detail)
        except ValidationError:
            return None


def build_timeline(store: Store, session_id: str) -> list[TimelineEntry]:
    """A session's events and LLM calls in the order they happened.

    Each LLM call is timed when it returned, so the calls behind a suggestion come before
    it; on equal times an LLM call is placed first for the same reason.

    Example:
        >>> store = Store("sqlite:///:memory:")
        >>> sid = store.create_session(name="demo", study_name="demo")
        >>> _ = store.append_event(sid, "user_action", {"action": "stop"})
        >>> build_timeline(store, sid)[0].title
        'User action: stop'
    """
    metric = str(store.get_session(session_id).spec.get("metric") or "score")
    keyed: list[tuple[tuple[datetime, int, int], EventRecord | LLMCallRecord]] = []
    for call in store.llm_calls(session_id):
        keyed.append(((_utc(call.created_at), 0, call.id), call))
    for event in store.events(session_id):
        keyed.append(((_utc(event.created_at), 1, event.id), event))
    keyed.sort(key=lambda item: item[0])
    return [_entry(index, record, metric) for index, (_key, record) in enumerate(keyed, start=1)]


def describe_event(event: EventRecord, metric: str = "score") -> str:
    """One line that says what an event means, e.g. ``Trial 7 finished: roc_auc 0.9931
    (complete)``.

    Example:
        >>> from datetime import datetime
        >>> describe_event(EventRecord(id=1, session_id="s", created_at=datetime.now(),
        ...     kind="fallback", trial_number=3, payload={"reason": "LLM timed out"}))
        'Fallback for trial 3: LLM timed out'
    """
    trial, kind = event.trial_number, event.kind
    try:
        p = events.payload_of(event)
    except ValidationError:
        return f"{kind.replace('_', ' ').capitalize()} (a payload this release cannot read)"
    text = _describe(p, kind, trial, metric)
    if text is not None:
        return text
    on_trial = f" (trial {trial})" if trial is not None else ""
    return f"{kind.replace('_', ' ').capitalize()}{on_trial}"


def _describe(p: events.Payload, kind: str, trial: int | None, metric: str) -> str | None:
    if isinstance(p, events.SessionCreated):
        spec = p.spec
        return (
            f"Session created: {spec.tool}, {spec.metric} ({spec.direction}), "
            f"{spec.n_trials} trials, LLM mode {spec.mode}"
        )
    if isinstance(p, events.ToolChosen):
        why = p.fallback or p.rationale
        return f"Tool chosen: {p.tool}" + (f" ({_first_line(why)})" if why else "")
    if isinstance(p, events.FamiliesConsidered | events.RungFinished | events.FamilyChosen):
        return p.line()
    if isinstance(p, events.LLMBudgetSpent):
        return (
            f"LLM budget spent at trial {trial} ({p.reason}): "
            f"{spend_vs_budget(p.spent, p.budget)}; the search went on statistically"
        )
    if isinstance(p, events.SessionStarted):
        if p.resumed:
            return f"Session resumed: {p.finished} finished, {p.remaining} to go"
        return f"Session started: {p.remaining} trials to run"
    if isinstance(p, events.SuggestionMade):
        return _suggestion_title(trial, p)
    if isinstance(p, events.TrialStarted):
        return f"Trial {trial} started: {format_config(p.config)}"
    if isinstance(p, events.TrialFinished):
        score = f"{metric} {format_score(p.value)}" if p.value is not None else "no score"
        reason = f": {_first_line(p.error)}" if p.error else ""
        return f"Trial {trial} finished: {score} ({p.status}{reason})"
    if isinstance(p, events.TrialAbandoned):
        return f"Trial {trial} abandoned: the process running it stopped"
    if isinstance(p, events.Fallback):
        return f"Fallback for trial {trial}: {_first_line(p.reason)}"
    if isinstance(p, events.LLMHealthChanged):
        state = {"ok": "answering again", "degraded": "degraded", "unavailable": "unavailable"}
        why = f": {_first_line(p.reason)}" if p.reason else ""
        return f"LLM {state[p.state]} from trial {trial}{why}"
    if isinstance(p, events.FinalEvaluated):
        return (
            f"Held-out evaluation: {p.metric} {format_score(p.test_score)} "
            f"(95% CI {format_score(p.ci_low)}–{format_score(p.ci_high)}, "
            f"n={p.n_test}; CV {format_score(p.cv_score)})"
            + (f". {p.ensemble.headline()}" if p.ensemble is not None else "")
        )
    if isinstance(p, events.SessionEnded):
        verb = "finished" if kind == events.SESSION_FINISHED else "stopped"
        best = p.best_cv_score
        tail = f"; best {metric} {format_score(best)}" if best is not None else ""
        return (
            f"Session {verb}: {p.n_complete} complete, {p.n_failed} failed, "
            f"{p.n_pruned} pruned{tail}"
        )
    if isinstance(p, events.SessionFailed):
        return f"Session failed: {_first_line(p.error)}"
    if isinstance(p, events.UserAction):
        return f"User action: {p.action}"
    return None


def describe_llm_call(call: LLMCallRecord) -> str:
    """One line for an LLM call, e.g. ``LLM propose: 1,151→208 tokens, 4.9 s``."""
    purpose = call.purpose or "call"
    if call.error_type:
        return f"LLM {purpose} failed ({call.error_type}) after {_seconds(call.latency_s)}"
    return (
        f"LLM {purpose}: {call.prompt_tokens:,}→{call.completion_tokens:,} tokens, "
        f"{_seconds(call.latency_s)}"
    )


def format_score(value: Any) -> str:
    """A score with four significant digits; ``–`` when there is none.

    Example:
        >>> format_score(0.99312), format_score(None)
        ('0.9931', '–')
    """
    if value is None:
        return "–"
    return format_number(float(value))


def format_config(config: Mapping[str, Any]) -> str:
    """A configuration on one line; a ``model="auto"`` trial's, whose parameters all carry
    their family's prefix, names the family once.

    Example:
        >>> format_config({"n_neighbors": 5, "weights": "distance", "C": 0.012345})
        'n_neighbors=5, weights=distance, C=0.01235'
        >>> format_config({"knn__n_neighbors": 5, "knn__p": 1})
        'knn: n_neighbors=5, p=1'
    """
    families = {name.partition(SEP)[0] for name in config if SEP in name}
    if len(families) == 1 and all(SEP in name for name in config):
        family = families.pop()
        own = {name.removeprefix(family + SEP): value for name, value in config.items()}
        return f"{family}: {format_config(own)}"
    return ", ".join(f"{name}={_value(value)}" for name, value in config.items())


def token_usage(
    store: Store,
    session_id: str,
    *,
    usd_per_1m_input: float | None = None,
    usd_per_1m_output: float | None = None,
) -> dict[str, Any]:
    """The session's LLM calls added up, in total and per purpose.

    Returns ``calls``, ``errors``, ``prompt_tokens``, ``completion_tokens``, ``latency_s``,
    ``by_purpose`` (the same keys for each purpose: ``warmstart``, ``propose``,
    ``surrogate``) and ``cost_usd``: the estimate at the given prices per million tokens,
    ``0.0`` for the embedded model, ``None`` when no price was given.

    Example:
        >>> store = Store("sqlite:///:memory:")
        >>> sid = store.create_session(name="demo", study_name="demo")
        >>> _ = store.record_llm_call(sid, purpose="propose", messages=[],
        ...                           prompt_tokens=2_000_000, completion_tokens=0)
        >>> token_usage(store, sid, usd_per_1m_input=0.15)["cost_usd"]
        0.3
    """
    by_purpose: dict[str, dict[str, Any]] = {}
    total = _empty_usage()
    for call in store.llm_calls(session_id):
        for usage in (total, by_purpose.setdefault(call.purpose or "other", _empty_usage())):
            usage["calls"] += 1
            usage["errors"] += int(call.error_type is not None)
            usage["prompt_tokens"] += call.prompt_tokens
            usage["completion_tokens"] += call.completion_tokens
            usage["latency_s"] += call.latency_s
    llm_settings = store.get_session(session_id).spec.get("llm", {})
    cost: float | None = None
    if llm_settings.get("embedded"):
        cost = 0.0
    elif usd_per_1m_input is not None or usd_per_1m_output is not None:
        cost = (
            total["prompt_tokens"] * (usd_per_1m_input or 0.0)
            + total["completion_tokens"] * (usd_per_1m_output or 0.0)
        ) / 1e6
    return {**total, "by_purpose": by_purpose, "cost_usd": cost}


def _empty_usage() -> dict[str, Any]:
    return {"calls": 0, "errors": 0, "prompt_tokens": 0, "completion_tokens": 0, "latency_s": 0.0}


def _entry(index: int, record: EventRecord | LLMCallRecord, metric: str) -> TimelineEntry:
    if isinstance(record, LLMCallRecord):
        return TimelineEntry(
            index=index,
            at=_utc(record.created_at),
            kind=LLM_CALL,
            record_id=record.id,
            title=describe_llm_call(record),
            detail=record.model_dump(
                mode="json", exclude={"id", "session_id", "created_at", "json_schema"}
            ),
        )
    return TimelineEntry(
        index=index,
        at=_utc(record.created_at),
        kind=record.kind,
        record_id=record.id,
        trial_number=record.trial_number,
        title=describe_event(record, metric),
        detail=dict(record.payload),
    )


def _suggestion_title(trial: int | None, p: events.SuggestionMade) -> str:
    title = f"Suggestion for trial {trial} ({p.source})"
    if p.predicted is not None:
        title += f": predicted {format_score(p.predicted)}"
    title += f" for {format_config(p.config)}"
    if p.fallback:
        title += f" [fallback: {_first_line(p.fallback)}]"
    return title


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the store writes them in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 1 else f"{value * 1000:.0f} ms"


def _value(value: Any) -> str:
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def _first_line(text: str, limit: int = 160) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"
