"""The data a training tool sees: a :class:`Dataset` of numpy arrays, and seeded splits.

A dataset holds a 2-D float feature matrix and a 1-D target. For classification the target
is stored as integer codes ``0..k-1`` and ``classes`` keeps the original labels, so every
tool and metric works with one label encoding. Datasets are written once to ``.npy`` files
(:meth:`Dataset.save`) and opened memory-mapped in worker processes (:meth:`Dataset.load`),
so a trial never pickles the data.

Example:
    >>> import numpy as np
    >>> data = Dataset.from_arrays(np.arange(8.0).reshape(4, 2), ["a", "b", "a", "b"])
    >>> data.task, data.classes, data.y.tolist()
    ('classification', ('a', 'b'), [0, 1, 0, 1])
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from assistant.context import DatasetInfo, FeatureInfo
from assistant.errors import ToolError

logger = logging.getLogger(__name__)

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")
# A float target with at most this many distinct values is still read as class labels.
_MAX_INFERRED_CLASSES = 20


class _DatasetMeta(BaseModel):
    """What :meth:`Dataset.save` writes next to the arrays (``meta.json``)."""

    task: Task
    name: str
    feature_names: list[str]
    classes: list[Any] | None
    image_shape: tuple[int, int, int] | None
    has_categorical: bool


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (n_rows x n_features, float), target ``y`` and what they mean.

    Build one with :meth:`from_arrays` or :meth:`from_frame`, which encode class labels;
    the constructor itself expects ``y`` already encoded as ``0..len(classes)-1``.
    ``categorical`` marks columns holding category codes; ``image_shape`` (channels,
    height, width) says how a row reshapes into an image for convolutional tools.
    """

    X: np.ndarray
    y: np.ndarray
    task: Task
    feature_names: tuple[str, ...] = ()
    categorical: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    image_shape: tuple[int, int, int] | None = None
    name: str = "dataset"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ToolError(f"task must be one of {list(TASKS)}, got {self.task!r}")
        if self.X.ndim != 2:
            raise ToolError(f"X must be 2-D (rows x features), got shape {self.X.shape}")
        if self.y.ndim != 1 or len(self.y) != len(self.X):
            raise ToolError(
                f"y must be 1-D with one value per row of X: X has {len(self.X)} rows, "
                f"y has shape {self.y.shape}"
            )
        if len(self.X) == 0:
            raise ToolError("the dataset has no rows")
        if not self.feature_names:
            names = tuple(f"x{i}" for i in range(self.X.shape[1]))
            object.__setattr__(self, "feature_names", names)
        if len(self.feature_names) != self.X.shape[1]:
            raise ToolError(
                f"{len(self.feature_names)} feature names for {self.X.shape[1]} columns"
            )
        if self.categorical is not None and self.categorical.shape != (self.X.shape[1],):
            raise ToolError("categorical must be a boolean mask with one entry per column")
        if self.task == "classification":
            if self.classes is None or len(self.classes) < 2:
                raise ToolError("classification needs at least two classes")
            if len(self.y) and (self.y.min() < 0 or self.y.max() >= len(self.classes)):
                raise ToolError("y must hold class codes 0..len(classes)-1; use from_arrays")
        if self.image_shape is not None and math.prod(self.image_shape) != self.X.shape[1]:
            raise ToolError(
                f"image_shape {self.image_shape} does not match {self.X.shape[1]} features"
            )

    # -- construction --------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        X: Any,
        y: Any,
        task: Task | None = None,
        *,
        feature_names: Sequence[str] | None = None,
        categorical: Sequence[bool] | None = None,
        image_shape: tuple[int, int, int] | None = None,
        name: str = "dataset",
    ) -> Dataset:
        """Build a dataset from array-likes, encoding class labels.

        ``task`` is inferred when omitted: a non-float target, or a float target with few
        distinct integral values, is classification.
        """
        X_arr = np.asarray(X, dtype=np.float64)
        if X_arr.ndim == 1:
            X_arr = X_arr.reshape(-1, 1)
        y_raw = np.asarray(y)
        task = task or infer_task(y_raw)
        if task == "classification":
            classes, codes = np.unique(y_raw, return_inverse=True)
            return cls(
                X=X_arr,
                y=codes.astype(np.int64).reshape(-1),
                task=task,
                feature_names=tuple(feature_names or ()),
                categorical=None if categorical is None else np.asarray(categorical, bool),
                classes=tuple(c.item() if hasattr(c, "item") else c for c in classes),
                image_shape=image_shape,
                name=name,
            )
        return cls(
            X=X_arr,
            y=np.asarray(y_raw, dtype=np.float64),
            task=task,
            feature_names=tuple(feature_names or ()),
            categorical=None if categorical is None else np.asarray(categorical, bool),
            image_shape=image_shape,
            name=name,
        )

    @classmethod
    def from_frame(
        cls, frame: Any, target: str, task: Task | None = None, *, name: str = "dataset"
    ) -> Dataset:
        """Build a dataset from a pandas DataFrame and the name of its target column.

        Numeric and boolean columns become floats; every other column is encoded as
        category codes (missing values stay NaN) and marked categorical.
        """
        import pandas as pd

        if target not in frame.columns:
            raise ToolError(f"target column {target!r} is not in the frame")
        features = frame.drop(columns=[target])
        columns: list[np.ndarray] = []
        categorical: list[bool] = []
        for column in features.columns:
            series = features[column]
            if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
                columns.append(series.to_numpy(dtype=np.float64, na_value=np.nan))
                categorical.append(False)
            else:
                codes = series.astype("category").cat.codes.to_numpy().astype(np.float64)
                codes[codes < 0] = np.nan
                columns.append(codes)
                categorical.append(True)
        X = np.column_stack(columns) if columns else np.empty((len(frame), 0))
        return cls.from_arrays(
            X,
            frame[target].to_numpy(),
            task,
            feature_names=[str(c) for c in features.columns],
            categorical=categorical if any(categorical) else None,
            name=name,
        )

    # -- shape -------------------------------------------------------------------------
    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (0 for regression)."""
        return len(self.classes) if self.classes is not None else 0

    def subset(self, rows: np.ndarray) -> Dataset:
        """The same dataset restricted to ``rows`` (an index array); labels keep their codes."""
        return Dataset(
            X=np.asarray(self.X[rows]),
            y=np.asarray(self.y[rows]),
            task=self.task,
            feature_names=self.feature_names,
            categorical=self.categorical,
            classes=self.classes,
            image_shape=self.image_shape,
            name=self.name,
        )

    def info(self) -> DatasetInfo:
        """What the LLM may be told about this dataset (no values)."""
        mask = self.categorical if self.categorical is not None else np.zeros(self.n_features)
        features = tuple(
            FeatureInfo(name=n, kind="categorical" if m else "numeric")
            for n, m in zip(self.feature_names, mask, strict=True)
        )
        balance = None
        if self.task == "classification":
            counts = np.bincount(self.y, minlength=self.n_classes) / max(self.n_rows, 1)
            balance = {str(c): float(f) for c, f in zip(self.classes or (), counts, strict=True)}
        kind: Literal["binary", "multiclass", "regression"] = "regression"
        if self.task == "classification":
            kind = "binary" if self.n_classes == 2 else "multiclass"
        return DatasetInfo(
            name=self.name,
            n_rows=self.n_rows,
            n_features=self.n_features,
            features=features,
            target_kind=kind,
            class_balance=balance,
        )

    # -- files ---------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write the arrays as ``.npy`` files and the rest as ``meta.json`` into ``directory``."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        np.save(path / "X.npy", np.ascontiguousarray(self.X))
        np.save(path / "y.npy", np.ascontiguousarray(self.y))
        if self.categorical is not None:
            np.save(path / "categorical.npy", self.categorical)
        meta = _DatasetMeta(
            task=self.task,
            name=self.name,
            feature_names=list(self.feature_names),
            classes=list(self.classes) if self.classes is not None else None,
            image_shape=self.image_shape,
            has_categorical=self.categorical is not None,
        )
        (path / "meta.json").write_text(meta.model_dump_json())
        logger.debug("saved dataset %r (%d x %d) to %s", self.name, *self.X.shape, path)
        return path

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = True) -> Dataset:
        """Open a dataset written by :meth:`save`; arrays are memory-mapped read-only."""
        path = Path(directory)
        meta = _DatasetMeta.model_validate(json.loads((path / "meta.json").read_text()))
        mode: Literal["r"] | None = "r" if mmap else None
        return cls(
            X=np.load(path / "X.npy", mmap_mode=mode),
            y=np.load(path / "y.npy", mmap_mode=mode),
            task=meta.task,
            feature_names=tuple(meta.feature_names),
            categorical=np.load(path / "categorical.npy") if meta.has_categorical else None,
            classes=tuple(meta.classes) if meta.classes is not None else None,
            image_shape=meta.image_shape,
            name=meta.name,
        )


def infer_task(y: np.ndarray) -> Task:
    """Guess the task from a target: floats with many or fractional values are regression.

    >>> infer_task(np.array([0.5, 1.7, 2.2])), infer_task(np.array(["x", "y"]))
    ('regression', 'classification')
    """
    if y.dtype.kind == "f":
        finite = y[np.isfinite(y)]
        integral = np.all(finite == np.round(finite))
        if integral and len(np.unique(finite)) <= _MAX_INFERRED_CLASSES:
            return "classification"
        return "regression"
    return "classification"


def kfold_indices(data: Dataset, n_folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Seeded (train, valid) row indices: stratified for classification, plain otherwise.

    >>> import numpy as np
    >>> d = Dataset.from_arrays(np.zeros((6, 1)), [0, 1] * 3)
    >>> [len(v) for _, v in kfold_indices(d, 3, seed=0)]
    [2, 2, 2]
    """
    if n_folds < 2:
        raise ToolError(f"n_folds must be >= 2, got {n_folds}")
    if n_folds > data.n_rows:
        raise ToolError(f"n_folds={n_folds} is more than the {data.n_rows} rows")
    if data.task == "classification":
        splitter: StratifiedKFold | KFold = StratifiedKFold(
            n_splits=n_folds, shuffle=True, random_state=seed
        )
    else:
        splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    rows = np.zeros(data.n_rows)
    return list(splitter.split(rows, np.asarray(data.y)))


def holdout_indices(data: Dataset, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded (train, test) row indices, stratified for classification."""
    if not 0.0 < test_size < 1.0:
        raise ToolError(f"test_size must be in (0, 1), got {test_size}")
    rows = np.arange(data.n_rows)
    stratify = np.asarray(data.y) if data.task == "classification" else None
    train, test = train_test_split(rows, test_size=test_size, random_state=seed, stratify=stratify)
    return np.sort(train), np.sort(test)
