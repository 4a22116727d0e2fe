"""model="auto" races through a session's other paths: stopped mid-rung and resumed, and
under review, each replayed from the store alone."""

from __future__ import annotations

import threading

from optuna.trial import FrozenTrial, TrialState

from assistant import events
from assistant.cash import family_of
from assistant.replay import replay_session
from assistant.session import TuningSession
from assistant.store import Store
from assistant.tools import Dataset
from tests.session.test_review import decide

FAMILIES = ["knn", "logistic"]


def race(store: Store, iris: Dataset, n_trials: int) -> TuningSession:
    return TuningSession.create(
        iris,
        tool="auto",
        families=FAMILIES,
        store=store,
        n_trials=n_trials,
        mode="off",
        isolation="inline",
        n_folds=3,
        ensemble=False,
    )


def test_a_race_stopped_mid_rung_resumes_and_replays(store: Store, iris: Dataset) -> None:
    session = race(store, iris, n_trials=10)

    def stop_early(_study: object, trial: FrozenTrial) -> None:
        if trial.number == 1:
            session.stop()

    stopped = session.run(callbacks=[stop_early])
    assert stopped.status == "stopped"
    assert 0 < stopped.n_complete < 4  # inside the first rung: two families, two trials each
    assert store.events(session.id, kinds=[events.RUNG_FINISHED]) == []

    result = TuningSession.open(session.id, store).run()
    trials = session.study.get_trials(deepcopy=False)
    assert len(trials) == 10 and result.n_complete == 10
    assert {family_of(t) for t in trials} == set(FAMILIES)
    rungs = [events.payload_of(e) for e in store.events(session.id, kinds=[events.RUNG_FINISHED])]
    assert rungs and rungs[0].rung == 0
    (chosen,) = store.events(session.id, kinds=[events.FAMILY_CHOSEN])
    assert chosen.payload["family"] == family_of(session.study.best_trial)

    report = replay_session(store, session.id)
    assert report.reproduced, report.divergence
    assert report.n_replayed == 10


def test_a_race_under_review_records_and_replays_the_decisions(store: Store, iris: Dataset) -> None:
    session = race(store, iris, n_trials=8)
    decisions = {n: {"action": "accept"} for n in range(8)}
    decisions[1] = {"action": "edit", "config": {"knn__n_neighbors": 7}}
    decisions[3] = {"action": "reject"}
    face = threading.Thread(target=decide, args=(store, session.id, decisions))
    face.start()
    session.run(review=True, review_timeout_s=30)
    face.join()

    trials = session.study.get_trials(deepcopy=False)
    edited, rejected = trials[1], trials[3]
    assert family_of(edited) == "knn" and edited.params["knn__n_neighbors"] == 7
    assert rejected.state == TrialState.FAIL
    assert rejected.user_attrs["failure_reason"] == "rejected by the user"
    assert store.events(session.id, kinds=[events.FAMILY_CHOSEN])
    report = replay_session(store, session.id)
    assert report.reproduced, report.divergence
