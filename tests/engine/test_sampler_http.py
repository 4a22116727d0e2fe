"""The sampler against real HTTP on 127.0.0.1: a scripted OpenAI-compatible server, faults
injected, recording and replay, and (marked) the real embedded model."""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pytest

from assistant.context import ProblemContext
from assistant.engine import EngineOptions
from assistant.llm import (
    LLMConfig,
    OpenAICompatibleClient,
    RecordingClient,
    ReplayClient,
    make_client,
    resolve_llm_config,
)
from assistant.sampler import SUGGESTION_ATTR, LLAMBOSampler
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from assistant.store import Store
from assistant.testing import FaultMix, ScriptedLLMServer, schema_responder

optuna.logging.set_verbosity(optuna.logging.WARNING)

SPACE = SearchSpace.of(
    FloatParam(name="lr", low=1e-4, high=1.0, log=True),
    IntParam(name="depth", low=1, high=12),
    CategoricalParam(name="booster", choices=("gbtree", "dart")),
)
CONTEXT = ProblemContext(task="binary classification", model="boosted trees", metric="roc_auc")
FAST = {"timeout_s": 1.0, "max_retries": 1, "output_retries": 1, "backoff_s": 0.0}


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    depth = trial.suggest_int("depth", 1, 12)
    booster = trial.suggest_categorical("booster", ["gbtree", "dart"])
    return (
        1.0 - 0.05 * (np.log10(lr) + 1.5) ** 2 - 0.01 * abs(depth - 5) - 0.02 * (booster == "dart")
    )


def client_for(server: ScriptedLLMServer) -> OpenAICompatibleClient:
    return make_client(LLMConfig(base_url=server.base_url, model="scripted", **FAST))


def sampler(client: Any, **kwargs: Any) -> LLAMBOSampler:
    return LLAMBOSampler(client, CONTEXT, search_space=SPACE, seed=3, **kwargs)


def test_warm_start_comes_from_the_llm_over_http() -> None:
    with ScriptedLLMServer(schema_responder(seed=1)) as server:
        study = optuna.create_study(direction="maximize", sampler=sampler(client_for(server)))
        study.optimize(objective, n_trials=10)
        study.sampler.close()
        bodies = server.requests
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    sources = [a["source"] for a in attrs]
    # No defaults here: five quasi-random trials cover the space, then the LLM's warm start
    # (half as many points again, rounded up: 3), each point after the first only while the
    # last one beat the best; the points it did not run are said to have gone back.
    assert sources[:6] == ["quasi_random"] * 5 + ["warmstart"]
    ran = 6 + next((i for i, s in enumerate(sources[6:8]) if s != "warmstart"), 2)
    if ran < 8:
        assert attrs[ran]["rationale"].startswith("The LLM's warm-start point")
    assert "warmstart" not in sources[ran:]
    assert "Propose 3 different configurations" in bodies[0]["messages"][1]["content"]
    assert any("reach a roc_auc of" in b["messages"][1]["content"] for b in bodies[1:])


def test_session_survives_garbage_errors_and_timeouts() -> None:
    mix = FaultMix(
        schema_responder(seed=2),
        garbage=0.3,
        server_error=0.1,
        rate_limit=0.1,
        timeout=0.05,
        drop=0.05,
        seed=5,
        timeout_delay_s=3.0,
    )
    with ScriptedLLMServer(mix) as server:
        study = optuna.create_study(direction="maximize", sampler=sampler(client_for(server)))
        study.optimize(objective, n_trials=20)
        study.sampler.close()
    assert len(study.trials) == 20
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert all(SPACE.contains(t.params) for t in study.trials)
    fallbacks = [t.user_attrs[SUGGESTION_ATTR]["fallback"] for t in study.trials]
    assert any(f for f in fallbacks), "faults must show up as recorded fallbacks"
    assert sum(count for kind, count in mix.injected.items() if kind != "none") > 0


def test_a_dead_endpoint_never_stops_the_study() -> None:
    server = ScriptedLLMServer(schema_responder()).start()
    client = client_for(server)
    server.stop()  # nothing listens any more
    study = optuna.create_study(direction="maximize", sampler=sampler(client))
    study.optimize(objective, n_trials=8)
    study.sampler.close()
    assert len(study.trials) == 8
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    assert all(a["source"] in ("default", "quasi_random", "statistical") for a in attrs)
    assert "LLMConnectionError" in (attrs[5]["fallback"] or ""), "the warm start's failure"


