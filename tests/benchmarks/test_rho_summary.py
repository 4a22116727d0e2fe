"""The summary's ρ curve and the issue-19 targets for the graded and misleading LLMs."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.quality.methods import RHO_METHODS
from benchmarks.quality.report import rho_section
from benchmarks.quality.run import summarize


def _results(regret: dict[str, tuple[float, float]]) -> dict[str, Any]:
    """A minimal results dict: regret at 10 and 25 per method (5 is not needed here)."""
    table = {m: {"5": None, "10": r10, "25": r25} for m, (r10, r25) in regret.items()}
    return {
        "machine": {},
        "date": "2026-12-02",
        "profile": "synthetic",
        "regret": table,
        "regret_se": {m: {"5": None, "10": 0.0, "25": 0.0} for m in table},
        "mean_rank": {"trial": None, "ranks": {}},
        "wilcoxon": {},
        "ratio_vs_ours_off": {"rho_0.6_full": {"10": {"ratio": 0.5, "ci": [0.3, 0.7]}}},
        "elapsed_s": 1.0,
    }


def test_rho_curve_and_targets_from_a_synthetic_results_dict() -> None:
    results = _results(
        {
            "ours_off": (0.20, 0.10),
            "noise_full": (0.22, 0.12),  # ρ = 0: 1.10 x ours_off at 10, over 1.05
            "rho_0.3_full": (0.19, 0.09),
            "rho_0.6_full": (0.10, 0.05),  # 0.5 x: under 0.8
            "misleader_full": (0.205, 0.11),  # 1.025 x: under 1.05
        }
    )
    summary = summarize(results)
    # ρ = 0.9 did not run: it is left out of the curve
    assert summary["rho_curve"] == {"0": 0.12, "0.3": 0.09, "0.6": 0.05}
    assert summary["rho_methods"] == RHO_METHODS
    targets = summary["targets"]
    rho6 = targets["rho_0.6_full_vs_ours_off_at_10"]
    assert rho6["figure"] == 0.10 and rho6["bound"] == pytest.approx(0.16)
    assert rho6["met"] is True and rho6["ratio"] == pytest.approx(0.5)
    assert rho6["ratio_ci"] == [0.3, 0.7]
    noise = targets["noise_full_vs_ours_off_at_10"]
    assert noise["bound"] == pytest.approx(0.21) and noise["met"] is False
    assert noise["ratio"] == pytest.approx(1.1) and noise["ratio_ci"] == [None, None]
    assert "rho = 0" in noise["target"]
    misleader = targets["misleader_full_vs_ours_off_at_10"]
    assert misleader["met"] is True and misleader["bound"] == pytest.approx(0.21)
    assert summary["regret"]["misleader_full"]["25"] == 0.11


def test_targets_are_not_evaluated_without_ours_off() -> None:
    summary = summarize(_results({"rho_0.6_full": (0.1, 0.05)}))
    target = summary["targets"]["rho_0.6_full_vs_ours_off_at_10"]
    assert target["bound"] is None and target["met"] is None and target["ratio"] is None


def test_report_section_says_where_the_llm_starts_to_help() -> None:
    results = _results(
        {
            "ours_off": (0.20, 0.10),
            "noise_full": (0.22, 0.12),
            "rho_0.3_full": (0.19, 0.09),
            "rho_0.6_full": (0.10, 0.05),
            "rho_0.9_full": (0.05, 0.02),
        }
    )
    text = "\n".join(rho_section(results))
    assert "| ρ = 0.6 | rho_0.6_full | 0.100 | 0.050 | 0.50 [0.30, 0.70] | 0.50 |" in text
    assert "beats ours_off from ρ = 0.3 on" in text
    assert "a ρ = 0 LLM costs +10% regret there" in text
    assert "| misleader |" not in text  # it did not run: no row
    assert rho_section(_results({"ours_off": (0.2, 0.1)})) == []
