"""The LLM client for any OpenAI-compatible endpoint (OpenAI, llama.cpp, vLLM, Ollama…).

The SDK's own retries are off: one bounded loop here decides what to retry (429 honouring
``Retry-After``, 5xx, timeouts, dropped connections), how long to wait, and when to re-ask
after an answer that does not fit the requested JSON schema. The same loop serves
:meth:`OpenAICompatibleClient.complete` and :meth:`OpenAICompatibleClient.acomplete`.
Every request passes the client's :class:`~assistant.llm.health.CircuitBreaker` first, and
tells it how it went: a dead endpoint costs a few requests, not retries on every call.

Example:
    >>> from assistant.llm import LLMConfig, Message
    >>> from assistant.testing import ScriptedLLMServer, Reply
    >>> with ScriptedLLMServer([Reply.json({"lr": 0.1})]) as server:
    ...     client = OpenAICompatibleClient(LLMConfig(base_url=server.base_url, model="m"))
    ...     client.complete([Message(role="user", content="lr?")], schema={"type": "object"}).parsed
    {'lr': 0.1}
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from assistant.errors import (
    EmbeddedLLMError,
    LLMConnectionError,
    LLMError,
    LLMOutputError,
    LLMRateLimitError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnavailableError,
)
from assistant.llm._json_output import (
    check_schema,
    parse_json_object,
    reask_message,
    schema_instruction,
    schema_problem,
)
from assistant.llm.base import LLMResponse, Message, ToolCall, Usage
from assistant.llm.config import LLMConfig, StructuredMode
from assistant.llm.health import CircuitBreaker

Restart = Callable[[str], "tuple[str, str] | None"]
"""Given the base URL a request failed on: ``(new_base_url, reason)`` after restarting a
managed server that died, ``None`` if it is alive (see ``embedded.restart_if_dead``)."""

logger = logging.getLogger(__name__)

RESERVED_PARAMS = frozenset({"purpose"})
"""Parameters that label a call for the records and are never sent to the endpoint."""

# Each step gives the endpoint less to understand and leaves more to our own validation.
_DOWNGRADE: dict[str, StructuredMode] = {
    "json_schema": "json_object_schema",
    "json_object_schema": "json_object",
    "json_object": "prompt",
}
_FORMAT_WORDS = ("response_format", "json_schema", "schema")
# Endpoints without a key still need a non-empty bearer token for the SDK to send a request.
_NO_KEY = "no-key"
# Failures that say the endpoint itself is not working; they count for the circuit breaker.
_TRANSPORT_ERRORS = (LLMConnectionError, LLMTimeoutError, LLMServerError)


class OpenAICompatibleClient:
    """An :class:`~assistant.llm.base.LLMClient` over the ``openai`` SDK, sync and async.

    Args:
        config: the endpoint; its ``base_url`` must be set (see :func:`make_client` for the
            embedded server).
        restart: for a server this process manages (the embedded one): called after a
            dropped or refused connection, it restarts the server if it died.

    ``params`` of :meth:`complete` go to the endpoint as they are, except ``purpose`` (a
    label for records). ``temperature`` defaults to the config's. :attr:`health` is the
    endpoint's circuit breaker: subscribe to it to see the LLM become unavailable.
    """

    def __init__(self, config: LLMConfig, *, restart: Restart | None = None) -> None:
        if not config.base_url:
            raise ValueError(
                "LLMConfig.base_url is not set; use assistant.llm.make_client() to start the "
                "embedded model, or give the endpoint's URL"
            )
        self.config = config
        self.health = CircuitBreaker(config.breaker_threshold, config.breaker_cooldown_s)
        self._restart = restart
        self._mode: StructuredMode = config.effective_structured_mode()
        self._model = config.model
        self._lock = threading.Lock()
        self._sync: openai.OpenAI | None = None
        self._async: openai.AsyncOpenAI | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None

    @property
    def model_name(self) -> str:
        """The configured model, or the endpoint's first model once a call has asked for it."""
        return self._model or ""

    @property
    def structured_mode(self) -> StructuredMode:
        """The structured-output mode in use now (it only weakens, when the endpoint refuses)."""
        return self._mode

    # -- public calls ------------------------------------------------------------------
    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """Complete ``messages``; with ``schema``, return a JSON object that fits it."""
        call = _Call(self, messages, schema, params)
        while True:
            call.admit()
            client = self._sync_client()
            try:
                model = self._model or self._discover_model_sync(client)
                completion = client.chat.completions.create(**call.request(model))
            except openai.OpenAIError as exc:
                if not self._restarted(exc):
                    time.sleep(call.failed(exc))
                continue
            response = call.answered(completion, model)
            if response is not None:
                return response

    async def acomplete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """:meth:`complete` for asyncio code: same retries, same errors."""
        call = _Call(self, messages, schema, params)
        while True:
            call.admit()
            client = self._async_client()
            try:
                model = self._model or await self._discover_model_async(client)
                completion = await client.chat.completions.create(**call.request(model))
            except openai.OpenAIError as exc:
                if not await asyncio.to_thread(self._restarted, exc):
                    await asyncio.sleep(call.failed(exc))
                continue
            response = call.answered(completion, model)
            if response is not None:
                return response

    def close(self) -> None:
        """Close the HTTP connections (the client can still be used; it reconnects)."""
        with self._lock:
            sync, self._sync = self._sync, None
            self._async = self._async_loop = None
        if sync is not None:
            sync.close()

    def __enter__(self) -> OpenAICompatibleClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenAICompatibleClient(base_url={self.config.base_url!r}, model={self._model!r})"

    # -- plumbing ----------------------------------------------------------------------
    def _sdk_options(self) -> dict[str, Any]:
        return {
            "base_url": self.config.base_url,
            "api_key": self.config.api_key_value() or _NO_KEY,
            "timeout": self.config.timeout_s,
            "max_retries": 0,
        }

    def _sync_client(self) -> openai.OpenAI:
        with self._lock:
            if self._sync is None:
                self._sync = openai.OpenAI(**self._sdk_options())
            return self._sync

    def _async_client(self) -> openai.AsyncOpenAI:
        # An async connection pool belongs to the event loop that opened it; a caller using
        # asyncio.run() twice gets a fresh pool on the second loop.
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._async is None or self._async_loop is not loop:
                self._async = openai.AsyncOpenAI(**self._sdk_options())
                self._async_loop = loop
            return self._async

    def _discover_model_sync(self, client: openai.OpenAI) -> str:
        try:
            models = client.models.list()
        except openai.OpenAIError as exc:
            raise self._discovery_error(exc) from exc
        return self._set_discovered_model([m.id for m in models.data])

    async def _discover_model_async(self, client: openai.AsyncOpenAI) -> str:
        try:
            models = await client.models.list()
        except openai.OpenAIError as exc:
            raise self._discovery_error(exc) from exc
        return self._set_discovered_model([m.id for m in models.data])

    def _restarted(self, exc: openai.OpenAIError) -> bool:
        """After a failed request: whether a managed server was restarted (retry at once).

        A server that cannot be restarted makes the LLM unavailable for good."""
        if self._restart is None or not isinstance(exc, openai.APIConnectionError):
            return False
        failed_url = str(self.config.base_url)
        try:
            restarted = self._restart(failed_url)
        except EmbeddedLLMError as err:
            self.health.trip(str(err), permanent=True)
            raise LLMUnavailableError(f"the LLM is unavailable: {err}") from err
        if restarted is None:
            return False
        base_url, reason = restarted
        with self._lock:
            if self.config.base_url == failed_url:
                self.config = self.config.model_copy(update={"base_url": base_url})
            sync, self._sync = self._sync, None
            self._async = self._async_loop = None
        if sync is not None:
            sync.close()
        self.health.degrade(reason, restarted=True)
        return True

    def _set_discovered_model(self, ids: list[str]) -> str:
        if not ids:
            raise LLMError(
                f"{self.config.base_url} lists no models; set the model explicitly "
                "(ASSISTANT_LLM_MODEL or model=...)"
            )
        with self._lock:
            self._model = self._model or ids[0]
        logger.info("using model %r, the first one %s lists", self._model, self.config.base_url)
        return self._model

    def _discovery_error(self, exc: openai.OpenAIError) -> LLMError:
        error_type, _hint, what = _classify(exc, self.config)
        error = (error_type or LLMError)(
            self._scrub(
                f"cannot list the models of {self.config.base_url} ({what}); "
                "check the URL, or set the model explicitly"
            )
        )
        if isinstance(error, _TRANSPORT_ERRORS):
            self.health.failed(what)
        return error

    def _downgrade(self, mode_sent: StructuredMode, exc: openai.APIStatusError) -> bool:
        """Weaken the structured mode if the endpoint refused ``mode_sent``; True if so."""
        if mode_sent not in _DOWNGRADE or not _refuses_format(exc):
            return False
        with self._lock:
            if self._mode == mode_sent:
                self._mode = _DOWNGRADE[mode_sent]
                logger.warning(
                    "%s refused response_format mode %r (HTTP %d); using %r from now on",
                    self.config.base_url,
                    mode_sent,
                    exc.status_code,
                    self._mode,
                )
        return True

    def _scrub(self, text: str) -> str:
        key = self.config.api_key_value()
        return text.replace(key, "[REDACTED]") if key else text


