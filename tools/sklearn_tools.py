"""scikit-learn model families as tools: forests, boosting, SVMs, linear models, k-NN, MLPs.

Each tool builds one estimator per configuration. Scale-sensitive models get a preprocessing
step fitted on the training split only (median imputation and standardization for numeric
columns, one-hot encoding for categorical ones, a missing value its own level); tree
models read the raw columns. Every
estimator runs single-threaded (``n_jobs=1``) because trials run in parallel instead, and
iteration counts are capped so that one evaluation on a small dataset takes seconds.

One-hot width is bounded: a categorical column becomes at most :data:`ONE_HOT_MAX_COLUMNS`
columns, whatever its number of levels, so the dense matrix is at most ``n_numeric +
ONE_HOT_MAX_COLUMNS * n_categorical`` wide. scikit-learn's ``OneHotEncoder`` does the
grouping: levels seen in fewer than :data:`ONE_HOT_MIN_FREQUENCY` training rows, and all but
the most frequent ``ONE_HOT_MAX_COLUMNS - 1``, share one "infrequent" column, which also
takes levels never seen in training. HistGradientBoosting reads categorical codes natively
when a column has at most 255 levels, and as ordered codes (like numbers) otherwise.

Example:
    >>> from sklearn.datasets import load_diabetes
    >>> from assistant.tools import Dataset
    >>> data = Dataset.from_arrays(*load_diabetes(return_X_y=True), task="regression")
    >>> tool = LinearTool()
    >>> 50 < tool.evaluate(data, tool.default_config("regression"), seed=0, n_folds=3) < 70
    True
"""

from __future__ import annotations

import warnings
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR
from threadpoolctl import threadpool_limits

from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace

from .base import Tool, snap_config
from .data import Dataset, Task
from .metrics import Metric

# HistGradientBoosting reads categorical codes only below its bin count.
_MAX_CATEGORY_CODE = 254
# The most columns one categorical column becomes by one-hot encoding (the last one holds
# the infrequent levels), and how many training rows a level needs for a column of its own.
ONE_HOT_MAX_COLUMNS = 20
ONE_HOT_MIN_FREQUENCY = 5


class SklearnTool(Tool):
    """A tool backed by one scikit-learn estimator per configuration.

    Subclasses give the space, the library defaults (:meth:`_library_defaults`, snapped into
    the space) and :meth:`_estimator`; ``scaled`` says whether features are imputed,
    standardized and one-hot encoded first.
    """

    scaled: bool = True

    def default_config(self, task: Task) -> dict[str, Any]:
        self._check_task(task)
        return snap_config(self.search_space(task), self._library_defaults(task))

    @abstractmethod
    def _library_defaults(self, task: Task) -> dict[str, Any]:
        """The estimator's own defaults, in the space's parameter names."""

    @abstractmethod
    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        """An unfitted estimator for the (preprocessed) training matrix ``X``."""

    def fit(
        self, data: Dataset, config: Mapping[str, Any], seed: int, *, metric: Metric | None = None
    ) -> Any:
        self._check_task(data.task)
        X = np.asarray(data.X)
        preprocessor = _preprocessor(data) if self.scaled else None
        if preprocessor is not None:
            X = preprocessor.fit_transform(X)
        estimator = self._estimator(data, X, config, seed, metric)
        with warnings.catch_warnings(), _one_thread():
            # Capped iteration counts are deliberate; a trial's score says enough.
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, np.asarray(data.y))
        if preprocessor is None:
            return estimator
        return Pipeline([("preprocess", preprocessor), ("model", estimator)])

    def predict(self, model: Any, data: Dataset) -> np.ndarray:
        X = np.asarray(data.X)
        with _one_thread():
            if data.task == "regression":
                return np.asarray(model.predict(X), dtype=np.float64)
            return _class_probabilities(model, X, data.n_classes)


def _one_thread() -> threadpool_limits:
    """Limit OpenMP (boosting) and BLAS to one thread: trials run in parallel instead, and
    spinning OpenMP and BLAS threads slow each other down badly on a busy machine."""
    return threadpool_limits(limits=1)


