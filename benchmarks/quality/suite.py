"""The Bayesmark-lite suite: scikit-learn models × small datasets, with Bayesmark-like spaces.

Each :class:`Task` is one model family on one dataset. The data is standardized and split
80/20 once (fixed seed); the optimizer sees the cross-validated metric on the 80% split, and
the best configuration is scored once on the untouched 20%. Every estimator has a fixed
``random_state`` and the folds are fixed, so a configuration's score is a deterministic
function of the configuration (results are cached per task).

Metrics follow Bayesmark: accuracy (``acc``, maximized) for classification and mean squared
error (``mse``, minimized, on the standardized target) for regression.
"""

from __future__ import annotations

import functools
import math
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.context import DatasetInfo, Direction, ProblemContext
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace

CV_FOLDS = 3
SPLIT_SEED = 0
DIGITS_ROWS = 600  # keeps every digits evaluation well under a second


# -- datasets ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Data:
    """A dataset split once into the optimizer's 80% and the untouched 20%."""

    name: str
    kind: str  # "classification" or "regression"
    description: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int = 0


def _raw_dataset(name: str) -> tuple[np.ndarray, np.ndarray, str, str]:
    from sklearn import datasets

    if name == "iris":
        d = datasets.load_iris()
        return d.data, d.target, "classification", "iris flowers, 3 species"
    if name == "wine":
        d = datasets.load_wine()
        return d.data, d.target, "classification", "wine cultivars from chemical analysis"
    if name == "breast":
        d = datasets.load_breast_cancer()
        return d.data, d.target, "classification", "breast cancer diagnosis (Wisconsin)"
    if name == "digits":
        d = datasets.load_digits()
        rows = np.random.default_rng(SPLIT_SEED).permutation(len(d.target))[:DIGITS_ROWS]
        return d.data[rows], d.target[rows], "classification", "8x8 handwritten digits"
    if name == "diabetes":
        d = datasets.load_diabetes()
        return d.data, d.target, "regression", "diabetes disease progression after one year"
    if name == "synth_clf":
        x, y = datasets.make_classification(
            n_samples=400, n_features=20, n_informative=6, n_redundant=4, random_state=SPLIT_SEED
        )
        return x, y, "classification", "synthetic (make_classification, 20 features)"
    if name == "synth_reg":
        x, y = datasets.make_friedman1(n_samples=400, noise=1.0, random_state=SPLIT_SEED)
        return x, y, "regression", "synthetic (Friedman #1, 10 features)"
    raise KeyError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


DATASETS = ("iris", "wine", "breast", "digits", "diabetes", "synth_clf", "synth_reg")


@functools.cache
def load_data(name: str) -> Data:
    """The dataset ``name``, standardized with the training split's statistics."""
    return split_data(name, *_raw_dataset(name))


def split_data(name: str, x: np.ndarray, y: np.ndarray, kind: str, description: str) -> Data:
    """Split 80/20 once (stratified for classification) and standardize with the training
    split's statistics; shared by the development suite and the held-out set."""
    from sklearn.model_selection import train_test_split

    stratify = y if kind == "classification" else None
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=0.2, random_state=SPLIT_SEED, stratify=stratify
    )
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    n_classes = 0
    if kind == "regression":
        y_mean, y_std = y_tr.mean(), y_tr.std()
        y_tr, y_te = (y_tr - y_mean) / y_std, (y_te - y_mean) / y_std
    else:
        n_classes = len(np.unique(y))
    return Data(name, kind, description, x_tr, y_tr, x_te, y_te, n_classes)


# -- model families --------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """A model family: its search space, library defaults and estimator, per problem kind."""

    name: str
    label: str
    space: Callable[[str], SearchSpace]
    defaults: Callable[[str, int], dict[str, Any]]
    build: Callable[[str, dict[str, Any]], Any]


def _space(*params: FloatParam | IntParam | CategoricalParam) -> SearchSpace:
    return SearchSpace.of(*params)


def _tree_space(kind: str) -> SearchSpace:
    criteria = (
        ("gini", "entropy") if kind == "classification" else ("squared_error", "friedman_mse")
    )
    return _space(
        IntParam(name="max_depth", low=1, high=15),
        FloatParam(name="min_samples_split", low=0.01, high=0.99),
        FloatParam(name="min_samples_leaf", low=0.01, high=0.49),
        FloatParam(name="max_features", low=0.01, high=0.99),
        CategoricalParam(name="criterion", choices=criteria),
    )


