"""The LLM budget: its spelling, and the client that keeps calls within it, over real HTTP."""

from __future__ import annotations

import threading

import pytest

from assistant.errors import LLMBudgetError, LLMBudgetSpentError
from assistant.llm import LLMConfig, OpenAICompatibleClient
from assistant.llm.base import Message
from assistant.llm.budget import BudgetedClient, check_budget, prompt_estimate
from assistant.llm.recording import RecordingClient
from assistant.records import KNOWN_PRICES, LLMBudget, TokenPrices
from assistant.store import Store
from assistant.testing import Reply, ScriptedLLMServer, schema_responder

SCHEMA = {
    "type": "object",
    "properties": {"x": {"type": "integer"}, "why": {"type": "string", "maxLength": 40}},
    "required": ["x", "why"],
    "additionalProperties": False,
}


def _client(server: ScriptedLLMServer) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(LLMConfig(base_url=server.base_url, model="m", backoff_s=0.0))


def _ask(client: BudgetedClient, words: int = 20, **params):
    return client.complete([Message(role="user", content="tune " * words)], SCHEMA, **params)


# -- the spelling ---------------------------------------------------------------------------
def test_the_compact_spelling_gives_every_limit() -> None:
    budget = LLMBudget.parse("tokens:20000, seconds:60,usd:0.5,price_in:3,price_out:15")
    assert (budget.max_tokens, budget.max_seconds, budget.max_cost_usd) == (20000, 60.0, 0.5)
    assert budget.prices == TokenPrices(input_usd_per_mtok=3.0, output_usd_per_mtok=15.0)
    assert LLMBudget.coerce("tokens:5") == LLMBudget(max_tokens=5)
    assert LLMBudget.coerce({"max_seconds": 2}) == LLMBudget(max_seconds=2.0)
    assert LLMBudget.coerce(None) is None
    assert budget.describe() == "20,000 tokens, 60 s, $0.5"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("tokens", "expected word:number"),
        ("tokens=100", "expected word:number"),
        ("token:100", "words tokens, seconds, usd, price_in, price_out"),
        ("tokens:1.5", "whole number"),
        ("tokens:many", "'many' is not a number"),
        ("seconds:0", "above 0"),
        ("usd:-1", "above 0"),
        ("tokens:5,tokens:6", "given twice"),
        ("usd:1,price_in:3", "both price_in and price_out"),
        ("price_in:1,price_out:2", "at least one limit"),
        ("", "expected word:number"),
    ],
)
def test_a_bad_spelling_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(LLMBudgetError, match="llm_budget") as caught:
        LLMBudget.parse(text)
    assert says in str(caught.value)


def test_a_bad_dict_or_type_names_the_field() -> None:
    with pytest.raises(LLMBudgetError, match="max_tokenz"):
        LLMBudget.coerce({"max_tokenz": 5})
    with pytest.raises(LLMBudgetError, match="not int"):
        LLMBudget.coerce(5)  # type: ignore[arg-type]


def test_dollars_need_a_price() -> None:
    budget = LLMBudget.parse("usd:1")
    check_budget(budget, {"model": "gpt-4o-mini", "base_url": "https://api.openai.com/v1"})
    check_budget(budget, {"embedded": True})  # the local model costs nothing
    with pytest.raises(LLMBudgetError, match="no price is known for my-model; give price_in"):
        check_budget(budget, {"model": "my-model", "base_url": "http://h/v1"})
    assert budget.prices_for("GPT-4o") == KNOWN_PRICES["gpt-4o"]


# -- the client, over HTTP ---------------------------------------------------------------------
def test_tokens_never_pass_the_limit_and_a_refused_call_is_not_sent() -> None:
    with ScriptedLLMServer(schema_responder(seed=1)) as server:
        client = BudgetedClient(_client(server), LLMBudget(max_tokens=1500))
        answered = 0
        with pytest.raises(LLMBudgetSpentError, match=r"budget is spent \(tokens: .* of 1,500"):
            for _ in range(50):
                _ask(client, max_tokens=40)
                answered += 1
        sent = server.request_count
        assert answered >= 2 and sent == answered
        assert client.spent.tokens <= 1500 and client.spent.calls == answered
        # Spent for good: even a tiny call is refused now, and nothing more is sent.
        with pytest.raises(LLMBudgetSpentError):
            client.complete([Message(role="user", content="hi")], max_tokens=1)
        assert server.request_count == sent and client.refused_calls == 2