def _preprocessor(data: Dataset) -> Pipeline | ColumnTransformer:
    """Median-imputed, standardized numeric columns; categorical ones one-hot encoded into
    at most :data:`ONE_HOT_MAX_COLUMNS` columns each (rare and unseen levels share one;
    missing is a level)."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    mask = data.categorical
    if mask is None or not mask.any():
        return numeric
    # A missing value is a level of its own (OneHotEncoder takes NaN as a category): that a
    # value is missing often says something, and imputing the most frequent level hides it.
    categorical = OneHotEncoder(
        handle_unknown="infrequent_if_exist",
        max_categories=ONE_HOT_MAX_COLUMNS,
        min_frequency=ONE_HOT_MIN_FREQUENCY,
        sparse_output=False,
    )
    return ColumnTransformer(
        [
            ("numeric", numeric, np.flatnonzero(~mask)),
            ("categorical", categorical, np.flatnonzero(mask)),
        ]
    )


def _class_probabilities(model: Any, X: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities with one column per class code, also for classes missing in training.

    Models without ``predict_proba`` (an SVM) give a softmax of their decision function: a
    ranking good enough for accuracy and ROC AUC, not a calibrated probability.
    """
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    else:
        scores = np.asarray(model.decision_function(X), dtype=np.float64)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            proba = np.column_stack([1.0 - positive, positive])
        else:
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            proba = shifted / shifted.sum(axis=1, keepdims=True)
    full = np.zeros((len(X), n_classes))
    full[:, np.asarray(model.classes_, dtype=np.int64)] = proba
    return full


def _standardized_target(regressor: Any) -> TransformedTargetRegressor:
    return TransformedTargetRegressor(regressor=regressor, transformer=StandardScaler())


class RandomForestTool(SklearnTool):
    name = "random_forest"
    family = "random forest"
    description = (
        "Bagged ensemble of decision trees (scikit-learn RandomForest). Robust with little "
        "tuning; handles unscaled and missing features. max_features (share of features "
        "tried per split) matters most: lower decorrelates trees. min_samples_leaf and "
        "max_depth regularize (raise leaf size / lower depth on small noisy data). More "
        "n_estimators only reduces variance, with diminishing returns past ~200. "
        "bootstrap=False uses every row per tree."
    )
    scaled = False

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            IntParam(name="n_estimators", low=10, high=300, log=True),
            IntParam(name="max_depth", low=2, high=64, log=True),
            IntParam(name="min_samples_split", low=2, high=32, log=True),
            IntParam(name="min_samples_leaf", low=1, high=32, log=True),
            CategoricalParam(name="max_features", choices=("sqrt", "log2", 0.25, 0.5, 0.75, 1.0)),
            CategoricalParam(name="bootstrap", choices=(True, False)),
        )

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {
            "n_estimators": 100,
            "max_depth": 64,  # the library's None (unlimited), as the space's deepest
            "min_samples_split": 2,
            "min_samples_leaf": 1,
            "max_features": "sqrt" if task == "classification" else 1.0,
            "bootstrap": True,
        }

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        cls = RandomForestClassifier if data.task == "classification" else RandomForestRegressor
        return cls(
            n_estimators=config["n_estimators"],
            max_depth=config["max_depth"],
            min_samples_split=config["min_samples_split"],
            min_samples_leaf=config["min_samples_leaf"],
            max_features=config["max_features"],
            bootstrap=config["bootstrap"],
            random_state=seed,
            n_jobs=1,
        )


class HistGradientBoostingTool(SklearnTool):
    name = "hist_gradient_boosting"
    family = "gradient boosted trees (histogram)"
    description = (
        "Histogram-based gradient boosting (scikit-learn HistGradientBoosting, like "
        "LightGBM). Usually the strongest tabular model. learning_rate and max_iter trade "
        "off (lower rate needs more iterations); max_leaf_nodes sets tree complexity; "
        "min_samples_leaf and l2_regularization fight overfitting on small data; "
        "max_features < 1 subsamples features per split. Handles missing values and "
        "categorical columns natively."
    )
    scaled = False

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            FloatParam(name="learning_rate", low=1e-3, high=1.0, log=True),
            IntParam(name="max_iter", low=10, high=500, log=True),
            IntParam(name="max_leaf_nodes", low=2, high=256, log=True),
            IntParam(name="min_samples_leaf", low=1, high=200, log=True),
            FloatParam(name="l2_regularization", low=1e-8, high=10.0, log=True),
            FloatParam(name="max_features", low=0.1, high=1.0),
        )

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {
            "learning_rate": 0.1,
            "max_iter": 100,
            "max_leaf_nodes": 31,
            "min_samples_leaf": 20,
            "l2_regularization": 0.0,  # snapped to the space's lowest value
            "max_features": 1.0,
        }

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        cls = (
            HistGradientBoostingClassifier
            if data.task == "classification"
            else HistGradientBoostingRegressor
        )
        return cls(
            learning_rate=config["learning_rate"],
            max_iter=config["max_iter"],
            max_leaf_nodes=config["max_leaf_nodes"],
            min_samples_leaf=config["min_samples_leaf"],
            l2_regularization=config["l2_regularization"],
            max_features=config["max_features"],
            categorical_features=_native_categorical(data, X),
            random_state=seed,
        )


