"""The AutoML comparison's core on one tiny table with a tiny budget, and its scoring rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import automl_vs_flaml as bench

ROW_KEYS = {
    "metric", "direction", "ours", "ours_ci", "flaml", "flaml_ci", "difference_ci",
    "ours_model", "flaml_model", "ours_s", "flaml_s", "verdict",
}  # fmt: skip


def _tiny() -> pd.DataFrame:
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame.iloc[:160, [0, 1, 2, 7, 20, 27, -1]]
    # A text column and a few NaN, as in the real tables.
    return frame.assign(
        size=np.where(frame["mean radius"] > 14, "large", "small"),
        **{"mean texture": frame["mean texture"].mask(frame.index % 17 == 0)},
    )


TINY = bench.Table("tiny", "breast_cancer, 160 rows", "target", "binary", _tiny)


@pytest.mark.integration
def test_tiny_comparison_has_the_issue_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("flaml")
    monkeypatch.setitem(bench.TABLES, "tiny", TINY)
    results = json.loads(json.dumps(bench.run(3.0, ["tiny"], tmp_path)))
    assert results["budget_s"] == 3.0
    assert results["commit"] and results["machine"]["cpu_count"]
    row = results["tables"]["tiny"]
    assert set(row) >= ROW_KEYS
    assert (row["metric"], row["direction"]) == ("roc_auc", "maximize")
    for name in ("ours", "flaml"):
        low, high = row[f"{name}_ci"]
        assert 0.5 < row[name] <= 1.0, (name, row[name])
        assert 0.0 <= low <= row[name] <= high <= 1.0, (name, low, row[name], high)
    assert row["difference_ci"][0] <= row["ours"] - row["flaml"] <= row["difference_ci"][1]
    assert row["ours_model"] in row["ours_families_tried"]
    assert isinstance(row["flaml_model"], str) and row["flaml_model"]
    assert 0 < row["ours_s"] < 60 and 0 < row["flaml_s"] < 60
    assert row["verdict"] in ("ours better", "within FLAML's interval", "FLAML better")
    text = bench.markdown(results)
    assert "| tiny | 120/40 | roc_auc |" in text
    assert "Ours within or better on" in text and "of 1 tables" in text


def test_verdict_reads_the_direction() -> None:
    auc = bench.TABLES["breast_cancer"]
    rmse = bench.TABLES["cars"]
    assert bench.verdict(auc, 0.95, [0.90, 0.97], [0.01, 0.05]) == "ours better"
    assert bench.verdict(auc, 0.93, [0.90, 0.97], [-0.03, 0.01]) == "within FLAML's interval"
    assert bench.verdict(auc, 0.88, [0.90, 0.97], [-0.06, -0.02]) == "FLAML better"
    assert bench.verdict(rmse, 2.0, [2.5, 3.0], [-0.9, -0.2]) == "ours better"
    assert bench.verdict(rmse, 3.2, [2.5, 3.0], [0.1, 0.6]) == "FLAML better"
    assert bench.verdict(rmse, 2.9, [2.5, 3.0], [-0.1, 0.3]) == "within FLAML's interval"


def test_bootstrap_is_paired_and_covers_the_scores() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    ours = np.clip(y * 0.6 + rng.normal(0.2, 0.2, 200), 0, 1)
    table = bench.TABLES["breast_cancer"]
    same = bench.bootstrap(table, y, ours, ours.copy(), n=200)
    assert same["ours_ci"] == same["flaml_ci"]
    assert same["difference_ci"] == [0.0, 0.0]
    worse = bench.bootstrap(table, y, ours, rng.random(200), n=200)
    assert worse["difference_ci"][0] > 0
    assert worse["ours_ci"][0] <= bench.score(table, y, ours) <= worse["ours_ci"][1]
