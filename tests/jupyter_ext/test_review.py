"""The review hook: waits for accept / edit / reject decisions written as user_action events."""

from __future__ import annotations

import threading
import time

from assistant.review import SuggestionReview
from assistant.store import Store


def _session() -> tuple[Store, str]:
    store = Store("sqlite:///:memory:")
    return store, store.create_session(name="demo", study_name="demo")


def test_waits_for_the_decision_on_its_trial() -> None:
    store, sid = _session()
    review = SuggestionReview(store, sid, timeout_s=30, poll_s=0.01)

    def decide() -> None:
        time.sleep(0.1)
        store.append_event(sid, "user_action", {"action": "accept", "trial": 0})  # another trial
        store.append_event(sid, "user_action", {"action": "reject", "trial": 1})

    threading.Thread(target=decide).start()
    decision = review(1, {"config": {"k": 3}})
    assert decision.action == "reject"
    assert not decision.runs
    assert decision.config == {"k": 3}


def test_edit_changes_only_the_given_parameters() -> None:
    store, sid = _session()
    store.append_event(sid, "user_action", {"action": "edit", "trial": 2, "config": {"k": 7}})
    decision = SuggestionReview(store, sid, timeout_s=5)(2, {"config": {"k": 3, "p": 2}})
    assert (decision.action, decision.config, decision.runs) == ("edit", {"k": 7, "p": 2}, True)


def test_decisions_are_read_once() -> None:
    store, sid = _session()
    store.append_event(sid, "user_action", {"action": "accept", "trial": 0})
    review = SuggestionReview(store, sid, timeout_s=0.2, poll_s=0.01)
    assert review(0, {"config": {}}).action == "accept"
    assert review(0, {"config": {}}).action == "timeout"


def test_stop_and_cancel_end_the_wait() -> None:
    store, sid = _session()
    store.append_event(sid, "user_action", {"action": "stop"})
    assert SuggestionReview(store, sid)(0, {"config": {}}).action == "stop"
    cancel = threading.Event()
    cancel.set()
    store2, sid2 = _session()
    assert SuggestionReview(store2, sid2, cancel=cancel)(0, {"config": {}}).action == "stop"


def test_timeout_runs_the_suggestion_as_proposed() -> None:
    store, sid = _session()
    decision = SuggestionReview(store, sid, timeout_s=0.05, poll_s=0.01)(4, {"config": {"k": 1}})
    assert (decision.action, decision.config, decision.runs) == ("timeout", {"k": 1}, True)


def test_events_before_after_id_are_ignored() -> None:
    store, sid = _session()
    old = store.append_event(sid, "user_action", {"action": "stop"})
    decision = SuggestionReview(store, sid, timeout_s=0.05, poll_s=0.01, after_id=old)(0, {})
    assert decision.action == "timeout"
