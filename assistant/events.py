"""The event vocabulary: the one language between a session and every face.

Events are appended to the store with increasing ids; the CLI's progress, the notebook
widget, the JupyterLab sidebar and replay all render the same stream. Each kind is a
constant here and has one typed payload model (:data:`PAYLOADS`): the session writes events
through :func:`emit`, faces read them through :func:`payload_of`, and the sidebar's
TypeScript types are generated from these models (:mod:`assistant.event_schema`).

Payload models ignore no field: an unknown key (written by a newer release) is kept, and a
missing one takes its default, so old sessions stay readable.

Example:
    >>> from assistant.store import Store
    >>> store = Store("sqlite:///:memory:")
    >>> sid = store.create_session(name="demo", study_name="demo")
    >>> _ = emit(store, sid, TrialStarted(config={"C": 1.0}), trial_number=0)
    >>> payload_of(store.events(sid)[0]).config
    {'C': 1.0}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.engine.families import FamilyCandidate, FamilyDropped, FamilyScore
from assistant.records import (
    FinalEvaluation,
    HealthChange,
    LLMBudget,
    LLMSpend,
    SessionResult,
    SessionSpec,
    Source,
    Suggestion,
    TrialOutcome,
    TrialStatus,
)

if TYPE_CHECKING:
    from assistant.store import EventRecord, Store

SESSION_CREATED: Final = "session_created"
TOOL_CHOSEN: Final = "tool_chosen"  # one family chosen for the session, and why
# model="auto" races several families (assistant/cash.py): which, each rung's survivors, the
# winner
FAMILIES_CONSIDERED: Final = "families_considered"
RUNG_FINISHED: Final = "rung_finished"
FAMILY_CHOSEN: Final = "family_chosen"
SESSION_STARTED: Final = "session_started"  # a run began (first start or a resume)
SESSION_FINISHED: Final = "session_finished"
SESSION_STOPPED: Final = "session_stopped"
SESSION_FAILED: Final = "session_failed"
SUGGESTION: Final = "suggestion"  # what the engine proposes for a trial, with its reasons
TRIAL_STARTED: Final = "trial_started"
TRIAL_FINISHED: Final = "trial_finished"  # complete, pruned, failed or timed out
TRIAL_ABANDONED: Final = "trial_abandoned"  # left RUNNING by a killed process; marked failed
FALLBACK: Final = "fallback"  # the LLM could not be used for a step; the statistical path was
# The LLM's health changed (assistant.llm.health): payload state, previous, reason,
# retry_in_s, permanent; trial_number is the first trial the change concerns.
LLM_DEGRADED: Final = "llm_degraded"  # failures (or a restarted server), still tried
LLM_UNAVAILABLE: Final = "llm_unavailable"  # not called until a probe answers (or ever)
LLM_RECOVERED: Final = "llm_recovered"  # answering again
LLM_BUDGET_SPENT: Final = "llm_budget_spent"  # the user's LLM budget refused a call: no more
FINAL_EVALUATION: Final = "final_evaluation"  # held-out score of the best configuration
USER_ACTION: Final = "user_action"  # stop, accept, reject, edit: written by a face, read here

ALL: Final = frozenset(
    {
        SESSION_CREATED,
        TOOL_CHOSEN,
        FAMILIES_CONSIDERED,
        RUNG_FINISHED,
        FAMILY_CHOSEN,
        SESSION_STARTED,
        SESSION_FINISHED,
        SESSION_STOPPED,
        SESSION_FAILED,
        SUGGESTION,
        TRIAL_STARTED,
        TRIAL_FINISHED,
        TRIAL_ABANDONED,
        FALLBACK,
        LLM_DEGRADED,
        LLM_UNAVAILABLE,
        LLM_RECOVERED,
        LLM_BUDGET_SPENT,
        FINAL_EVALUATION,
        USER_ACTION,
    }
)

LLM_HEALTH: Final = frozenset({LLM_DEGRADED, LLM_UNAVAILABLE, LLM_RECOVERED})
HEALTH_EVENT: Final = {
    "degraded": LLM_DEGRADED,
    "unavailable": LLM_UNAVAILABLE,
    "ok": LLM_RECOVERED,
}
"""The event kind of each health state a change leads to."""


class _Payload(BaseModel):
    """Base of every payload: unknown keys are kept (a newer writer), not rejected."""

    model_config = ConfigDict(extra="allow")


class SessionCreated(_Payload):
    """A session and its study exist; ``spec`` is what it will run."""

    spec: SessionSpec


class ToolChosen(_Payload):
    """``model="auto"``: the family chosen, the LLM's rationale, and why it fell back;
    ``race`` says why no race across families was run, when there were several to race."""

    tool: str
    rationale: str = ""
    fallback: str | None = None
    race: str | None = None
    requested: list[str] | None = None
    """The families the user limited ``"auto"`` to."""


class FamiliesConsidered(_Payload):
    """``model="auto"``: the families that race, in order, each with why it takes part; the
    ones left out and why; the LLM's pick and rationale (or why it was not asked or not
    used). The measured scores, not this order, decide the winner."""

    candidates: list[FamilyCandidate] = Field(default_factory=list)
    skipped: list[FamilyDropped] = Field(default_factory=list)
    llm_pick: str | None = None
    rationale: str = ""
    fallback: str | None = None
    requested: list[str] | None = None
    """The families the user limited ``"auto"`` to."""

    def line(self) -> str:
        """The families raced, in words (the sidebar's ``raceLines`` says the same)."""
        return f"Families raced: {', '.join(c.family for c in self.candidates)}"


class RungFinished(_Payload):
    """A rung of the race ended: each family's trials so far and best score, the
    survivors (best first) and the dropped families with their reasons."""

    rung: int
    quota: int
    """Trials each family of the rung was given."""
    scores: list[FamilyScore] = Field(default_factory=list)
    survivors: list[str] = Field(default_factory=list)
    dropped: list[FamilyDropped] = Field(default_factory=list)

    def line(self) -> str:
        """The rung in words: each family's best score, the survivors, the dropped."""
        best = ", ".join(
            f"{s.family} {s.best_score:.4f}" if s.best_score is not None else f"{s.family} none"
            for s in self.scores
        )
        dropped = "; ".join(f"{d.family} ({d.reason})" for d in self.dropped)
        return f"Rung {self.rung + 1}: {best}; kept {', '.join(self.survivors) or 'none'}" + (
            f"; dropped {dropped}" if dropped else ""
        )


class FamilyChosen(_Payload):
    """The race ended: the family of the best trial over all families, and why."""

    family: str
    best_score: float
    best_trial: int
    reason: str = ""
    timed_out: bool = False
    """The session's time limit ended the race before its trials did."""

    def line(self) -> str:
        """The winner and why."""
        return f"Family chosen: {self.family} ({self.reason})"


class SessionStarted(_Payload):
    """A run began: the first start, a resume, or a joining worker."""

    resumed: bool = False
    finished: int = 0
    remaining: int = 0
    n_jobs: int = 1
    worker: bool = False
    worker_id: str = ""
    review: bool = False
    target: int | None = None
    llm_model: str | None = None
    """The LLM this run asks (``None`` when the LLM is off)."""


class SessionEnded(SessionResult, _Payload):
    """A run ended (``session_finished`` or ``session_stopped``): the session's result."""


class SessionFailed(_Payload):
    """A run failed: no trial completed, or the run itself raised."""

    error: str


class SuggestionMade(Suggestion, _Payload):
    """What the engine proposes for a trial, with its reasons."""


class TrialStarted(_Payload):
    """A trial's configuration went to a worker."""

    config: dict[str, Any] = Field(default_factory=dict)
    worker_id: str | None = None
    family: str | None = None
    """The trial's family in a ``model="auto"`` session (its parameters are
    ``family__name``)."""


class TrialFinished(TrialOutcome, _Payload):
    """How a trial ended; ``rejected`` when a person rejected it in review mode."""

    status: TrialStatus | Literal["rejected"]  # type: ignore[assignment]


class TrialAbandoned(_Payload):
    """A trial left running by a process that died, marked failed."""

    params: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""


class Fallback(_Payload):
    """The LLM could not be used for a step; the statistical path was."""

    reason: str
    source: Source | None = None


class LLMHealthChanged(HealthChange, _Payload):
    """The LLM's health changed (``llm_degraded``, ``llm_unavailable``, ``llm_recovered``);
    the event's trial number is the first trial the change concerns."""


class LLMBudgetSpent(_Payload):
    """The session's LLM budget could not cover a call (``reason``: the limit, ``tokens``,
    ``seconds`` or ``usd``): it was not sent, and no later one will be; the search goes on
    statistically. The event's trial number is the first trial planned without the LLM."""

    reason: str
    budget: LLMBudget
    spent: LLMSpend


class FinalEvaluated(FinalEvaluation, _Payload):
    """The held-out score of the best configuration."""


class UserAction(_Payload):
    """A person's decision, written by a face and read by the running session: ``stop``
    (the session), or ``accept``/``reject``/``edit`` (the suggestion for ``trial``)."""

    action: Literal["stop", "accept", "reject", "edit"]
    trial: int | None = None
    config: dict[str, Any] | None = None


class UnknownPayload(_Payload):
    """The payload of a kind this release does not know (kept as it was written)."""


Payload = (
    SessionCreated
    | ToolChosen
    | FamiliesConsidered
    | RungFinished
    | FamilyChosen
    | SessionStarted
    | SessionEnded
    | SessionFailed
    | SuggestionMade
    | TrialStarted
    | TrialFinished
    | TrialAbandoned
    | Fallback
    | LLMHealthChanged
    | LLMBudgetSpent
    | FinalEvaluated
    | UserAction
    | UnknownPayload
)

PAYLOADS: Final[dict[str, type[BaseModel]]] = {
    SESSION_CREATED: SessionCreated,
    TOOL_CHOSEN: ToolChosen,
    FAMILIES_CONSIDERED: FamiliesConsidered,
    RUNG_FINISHED: RungFinished,
    FAMILY_CHOSEN: FamilyChosen,
    SESSION_STARTED: SessionStarted,
    SESSION_FINISHED: SessionEnded,
    SESSION_STOPPED: SessionEnded,
    SESSION_FAILED: SessionFailed,
    SUGGESTION: SuggestionMade,
    TRIAL_STARTED: TrialStarted,
    TRIAL_FINISHED: TrialFinished,
    TRIAL_ABANDONED: TrialAbandoned,
    FALLBACK: Fallback,
    LLM_DEGRADED: LLMHealthChanged,
    LLM_UNAVAILABLE: LLMHealthChanged,
    LLM_RECOVERED: LLMHealthChanged,
    LLM_BUDGET_SPENT: LLMBudgetSpent,
    FINAL_EVALUATION: FinalEvaluated,
    USER_ACTION: UserAction,
}
"""The payload model of each event kind."""

_KIND_OF: Final[dict[type[BaseModel], str]] = {
    model: kind for kind, model in PAYLOADS.items() if model not in (SessionEnded, LLMHealthChanged)
}


def parse_payload(kind: str, payload: Mapping[str, Any]) -> Payload:
    """The typed payload of an event of ``kind``; raises ``pydantic.ValidationError`` when
    the payload does not fit its model."""
    model = PAYLOADS.get(kind, UnknownPayload)
    return model.model_validate(dict(payload))  # type: ignore[return-value]


def payload_of(record: EventRecord) -> Payload:
    """The typed payload of a stored event."""
    return parse_payload(record.kind, record.payload)


def emit(
    store: Store,
    session_id: str,
    payload: Payload,
    *,
    kind: str | None = None,
    trial_number: int | None = None,
) -> int:
    """Append ``payload`` as an event of its kind and return the event's id. ``kind`` is
    needed only where one model serves several kinds: the session's end, the LLM's health."""
    if kind is None:
        kind = _KIND_OF.get(type(payload))
        if kind is None:
            raise TypeError(f"{type(payload).__name__} serves several kinds: pass kind=")
    elif not isinstance(payload, PAYLOADS.get(kind, UnknownPayload)):
        raise TypeError(f"a {kind} event takes {PAYLOADS[kind].__name__}, not {type(payload)}")
    return store.append_event(
        session_id, kind, payload.model_dump(mode="json"), trial_number=trial_number
    )
