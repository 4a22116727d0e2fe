"""Gradient-boosting libraries as tools: LightGBM, XGBoost and CatBoost.

Each tool trains its library's own booster through the library's native API, for
classification (binary or multiclass, one probability column per class) and regression.

- **Optional libraries.** They are imported when a tool first trains, so importing this
  module needs none of them. A tool whose library is missing is still listed by
  ``list_tools()``, but not offered for a task (``list_tools(task)``, which the LLM's tool
  choice reads); :meth:`BoostingTool.supports`, ``warm_up``, ``fit`` and ``evaluate`` raise
  :class:`~assistant.errors.ToolError` naming ``pip install 'automl-assistant[gbm]'``, so a
  session asked for the tool stops at its start with the fix instead of failing every trial.
- **Early stopping.** Every fit holds out a seeded fifth of its training rows (stratified
  for classification) and stops boosting once the library's default loss on them has not
  improved for 50 rounds; ``n_estimators`` is a cap. The model keeps its best round. Inside
  cross-validation this happens within each fold's training rows, so the fold's validation
  rows stay unseen; a final refit does the same on its training rows, so what is scored is
  what is fitted.
- **Pruning.** Reports go to Optuna once per fold, as for the scikit-learn tools (step =
  fold, value = running mean of the early-stopped folds' scores), not per chunk of boosting
  rounds: the session's pruner counts folds as steps (it never judges a trial on its first
  fold alone), and the engine takes a pruned trial's last report as its score
  (``assistant.trial_history.observed_score``). A partly boosted model's score is no such
  estimate: a low learning rate looks bad after 100 rounds and wins after 1,000, so
  per-round reports would prune exactly the slow, often best configurations and teach the
  engine that they are poor. Within a fold, the library's early stopping (per round) already
  ends unproductive boosting.
- **Categorical columns** (category codes, as :meth:`Dataset.from_frame` makes them) use
  each library's native handling: LightGBM's ``categorical_feature``, XGBoost's
  ``enable_categorical`` with feature type ``"c"`` on the code matrix (a pandas category
  frame built per split would infer its categories from the rows present, so codes could
  differ between training and prediction; the dataset's codes are already stable), and
  CatBoost's ``cat_features`` (integer codes, missing values as their own code -1).
- **Devices.** A GPU is used when one is visible (``detect_gpus``) and the installed build
  can use it: XGBoost ``device="cuda"`` (not in the ``xgboost-cpu`` build), CatBoost
  ``task_type="GPU"``, LightGBM ``device_type="gpu"`` only when its OpenCL build finds a
  device. Otherwise the CPU, with the reason logged once. The device is kept on the model.
- **Threads.** The runner's per-worker thread cap (``threads_per_worker``; it sets
  ``OMP_NUM_THREADS`` in each worker) is passed to the library explicitly (CatBoost's own
  thread pool ignores OpenMP settings); one thread otherwise, as the scikit-learn tools do.

Example:
    >>> from sklearn.datasets import load_breast_cancer
    >>> from assistant.tools import Dataset, get_tool
    >>> data = Dataset.from_arrays(*load_breast_cancer(return_X_y=True))
    >>> tool = get_tool("lightgbm")
    >>> tool.evaluate(data, tool.default_config("classification"), seed=0, n_folds=3) > 0.9
    True
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import logging
import os
import sys
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
from sklearn.model_selection import train_test_split

from assistant.errors import ToolError
from assistant.space import FloatParam, IntParam, SearchSpace

from .base import Tool, snap_config
from .data import Dataset, Task
from .metrics import Metric

logger = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'automl-assistant[gbm]'"
# Share of a fit's rows held out to stop boosting, and the rounds without improvement on
# them before it stops.
_EARLY_STOPPING_SHARE = 0.2
_EARLY_STOPPING_ROUNDS = 50
# Below this many training rows every row trains and boosting runs to n_estimators.
_MIN_EARLY_STOPPING_ROWS = 20
# With at most 1,000 rounds (what keeps a trial to seconds on a small table), a lower rate
# cannot fit the data.
_MIN_LEARNING_RATE = 5e-3


@dataclass
class BoostedModel:
    """A trained booster and what predicting with it needs.

    ``booster`` is the library's own object (``lightgbm.Booster``, ``xgboost.Booster``,
    ``catboost.CatBoost``); ``n_rounds`` the boosting rounds it keeps (the best round under
    early stopping); ``categorical`` the columns it reads as categories; ``device`` where it
    trained (``cpu``, ``cuda:0``, ...).
    """

    booster: Any
    task: Task
    n_classes: int
    categorical: tuple[int, ...]
    n_rounds: int
    device: str


class BoostingTool(Tool):
    """Shared recipe: optional import, early-stopping split, predictions per task.

    Subclasses name their library (``module``, ``distribution``), give the space and the
    library's defaults, and fill in :meth:`_train` and :meth:`_predict`.
    """

    module: ClassVar[str] = ""
    distribution: ClassVar[str] = ""

    # -- the optional library ----------------------------------------------------------
    def available(self) -> bool:
        """Whether the library can be imported here (without importing it)."""
        if self.module in sys.modules:
            return sys.modules[self.module] is not None
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False

    def library(self) -> ModuleType:
        """The imported library; raises :class:`ToolError` with the install command."""
        try:
            return importlib.import_module(self.module)
        except (ImportError, OSError) as exc:
            raise ToolError(
                f"the {self.name} tool needs the {self.distribution} library, which cannot "
                f"be imported here ({type(exc).__name__}: {exc}); install it with "
                f"{INSTALL_HINT} (or pip install {self.distribution})"
            ) from exc

    def supports(self, task: Task) -> bool:
        """Whether the tool can be tuned for ``task``. Raises :class:`ToolError` naming the
        install command when the task fits but the library is missing (checked without
        importing it: listing tools stays fast)."""
        if task not in self.tasks:
            return False
        if not self.available():
            self.library()  # raises, with the import's own reason
        return True

    def warm_up(self) -> None:
        self.library()

    # -- space and defaults (no library needed) ----------------------------------------
    def search_space(self, task: Task) -> SearchSpace:
        self._check_known_task(task)
        return self._space()

    def default_config(self, task: Task) -> dict[str, Any]:
        self._check_known_task(task)
        return snap_config(self._space(), self._library_defaults())

    @abstractmethod
    def _space(self) -> SearchSpace:
        """The search space (the same for both tasks)."""

    @abstractmethod
    def _library_defaults(self) -> dict[str, Any]:
        """The library's own defaults, in the space's parameter names."""

    def _check_known_task(self, task: Task) -> None:
        if task not in self.tasks:
            raise ToolError(
                f"tool {self.name!r} does not support {task}; it supports "
                f"{', '.join(sorted(self.tasks))}"
            )

    # -- training ------------------------------------------------------------------------
    def fit(
        self, data: Dataset, config: Mapping[str, Any], seed: int, *, metric: Metric | None = None
    ) -> BoostedModel:
        """Train on ``data`` with early stopping on a seeded part of its rows."""
        self._check_task(data.task)
        lib = self.library()
        fit_rows, stop_rows = _early_stopping_split(data, seed)
        valid = data.subset(stop_rows) if stop_rows is not None else None
        model = self._train(
            lib, data.subset(fit_rows), valid, config, seed, _native_categorical(data)
        )
        logger.debug(
            "%s: %d of %d rounds on %s (%d rows, %d held out to stop)",
            self.name, model.n_rounds, int(config["n_estimators"]), model.device,
            len(fit_rows), 0 if stop_rows is None else len(stop_rows),
        )  # fmt: skip
        return model

    def predict(self, model: BoostedModel, data: Dataset) -> np.ndarray:
        raw = np.asarray(self._predict(self.library(), model, _matrix(data)), dtype=np.float64)
        if model.task == "regression":
            return raw.reshape(-1)
        if raw.ndim == 1:  # binary objectives give the positive class's probability
            return np.column_stack([1.0 - raw, raw])
        return raw

    @abstractmethod
    def _train(
        self,
        lib: ModuleType,
        train: Dataset,
        valid: Dataset | None,
        config: Mapping[str, Any],
        seed: int,
        categorical: tuple[int, ...],
    ) -> BoostedModel:
        """Boost on ``train``, stopping early on ``valid`` when there is one."""

    @abstractmethod
    def _predict(self, lib: ModuleType, model: BoostedModel, X: np.ndarray) -> np.ndarray:
        """Probabilities (binary: of the positive class) or values for ``X``."""


def _matrix(data: Dataset) -> np.ndarray:
    return np.ascontiguousarray(data.X, dtype=np.float64)


def _early_stopping_split(data: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Seeded (fit, stop) rows, stratified when every class present has two rows."""
    rows = np.arange(data.n_rows)
    if data.n_rows < _MIN_EARLY_STOPPING_ROWS:
        return rows, None
    stratify = None
    if data.task == "classification":
        counts = np.bincount(np.asarray(data.y))
        if counts[counts > 0].min() >= 2:
            stratify = np.asarray(data.y)
    try:
        fit, stop = train_test_split(
            rows, test_size=_EARLY_STOPPING_SHARE, random_state=seed, stratify=stratify
        )
    except ValueError:  # too few held-out rows for one of each class
        fit, stop = train_test_split(rows, test_size=_EARLY_STOPPING_SHARE, random_state=seed)
    return np.sort(fit), np.sort(stop)


