"""Raw rows in, predictions out: the training coding of a messy table, predict, save, load."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

import assistant
from assistant.deploy import DeployWarning
from assistant.errors import AssistantError
from assistant.tools import Dataset, split_holdout
from assistant.tools.data import FrameEncoding, holdout_indices

EPOCH = pd.Timestamp("1970-01-01")


def messy_frame(n: int = 150, seed: int = 0) -> pd.DataFrame:
    """Strings with gaps, a float with NaN, a date, a bool, and a string label."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "colour": rng.choice(np.array(["red", "blue", "green", None], dtype=object), n),
            "size": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "joined": pd.Timestamp("2021-01-01")
            + pd.to_timedelta(rng.integers(0, 700, n), unit="D"),
            "member": rng.random(n) < 0.5,
        }
    )
    positive = (frame["colour"] == "red") | (frame["size"] > 0.5)
    frame["target"] = np.where(positive, "yes", "no")
    return frame


def tune(frame: pd.DataFrame, folder: Path) -> assistant.TuningResult:
    return assistant.tune(
        frame,
        "target",
        model="random_forest",
        n_trials=3,
        llm="off",
        isolation="inline",
        n_folds=3,
        verbose=False,
        storage=f"sqlite:///{folder / 'deploy.db'}",
    )


@pytest.fixture(scope="module")
def classified(tmp_path_factory: pytest.TempPathFactory) -> assistant.TuningResult:
    return tune(messy_frame(), tmp_path_factory.mktemp("classification"))


@pytest.fixture
def new_rows() -> pd.DataFrame:
    rows = messy_frame(n=12, seed=7).drop(columns="target")
    rows.loc[0, "colour"] = "purple"  # never seen in training
    rows.loc[1, "size"] = np.nan
    return rows


def by_hand(rows: pd.DataFrame, categories: list[str]) -> np.ndarray:
    """The training coding written out: codes in category order, date parts, floats."""
    code = {value: float(i) for i, value in enumerate(categories)}
    joined = rows["joined"]
    return np.column_stack(
        [
            [code.get(v, np.nan) if isinstance(v, str) else np.nan for v in rows["colour"]],
            rows["size"].to_numpy(dtype=float),
            joined.dt.year,
            joined.dt.month,
            joined.dt.day,
            joined.dt.day_of_week,
            joined.dt.hour,
            (joined - EPOCH) / pd.Timedelta(days=1),
            rows["member"].to_numpy(dtype=float),
        ]
    ).astype(float)


def test_predict_codes_new_rows_as_the_training_rows_were(
    classified: assistant.TuningResult, new_rows: pd.DataFrame
) -> None:
    with pytest.warns(DeployWarning, match=r"'colour'.*'purple'") as caught:
        labels = classified.predict(new_rows)
    assert len([w for w in caught if "purple" in str(w.message)]) == 1
    assert caught[0].filename == __file__  # the warning points at the caller's line
    assert set(labels) <= {"no", "yes"} and len(labels) == len(new_rows)

    train, _test = classified.session.load_data()
    assert train.feature_names[:2] == ("colour", "size")
    categories = train.encoding.columns[0].categories
    assert "purple" not in categories
    X = by_hand(new_rows, categories)
    assert np.isnan(X[0, 0]) and np.isnan(X[1, 1])
    expected = classified.best_model.predict_proba(X)
    with pytest.warns(DeployWarning):
        probabilities = classified.predict_proba(new_rows)
    np.testing.assert_allclose(probabilities, expected)
    np.testing.assert_array_equal(labels, np.array(train.classes)[expected.argmax(axis=1)])


def test_column_order_extra_columns_and_the_target_do_not_change_predictions(
    classified: assistant.TuningResult,
) -> None:
    rows = messy_frame(n=20, seed=3)  # every category seen in training, the target present
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the target column is dropped without a warning
        plain = classified.predict(rows)
    shuffled = rows[["member", "target", "joined", "size", "colour"]].assign(note="x")
    shuffled.index = [5] * len(shuffled)  # a repeated index is no problem either
    with pytest.warns(DeployWarning, match=r"ignoring .*'note'"):
        again = classified.predict(shuffled)
    np.testing.assert_array_equal(plain, again)