class _Call:
    """The state of one :meth:`OpenAICompatibleClient.complete` call across its requests."""

    def __init__(
        self,
        client: OpenAICompatibleClient,
        messages: list[Message],
        schema: dict[str, Any] | None,
        params: dict[str, Any],
    ) -> None:
        if params.get("stream"):
            raise ValueError("complete() does not stream; leave out stream=True")
        self.client = client
        self.config = client.config
        self.schema = schema
        self.validator = check_schema(schema) if schema is not None else None
        self.body = {k: v for k, v in params.items() if k not in RESERVED_PARAMS}
        self.body.setdefault("temperature", self.config.temperature)
        self.messages: list[dict[str, Any]] = [m.to_openai() for m in messages]
        self.started = time.monotonic()
        self.attempts = 0
        self.retries = 0
        self.reasks = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.mode_sent: StructuredMode = client.structured_mode

    def admit(self) -> None:
        """Ask the circuit breaker before a request (raises while the LLM is unavailable)."""
        try:
            self.client.health.admit()
        except LLMUnavailableError as exc:
            exc.attempts = self.attempts  # type: ignore[attr-defined]
            raise

    def request(self, model: str) -> dict[str, Any]:
        """Keyword arguments for ``chat.completions.create`` for the next HTTP request."""
        self.attempts += 1
        self.mode_sent = self.client.structured_mode
        messages = self.messages
        body = dict(self.body)
        if self.schema is not None:
            if self.mode_sent in ("json_object", "prompt"):
                messages = _with_system_addendum(messages, schema_instruction(self.schema))
            response_format = _response_format(self.mode_sent, self.schema)
            if response_format is not None:
                body["response_format"] = response_format
        # Everything goes through extra_body so endpoint-specific parameters (top_k,
        # repeat_penalty…) and llama.cpp's schema-in-json_object reach the wire untouched.
        return {"model": model, "messages": messages, "extra_body": body}

    def failed(self, exc: openai.OpenAIError) -> float:
        """Seconds to wait before the next request; raises when no retry is left."""
        if (
            self.schema is not None
            and isinstance(exc, openai.APIStatusError)
            and self.client._downgrade(self.mode_sent, exc)
        ):
            return 0.0
        error_type, hint, what = _classify(exc, self.config)
        if (
            error_type is not None
            and issubclass(error_type, _TRANSPORT_ERRORS)
            and self.client.health.failed(self.client._scrub(what))
            and self.retries < self.config.max_retries
        ):
            # A probe that failed, or the failure that made the endpoint unavailable: the
            # retries left are not spent against it.
            raise self._error(LLMUnavailableError, f"unavailable after: {what}") from exc
        if error_type is None or self.retries >= self.config.max_retries:
            raise self._error(error_type or LLMError, what) from exc
        delay = self.config.backoff_s * 2**self.retries if hint is None else hint
        delay = min(delay, self.config.max_backoff_s)
        self.retries += 1
        logger.info(
            "%s: %s; retry %d of %d in %.2fs",
            self.config.base_url,
            self.client._scrub(what),
            self.retries,
            self.config.max_retries,
            delay,
        )
        return delay

    def answered(self, completion: ChatCompletion, model: str) -> LLMResponse | None:
        """The response if the answer is usable; ``None`` after queuing a re-ask."""
        self.client.health.succeeded()
        self.retries = 0
        if completion.usage is not None:
            self.prompt_tokens += completion.usage.prompt_tokens or 0
            self.completion_tokens += completion.usage.completion_tokens or 0
        text = (completion.choices[0].message.content or "") if completion.choices else ""
        tool_calls, problem = _tool_calls(completion)
        parsed: dict[str, Any] | None = None
        if problem is None and self.validator is not None:
            try:
                parsed = parse_json_object(text)
                problem = schema_problem(parsed, self.validator)
            except ValueError as exc:
                problem = str(exc)
        if problem is None:
            return self._response(text, parsed, completion.model or model, tool_calls)
        if self.reasks >= self.config.output_retries:
            error = LLMOutputError(
                self.client._scrub(
                    f"the LLM's answer was unusable after {self.reasks + 1} tries ({problem}); "
                    "raise output_retries or use a larger model"
                ),
                last_text=text,
            )
            error.attempts = self.attempts  # type: ignore[attr-defined]
            raise error
        self.reasks += 1
        logger.info(
            "unusable answer (%s); re-asking (%d of %d)",
            self.client._scrub(problem),
            self.reasks,
            self.config.output_retries,
        )
        self.messages = [
            *self.messages,
            {"role": "assistant", "content": text},
            {"role": "user", "content": reask_message(problem)},
        ]
        return None

    def _response(
        self,
        text: str,
        parsed: dict[str, Any] | None,
        model: str,
        tool_calls: tuple[ToolCall, ...] = (),
    ) -> LLMResponse:
        return LLMResponse(
            text=text,
            parsed=parsed,
            tool_calls=tool_calls,
            usage=Usage(prompt_tokens=self.prompt_tokens, completion_tokens=self.completion_tokens),
            latency_s=time.monotonic() - self.started,
            model=model,
            attempts=self.attempts,
        )

    def _error(self, error_type: type[LLMError], what: str) -> LLMError:
        error = error_type(
            self.client._scrub(f"{self.config.base_url}: {what} (after {self.attempts} attempts)")
        )
        # Records keep how many requests a failed call cost; LLMError has no field for it.
        error.attempts = self.attempts  # type: ignore[attr-defined]
        return error