def _native_categorical(data: Dataset, X: np.ndarray) -> np.ndarray | None:
    """The categorical columns holding small non-negative integer codes (at most 255
    levels); a column with more levels is read as ordered codes, like a numeric one."""
    mask = data.categorical
    if mask is None or not mask.any():
        return None
    native = np.zeros_like(mask, dtype=bool)
    for column in np.flatnonzero(mask):
        codes = X[:, column]
        codes = codes[np.isfinite(codes)]
        usable = np.all(codes >= 0) and np.all(codes <= _MAX_CATEGORY_CODE)
        native[column] = bool(usable and np.all(codes == np.round(codes)))
    return native if native.any() else None


class SVMTool(SklearnTool):
    name = "svm"
    family = "support vector machine"
    description = (
        "Kernel support vector machine (scikit-learn SVC / SVR) on standardized features. "
        "C (log scale) is the inverse regularization: high C fits the training data "
        "closely. gamma_scale multiplies scikit-learn's default gamma='scale' "
        "(1 / (n_features * feature variance)) for the rbf and poly kernels: above 1 makes "
        "the kernel more local (risk of overfitting), below 1 smoother. C and gamma_scale "
        "interact strongly. epsilon (regression) is the width of the no-penalty tube on the "
        "standardized target. Training time grows quadratically with rows."
    )

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        params: list[FloatParam | IntParam | CategoricalParam] = [
            FloatParam(name="C", low=1e-3, high=1e3, log=True),
            FloatParam(name="gamma_scale", low=1e-3, high=1e3, log=True),
            CategoricalParam(name="kernel", choices=("rbf", "poly", "linear")),
        ]
        if task == "regression":
            params.append(FloatParam(name="epsilon", low=1e-3, high=1.0, log=True))
        return SearchSpace.of(*params)

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        config: dict[str, Any] = {"C": 1.0, "gamma_scale": 1.0, "kernel": "rbf"}
        if task == "regression":
            config["epsilon"] = 0.1
        return config

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        variance = float(np.var(X)) if X.size else 0.0
        gamma = config["gamma_scale"] / (X.shape[1] * variance) if variance > 0 else 1.0
        # libsvm has no iteration cap by default; a bad C can otherwise run for minutes.
        common = {"C": config["C"], "kernel": config["kernel"], "gamma": gamma, "max_iter": 200_000}
        if data.task == "regression":
            return _standardized_target(SVR(epsilon=config["epsilon"], **common))
        svc = SVC(random_state=seed, **common)
        if metric is not None and metric.needs_probability:
            return CalibratedClassifierCV(svc, cv=3, ensemble=False)
        return svc


class LogisticTool(SklearnTool):
    name = "logistic"
    family = "logistic regression"
    description = (
        "Regularized (multinomial) logistic regression on standardized features. C (log "
        "scale) is the inverse regularization strength: small C = strong regularization, "
        "good for small or wide data. l1_ratio mixes L1 into the L2 penalty (0 = ridge-like, "
        "1 = lasso-like sparse weights). class_weight='balanced' reweights rare classes, "
        "which helps balanced accuracy and F1 on imbalanced data."
    )
    tasks = frozenset({"classification"})

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            FloatParam(name="C", low=1e-4, high=1e4, log=True),
            FloatParam(name="l1_ratio", low=0.0, high=1.0),
            CategoricalParam(name="class_weight", choices=(None, "balanced")),
        )

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {"C": 1.0, "l1_ratio": 0.0, "class_weight": None}

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        l1_ratio = config["l1_ratio"]
        return LogisticRegression(
            C=config["C"],
            l1_ratio=l1_ratio,
            # Only saga supports an L1 share; lbfgs (the default) is faster for pure L2.
            solver="lbfgs" if l1_ratio == 0 else "saga",
            class_weight=config["class_weight"],
            max_iter=1000,
            random_state=seed,
        )


