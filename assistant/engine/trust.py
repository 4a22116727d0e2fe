"""How much the LLM surrogate is trusted, from how well its past predictions matched reality.

The weight starts at a modest prior and moves toward the LLM's share of predictive
precision compared with the statistical surrogate on the same trials. An LLM whose
predictions rank the results no better than chance gets no weight at all, so a weak or
misleading model cannot drag the search below the statistical optimizer. The LLM's own
proposals are evidence too, and the earliest there is: when the configurations it proposed
(its warm start, its candidates) score below those the statistical engine chose in the same
phase (quasi-random points, GP picks), its predictions get no weight either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel
from scipy.stats import rankdata, spearmanr

from assistant.engine.history import Observation, completed


class TrustReport(BaseModel):
    """The LLM surrogate's weight and the evidence behind it."""

    weight: float
    n_pairs: int
    llm_rmse: float | None = None
    stat_rmse: float | None = None
    llm_rank_corr: float | None = None
    proposal_record: float | None = None


# (the LLM's source, the statistical source it is compared with in the same phase)
_PHASES = (("warmstart", "quasi_random"), ("llm", "statistical"))


def proposal_record(history: Sequence[Observation]) -> float | None:
    """How the LLM's own proposals placed against the statistical engine's choices.

    Every completed trial gets its percentile among all completed trials; per phase (initial
    design, model-based steps) the LLM's mean percentile minus the statistical one, averaged
    with the smaller group's size as weight. Positive: its proposals did better. ``None``
    while there are not two comparable trials on each side.
    """
    done = completed(history)
    if len(done) < 4:
        return None
    percentile = rankdata([o.utility for o in done]) / len(done)
    total, weight = 0.0, 0
    for mine, theirs in _PHASES:
        a = [p for o, p in zip(done, percentile, strict=True) if o.source == mine]
        b = [p for o, p in zip(done, percentile, strict=True) if o.source == theirs]
        n = min(len(a), len(b))
        if n:
            total += n * (float(np.mean(a)) - float(np.mean(b)))
            weight += n
    return total / weight if weight >= 2 else None


def llm_weight(
    history: Sequence[Observation],
    prior: float = 0.25,
    prior_strength: float = 5.0,
    max_weight: float = 0.8,
    min_pairs_for_veto: int = 5,
) -> TrustReport:
    """Weight in [0, ``max_weight``] for blending the LLM surrogate with the GP."""
    record = proposal_record(history)
    if record is not None and record < 0.0:
        return TrustReport(weight=0.0, n_pairs=0, proposal_record=record)
    pairs = [o for o in completed(history) if o.llm_pred is not None]
    n = len(pairs)
    if n < 3:
        return TrustReport(weight=prior, n_pairs=n, proposal_record=record)
    actual = np.array([o.utility for o in pairs], dtype=float)
    llm = np.array([o.llm_pred for o in pairs], dtype=float)
    llm_mse = float(np.mean((llm - actual) ** 2))
    with_stat = [o for o in pairs if o.stat_pred is not None]
    if with_stat:
        stat_actual = np.array([o.utility for o in with_stat], dtype=float)
        stat = np.array([o.stat_pred for o in with_stat], dtype=float)
        stat_mse = float(np.mean((stat - stat_actual) ** 2))
    else:
        stat_mse = float(np.var(actual)) or 1.0
    eps = 1e-12
    raw = (1.0 / (llm_mse + eps)) / (1.0 / (llm_mse + eps) + 1.0 / (stat_mse + eps))
    weight = (n * raw + prior_strength * prior) / (n + prior_strength)
    corr: float | None = None
    if np.ptp(llm) > 0 and np.ptp(actual) > 0:
        corr = float(spearmanr(llm, actual).statistic)
    if n >= min_pairs_for_veto and (corr is None or not corr > 0.0):
        weight = 0.0
    return TrustReport(
        weight=float(min(max_weight, max(0.0, weight))),
        n_pairs=n,
        llm_rmse=llm_mse**0.5,
        stat_rmse=stat_mse**0.5,
        llm_rank_corr=corr,
        proposal_record=record,
    )
