"""The records a session writes and every face reads: pydantic models, no I/O.

These are the domain's nouns: what the engine suggests (:class:`Suggestion`), how a trial
ended (:class:`TrialOutcome`), what a session is (:class:`SessionSpec`) and what it produced
(:class:`FinalEvaluation`, :class:`SessionResult`, :class:`LLMHealthSummary`) and what the
LLM may cost it (:class:`LLMBudget`, :class:`LLMSpend`, :class:`LLMBudgetStatus`). The event
payloads of :mod:`assistant.events` are built from them, so a field has one definition from
the engine that writes it to the sidebar that shows it.

Example:
    >>> Suggestion(config={"max_depth": 3}, source="default").source
    'default'
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.errors import LLMBudgetError

Mode = Literal["off", "warmstart", "full"]
Source = Literal["default", "warmstart", "llm", "statistical", "quasi_random", "user"]
TrialStatus = Literal["complete", "failed", "pruned", "timeout"]
Isolation = Literal["process", "inline"]
HealthState = Literal["ok", "degraded", "unavailable"]
HealthSummaryState = Literal["ok", "degraded", "unavailable", "off", "unused"]

LLM_SOURCES = frozenset({"warmstart", "llm"})
"""Suggestion sources that mean the trial's configuration came from the LLM."""

CallKind = Literal["propose", "surrogate"]
"""The LLM calls a model-based step may make (the warm start is made once, not scheduled)."""


class CallValue(BaseModel):
    """A running estimate of what one kind of LLM call contributes, with its 95% interval:
    for proposals, their trials' mean percentile minus the statistical picks'; for the
    surrogate, the rank correlation of its predictions with the results."""

    estimate: float
    low: float
    high: float
    n: int = Field(description="the trials the estimate rests on")

    def describe(self) -> str:
        """``"+0.12 [0.03, 0.21] over 6 trials"``."""
        return f"{self.estimate:+.2f} [{self.low:.2f}, {self.high:.2f}] over {self.n} trials"


class CallDecision(BaseModel):
    """Whether a model-based step made one kind of LLM call, why, and on what evidence."""

    call: bool
    reason: str
    value: CallValue | None = None
    calls: int = Field(0, description="steps that made this call before this one")


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
    llm_asked: list[CallKind] = Field(default_factory=list)
    """The LLM calls the step that made this suggestion made (see ``llm_schedule``)."""
    llm_schedule: dict[str, CallDecision] = Field(default_factory=dict)
    """For a model-based step with the LLM on: each call kind's decision and its evidence."""
    planned_at: int | None = None
    """How many trials had finished when the step was planned (one step may serve several)."""
    llm_ready: bool | None = None
    """When a step was being planned in the background (with the LLM): ``True`` if this
    trial took it, ``False`` if it did not wait and ran a statistical suggestion instead."""


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
    model_steps: int = 0
    """Model-based steps planned with the LLM in full mode (where calls are scheduled)."""
    steps_calling: dict[str, int] = Field(
        default_factory=dict, description="call kind → steps that made it"
    )
    value: dict[str, CallValue] = Field(
        default_factory=dict, description="call kind → its last estimated contribution"
    )
    trials_not_waiting: int = 0
    """Trials that ran a statistical suggestion because the LLM's step was not ready."""

    def contribution(self) -> str:
        """``proposals at 7 of 20 steps (+0.10 [-0.05, 0.25] over 4 trials), surrogate …``:
        how often each call kind was made and what it was estimated to contribute."""
        if not self.model_steps:
            return ""
        names = {"propose": "proposals", "surrogate": "surrogate"}
        parts = []
        for kind, steps in self.steps_calling.items():
            value = self.value.get(kind)
            shown = value.describe() if value is not None else "no estimate yet"
            parts.append(
                f"{names.get(kind, kind)} at {steps} of {self.model_steps} steps ({shown})"
            )
        return ", ".join(parts)

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
        if self.contribution():
            trials += f"; {self.contribution()}"
        if self.trials_not_waiting:
            trials += (
                f"; {self.trials_not_waiting} trial(s) ran statistically rather than wait for "
                "its step"
            )
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


