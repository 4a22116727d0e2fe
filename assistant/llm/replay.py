"""An LLM client that answers from a recorded session, with no HTTP at all.

Each call must ask exactly what the recording asked at that position (messages, schema and
parameters, volatile ones aside); the first difference raises
:class:`~assistant.errors.ReplayDivergenceError` naming the call and the field. A recorded
failure is raised again as the same error type, so fallback paths replay identically.

Example:
    >>> from assistant.store import Store
    >>> store = Store("sqlite:///:memory:")
    >>> store.record_llm_call(None, messages=[{"role": "user", "content": "hi"}],
    ...     json_schema=None, params={}, response_text="hello")
    1
    >>> replay = ReplayClient(store, None)
    >>> replay.complete([Message(role="user", content="hi")]).text, replay.remaining
    ('hello', 0)
"""

from __future__ import annotations

import builtins
import threading
from typing import Any

from assistant import errors
from assistant.errors import LLMError, LLMOutputError, ReplayDivergenceError, ReplayExhaustedError
from assistant.llm._records import VOLATILE_PARAMS, answered_parsed, request_fields
from assistant.llm.base import LLMResponse, Message, Usage
from assistant.store import LLMCallRecord, Store

_ABSENT = "<absent>"
# A caller's mistake (a bad schema) raised by the live client is raised again as itself.
_PLAIN_ERRORS = frozenset({"ValueError", "TypeError"})


class ReplayClient:
    """An :class:`~assistant.llm.base.LLMClient` serving a session's recorded LLM calls in order.

    Args:
        store: the store holding the recording.
        session_id: the recorded session.
        ignore_params: parameters not compared (they do not change the answer).

    Thread-safe: concurrent callers are served one recorded call each, in arrival order.
    """

    def __init__(
        self,
        store: Store,
        session_id: str | None,
        *,
        ignore_params: frozenset[str] = VOLATILE_PARAMS,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.ignore_params = ignore_params
        self._calls: list[LLMCallRecord] = store.llm_calls(session_id)
        self._served = 0
        self._lock = threading.Lock()

    @property
    def model_name(self) -> str:
        """The model of the first recorded call."""
        return self._calls[0].model if self._calls else ""

    @property
    def calls_served(self) -> int:
        """How many recorded calls have been answered."""
        with self._lock:
            return self._served

    @property
    def remaining(self) -> int:
        """How many recorded calls are left."""
        with self._lock:
            return len(self._calls) - self._served

    def complete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """The recorded answer to the next call, after checking that it asks the same thing."""
        # The recording went through the store's scrubbing; compare like with like.
        requested = self.store.scrub(request_fields(messages, schema, params))
        with self._lock:
            index = self._served
            if index >= len(self._calls):
                raise ReplayExhaustedError(
                    f"the recording of session {self.session_id!r} holds {len(self._calls)} "
                    f"LLM calls and the replay asked for one more (call #{index}); the run "
                    "diverged after the recording ended"
                )
            record = self._calls[index]
            self._check(index, record, requested)
            self._served += 1
        return _answer(record)

    async def acomplete(
        self, messages: list[Message], schema: dict[str, Any] | None = None, **params: Any
    ) -> LLMResponse:
        """:meth:`complete` for asyncio code."""
        return self.complete(messages, schema, **params)

    def _check(self, index: int, record: LLMCallRecord, requested: dict[str, Any]) -> None:
        recorded = {
            "messages": record.messages,
            "json_schema": record.json_schema,
            "params": _without(record.params, self.ignore_params),
        }
        requested = requested | {"params": _without(requested["params"], self.ignore_params)}
        for field in ("messages", "json_schema", "params"):
            difference = _first_difference(recorded[field], requested[field], field)
            if difference is not None:
                raise ReplayDivergenceError(index, *difference)


def _without(params: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in names}


def _first_difference(recorded: Any, requested: Any, path: str) -> tuple[str, Any, Any] | None:
    """The path and both values where two JSON values first differ, or ``None``."""
    if isinstance(recorded, dict) and isinstance(requested, dict):
        for key in [*recorded, *(k for k in requested if k not in recorded)]:
            found = _first_difference(
                recorded.get(key, _ABSENT), requested.get(key, _ABSENT), f"{path}.{key}"
            )
            if found is not None:
                return found
        return None
    if isinstance(recorded, list) and isinstance(requested, list):
        for i in range(max(len(recorded), len(requested))):
            found = _first_difference(
                recorded[i] if i < len(recorded) else _ABSENT,
                requested[i] if i < len(requested) else _ABSENT,
                f"{path}[{i}]",
            )
            if found is not None:
                return found
        return None
    # bool is an int subclass: True == 1 must still count as a difference.
    same = recorded == requested and isinstance(recorded, bool) == isinstance(requested, bool)
    return None if same else (path, recorded, requested)


def _answer(record: LLMCallRecord) -> LLMResponse:
    """The recorded response, or the recorded error raised again."""
    if record.error_type:
        raise _recorded_error(record)
    parsed, tool_calls = answered_parsed(record.response_parsed, record.params)
    return LLMResponse(
        text=record.response_text or "",
        parsed=parsed,
        tool_calls=tool_calls,
        usage=Usage(prompt_tokens=record.prompt_tokens, completion_tokens=record.completion_tokens),
        latency_s=record.latency_s,
        model=record.model,
        attempts=record.attempts,
    )


def _recorded_error(record: LLMCallRecord) -> Exception:
    name, message = record.error_type or "", record.error or ""
    error_type = getattr(errors, name, None)
    error: Exception
    if error_type is LLMOutputError:
        error = LLMOutputError(message, last_text=record.response_text)
    elif isinstance(error_type, type) and issubclass(error_type, LLMError):
        error = error_type(message)
    elif name in _PLAIN_ERRORS:
        error = getattr(builtins, name)(message)
    else:
        error = LLMError(f"{name}: {message}")
    error.attempts = record.attempts  # type: ignore[attr-defined]
    return error
