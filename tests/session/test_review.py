"""Review mode: a person accepts, edits or rejects each suggestion before its trial runs."""

from __future__ import annotations

import threading
import time

from optuna.trial import TrialState

from assistant import events
from assistant.replay import replay_session
from assistant.sampler import SUGGESTION_ATTR
from assistant.session import TuningSession
from assistant.store import Store
from assistant.tools import Dataset


def decide(store: Store, session_id: str, decisions: dict[int, dict]) -> None:
    """A face's part: answer each suggestion card as it appears."""
    answered: set[int] = set()
    deadline = time.monotonic() + 60
    while len(answered) < len(decisions) and time.monotonic() < deadline:
        for event in store.events(session_id, kinds=[events.SUGGESTION]):
            number = event.trial_number
            if number in decisions and number not in answered:
                store.append_event(
                    session_id, events.USER_ACTION, {"trial": number, **decisions[number]}
                )
                answered.add(number)
        time.sleep(0.05)


def test_accept_edit_reject_then_replay(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=5, mode="off", isolation="inline", n_folds=3
    )
    decisions = {
        0: {"action": "accept"},
        1: {"action": "edit", "config": {"n_neighbors": 7}},
        2: {"action": "reject"},
        3: {"action": "accept"},
        4: {"action": "accept"},
    }
    face = threading.Thread(target=decide, args=(store, session.id, decisions))
    face.start()
    result = session.run(review=True, review_timeout_s=30)
    face.join()
    trials = session.study.trials
    assert trials[1].params["n_neighbors"] == 7
    assert trials[1].user_attrs[SUGGESTION_ATTR]["source"] == "user"
    assert trials[2].state == TrialState.FAIL
    assert trials[2].user_attrs["failure_reason"] == "rejected by the user"
    assert result.n_complete == 4
    finished = store.events(session.id, kinds=[events.TRIAL_FINISHED])
    assert [e.payload["status"] for e in finished if e.trial_number == 2] == ["rejected"]
    report = replay_session(store, session.id)
    assert report.reproduced, report.divergence


def test_without_an_answer_the_suggestion_runs(store: Store, iris: Dataset) -> None:
    session = TuningSession.create(
        iris, tool="knn", store=store, n_trials=2, mode="off", isolation="inline", n_folds=3
    )
    result = session.run(review=True, review_timeout_s=0.2)
    assert result.n_complete == 2