def _native_categorical(data: Dataset) -> tuple[int, ...]:
    """Categorical columns holding non-negative integer codes (what the libraries accept);
    a column marked categorical with other values is read as numeric, and logged."""
    if data.categorical is None:
        return ()
    columns: list[int] = []
    for column in np.flatnonzero(data.categorical):
        values = np.asarray(data.X[:, column])
        values = values[np.isfinite(values)]
        if np.all(values >= 0) and np.all(values == np.round(values)):
            columns.append(int(column))
        else:
            logger.info("column %d is marked categorical but holds no codes; read as numeric",
                        column)  # fmt: skip
    return tuple(columns)


def _objective_kind(data: Dataset) -> str:
    if data.task == "regression":
        return "regression"
    return "binary" if data.n_classes == 2 else "multiclass"


def _thread_count() -> int:
    """The runner's per-worker cap (``OMP_NUM_THREADS`` in its workers), else one thread."""
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _gpu_visible() -> bool:
    from .runner import detect_gpus  # imported here: the runner imports the registry

    return bool(detect_gpus())


def _gpu_name() -> str:
    """The first visible GPU as the runner names devices (the physical id)."""
    visible = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    return f"cuda:{visible[0]}" if visible and visible[0] else "cuda:0"


def _floats(config: Mapping[str, Any], *names: str) -> dict[str, float]:
    return {name: float(config[name]) for name in names}