def test_the_worst_case_counts_every_re_ask() -> None:
    # Two malformed answers, then a good one: one call, three requests, all within budget.
    replies = [Reply.text("not json"), Reply.text("still not"), Reply.json({"x": 1, "why": "ok"})]
    with ScriptedLLMServer(replies) as server:
        client = BudgetedClient(_client(server), LLMBudget(max_tokens=2000), requests_per_call=3)
        assert _ask(client, max_tokens=30).parsed == {"x": 1, "why": "ok"}
        assert server.request_count == 3 and 0 < client.spent.tokens <= 2000


def test_a_call_without_max_tokens_gets_one_that_fits() -> None:
    with ScriptedLLMServer(schema_responder(seed=2)) as server:
        client = BudgetedClient(_client(server), LLMBudget(max_tokens=900), requests_per_call=1)
        _ask(client)
        sent = server.requests[0]["max_tokens"]
        prompt = prompt_estimate([Message(role="user", content="tune " * 20)], SCHEMA)
        assert 32 <= sent <= 900 - prompt


def test_dollars_are_counted_with_the_prices() -> None:
    prices = TokenPrices(input_usd_per_mtok=200.0, output_usd_per_mtok=200.0)  # $0.0002/token
    with ScriptedLLMServer(schema_responder(seed=3)) as server:
        client = BudgetedClient(_client(server), LLMBudget(max_cost_usd=0.5), prices=prices)
        with pytest.raises(LLMBudgetSpentError, match="usd"):
            for _ in range(50):
                _ask(client, max_tokens=30)
        assert client.spent.cost_usd is not None and 0 < client.spent.cost_usd <= 0.5
        assert client.spent.cost_usd == pytest.approx(client.spent.tokens * 2e-4)


def test_seconds_stop_before_a_call_as_slow_as_the_slowest_would_pass_them() -> None:
    answers = schema_responder(seed=4)

    def slow(body):
        reply = answers(body)
        return Reply.json(reply, delay_s=0.15) if isinstance(reply, dict) else reply

    store = Store("sqlite:///:memory:")
    with ScriptedLLMServer(slow) as server:
        recorded = RecordingClient(_client(server), store, None)
        client = BudgetedClient(recorded, LLMBudget(max_seconds=0.7))
        with pytest.raises(LLMBudgetSpentError, match="seconds"):
            for _ in range(20):
                _ask(client, max_tokens=30)
    latencies = [c.latency_s for c in store.llm_calls(None)]
    assert 2 <= len(latencies) <= 4
    assert client.spent.seconds == pytest.approx(sum(latencies))
    assert_seconds_kept(latencies, 0.7)


def assert_seconds_kept(latencies: list[float], limit: float) -> None:
    """The guarantee on seconds: each call started only while what was left covered the
    slowest call before it; only a call slower than all of those may end past the limit."""
    for i, latency in enumerate(latencies):
        before = latencies[:i]
        assert sum(before) + max(before, default=0.0) <= limit, (i, latencies)
        if sum(before) + latency > limit:
            assert latency > max(before, default=0.0), (i, latencies)


def test_concurrent_callers_share_one_budget() -> None:
    with ScriptedLLMServer(schema_responder(seed=5)) as server:
        client = BudgetedClient(_client(server), LLMBudget(max_tokens=2500))
        refused = []

        def work() -> None:
            for _ in range(10):
                try:
                    _ask(client, max_tokens=40)
                except LLMBudgetSpentError:
                    refused.append(1)
                    return

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert refused and client.spent.calls == server.request_count
        assert client.spent.tokens <= 2500


def test_earlier_calls_count() -> None:
    store = Store("sqlite:///:memory:")
    store.record_llm_call(
        None, messages=[], json_schema=None, params={}, response_text="x",
        prompt_tokens=900, completion_tokens=90, latency_s=1.0,
    )  # fmt: skip
    with ScriptedLLMServer(schema_responder()) as server:
        client = BudgetedClient(
            _client(server), LLMBudget(max_tokens=1000), already=store.llm_calls(None)
        )
        assert client.spent.tokens == 990
        with pytest.raises(LLMBudgetSpentError):
            _ask(client, max_tokens=30)
        assert server.request_count == 0