class LinearTool(SklearnTool):
    name = "linear"
    family = "ridge regression"
    description = (
        "Linear least squares with an L2 penalty (scikit-learn Ridge) on standardized "
        "features. alpha (log scale) is the only knob: larger alpha shrinks the weights more, "
        "which helps with many or correlated features; tiny alpha is ordinary least squares."
    )
    tasks = frozenset({"regression"})

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(FloatParam(name="alpha", low=1e-4, high=1e4, log=True))

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {"alpha": 1.0}

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        return Ridge(alpha=config["alpha"])


class KNNTool(SklearnTool):
    name = "knn"
    family = "k-nearest neighbours"
    description = (
        "k-nearest neighbours (scikit-learn KNeighbors) on standardized features. "
        "n_neighbors (log scale) is the main knob: small k follows the data closely and is "
        "noisy, large k smooths. weights='distance' lets closer neighbours count more. p=1 "
        "(Manhattan) can beat p=2 (Euclidean) with many or heavy-tailed features. "
        "n_neighbors is capped at the number of training rows."
    )

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            IntParam(name="n_neighbors", low=1, high=64, log=True),
            CategoricalParam(name="weights", choices=("uniform", "distance")),
            CategoricalParam(name="p", choices=(1, 2)),
        )

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {"n_neighbors": 5, "weights": "uniform", "p": 2}

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        cls = KNeighborsClassifier if data.task == "classification" else KNeighborsRegressor
        return cls(
            n_neighbors=min(config["n_neighbors"], len(X)),
            weights=config["weights"],
            p=config["p"],
            n_jobs=1,
        )


class MLPTool(SklearnTool):
    name = "mlp"
    family = "multilayer perceptron (scikit-learn)"
    description = (
        "Fully connected neural network trained with Adam (scikit-learn MLP) on "
        "standardized features (and a standardized target for regression), at most 200 "
        "epochs. learning_rate_init (log scale) matters most; alpha is the L2 penalty "
        "(raise it on small data); hidden_units and n_layers set capacity; batch_size "
        "trades noise for speed. tanh or logistic activations can beat relu on smooth "
        "problems."
    )

    def search_space(self, task: Task) -> SearchSpace:
        self._check_task(task)
        return SearchSpace.of(
            IntParam(name="hidden_units", low=16, high=256, log=True),
            IntParam(name="n_layers", low=1, high=3),
            CategoricalParam(name="activation", choices=("relu", "tanh", "logistic")),
            FloatParam(name="alpha", low=1e-6, high=1e-1, log=True),
            FloatParam(name="learning_rate_init", low=1e-4, high=1e-1, log=True),
            IntParam(name="batch_size", low=16, high=256, log=True),
        )

    def _library_defaults(self, task: Task) -> dict[str, Any]:
        return {
            "hidden_units": 100,
            "n_layers": 1,
            "activation": "relu",
            "alpha": 1e-4,
            "learning_rate_init": 1e-3,
            "batch_size": 200,  # the library's 'auto' = min(200, n_rows)
        }

    def _estimator(
        self,
        data: Dataset,
        X: np.ndarray,
        config: Mapping[str, Any],
        seed: int,
        metric: Metric | None,
    ) -> Any:
        cls = MLPClassifier if data.task == "classification" else MLPRegressor
        model = cls(
            hidden_layer_sizes=(config["hidden_units"],) * config["n_layers"],
            activation=config["activation"],
            alpha=config["alpha"],
            learning_rate_init=config["learning_rate_init"],
            batch_size=min(config["batch_size"], len(X)),
            max_iter=200,
            random_state=seed,
        )
        return model if data.task == "classification" else _standardized_target(model)


SKLEARN_TOOLS: tuple[type[SklearnTool], ...] = (
    RandomForestTool,
    HistGradientBoostingTool,
    SVMTool,
    LogisticTool,
    LinearTool,
    KNNTool,
    MLPTool,
)

__all__ = [
    "ONE_HOT_MAX_COLUMNS",
    "ONE_HOT_MIN_FREQUENCY",
    "SKLEARN_TOOLS",
    "HistGradientBoostingTool",
    "KNNTool",
    "LinearTool",
    "LogisticTool",
    "MLPTool",
    "RandomForestTool",
    "SVMTool",
    "SklearnTool",
]