# -- LightGBM ------------------------------------------------------------------------------
class LightGBMTool(BoostingTool):
    name = "lightgbm"
    family = "gradient boosted trees (LightGBM)"
    description = (
        "LightGBM: histogram gradient boosting with trees grown leaf-wise; fast, and usually "
        "among the strongest on tabular data. learning_rate (log scale) and n_estimators "
        "trade off (a lower rate needs more rounds); each fit stops early on held-out "
        "training rows, so n_estimators is a cap. num_leaves sets tree complexity (max_depth "
        "caps it); min_child_samples, reg_alpha (L1), reg_lambda (L2), subsample (row "
        "bagging) and colsample_bytree (feature fraction) fight overfitting on small data. "
        "Handles missing values and categorical columns natively."
    )
    module = "lightgbm"
    distribution = "lightgbm"

    def _space(self) -> SearchSpace:
        return SearchSpace.of(
            FloatParam(name="learning_rate", low=_MIN_LEARNING_RATE, high=1.0, log=True),
            IntParam(name="n_estimators", low=10, high=1000, log=True),
            IntParam(name="num_leaves", low=2, high=256, log=True),
            IntParam(name="max_depth", low=2, high=32, log=True),
            IntParam(name="min_child_samples", low=1, high=100, log=True),
            FloatParam(name="subsample", low=0.4, high=1.0),
            FloatParam(name="colsample_bytree", low=0.2, high=1.0),
            FloatParam(name="reg_alpha", low=1e-8, high=10.0, log=True),
            FloatParam(name="reg_lambda", low=1e-8, high=10.0, log=True),
        )

    def _library_defaults(self) -> dict[str, Any]:
        # LightGBM's documented defaults (Parameters page; the names are its aliases of
        # num_iterations, min_data_in_leaf, bagging_fraction, feature_fraction, lambda_l1/l2).
        return {
            "learning_rate": 0.1,
            "n_estimators": 100,
            "num_leaves": 31,
            # -1 (no limit): a tree of at most 31 leaves is at most 30 deep, so the space's
            # deepest value, 32, is the same thing for the default num_leaves.
            "max_depth": 32,
            "min_child_samples": 20,
            "subsample": 1.0,  # bagging off (bagging_freq=0 unless subsample < 1)
            "colsample_bytree": 1.0,
            "reg_alpha": 0.0,  # snapped to the space's lowest value
            "reg_lambda": 0.0,  # likewise
        }

    def _train(
        self,
        lib: ModuleType,
        train: Dataset,
        valid: Dataset | None,
        config: Mapping[str, Any],
        seed: int,
        categorical: tuple[int, ...],
    ) -> BoostedModel:
        device = _lightgbm_device()
        kind = _objective_kind(train)
        subsample = float(config["subsample"])
        params: dict[str, Any] = {
            "objective": kind,
            **_floats(config, "learning_rate", "colsample_bytree", "reg_alpha", "reg_lambda"),
            "num_leaves": int(config["num_leaves"]),
            "max_depth": int(config["max_depth"]),
            "min_child_samples": int(config["min_child_samples"]),
            "subsample": subsample,
            # LightGBM bags only when bagging_freq > 0: every round when asked to subsample.
            "subsample_freq": 1 if subsample < 1.0 else 0,
            "seed": seed,
            "num_threads": _thread_count(),
            "device_type": "gpu" if device != "cpu" else "cpu",
            "verbosity": -1,
        }
        if kind == "multiclass":
            params["num_class"] = train.n_classes
        train_set = lib.Dataset(
            _matrix(train),
            label=np.asarray(train.y),
            categorical_feature=list(categorical),
            params={"verbosity": -1},
        )
        valid_sets: list[Any] = []
        callbacks: list[Any] = []
        if valid is not None:
            valid_sets = [lib.Dataset(_matrix(valid), np.asarray(valid.y), reference=train_set)]
            callbacks = [lib.early_stopping(_EARLY_STOPPING_ROUNDS, verbose=False)]
        booster = lib.train(
            params,
            train_set,
            num_boost_round=int(config["n_estimators"]),
            valid_sets=valid_sets,
            callbacks=callbacks,
        )
        return BoostedModel(
            booster=booster,
            task=train.task,
            n_classes=train.n_classes,
            categorical=categorical,
            n_rounds=int(booster.best_iteration or booster.current_iteration()),
            device=device,
        )

    def _predict(self, lib: ModuleType, model: BoostedModel, X: np.ndarray) -> np.ndarray:
        return np.asarray(model.booster.predict(X, num_iteration=model.n_rounds))


