"""Dataset construction, files and splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assistant.errors import ToolError
from assistant.tools import Dataset, kfold_indices
from assistant.tools.data import holdout_indices, infer_task
from tests.tools.tools_testkit import breast_cancer, diabetes


def test_from_arrays_encodes_labels_and_infers_task() -> None:
    data = Dataset.from_arrays(np.ones((4, 2)), ["b", "a", "b", "c"])
    assert data.task == "classification"
    assert data.classes == ("a", "b", "c")
    assert data.y.tolist() == [1, 0, 1, 2]
    assert data.n_classes == 3
    assert data.feature_names == ("x0", "x1")


def test_float_targets_are_regression_unless_few_integral_values() -> None:
    assert infer_task(np.array([0.1, 2.5, 3.7])) == "regression"
    assert infer_task(np.array([0.0, 1.0, 1.0, 0.0])) == "classification"
    assert diabetes().task == "regression"


def test_invalid_shapes_raise_tool_error() -> None:
    with pytest.raises(ToolError, match="no feature columns, only the target"):
        Dataset.from_frame(pd.DataFrame({"y": [1.0, 2.5, 3.7]}), "y")
    with pytest.raises(ToolError, match="one value per row"):
        Dataset.from_arrays(np.ones((3, 2)), [0, 1])
    with pytest.raises(ToolError, match="feature names"):
        Dataset.from_arrays(np.ones((2, 2)), [0, 1], feature_names=["only_one"])
    with pytest.raises(ToolError, match="image_shape"):
        Dataset.from_arrays(np.ones((2, 5)), [0, 1], image_shape=(1, 2, 2))


def test_from_frame_marks_categorical_columns() -> None:
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, None, 4.0],
            "colour": ["red", "blue", None, "red"],
            "flag": [True, False, True, False],
            "label": ["yes", "no", "yes", "no"],
        }
    )
    data = Dataset.from_frame(frame, "label")
    assert data.feature_names == ("size", "colour", "flag")
    assert data.categorical is not None and data.categorical.tolist() == [False, True, False]
    assert np.isnan(data.X[2, 0]) and np.isnan(data.X[2, 1])
    assert data.classes == ("no", "yes")
    info = data.info()
    assert info.target_kind == "binary"
    assert [f.kind for f in info.features] == ["numeric", "categorical", "numeric"]
    assert info.class_balance == {"no": 0.5, "yes": 0.5}


def test_rows_without_a_target_are_left_out_with_a_warning() -> None:
    frame = pd.DataFrame(
        {
            "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "colour": ["red", "only-in-a-dropped-row", "blue", "red", "blue", "red"],
            "label": ["yes", None, "no", np.nan, "yes", "no"],
        }
    )
    with pytest.warns(
        UserWarning, match=r"2 of 6 rows have no value in target column 'label'"
    ) as caught:
        data = Dataset.from_frame(frame, "label")
    assert caught[0].filename == __file__  # the user's line, not the library's
    assert data.n_rows == 4 and data.rows_without_target == 2
    assert data.X[:, 0].tolist() == [1.0, 3.0, 5.0, 6.0]
    assert data.classes == ("no", "yes") and data.y.tolist() == [1, 0, 1, 0]
    # the encoding is fitted on the kept rows only, and the count reaches what is recorded
    assert data.encoding is not None
    assert data.encoding.columns[1].categories == ["blue", "red"]
    assert data.info().rows_without_target == 2
    assert data.subset(np.array([0, 1])).rows_without_target == 2


def test_missing_or_infinite_regression_targets_are_left_out() -> None:
    X = np.arange(10.0).reshape(5, 2)
    with pytest.warns(UserWarning, match="2 of 5 rows"):
        data = Dataset.from_arrays(X, [0.5, np.nan, 2.5, np.inf, 4.25], task="regression")
    assert data.y.tolist() == [0.5, 2.5, 4.25] and data.X[:, 0].tolist() == [0.0, 4.0, 8.0]


def test_a_target_without_any_value_or_with_mixed_label_kinds_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match="no value in any of the 3 rows"):
        Dataset.from_frame(pd.DataFrame({"a": [1, 2, 3], "y": [None, None, None]}), "y")
    with pytest.raises(ToolError, match=r"mix kinds of values \(int, str\)"):
        Dataset.from_arrays(np.ones((3, 1)), np.array([1, "1", 2], dtype=object))


def test_infinite_feature_values_become_missing_with_a_warning() -> None:
    frame = pd.DataFrame({"income": [1.0, np.inf, -np.inf, 4.0], "label": [0, 1, 0, 1]})
    with pytest.warns(UserWarning, match=r"infinite values, treated as missing: \{'income': 2\}"):
        data = Dataset.from_frame(frame, "label")
    assert np.isnan(data.X[1:3, 0]).all() and data.X[[0, 3], 0].tolist() == [1.0, 4.0]
    with pytest.warns(UserWarning, match=r"3 infinite feature value\(s\) in 2 column"):
        arrays = Dataset.from_arrays([[np.inf, 1.0], [0.0, -np.inf], [np.inf, 2.0]], [0, 1, 0])
    assert np.isnan(arrays.X).sum() == 3


def test_save_and_load_memory_maps_the_arrays(tmp_path) -> None:
    data = breast_cancer()
    data.save(tmp_path)
    loaded = Dataset.load(tmp_path)
    assert isinstance(loaded.X, np.memmap) and isinstance(loaded.y, np.memmap)
    assert not loaded.X.flags.writeable
    np.testing.assert_array_equal(loaded.X, data.X)
    assert loaded.classes == data.classes and loaded.task == data.task


def test_kfold_is_stratified_seeded_and_covers_every_row() -> None:
    data = breast_cancer()
    folds = kfold_indices(data, 5, seed=3)
    valid = np.concatenate([v for _, v in folds])
    assert sorted(valid.tolist()) == list(range(data.n_rows))
    share = data.y.mean()
    assert all(abs(data.y[v].mean() - share) < 0.02 for _, v in folds)
    again = kfold_indices(data, 5, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again, strict=True))
    with pytest.raises(ToolError, match="n_folds"):
        kfold_indices(data, 1, seed=0)


def test_holdout_indices_are_disjoint() -> None:
    train, test = holdout_indices(diabetes(), 0.25, seed=0)
    assert not set(train) & set(test)
    assert len(train) + len(test) == diabetes().n_rows


def test_a_class_with_one_row_or_too_few_rows_is_a_clear_error() -> None:
    single = Dataset.from_arrays(np.zeros((9, 1)), ["a", "b"] * 4 + ["rare"])
    with pytest.raises(ToolError, match=r"a single row .*'rare' \(1 row\); remove those rows"):
        holdout_indices(single, 0.2, seed=0)
    numbers = Dataset.from_arrays(np.zeros((6, 1)), ["1,200", "3,450", "980", "1,010", "7", "7"])
    with pytest.raises(ToolError, match=r"4 of the 5 labels occur once.*pandas\.to_numeric"):
        holdout_indices(numbers, 0.2, seed=0)
    many = Dataset.from_arrays(np.zeros((8, 1)), ["a", "b", "c", "d"] * 2)
    with pytest.raises(ToolError, match="cannot split 8 rows into training and held-out"):
        holdout_indices(many, 0.2, seed=0)  # 2 held-out rows for 4 classes


def test_numbers_written_with_placeholders_are_a_numeric_column() -> None:
    """As pandas reads a CSV whose numeric column spells missing values '?': strings."""
    values = [f"{v:.1f}" for v in np.linspace(1.0, 3.0, 18)] + ["?", " ? "]
    frame = pd.DataFrame(
        {
            "dose": values,
            "code": [str(i % 4) for i in range(20)],  # all numbers: text by choice, categories
            "city": ["Oslo", "?"] * 10,  # mostly words: categories
            "y": [0, 1] * 10,
        }
    )
    with pytest.warns(
        UserWarning, match=r"not numbers \(or dates\), treated as missing: \{'dose': 2\}"
    ):
        data = Dataset.from_frame(frame, "y")
    kinds = {c.name: c.kind for c in data.encoding.columns}
    assert kinds == {"dose": "numeric", "code": "categorical", "city": "categorical"}
    assert data.X[0, 0] == 1.0 and np.isnan(data.X[18:, 0]).all()


def test_a_column_of_distinct_strings_is_an_identifier_and_not_a_feature() -> None:
    n = 30
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(n)],
            "plan": ["basic", "premium", "basic"] * 10,
            "spend": np.arange(n, dtype=float),
            "y": [0, 1] * 15,
        }
    )
    with pytest.warns(UserWarning, match=r"\['customer_id'\] hold a distinct value on every row"):
        data = Dataset.from_frame(frame, "y")
    assert data.feature_names == ("plan", "spend")
    assert data.encoding.identifiers == ["customer_id"]
    assert data.encoding.input_columns == ["plan", "spend"]
    # new rows need no identifier, and one that comes along is not "ignored" noise
    X, report = data.encoding.transform(frame.drop(columns=["customer_id", "y"]).head(3))
    assert X.shape == (3, 2) and report.ignored == []
    X, report = data.encoding.transform(frame.head(3))
    assert X.shape == (3, 2) and report.ignored == []
    frame["joined"] = [f"{1 + i % 12}/{1 + i}/2024" for i in range(n)]  # not ISO dates
    with pytest.warns(UserWarning, match=r"\['joined'\] look like dates not written as YYYY"):
        assert Dataset.from_frame(frame, "y").feature_names == ("plan", "spend")
    few = Dataset.from_frame(frame.head(10), "y")  # too few rows to tell an identifier
    assert few.feature_names == ("customer_id", "plan", "spend", "joined")
