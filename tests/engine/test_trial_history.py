"""Reading finished trials once: the cache behind the sampler's flat per-trial cost."""

from __future__ import annotations

import optuna
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from assistant.space import FloatParam, SearchSpace
from assistant.trial_history import SUGGESTION_ATTR, TrialHistory

SPACE = SearchSpace.of(FloatParam(name="x", low=0.0, high=1.0))
DISTS = {"x": FloatDistribution(0.0, 1.0)}


def study_with(values: list[float], direction: str = "maximize") -> optuna.Study:
    study = optuna.create_study(direction=direction)
    for i, v in enumerate(values):
        study.add_trial(
            create_trial(
                params={"x": i / 10},
                distributions=DISTS,
                value=v,
                user_attrs={SUGGESTION_ATTR: {"source": "statistical", "llm_pred": v}},
            )
        )
    return study


def test_finished_trials_are_converted_once_and_new_ones_added() -> None:
    study = study_with([0.1, 0.5])
    history = TrialHistory(SPACE)
    first, keys = history.read(study, exclude=-1)
    assert [o.utility for o in first] == [0.1, 0.5] and len(keys) == 2
    assert first[0].source == "statistical" and first[1].llm_pred == 0.5
    study.add_trial(create_trial(params={"x": 0.9}, distributions=DISTS, value=0.7))
    second, keys = history.read(study, exclude=-1)
    assert second[0] is first[0] and second[1] is first[1], "cached observations are reused"
    assert [o.utility for o in second] == [0.1, 0.5, 0.7] and len(keys) == 3
    without, _ = history.read(study, exclude=1)
    assert [o.number for o in without] == [0, 2]


def test_another_study_is_read_afresh_in_its_own_direction() -> None:
    history = TrialHistory(SPACE)
    history.read(study_with([0.1, 0.5]), exclude=-1)
    other, _ = history.read(study_with([3.0], direction="minimize"), exclude=-1)
    assert [(o.score, o.utility) for o in other] == [(3.0, -3.0)]


def test_trials_outside_the_space_and_failures() -> None:
    study = study_with([0.2])
    study.add_trial(
        create_trial(params={"x": 5.0}, distributions={"x": FloatDistribution(0, 10)}, value=1)
    )
    study.add_trial(
        create_trial(params={"x": 0.3}, distributions=DISTS, state=TrialState.FAIL, value=None)
    )
    observations, keys = TrialHistory(SPACE).read(study, exclude=-1)
    assert [o.number for o in observations] == [0, 2] and len(keys) == 2
    assert observations[1].failed and observations[1].utility is None