def _lightgbm_device() -> str:
    if _gpu_visible() and _lightgbm_gpu_works():
        return f"{_gpu_name()} (OpenCL)"
    return "cpu"


@functools.cache
def _lightgbm_gpu_works() -> bool:
    """Whether this LightGBM build trains on a GPU here (its PyPI wheels use OpenCL, which
    needs an OpenCL driver for the GPU): one tiny training run, once per process."""
    import lightgbm

    rng = np.random.default_rng(0)
    X = rng.random((64, 2))
    try:
        lightgbm.train(
            {"device_type": "gpu", "verbosity": -1, "num_threads": 1},
            lightgbm.Dataset(X, (X[:, 0] > 0.5).astype(float)),
            num_boost_round=1,
        )
    except Exception as exc:  # any failure means the CPU; the reason is logged
        logger.info("LightGBM cannot use the GPU here (%s); training on the CPU", exc)
        return False
    return True


# -- XGBoost -------------------------------------------------------------------------------
_XGBOOST_FLOATS = (
    "learning_rate",
    "min_child_weight",
    "subsample",
    "colsample_bytree",
    "reg_alpha",
    "reg_lambda",
)


class XGBoostTool(BoostingTool):
    name = "xgboost"
    family = "gradient boosted trees (XGBoost)"
    description = (
        "XGBoost: gradient boosting with histogram trees grown depth-wise, and regularized "
        "leaf weights. learning_rate (log scale) and n_estimators trade off; each fit stops "
        "early on held-out training rows, so n_estimators is a cap. max_depth sets tree "
        "complexity; min_child_weight (minimum hessian per leaf), reg_lambda (L2) and "
        "reg_alpha (L1) regularize; subsample (rows per tree) and colsample_bytree (features "
        "per tree) add randomness against overfitting. Handles missing values and "
        "categorical columns natively; trains on a GPU when there is one."
    )
    module = "xgboost"
    distribution = "xgboost"

    def _space(self) -> SearchSpace:
        return SearchSpace.of(
            FloatParam(name="learning_rate", low=_MIN_LEARNING_RATE, high=1.0, log=True),
            IntParam(name="n_estimators", low=10, high=1000, log=True),
            IntParam(name="max_depth", low=2, high=12),
            FloatParam(name="min_child_weight", low=1e-2, high=100.0, log=True),
            FloatParam(name="subsample", low=0.4, high=1.0),
            FloatParam(name="colsample_bytree", low=0.2, high=1.0),
            FloatParam(name="reg_alpha", low=1e-8, high=10.0, log=True),
            FloatParam(name="reg_lambda", low=1e-8, high=10.0, log=True),
        )

    def _library_defaults(self) -> dict[str, Any]:
        # XGBoost's documented defaults (XGBoost Parameters: eta, max_depth, min_child_weight,
        # subsample, colsample_bytree, alpha, lambda); n_estimators is the scikit-learn
        # interface's default (xgboost.sklearn.DEFAULT_N_ESTIMATORS; xgboost.train's own
        # num_boost_round=10 is a stub).
        return {
            "learning_rate": 0.3,
            "n_estimators": 100,
            "max_depth": 6,
            "min_child_weight": 1.0,
            "subsample": 1.0,
            "colsample_bytree": 1.0,
            "reg_alpha": 0.0,  # snapped to the space's lowest value
            "reg_lambda": 1.0,
        }

    def _train(
        self,
        lib: ModuleType,
        train: Dataset,
        valid: Dataset | None,
        config: Mapping[str, Any],
        seed: int,
        categorical: tuple[int, ...],
    ) -> BoostedModel:
        device = _xgboost_device()
        kind = _objective_kind(train)
        params: dict[str, Any] = {
            "objective": {
                "binary": "binary:logistic",
                "multiclass": "multi:softprob",
                "regression": "reg:squarederror",
            }[kind],
            **_floats(config, *_XGBOOST_FLOATS),
            "max_depth": int(config["max_depth"]),
            "tree_method": "hist",
            "device": "cuda" if device != "cpu" else "cpu",
            "seed": seed,
            "nthread": _thread_count(),
        }
        if kind == "multiclass":
            params["num_class"] = train.n_classes
        evals: list[Any] = []
        if valid is not None:
            evals = [(_dmatrix(lib, _matrix(valid), valid.y, categorical), "stop")]
        booster = lib.train(
            params,
            _dmatrix(lib, _matrix(train), train.y, categorical),
            num_boost_round=int(config["n_estimators"]),
            evals=evals,
            early_stopping_rounds=_EARLY_STOPPING_ROUNDS if evals else None,
            verbose_eval=False,
        )
        n_rounds = booster.best_iteration + 1 if evals else booster.num_boosted_rounds()
        return BoostedModel(
            booster=booster,
            task=train.task,
            n_classes=train.n_classes,
            categorical=categorical,
            n_rounds=int(n_rounds),
            device=device,
        )

    def _predict(self, lib: ModuleType, model: BoostedModel, X: np.ndarray) -> np.ndarray:
        matrix = _dmatrix(lib, X, None, model.categorical)
        return np.asarray(model.booster.predict(matrix, iteration_range=(0, model.n_rounds)))


