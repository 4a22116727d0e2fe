"""Data files: CSV, TSV and Parquet read into frames, with clear errors otherwise."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import assistant
from assistant.errors import AssistantError
from assistant.tabular import read_table


def frame(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "plan": pd.Categorical(rng.choice(["basic", "premium"], n)),
            "visits": pd.array(rng.integers(0, 9, n), dtype="Int64"),
            "spend": rng.normal(size=n),
            "churn": rng.choice(["yes", "no"], n),
        }
    )


def test_csv_tsv_and_parquet_read_the_same_table(tmp_path: Path) -> None:
    table = frame()
    table.to_csv(tmp_path / "t.csv", index=False)
    table.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    table.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.tsv", "t.parquet"):
        read = read_table(tmp_path / name)
        assert list(read.columns) == list(table.columns), name
        np.testing.assert_allclose(read["spend"], table["spend"])
    assert isinstance(read_table(tmp_path / "t.parquet")["plan"].dtype, pd.CategoricalDtype)


def test_tune_takes_a_parquet_path(tmp_path: Path) -> None:
    frame().to_parquet(tmp_path / "t.parquet")
    result = assistant.tune(
        str(tmp_path / "t.parquet"), "churn", model="knn", n_trials=2, llm="off",
        verbose=False, isolation="inline", n_folds=2, storage=f"sqlite:///{tmp_path / 'p.db'}",
    )  # fmt: skip
    assert result.session.result().n_complete == 2
    rows = pd.read_parquet(tmp_path / "t.parquet").drop(columns="churn").head(4)
    assert set(result.predict(rows)) <= {"yes", "no"}


def test_clear_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AssistantError, match="no such data file"):
        read_table(tmp_path / "absent.csv")
    (tmp_path / "t.xlsx").write_bytes(b"not read")
    with pytest.raises(AssistantError, match=r"expected a \.csv, \.tsv or \.parquet file"):
        read_table(tmp_path / "t.xlsx")
    frame().to_parquet(tmp_path / "t.parquet")
    for engine in ("pyarrow", "fastparquet"):  # as on a machine without either
        monkeypatch.setitem(sys.modules, engine, None)
    with pytest.raises(
        AssistantError, match=r"needs pyarrow: pip install 'automl-assistant\[parquet\]'"
    ):
        read_table(tmp_path / "t.parquet")
