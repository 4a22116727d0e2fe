"""SMAC3 as a benchmark baseline: its ask/tell interface behind an Optuna sampler.

SMAC's hyperparameter-optimization facade (a random forest with expected improvement, a
Sobol initial design, one run per configuration on a deterministic objective; the forest
refitted after every result rather than every 8th, SMAC's default) is asked for
each trial's whole configuration in ``sample_relative`` and told the result in
``after_trial``, so :func:`~benchmarks.quality.methods.run_one` runs it like any Optuna
sampler: same objective, same timing of the foreground sampling, same recorded trials.

A trial whose parameters are fixed beforehand (the library defaults enqueued first) is not
asked for: SMAC is told its result afterwards, as a configuration it did not propose.

Needs the optional ``smac`` package (``pip install smac``, in the ``dev`` extra; 2.4 is pure
Python and brings ConfigSpace, dask and a scikit-learn random forest).
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from assistant.space import SearchSpace

logger = logging.getLogger(__name__)

# Trials with parameters fixed beforehand carry them in this system attribute (Optuna's own
# GridSampler reads it the same way to leave such trials alone).
_FIXED_PARAMS = "fixed_params"
# Scenario.n_trials only bounds SMAC's own optimize() loop and its initial design; the
# benchmark decides when to stop, so it is set out of reach.
_UNBOUNDED_TRIALS = 1_000_000


def _labels(dist: CategoricalDistribution) -> list[str]:
    """ConfigSpace categories as strings (the choices may be booleans or None)."""
    labels = [str(c) for c in dist.choices]
    if len(set(labels)) < len(labels):
        raise ValueError(f"categories {dist.choices!r} are not distinct as strings")
    return labels


def to_configspace(distributions: dict[str, BaseDistribution], seed: int) -> Any:
    """The ConfigSpace of Optuna ``distributions`` (floats, integers and categoricals).

    A step grid has no ConfigSpace counterpart: such parameters are searched continuously
    and snapped back to the grid by :func:`from_configuration`.
    """
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer

    space = ConfigurationSpace(seed=seed)
    hyperparameters: list[Any] = []
    for name, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            hyperparameters.append(Categorical(name, _labels(dist)))
        elif isinstance(dist, IntDistribution):
            hyperparameters.append(Integer(name, (dist.low, dist.high), log=dist.log))
        elif isinstance(dist, FloatDistribution):
            hyperparameters.append(Float(name, (dist.low, dist.high), log=dist.log))
        else:
            raise TypeError(f"unsupported distribution {dist!r} for {name!r}")
    space.add(hyperparameters)
    return space


def _snap(value: float, low: float, step: float | int | None) -> float:
    return value if step is None else low + round((value - low) / step) * step


def from_configuration(
    values: dict[str, Any], distributions: dict[str, BaseDistribution]
) -> dict[str, Any]:
    """Optuna parameter values (plain Python types) of a SMAC configuration's ``values``."""
    params: dict[str, Any] = {}
    for name, dist in distributions.items():
        value = values[name]
        if isinstance(dist, CategoricalDistribution):
            params[name] = dist.choices[_labels(dist).index(str(value))]
        elif isinstance(dist, IntDistribution):
            params[name] = int(
                min(dist.high, max(dist.low, _snap(int(value), dist.low, dist.step)))
            )
        else:
            assert isinstance(dist, FloatDistribution)
            params[name] = float(
                min(dist.high, max(dist.low, _snap(float(value), dist.low, dist.step)))
            )
    return params


def to_configuration_values(
    params: dict[str, Any], distributions: dict[str, BaseDistribution]
) -> dict[str, Any]:
    """A trial's Optuna ``params`` as ConfigSpace values (categories as their labels)."""
    return {
        name: str(params[name]) if isinstance(dist, CategoricalDistribution) else params[name]
        for name, dist in distributions.items()
    }


class SmacSampler(BaseSampler):
    """SMAC3's HPO facade, asked and told through Optuna's sampler interface.

    Args:
        space: the task's search space (fixed: every trial asks for all of it).
        direction: ``"minimize"`` or ``"maximize"`` (SMAC minimizes a cost).
        seed: SMAC's seed.
        n_initial: the size of SMAC's Sobol initial design (trials told without being asked,
            such as enqueued defaults, come on top of it).
    """

    def __init__(self, space: SearchSpace, direction: str, seed: int, n_initial: int) -> None:
        from smac import HyperparameterOptimizationFacade, Scenario

        self.n_initial = n_initial
        self._distributions = space.to_optuna()
        self._sign = -1.0 if direction == "maximize" else 1.0
        self._configspace = to_configspace(self._distributions, seed)
        # SMAC writes its run history to disk; keep that out of the working directory.
        self._output = Path(tempfile.mkdtemp(prefix="smac-"))
        scenario = Scenario(
            self._configspace,
            deterministic=True,
            n_trials=_UNBOUNDED_TRIALS,
            seed=seed,
            output_directory=self._output,
        )
        # max_ratio=1: the initial design is n_initial whatever n_trials says.
        initial = HyperparameterOptimizationFacade.get_initial_design(
            scenario, n_configs=n_initial, max_ratio=1.0
        )
        # SMAC refits its forest every 8 configurations by default, a batch meant for cheap
        # objectives; every other method here uses each result for the next trial.
        selector = HyperparameterOptimizationFacade.get_config_selector(scenario, retrain_after=1)
        self._smac = HyperparameterOptimizationFacade(
            scenario,
            target_function=None,
            initial_design=initial,
            config_selector=selector,
            overwrite=True,
            logging_level=False,  # leave the process's logging configuration alone
        )
        self._asked: dict[int, Any] = {}
        self.origins: dict[int, str] = {}
        """Where SMAC took each configuration it proposed from (its own label, such as
        ``"Initial Design: Sobol"``), by trial number."""
        # SMAC runs a deterministic objective with one seed; a result it did not ask for is
        # told with the same one (0 until SMAC has chosen one).
        self._run_seed = 0
        self._fallback = RandomSampler(seed=seed)
        self._worst = -math.inf

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or _FIXED_PARAMS in trial.system_attrs:
            return {}
        info = self._smac.ask()
        self._asked[trial.number] = info
        self.origins[trial.number] = str(info.config.origin)
        if info.seed is not None:
            self._run_seed = info.seed
        return from_configuration(dict(info.config), self._distributions)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        # Only reached for a parameter outside the task's space, which the benchmark never
        # asks for; random keeps the sampler total.
        return self._fallback.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        from ConfigSpace import Configuration
        from smac.runhistory.dataclasses import TrialInfo, TrialValue
        from smac.runhistory.enumerations import StatusType

        info = self._asked.pop(trial.number, None)
        if info is None:
            if set(trial.params) != set(self._distributions):
                return  # not a whole configuration: nothing SMAC could learn from
            config = Configuration(
                self._configspace,
                values=to_configuration_values(trial.params, self._distributions),
            )
            info = TrialInfo(config=config, seed=self._run_seed)
        if state == TrialState.COMPLETE and values:
            cost = self._sign * float(values[0])
            self._worst = max(self._worst, cost)
            self._smac.tell(info, TrialValue(cost=cost))
        elif self._worst > -math.inf:
            # A failed trial counts as the worst result so far: an infinite cost (SMAC's own
            # crash cost) turns its log-scaled model targets into NaN.
            self._smac.tell(info, TrialValue(cost=self._worst, status=StatusType.CRASHED))
        else:
            logger.info("trial %d failed before any result: not told to SMAC", trial.number)

    def close(self) -> None:
        """Remove SMAC's output folder."""
        shutil.rmtree(self._output, ignore_errors=True)
