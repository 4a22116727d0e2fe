"""Normalized regret and the statistics of the quality benchmark, on hand-computed examples."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.quality import metrics


def test_regret_maximize_hand_computed() -> None:
    # f* = 1.0, f_ref = 0.5: best-so-far 0.5, 0.7, 0.7, 0.9 → (1 − b) / 0.5
    curve = metrics.regret_curve([0.5, 0.7, 0.6, 0.9], f_star=1.0, f_ref=0.5, direction="maximize")
    assert curve == pytest.approx([1.0, 0.6, 0.6, 0.2])


def test_regret_minimize_is_mirrored_and_clipped() -> None:
    # f* = 2, f_ref = 7: best-so-far 9 (clipped to 1), 4, 4, 1.5 (better than f*: clipped to 0)
    curve = metrics.regret_curve([9.0, 4.0, 5.0, 1.5], f_star=2.0, f_ref=7.0, direction="minimize")
    assert curve == pytest.approx([1.0, 0.4, 0.4, 0.0])


def test_failed_trials_count_as_no_result() -> None:
    curve = metrics.regret_curve([None, 0.75, None], f_star=1.0, f_ref=0.5, direction="maximize")
    assert curve == pytest.approx([1.0, 0.5, 0.5])
    assert metrics.at(curve, 3) == pytest.approx(0.5)
    assert metrics.at(curve, 4) is None


def test_mean_ranks_and_wilcoxon() -> None:
    table = {"a": {1: 0.1, 2: 0.2, 3: 0.3}, "b": {1: 0.5, 2: 0.2, 3: 0.9}}
    # ranks per key: (1, 2), (1.5, 1.5) tied, (1, 2)
    assert metrics.mean_ranks(table) == pytest.approx({"a": 3.5 / 3, "b": 5.5 / 3})
    test = metrics.wilcoxon(table["a"], table["b"])
    assert test["n_pairs"] == 3 and test["ours_better"] == 2 and test["baseline_better"] == 0
    assert 0.0 < test["p_value"] <= 1.0
    assert metrics.wilcoxon(table["a"], table["a"])["p_value"] is None


def test_paired_difference_averages_seeds_per_task_and_bootstraps_tasks() -> None:
    from benchmarks.quality.metrics import paired_difference

    ours = {("a", 0): 0.1, ("a", 1): 0.3, ("b", 0): 0.0, ("c", 0): 0.2}
    base = {("a", 0): 0.2, ("a", 1): 0.2, ("b", 0): 0.1, ("c", 0): 0.2, ("d", 0): 0.5}
    result = paired_difference(ours, base)
    assert result["n_tasks"] == 3 and result["n_pairs"] == 4  # d has no pair
    assert result["mean"] == pytest.approx((0.0 - 0.1 + 0.0) / 3)
    low, high = result["ci"]
    assert -0.1 - 1e-9 <= low < result["mean"] < high <= 0.0 + 1e-9
    assert paired_difference({}, base)["mean"] is None


def test_paired_ratio_is_a_ratio_of_task_means_with_a_task_bootstrap() -> None:
    from benchmarks.quality.metrics import paired_ratio

    ours = {("a", 0): 0.1, ("a", 1): 0.3, ("b", 0): 0.0, ("c", 0): 0.3}
    base = {("a", 0): 0.2, ("a", 1): 0.2, ("b", 0): 0.2, ("c", 0): 0.2, ("d", 0): 0.5}
    result = paired_ratio(ours, base)
    assert result["n_tasks"] == 3 and result["n_pairs"] == 4
    assert result["ratio"] == pytest.approx((0.2 + 0.0 + 0.3) / (0.2 + 0.2 + 0.2))
    low, high = result["ci"]
    assert 0.0 <= low < result["ratio"] < high <= 1.5 + 1e-9
    assert paired_ratio({}, base)["ratio"] is None
    zero = paired_ratio({("a", 0): 0.1}, {("a", 0): 0.0})
    assert zero["ratio"] is None and zero["ci"] == [None, None]


def test_the_noise_floor_grows_with_the_runs_spread_and_needs_tasks() -> None:
    rng = np.random.default_rng(0)

    def runs(spread: float) -> dict[tuple[str, int], float]:
        return {
            (f"t{t}", s): float(np.clip(0.2 + spread * rng.normal(), 0, 1))
            for t in range(12)
            for s in range(5)
        }

    quiet, loud = metrics.noise_floor(runs(0.01)), metrics.noise_floor(runs(0.1))
    assert quiet is not None and loud is not None
    assert 0 < quiet < 0.01 < loud < 0.1
    assert metrics.noise_floor({("a", 0): 0.1, ("a", 1): 0.3}) is None  # one task
    assert metrics.noise_floor({("a", 0): 0.1, ("b", 0): 0.3}) is None  # one run each
