"""Review mode: a person accepts, edits or rejects each suggestion before its trial runs.

:class:`SuggestionReview` is the hook a session calls with each suggestion. It waits for the
user's decision, which any face writes as a ``user_action`` event (the same path as stop):
``{"action": "accept" | "reject" | "edit", "trial": N, "config": {...}}`` (``config`` for
edits only, the parameters to change). A ``stop`` action, or no answer within ``timeout_s``,
ends the wait too. ``TuningSession.run(review=True)`` calls it; the chat's ``/accept``,
``/edit`` and ``/reject`` commands (and the sidebar's buttons, which send them) write the events.

Example:
    >>> from assistant.store import Store
    >>> store = Store("sqlite:///:memory:")
    >>> sid = store.create_session(name="demo", study_name="demo")
    >>> _ = store.append_event(sid, "user_action",
    ...                        {"action": "edit", "trial": 0, "config": {"C": 2.0}})
    >>> review = SuggestionReview(store, sid, timeout_s=1)
    >>> decision = review(0, {"config": {"C": 1.0, "kernel": "rbf"}})
    >>> decision.action, decision.config
    ('edit', {'C': 2.0, 'kernel': 'rbf'})
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant import events
from assistant.records import Suggestion
from assistant.space import SearchSpace
from assistant.store import Store

logger = logging.getLogger(__name__)

Action = Literal["accept", "reject", "edit", "stop", "timeout"]


class ReviewDecision(BaseModel):
    """What to do with a suggestion: run ``config`` (accept, edit, timeout) or not."""

    action: Action
    trial: int
    config: dict[str, Any] = Field(default_factory=dict)
    event_id: int | None = None

    @property
    def runs(self) -> bool:
        return self.action in ("accept", "edit", "timeout")


class SuggestionReview:
    """Waits for a person's decision on each suggestion, read from the session's events.

    Args:
        store, session_id: where the decisions are written.
        timeout_s: how long to wait for one decision (``None``: forever); then the
            suggestion runs as proposed (``action="timeout"``).
        poll_s: how often to look for a new event.
        cancel: set it to stop waiting (the decision is then ``stop``).
        after_id: ignore events up to this id (a resumed run passes the last id it saw, so
            an earlier run's ``stop`` does not end its reviews).
    """

    def __init__(
        self,
        store: Store,
        session_id: str,
        *,
        timeout_s: float | None = None,
        poll_s: float = 0.2,
        cancel: threading.Event | None = None,
        after_id: int = 0,
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.cancel = cancel or threading.Event()
        self._after_id = after_id

    def __call__(self, trial: int, suggestion: Mapping[str, Any]) -> ReviewDecision:
        """Block until the decision on ``trial`` (whose suggestion payload is given)."""
        proposed = dict(suggestion.get("config") or {})
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
        while True:
            for event in self.store.events(
                self.session_id, after_id=self._after_id, kinds=[events.USER_ACTION]
            ):
                self._after_id = event.id
                action = events.payload_of(event)
                assert isinstance(action, events.UserAction)
                decision = _decision(event.id, action, trial, proposed)
                if decision is not None:
                    return decision
            if self.cancel.is_set():
                return ReviewDecision(action="stop", trial=trial, config=proposed)
            if deadline is not None and time.monotonic() >= deadline:
                return ReviewDecision(action="timeout", trial=trial, config=proposed)
            self.cancel.wait(self.poll_s)


def _decision(
    event_id: int, action: events.UserAction, trial: int, proposed: dict[str, Any]
) -> ReviewDecision | None:
    if action.action == "stop":
        return ReviewDecision(action="stop", trial=trial, config=proposed, event_id=event_id)
    if action.trial != trial:
        return None
    config = dict(proposed)
    if action.action == "edit":
        config.update(action.config or {})
    return ReviewDecision(action=action.action, trial=trial, config=config, event_id=event_id)


def apply_review(
    decision: Any, suggestion: Suggestion, space: SearchSpace, rejected: set[int]
) -> Suggestion | None:
    """Carry out a person's decision on a suggestion: ``None`` to run it as suggested, a
    replacement for an edit. A rejected (or stopped) trial is added to ``rejected`` and fails
    without running; so does an edit that does not fit the space."""
    if decision.action in ("reject", "stop"):
        rejected.add(decision.trial)
        return None
    if decision.action != "edit":
        return None
    report = space.validate_config(decision.config)
    if report.config is None or report.severe:
        logger.warning(
            "trial %d: the edited configuration is invalid: %s",
            decision.trial,
            [i.message for i in report.issues],
        )
        rejected.add(decision.trial)
        return None
    return suggestion.model_copy(
        update={
            "config": report.config,
            "source": "user",
            "rationale": "edited by the user",
            "predicted": None,
            "llm_pred": None,
            "llm_std": None,
            "stat_pred": None,
            "stat_std": None,
            "acquisition": None,
        }
    )
