"""Search across model families (``model="auto"``): which families run, and how the trial
budget moves to the ones that are winning (successive halving over families).

Each family keeps its own search space, namespaced as ``family__param`` so that one study
holds every family's trials and each family's sampler sees only its own (the engine's GP
works on one fixed space). The first rung gives every candidate a few trials (its library
defaults first); each later rung keeps the better half by best score so far and doubles
their trials, until one family takes the rest of the budget. The LLM may put its pick
first; the measured scores decide who survives.

Example:
    >>> halvings(4)
    [4, 2, 1]
    >>> rung_quota(4, 40), rung_quota(2, 28), rung_quota(1, 14)
    (3, 7, 14)
    >>> families_for_budget(5, 12)
    2
    >>> strip_config({"knn__n_neighbors": 5}, "knn")
    {'n_neighbors': 5}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel

from assistant.space import SearchSpace

SEP = "__"
"""Between a family's name and its parameter's in a ``model="auto"`` study."""

MAX_FAMILIES = 4
MIN_FIRST_RUNG = 2
"""Trials each family gets at least in the first rung (its defaults, then one searched)."""

DEFAULT_ORDER: dict[str, list[str]] = {
    # Diverse families first (trees, boosting, linear, neighbours), boosting libraries after.
    "classification": [
        "hist_gradient_boosting",
        "random_forest",
        "logistic",
        "knn",
        "lightgbm",
        "xgboost",
        "svm",
        "mlp",
    ],
    "regression": [
        "hist_gradient_boosting",
        "random_forest",
        "linear",
        "knn",
        "lightgbm",
        "xgboost",
        "svm",
        "mlp",
    ],
    "images": ["torch_cnn", "torch_mlp"],
}
DEFAULT_REASON = "the engine's default order for this kind of data"


class FamilyCandidate(BaseModel):
    """A family that takes part, and why: the LLM's pick, the default order, or the user's
    list."""

    family: str
    reason: str
    source: Literal["llm", "default", "user"]


class FamilyDropped(BaseModel):
    """A family left out (not installed, unsupported) or dropped after a rung, and why."""

    family: str
    reason: str


class FamilyScore(BaseModel):
    """A family's trials up to the end of a rung: how many, and its best score."""

    family: str
    n_trials: int = 0
    n_complete: int = 0
    n_failed: int = 0
    n_pruned: int = 0
    best_score: float | None = None
    best_trial: int | None = None
    error: str | None = None
    """The first failure's reason, when the family has no complete trial."""


def family_space(space: SearchSpace, family: str) -> SearchSpace:
    """``space`` with each parameter named ``family__name``."""
    return SearchSpace.of(*(p.model_copy(update={"name": f"{family}{SEP}{p.name}"}) for p in space))


def family_config(config: Mapping[str, Any], family: str) -> dict[str, Any]:
    """A family's own configuration, namespaced for the study."""
    return {f"{family}{SEP}{name}": value for name, value in config.items()}


def strip_config(params: Mapping[str, Any], family: str) -> dict[str, Any]:
    """The family's own configuration out of a namespaced trial's parameters."""
    prefix = f"{family}{SEP}"
    return {k.removeprefix(prefix): v for k, v in params.items() if k.startswith(prefix)}


def candidate_families(
    available: Sequence[str],
    *,
    task: str,
    images: bool = False,
    llm_pick: str | None = None,
    llm_rationale: str = "",
    requested: Sequence[str] | None = None,
    max_families: int = MAX_FAMILIES,
) -> tuple[list[FamilyCandidate], list[FamilyDropped]]:
    """The families to race, in order, and those left out with their reasons.

    ``available`` are the tools that can be tuned here; ``requested`` (the user's list)
    replaces the default order; the LLM's pick, when it names an available family, goes
    first. At most ``max_families`` take part.
    """
    skipped: list[FamilyDropped] = []
    if requested:
        order, source = list(dict.fromkeys(requested)), "user"
        reason = "in the families you asked for"
    else:
        order, source = DEFAULT_ORDER["images" if images else task], "default"
        reason = DEFAULT_REASON
    out: list[FamilyCandidate] = []
    if llm_pick is not None and llm_pick in available:
        why = f"the LLM's pick: {llm_rationale}".strip() if llm_rationale else "the LLM's pick"
        out.append(FamilyCandidate(family=llm_pick, reason=why, source="llm"))
    for name in order:
        if name not in available:
            skipped.append(FamilyDropped(family=name, reason=f"not installed or not for {task}"))
        elif len(out) < max_families and all(c.family != name for c in out):
            out.append(FamilyCandidate(family=name, reason=reason, source=source))
    return out, skipped


def halvings(n_families: int) -> list[int]:
    """The number of families in each rung: halved (rounding up) down to one."""
    sizes = [max(1, n_families)]
    while sizes[-1] > 1:
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


def rung_quota(n_families: int, remaining: int) -> int:
    """Trials per family in the next rung, with ``remaining`` trials left: survivors halve
    and their trials double each rung, so every rung costs about the same; a lone family
    takes all that is left."""
    if n_families <= 1:
        return max(0, remaining)
    weight = sum(size * 2**i for i, size in enumerate(halvings(n_families)))
    return max(1, remaining // weight)


def rung_seconds(n_families: int, seconds_left: float) -> float:
    """Seconds for the next rung of a race against a clock: every rung costs about the same
    (see :func:`rung_quota`), so each of the rungs still to come gets an equal share; a
    lone family takes all that is left."""
    return max(0.0, seconds_left) / len(halvings(n_families))


def families_for_budget(n_candidates: int, n_trials: int, max_families: int = MAX_FAMILIES) -> int:
    """How many families ``n_trials`` can race: the most (up to ``max_families``) whose first
    rung still gives each at least :data:`MIN_FIRST_RUNG` trials; one when none can."""
    for k in range(min(n_candidates, max_families), 1, -1):
        if rung_quota(k, n_trials) >= MIN_FIRST_RUNG:
            return k
    return 1 if n_candidates else 0


def survivors(
    scores: Sequence[FamilyScore], direction: str, keep: int
) -> tuple[list[str], list[FamilyDropped]]:
    """The ``keep`` best families by best score (ties: the earlier candidate), best first,
    and the dropped ones with their reasons. A family with no complete trial never
    survives."""
    sign = 1.0 if direction == "maximize" else -1.0
    scored = [s for s in scores if s.best_score is not None]
    ranked = sorted(scored, key=lambda s: -sign * s.best_score)  # type: ignore[operator]
    kept = ranked[:keep]
    dropped = [
        FamilyDropped(family=s.family, reason=_no_score(s)) for s in scores if s not in scored
    ]
    if kept:
        bar = kept[-1].best_score
        for s in ranked[keep:]:
            if s.best_score == bar:
                why = f"best score {bar:.6g} ties the last survivor's: the earlier candidate stays"
            else:
                why = f"best score {s.best_score:.6g} behind the survivors' ({bar:.6g})"
            dropped.append(FamilyDropped(family=s.family, reason=why))
    return [s.family for s in kept], dropped


def _no_score(score: FamilyScore) -> str:
    if score.n_trials == 0:
        return "no trial ran"
    if score.n_failed == score.n_trials:
        return f"all {score.n_trials} trials failed: {score.error or 'no reason recorded'}"
    return f"no trial completed ({score.n_failed} failed, {score.n_pruned} pruned)" + (
        f": {score.error}" if score.error else ""
    )
