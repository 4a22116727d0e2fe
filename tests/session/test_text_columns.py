"""Free text and many-level categoricals (issue #18, item 1): typed, coded by scikit-learn's
own transformers, bounded in width, fitted on the training rows, deployed on raw rows."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import assistant
from assistant.deploy import DeployWarning
from assistant.prompting import render
from assistant.tools import Dataset, get_tool, split_holdout
from assistant.tools.data import TEXT_FEATURES, FrameEncoding, holdout_indices, is_text
from assistant.tools.sklearn_tools import (
    ONE_HOT_MAX_COLUMNS,
    _native_categorical,
    _preprocessor,
)

FILLER = np.array(["the", "a", "staff", "room", "food", "price", "service", "was", "very", "it"])


def messy_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """A review whose word ("excellent" or "awful") decides the label for 90% of the rows,
    a shop among 500, a colour with gaps, a float with NaN, a date."""
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.5
    reviews: list[str | None] = []
    for i in range(n):
        words = list(rng.choice(FILLER, rng.integers(3, 12)))
        if rng.random() < 0.9:
            words.insert(int(rng.integers(0, len(words))), "excellent" if label[i] else "awful")
        reviews.append(" ".join(words))
    for i in rng.choice(n, n // 20, replace=False):
        reviews[i] = None
    frame = pd.DataFrame(
        {
            "review": reviews,
            "shop": [f"shop-{i}" for i in rng.integers(0, 500, n)],
            "colour": rng.choice(np.array(["red", "blue", None], dtype=object), n),
            "size": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "visited": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 500, n), "D"),
        }
    )
    frame["target"] = np.where(label, "yes", "no")
    return frame


def new_rows() -> pd.DataFrame:
    """Rows never seen: new words, a new shop, a missing review."""
    rows = messy_frame(n=40, seed=11).drop(columns="target")
    rows.loc[0, "review"] = "an excellent visit to a brand new place"
    rows.loc[1, "review"] = "truly awful unheard-of words everywhere"
    rows.loc[2, "review"] = None
    rows.loc[3, "shop"] = "shop-never-seen"
    return rows


def tune(frame: pd.DataFrame, model: str, folder: Path) -> assistant.TuningResult:
    return assistant.tune(
        frame,
        "target",
        model=model,
        n_trials=3,
        llm="off",
        storage=f"sqlite:///{folder / 'text.db'}",
        isolation="inline",
        verbose=False,
        n_folds=3,
    )


@pytest.fixture(scope="module")
def logistic(tmp_path_factory: pytest.TempPathFactory) -> assistant.TuningResult:
    return tune(messy_frame(), "logistic", tmp_path_factory.mktemp("logistic"))


def test_columns_are_typed_text_categorical_and_datetime() -> None:
    data = Dataset.from_frame(messy_frame(), "target")
    kinds = {c.name: c.kind for c in data.encoding.columns}
    assert kinds == {
        "review": "text",
        "shop": "categorical",
        "colour": "categorical",
        "size": "numeric",
        "visited": "datetime",
    }
    names = list(data.feature_names)
    text = [f"review_{i}" for i in range(TEXT_FEATURES)] + ["review_words"]
    assert names[: TEXT_FEATURES + 1] == text and names[TEXT_FEATURES + 1] == "shop"
    assert data.categorical is not None
    assert data.categorical.sum() == 2 and not data.categorical[: TEXT_FEATURES + 1].any()
    block = np.asarray(data.X)[:, : TEXT_FEATURES + 1]
    absent = messy_frame()["review"].isna().to_numpy()
    assert np.isnan(block[absent]).all() and not np.isnan(block[~absent]).any()
    words = messy_frame()["review"].dropna().str.split().str.len().to_numpy(dtype=float)
    np.testing.assert_array_equal(block[~absent, -1], words)


def test_the_text_rule() -> None:
    sentences = pd.Series([f"a review number {i} of the shop" for i in range(40)])
    assert is_text(sentences)
    assert not is_text(sentences[:10])  # too few rows to tell
    assert not is_text(pd.Series([f"customer-{i}" for i in range(40)]))  # ids: one word
    assert not is_text(pd.Series(["New York", "San Francisco Bay"] * 20))  # few distinct
    assert not is_text(pd.Series([f"New York {i}" if i % 2 else i for i in range(40)]))


def test_the_encoding_is_plain_data_and_old_encodings_load() -> None:
    frame = messy_frame()
    encoding = FrameEncoding.fit(frame, "target")
    saved = json.loads(encoding.model_dump_json())
    assert json.dumps(saved)  # nothing but JSON: the hashing has no fitted state
    again = FrameEncoding.model_validate(saved)
    rows = new_rows()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_array_equal(again.transform(rows)[0], encoding.transform(rows)[0])
    # An encoding saved before text columns existed has no text_features: it still loads.
    old = FrameEncoding.fit(frame.drop(columns="review"), "target")
    dumped = json.loads(old.model_dump_json())
    for column in dumped["columns"]:
        del column["text_features"]
    loaded = FrameEncoding.model_validate(dumped)
    plain = frame.drop(columns=["review", "target"])
    np.testing.assert_array_equal(loaded.transform(plain)[0], old.transform(plain)[0])


def test_held_out_rows_are_coded_by_the_training_rows_only() -> None:
    frame = messy_frame(n=200)
    data = Dataset.from_frame(frame, "target")
    train_rows, test_rows = holdout_indices(data, 0.25, 0)
    train, test = split_holdout(data, test_size=0.25, seed=0)
    fitted_on_train = FrameEncoding.fit(frame.iloc[train_rows], "target")
    assert train.encoding.model_dump() == fitted_on_train.model_dump()
    for part, rows in ((train, train_rows), (test, test_rows)):
        expected, _report = fitted_on_train.transform(frame.iloc[rows])
        np.testing.assert_array_equal(part.X, expected)


def test_the_llm_is_told_a_column_is_text() -> None:
    info = Dataset.from_frame(messy_frame(), "target").info()
    features = {f.name: f for f in info.features}
    assert features["review"].kind == "text" and features["review"].width == TEXT_FEATURES + 1
    assert features["review"].missing == pytest.approx(0.05)
    assert "review_0" not in features and features["shop"].kind == "categorical"
    assert info.n_features == len(Dataset.from_frame(messy_frame(), "target").feature_names)
    context = assistant.ProblemContext(task="t", model="m", metric="roc_auc", dataset=info)
    space = assistant.SearchSpace.of(assistant.FloatParam(name="lr", low=1e-3, high=1.0))
    text = render("problem.j2", ctx=context, space=space, max_features=30)
    assert f"review (text, {TEXT_FEATURES + 1} features, 5% missing)" in text
    assert "shop (categorical, " in text and "visited_year (numeric" in text


def test_one_hot_width_is_bounded_and_unseen_levels_share_a_column() -> None:
    data = Dataset.from_frame(messy_frame(), "target")
    assert len(data.encoding.columns[1].categories) > 250  # shop: hundreds of levels
    preprocessor = _preprocessor(data)
    X = preprocessor.fit_transform(np.asarray(data.X))
    n_categorical = int(data.categorical.sum())
    n_numeric = data.n_features - n_categorical
    assert X.shape[1] <= n_numeric + ONE_HOT_MAX_COLUMNS * n_categorical
    unseen = np.array(data.X[:1], dtype=float)
    unseen[0, np.flatnonzero(data.categorical)[0]] = 10_000.0  # a code no training row has
    assert np.isfinite(preprocessor.transform(unseen)).all()


def test_boosting_reads_few_level_columns_natively_and_many_level_ones_as_codes() -> None:
    data = Dataset.from_frame(messy_frame(), "target")
    native = _native_categorical(data, np.asarray(data.X))
    assert native is not None
    shop, colour = np.flatnonzero(data.categorical)
    assert not native[shop] and native[colour]


def test_the_signal_is_in_the_text_features() -> None:
    tool = get_tool("logistic")
    config = tool.default_config("classification")
    frame = messy_frame()
    with_text = tool.evaluate(Dataset.from_frame(frame, "target"), config, 0, n_folds=3)
    without = Dataset.from_frame(frame.drop(columns="review"), "target")
    assert with_text > 0.85 and tool.evaluate(without, config, 0, n_folds=3) < 0.65


def test_logistic_finds_the_word_and_predicts_unseen_rows(
    logistic: assistant.TuningResult, tmp_path: Path
) -> None:
    assert logistic.metric == "accuracy" and logistic.cv_score > 0.8  # chance is 0.5
    rows = new_rows()
    with pytest.warns(DeployWarning, match=r"column 'shop' has value\(s\) not seen"):
        labels = logistic.predict(rows)
    assert len(labels) == len(rows) and set(labels) <= {"no", "yes"}
    assert labels[0] == "yes" and labels[1] == "no"  # words only these rows have around
    truth = messy_frame(n=40, seed=11)["target"].to_numpy()
    assert (labels[4:] == truth[4:]).mean() > 0.75
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same libraries: no version warning
        model = assistant.load_model(logistic.save(tmp_path / "text.joblib"))
    assert model.feature_columns == ["review", "shop", "colour", "size", "visited"]
    with pytest.warns(DeployWarning):
        np.testing.assert_array_equal(model.predict(rows), labels)
    with pytest.warns(DeployWarning):
        np.testing.assert_allclose(model.predict_proba(rows), logistic.predict_proba(rows))


def test_a_tree_model_on_the_same_table(tmp_path: Path) -> None:
    result = tune(messy_frame(), "hist_gradient_boosting", tmp_path)
    assert result.cv_score > 0.8
    rows = new_rows()
    with pytest.warns(DeployWarning, match=r"column 'shop' has value"):
        labels = result.predict(rows)
    truth = messy_frame(n=40, seed=11)["target"].to_numpy()
    assert (labels[4:] == truth[4:]).mean() > 0.75
    model = assistant.load_model(result.save(tmp_path / "tree.joblib"))
    with pytest.warns(DeployWarning):
        np.testing.assert_array_equal(model.predict(rows), labels)