def _tool_calls(completion: ChatCompletion) -> tuple[tuple[ToolCall, ...], str | None]:
    """The answer's tool calls with their arguments parsed, or the problem that makes them
    unusable (arguments that are not a JSON object): that answer is asked again."""
    message = completion.choices[0].message if completion.choices else None
    calls: list[ToolCall] = []
    for call in (message.tool_calls if message is not None else None) or []:
        function = getattr(call, "function", None)
        if function is None:  # a custom (non-function) tool call: we offer none
            return (), f"unsupported tool call type {call.type!r}"
        try:
            arguments = json.loads(function.arguments or "{}")
        except ValueError:
            arguments = None
        if not isinstance(arguments, dict):
            return (), f"the arguments of the {function.name!r} tool call are not a JSON object"
        calls.append(ToolCall(id=call.id, name=function.name, arguments=arguments))
    return tuple(calls), None


def _classify(
    exc: openai.OpenAIError, config: LLMConfig
) -> tuple[type[LLMError] | None, float | None, str]:
    """Our error type for ``exc`` (``None``: not worth retrying), a wait hint, and a description."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMTimeoutError, None, f"no answer within {config.timeout_s:g}s"
    if isinstance(exc, openai.APIConnectionError):
        return LLMConnectionError, None, f"connection failed or dropped ({_cause(exc)})"
    if isinstance(exc, openai.RateLimitError):
        return LLMRateLimitError, _retry_after(exc), f"rate limited: {exc.message}"
    if isinstance(exc, openai.APIStatusError) and exc.status_code >= 500:
        return LLMServerError, None, f"server error: {exc.message}"
    if isinstance(exc, openai.APIResponseValidationError):
        return LLMServerError, None, f"malformed response: {exc.message}"
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return None, None, f"the endpoint refused the API key: {exc.message}"
    if isinstance(exc, openai.APIError):
        return None, None, f"the endpoint refused the request: {exc.message}"
    return None, None, f"{type(exc).__name__}: {exc}"


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__ or exc.__context__
    return f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)


def _retry_after(exc: openai.APIStatusError) -> float | None:
    """Seconds the endpoint asked us to wait (``Retry-After`` / ``retry-after-ms``), if any."""
    headers = exc.response.headers
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                return max(0.0, float(value))
            except ValueError:
                when = email.utils.parsedate_to_datetime(value)
                return max(0.0, (when - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        logger.debug("ignoring an unreadable Retry-After header")
    return None


def _refuses_format(exc: openai.APIStatusError) -> bool:
    """Whether an error status is the endpoint refusing our ``response_format``."""
    if exc.status_code not in (400, 422) and exc.status_code < 500:
        return False
    # Other 400s (context too long…) and plain outages must not weaken structured output for
    # the rest of the session, so the error has to be about the format.
    text = f"{exc.message} {exc.body}".lower()
    return any(word in text for word in _FORMAT_WORDS)


def _response_format(mode: StructuredMode, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        name = str(schema.get("title") or "response")
        name = "".join(c if c.isalnum() or c in "_-" else "_" for c in name)[:64]
        # strict=False: OpenAI's strict mode rejects common schemas (optional keys,
        # minimum/maximum); we validate every answer ourselves anyway.
        return {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": False},
        }
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def _with_system_addendum(messages: list[dict[str, Any]], addendum: str) -> list[dict[str, Any]]:
    if messages and messages[0]["role"] == "system":
        first = {"role": "system", "content": f"{messages[0]['content']}\n\n{addendum}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": addendum}, *messages]
