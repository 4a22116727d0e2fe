"""The records a session writes and every face reads: pydantic models, no I/O.

These are the domain's nouns: what the engine suggests (:class:`Suggestion`), how a trial
ended (:class:`TrialOutcome`), what a session is (:class:`SessionSpec`) and what it produced
(:class:`FinalEvaluation`, :class:`SessionResult`, :class:`LLMHealthSummary`). The event
payloads of :mod:`assistant.events` are built from them, so a field has one definition from
the engine that writes it to the sidebar that shows it.

Example:
    >>> Suggestion(config={"max_depth": 3}, source="default").source
    'default'
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["off", "warmstart", "full"]
Source = Literal["default", "warmstart", "llm", "statistical", "quasi_random", "user"]
TrialStatus = Literal["complete", "failed", "pruned", "timeout"]
Isolation = Literal["process", "inline"]
HealthState = Literal["ok", "degraded", "unavailable"]
HealthSummaryState = Literal["ok", "degraded", "unavailable", "off", "unused"]

LLM_SOURCES = frozenset({"warmstart", "llm"})
"""Suggestion sources that mean the trial's configuration came from the LLM."""


class Suggestion(BaseModel):
    """A configuration the engine wants tried, with everything needed to explain it.

    Predictions are in the metric's own units. ``fallback`` says why the LLM was not used
    when it should have been.
    """

    config: dict[str, Any]
    source: Source
    initial: bool = False
    rationale: str = ""
    predicted: float | None = None
    llm_pred: float | None = None
    llm_std: float | None = None
    stat_pred: float | None = None
    stat_std: float | None = None
    acquisition: float | None = None
    target: float | None = None
    llm_weight: float | None = None
    fallback: str | None = None
    rejected: list[str] = Field(default_factory=list)


class TrialOutcome(BaseModel):
    """How one trial ended.

    ``value`` is the score for a complete trial and the last reported value for a pruned
    one; ``error`` says why a trial failed or timed out and ``traceback`` holds the tail of
    the worker's traceback for exceptions. ``device`` is where the model trained (``"cpu"``,
    ``"cuda:0"``), or ``None`` when the worker died before saying.
    """

    status: TrialStatus
    value: float | None = None
    error: str | None = None
    traceback: str | None = None
    duration_s: float = 0.0
    intermediate_values: list[tuple[int, float]] = Field(default_factory=list)
    device: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    seed: int = 0

    @property
    def ok(self) -> bool:
        """True for a complete trial."""
        return self.status == "complete"


class HealthChange(BaseModel):
    """One transition of the LLM's health, as listeners (and the session's events) get it.

    ``retry_in_s`` is set when the LLM became unavailable: the seconds until the next probe,
    or ``None`` when it will not be tried again (``permanent``). ``restarted``: the change
    is a managed server's restart.
    """

    state: HealthState
    previous: HealthState
    reason: str
    retry_in_s: float | None = None
    permanent: bool = False
    restarted: bool = False


class LLMHealthState(BaseModel):
    """The LLM's health as the event stream tells it so far; ``since_trial`` is the trial
    where the current state (trouble of either kind, or health) began."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    state: HealthState = "ok"
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


class SessionSpec(BaseModel):
    """Everything needed to run or resume a session, as stored (no secrets, no data)."""

    model_config = ConfigDict(frozen=True)

    tool: str
    task: Literal["classification", "regression"]
    metric: str
    direction: Literal["minimize", "maximize"]
    n_trials: int = Field(ge=1)
    n_folds: int = Field(5, ge=2)
    seed: int = 0
    test_size: float = Field(0.2, gt=0.0, lt=1.0)
    mode: Mode = "full"
    options: dict[str, Any] = Field(default_factory=dict)
    llm: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    data_dir: str
    isolation: Isolation = "process"
    trial_timeout_s: float | None = None


class FinalEvaluation(BaseModel):
    """The best configuration refitted on the whole training split and scored once on the
    held-out split, with a bootstrap 95% interval."""

    config: dict[str, Any]
    metric: str
    cv_score: float
    test_score: float
    ci_low: float | None
    ci_high: float | None
    n_test: int
    test_seed: int


class SessionResult(BaseModel):
    """What a finished (or stopped) run produced."""

    session_id: str
    status: str
    n_complete: int
    n_failed: int
    n_pruned: int
    best_config: dict[str, Any] | None = None
    best_cv_score: float | None = None
    final: FinalEvaluation | None = None
    n_llm_calls: int = 0
    n_fallbacks: int = 0
    llm_health: LLMHealthSummary | None = None
    error: str | None = None