def _dmatrix(lib: ModuleType, X: np.ndarray, y: Any, categorical: tuple[int, ...]) -> Any:
    types = None
    if categorical:
        types = ["c" if j in categorical else "q" for j in range(X.shape[1])]
    label = None if y is None else np.asarray(y)
    return lib.DMatrix(
        X,
        label=label,
        feature_types=types,
        enable_categorical=bool(categorical),
        nthread=_thread_count(),
    )


def _xgboost_device() -> str:
    if _gpu_visible() and _xgboost_has_cuda():
        return _gpu_name()
    return "cpu"


@functools.cache
def _xgboost_has_cuda() -> bool:
    import xgboost

    if xgboost.build_info().get("USE_CUDA"):
        return True
    logger.info("a GPU is visible but this XGBoost build has no CUDA (xgboost-cpu?); "
                "training on the CPU (pip install xgboost for the GPU build)")  # fmt: skip
    return False


# -- CatBoost ------------------------------------------------------------------------------
class CatBoostTool(BoostingTool):
    name = "catboost"
    family = "gradient boosted trees (CatBoost)"
    description = (
        "CatBoost: gradient boosting with oblivious (symmetric) trees and ordered target "
        "statistics for categorical columns; strong with its defaults, above all on "
        "categorical data. learning_rate (log scale) and n_estimators trade off; each fit "
        "stops early on held-out training rows, so n_estimators is a cap. depth sets tree "
        "complexity (cost grows as 2^depth); l2_leaf_reg regularizes leaf values; "
        "random_strength adds noise to split scores against overfitting. Trains on a GPU "
        "when there is one."
    )
    module = "catboost"
    distribution = "catboost"

    def _space(self) -> SearchSpace:
        # Its sampling options stay at their defaults: the default bootstrap differs by loss
        # and device (MVS, Bayesian), and a Bayesian bootstrap refuses `subsample`. depth
        # stops at 8: a round costs about twice as much per level (25 ms at depth 8, 52 ms at
        # 10, for Logloss on 364 rows and 30 columns on one thread), and a symmetric tree of
        # depth 8 already has 256 leaves, more than a small table can fill.
        return SearchSpace.of(
            FloatParam(name="learning_rate", low=_MIN_LEARNING_RATE, high=1.0, log=True),
            IntParam(name="n_estimators", low=10, high=1000, log=True),
            IntParam(name="depth", low=2, high=8),
            FloatParam(name="l2_leaf_reg", low=1e-2, high=100.0, log=True),
            FloatParam(name="random_strength", low=1e-2, high=10.0, log=True),
        )

    def _library_defaults(self) -> dict[str, Any]:
        # CatBoost's documented defaults (Training parameters: iterations, depth, l2_leaf_reg,
        # random_strength). Its learning rate is chosen from the data only when none of
        # l2_leaf_reg and the leaf-estimation options is given; a trial always gives
        # l2_leaf_reg, and then CatBoost's default rate is 0.03.
        return {
            "learning_rate": 0.03,
            "n_estimators": 1000,
            "depth": 6,
            "l2_leaf_reg": 3.0,
            "random_strength": 1.0,
        }

    def _train(
        self,
        lib: ModuleType,
        train: Dataset,
        valid: Dataset | None,
        config: Mapping[str, Any],
        seed: int,
        categorical: tuple[int, ...],
    ) -> BoostedModel:
        device = _catboost_device()
        kind = _objective_kind(train)
        params: dict[str, Any] = {
            "loss_function": {"binary": "Logloss", "multiclass": "MultiClass"}.get(kind, "RMSE"),
            "iterations": int(config["n_estimators"]),
            **_floats(config, "learning_rate", "l2_leaf_reg", "random_strength"),
            "depth": int(config["depth"]),
            "random_seed": seed,
            "thread_count": _thread_count(),
            "task_type": "CPU" if device == "cpu" else "GPU",
            "verbose": False,
            "allow_writing_files": False,  # no catboost_info/ folder in the working directory
        }
        if device != "cpu":
            params["devices"] = "0"  # the first visible GPU (the runner sets which)
        if train.task == "classification":
            params["class_names"] = list(range(train.n_classes))  # also classes not in train
        eval_set = None
        if valid is not None:
            eval_set = _pool(lib, _matrix(valid), valid.y, categorical)
            params.update(early_stopping_rounds=_EARLY_STOPPING_ROUNDS, use_best_model=True)
        booster = lib.CatBoost(params)
        booster.fit(_pool(lib, _matrix(train), train.y, categorical), eval_set=eval_set)
        return BoostedModel(
            booster=booster,
            task=train.task,
            n_classes=train.n_classes,
            categorical=categorical,
            n_rounds=int(booster.tree_count_),
            device=device,
        )

    def _predict(self, lib: ModuleType, model: BoostedModel, X: np.ndarray) -> np.ndarray:
        kind = "Probability" if model.task == "classification" else "RawFormulaVal"
        pool = _pool(lib, X, None, model.categorical)
        return np.asarray(model.booster.predict(pool, prediction_type=kind))