def test_a_missing_column_is_named(classified: assistant.TuningResult) -> None:
    rows = messy_frame(n=5).drop(columns=["size", "target"])
    with pytest.raises(AssistantError, match=r"'size'"):
        classified.predict(rows)


def test_save_and_load_give_the_same_predictions(
    classified: assistant.TuningResult, new_rows: pd.DataFrame, tmp_path: Path
) -> None:
    path = classified.save(tmp_path / "model.joblib")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same libraries: no version warning
        model = assistant.load_model(path)
    assert model.feature_columns == ["colour", "size", "joined", "member"]
    assert model.task == "classification" and model.metric == classified.metric
    assert model.classes == ("no", "yes")
    assert model.versions["scikit-learn"] and model.versions["automl-assistant"]
    with pytest.warns(DeployWarning):
        np.testing.assert_array_equal(model.predict(new_rows), classified.predict(new_rows))
    with pytest.warns(DeployWarning):
        np.testing.assert_allclose(
            model.predict_proba(new_rows), classified.predict_proba(new_rows)
        )


def test_loading_warns_about_other_library_versions(
    classified: assistant.TuningResult, tmp_path: Path
) -> None:
    path = classified.save(tmp_path / "model.joblib")
    payload = joblib.load(path)
    payload["meta"]["versions"]["scikit-learn"] = "0.0.1"
    joblib.dump(payload, path)
    with pytest.warns(DeployWarning, match=r"scikit-learn 0\.0\.1") as caught:
        assistant.load_model(path)
    assert caught[0].filename == __file__
    joblib.dump({"something": "else"}, path)
    with pytest.raises(AssistantError, match="not a model saved"):
        assistant.load_model(path)
    with pytest.raises(AssistantError, match="no saved model"):
        assistant.load_model(tmp_path / "absent.joblib")


def test_a_regression_table(tmp_path: Path) -> None:
    frame = messy_frame(n=120, seed=1)
    frame["target"] = frame["size"].fillna(0.0) * 2.0 + (frame["colour"] == "red")
    result = tune(frame, tmp_path)
    rows = messy_frame(n=8, seed=9).drop(columns="target")
    values = result.predict(rows)
    assert values.dtype == np.float64 and values.shape == (8,)
    train, _test = result.session.load_data()
    X = by_hand(rows, train.encoding.columns[0].categories)
    np.testing.assert_allclose(values, result.best_model.predict(X))
    with pytest.raises(AssistantError, match="classification"):
        result.predict_proba(rows)
    model = assistant.load_model(result.save(tmp_path / "regression.joblib"))
    np.testing.assert_array_equal(model.predict(rows), values)


def test_rows_without_a_label_and_infinite_values_do_not_sink_a_session(tmp_path: Path) -> None:
    """A table with unlabelled rows and an infinite feature: before, the labels crashed the
    coding (a TypeError from sorting None among strings) and the infinities failed every
    random-forest trial."""
    frame = messy_frame(n=150, seed=3)
    frame.loc[[4, 40, 90], "target"] = None
    frame.loc[[7, 8], "size"] = np.inf
    with pytest.warns(UserWarning) as caught:
        result = tune(frame, tmp_path)
    said = " | ".join(str(w.message) for w in caught)
    assert "3 of 150 rows have no value in target column 'target'" in said
    assert "infinite values, treated as missing: {'size': 2}" in said
    assert {w.filename for w in caught} == {__file__}  # from inside tune(), at the caller
    assert result.session.result().n_complete == 3
    assert result.session.spec.context["dataset"]["rows_without_target"] == 3
    train, test = result.session.load_data()
    assert train.n_rows + test.n_rows == 147
    rows = messy_frame(n=6, seed=9).drop(columns="target")
    rows.loc[2, "size"] = -np.inf
    with pytest.warns(DeployWarning, match=r"'size': 1 infinite value\(s\), treated as missing"):
        labels = result.predict(rows)
    assert set(labels) <= {"yes", "no"}
    rows = rows.astype({"size": object})
    rows.loc[2, "size"], rows.loc[4, "size"] = 0.5, "?"  # "?" was an error before
    with pytest.warns(DeployWarning, match=r"'size': 1 value\(s\) are not numbers"):
        assert len(result.predict(rows)) == 6


