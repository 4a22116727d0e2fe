"""A user-set LLM budget, enforced where the calls leave: a client wrapper.

:class:`BudgetedClient` wraps the session's (recording) client. Before each call it reserves
the call's worst case and refuses it with :class:`~assistant.errors.LLMBudgetSpentError`
when the budget cannot cover it; the refused call is never sent nor recorded, and the engine
takes its statistical path (a ``fallback`` that names the budget). After each call it adds
what the call cost. What is guaranteed:

- **tokens and dollars**: the recorded calls' tokens (prompt + completion, as the endpoint
  reports them) never pass the limit, as long as the endpoint honours ``max_tokens`` and
  counts no more than one prompt token per 3 characters (tokenizers average about 4 for
  English and JSON). A call's worst case is every request it may make (the first and each
  re-ask after a malformed answer, each re-ask carrying the earlier answer), each with the
  estimated prompt and the full ``max_tokens``; a call without ``max_tokens`` gets one that
  fits. A failed call is charged its whole reservation, since its usage is unknown.
- **seconds**: a call starts only while the seconds left cover the slowest call so far, so
  the limit can be passed only by a call slower than every earlier one (a call cannot be
  cut short without losing what it paid for).

Once a call has been refused the client refuses every later one: the session stops calling
the LLM. The ledger depends only on the recorded calls (their usage and duration), so a
replay that serves the same records makes the same refusals.

Example:
    >>> from assistant.llm.base import Message
    >>> from assistant.records import LLMBudget
    >>> from assistant.testing import ScriptedLLMServer
    >>> from assistant.llm import LLMConfig, OpenAICompatibleClient
    >>> server = ScriptedLLMServer(["hello"] * 5).start()
    >>> inner = OpenAICompatibleClient(LLMConfig(base_url=server.base_url, model="m"))
    >>> client = BudgetedClient(inner, LLMBudget(max_tokens=60))
    >>> client.complete([Message(role="user", content="hi")], max_tokens=10).text
    'hello'
    >>> client.complete([Message(role="user", content="hi " * 40)], max_tokens=10)
    Traceback (most recent call last):
    ...
    assistant.errors.LLMBudgetSpentError: the LLM budget is spent (tokens: 11 of 60 tokens); ...
    >>> client.spent.tokens, server.request_count
    (11, 1)
    >>> server.stop()
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from assistant.errors import LLMBudgetSpentError
from assistant.llm.base import LLMClient, LLMResponse, Message
from assistant.records import LLMBudget, LLMSpend, TokenPrices, spend_vs_budget
from assistant.store import LLMCallRecord

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3
"""The prompt estimate: one token per this many characters (a conservative count)."""
MESSAGE_OVERHEAD_TOKENS = 8
"""Tokens a chat template adds around each message, at most."""
REASK_TOKENS = 160
"""Tokens of the message that asks again after a malformed answer, at most."""
MIN_COMPLETION_TOKENS = 32
"""A call without ``max_tokens`` is refused when fewer than this would fit."""
DEFAULT_COMPLETION_TOKENS = 1024
"""The ``max_tokens`` given to a call that has none, when the budget counts tokens."""

Listener = Callable[[str, LLMSpend], None]


def prompt_estimate(messages: Iterable[Any], schema: dict[str, Any] | None = None) -> int:
    """A conservative count of the prompt tokens of ``messages`` (dicts or ``Message``)
    and the JSON ``schema`` sent with them."""
    chars, n = 0, 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else message.content
        chars += len(str(content or ""))
        n += 1
    if schema is not None:
        chars += len(json.dumps(schema))
    return math.ceil(chars / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * (n + 1)


def worst_case_tokens(prompt: int, completion: int, requests: int) -> tuple[int, int]:
    """(prompt, completion) tokens of ``requests`` requests at most: each re-ask carries the
    earlier answer and a re-ask message."""
    grow = completion + REASK_TOKENS + 2 * MESSAGE_OVERHEAD_TOKENS
    prompt_total = sum(prompt + k * grow for k in range(requests))
    return prompt_total, completion * requests


class Ledger:
    """What the calls cost so far, and the limits (thread-safe through its owner's lock)."""

    def __init__(self, budget: LLMBudget, prices: TokenPrices | None) -> None:
        self.budget = budget
        self.prices = prices
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.seconds = 0.0
        self.slowest_s = 0.0

    def cost(self, prompt: float, completion: float) -> float:
        return self.prices.cost(prompt, completion) if self.prices is not None else 0.0

    def add(self, prompt: int, completion: int, seconds: float) -> None:
        self.calls += 1
        self.prompt_tokens += prompt
        self.completion_tokens += completion
        self.seconds += seconds
        self.slowest_s = max(self.slowest_s, seconds)

    def add_record(self, record: LLMCallRecord, requests: int) -> None:
        """Charge a recorded call as :class:`BudgetedClient` charged it when it was made."""
        if record.error_type:
            completion = int(record.params.get("max_tokens") or DEFAULT_COMPLETION_TOKENS)
            prompt, completion = worst_case_tokens(
                prompt_estimate(record.messages, record.json_schema),
                completion,
                requests if record.json_schema is not None else 1,
            )
        else:
            prompt, completion = record.prompt_tokens, record.completion_tokens
        self.add(prompt, completion, record.latency_s)

    def spend(self) -> LLMSpend:
        return LLMSpend(
            calls=self.calls,
            tokens=self.prompt_tokens + self.completion_tokens,
            seconds=round(self.seconds, 6),
            cost_usd=(
                round(self.cost(self.prompt_tokens, self.completion_tokens), 6)
                if self.prices is not None
                else None
            ),
        )


class BudgetedClient:
    """An :class:`~assistant.llm.base.LLMClient` that keeps ``inner`` within ``budget``.

    Args:
        inner: the client that makes (and records) the calls.
        budget: the limits.
        prices: what the model's tokens cost (needed for a dollar limit; see
            :meth:`~assistant.records.LLMBudget.prices_for`).
        requests_per_call: the most HTTP requests one call may make with answers (1 + the
            client's ``output_retries``).
        already: calls made before this client (a resumed session, a replay so far).
        on_spent: called once, with the reason and the spend, when the first call is refused.
        clock: monotonic seconds, for the duration of failed calls.
    """

    def __init__(
        self,
        inner: LLMClient,
        budget: LLMBudget,
        *,
        prices: TokenPrices | None = None,
        requests_per_call: int = 3,
        already: Iterable[LLMCallRecord] = (),
        on_spent: Listener | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if budget.max_cost_usd is not None and prices is None:
            raise ValueError("a dollar limit needs prices")
        self.inner = inner
        self.budget = budget
        self.requests_per_call = max(1, requests_per_call)
        self.on_spent = on_spent
        self._clock = clock
        self._lock = threading.Lock()
        self._ledger = Ledger(budget, prices)
        for record in already:
            self._ledger.add_record(record, self.requests_per_call)
        self._reserved_tokens = 0
        self._reserved_usd = 0.0
        self._reserved_s = 0.0
        self._refused: str | None = None
        self.refused_calls = 0

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def health(self) -> Any:
        """The inner client's circuit breaker, if it has one (the run watches it)."""
        return getattr(self.inner, "health", None)

    @property
    def spent(self) -> LLMSpend:
        """What the calls cost so far."""
        with self._lock:
            return self._ledger.spend()

    @property
    def spent_out(self) -> str | None:
        """Why calls are refused now (``None`` while they are not)."""
        return self._refused

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """Reserve the call's worst case, make it, then charge what it cost."""
        params, reservation = self._reserve(messages, schema, params)
        started = self._clock()
        try:
            response = self.inner.complete(messages, schema, **params)
        except LLMBudgetSpentError:
            self._release(reservation, None)
            raise
        except Exception:
            self._release(reservation, (reservation[0], reservation[1], self._clock() - started))
            raise
        usage = response.usage
        self._release(
            reservation, (usage.prompt_tokens, usage.completion_tokens, response.latency_s)
        )
        return response

    # -- the reservation -----------------------------------------------------------------------
    def _reserve(
        self, messages: list[Message], schema: dict[str, Any] | None, params: dict[str, Any]
    ) -> tuple[dict[str, Any], tuple[int, int, float]]:
        budget, ledger = self.budget, self._ledger
        prompt = prompt_estimate(messages, schema)
        asked = params.get("max_tokens")
        reason: str | None = None
        with self._lock:
            if self._refused is None:
                completion = int(asked) if asked is not None else self._fitting(prompt, schema)
                if completion < (1 if asked is not None else MIN_COMPLETION_TOKENS):
                    reason = "tokens"
                else:
                    worst = worst_case_tokens(prompt, completion, self._requests(schema))
                    reason = self._over(worst)
                    if reason is None:
                        if asked is None and budget.max_tokens is not None:
                            params = {**params, "max_tokens": completion}
                        self._reserved_tokens += sum(worst)
                        self._reserved_usd += ledger.cost(*worst)
                        self._reserved_s += ledger.slowest_s
                        return params, (*worst, ledger.slowest_s)
                self._refused = reason
                first = True
            else:
                first = False
            self.refused_calls += 1
            spend = ledger.spend()
            why = self._refused
        message = (
            f"the LLM budget is spent ({why}: {spend_vs_budget(spend, budget)}); "
            "the search goes on statistically"
        )
        if first:
            logger.warning("%s", message)
            if self.on_spent is not None:
                try:
                    self.on_spent(why, spend)
                except Exception:  # a face's bug must not break the engine's fallback
                    logger.exception("an LLM budget listener failed")
        raise LLMBudgetSpentError(message)

    def _requests(self, schema: dict[str, Any] | None) -> int:
        """The most requests a call makes with answers: re-asks come only with a schema."""
        return self.requests_per_call if schema is not None else 1

    def _fitting(self, prompt: int, schema: dict[str, Any] | None) -> int:
        """The ``max_tokens`` for a call that gives none: the default, or what still fits."""
        left = self._tokens_left()
        if left is None:
            return DEFAULT_COMPLETION_TOKENS
        best = 0
        low, high = 1, DEFAULT_COMPLETION_TOKENS
        while low <= high:  # the largest completion whose worst case fits
            mid = (low + high) // 2
            if sum(worst_case_tokens(prompt, mid, self._requests(schema))) <= left:
                best, low = mid, mid + 1
            else:
                high = mid - 1
        return best

    def _tokens_left(self) -> int | None:
        if self.budget.max_tokens is None:
            return None
        used = self._ledger.prompt_tokens + self._ledger.completion_tokens
        return self.budget.max_tokens - used - self._reserved_tokens

    def _over(self, worst: tuple[int, int]) -> str | None:
        """The limit this worst case would pass (``None``: it fits)."""
        budget, ledger = self.budget, self._ledger
        left = self._tokens_left()
        if left is not None and sum(worst) > left:
            return "tokens"
        if budget.max_cost_usd is not None:
            used = ledger.cost(ledger.prompt_tokens, ledger.completion_tokens)
            if used + self._reserved_usd + ledger.cost(*worst) > budget.max_cost_usd:
                return "usd"
        if budget.max_seconds is not None:
            used = ledger.seconds + self._reserved_s
            if used >= budget.max_seconds or used + ledger.slowest_s > budget.max_seconds:
                return "seconds"
        return None

    def _release(
        self, reservation: tuple[int, int, float], charge: tuple[int, int, float] | None
    ) -> None:
        prompt, completion, seconds = reservation
        with self._lock:
            self._reserved_tokens -= prompt + completion
            self._reserved_usd -= self._ledger.cost(prompt, completion)
            self._reserved_s -= seconds
            if charge is not None:
                self._ledger.add(*charge)


def spend_of(
    records: Iterable[LLMCallRecord],
    budget: LLMBudget,
    prices: TokenPrices | None,
    requests_per_call: int = 3,
) -> LLMSpend:
    """What ``records`` cost, counted as :class:`BudgetedClient` counts them."""
    ledger = Ledger(budget, prices)
    for record in records:
        ledger.add_record(record, requests_per_call)
    return ledger.spend()


def requests_per_call(llm: dict[str, Any]) -> int:
    """The most requests one call with a schema makes, for a session's public LLM settings."""
    return 1 + int(llm.get("output_retries", 2))


def session_prices(budget: LLMBudget, llm: dict[str, Any]) -> TokenPrices | None:
    """The prices a session with public LLM settings ``llm`` counts with (``None``: unknown).

    The model an endpoint discovered is not in the settings; a dollar limit then needs
    ``price_in``/``price_out``, which :func:`check_budget` asks for when the session is made."""
    embedded = bool(llm.get("embedded")) or (not llm.get("base_url") and not llm.get("model"))
    return budget.prices_for(llm.get("model"), embedded=embedded)


def check_budget(budget: LLMBudget, llm: dict[str, Any]) -> None:
    """Raise :class:`~assistant.errors.LLMBudgetError` when a dollar limit has no price."""
    from assistant.errors import LLMBudgetError

    if budget.max_cost_usd is not None and session_prices(budget, llm) is None:
        model = llm.get("model") or "the endpoint's first model"
        raise LLMBudgetError(
            f"llm_budget usd:{budget.max_cost_usd:g}: no price is known for {model}; give "
            "price_in:P,price_out:P (US dollars per million input and output tokens)"
        )


def budgeted_client(
    client: LLMClient,
    budget: LLMBudget,
    llm: dict[str, Any],
    records: Iterable[LLMCallRecord] = (),
    on_spent: Listener | None = None,
) -> BudgetedClient:
    """``client`` within ``budget``, for a session with public LLM settings ``llm`` whose
    ``records`` were made before (a resumed session, a replay so far)."""
    return BudgetedClient(
        client,
        budget,
        prices=session_prices(budget, llm),
        requests_per_call=requests_per_call(llm),
        already=records,
        on_spent=on_spent,
    )
