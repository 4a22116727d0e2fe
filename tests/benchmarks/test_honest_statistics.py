"""Tasks, not (task, seed) pairs, as the unit of the tests and intervals; Holm over the
family of comparisons; unclipped regret and the frozen-f* bookkeeping (issue 20)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from scipy.stats import wilcoxon as scipy_wilcoxon

from benchmarks.quality import metrics
from benchmarks.quality.methods import RunResult
from benchmarks.quality.reference import Reference
from benchmarks.quality.report import anchors_section, task_level_section
from benchmarks.quality.run import Profile, aggregate, summarize


def test_holm_multiplies_the_sorted_p_values_by_the_tests_left_and_keeps_them_monotone() -> None:
    # sorted: 0.01 x 4 = 0.04, 0.02 x 3 = 0.06, 0.03 x 2 = 0.06, 0.5 x 1 = 0.5
    adjusted = metrics.holm([0.03, 0.5, 0.01, 0.02])
    assert adjusted == pytest.approx([0.06, 0.5, 0.04, 0.06])
    # 0.011 x 2 = 0.022 would fall below 0.01 x 3 = 0.03: monotonicity lifts it; capped at 1
    assert metrics.holm([0.5, 0.011, 0.01]) == pytest.approx([0.5, 0.03, 0.03])
    assert metrics.holm([0.6, 0.7]) == pytest.approx([1.0, 1.0])
    assert metrics.holm([]) == []


def test_task_wilcoxon_pairs_by_task_not_by_seed() -> None:
    # Two tasks, 20 seeds each, ours always better: 40 (task, seed) pairs look conclusive,
    # but there are only two independent units, and a two-sided test of two can't be.
    ours = {(t, s): 0.1 + 0.001 * s for t in ("a", "b") for s in range(20)}
    base = {(t, s): 0.3 + 0.002 * s for t in ("a", "b") for s in range(20)}
    assert metrics.wilcoxon(ours, base)["p_value"] < 1e-3
    test = metrics.task_wilcoxon(ours, base)
    assert test["n_tasks"] == 2 and test["ours_better"] == 2 and test["baseline_better"] == 0
    assert test["p_value"] == pytest.approx(0.5)


def test_task_wilcoxon_is_scipy_on_seed_averaged_regrets_over_shared_keys() -> None:
    ours = {("a", 0): 0.1, ("a", 1): 0.3, ("b", 0): 0.5, ("c", 0): 0.2, ("d", 0): 0.0}
    ours |= {("e", 0): 0.4, ("e", 1): 0.0}
    base = {("a", 0): 0.4, ("a", 1): 0.4, ("b", 0): 0.1, ("c", 0): 0.6, ("e", 0): 0.5}
    test = metrics.task_wilcoxon(ours, base)  # d has no baseline; e's seed 1 has none either
    diffs = [0.2 - 0.4, 0.5 - 0.1, 0.2 - 0.6, 0.4 - 0.5]
    assert test["n_tasks"] == 4
    assert test["mean_difference"] == pytest.approx(sum(diffs) / 4)
    assert test["p_value"] == pytest.approx(scipy_wilcoxon(diffs, zero_method="zsplit").pvalue)


def test_a_task_whose_seed_means_tie_is_a_tie_whatever_the_order_of_the_runs() -> None:
    # Task a: the same mean regret on both sides from other seeds' values, whose sums differ
    # in the last bit (0.1 + 0.2 + 0.3 = 0.6000000000000001, 0.3 + 0.2 + 0.1 = 0.6).
    assert (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1
    ours = {("a", 0): 0.1, ("a", 1): 0.2, ("a", 2): 0.3, ("b", 0): 0.1, ("c", 0): 0.2}
    base = {("a", 0): 0.3, ("a", 1): 0.2, ("a", 2): 0.1, ("b", 0): 0.4, ("c", 0): 0.6}
    flipped = {k: base[k] for k in sorted(base, reverse=True)}
    tests = [metrics.task_wilcoxon(ours, b) for b in (base, flipped)]
    tests += [metrics.task_wilcoxon(dict(reversed(ours.items())), b) for b in (base, flipped)]
    assert all(t == tests[0] for t in tests), "the order of the runs changes nothing"
    assert tests[0]["ours_better"] == 2 and tests[0]["baseline_better"] == 0, "a: a tie"


def test_mean_ci_resamples_tasks_after_averaging_their_seeds() -> None:
    # Widely spread seeds, the same task means: the task means are the units, so no width.
    spread = {(t, s): float(s % 2) for t in ("a", "b") for s in range(10)}
    assert metrics.mean_ci(spread) == pytest.approx([0.5, 0.5])
    # A single task is one unit: no interval rather than a point that looks certain.
    assert metrics.mean_ci({k: v for k, v in spread.items() if k[0] == "a"}) == [None, None]
    values = {("a", 0): 0.1, ("a", 1): 0.3, ("b", 0): 0.6, ("c", 0): 0.9}
    low, high = metrics.mean_ci(values)
    assert 0.2 <= low < (0.2 + 0.6 + 0.9) / 3 < high <= 0.9
    assert metrics.mean_ci(values) == metrics.mean_ci(values)  # seeded
    assert metrics.mean_ci({}) == [None, None]


def test_unclipped_regret_keeps_a_result_better_than_f_star() -> None:
    assert metrics.normalized_regret(1.25, 1.0, 0.5, "maximize") == 0.0
    assert metrics.normalized_regret(1.25, 1.0, 0.5, "maximize", clip=False) == -0.5
    assert metrics.normalized_regret(1.0, 2.0, 6.0, "minimize", clip=False) == -0.25
    # the cap at 1 stays: a result worse than f_ref is regret 1 either way
    curve = metrics.regret_curve([0.0, 1.25], 1.0, 0.5, "maximize", clip=False)
    assert curve == pytest.approx([1.0, -0.5])


def test_noise_level_is_a_span_within_one_percent_of_f_star() -> None:
    assert metrics.at_noise_level(0.96, 0.955)
    assert not metrics.at_noise_level(0.96, 0.90)
    assert metrics.at_noise_level(-2.0, -2.01)  # an MSE-like negative score
    assert not metrics.at_noise_level(-2.0, -2.5)


def _run(task: str, method: str, seed: int, best: float, n: int = 10) -> RunResult:
    """A run that reaches ``best`` at its first trial and keeps it."""
    return RunResult(
        task=task,
        method=method,
        seed=seed,
        values=[best] * n,
        params=[{}] * n,
        best_value=best,
        best_config={},
        test_score=best,
        wall_s=0.0,
        sampling_s=[],
    )


def _ref(task: str, f_star: float, f_ref: float) -> Reference:
    return Reference(task, "maximize", [], [], f_star, "synthetic", f_ref)


@pytest.fixture
def aggregated() -> dict[str, Any]:
    """Three maximized tasks, c's span at noise level; regret 1 − level − 0.01 x seed on each,
    ours_off better than tpe and gp everywhere; one ours_off run beats f* on a."""
    methods = ["random", "tpe", "gp", "ours_off"]
    level = {"random": 0.5, "tpe": 0.7, "gp": 0.6, "ours_off": 0.9}
    tasks = ("a", "b", "c")
    refs = {"a": _ref("a", 1.0, 0.0), "b": _ref("b", 1.0, 0.0), "c": _ref("c", 1.0, 0.995)}

    def best(t: str, m: str, s: int) -> float:
        ref = refs[t]
        return ref.f_ref + (ref.f_star - ref.f_ref) * (level[m] + 0.01 * s)

    runs = [
        _run(t, m, s, 1.05 if (t, m, s) == ("a", "ours_off", 0) else best(t, m, s))
        for t in tasks
        for s in range(4)
        for m in methods
    ]
    profile = Profile(name="synthetic", tasks=tasks, seeds=(0, 1, 2, 3), trials=10)
    task_objects = {t: SimpleNamespace(direction="maximize") for t in tasks}
    return aggregate(profile, methods, runs, refs, task_objects)


def test_aggregate_tests_each_ours_against_each_model_based_baseline_with_holm(
    aggregated: dict[str, Any],
) -> None:
    assert aggregated["wilcoxon"]["ours_off"]["n_pairs"] == 12  # the old test stays
    tests = aggregated["task_level_tests"]
    assert [(t["ours"], t["baseline"]) for t in tests] == [("ours_off", "tpe"), ("ours_off", "gp")]
    for t in tests:
        assert t["trial"] == 10 and t["n_tasks"] == 3
        assert t["ours_better"] == 3 and t["baseline_better"] == 0 and t["mean_difference"] < 0
    assert [t["p_holm"] for t in tests] == pytest.approx(
        metrics.holm([t["p_value"] for t in tests])
    )
    assert all(t["p_holm"] > t["p_value"] for t in tests)
    assert not any(t["significant"] for t in tests)  # three tasks cannot reach 0.05


def test_aggregate_regret_ci_unclipped_regret_and_reference_flags(
    aggregated: dict[str, Any],
) -> None:
    ci = aggregated["regret_ci"]["ours_off"]
    low, high = ci["10"]
    assert low <= aggregated["regret"]["ours_off"]["10"] <= high
    assert ci["25"] == [None, None]  # no run reached 25 trials
    # a's seed 0 run is clipped to 0 but is -0.05 unclipped
    clipped, unclipped = aggregated["regret"]["ours_off"]["10"], aggregated["unclipped_regret"]
    assert unclipped["ours_off"]["10"] == pytest.approx(clipped - 0.05 / 12)
    assert unclipped["tpe"]["10"] == pytest.approx(aggregated["regret"]["tpe"]["10"])
    assert unclipped["ours_off"]["25"] is None
    assert aggregated["beats_reference"] == ["a"]
    assert aggregated["noise_level_tasks"] == ["c"]


def test_summary_keeps_its_keys_and_adds_frozen_seeds_and_intervals(
    aggregated: dict[str, Any],
) -> None:
    results = {
        **aggregated,
        "machine": {},
        "date": "2026-12-02",
        "profile": "synthetic",
        "elapsed_s": 1.0,
        "f_star_frozen": True,
        "settings": {"seeds": [0, 1, 2, 3]},
    }
    summary = summarize(results)
    for key in ("regret", "regret_se", "mean_rank", "wilcoxon", "targets", "rho_curve"):
        assert key in summary, key
    assert summary["f_star_frozen"] is True and summary["seeds"] == [0, 1, 2, 3]
    assert summary["regret_ci"]["ours_off"] == aggregated["regret_ci"]["ours_off"]
    assert summary["regret_ci"]["ours_full"] == {
        "5": [None, None],
        "10": [None, None],
        "25": [None, None],
    }
    assert summary["task_level_tests"] == aggregated["task_level_tests"]
    # results saved before this change: unknown, not "frozen"
    old = {k: v for k, v in results.items() if k not in ("f_star_frozen", "settings", "regret_ci")}
    assert summarize(old)["f_star_frozen"] is None and summarize(old)["seeds"] is None


def test_report_sections_render_the_tests_intervals_and_anchors(
    aggregated: dict[str, Any],
) -> None:
    results = {**aggregated, "f_star_frozen": True}
    text = "\n".join(task_level_section(results))
    assert "## Task-level tests (Holm-corrected)" in text
    tpe = next(t for t in aggregated["task_level_tests"] if t["baseline"] == "tpe")
    assert f"| ours_off | tpe | 10 | 3 | 3 | 0 | {tpe['mean_difference']:.3f} |" in text
    low, high = aggregated["regret_ci"]["ours_off"]["10"]
    assert f"[{low:.3f}, {high:.3f}] | – |" in text
    anchors = "\n".join(anchors_section(results))
    assert "f* frozen" in anchors and "beat f*: a." in anchors and "1% of |f*|" in anchors
    assert "Unclipped regret" in anchors
    assert task_level_section({}) == [] and anchors_section({}) == []