def test_held_out_rows_are_coded_by_the_training_rows_only() -> None:
    frame = messy_frame(n=60)
    # The split depends on the labels only: put a category in one held-out row alone.
    train_rows, test_rows = holdout_indices(Dataset.from_frame(frame, "target"), 0.25, 0)
    frame.loc[frame.index[test_rows[0]], "colour"] = "only-once"
    data = Dataset.from_frame(frame, "target")
    assert "only-once" in data.encoding.columns[0].categories
    train, test = split_holdout(data, test_size=0.25, seed=0)
    fitted_on_train = FrameEncoding.fit(frame.iloc[train_rows], "target")
    assert train.encoding.model_dump() == fitted_on_train.model_dump()
    assert test.encoding.model_dump() == fitted_on_train.model_dump()
    for part, rows in ((train, train_rows), (test, test_rows)):
        expected, _report = fitted_on_train.transform(frame.iloc[rows])
        np.testing.assert_array_equal(part.X, expected)
    assert np.isnan(test.X[0, 0])  # unseen by the training rows: missing, not a new code


def test_datetime_text_and_timezones_become_parts() -> None:
    frame = pd.DataFrame(
        {
            "day": ["2024-02-29", "2024-03-01", None],
            "at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 23:30", None]).tz_localize(
                "Europe/Paris"
            ),
            "y": [1.5, 2.5, 3.5],
        }
    )
    data = Dataset.from_frame(frame, "y")
    assert [c.kind for c in data.encoding.columns] == ["datetime", "datetime"]
    assert data.categorical is None
    parts = dict(zip(data.feature_names, data.X[0], strict=True))
    assert (parts["day_year"], parts["day_month"], parts["day_day"]) == (2024, 2, 29)
    assert parts["day_weekday"] == 3 and parts["at_hour"] == 9  # 10:00 in Paris is 09:00 UTC
    assert np.isnan(data.X[2]).all()


def test_a_dataset_saved_before_encodings_still_loads(tmp_path: Path) -> None:
    data = Dataset.from_frame(messy_frame(n=40), "target")
    data.save(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    del meta["encoding"]
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    old = Dataset.load(tmp_path)
    assert old.encoding is None
    train, test = split_holdout(old, test_size=0.25, seed=0)
    assert train.n_rows + test.n_rows == 40
    reloaded = Dataset.load(data.save(tmp_path / "new"))
    assert reloaded.encoding is not None
    assert reloaded.encoding.model_dump() == data.encoding.model_dump()


def test_a_stopped_session_is_finalized_on_request(tmp_path: Path) -> None:
    """A session stopped before its final refit has no model; ``finalize()`` refits the
    best trial so far, records the held-out score and gives a result that predicts."""
    import threading

    from assistant import TuningSession
    from assistant.store import Store

    frame = pd.DataFrame(
        {"a": np.linspace(0, 1, 120), "kind": ["x", "y", "z"] * 40, "noise": np.arange(120) % 7}
    )
    frame["target"] = frame["a"] * 3 + (frame["kind"] == "x")
    # One store, opened (and its schema made) before the thread reads it: two stores
    # making a new SQLite file's schema at once can find the database locked.
    store = Store(f"sqlite:///{tmp_path / 'stopped.db'}")

    def stop_after_three_trials() -> None:  # as the sidebar's stop would, through the store
        import time

        for _ in range(600):
            for record in store.list_sessions():
                if not record.spec:  # still being created
                    continue
                session = TuningSession.open(record.id, store)
                if len(session.study.get_trials(deepcopy=False)) >= 3:
                    session.stop()
                    return
            time.sleep(0.05)

    threading.Thread(target=stop_after_three_trials, daemon=True).start()
    result = assistant.tune(
        frame, "target", model="knn", n_trials=400, llm="off", storage=store, n_folds=2,
        verbose=False, isolation="inline",
    )  # fmt: skip
    assert result.session.result().status == "stopped"
    assert result.best_model is None and result.final is None
    with pytest.raises(AssistantError, match="finalize"):
        result.predict(frame.drop(columns="target"))

    final = result.finalize()
    assert final.final is not None and final.test_score is not None
    assert final.final.config == final.best_config
    assert len(final.predict(frame.drop(columns="target").iloc[:5])) == 5
    stored = assistant.TuningSession.open(result.session_id, Store(store.url)).result()
    assert stored.status == "stopped" and stored.final == final.final
    assert final.finalize() is final  # a result with its model is returned as it is
