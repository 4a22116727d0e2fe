"""Progress in a terminal: a tqdm bar on stderr with the best score so far and the LLM's
health (``LLM: ok / degraded / unavailable``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState


class TerminalProgress:
    """An Optuna callback that advances a tqdm bar per finished trial.

    ``llm_state`` returns the LLM's health now (a session's ``llm_state``), shown on the bar.

    Example:
        >>> with TerminalProgress(3, enabled=False) as progress:
        ...     pass
    """

    def __init__(
        self, total: int, *, enabled: bool = True, llm_state: Callable[[], str] | None = None
    ) -> None:
        self.total = total
        self.enabled = enabled
        self.llm_state = llm_state
        self._bar: Any = None

    def __enter__(self) -> TerminalProgress:
        if self.enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self.total, file=sys.stderr, unit="trial", dynamic_ncols=True)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()

    def callback(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """Called by Optuna after each trial."""
        if self._bar is None:
            return
        postfix: dict[str, str] = {"last": trial.state.name.lower()}
        if any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
            postfix["best"] = f"{study.best_value:.4g}"
        if self.llm_state is not None:
            postfix["LLM"] = self.llm_state()
        self._bar.set_postfix(postfix, refresh=False)
        self._bar.update(1)
