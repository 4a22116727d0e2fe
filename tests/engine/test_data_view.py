"""What the LLM is told about the data (issue #19, item 3): the target's name and
distribution, each column's kind, share missing, levels or range, within a fixed budget for
wide tables; bounded metrics keep the LLM's numbers inside their range."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from assistant.context import FEATURE_CHARS, DatasetInfo, FeatureInfo, ProblemContext
from assistant.engine import Observation
from assistant.engine.advisor import MAX_FEATURES_SHOWN, LLMAdvisor
from assistant.llm.base import Message
from assistant.prompting import render
from assistant.space import FloatParam, SearchSpace
from assistant.tools.data import Dataset
from assistant.tools.metrics import get_metric
from tests.engine.scripted_client import ScriptedClient

SPACE = SearchSpace.of(FloatParam(name="lr", low=1e-3, high=1.0, log=True))


def messy_frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    age = rng.uniform(18, 90, n)
    age[:20] = np.nan  # 10% missing
    return pd.DataFrame(
        {
            "age": age,
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "signup": pd.date_range("2024-01-01", periods=n, freq="D"),
            "churn": rng.choice(["no", "yes"], n, p=[0.8, 0.2]),
            "spend": rng.gamma(2.0, 30.0, n),
        }
    )


def prompt_of(info: DatasetInfo, metric: str = "roc_auc") -> str:
    m = get_metric(metric)
    context = ProblemContext(
        task="t", model="m", metric=m.name, direction=m.direction,
        metric_low=m.low, metric_high=m.high, dataset=info,
    )  # fmt: skip
    return render("problem.j2", ctx=context, space=SPACE, max_features=MAX_FEATURES_SHOWN)


def test_a_messy_table_is_described_column_by_column() -> None:
    info = Dataset.from_frame(messy_frame(), "churn").info()
    features = {f.name: f for f in info.features}
    assert info.target == "churn" and info.target_kind == "binary"
    assert info.class_balance is not None and info.class_balance["yes"] < 0.3
    assert features["age"].missing == pytest.approx(0.1)
    assert 18 <= features["age"].low < features["age"].high <= 90  # type: ignore[operator]
    assert features["plan"].kind == "categorical" and features["plan"].n_levels == 3
    assert features["plan"].low is None and features["spend"].missing == 0.0
    text = prompt_of(info)
    assert "Target column: <data>churn</data>" in text
    assert "age (numeric, 18" in text and "10% missing" in text
    assert "plan (categorical, 3 levels)" in text
    assert "signup_year (numeric, 2024 to 2024)" in text
    assert "Metric: roc_auc (higher is better; from 0 to 1)" in text


def test_a_regression_target_is_given_by_its_quantiles() -> None:
    info = Dataset.from_frame(messy_frame(), "spend").info()
    assert info.target_kind == "regression" and info.class_balance is None
    quantiles = info.target_quantiles
    assert quantiles is not None and list(quantiles) == ["min", "q25", "median", "q75", "max"]
    assert quantiles["min"] <= quantiles["median"] <= quantiles["max"]
    text = prompt_of(info, "rmse")
    assert "Target column: <data>spend</data> (values: min " in text
    assert "Metric: rmse (lower is better; at least 0)" in text


def test_a_wide_table_stays_within_the_feature_budget() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        rng.normal(size=(50, 400)), columns=[f"sensor_{i:03d}" for i in range(400)]
    )
    frame["y"] = rng.integers(0, 2, 50)
    text = prompt_of(Dataset.from_frame(frame, "y").info())
    features = next(line for line in text.splitlines() if line.startswith("Features:"))
    assert len(features) <= FEATURE_CHARS + 100
    shown = features.count("sensor_")
    assert 10 <= shown <= MAX_FEATURES_SHOWN and f"and {400 - shown} more" in features


def test_a_context_without_column_summaries_reads_as_before() -> None:
    """Sessions recorded before the summaries existed replay: their prompt is unchanged."""
    info = DatasetInfo(
        name="d", n_rows=10, n_features=2, target_kind="binary",
        features=(FeatureInfo(name="a"), FeatureInfo(name="b", kind="categorical")),
    )  # fmt: skip
    context = ProblemContext(task="t", model="m", metric="roc_auc", dataset=info)
    text = render("problem.j2", ctx=context, space=SPACE, max_features=MAX_FEATURES_SHOWN)
    assert "Metric: roc_auc (higher is better)\n" in text
    assert "Features: <data>a (numeric), b (categorical)</data>" in text
    assert "Target column" not in text


def test_surrogate_guesses_and_the_target_stay_inside_the_metric_range() -> None:
    def answer(purpose: str, messages: list[Message], schema: dict[str, Any] | None) -> Any:
        assert schema is not None
        if purpose == "surrogate":
            return {key: 7.5 for key in schema["properties"]}  # an "AUC" of 7.5
        return {
            "rationale": "r",
            **{k: {"lr": 0.01} for k in schema["properties"] if k != "rationale"},
        }

    m = get_metric("roc_auc")
    context = ProblemContext(
        task="t", model="m", metric="roc_auc", metric_low=m.low, metric_high=m.high
    )
    client = ScriptedClient(answer)
    advisor = LLMAdvisor(client, SPACE, context)
    history = [
        Observation(number=i, config={"lr": lr}, score=s, utility=s)
        for i, (lr, s) in enumerate([(0.001, 0.95), (0.01, 0.97), (0.1, 0.99)])
    ]
    rng = np.random.default_rng(0)
    mean, _spread = advisor.score(history, [{"lr": 0.5}], rng)
    assert mean[0] == pytest.approx(1.0)  # clipped to the range, not to 0.99 + 0.04
    advisor.propose(history, 1.03, 1, rng)
    propose = next(c for c in client.calls if c["purpose"] == "propose")
    assert (
        "roc_auc of 1 " in propose["messages"][1].content
        or "roc_auc of 1." in propose["messages"][1].content
    )