def test_distinct_candidates_with_two_workers_over_http() -> None:
    with ScriptedLLMServer(schema_responder(seed=4)) as server:
        study = optuna.create_study(direction="maximize", sampler=sampler(client_for(server)))
        study.optimize(objective, n_trials=14, n_jobs=2)
        study.sampler.close()
    keys = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(keys)) == 14


@pytest.mark.parametrize("pipeline", [True, False])
def test_replay_reproduces_the_study_with_zero_http(tmp_path: Any, pipeline: bool) -> None:
    store = Store(f"sqlite:///{tmp_path / 'replay.db'}")
    session = store.create_session(name="r", study_name="r")
    mix = FaultMix(
        schema_responder(seed=9),
        garbage=0.2,
        server_error=0.0,
        rate_limit=0.0,
        timeout=0.0,
        seed=9,
    )
    with ScriptedLLMServer(mix) as server:
        recorder = RecordingClient(client_for(server), store, session)
        first = optuna.create_study(
            direction="maximize", sampler=sampler(recorder, pipeline=pipeline)
        )
        first.optimize(objective, n_trials=12)
        first.sampler.close()
        served = server.request_count
        replay = ReplayClient(store, session)
        second = optuna.create_study(
            direction="maximize", sampler=sampler(replay, pipeline=pipeline)
        )
        second.optimize(objective, n_trials=12)
        second.sampler.close()
        assert server.request_count == served, "replay must not make HTTP calls"
    assert [t.params for t in second.trials] == [t.params for t in first.trials]
    assert replay.remaining == 0 and replay.calls_served == len(store.llm_calls(session))


def test_a_weak_llm_is_weighted_down_over_time() -> None:
    options = EngineOptions(n_surrogate_samples=1)
    with ScriptedLLMServer(schema_responder(seed=6)) as server:  # random, uninformed answers
        study = optuna.create_study(
            direction="maximize", sampler=sampler(client_for(server), options=options)
        )
        study.optimize(objective, n_trials=20)
        study.sampler.close()
    weights = [t.user_attrs[SUGGESTION_ATTR]["llm_weight"] for t in study.trials[10:]]
    weights = [w for w in weights if w is not None]
    assert weights and weights[-1] < 0.25


@pytest.mark.integration
@pytest.mark.embedded
@pytest.mark.timeout(1200)  # ~2 minutes alone on 2 cores; far more on a loaded machine
def test_real_embedded_model_runs_20_valid_trials(tmp_path) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import cross_val_score
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_breast_cancer(return_X_y=True)
    space = SearchSpace.of(
        IntParam(name="max_depth", low=1, high=20),
        IntParam(name="min_samples_leaf", low=1, high=64, log=True),
        FloatParam(name="max_features", low=0.1, high=1.0),
        CategoricalParam(name="criterion", choices=("gini", "entropy")),
    )

    def tree(trial: optuna.Trial) -> float:
        model = DecisionTreeClassifier(
            max_depth=trial.suggest_int("max_depth", 1, 20),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 1, 64, log=True),
            max_features=trial.suggest_float("max_features", 0.1, 1.0),
            criterion=trial.suggest_categorical("criterion", ["gini", "entropy"]),
            random_state=0,
        )
        return float(cross_val_score(model, X, y, cv=3, scoring="roc_auc").mean())

    store = Store(f"sqlite:///{tmp_path}/calls.db")
    client = RecordingClient(make_client(resolve_llm_config(embedded=True)), store, None)
    context = ProblemContext(
        task="binary classification of tumours", model="decision tree", metric="roc_auc"
    )
    default = {"max_depth": 20, "min_samples_leaf": 1, "max_features": 1.0, "criterion": "gini"}
    study = optuna.create_study(
        direction="maximize",
        sampler=LLAMBOSampler(client, context, search_space=space, seed=0, default_config=default),
    )
    study.optimize(tree, n_trials=20)
    study.sampler.close()
    assert len(study.trials) == 20
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert all(space.contains(t.params) for t in study.trials)
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in study.trials]
    # The real model must really have answered: a fallback keeps a run alive, and must not
    # let this test pass with a silent LLM.
    calls = store.llm_calls(None)
    purposes = {c.purpose for c in calls}
    assert len(calls) >= 10 and {"warmstart", "propose", "surrogate"} <= purposes, purposes
    transport = [c for c in calls if c.error_type and c.error_type != "LLMOutputError"]
    assert transport == [], [(c.error_type, c.error) for c in transport]
    answered = [c for c in calls if c.error_type is None and c.response_parsed is not None]
    assert len(answered) >= 0.8 * len(calls)
    assert {a["source"] for a in attrs} & {"warmstart", "llm"}
    assert client.health is not None and client.health.state == "ok"
