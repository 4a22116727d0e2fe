"""Normalized regret and the statistics reported over (task, seed) pairs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

CHECKPOINTS = (5, 10, 25)


def best_so_far(values: Sequence[float | None], direction: str) -> list[float | None]:
    """The best score after each trial (failed trials, ``None``, change nothing)."""
    out: list[float | None] = []
    best: float | None = None
    for v in values:
        if (
            v is not None
            and math.isfinite(v)
            and (best is None or (v > best if direction == "maximize" else v < best))
        ):
            best = float(v)
        out.append(best)
    return out


def normalized_regret(
    best: float | None, f_star: float, f_ref: float, direction: str, *, clip: bool = True
) -> float:
    """``(f* − best) / (f* − f_ref)`` for maximization (mirrored for minimization), in [0, 1].

    No result yet counts as regret 1; a task where ``f* == f_ref`` has no room to regret.
    With ``clip=False`` a result better than ``f*`` keeps its negative regret: with a frozen
    ``f*`` that is how a run that beat the reference table shows (the cap at 1 stays, so one
    bad early trial cannot dominate a mean).

    >>> normalized_regret(0.75, 1.0, 0.5, "maximize")
    0.5
    >>> normalized_regret(3.0, 2.0, 7.0, "minimize")
    0.2
    >>> normalized_regret(1.25, 1.0, 0.5, "maximize", clip=False)
    -0.5
    """
    if best is None:
        return 1.0
    span = f_star - f_ref if direction == "maximize" else f_ref - f_star
    if span <= 0:
        return 0.0
    gap = f_star - best if direction == "maximize" else best - f_star
    regret = min(1.0, gap / span)
    return float(max(0.0, regret) if clip else regret)


def regret_curve(
    values: Sequence[float | None],
    f_star: float,
    f_ref: float,
    direction: str,
    *,
    clip: bool = True,
) -> list[float]:
    """Normalized regret after each trial (``clip``: see :func:`normalized_regret`)."""
    return [
        normalized_regret(b, f_star, f_ref, direction, clip=clip)
        for b in best_so_far(values, direction)
    ]


NOISE_SPAN = 0.01
"""A task whose ``|f_ref − f*|`` is at most this fraction of ``|f*|`` is at noise level."""


def at_noise_level(f_star: float, f_ref: float, relative: float = NOISE_SPAN) -> bool:
    """Whether the task's score span is too small for its normalized regret to mean much.

    Regret divides by ``f* − f_ref``; when that span is tiny, CV noise is blown up into
    large regret swings. 1% of ``|f*|`` is about what one or two rows change in the 5-fold
    CV accuracy of the suite's datasets of a few hundred rows (one row of 150 is 0.7%), so
    a span under it cannot separate methods from noise.

    >>> at_noise_level(0.95, 0.945), at_noise_level(0.95, 0.80)
    (True, False)
    """
    return abs(f_ref - f_star) <= relative * abs(f_star)


def at(curve: Sequence[float], trial: int) -> float | None:
    """Regret after ``trial`` trials (1-based), or ``None`` when the run was shorter."""
    return float(curve[trial - 1]) if len(curve) >= trial else None


def mean_se(xs: Sequence[float]) -> tuple[float | None, float | None]:
    """Mean and standard error (``None`` for an empty sample; SE 0 for one value)."""
    if not xs:
        return None, None
    a = np.asarray(xs, dtype=float)
    se = float(a.std(ddof=1) / math.sqrt(len(a))) if len(a) > 1 else 0.0
    return float(a.mean()), se


def mean_ranks(table: Mapping[str, Mapping[Any, float]]) -> dict[str, float]:
    """Average rank (1 = lowest regret, ties averaged) of each method over the keys that
    every method has."""
    from scipy.stats import rankdata

    methods = list(table)
    if not methods:
        return {}
    common = set.intersection(*(set(table[m]) for m in methods))
    if not common:
        return {}
    ranks = np.array([rankdata([table[m][k] for m in methods]) for k in sorted(common, key=repr)])
    return {m: float(r) for m, r in zip(methods, ranks.mean(axis=0), strict=True)}


TIE = 1e-12
"""Regret differences at most this large are ties."""


def wilcoxon(ours: Mapping[Any, float], baseline: Mapping[Any, float]) -> dict[str, Any]:
    """Wilcoxon signed-rank test of paired regrets (two-sided), over the shared keys."""
    from scipy.stats import wilcoxon as scipy_wilcoxon

    keys = sorted(set(ours) & set(baseline), key=repr)
    # A difference at float rounding level is a tie (seed means of equal regrets summed in
    # another order differ in the last bit), not a win for one side.
    diffs = [0.0 if abs(d) <= TIE else d for d in (ours[k] - baseline[k] for k in keys)]
    result: dict[str, Any] = {
        "n_pairs": len(keys),
        "mean_difference": float(np.mean(diffs)) if diffs else None,
        "ours_better": sum(d < 0 for d in diffs),
        "baseline_better": sum(d > 0 for d in diffs),
        "statistic": None,
        "p_value": None,
    }
    if not any(diffs):
        result["note"] = "no non-zero differences: the test is undefined"
        return result
    test = scipy_wilcoxon(diffs, zero_method="zsplit")
    result["statistic"] = float(test.statistic)
    result["p_value"] = float(test.pvalue)
    return result


def paired_difference(
    ours: Mapping[tuple[str, int], float],
    baseline: Mapping[tuple[str, int], float],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean regret difference ``ours - baseline`` over tasks, each task's difference first
    averaged over its seeds (runs of one task are not independent), with a 95% bootstrap
    interval that resamples tasks. Keys are ``(task, seed)``; only shared keys count."""
    keys = sorted(set(ours) & set(baseline))
    by_task: dict[str, list[float]] = {}
    for task, seed_ in keys:
        by_task.setdefault(task, []).append(ours[(task, seed_)] - baseline[(task, seed_)])
    diffs = np.array([np.mean(v) for _, v in sorted(by_task.items())], dtype=float)
    if diffs.size == 0:
        return {"n_tasks": 0, "n_pairs": 0, "mean": None, "ci": [None, None]}
    rng = np.random.default_rng(seed)
    means = rng.choice(diffs, size=(resamples, diffs.size), replace=True).mean(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return {
        "n_tasks": int(diffs.size),
        "n_pairs": len(keys),
        "mean": float(diffs.mean()),
        "ci": [float(low), float(high)],
    }


def noise_floor(
    baseline: Mapping[tuple[str, int], float],
    *,
    simulations: int = 200,
    resamples: int = 500,
    seed: int = 0,
) -> float | None:
    """The upper 95% bound that :func:`paired_difference` typically shows (the median over
    ``simulations``) for a method that changes nothing but the runs' luck: within each
    task, both sides are drawn from ``baseline``'s own runs of it, with replacement,
    as many as it has. A non-inferiority margin below this figure cannot be shown with
    these tasks and seeds unless the method really helps. Resampling a handful of runs
    understates their spread a little (by (n − 1)/n in variance), so the floor is if
    anything low. ``None`` with fewer than two tasks or no task with two runs.

    >>> noise_floor({("a", 0): 0.1, ("a", 1): 0.1, ("b", 0): 0.2, ("b", 1): 0.2})
    0.0
    """
    by_task: dict[str, list[float]] = {}
    for (task, _seed), value in baseline.items():
        by_task.setdefault(task, []).append(value)
    if len(by_task) < 2 or all(len(v) < 2 for v in by_task.values()):
        return None
    rng = np.random.default_rng(seed)
    bounds = []
    for _ in range(simulations):
        ours: dict[tuple[str, int], float] = {}
        theirs: dict[tuple[str, int], float] = {}
        for task, values in by_task.items():
            for i in range(len(values)):
                ours[(task, i)] = values[int(rng.integers(len(values)))]
                theirs[(task, i)] = values[int(rng.integers(len(values)))]
        draw = int(rng.integers(2**31))
        bounds.append(paired_difference(ours, theirs, resamples=resamples, seed=draw)["ci"][1])
    return float(np.median(bounds))


def paired_ratio(
    ours: Mapping[tuple[str, int], float],
    baseline: Mapping[tuple[str, int], float],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean regret of ``ours`` over the baseline's, each task's regrets first averaged over its
    seeds, with a 95% bootstrap interval that resamples tasks (both means over the same
    resampled tasks). Keys are ``(task, seed)``; only shared keys count. A ratio whose
    baseline mean is 0 is undefined (``None``).

    >>> paired_ratio({("a", 0): 0.1, ("b", 0): 0.3}, {("a", 0): 0.2, ("b", 0): 0.2})["ratio"]
    1.0
    """
    keys = sorted(set(ours) & set(baseline))
    by_task: dict[str, list[tuple[float, float]]] = {}
    for task, seed_ in keys:
        by_task.setdefault(task, []).append((ours[(task, seed_)], baseline[(task, seed_)]))
    if not by_task:
        return {"n_tasks": 0, "n_pairs": 0, "ratio": None, "ci": [None, None]}
    pairs = np.array([np.mean(v, axis=0) for _, v in sorted(by_task.items())], dtype=float)
    top, bottom = pairs.sum(axis=0)
    out: dict[str, Any] = {
        "n_tasks": len(pairs),
        "n_pairs": len(keys),
        "ratio": float(top / bottom) if bottom > 0 else None,
        "ci": [None, None],
    }
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(pairs), size=(resamples, len(pairs)))
    sums = pairs[picks].sum(axis=1)  # (resamples, 2): ours, baseline
    usable = sums[:, 1] > 0
    if out["ratio"] is not None and usable.any():
        low, high = np.quantile(sums[usable, 0] / sums[usable, 1], [0.025, 0.975])
        out["ci"] = [float(low), float(high)]
    return out


def task_means(values: Mapping[tuple[str, int], float]) -> dict[str, float]:
    """Each task's value averaged over its seeds: runs of one task are not independent, so
    tasks, not (task, seed) pairs, are the units of a test or an interval."""
    by_task: dict[str, list[float]] = {}
    for (task, _seed), value in values.items():
        by_task.setdefault(task, []).append(value)
    return {task: float(np.mean(v)) for task, v in sorted(by_task.items())}


def mean_ci(
    values: Mapping[tuple[str, int], float], *, resamples: int = 2000, seed: int = 0
) -> list[float | None]:
    """A 95% bootstrap interval of the mean of the task means (``values`` keyed by
    ``(task, seed)``), resampling tasks; ``[None, None]`` with fewer than two tasks, where
    resampling one unit would give a point that looks like certainty.

    >>> mean_ci({("a", 0): 0.25, ("a", 1): 0.75, ("b", 0): 0.5})
    [0.5, 0.5]
    >>> mean_ci({("a", 0): 0.25, ("a", 1): 0.75})
    [None, None]
    """
    means = np.array(list(task_means(values).values()), dtype=float)
    if means.size < 2:
        return [None, None]
    rng = np.random.default_rng(seed)
    boot = rng.choice(means, size=(resamples, means.size), replace=True).mean(axis=1)
    low, high = np.quantile(boot, [0.025, 0.975])
    return [float(low), float(high)]


def task_wilcoxon(
    ours: Mapping[tuple[str, int], float], baseline: Mapping[tuple[str, int], float]
) -> dict[str, Any]:
    """:func:`wilcoxon` on seed-averaged regrets paired by task (only the (task, seed) keys
    both have count), so that a task run with many seeds does not count many times."""
    shared = sorted(set(ours) & set(baseline))
    result = wilcoxon(
        task_means({k: ours[k] for k in shared}), task_means({k: baseline[k] for k in shared})
    )
    result["n_tasks"] = result.pop("n_pairs")
    return result


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the order given (statsmodels' implementation:
    it keeps the adjusted values monotone and capped at 1).

    >>> holm([0.0625, 0.25, 0.125])
    [0.1875, 0.25, 0.25]
    """
    if not pvalues:
        return []
    from statsmodels.stats.multitest import multipletests

    adjusted = multipletests(list(pvalues), method="holm")[1]
    return [float(p) for p in adjusted]
