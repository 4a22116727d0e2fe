"""The ensemble after tuning: built from the best trials, kept only when it beats the best
single configuration in cross-fitted validation, recorded, reported and deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import assistant
from assistant import events
from assistant.cli import _summary
from assistant.report import write_report
from assistant.tools.ensemble import Blend


def table(n: int = 260, seed: int = 0) -> pd.DataFrame:
    """A regression target with a smooth part (for neighbours) and a linear part."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "a": rng.uniform(-3, 3, size=n),
            "b": rng.normal(size=n),
            "kind": rng.choice(["x", "y", None], size=n),
        }
    )
    df["target"] = (
        0.5 * np.sin(2 * df["a"]) + 0.8 * df["b"] + (df["kind"] == "x") + rng.normal(size=n) * 0.5
    )
    return df


def tune(df: pd.DataFrame, tmp_path: Path, **kwargs: Any) -> assistant.TuningResult:
    options: dict[str, Any] = dict(
        model="auto",
        families=["knn", "linear"],
        n_trials=10,
        llm="off",
        storage=f"sqlite:///{tmp_path / 'ensemble.db'}",
        n_folds=3,
        verbose=False,
        isolation="inline",
    )
    return assistant.tune(df, "target", **{**options, **kwargs})


def test_a_kept_ensemble_is_the_model_recorded_reported_and_deployed(tmp_path: Path) -> None:
    df, unseen = table(), table(60, seed=5)
    result = tune(df, tmp_path)
    ensemble = result.ensemble
    assert ensemble is not None and ensemble.n_candidates >= 2
    assert ensemble.kept, ensemble.reason
    assert ensemble.cv_score is not None and ensemble.best_single_cv is not None
    assert ensemble.cv_score < ensemble.best_single_cv  # rmse: lower is better
    families = {m.family for m in ensemble.members}
    assert families == {"knn", "linear"}, "the blend mixes families"
    assert sum(m.weight for m in ensemble.members) == pytest.approx(1.0)
    # The best single configuration keeps its own held-out score beside the ensemble's.
    assert result.final is not None and result.test_score == ensemble.test_score
    assert result.final.test_score != ensemble.test_score
    low, high = result.test_interval
    assert low is not None and high is not None and low <= result.test_score <= high
    # Recorded: the final evaluation event and the session's result carry it.
    (final,) = [
        events.payload_of(e)
        for e in result.session.store.events(result.session_id, kinds=[events.FINAL_EVALUATION])
    ]
    assert isinstance(final, events.FinalEvaluated) and final.ensemble == ensemble
    assert result.session.result().final.ensemble == ensemble  # type: ignore[union-attr]
    # Deployed: predictions on new raw rows are the members' weighted mean.
    new = unseen.drop(columns=["target"])
    deployed = result.deployed_model
    assert isinstance(deployed.tool, Blend) and len(result.best_model) == len(ensemble.members)
    predicted = result.predict(new)
    assert predicted.shape == (len(new),) and np.isfinite(predicted).all()
    loaded = assistant.load_model(result.save(tmp_path / "model.joblib"))
    np.testing.assert_allclose(loaded.predict(new), predicted)
    assert np.sqrt(np.mean((predicted - unseen["target"]) ** 2)) < 1.0
    # Every face says what was built: the CLI summary and the HTML report.
    summary = _summary(result.session, result.session.result().model_dump(), result.session.store)
    assert "Ensemble of" in summary and "kept" in summary
    html = write_report(result.session.store, result.session_id, tmp_path / "r.html").read_text()
    assert "Ensemble of the best trials" in html and "Cross-fitted CV score" in html


def test_an_ensemble_that_does_not_beat_the_best_single_is_not_kept(tmp_path: Path) -> None:
    # A linear target: the linear model alone is right, neighbours only add error.
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    df["target"] = 2 * df["a"] - df["b"] + rng.normal(size=200) * 0.05
    result = tune(df, tmp_path)
    ensemble = result.ensemble
    assert ensemble is not None and not ensemble.kept, ensemble
    assert result.test_score == result.final.test_score  # type: ignore[union-attr]
    assert result.session.best_blend is None and not isinstance(result.best_model, tuple)
    assert not isinstance(result.deployed_model.tool, Blend)
    assert result.predict(df.drop(columns=["target"]).head(3)).shape == (3,)


def test_one_family_builds_no_ensemble_unless_asked(tmp_path: Path) -> None:
    df = table(120)
    plain = tune(df, tmp_path, model="knn", families=None, n_trials=4)
    assert plain.ensemble is None and plain.session.spec.ensemble is False
    asked = tune(df, tmp_path, model="knn", families=None, n_trials=4, ensemble=True)
    assert asked.ensemble is not None and asked.session.spec.ensemble is True
    assert all(m.family == "knn" for m in asked.ensemble.members)


def _timed_trial(number: int, seconds: float) -> Any:
    import datetime

    from optuna.trial import FrozenTrial, TrialState

    start = datetime.datetime(2026, 1, 1)
    return FrozenTrial(
        number=number,
        trial_id=number,
        state=TrialState.COMPLETE,
        value=1.0,
        values=None,
        datetime_start=start,
        datetime_complete=start + datetime.timedelta(seconds=seconds),
        params={},
        distributions={},
        user_attrs={},
        system_attrs={},
        intermediate_values={},
    )


def test_the_candidates_a_time_limit_leaves_are_those_whose_trials_fit() -> None:
    from assistant.ensemble import within_seconds

    pool = [_timed_trial(0, 2.0), _timed_trial(1, 4.0), _timed_trial(2, 1.0)]
    # each costs its trial's duration and a refit (1 / n_folds of it): 2.5, 5, 1.25 s
    assert within_seconds(pool, None, 4) == pool
    assert [t.number for t in within_seconds(pool, 8.0, 4)] == [0, 1]
    assert [t.number for t in within_seconds(pool, 9.0, 4)] == [0, 1, 2]
    assert within_seconds(pool, 2.0, 4) == []


def test_a_timeout_leaves_the_ensemble_its_share_or_says_why_not(tmp_path: Path) -> None:
    """With a timeout the search stops at 80% of it; the ensemble is built in the rest
    (its trials are quick here) and the session still ends near its time limit."""
    import time

    started = time.monotonic()
    # 10 s: the 2 s left to the ensemble outlast the trial in flight and the refit on a
    # loaded 2-core machine (with 5 s, CI had 0.2 s left)
    result = tune(table(), tmp_path, n_trials=2000, timeout=10)
    elapsed = time.monotonic() - started
    trials = result.study.get_trials(deepcopy=False)
    assert 2 <= len(trials) < 2000
    last = max(t.datetime_complete for t in trials if t.datetime_complete is not None)
    first = min(t.datetime_start for t in trials if t.datetime_start is not None)
    assert (last - first).total_seconds() < 10 * 0.8 + 2.0  # the search left the rest
    assert elapsed < 16, elapsed
    ensemble = result.ensemble
    assert ensemble is not None and ensemble.n_candidates >= 2, ensemble
    assert ensemble.cv_score is not None  # built: selection and a cross-fitted score
