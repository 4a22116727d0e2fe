"""Plain-language chat: the request parser (rules, then the LLM over real HTTP and the real
embedded model) and the controller's propose-then-``/run`` rule."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import json
from typing import Any

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from assistant.chat import ChatController, parse_command
from assistant.chat.intent import INTENTS, OTHER, PURPOSE, IntentContext, parse_request
from assistant.chat.intent_cases import CASES, IntentCase, asks_for, context_for
from assistant.testing import Reply, ScriptedLLMServer, requested_schema
from assistant.tools import list_metrics, list_tools
from tests.llm.helpers import needs_embedded

FAST = {"llm": "off", "isolation": "inline", "n_folds": "2"}
DONE_REQUEST = "tune a gradient-boosted model on df for ROC-AUC, 40 trials"
DONE_COMMAND = "/tune df target=target model=hist_gradient_boosting metric=roc_auc n_trials=40"


@pytest.fixture
def frame() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame.sample(160, random_state=0)


# -- the table, rules only -----------------------------------------------------------------
def test_the_table_is_large_and_covers_every_intent() -> None:
    assert len(CASES) >= 40
    assert {c.intent for c in CASES} >= set(INTENTS)
    assert len({c.text for c in CASES}) == len(CASES)
    for case in CASES:
        if case.expected is not None:
            name, _positional, _options = parse_command(case.expected)
            assert name == case.intent, case


@pytest.mark.parametrize("case", CASES, ids=[c.text for c in CASES])
def test_rules_alone(case: IntentCase) -> None:
    request = parse_request(case.text, context_for(case))
    assert request.llm_fields == [] and request.from_llm == []
    if case.rules and case.expected is not None:
        assert request.command == case.expected, request
        assert request.intent == case.intent
        assert request.question is None
        return
    # A question: the right answer itself (rules=True), or what the rules say instead of
    # guessing when the row needs the LLM (rules=False).
    assert request.command is None, request
    assert case.asks is not None
    assert asks_for(request.question) == case.asks, request.question
    if case.rules:
        assert request.intent == case.intent


def test_a_registered_tool_name_wins_over_the_built_in_synonyms() -> None:
    frames = {"df": ["x", "target"]}
    both = IntentContext(frames=frames, tools={"xgboost": "", "hist_gradient_boosting": ""})
    builtin = IntentContext(frames=frames, tools={"hist_gradient_boosting": ""})
    assert parse_request("tune XGBoost on df", both).slots.model == "xgboost"
    assert parse_request("tune XGBoost on df", builtin).slots.model == "hist_gradient_boosting"


def test_a_column_with_spaces_is_quoted_and_reads_back() -> None:
    context = IntentContext.for_kernel({"df": ["mean radius", "target"]})
    request = parse_request("predict mean radius on df, 5 trials", context)
    assert request.command == "/tune df target='mean radius' n_trials=5"
    assert parse_command(request.command)[2] == {"target": "mean radius", "n_trials": "5"}


@pytest.mark.parametrize(
    "module", ["assistant.chat.intent", "assistant.chat.intent_cases", "assistant.chat.commands"]
)
def test_docstring_examples_run(module: str) -> None:
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_the_benchmark_scores_the_rules_on_the_same_table() -> None:
    from benchmarks.chat_intent import evaluate

    result = evaluate(None)
    assert result["n_cases"] == len(CASES)
    assert result["rules_rows"]["command_accuracy"] == 1.0
    assert result["llm_calls"] == 0


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("tune knn on customers to predict churned, no LLM", "off"),
        ("tune knn on customers for churned without the llm, 10 trials", "off"),
        ("tune knn on customers for churned with statistical search only", "off"),
        ("tune knn on customers for churned, warm start only", "warmstart"),
        ("tune knn on customers for churned llm=warmstart", "warmstart"),
        ("tune knn on customers for churned", None),
    ],
)
def test_the_llm_mode_in_words(text: str, mode: str | None) -> None:
    from assistant.chat.intent_cases import KERNELS

    request = parse_request(text, IntentContext.for_kernel(KERNELS["churn"]))
    assert request.slots.llm == mode
    assert request.command is not None and request.command.startswith("/tune customers")
    assert (f"llm={mode}" in request.command) == (mode is not None)


# -- the controller: read-only runs, the rest waits for /run -------------------------------
def test_done_criterion_proposes_then_run_starts(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame, "other": 3}, tune_defaults=FAST)
    reply = chat.handle(DONE_REQUEST)
    assert reply.ok, reply.text
    assert (reply.command, reply.proposed) == (DONE_COMMAND, True)
    assert "Type /run (or yes) to start it, or edit the command." in reply.text
    assert chat.session_id is None and not chat.running
    assert chat.store.list_sessions() == []  # nothing started
    assert chat.store.llm_calls(None) == []  # the rules decided it all: no LLM was asked

    started = chat.handle("/run")
    assert started.ok, started.text
    assert started.text.startswith("Started session") and started.command == DONE_COMMAND
    assert started.view == "live" and started.session_id == chat.session_id
    spec = chat.store.get_session(chat.session_id).spec
    assert (spec["tool"], spec["metric"], spec["n_trials"]) == ("hist_gradient_boosting",
                                                                "roc_auc", 40)  # fmt: skip
    stop = chat.handle("please stop")
    assert (stop.command, stop.proposed) == ("/stop", True)
    assert chat.handle("/run").text.startswith("Asked session")
    chat.wait(120)
    assert not chat.running
    status = chat.handle("how is it going?")
    assert (status.command, status.proposed) == ("/status", False)
    assert status.text.startswith("Ran /status.\nSession ")
    assert ": stopped," in status.text or ": finished, 40 of 40" in status.text
    assert status.session_id == chat.session_id


def test_a_plain_yes_runs_the_pending_proposal_and_only_then(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame}, tune_defaults=FAST, intent_llm="off")
    assert not chat.handle("yes").text.startswith("Started")  # nothing proposed: not a /run
    assert chat.store.list_sessions() == []
    proposed = chat.handle("train knn on df with 2 trials")
    assert proposed.proposed
    started = chat.handle("Yes!")
    assert started.text.startswith("Started session") and started.command == proposed.command
    assert started.ran_proposal  # the sidebar spends the proposal's card
    chat.wait(120)
    assert not chat.handle("ok").text.startswith("Started")  # the proposal ran once
    assert len(chat.store.list_sessions()) == 1


def test_run_without_a_proposal_says_so_and_a_proposal_runs_once(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame}, tune_defaults=FAST, intent_llm="off")
    empty = chat.handle("/run")
    assert not empty.ok and empty.text.startswith("Nothing to run")
    assert chat.handle("train knn on df with 2 trials").proposed
    assert chat.handle("what can you do?").command == "/help"  # read-only: the proposal stays
    assert chat.handle("/run").text.startswith("Started session")
    chat.wait(120)
    assert chat.handle("/run").text.startswith("Nothing to run")
    assert "/run" in chat.handle("/help").text


def test_a_proposal_that_cannot_run_says_why_now(frame: pd.DataFrame) -> None:
    chat = ChatController({"df": frame}, intent_llm="off")
    stop = chat.handle("stop the tuning")
    assert stop.command is None and stop.text.startswith("There is no session yet")
    wrong = chat.handle("/tune df target=nope")  # typed: not a proposal
    assert not wrong.ok
    assert chat.propose("/tune df target=nope").text == "Error: df has no column 'nope'"
    assert chat.proposal is None


# -- the LLM for what is left, over real HTTP ---------------------------------------------
def _answering(values: dict[str, Any]) -> Any:
    """A responder answering each schema field from ``values``."""

    def respond(body: dict[str, Any]) -> Reply:
        schema = requested_schema(body) or {}
        return Reply.json({k: values.get(k) for k in schema.get("properties", {})})

    return respond


def test_the_llm_decides_the_intent_when_no_keyword_does(frame: pd.DataFrame) -> None:
    with ScriptedLLMServer(_answering({"intent": "help"})) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        reply = chat.handle("what's up with that?")
        (request,) = server.requests
        base_url = server.base_url
    schema = requested_schema(request)
    assert schema is not None and list(schema["properties"]) == ["intent"]
    assert schema["properties"]["intent"]["enum"] == [*INTENTS, OTHER]
    assert (reply.command, reply.proposed) == ("/help", False)
    assert reply.text.startswith("Ran /help. The LLM decided the intent: check it.")
    (call,) = chat.store.llm_calls(None)
    assert call.purpose == PURPOSE and call.error is None
    assert call.response_parsed == {"intent": "help"} and call.base_url == base_url
    assert "what's up with that?" in call.messages[-1]["content"]


def test_the_llm_fills_open_slots_from_the_kernels_own_lists() -> None:
    houses = pd.DataFrame({"rooms": [3, 4], "area": [70.0, 90.0], "price": [1.0, 2.0]})
    cars = pd.DataFrame({"km": [1, 2], "age": [3, 4], "price_eur": [5.0, 6.0]})
    answer = {"dataframe": "houses", "target": "price", "model": "random_forest", "metric": "rmse"}
    with ScriptedLLMServer(_answering(answer)) as server:
        chat = ChatController(
            {"houses": houses, "cars": cars}, llm_base_url=server.base_url, llm_model="m"
        )
        reply = chat.handle("tune a fancyboost model to forecast the thing, scored by my metric")
        (request,) = server.requests
    enums = {k: v["enum"] for k, v in requested_schema(request)["properties"].items()}
    assert enums == {
        "dataframe": ["houses", "cars"],
        "target": ["price_eur", "age", "km", "price", "area", "rooms"],  # the last column first
        "model": [t.name for t in list_tools()],
        "metric": [m.name for m in list_metrics()],
    }
    assert (reply.command, reply.proposed) == (
        "/tune houses target=price model=random_forest metric=rmse",
        True,
    )
    assert "The LLM decided the dataframe, target, model, metric: check them." in reply.text
    (call,) = chat.store.llm_calls(None)
    assert call.purpose == PURPOSE and call.response_parsed == answer
    assert call.json_schema is not None
    assert call.json_schema["properties"]["target"]["enum"] == enums["target"]


def test_an_llm_target_from_another_frame_is_not_taken() -> None:
    context = IntentContext.for_kernel({"houses": ["rooms", "price"], "cars": ["km", "age"]})
    with ScriptedLLMServer(_answering({"dataframe": "cars", "target": "price"})) as server:
        from assistant.llm import make_client, resolve_llm_config

        client = make_client(resolve_llm_config(server.base_url, "m"))
        request = parse_request("tune a random forest to forecast the thing", context, client)
    assert request.command is None
    assert request.slots.dataframe == "cars" and request.sources["dataframe"] == "llm"
    assert request.question is not None and request.question.startswith("Which column of cars")
    assert any("not a column of cars" in note for note in request.notes)


def test_an_answer_outside_the_enum_is_ignored(frame: pd.DataFrame) -> None:
    with ScriptedLLMServer(_answering({"intent": "dance"})) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        reply = chat.handle("what's up with that?")
    assert not reply.ok and reply.command is None
    assert reply.text.startswith("I could not tell what to do")


def test_an_llm_tune_needs_something_in_the_message_to_tune_on() -> None:
    from assistant.llm import make_client, resolve_llm_config

    context = IntentContext.for_kernel({"df": ["x", "target"]})
    with ScriptedLLMServer(_answering({"intent": "tune"})) as server:
        client = make_client(resolve_llm_config(server.base_url, "m"))
        request = parse_request("what's up with that?", context, client)
    assert request.intent is None and request.command is None
    assert request.llm_fields == ["intent"] and request.from_llm == []
    assert any("nothing in the message to tune on" in note for note in request.notes)


def test_a_failing_llm_leaves_the_rules_and_is_recorded(frame: pd.DataFrame) -> None:
    with ScriptedLLMServer([Reply.error(500, "down")] * 8) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        reply = chat.handle("what's up with that?")
        proposal = chat.handle(DONE_REQUEST)  # the rules need no LLM for this one
    assert not reply.ok and "The LLM could not help: LLMServerError" in reply.text
    (call,) = chat.store.llm_calls(None)
    assert call.purpose == PURPOSE and call.error_type == "LLMServerError"
    assert proposal.command == DONE_COMMAND


def test_no_llm_call_when_the_rules_decide(frame: pd.DataFrame) -> None:
    with ScriptedLLMServer([]) as server:
        chat = ChatController({"df": frame}, llm_base_url=server.base_url, llm_model="m")
        assert chat.handle(DONE_REQUEST).command == DONE_COMMAND
        assert server.request_count == 0


# -- the real embedded model ----------------------------------------------------------------


@needs_embedded
@pytest.mark.integration
@pytest.mark.embedded
def test_the_embedded_model_fills_what_the_rules_leave(shared_server: None) -> None:
    houses = {"rooms": [3, 4], "area": [70.0, 90.0], "price": [1.0, 2.0]}
    namespace = {"train": pd.DataFrame(houses), "test": pd.DataFrame(houses)}
    chat = ChatController(namespace)  # nothing configured: the embedded model
    reply = chat.handle("tune an svm to predict price, 30 trials")
    (call,) = chat.store.llm_calls(None)
    assert call.purpose == PURPOSE and call.error is None, call.error
    assert call.model.startswith("SmolLM2")
    assert call.response_parsed is not None and call.response_parsed["dataframe"] in namespace
    assert reply.ok and reply.proposed, reply.text
    name, positional, options = parse_command(reply.command or "")
    assert (name, positional) == ("tune", [call.response_parsed["dataframe"]])
    assert options == {"target": "price", "model": "svm", "n_trials": "30"}
    assert chat.store.list_sessions() == []
    assert json.dumps(call.json_schema["properties"]["dataframe"]["enum"]) == '["train", "test"]'
