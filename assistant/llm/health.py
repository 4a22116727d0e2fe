"""The LLM's health: answering, degraded or unavailable, decided by one circuit breaker.

Every client of an endpoint holds a :class:`CircuitBreaker`. It counts consecutive transport
failures (connection refused or dropped, timeouts, HTTP 5xx), request by request, retries
included. After ``threshold`` of them in a row the LLM is *unavailable*: calls fail at once
with :class:`~assistant.errors.LLMUnavailableError` instead of paying for retries against a
dead endpoint, until a cool-down has passed; then one probe request is let through (with no
retries). An answer makes it *ok* again; a failed probe doubles the cool-down.

Callers never decide this themselves; they subscribe to the changes (the session writes
them as events, so every face and replay shows them).

Example:
    >>> clock = iter([0.0, 10.0, 31.0]).__next__
    >>> breaker = CircuitBreaker(threshold=2, cooldown_s=30.0, clock=clock)
    >>> breaker.failed("connection refused"), breaker.state
    (False, 'degraded')
    >>> breaker.failed("connection refused"), breaker.state
    (True, 'unavailable')
    >>> breaker.admit()
    Traceback (most recent call last):
    ...
    assistant.errors.LLMUnavailableError: the LLM is unavailable (...); next try in 20s
    >>> breaker.admit()  # the cool-down is over: one probe request
    True
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant.errors import LLMUnavailableError
from assistant.records import HealthChange, HealthState

logger = logging.getLogger(__name__)

Listener = Callable[[HealthChange], None]


class CircuitBreaker:
    """The health state machine of one LLM endpoint (thread-safe).

    Args:
        threshold: consecutive transport failures that make the LLM unavailable.
        cooldown_s: seconds before the first probe; doubled after each failed probe.
        max_cooldown_s: the cap on the cool-down.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        threshold: int = 5,
        cooldown_s: float = 30.0,
        max_cooldown_s: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._state: HealthState = "ok"
        self._reason = ""
        self._failures = 0
        self._cooldown = cooldown_s
        self._open_until = 0.0
        self._probing = False
        self._permanent = False

    # -- reading -------------------------------------------------------------------------
    @property
    def state(self) -> HealthState:
        """``ok``, ``degraded`` (failures, but still trying) or ``unavailable``."""
        return self._state

    @property
    def reason(self) -> str:
        """Why the state is not ``ok`` (empty when it is)."""
        return self._reason

    @property
    def admits_never(self) -> bool:
        """Whether the LLM is unavailable for good (no probe will ever be let through)."""
        return self._permanent

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` on every change from now on; returns the unsubscribe function."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    # -- the client's side ------------------------------------------------------------------
    def admit(self) -> bool:
        """Before a request: raise :class:`LLMUnavailableError` while the LLM is unavailable;
        return ``True`` when this request is the probe after a cool-down (the caller must
        not retry it), ``False`` for an ordinary request."""
        with self._lock:
            if self._state != "unavailable":
                return False
            now = self._clock()
            if self._permanent or self._probing or now < self._open_until:
                wait = None if self._permanent else max(0.0, self._open_until - now)
                raise LLMUnavailableError(_unavailable_message(self._reason, wait))
            self._probing = True
            return True

    def succeeded(self) -> None:
        """An answer arrived (whatever its content): the endpoint works."""
        with self._lock:
            self._failures = 0
            self._probing = False
            self._cooldown = self.cooldown_s
            change = self._move("ok", "")
        self._tell(change)

    def failed(self, reason: str) -> bool:
        """A request failed in transport; returns whether the LLM is now unavailable."""
        with self._lock:
            self._failures += 1
            if self._state == "unavailable":  # the probe failed: wait longer
                self._probing = False
                self._cooldown = min(self._cooldown * 2, self.max_cooldown_s)
                self._open_until = self._clock() + self._cooldown
                return True
            if self._failures < self.threshold:
                change = self._move("degraded", reason)
            else:
                change = self._open(f"{reason}; {self._failures} failures in a row")
        self._tell(change)
        return self._state == "unavailable"

    def degrade(self, reason: str, *, restarted: bool = False) -> None:
        """Something went wrong but the LLM is still tried (``restarted``: its server was
        restarted). Always a change to tell, even when already degraded."""
        with self._lock:
            change = None
            if self._state != "unavailable":
                change = self._move("degraded", reason, force=True)
                change = change.model_copy(update={"restarted": restarted}) if change else None
        self._tell(change)

    def trip(self, reason: str, *, permanent: bool = False) -> None:
        """Make the LLM unavailable now; ``permanent``: never probe it again."""
        with self._lock:
            self._permanent = self._permanent or permanent
            change = self._open(reason)
        self._tell(change)

    # -- internals ---------------------------------------------------------------------------
    def _open(self, reason: str) -> HealthChange | None:
        self._open_until = self._clock() + self._cooldown
        self._probing = False
        return self._move("unavailable", reason, force=True)

    def _move(self, state: HealthState, reason: str, *, force: bool = False) -> HealthChange | None:
        previous = self._state
        if state == previous and not force:
            return None
        self._state, self._reason = state, reason
        retry = None
        if state == "unavailable" and not self._permanent:
            retry = round(self._cooldown, 3)
        return HealthChange(
            state=state,
            previous=previous,
            reason=reason,
            retry_in_s=retry,
            permanent=state == "unavailable" and self._permanent,
        )

    def _tell(self, change: HealthChange | None) -> None:
        if change is None:
            return
        log = logger.info if change.state == "ok" else logger.warning
        log("LLM %s -> %s: %s", change.previous, change.state, change.reason or "answering")
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:  # a face's bug must not break the LLM path
                logger.exception("an LLM health listener failed")


def _unavailable_message(reason: str, wait: float | None) -> str:
    when = "it will not be tried again" if wait is None else f"next try in {wait:.0f}s"
    return f"the LLM is unavailable ({reason}); {when}"


class UnavailableClient:
    """An :class:`~assistant.llm.base.LLMClient` for an LLM that could not even be set up
    (the embedded server would not start, say): every call fails at once with
    :class:`LLMUnavailableError` naming ``reason``, and :attr:`health` says so from the start.

    Example:
        >>> client = UnavailableClient("the embedded server exited with code 139")
        >>> client.health.state
        'unavailable'
    """

    def __init__(self, reason: str, model_name: str = "") -> None:
        self.reason = reason
        self._model_name = model_name
        self.health = CircuitBreaker()
        self.health.trip(reason, permanent=True)

    @property
    def model_name(self) -> str:
        return self._model_name

    def complete(self, messages: Any, schema: Any = None, **params: Any) -> Any:
        """Fail at once: the LLM is unavailable."""
        raise LLMUnavailableError(_unavailable_message(self.reason, None))
