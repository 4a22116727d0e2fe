"""model="auto": a race across families (successive halving), on a messy table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

import assistant
from assistant import events
from assistant.cash import family_of
from assistant.chat import ChatController
from assistant.cli import _summary
from assistant.llm import LLMConfig
from assistant.replay import reexecute_session, replay_session
from assistant.space import FloatParam, SearchSpace
from assistant.testing import ScriptedLLMServer, schema_responder
from assistant.timeline import build_timeline
from assistant.tools import get_tool, register_tool, unregister_tool


def messy(n: int, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, a string column with missing values, a date column, noise."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "city": rng.choice(["paris", "lyon", "nice", None], size=n),
            "day": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
        }
    )
    for i in range(6):
        df[f"noise{i}"] = rng.normal(size=n) * 10
    df.loc[rng.choice(n, n // 10, replace=False), "x2"] = np.nan
    df["target"] = np.where(df["x1"] + (df["city"] == "paris") > 0.3, "yes", "no")
    return df


def tune(df: pd.DataFrame, tmp_path: Path, **kwargs: Any) -> assistant.TuningResult:
    options: dict[str, Any] = dict(
        model="auto",
        n_trials=12,
        llm="off",
        storage=f"sqlite:///{tmp_path / 'cash.db'}",
        n_folds=2,
        verbose=False,
        isolation="inline",
    )
    return assistant.tune(df, "target", **{**options, **kwargs})


def decisions(result: Any, kind: str) -> list[Any]:
    return [
        events.payload_of(e) for e in result.session.store.events(result.session_id, kinds=[kind])
    ]


def test_a_race_on_a_messy_table(tmp_path: Path) -> None:
    df = messy(160)
    result = tune(df.iloc[:140], tmp_path)
    study = result.study
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 12  # n_trials is the total over all families
    families = {family_of(t) for t in trials}
    assert len(families) >= 2 and None not in families
    (considered,) = decisions(result, events.FAMILIES_CONSIDERED)
    assert {c.family for c in considered.candidates} == families
    rungs = decisions(result, events.RUNG_FINISHED)
    assert rungs, "a race records each rung"
    for rung in rungs:
        for score in rung.scores:
            own = sorted(
                (t for t in trials if family_of(t) == score.family), key=lambda t: t.number
            )[: score.n_trials]
            values = [t.value for t in own if t.value is not None]
            assert score.best_score == max(values)  # accuracy: higher is better
            assert study.trials[score.best_trial].value == score.best_score
        best_of = {s.family: s.best_score for s in rung.scores}
        assert best_of[rung.survivors[0]] == max(best_of.values())
        assert {*rung.survivors, *(d.family for d in rung.dropped)} == set(best_of)
    (chosen,) = decisions(result, events.FAMILY_CHOSEN)
    assert chosen.best_score == max(t.value for t in trials if t.value is not None)
    assert chosen.family == family_of(study.best_trial) == result.family
    assert sorted(result.best_config) == sorted(
        get_tool(chosen.family).search_space("classification").names
    )
    assert result.session.result().best_family == chosen.family

    unseen = df.iloc[140:].drop(columns="target").copy()
    unseen.loc[unseen.index[0], "city"] = "marseille"  # a level never seen in training
    with pytest.warns(UserWarning):
        predicted = result.predict(unseen)
    assert len(predicted) == len(unseen) and set(predicted) <= {"yes", "no"}
    assert result.save(tmp_path / "model.joblib").is_file()

    report = replay_session(result.session.store, result.session_id)
    assert report.reproduced, report.divergence
    assert report.n_replayed == 12
    # re-executed, each trial with its own family's tool (it was "unknown tool 'auto'")
    again = reexecute_session(result.session.store, result.session_id, tolerance=1e-9)
    assert again.reproduced and again.compared == sum(t.value is not None for t in trials)

    html = result.report(tmp_path / "report.html").read_text()
    assert "Family chosen" in html and "Rung 1" in html
    summary = _summary(result.session, result.session.result().model_dump(), result.session.store)
    assert f"Family chosen: {chosen.family}" in summary

    titles = [e.title for e in build_timeline(result.session.store, result.session_id)]
    assert f"Families raced: {', '.join(c.family for c in considered.candidates)}" in titles
    assert [t for t in titles if t.startswith("Rung ")] == [r.line() for r in rungs]
    assert f"Family chosen: {chosen.family} ({chosen.reason})" in titles

    chat = ChatController({}, storage=f"sqlite:///{tmp_path / 'cash.db'}", intent_llm="off")
    status = chat.handle(f"/status {result.session_id}").text
    assert f"Family chosen: {chosen.family}" in status
    best = chat.handle(f"/best {result.session_id}")
    namespace: dict[str, Any] = {}
    exec(best.code, namespace)  # the code cell /best offers runs as it is
    assert namespace["tool"].name == chosen.family
    assert namespace["best_config"] == result.best_config


def test_replay_sees_a_changed_race_decision(tmp_path: Path) -> None:
    result = tune(messy(120), tmp_path, n_trials=8)
    store = result.session.store
    (event,) = store.events(result.session_id, kinds=[events.FAMILY_CHOSEN])
    with store.engine.begin() as connection:  # an edited record
        connection.execute(
            text("UPDATE assistant_events SET payload = :p WHERE id = :i"),
            {"p": json.dumps({**event.payload, "reason": "edited"}), "i": event.id},
        )
    report = replay_session(store, result.session_id)
    assert not report.reproduced
    assert report.divergence is not None and report.divergence.what == "race decision"


def test_an_explicit_family_is_one_family_as_before(tmp_path: Path) -> None:
    result = tune(messy(100), tmp_path, model="random_forest", n_trials=3)
    assert result.session.spec.families is None and result.family is None
    assert not decisions(result, events.RUNG_FINISHED)
    assert all(family_of(t) is None for t in result.study.trials)
    assert sorted(result.best_config) == sorted(result.study.best_params)


@pytest.fixture
def broken() -> Iterator[str]:
    def always_fails(X_train, y_train, X_valid, y_valid, config, seed) -> float:
        raise ValueError("this family always fails")

    space = SearchSpace.of(FloatParam(name="a", low=0.0, high=1.0))
    register_tool(always_fails, "broken_family", space=space, replace=True)
    yield "broken_family"
    unregister_tool("broken_family")


def test_a_family_whose_trials_all_fail_is_dropped_with_its_reason(
    tmp_path: Path, broken: str
) -> None:
    result = tune(messy(120), tmp_path, n_trials=8, families=[broken, "knn"])
    assert result.session.spec.families == [broken, "knn"]
    (rung,) = decisions(result, events.RUNG_FINISHED)
    assert rung.survivors == ["knn"]
    (dropped,) = rung.dropped
    assert dropped.family == broken
    assert dropped.reason.startswith("all 2 trials failed") and "always fails" in dropped.reason
    assert result.family == "knn"
    counts = {f: sum(family_of(t) == f for t in result.study.trials) for f in (broken, "knn")}
    assert counts == {broken: 2, "knn": 6}  # the dropped family's budget went to the survivor
    assert replay_session(result.session.store, result.session_id).reproduced


def test_the_llm_ranks_the_families_and_the_scores_decide(tmp_path: Path) -> None:
    def pick_knn(body: dict) -> dict:
        schema = body["response_format"]["schema"]
        if "tool" in schema["properties"]:
            return {"tool": "knn", "rationale": "neighbours suit small tables"}
        return schema_responder(seed=1)(body)

    with ScriptedLLMServer(pick_knn) as server:
        config = LLMConfig(
            base_url=server.base_url, model="scripted", timeout_s=2, max_retries=0, backoff_s=0
        )
        result = tune(messy(140), tmp_path, n_trials=8, llm=config)
    (considered,) = decisions(result, events.FAMILIES_CONSIDERED)
    assert considered.llm_pick == "knn"
    first = considered.candidates[0]
    assert (first.family, first.source) == ("knn", "llm")
    assert "neighbours suit small tables" in first.reason
    assert considered.candidates[1].source == "default"
    (chosen,) = decisions(result, events.FAMILY_CHOSEN)
    # The engine's final say: the family of the best measured trial, whatever the LLM said.
    assert chosen.family == family_of(result.study.best_trial)
    assert chosen.family != "knn"  # on this table the trees beat the LLM's pick
    assert "the LLM's pick (knn) scored lower" in chosen.reason
    assert replay_session(result.session.store, result.session_id).reproduced


def test_timeout_bounds_the_whole_race_and_the_result_still_predicts(tmp_path: Path) -> None:
    """``timeout`` is the session's, not each rung's: a race of many trials stops at it,
    each family gets its share of the first rung's time, the winner is declared, and the
    best family is refitted so ``predict`` works; the replay walks the same rungs."""
    import time

    df = messy(160)
    started = time.monotonic()
    result = tune(df.iloc[:140], tmp_path, n_trials=2000, timeout=6)
    elapsed = time.monotonic() - started
    trials = result.study.get_trials(deepcopy=False)
    assert len(trials) < 2000
    # The deadline, a trial in flight and the refit; a per-rung timeout would take >= 12 s.
    assert elapsed < 11, elapsed
    first = decisions(result, events.RUNG_FINISHED)[0]
    spec = result.session.spec
    assert {score.family for score in first.scores} == set(spec.families or [])
    assert all(score.n_trials >= 1 for score in first.scores)
    assert sum(score.n_trials for score in first.scores) < first.quota * len(first.scores)
    (chosen,) = decisions(result, events.FAMILY_CHOSEN)
    assert chosen.timed_out and chosen.best_trial == result.study.best_trial.number
    assert result.session.result().status == "finished"
    assert len(result.predict(df.iloc[140:])) == 20
    assert replay_session(result.session.store, result.session_id).reproduced
