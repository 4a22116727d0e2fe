"""Renamed knobs: an old spelling keeps working for one release, and says so.

Every face words it the same way (:func:`deprecated_alias`): Python keywords warn with a
:class:`FutureWarning` pointed at the caller's line (:func:`renamed_kwargs`), the CLI prints
the sentence on stderr and the chat adds it to its reply.

Example:
    >>> import warnings
    >>> @renamed_kwargs(trials="n_trials")
    ... def run(*, n_trials: int = 20) -> int:
    ...     return n_trials
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     run(trials=5)
    5
    >>> str(caught[0].message)
    'trials= is deprecated and will be removed in 0.2.0; use n_trials='
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

REMOVED_IN = "0.2.0"
"""The release that drops the old spellings (the one after the release that renamed them)."""

F = TypeVar("F", bound=Callable[..., Any])


def deprecated_alias(old: str, new: str) -> str:
    """The one sentence every face says about a deprecated spelling, e.g. ``--trials``."""
    return f"{old} is deprecated and will be removed in {REMOVED_IN}; use {new}"


def renamed_kwargs(**renames: str) -> Callable[[F], F]:
    """Let a function take its keywords' old names (``old="new"``) for one more release.

    A call with an old name runs as if it had used the new one and emits a
    :class:`FutureWarning` that points at the caller's line; a call with both names is a
    ``TypeError``, as a repeated keyword would be.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renames.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise TypeError(
                        f"{func.__qualname__}() got both {old}= and {new}=; pass only {new}="
                    )
                warnings.warn(deprecated_alias(f"{old}=", f"{new}="), FutureWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