def _tree_defaults(kind: str, n_features: int) -> dict[str, Any]:
    return {
        "max_depth": 15,  # None (unbounded) in scikit-learn; the space's deepest
        "min_samples_split": 0.01,  # 2 samples
        "min_samples_leaf": 0.01,  # 1 sample
        "max_features": 0.99,  # all features
        "criterion": "gini" if kind == "classification" else "squared_error",
    }


def _build_dt(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeClassifier if kind == "classification" else DecisionTreeRegressor
    return cls(random_state=0, **c)


def _rf_space(kind: str) -> SearchSpace:
    return _space(
        IntParam(name="max_depth", low=1, high=15),
        FloatParam(name="max_features", low=0.01, high=0.99),
        FloatParam(name="min_samples_split", low=0.01, high=0.99),
        FloatParam(name="min_samples_leaf", low=0.01, high=0.49),
        IntParam(name="n_estimators", low=5, high=30),
    )


def _rf_defaults(kind: str, n_features: int) -> dict[str, Any]:
    sqrt_share = math.sqrt(n_features) / n_features
    return {
        "max_depth": 15,
        "max_features": round(sqrt_share, 3) if kind == "classification" else 0.99,
        "min_samples_split": 0.01,
        "min_samples_leaf": 0.01,
        "n_estimators": 30,  # 100 in scikit-learn; the space's largest
    }


def _build_rf(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if kind == "classification" else RandomForestRegressor
    return cls(random_state=0, n_jobs=1, **c)


def _svm_space(kind: str) -> SearchSpace:
    params: list[FloatParam | IntParam | CategoricalParam] = [
        FloatParam(name="C", low=1e-2, high=1e3, log=True),
        FloatParam(name="gamma", low=1e-4, high=1e1, log=True),
        FloatParam(name="tol", low=1e-5, high=1e-1, log=True),
    ]
    if kind == "regression":
        params.append(FloatParam(name="epsilon", low=1e-2, high=1.0, log=True))
    return _space(*params)


def _svm_defaults(kind: str, n_features: int) -> dict[str, Any]:
    config: dict[str, Any] = {"C": 1.0, "gamma": round(1.0 / n_features, 5), "tol": 1e-3}
    if kind == "regression":
        config["epsilon"] = 0.1
    return config


def _build_svm(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.svm import SVC, SVR

    if kind == "classification":
        return SVC(random_state=0, **c)
    return SVR(**c)


def _mlp_space(kind: str) -> SearchSpace:
    return _space(
        IntParam(name="hidden_layer_sizes", low=16, high=128),
        FloatParam(name="alpha", low=1e-5, high=1e1, log=True),
        IntParam(name="batch_size", low=16, high=128),
        FloatParam(name="learning_rate_init", low=1e-5, high=1e-1, log=True),
        CategoricalParam(name="activation", choices=("relu", "tanh")),
    )


def _mlp_defaults(kind: str, n_features: int) -> dict[str, Any]:
    return {
        "hidden_layer_sizes": 100,
        "alpha": 1e-4,
        "batch_size": 128,  # min(200, n_samples) in scikit-learn; the space's largest
        "learning_rate_init": 1e-3,
        "activation": "relu",
    }


def _build_mlp(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if kind == "classification" else MLPRegressor
    config = dict(c, hidden_layer_sizes=(int(c["hidden_layer_sizes"]),))
    return cls(random_state=0, max_iter=40, **config)


def _ada_space(kind: str) -> SearchSpace:
    return _space(
        IntParam(name="n_estimators", low=10, high=50),
        FloatParam(name="learning_rate", low=1e-4, high=1e1, log=True),
    )


def _ada_defaults(kind: str, n_features: int) -> dict[str, Any]:
    return {"n_estimators": 50, "learning_rate": 1.0}


def _build_ada(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.ensemble import AdaBoostClassifier, AdaBoostRegressor

    cls = AdaBoostClassifier if kind == "classification" else AdaBoostRegressor
    return cls(random_state=0, **c)


def _knn_space(kind: str) -> SearchSpace:
    return _space(
        IntParam(name="n_neighbors", low=1, high=25),
        IntParam(name="p", low=1, high=4),
        CategoricalParam(name="weights", choices=("uniform", "distance")),
    )


def _knn_defaults(kind: str, n_features: int) -> dict[str, Any]:
    return {"n_neighbors": 5, "p": 2, "weights": "uniform"}


def _build_knn(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if kind == "classification" else KNeighborsRegressor
    return cls(n_jobs=1, **c)


def _linear_space(kind: str) -> SearchSpace:
    if kind == "classification":
        return _space(
            FloatParam(name="C", low=1e-2, high=1e2, log=True),
            FloatParam(name="intercept_scaling", low=1e-2, high=1e2, log=True),
        )
    return _space(
        FloatParam(name="alpha", low=1e-5, high=1e1, log=True),
        CategoricalParam(name="selection", choices=("cyclic", "random")),
        CategoricalParam(name="fit_intercept", choices=(True, False)),
    )


def _linear_defaults(kind: str, n_features: int) -> dict[str, Any]:
    if kind == "classification":
        return {"C": 1.0, "intercept_scaling": 1.0}
    return {"alpha": 1.0, "selection": "cyclic", "fit_intercept": True}


def _build_linear(kind: str, c: dict[str, Any]) -> Any:
    from sklearn.linear_model import Lasso, LogisticRegression

    if kind == "classification":
        from sklearn.multiclass import OneVsRestClassifier

        # liblinear (whose intercept_scaling is tuned) is one-vs-rest, as in Bayesmark
        return OneVsRestClassifier(LogisticRegression(solver="liblinear", random_state=0, **c))
    return Lasso(random_state=0, max_iter=2000, **c)


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("rf", "random forest", _rf_space, _rf_defaults, _build_rf),
        Family("svm", "support vector machine (RBF kernel)", _svm_space, _svm_defaults, _build_svm),
        Family("dt", "decision tree", _tree_space, _tree_defaults, _build_dt),
        Family(
            "mlp",
            "multi-layer perceptron (one hidden layer, Adam)",
            _mlp_space,
            _mlp_defaults,
            _build_mlp,
        ),
        Family("ada", "AdaBoost", _ada_space, _ada_defaults, _build_ada),
        Family("knn", "k-nearest neighbours", _knn_space, _knn_defaults, _build_knn),
        Family(
            "linear", "logistic regression / lasso", _linear_space, _linear_defaults, _build_linear
        ),
    )
}


# -- tasks ---------------------------------------------------------------------------------
@dataclass
class Task:
    """One model family tuned on one dataset; :meth:`objective` is the CV score."""

    name: str
    family: Family
    data: Data
    space: SearchSpace = field(init=False)
    default_config: dict[str, Any] = field(init=False)
    _cache: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False)
    # Seconds each cached value took to compute: a later run that finds the value cached
    # is charged what a user would have waited for it (see :meth:`evaluate`).
    _train_s: dict[tuple[Any, ...], float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.space = self.family.space(self.data.kind)
        n_features = self.data.x_train.shape[1]
        report = self.space.validate_config(self.family.defaults(self.data.kind, n_features))
        assert report.config is not None and not report.severe, report
        self.default_config = report.config

    @property
    def metric(self) -> str:
        return "acc" if self.data.kind == "classification" else "mse"

    @property
    def direction(self) -> Direction:
        return "maximize" if self.data.kind == "classification" else "minimize"

    def context(self) -> ProblemContext:
        """The problem as the LLM reads it."""
        kind = self.data.kind
        target_kind = "regression"
        if kind == "classification":
            target_kind = "binary" if self.data.n_classes == 2 else "multiclass"
        metric = "accuracy" if kind == "classification" else "mean squared error"
        return ProblemContext(
            task=f"{kind} on the {self.data.name} dataset",
            model=self.family.label,
            metric=f"{metric} ({CV_FOLDS}-fold cross-validated)",
            direction=self.direction,
            dataset=DatasetInfo(
                name=self.data.name,
                n_rows=int(self.data.x_train.shape[0]),
                n_features=int(self.data.x_train.shape[1]),
                target_kind=target_kind,
                description=self.data.description
                + (
                    "; features and target standardized"
                    if kind == "regression"
                    else "; features standardized"
                ),
            ),
        )

    def _estimator(self, config: Mapping[str, Any]) -> Any:
        report = self.space.validate_config(dict(config))
        if report.config is None or report.severe:
            raise ValueError(f"{self.name}: invalid configuration {dict(config)}: {report}")
        return self.family.build(self.data.kind, report.config)

    def config_key(self, config: Mapping[str, Any]) -> tuple[Any, ...]:
        """The key a configuration is cached and counted by (one per distinct point)."""
        return tuple(repr(config[n]) for n in self.space.names)

    def objective(self, config: Mapping[str, Any]) -> float:
        """Cross-validated metric on the 80% split (cached; deterministic), with the seconds
        its first computation took kept for :meth:`evaluate`."""
        key = self.config_key(config)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        start = time.perf_counter()
        value = self.cv_score(config, SPLIT_SEED)
        seconds = time.perf_counter() - start
        with self._lock:
            self._cache[key] = value
            self._train_s.setdefault(key, seconds)
        return value

    def cv_score(self, config: Mapping[str, Any], split_seed: int) -> float:
        """The CV metric on the 80% split with folds shuffled by ``split_seed`` (uncached)."""
        from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score

        data = self.data
        if data.kind == "classification":
            folds: Any = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=split_seed)
            scoring = "accuracy"
        else:
            folds = KFold(CV_FOLDS, shuffle=True, random_state=split_seed)
            scoring = "neg_mean_squared_error"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = cross_val_score(
                self._estimator(config), data.x_train, data.y_train, scoring=scoring, cv=folds
            )
        value = float(np.mean(scores))
        return value if data.kind == "classification" else -value

    def evaluate(self, config: Mapping[str, Any]) -> tuple[float, float]:
        """The objective and the seconds its first computation took: the training time a
        user would wait for this configuration, even when the value now comes from the
        cache (another method tried it first).

        A subclass whose :meth:`objective` does not record its seconds (a noisy task, never
        cached) is timed here on the call that first asks.
        """
        key = self.config_key(config)
        with self._lock:
            seconds = self._train_s.get(key)
        if seconds is not None:
            return self.objective(config), seconds
        start = time.perf_counter()
        value = self.objective(config)
        elapsed = time.perf_counter() - start
        with self._lock:
            return value, self._train_s.setdefault(key, elapsed)

    def test_score(self, config: Mapping[str, Any]) -> float:
        """The metric on the untouched 20% split, after fitting on the whole 80%."""
        from sklearn.metrics import accuracy_score, mean_squared_error

        data = self.data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = self._estimator(config).fit(data.x_train, data.y_train)
            pred = model.predict(data.x_test)
        if data.kind == "classification":
            return float(accuracy_score(data.y_test, pred))
        return float(mean_squared_error(data.y_test, pred))

    def better(self, a: float, b: float) -> bool:
        """Whether score ``a`` beats score ``b``."""
        return a > b if self.direction == "maximize" else a < b


TASK_MODELS = ("rf", "svm", "dt", "mlp", "ada", "knn", "linear")

QUICK_TASKS = ("svm-breast", "dt-diabetes")
FULL_TASKS = (
    "rf-wine",
    "rf-diabetes",
    "svm-breast",
    "svm-synth_reg",
    "dt-digits",
    "dt-diabetes",
    "mlp-iris",
    "mlp-synth_reg",
    "ada-breast",
    "ada-synth_clf",
    "knn-digits",
    "knn-diabetes",
    "linear-wine",
    "linear-synth_reg",
)
ALL_TASKS = tuple(f"{m}-{d}" for m in TASK_MODELS for d in DATASETS)


@functools.cache
def get_task(name: str) -> Task:
    """The task ``"<family>-<dataset>"``, e.g. ``"svm-breast"``."""
    model, _, dataset = name.partition("-")
    if model not in FAMILIES or dataset not in DATASETS:
        raise KeyError(
            f"unknown task {name!r}: use <family>-<dataset> with family in "
            f"{', '.join(FAMILIES)} and dataset in {', '.join(DATASETS)}"
        )
    return Task(name, FAMILIES[model], load_data(dataset))
