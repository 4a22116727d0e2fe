"""Free numbers for strong endpoints, a closed grid for small models: decided by the LLM
config (automatic, overridable), sent over real HTTP, clipped into the space, recorded by a
session and replayed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.datasets import load_iris

from assistant.engine import EngineOptions
from assistant.engine.advisor import LLMAdvisor
from assistant.llm import LLMConfig
from assistant.replay import replay_session
from assistant.sampler import SUGGESTION_ATTR, LLAMBOSampler
from assistant.session import TuningSession
from assistant.store import Store
from assistant.testing import ScriptedLLMServer, requested_schema, schema_responder
from assistant.tools import Dataset
from tests.engine.scripted_client import ScriptedClient
from tests.engine.test_sampler_http import CONTEXT, SPACE

optuna.logging.set_verbosity(optuna.logging.WARNING)

FAST = {"timeout_s": 2.0, "max_retries": 1, "output_retries": 1, "backoff_s": 0.0}


def objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    depth = trial.suggest_int("depth", 1, 12)
    booster = trial.suggest_categorical("booster", ["gbtree", "dart"])
    penalty = 0.01 * abs(depth - 5) + 0.02 * (booster == "dart")
    return 1.0 - 0.05 * (np.log10(lr) + 1.5) ** 2 - penalty


def _config_schemas(server: ScriptedLLMServer) -> list[dict[str, Any]]:
    """The per-config schemas of every proposal request the server received."""
    out = []
    for body in server.requests:
        schema = requested_schema(body) or {}
        out += [v for k, v in schema.get("properties", {}).items() if k.startswith("config_")]
    return out


def _ask(config_of: Any, responder: Any = None, n_trials: int = 6) -> tuple[Any, list[Any]]:
    with ScriptedLLMServer(responder or schema_responder(seed=1)) as server:
        sampler = LLAMBOSampler(
            config_of(server), CONTEXT, search_space=SPACE, seed=3, pipeline=False
        )
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(objective, n_trials=n_trials)
        sampler.close()
        schemas = _config_schemas(server)
    assert schemas, "the LLM was never asked for configurations"
    return study, schemas


def _is_continuous(schemas: list[dict[str, Any]]) -> bool:
    kinds = set()
    for config in schemas:
        props = config["properties"]
        assert props["booster"] == {"enum": ["gbtree", "dart"]}  # categoricals: always a list
        continuous = props["lr"] == {"type": "number", "minimum": 1e-4, "maximum": 1.0} and props[
            "depth"
        ] == {"type": "integer", "minimum": 1, "maximum": 12}
        assert continuous or ("enum" in props["lr"] and "enum" in props["depth"])
        kinds.add(continuous)
    assert len(kinds) == 1
    return kinds.pop()


def endpoint(**overrides: Any) -> Any:
    return lambda server: LLMConfig(base_url=server.base_url, model="m", **FAST, **overrides)


def embedded_like(**overrides: Any) -> Any:
    # embedded=True with a base URL: the embedded path without starting llama.cpp.
    return lambda server: LLMConfig(
        base_url=server.base_url, model="m", embedded=True, **FAST, **overrides
    )


def test_the_automatic_choice_follows_the_endpoint() -> None:
    assert LLMConfig(base_url="http://h/v1").effective_continuous_values()
    assert not LLMConfig(embedded=True).effective_continuous_values()
    assert LLMConfig(embedded=True).resolved().continuous_values is False
    assert LLMConfig(base_url="http://h/v1").resolved().to_public_dict()["continuous_values"]


def test_a_configured_endpoint_gets_bounded_numbers_over_http() -> None:
    study, schemas = _ask(endpoint())
    assert _is_continuous(schemas)
    assert all(SPACE.contains(t.params) for t in study.trials)


def test_the_embedded_model_gets_the_grid_over_http() -> None:
    _, schemas = _ask(embedded_like())
    assert not _is_continuous(schemas)


def test_the_choice_can_be_overridden_both_ways() -> None:
    assert not _is_continuous(_ask(endpoint(continuous_values=False))[1])
    assert _is_continuous(_ask(embedded_like(continuous_values=True))[1])


def test_a_client_passed_as_it_is_keeps_the_engine_options() -> None:
    client = ScriptedClient(lambda purpose, messages, schema: {})
    assert LLAMBOSampler(client)._value_grid() == 11


def _past_the_bounds(first_only: bool) -> Any:
    """Proposals with numbers past the bounds (every time, or only on a first try)."""
    asked: list[int] = []

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        schema = requested_schema(body) or {}
        keys = list(schema.get("properties", {}))
        if "rationale" not in keys:  # the surrogate: any numbers
            return {k: 0.9 for k in keys}
        reask = len(body["messages"]) > 2
        asked.append(reask)
        far = not (first_only and reask)
        answer: dict[str, Any] = {"rationale": "bold"}
        for i, key in enumerate(k for k in keys if k.startswith("config_")):
            lr, depth = (5.0 + i, 40 - i) if far else (0.01 * (i + 1), 3 + i)
            answer[key] = {"lr": lr, "depth": depth, "booster": "dart"}
        return answer

    respond.asked = asked  # type: ignore[attr-defined]
    return respond


def test_numbers_past_the_bounds_over_http_are_reasked_never_run() -> None:
    # The client checks every answer against the bounded schema and re-asks, naming the
    # bound; an endpoint that keeps answering out of range leaves the step statistical.
    stubborn = _past_the_bounds(first_only=False)
    study, _ = _ask(endpoint(), stubborn, n_trials=8)
    assert any(stubborn.asked)  # re-asked
    assert all(SPACE.contains(t.params) for t in study.trials)
    sources = {t.user_attrs[SUGGESTION_ATTR]["source"] for t in study.trials}
    assert "warmstart" not in sources and "llm" not in sources
    assert any(t.user_attrs[SUGGESTION_ATTR]["fallback"] for t in study.trials)

    corrected = _past_the_bounds(first_only=True)
    study, _ = _ask(endpoint(), corrected, n_trials=6)
    warm = [t for t in study.trials if t.user_attrs[SUGGESTION_ATTR]["source"] == "warmstart"]
    assert warm and {t.params["lr"] for t in warm} <= {0.01, 0.02, 0.03}


def test_numbers_past_the_bounds_are_clipped_by_our_code_when_the_client_does_not_check() -> None:
    def answer(purpose: str, messages: Any, schema: Any) -> dict[str, Any]:
        if purpose == "surrogate":
            return {k: 0.9 for k in schema["properties"]}
        configs = [k for k in schema["properties"] if k.startswith("config_")]
        return {"rationale": "bold"} | {
            k: {"lr": 5.0 + i, "depth": 40 - i, "booster": "dart"} for i, k in enumerate(configs)
        }

    sampler = LLAMBOSampler(
        ScriptedClient(answer), CONTEXT, search_space=SPACE, seed=3, pipeline=False,
        options=EngineOptions(value_grid=None),
    )  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(objective, n_trials=8)
    assert all(SPACE.contains(t.params) for t in study.trials)
    warm = [t for t in study.trials if t.user_attrs[SUGGESTION_ATTR]["source"] == "warmstart"]
    assert warm and all(t.params["lr"] == 1.0 and t.params["depth"] == 12 for t in warm)


def test_the_advisor_clips_free_numbers_and_lists_each_fix() -> None:
    answer = {
        "rationale": "r",
        "config_1": {"lr": 3.0, "depth": 4.6, "booster": "gbtree"},
        "config_2": {"lr": 0.01, "depth": 3, "booster": "dart"},
        "config_3": {"lr": "fast", "depth": 3, "booster": "dart"},
    }
    client = ScriptedClient(lambda purpose, messages, schema: answer)
    rng = np.random.default_rng(0)
    free = LLMAdvisor(client, SPACE, CONTEXT, value_grid=None).warmstart(3, rng)
    assert free.configs == [
        {"lr": 1.0, "depth": 5, "booster": "gbtree"},
        {"lr": 0.01, "depth": 3, "booster": "dart"},
    ]
    assert len(free.repaired) == 1 and "clipped to 1" in free.repaired[0]
    assert "snapped to 5" in free.repaired[0]
    assert len(free.rejected) == 1 and free.rejected[0].startswith("config_3: lr")
    # On the grid a number past a bound means the list was ignored: rejected, as before.
    grid = LLMAdvisor(client, SPACE, CONTEXT, value_grid=11).warmstart(3, rng)
    assert grid.configs == [{"lr": 0.01, "depth": 3, "booster": "dart"}]
    assert len(grid.rejected) == 2


@pytest.fixture
def iris() -> Dataset:
    return Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'sessions.db'}")


@pytest.mark.integration
def test_a_continuous_session_records_the_choice_and_replays(iris: Dataset, store: Store) -> None:
    with ScriptedLLMServer(schema_responder(seed=4)) as server:
        config = LLMConfig(base_url=server.base_url, model="m", **FAST)
        session = TuningSession.create(
            iris, tool="knn", store=store, n_trials=8, isolation="inline", n_folds=3, llm=config
        )
        session.run()
        schemas = _config_schemas(server)
    spec = store.get_session(session.id).spec
    assert spec["llm"]["continuous_values"] is True and spec["options"]["value_grid"] is None
    numeric = [s for c in schemas for s in c["properties"].values() if "enum" not in s]
    assert numeric and all({"minimum", "maximum"} <= set(s) for s in numeric)
    replay = replay_session(store, session.id)
    assert replay.reproduced, replay.divergence