def _pool(lib: ModuleType, X: np.ndarray, y: Any, categorical: tuple[int, ...]) -> Any:
    """A CatBoost Pool; categorical codes become integers (CatBoost refuses float
    categories), a missing value its own category -1."""
    label = None if y is None else np.asarray(y)
    if not categorical:
        return lib.Pool(X, label=label)
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    for j in categorical:
        codes = X[:, j]
        frame[f"x{j}"] = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    return lib.Pool(frame, label=label, cat_features=list(categorical))


def _catboost_device() -> str:
    if _gpu_visible() and _catboost_gpu_count() > 0:
        return _gpu_name()
    return "cpu"


@functools.cache
def _catboost_gpu_count() -> int:
    from catboost.utils import get_gpu_device_count

    count = int(get_gpu_device_count())
    if count == 0:
        logger.info("a GPU is visible but CatBoost finds no usable CUDA device; training on "
                    "the CPU")  # fmt: skip
    return count


GBM_TOOLS: tuple[type[BoostingTool], ...] = (LightGBMTool, XGBoostTool, CatBoostTool)

__all__ = [
    "GBM_TOOLS",
    "INSTALL_HINT",
    "BoostedModel",
    "BoostingTool",
    "CatBoostTool",
    "LightGBMTool",
    "XGBoostTool",
]
