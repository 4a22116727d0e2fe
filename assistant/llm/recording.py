"""An LLM client wrapper that writes every call, successful or not, to the store.

One row per call: the request (messages, schema, parameters including ``purpose`` and any
``tools`` offered), the answer (text, parsed JSON — or, for a call that offered tools, the
calls made as ``{"tool_calls": [{"id", "name", "arguments"}]}`` — tokens, latency, attempts,
model) or the error. Those rows are what
:class:`~assistant.llm.replay.ReplayClient` answers from. The wrapped client's API key is
registered with the store, which scrubs it from everything written.

Example:
    >>> from assistant.store import Store
    >>> from assistant.llm import LLMConfig, Message, OpenAICompatibleClient
    >>> from assistant.testing import ScriptedLLMServer
    >>> store = Store("sqlite:///:memory:")
    >>> with ScriptedLLMServer(["hello"]) as server:
    ...     inner = OpenAICompatibleClient(LLMConfig(base_url=server.base_url, model="m"))
    ...     client = RecordingClient(inner, store, session_id=None)
    ...     client.complete([Message(role="user", content="hi")], purpose="demo").text
    'hello'
    >>> [(c.purpose, c.response_text) for c in store.llm_calls(None)]
    [('demo', 'hello')]
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from typing import Any

from assistant.errors import LLMOutputError
from assistant.llm._records import recorded_parsed, request_fields
from assistant.llm.base import LLMClient, LLMResponse, Message
from assistant.llm.config import LLMConfig
from assistant.llm.health import CircuitBreaker
from assistant.store import Store

logger = logging.getLogger(__name__)


class RecordingClient:
    """An :class:`~assistant.llm.base.LLMClient` that records each call of ``inner``.

    Args:
        inner: the client that really answers.
        store: where the rows go.
        session_id: the session the calls belong to (``None`` for calls outside one).
        base_url: the endpoint to record; by default the inner client's ``config.base_url``.
    """

    def __init__(
        self, inner: LLMClient, store: Store, session_id: str | None, base_url: str = ""
    ) -> None:
        self.inner = inner
        self.store = store
        self.session_id = session_id
        config = getattr(inner, "config", None)
        if isinstance(config, LLMConfig):
            store.add_secret(config.api_key_value())
            base_url = base_url or config.base_url or ""
        self.base_url = _without_credentials(base_url)

    @property
    def model_name(self) -> str:
        """The inner client's model."""
        return self.inner.model_name

    @property
    def health(self) -> CircuitBreaker | None:
        """The inner client's circuit breaker, if it has one."""
        health = getattr(self.inner, "health", None)
        return health if isinstance(health, CircuitBreaker) else None

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """Call the inner client, record the call, and return its response (or re-raise)."""
        started = time.monotonic()
        try:
            response = self.inner.complete(messages, schema, **params)
        except Exception as exc:
            self._record_failure(messages, schema, params, exc, time.monotonic() - started)
            raise
        response = self._scrubbed(response)
        self._record_success(messages, schema, params, response)
        return response

    async def acomplete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """:meth:`complete` for asyncio code (a sync-only inner client runs in a thread)."""
        started = time.monotonic()
        try:
            acomplete = getattr(self.inner, "acomplete", None)
            if acomplete is not None:
                response = await acomplete(messages, schema, **params)
            else:
                response = await asyncio.to_thread(self.inner.complete, messages, schema, **params)
        except Exception as exc:
            self._record_failure(messages, schema, params, exc, time.monotonic() - started)
            raise
        response = self._scrubbed(response)
        self._record_success(messages, schema, params, response)
        return response

    def _scrubbed(self, response: LLMResponse) -> LLMResponse:
        """The response with registered secrets removed: an endpoint that echoes the key
        must not pass it to the engine, and from there into trials, logs or replays."""
        text, parsed = self.store.scrub(response.text), self.store.scrub(response.parsed)
        calls = tuple(
            call.model_copy(update={"arguments": self.store.scrub(call.arguments)})
            for call in response.tool_calls
        )
        if text == response.text and parsed == response.parsed and calls == response.tool_calls:
            return response
        return response.model_copy(update={"text": text, "parsed": parsed, "tool_calls": calls})

    def _record_success(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        params: dict[str, Any],
        response: LLMResponse,
    ) -> None:
        self.store.record_llm_call(
            self.session_id,
            **request_fields(messages, schema, params),
            purpose=str(params.get("purpose", "")),
            model=response.model or self.inner.model_name,
            base_url=self.base_url,
            response_text=response.text,
            response_parsed=recorded_parsed(response),
            prompt_tokens=response.usage.prompt_tokens,
            completion_tokens=response.usage.completion_tokens,
            latency_s=response.latency_s,
            attempts=response.attempts,
        )

    def _record_failure(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        params: dict[str, Any],
        exc: Exception,
        latency_s: float,
    ) -> None:
        logger.info("LLM call failed (%s); recording it", type(exc).__name__)
        self.store.record_llm_call(
            self.session_id,
            **request_fields(messages, schema, params),
            purpose=str(params.get("purpose", "")),
            model=self.inner.model_name,
            base_url=self.base_url,
            response_text=exc.last_text if isinstance(exc, LLMOutputError) else None,
            latency_s=latency_s,
            attempts=int(getattr(exc, "attempts", 1)),
            error_type=type(exc).__name__,
            error=str(exc),
        )


def _without_credentials(url: str) -> str:
    """``url`` without any ``user:password@`` part."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
