"""The ensemble step after tuning: a greedy blend of the best trials, kept only when it
beats the best single configuration in honest (cross-fitted) validation.

The candidates are the best trial of each family first (diversity is where a blend gains),
then the next best trials, up to :data:`MAX_CANDIDATES` distinct configurations. Each is
cross-validated once more on the session's folds (the trials' own folds and seed) for
out-of-fold predictions; greedy selection (:mod:`assistant.tools.ensemble`) weighs them.
The blend is kept when its cross-fitted score is better than the best candidate's on the
same folds. Either way, a blend of two or more members is refitted on the training split and
scored once on the held-out rows with a bootstrap interval, so the report can show both;
the held-out score never decides.

This costs ``candidates x folds`` fits plus one refit per member; it runs in the session's
process, after the trials.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from optuna.trial import FrozenTrial, TrialState

from assistant.cash import config_of, family_of
from assistant.errors import ToolError
from assistant.records import EnsembleEvaluation, EnsembleMember, SessionSpec

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 6
"""How many distinct configurations the selection chooses from."""


@dataclass(frozen=True)
class BuiltEnsemble:
    """The recorded evaluation, and the fitted blend when it was kept."""

    evaluation: EnsembleEvaluation
    blend: Any = None
    models: tuple[Any, ...] = ()


def candidates(
    trials: Sequence[FrozenTrial], spec: SessionSpec, limit: int = MAX_CANDIDATES
) -> list[FrozenTrial]:
    """The trials to choose from: each family's best, then the best others; distinct
    configurations, best first."""
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    sign = -1.0 if spec.direction == "maximize" else 1.0
    ranked = sorted(complete, key=lambda t: (sign * float(t.value), t.number))  # type: ignore[arg-type]
    chosen: list[FrozenTrial] = []
    seen: set[str] = set()

    def add(trial: FrozenTrial) -> None:
        key = f"{_family(trial, spec)}:{sorted(config_of(trial).items())!r}"
        if key not in seen and len(chosen) < limit:
            seen.add(key)
            chosen.append(trial)

    families_done: set[str] = set()
    for trial in ranked:
        family = _family(trial, spec)
        if family not in families_done:
            families_done.add(family)
            add(trial)
    for trial in ranked:
        add(trial)
    best = ranked[0] if ranked else None
    # The best trial first: ties in the selection go to it.
    return sorted(chosen, key=lambda t: t is not best)


def within_seconds(
    pool: Sequence[FrozenTrial], seconds: float | None, n_folds: int
) -> list[FrozenTrial]:
    """The first candidates of ``pool`` whose out-of-fold fits and refit fit in ``seconds``
    (each costs about its trial's duration, one fit a fold, and one more fit to refit);
    all of them without a limit."""
    if seconds is None:
        return list(pool)
    kept: list[FrozenTrial] = []
    spent = 0.0
    for trial in pool:
        spent += _seconds(trial) * (1.0 + 1.0 / max(1, n_folds))
        if spent > seconds:
            break
        kept.append(trial)
    return kept


DURATION_ATTR = "duration_s"
"""The user attribute holding a trial's training time, without the wait for a worker."""


def _seconds(trial: FrozenTrial) -> float:
    recorded = trial.user_attrs.get(DURATION_ATTR)
    if isinstance(recorded, int | float):
        return float(recorded)
    duration = trial.duration  # a trial from before the attribute: its wall time
    return duration.total_seconds() if duration is not None else 0.0


def build_ensemble(
    trials: Sequence[FrozenTrial],
    spec: SessionSpec,
    train: Any,
    test: Any,
    final_seed: int,
    seconds: float | None = None,
) -> BuiltEnsemble:
    """Select, judge and (when kept or worth showing) refit the ensemble of ``trials``,
    from the candidates that fit in ``seconds`` (see :func:`within_seconds`)."""
    from assistant.tools import get_tool, resolve_metric
    from assistant.tools.data import kfold_indices
    from assistant.tools.ensemble import (
        Blend,
        cross_fitted_score,
        fold_score,
        greedy_selection,
        out_of_fold,
    )
    from assistant.tools.evaluation import bootstrap_interval

    pool = candidates(trials, spec)
    if len(pool) < 2:
        return _none(f"{len(pool)} distinct finished configuration(s); a blend needs two", pool)
    affordable = within_seconds(pool, seconds, spec.n_folds)
    if len(affordable) < 2:
        return _none(
            f"the time limit left {seconds or 0.0:.1f} s, too little to fit two candidates "
            f"(about {sum(_seconds(t) for t in pool[:2]) * (1 + 1 / spec.n_folds):.1f} s)",
            pool,
        )
    pool = affordable
    metric = resolve_metric(spec.metric, spec.task)
    folds = kfold_indices(train, spec.n_folds, spec.seed)
    valid = [rows for _, rows in folds]
    y = np.asarray(train.y)
    usable: list[FrozenTrial] = []
    predictions: list[np.ndarray] = []
    for trial in pool:
        tool = get_tool(_family(trial, spec))
        try:
            predictions.append(out_of_fold(tool, train, config_of(trial), folds, spec.seed, metric))
        except ToolError as exc:
            logger.info("trial %d left out of the ensemble: %s", trial.number, exc)
            continue
        usable.append(trial)
    if len(usable) < 2:
        return _none(f"{len(usable)} candidate(s) give predictions; a blend needs two", pool)
    weights = greedy_selection(predictions, y, metric, valid)
    single = fold_score(predictions[0], y, metric, valid)
    blended = cross_fitted_score(predictions, y, metric, valid)
    members = [
        EnsembleMember(
            trial=t.number,
            family=_family(t, spec),
            config=config_of(t),
            weight=float(w),
            cv_score=float(t.value),  # type: ignore[arg-type]  # complete trials have values
        )
        for t, w in zip(usable, weights, strict=True)
        if w > 0
    ]
    kept = len(members) >= 2 and metric.is_better(blended, single)
    if len(members) < 2:
        reason = "the selection kept only the best configuration"
    elif kept:
        reason = f"cross-fitted {metric.name} {blended:.4g} beats the best single's {single:.4g}"
    else:
        reason = (
            f"cross-fitted {metric.name} {blended:.4g} does not beat the best single's {single:.4g}"
        )
    evaluation = EnsembleEvaluation(
        kept=kept,
        reason=reason,
        n_candidates=len(usable),
        members=members,
        cv_score=blended,
        best_single_cv=single,
    )
    if len(members) < 2:
        return BuiltEnsemble(evaluation)
    member_trials = [t for t, w in zip(usable, weights, strict=True) if w > 0]
    tools = tuple(get_tool(_family(t, spec)) for t in member_trials)
    models = tuple(
        tool.fit(train, config_of(t), final_seed, metric=metric)
        for tool, t in zip(tools, member_trials, strict=True)
    )
    fitted = Blend(
        tools=tools,
        weights=tuple(m.weight for m in members),
        labels=tuple(f"trial {m.trial} ({m.family})" for m in members),
    )
    outputs = fitted.predict(models, test)
    score = metric(np.asarray(test.y), outputs)
    low, high = bootstrap_interval(metric, test, outputs, 1000, final_seed)
    evaluation = evaluation.model_copy(update={"test_score": score, "ci_low": low, "ci_high": high})
    logger.info("ensemble of %d: %s (held-out %.4g)", len(members), reason, score)
    return BuiltEnsemble(evaluation, fitted if kept else None, models if kept else ())


def _family(trial: FrozenTrial, spec: SessionSpec) -> str:
    return family_of(trial) or spec.tool


def _none(reason: str, pool: Sequence[FrozenTrial]) -> BuiltEnsemble:
    return BuiltEnsemble(EnsembleEvaluation(kept=False, reason=reason, n_candidates=len(pool)))