class TokenPrices(BaseModel):
    """What an LLM's tokens cost, in US dollars per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_usd_per_mtok: float = Field(ge=0.0)
    output_usd_per_mtok: float = Field(ge=0.0)

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        """The dollars ``prompt_tokens`` in and ``completion_tokens`` out cost."""
        return (
            prompt_tokens * self.input_usd_per_mtok + completion_tokens * self.output_usd_per_mtok
        ) / 1e6


# List prices of a few well-known hosted models, USD per million tokens (input, output), as
# published in 2026; they may be out of date: pass ``price_in``/``price_out`` to be exact.
# The embedded local model costs nothing.
KNOWN_PRICES: dict[str, TokenPrices] = {
    "gpt-4o": TokenPrices(input_usd_per_mtok=2.50, output_usd_per_mtok=10.00),
    "gpt-4o-mini": TokenPrices(input_usd_per_mtok=0.15, output_usd_per_mtok=0.60),
    "gpt-4.1": TokenPrices(input_usd_per_mtok=2.00, output_usd_per_mtok=8.00),
    "gpt-4.1-mini": TokenPrices(input_usd_per_mtok=0.40, output_usd_per_mtok=1.60),
    "gpt-4.1-nano": TokenPrices(input_usd_per_mtok=0.10, output_usd_per_mtok=0.40),
}
FREE = TokenPrices(input_usd_per_mtok=0.0, output_usd_per_mtok=0.0)

_BUDGET_WORDS = {
    "tokens": "max_tokens",
    "seconds": "max_seconds",
    "usd": "max_cost_usd",
    "price_in": "input_usd_per_mtok",
    "price_out": "output_usd_per_mtok",
}
BUDGET_SPELLING = "tokens:N,seconds:S,usd:D[,price_in:P,price_out:P]"
"""The compact spelling of :class:`LLMBudget` (CLI ``--llm-budget``, chat ``llm_budget=``);
prices are US dollars per million input and output tokens."""


class LLMBudget(BaseModel):
    """The most a session may spend on its LLM: tokens (prompt and completion together),
    seconds of LLM time (the calls' durations added up) and, with prices given or known for
    the model, US dollars. Any limit left ``None`` is not enforced; at least one is set.

    Example:
        >>> LLMBudget.parse("tokens:20000,seconds:60")
        LLMBudget(max_tokens=20000, max_seconds=60.0, max_cost_usd=None, prices=None)
        >>> LLMBudget.parse("usd:0.5,price_in:0.15,price_out:0.6").prices.output_usd_per_mtok
        0.6
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int | None = Field(None, ge=1)
    max_seconds: float | None = Field(None, gt=0.0)
    max_cost_usd: float | None = Field(None, gt=0.0)
    prices: TokenPrices | None = None

    @model_validator(mode="after")
    def _one_limit(self) -> LLMBudget:
        if self.max_tokens is None and self.max_seconds is None and self.max_cost_usd is None:
            raise ValueError(f"an LLM budget needs at least one limit ({BUDGET_SPELLING})")
        return self

    @classmethod
    def parse(cls, text: str) -> LLMBudget:
        """Read the compact spelling, e.g. ``tokens:20000,seconds:60,usd:0.5``; raises
        :class:`~assistant.errors.LLMBudgetError` naming the bad part and the allowed words."""
        values: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            word, sep, number = part.partition(":")
            word = word.strip().lower()
            if not sep or word not in _BUDGET_WORDS:
                raise LLMBudgetError(
                    f"llm_budget {part!r}: expected word:number with words "
                    f"{', '.join(_BUDGET_WORDS)} (e.g. {BUDGET_SPELLING})"
                )
            if word in values:
                raise LLMBudgetError(f"llm_budget: {word} is given twice")
            try:
                value = float(number)
            except ValueError:
                raise LLMBudgetError(f"llm_budget {part!r}: {number!r} is not a number") from None
            if not math.isfinite(value) or value < 0 or (value == 0 and word in _LIMITS):
                raise LLMBudgetError(f"llm_budget {part!r}: expected a number above 0")
            if word == "tokens" and not value.is_integer():
                raise LLMBudgetError(f"llm_budget {part!r}: tokens are a whole number")
            values[word] = value
        if ("price_in" in values) != ("price_out" in values):
            raise LLMBudgetError("llm_budget: give both price_in and price_out (USD per 1M tokens)")
        prices = None
        if "price_in" in values:
            prices = TokenPrices(
                input_usd_per_mtok=values["price_in"], output_usd_per_mtok=values["price_out"]
            )
        try:
            return cls(
                max_tokens=int(values["tokens"]) if "tokens" in values else None,
                max_seconds=values.get("seconds"),
                max_cost_usd=values.get("usd"),
                prices=prices,
            )
        except ValueError as exc:
            raise LLMBudgetError(f"llm_budget {text!r}: {_first_error(exc)}") from None

    @classmethod
    def coerce(cls, value: LLMBudget | dict[str, Any] | str | None) -> LLMBudget | None:
        """An :class:`LLMBudget` from itself, a dict of its fields or the compact spelling."""
        if value is None or isinstance(value, LLMBudget):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        if isinstance(value, dict):
            try:
                return cls.model_validate(value)
            except ValueError as exc:
                raise LLMBudgetError(f"llm_budget={value!r}: {_first_error(exc)}") from None
        raise LLMBudgetError(
            f"llm_budget must be an LLMBudget, a dict or a string like {BUDGET_SPELLING!r}, "
            f"not {type(value).__name__}"
        )

    def prices_for(self, model: str | None, *, embedded: bool = False) -> TokenPrices | None:
        """The prices that apply to ``model``: the given ones, the embedded model's (free),
        a known list price, or ``None``."""
        if self.prices is not None:
            return self.prices
        if embedded:
            return FREE
        return KNOWN_PRICES.get((model or "").lower())

    def describe(self) -> str:
        """The limits in words, e.g. ``20,000 tokens, 60 s``."""
        parts = []
        if self.max_tokens is not None:
            parts.append(f"{self.max_tokens:,} tokens")
        if self.max_seconds is not None:
            parts.append(f"{self.max_seconds:g} s")
        if self.max_cost_usd is not None:
            parts.append(f"${self.max_cost_usd:g}")
        return ", ".join(parts)


_LIMITS = frozenset({"tokens", "seconds", "usd"})


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        return f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
    return str(exc)


class LLMSpend(BaseModel):
    """What a session's LLM calls cost so far: tokens (prompt + completion), seconds, dollars
    (``None`` when no price is known)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    calls: int = 0
    tokens: int = 0
    seconds: float = 0.0
    cost_usd: float | None = None


class LLMBudgetStatus(BaseModel):
    """A session's LLM budget against what it spent; ``spent_out`` once a call was refused
    because the budget could not cover it (``reason`` says which limit)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    budget: LLMBudget
    spent: LLMSpend
    spent_out: bool = False
    reason: str = ""
    since_trial: int | None = None

    def headline(self) -> str:
        """One line, e.g. ``LLM budget: 19,120 of 20,000 tokens, 4.1 of 60 s — spent at
        trial 6 (tokens): the search went on statistically``."""
        return f"LLM budget: {spend_vs_budget(self.spent, self.budget)}" + (
            f" — spent{_at(self.since_trial)} ({self.reason}): the search went on statistically"
            if self.spent_out
            else ""
        )


def spend_vs_budget(spent: LLMSpend, budget: LLMBudget) -> str:
    """``spent`` against each limit of ``budget``, in words."""
    parts = []
    if budget.max_tokens is not None:
        parts.append(f"{spent.tokens:,} of {budget.max_tokens:,} tokens")
    if budget.max_seconds is not None:
        parts.append(f"{spent.seconds:.1f} of {budget.max_seconds:g} s")
    if budget.max_cost_usd is not None:
        cost = "?" if spent.cost_usd is None else f"${spent.cost_usd:.4f}"
        parts.append(f"{cost} of ${budget.max_cost_usd:g}")
    return ", ".join(parts)


def _at(trial: int | None) -> str:
    return f" at trial {trial}" if trial is not None else ""


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
    llm_budget: LLMBudget | None = None
    families: list[str] | None = None
    """``model="auto"``: the families raced (``tool`` is ``"auto"``), in the engine's order;
    ``None`` for a session of one family."""
    ensemble: bool = False
    """Build a greedy ensemble of the best trials after tuning, kept when it beats the best
    single configuration in cross-fitted validation."""


class EnsembleMember(BaseModel):
    """One tuned configuration in an ensemble, with its weight (share of selection rounds)."""

    trial: int
    family: str
    config: dict[str, Any]
    weight: float
    cv_score: float
    """The trial's own cross-validated score."""


class EnsembleEvaluation(BaseModel):
    """The greedy ensemble of the best trials (see :mod:`assistant.ensemble`), and whether
    it was kept as the session's model.

    ``cv_score`` is cross-fitted (weights chosen on the other folds, scored on each fold);
    ``best_single_cv`` is the best candidate's score on the same folds. The ensemble is
    kept only when ``cv_score`` beats it; the held-out score (``test_score`` with its
    interval) is measured either way when the blend has two members or more, so both can be
    compared, but it never decides.
    """

    kept: bool
    reason: str
    n_candidates: int
    members: list[EnsembleMember] = Field(default_factory=list)
    cv_score: float | None = None
    best_single_cv: float | None = None
    test_score: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def headline(self) -> str:
        """One line: the members, whether the blend was kept and why, its held-out score."""
        if len(self.members) < 2:
            return f"Ensemble: not used ({self.reason})."
        parts = ", ".join(f"{m.family} #{m.trial} {m.weight:.2f}" for m in self.members)
        verdict = "kept" if self.kept else "not kept"
        line = f"Ensemble of {len(self.members)} ({parts}): {verdict}, {self.reason}"
        if self.test_score is not None:
            line += f"; held-out {self.test_score:.4f}"
            if self.ci_low is not None and self.ci_high is not None:
                line += f" (95% CI {self.ci_low:.4f}–{self.ci_high:.4f})"
        return line + "."


class FinalEvaluation(BaseModel):
    """The best configuration refitted on the whole training split and scored once on the
    held-out split, with a bootstrap 95% interval; and the ensemble of the best trials when
    the session builds one (``ensemble``)."""

    config: dict[str, Any]
    metric: str
    cv_score: float
    test_score: float
    ci_low: float | None
    ci_high: float | None
    n_test: int
    test_seed: int
    family: str | None = None
    """The family of the best configuration, in a ``model="auto"`` session."""
    ensemble: EnsembleEvaluation | None = None
    """The ensemble built after tuning (``None``: the session builds none)."""

    def headline(self) -> str:
        """One line, e.g. ``Held-out accuracy of the best configuration (knn): 0.9667 (95% CI
        0.9000–1.0000, n=30)`` (the sidebar's ``finalLine`` words it the same)."""
        family = f" ({self.family})" if self.family else ""
        spread = (
            f"95% CI {self.ci_low:.4f}–{self.ci_high:.4f}, "
            if self.ci_low is not None and self.ci_high is not None
            else ""
        )
        return (
            f"Held-out {self.metric} of the best configuration{family}: "
            f"{self.test_score:.4f} ({spread}n={self.n_test})"
        )


class SessionResult(BaseModel):
    """What a finished (or stopped) run produced."""

    session_id: str
    status: str
    n_complete: int
    n_failed: int
    n_pruned: int
    best_config: dict[str, Any] | None = None
    best_cv_score: float | None = None
    best_family: str | None = None
    """The family of ``best_config``, in a ``model="auto"`` session."""
    final: FinalEvaluation | None = None
    n_llm_calls: int = 0
    n_fallbacks: int = 0
    llm_health: LLMHealthSummary | None = None
    llm_budget: LLMBudgetStatus | None = None
    error: str | None = None
