"""The assistant's exception hierarchy, and how it warns.

Every error the library raises on purpose derives from :class:`AssistantError`, so a caller
can catch one type; the subclasses say which layer failed and carry a message that tells the
user what to do next. :func:`warn_user` points a warning at the user's own line.
"""

from __future__ import annotations

import sys
import warnings


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn with the location of the first caller outside this package, so that a
    warning about the user's data names the line of their script that passed it, however
    deep in the library it was found."""
    frame = sys._getframe(1)
    level = 2  # stacklevel 2 is warn_user's caller
    while frame.f_back is not None and _ours(frame.f_globals.get("__name__", "")):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _ours(module: str) -> bool:
    return module == "assistant" or module.startswith("assistant.")


class AssistantError(Exception):
    """Base class of every error raised on purpose by the assistant."""


class SearchSpaceError(AssistantError):
    """A search space definition is invalid (the message names the parameter).

    Deliberately not a ``ValueError``: pydantic would wrap it, and callers should be able to
    catch this exact type."""

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"invalid search space: parameter {parameter!r}: {problem}")


class ConfigValidationError(AssistantError, ValueError):
    """A configuration could not be turned into a valid point of the search space."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid configuration: " + "; ".join(self.problems))


class LLMError(AssistantError):
    """The LLM endpoint could not produce a usable answer."""


class LLMConnectionError(LLMError):
    """The LLM endpoint could not be reached, or dropped the connection."""


class LLMTimeoutError(LLMError):
    """The LLM endpoint did not answer within the configured timeout."""


class LLMRateLimitError(LLMError):
    """The LLM endpoint kept answering HTTP 429 after every retry."""


class LLMServerError(LLMError):
    """The LLM endpoint kept answering with a server error (HTTP 5xx) after every retry."""


class LLMOutputError(LLMError):
    """The LLM kept answering with text that does not fit the requested JSON schema."""

    def __init__(self, message: str, last_text: str | None = None) -> None:
        self.last_text = last_text
        super().__init__(message)


class LLMUnavailableError(LLMError):
    """The LLM is marked unavailable (its endpoint kept failing): the call was not attempted.

    The circuit breaker (:mod:`assistant.llm.health`) decides when to try it again."""


class LLMBudgetSpentError(LLMError):
    """The session's LLM budget cannot cover this call: it was not sent (nor recorded), and
    the engine goes on statistically. The message names the limit and what was spent."""


class LLMBudgetError(AssistantError, ValueError):
    """An LLM budget is spelled wrongly, or its dollar limit has no price to count with."""


class EmbeddedLLMError(LLMError):
    """The embedded llama.cpp server could not be started, or died again after a restart."""


class ReplayDivergenceError(AssistantError):
    """A replayed run asked the LLM something other than what was recorded."""

    def __init__(self, index: int, field: str, recorded: object, requested: object) -> None:
        self.index = index
        self.field = field
        self.recorded = recorded
        self.requested = requested
        super().__init__(
            f"replay diverged at LLM call #{index}: {field} differs "
            f"(recorded {_short(recorded)}, requested {_short(requested)})"
        )


class ReplayExhaustedError(AssistantError):
    """A replayed run made more LLM calls than the recording holds."""


class StoreError(AssistantError):
    """The store could not read or write a record."""


class SessionNotFoundError(StoreError, KeyError):
    """No tuning session with that id exists in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "session not found"


class TrialsFailedError(AssistantError):
    """A session ended without a single complete trial; the message says why.

    ``reasons`` are the first distinct failure reasons, in trial order; the session is
    recorded as failed with this message, so ``automl-assistant show ID`` explains it too.
    """

    def __init__(self, message: str, *, session_id: str, n_failed: int, reasons: list[str]):
        self.session_id = session_id
        self.n_failed = n_failed
        self.reasons = list(reasons)
        super().__init__(message)


class ToolError(AssistantError):
    """A training tool is unknown, misconfigured or failed."""


def _short(value: object, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
