"""A session with an LLM budget never passes it, says so in every face, and replays."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from assistant import cli, events
from assistant.fold import session_view
from assistant.llm import LLMConfig
from assistant.replay import replay_session
from assistant.session import TuningSession
from assistant.testing import Reply, ScriptedLLMServer, schema_responder
from tests.llm.test_budget import assert_seconds_kept

N_TRIALS = 14


def _run(iris, store, server, budget, **options):
    config = LLMConfig(base_url=server.base_url, model="m", backoff_s=0.0)
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=N_TRIALS, isolation="inline", n_folds=3,
        llm=config, llm_budget=budget, **options,
    )  # fmt: skip
    return session, session.run()


def _spent_events(session):
    return session.store.events(session.id, kinds=[events.LLM_BUDGET_SPENT])


@pytest.mark.integration
def test_a_token_budget_is_never_passed_and_the_search_goes_on(iris, store):
    with ScriptedLLMServer(schema_responder(seed=0)) as server:
        session, result = _run(iris, store, server, "tokens:5000")
        sent = server.request_count
    calls = store.llm_calls(session.id)
    assert calls and sent == sum(c.attempts for c in calls)  # nothing sent unrecorded
    assert sum(c.prompt_tokens + c.completion_tokens for c in calls) <= 5000
    assert all(c.error_type is None for c in calls)  # a refused call is never recorded
    (spent,) = _spent_events(session)
    assert spent.payload["reason"] == "tokens" and spent.payload["budget"]["max_tokens"] == 5000
    # Every trial ran, the ones after the budget statistically, each fallback naming it.
    assert result.n_complete + result.n_pruned + result.n_failed == N_TRIALS
    later = [
        e for e in store.events(session.id, kinds=[events.FALLBACK])
        if e.trial_number >= spent.trial_number
    ]  # fmt: skip
    assert later and all("LLM budget is spent" in e.payload["reason"] for e in later)
    status = result.llm_budget
    assert status is not None and status.spent_out and status.since_trial == spent.trial_number
    assert status.spent.tokens == sum(c.prompt_tokens + c.completion_tokens for c in calls)
    assert f"of 5,000 tokens — spent at trial {spent.trial_number} (tokens)" in status.headline()
    assert session.result().llm_budget == status  # as stored
    view = session_view(store, session.id)
    assert view.budget == status
    assert view.budget_banner().startswith(f"LLM budget spent from trial {spent.trial_number}")
    replay = replay_session(store, session.id)
    assert replay.reproduced, replay.divergence


@pytest.mark.integration
def test_a_seconds_budget_is_kept(iris, store):
    answers = schema_responder(seed=1)

    def slow(body):
        reply = answers(body)
        return Reply.json(reply, delay_s=0.2) if isinstance(reply, dict) else reply

    with ScriptedLLMServer(slow) as server:
        session, result = _run(iris, store, server, {"max_seconds": 0.6})
    calls = store.llm_calls(session.id)
    # The warm start (after the design), then the first step's calls until the slowest
    # call so far no longer fits what is left.
    assert 1 <= len(calls) <= 3 and calls[0].purpose == "warmstart"
    assert_seconds_kept([c.latency_s for c in calls], 0.6)
    assert [e.payload["reason"] for e in _spent_events(session)] == ["seconds"]
    assert result.n_complete + result.n_pruned + result.n_failed == N_TRIALS
    assert result.llm_budget is not None
    assert result.llm_budget.spent.seconds == pytest.approx(
        sum(c.latency_s for c in calls), abs=1e-6
    )  # stored to the microsecond
    assert replay_session(store, session.id).reproduced


@pytest.mark.integration
def test_a_budget_spent_before_the_first_call_leaves_the_session_statistical(iris, store):
    with ScriptedLLMServer(schema_responder(seed=2)) as server:
        session, result = _run(iris, store, server, "tokens:50")
        assert server.request_count == 0
    assert store.llm_calls(session.id) == []
    assert len(_spent_events(session)) == 1
    assert result.n_complete >= 1 and result.llm_budget.spent.tokens == 0
    assert replay_session(store, session.id).reproduced


@pytest.mark.integration
def test_a_resumed_session_counts_what_it_spent_before(iris, store):
    with ScriptedLLMServer(schema_responder(seed=3)) as server:
        session, _ = _run(iris, store, server, "tokens:5000")
        before = server.request_count
        resumed = TuningSession.open(session.id, store)
        resumed.llm_config = LLMConfig(base_url=server.base_url, model="m")
        result = resumed.run(N_TRIALS + 4)
        assert server.request_count == before  # the budget was already spent
    assert result.llm_budget.spent.tokens <= 5000


def test_the_summary_and_json_give_spent_vs_budget(iris, store, tmp_path, monkeypatch, capsys):
    frame = pd.DataFrame(iris.X, columns=[f"f{i}" for i in range(iris.X.shape[1])])
    frame["y"] = iris.y
    frame.to_csv(tmp_path / "iris.csv", index=False)
    with ScriptedLLMServer(schema_responder(seed=4)) as server:
        monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("ASSISTANT_LLM_MODEL", "m")
        args = [
            "tune", "--data", str(tmp_path / "iris.csv"), "--target", "y", "--model", "knn",
            "--n-trials", "8", "--n-folds", "2", "--storage", store.url,
            "--llm-budget", "tokens:3000",
        ]  # fmt: skip
        assert cli.main([*args, "--json"]) == 0
        payload = json.loads(capsys.readouterr().out)
        assert cli.main(args) == 0
        text = capsys.readouterr().out
    budget = payload["llm_budget"]
    assert budget["budget"]["max_tokens"] == 3000 and budget["spent"]["tokens"] <= 3000
    assert budget["spent_out"] is True
    assert "LLM budget: " in text and " of 3,000 tokens — spent at trial" in text


@pytest.mark.parametrize(
    "bad",
    ["tokens", "tokens:0", "dollars:3", "usd:1"],  # usd: no price for model "m"
)
def test_the_cli_refuses_a_bad_budget(bad, tmp_path, monkeypatch, capsys):
    frame = pd.DataFrame({"a": range(20), "y": [0, 1] * 10})
    frame.to_csv(tmp_path / "t.csv", index=False)
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "m")
    args = ["tune", "--data", str(tmp_path / "t.csv"), "--target", "y", "--model", "knn"]
    storage = f"sqlite:///{tmp_path / 's.db'}"
    assert cli.main([*args, "--storage", storage, "--json", "--llm-budget", bad]) == 2
    error = json.loads(capsys.readouterr().out)
    assert error["type"] == "LLMBudgetError" and "llm_budget" in error["error"]


def test_chat_tune_takes_a_budget(iris, tmp_path):
    from assistant.chat.commands import ChatController

    frame = pd.DataFrame(iris.X, columns=["a", "b", "c", "d"]).assign(y=iris.y)
    chat = ChatController({"df": frame}, storage=f"sqlite:///{tmp_path / 'chat.db'}")
    bad = chat.handle("/tune df target=y model=knn llm=off llm_budget=tokens:lots")
    assert not bad.ok and "'lots' is not a number" in bad.text
    reply = chat.handle(
        "/tune df target=y model=knn n_trials=2 n_folds=2 llm=off isolation=inline "
        "llm_budget=tokens:20000,seconds:60"
    )
    assert reply.ok, reply.text
    assert "LLM budget: 20,000 tokens, 60 s." in reply.text
    chat.wait(120)
    session = TuningSession.open(reply.session_id, chat.store)
    assert session.spec.llm_budget.max_tokens == 20000
