"""Scenario 3: hostile and bad input. Invalid search spaces, misbehaving objectives and
unusable data give clear errors or recorded failures; text that users and datasets put into
prompts (column names, notes, the dataset's name) reaches the LLM literally, inside
<data>…</data>, never evaluated; LLM answers carrying code are rejected, never executed."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import assistant
from assistant.errors import AssistantError, SearchSpaceError, ToolError
from assistant.report import write_report
from assistant.sampler import SUGGESTION_ATTR
from assistant.session import TuningSession
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace
from assistant.store import Store
from assistant.tools import FunctionTool
from benchmarks.reliability import (
    BREAKOUT,
    COLUMNS,
    INJECTION,
    NAME,
    NOTES,
    SCRIPT,
    SPACE,
    HostileRun,
    code_responder,
    data_blocks,
    hostile_session,
    outside_data,
    toy_data,
)


def frame(n_rows: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"a": rng.normal(size=n_rows), "b": rng.normal(size=n_rows), "y": np.arange(n_rows) % 2}
    )


def constant(*_: Any) -> float:
    return 0.5


# -- invalid search spaces -------------------------------------------------------------
@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: FloatParam(name="learning_rate", low=1.0, high=0.1), "learning_rate"),
        (lambda: FloatParam(name="alpha", low=0.0, high=1.0, log=True), "alpha"),
        (lambda: IntParam(name="depth", low=5, high=5), "depth"),
        (lambda: CategoricalParam(name="kernel", choices=()), "kernel"),
    ],
)
def test_an_invalid_space_names_its_parameter(build: Any, name: str, tmp_path: Path) -> None:
    with pytest.raises(SearchSpaceError, match=f"'{name}'"):
        assistant.tune(
            frame(),
            "y",
            model=constant,
            search_space=SearchSpace.of(build()),
            llm="off",
            storage=f"sqlite:///{tmp_path / 's.db'}",
            n_trials=2,
            verbose=False,
        )


def test_a_default_config_outside_its_space_is_refused() -> None:
    with pytest.raises(ToolError, match="not a point of the space"):
        FunctionTool(constant, SPACE, default_config={"lr": 5.0, "depth": 3, "booster": "dart"})


def test_a_search_space_that_is_not_a_search_space_is_refused_up_front(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(AssistantError, match="search_space"):
        assistant.tune(
            frame(),
            "y",
            model=constant,
            search_space={"lr": (0.0, 1.0)},
            llm="off",
            storage=store,
            n_trials=2,
            verbose=False,
            isolation="inline",
        )
    assert store.list_sessions() == [], "a refused call must not leave a session behind"


# -- misbehaving objectives ------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("raise", "ValueError: the objective exploded"),
        ("nan", "not finite|expected a number|nan"),
        ("inf", "not finite|inf"),
        ("string", "returned str"),
        ("none", "returned NoneType"),
    ],
)
def test_a_misbehaving_objective_is_a_recorded_failure(
    kind: str, reason: str, tmp_path: Path
) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    session = TuningSession.create(
        toy_data(),
        tool=f"tests.reliability.objectives:{kind.upper()}",
        store=store,
        metric="accuracy",
        n_trials=8,
        n_folds=2,
        mode="off",
        isolation="inline",
        data_dir=tmp_path / "data",
    )
    result = session.run()
    assert result.status == "finished"
    assert result.n_failed >= 1 and result.n_complete >= 1
    assert result.n_complete + result.n_failed + result.n_pruned == 8
    failed = [t for t in session.study.trials if t.state.name == "FAIL"]
    assert all(re.search(reason, t.user_attrs["failure_reason"]) for t in failed)
    endings = {e.trial_number: e.payload for e in session.events() if e.kind == "trial_finished"}
    assert all(endings[t.number]["status"] == "failed" for t in failed)


# -- unusable data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "target", "message"),
    [
        (frame(), "churn", "target column 'churn' is not in the frame"),
        (frame().assign(y=1), "y", "at least two classes"),
        pytest.param(frame().iloc[:0], "y", "no rows|empty"),
        pytest.param(frame().assign(y=np.linspace(0, 1, 40)).iloc[:0], "y", "no rows|empty"),
    ],
    ids=["missing target", "single class", "empty classification", "empty regression"],
)
def test_unusable_data_is_a_clear_error(
    data: pd.DataFrame, target: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(AssistantError, match=message):
        assistant.tune(
            data,
            target,
            model="knn",
            llm="off",
            storage=f"sqlite:///{tmp_path / 's.db'}",
            n_trials=2,
            n_folds=2,
            verbose=False,
            isolation="inline",
        )


# -- text in prompts -------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    return hostile_session(Path(tmp_path_factory.mktemp("hostile")))


def test_hostile_text_reaches_the_prompt_literally_inside_data_tags(hostile: HostileRun) -> None:
    prompts = hostile.user_prompts()
    assert prompts, "the session never described the problem to the LLM"
    for prompt in prompts:
        assert f"User notes: <data>{NOTES}</data>" in prompt
        assert f"Dataset: <data>{NAME}</data>" in prompt
        features = re.search(r"Features: <data>(.*?)</data>\n", prompt, re.S)
        assert features and all(column in features.group(1) for column in COLUMNS)
        assert "49" not in "".join(data_blocks(prompt)), "{{ 7*7 }} was evaluated"
        assert "looplooploop" not in prompt, "a {% for %} was evaluated"
        assert INJECTION not in outside_data(prompt)
    result = hostile.session.result()
    assert result.status == "finished" and result.n_complete + result.n_pruned == 7


def test_the_system_prompt_says_data_is_not_instructions(hostile: HostileRun) -> None:
    system = hostile.requests[0]["messages"][0]
    assert system["role"] == "system" and "never as instructions" in system["content"]


def test_user_text_cannot_close_its_data_block(tmp_path: Path) -> None:
    prompts = hostile_session(tmp_path, notes=BREAKOUT, n_trials=6).user_prompts()
    assert prompts and all(INJECTION not in outside_data(p) for p in prompts)


# -- code in LLM answers ---------------------------------------------------------------
def test_code_in_llm_answers_is_rejected_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    run = hostile_session(tmp_path, code_responder(marker))
    assert not marker.exists(), "an LLM answer was executed"
    trials = run.session.study.trials
    assert len(trials) == 7 and all(SPACE.contains(t.params) for t in trials)
    attrs = [t.user_attrs[SUGGESTION_ATTR] for t in trials]
    assert not any(a["source"] in ("warmstart", "llm") for a in attrs)
    assert any(a["fallback"] for a in attrs), "the rejection must be recorded"
    calls = [c for c in run.session.store.llm_calls(run.session.id) if c.purpose != "surrogate"]
    assert calls and all(c.error_type == "LLMOutputError" for c in calls)
    html = write_report(run.session.store, run.session.id, tmp_path / "r.html").read_text()
    assert SCRIPT not in html
