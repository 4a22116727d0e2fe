"""assistant.tune() on each kind of input, and its result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

import assistant
from assistant.errors import AssistantError
from assistant.llm import LLMConfig
from assistant.testing import ScriptedLLMServer, schema_responder


@pytest.fixture
def frame() -> pd.DataFrame:
    bunch = load_breast_cancer(as_frame=True)
    df = bunch.frame.iloc[:240].copy()
    df["target"] = np.where(df["target"] == 1, "benign", "malignant")
    return df


def storage(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tune.db'}"


def test_tune_on_a_dataframe(tmp_path: Path, frame: pd.DataFrame) -> None:
    result = assistant.tune(
        frame,
        "target",
        model="logistic",
        metric="roc_auc",
        n_trials=5,
        llm="off",
        storage=storage(tmp_path),
        n_folds=3,
        verbose=False,
    )
    assert result.metric == "roc_auc" and 0.5 < result.cv_score <= 1.0
    assert result.test_score is not None
    low, high = result.test_interval
    assert low is not None and high is not None and low <= result.test_score <= high
    assert len(result.study.trials) == 5
    assert result.best_model is not None
    assert set(result.best_config) == set(result.study.best_params)
    assert "roc_auc" in repr(result)


def test_tune_on_arrays_regression(tmp_path: Path) -> None:
    X, y = load_diabetes(return_X_y=True)
    result = assistant.tune(
        (X[:200], y[:200]),
        model="linear",
        n_trials=4,
        llm="off",
        storage=storage(tmp_path),
        n_folds=3,
        verbose=False,
        isolation="inline",
    )
    assert result.metric == "rmse" and result.cv_score > 0


def test_tune_on_a_csv_path_with_the_llm(tmp_path: Path, frame: pd.DataFrame) -> None:
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    with ScriptedLLMServer(schema_responder(seed=0)) as server:
        config = LLMConfig(
            base_url=server.base_url, model="scripted", timeout_s=2, max_retries=0, backoff_s=0
        )
        result = assistant.tune(
            str(path),
            "target",
            model="knn",
            n_trials=10,
            llm=config,
            storage=storage(tmp_path),
            n_folds=3,
            verbose=False,
            isolation="inline",
            notes="a CSV file",
        )
    calls = result.session.store.llm_calls(result.session_id)
    assert {c.purpose for c in calls} >= {"warmstart", "propose"}
    assert len(result.study.trials) == 10


def test_model_auto_lets_the_llm_choose_a_family(tmp_path: Path, frame: pd.DataFrame) -> None:
    def pick_knn(body: dict) -> dict:
        schema = body["response_format"]["schema"]
        if "tool" in schema["properties"]:
            return {"tool": "knn", "rationale": "small data"}
        return schema_responder(seed=1)(body)

    with ScriptedLLMServer(pick_knn) as server:
        config = LLMConfig(
            base_url=server.base_url, model="scripted", timeout_s=2, max_retries=0, backoff_s=0
        )
        result = assistant.tune(
            frame,
            "target",
            model="auto",
            n_trials=3,
            llm=config,
            storage=storage(tmp_path),
            n_folds=3,
            verbose=False,
            isolation="inline",
        )
    assert result.session.spec.tool == "knn"
    chosen = result.session.store.events(result.session_id, kinds=["tool_chosen"])
    assert chosen[0].payload["rationale"] == "small data"


def test_model_auto_without_llm_uses_a_default(tmp_path: Path, frame: pd.DataFrame) -> None:
    result = assistant.tune(
        frame,
        "target",
        n_trials=2,
        llm="off",
        storage=storage(tmp_path),
        n_folds=3,
        verbose=False,
        isolation="inline",
    )
    assert result.session.spec.tool == "hist_gradient_boosting"


def test_a_user_function_as_the_model(tmp_path: Path) -> None:
    X, y = load_breast_cancer(return_X_y=True)

    def shrunk_centroid(X_train, y_train, X_valid, y_valid, config, seed) -> float:
        from sklearn.neighbors import NearestCentroid

        model = NearestCentroid(shrink_threshold=config["shrink"]).fit(X_train, y_train)
        return float((model.predict(X_valid) == y_valid).mean())

    space = assistant.SearchSpace.of(assistant.FloatParam(name="shrink", low=0.0, high=2.0))
    result = assistant.tune(
        (X, y),
        model=shrunk_centroid,
        search_space=space,
        n_trials=4,
        llm="off",
        storage=storage(tmp_path),
        n_folds=3,
        verbose=False,
        isolation="inline",
    )
    assert 0 <= result.best_config["shrink"] <= 2


def test_bad_inputs_say_what_to_do(tmp_path: Path, frame: pd.DataFrame) -> None:
    with pytest.raises(AssistantError, match="target= is required"):
        assistant.tune(frame, llm="off", storage=storage(tmp_path), verbose=False)
    with pytest.raises(AssistantError, match="no_such_column"):
        assistant.tune(frame, "no_such_column", llm="off", storage=storage(tmp_path), verbose=False)
    with pytest.raises(AssistantError, match="no such data file"):
        assistant.tune("missing.csv", "y", llm="off", storage=storage(tmp_path), verbose=False)
    with pytest.raises(AssistantError, match="llm="):
        assistant.tune(frame, "target", llm="sometimes", storage=storage(tmp_path), verbose=False)


def test_a_session_whose_trials_all_fail_says_why(tmp_path: Path) -> None:
    from assistant import events
    from assistant.cli import main
    from assistant.errors import TrialsFailedError
    from assistant.space import FloatParam, SearchSpace
    from assistant.store import Store

    def broken(X_train, y_train, X_valid, y_valid, config, seed):
        raise ValueError(f"boom: C={config['C']:.0f} is not a setting this model has")

    X, y = load_diabetes(return_X_y=True)
    space = SearchSpace.of(FloatParam(name="C", low=1.0, high=2.0))
    url = storage(tmp_path)
    with pytest.raises(TrialsFailedError) as caught:
        assistant.tune(
            (X[:100], y[:100]), model=broken, search_space=space, n_trials=3, llm="off",
            storage=url, n_folds=2, verbose=False,
        )  # fmt: skip
    error = caught.value
    assert "all 3 trials failed" in str(error)
    assert "ValueError: boom" in str(error) and "Record does not exist" not in str(error)
    assert error.n_failed == 3 and error.reasons

    store = Store(url)
    (record,) = store.list_sessions()
    assert record.status == "failed" and error.session_id == record.id
    assert "all 3 trials failed" in (record.result or {}).get("error", "")
    kinds = [e.kind for e in store.events(record.id)]
    assert kinds.count(events.TRIAL_FINISHED) == 3 and kinds[-1] == events.SESSION_FAILED
    assert main(["show", record.id, "--storage", url]) == 0


def test_show_explains_a_failed_session(tmp_path: Path, capsys) -> None:
    from assistant.cli import main
    from assistant.errors import TrialsFailedError
    from assistant.space import FloatParam, SearchSpace

    def broken(X_train, y_train, X_valid, y_valid, config, seed):
        raise RuntimeError("the GPU is on fire")

    url = storage(tmp_path)
    with pytest.raises(TrialsFailedError) as caught:
        assistant.tune(
            load_diabetes(return_X_y=True), model=broken, n_trials=2, llm="off", storage=url,
            n_folds=2, verbose=False, isolation="inline",
            search_space=SearchSpace.of(FloatParam(name="C", low=1.0, high=2.0)),
        )  # fmt: skip
    capsys.readouterr()
    assert main(["show", caught.value.session_id, "--storage", url]) == 0
    out = capsys.readouterr().out
    assert "[failed]" in out and "all 2 trials failed" in out and "the GPU is on fire" in out
