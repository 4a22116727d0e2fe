"""A tuned model that takes raw tables: :class:`DeployedModel`, saved and loaded as one file.

A deployed model is the refitted best model, the tool that trained it, and the
:class:`~assistant.tools.data.FrameEncoding` fitted on the training rows, so new rows are
coded exactly as the training rows were. Columns are found by name (any order); a missing
column is an :class:`~assistant.errors.AssistantError`; the target column is dropped and
other extra columns are ignored with a :class:`DeployWarning`; a categorical value never
seen in training is coded as missing, with one :class:`DeployWarning` naming the column and
the values (never given a code of its own).

The file is written with joblib (a pickle: load only files you trust), with the versions of
the libraries that made it; :func:`load_model` warns when the installed ones differ.

Example:
    >>> import assistant, os, tempfile, pandas as pd
    >>> from sklearn.datasets import load_iris
    >>> frame = load_iris(as_frame=True).frame
    >>> folder = tempfile.mkdtemp()
    >>> result = assistant.tune(frame, "target", model="knn", n_trials=2, llm="off",
    ...                         storage=f"sqlite:///{folder}/t.db", n_folds=3,
    ...                         verbose=False, isolation="inline")
    >>> path = result.save(os.path.join(folder, "iris.joblib"))
    >>> model = assistant.load_model(path)
    >>> model.predict(frame.head(2)).tolist()
    [0, 0]
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import AssistantError

logger = logging.getLogger(__name__)

FORMAT = "automl-assistant-model"
FORMAT_VERSION = 1
# Libraries whose version decides whether a saved model unpickles and predicts the same.
_CHECKED = ("automl-assistant", "scikit-learn", "numpy", "pandas", "joblib")
_OPTIONAL = ("lightgbm", "xgboost", "catboost", "torch")


class DeployWarning(UserWarning):
    """New data differs from the training data (unseen categories, extra columns), or a
    saved model was made with other library versions."""


class DeployedModel:
    """A fitted model with the coding of its training columns: ``predict(frame)`` on raw rows.

    Build one with :meth:`~assistant.api.TuningResult.deployed_model` or
    :func:`load_model`. ``feature_columns`` are the columns a frame must have; ``task``,
    ``metric``, ``classes`` (the original labels, for classification) and ``versions`` (the
    libraries it was made with) describe it.
    """

    def __init__(
        self,
        *,
        tool: Any,
        model: Any,
        encoding: Any,
        task: str,
        metric: str,
        classes: tuple[Any, ...] | None = None,
        config: dict[str, Any] | None = None,
        versions: dict[str, str] | None = None,
    ) -> None:
        self.tool = tool
        self.model = model
        self.encoding = encoding
        self.task = task
        self.metric = metric
        self.classes = classes
        self.config = dict(config or {})
        self.versions = dict(versions or library_versions())

    @property
    def feature_columns(self) -> list[str]:
        """The input columns, in training order."""
        return list(self.encoding.input_columns)

    @property
    def target(self) -> str | None:
        """The label column of the training frame (dropped if a frame to predict has it)."""
        return self.encoding.target

    def predict(self, data: Any) -> np.ndarray:
        """Predicted labels (the original class labels) or values for ``data``'s rows."""
        outputs = self._outputs(data)
        if self.task == "regression":
            return outputs
        labels = np.asarray(self.classes, dtype=object)[np.argmax(outputs, axis=1)]
        # Labels come back with their own type (strings, integers), not as objects.
        return np.asarray(labels.tolist())

    def predict_proba(self, data: Any) -> np.ndarray:
        """Class probabilities (rows x classes, columns in :attr:`classes` order)."""
        if self.task != "classification":
            raise AssistantError("predict_proba is for classification; use predict")
        return self._outputs(data)

    def save(self, path: str | Path) -> Path:
        """Write the model to one file (joblib) and return its path."""
        import joblib

        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "meta": {
                "task": self.task,
                "metric": self.metric,
                "classes": list(self.classes) if self.classes is not None else None,
                "config": self.config,
                "encoding": self.encoding.model_dump(mode="json"),
                "versions": self.versions,
            },
            "tool": self.tool,
            "model": self.model,
        }
        joblib.dump(payload, target, compress=3)
        logger.info("saved the %s model to %s", self.task, target)
        return target

    def __repr__(self) -> str:
        name = getattr(self.tool, "name", type(self.tool).__name__)
        return (
            f"DeployedModel({name}, {self.task}, metric={self.metric}, "
            f"{len(self.feature_columns)} columns)"
        )

    # -- internals ------------------------------------------------------------------------
    def _outputs(self, data: Any) -> np.ndarray:
        from assistant.errors import ToolError
        from assistant.tools import Dataset

        frame = self._frame(data)
        try:
            X, report = self.encoding.transform(frame)
        except ToolError as exc:
            raise AssistantError(str(exc)) from exc
        if report.ignored:
            _warn(f"ignoring column(s) the model was not trained on: {report.ignored}")
        for column, values in report.unseen.items():
            shown = ", ".join(repr(v) for v in values[:10])
            more = f" and {len(values) - 10} more" if len(values) > 10 else ""
            _warn(
                f"column {column!r} has value(s) not seen in training, treated as missing: "
                f"{shown}{more}",
            )
        for column, count in report.unparsed.items():
            _warn(
                f"column {column!r}: {count} value(s) are not numbers (or dates), treated as "
                "missing"
            )
        for column, count in report.infinite.items():
            _warn(f"column {column!r}: {count} infinite value(s), treated as missing")
        if len(X) == 0:
            return np.empty((0, len(self.classes or ()))) if self.classes else np.empty(0)
        mask = np.asarray(self.encoding.categorical_mask, dtype=bool)
        rows = Dataset(
            X=X,
            y=np.zeros(len(X), dtype=np.int64 if self.classes else np.float64),
            task=self.task,  # type: ignore[arg-type]  # a Task, as the session recorded it
            feature_names=tuple(self.encoding.feature_names),
            categorical=mask if mask.any() else None,  # as Dataset.from_frame marks it
            classes=self.classes,
        )
        return np.asarray(self.tool.predict(self.model, rows))

    def _frame(self, data: Any) -> Any:
        import pandas as pd

        if hasattr(data, "columns"):
            return data
        array = np.asarray(data)
        if array.ndim == 2 and array.shape[1] == len(self.feature_columns):
            return pd.DataFrame(array, columns=self.feature_columns)
        raise AssistantError(
            f"pass a DataFrame with the columns {self.feature_columns}, got "
            f"{type(data).__name__} of shape {getattr(array, 'shape', None)}"
        )


def deployed_from(
    session: Any, model: Any, tool: Any = None, config: dict[str, Any] | None = None
) -> DeployedModel:
    """The deployable model of a finished session whose best configuration was refitted:
    ``tool`` trained ``model`` on ``config`` (default: the session's tool and the best
    trial's parameters; a ``model="auto"`` session or an ensemble passes its own)."""
    from assistant.tools import get_tool
    from assistant.tools.data import FrameEncoding

    if model is None:
        raise AssistantError(
            "this result has no refitted model to predict with: the session finished no "
            "trial, was stopped before its final refit (result.finalize() refits the best "
            "trial so far), or its model is a function that only returns scores"
        )
    train, _test = session.load_data()
    encoding = train.encoding or FrameEncoding.numeric(train.feature_names)
    return DeployedModel(
        tool=tool if tool is not None else get_tool(session.spec.tool),
        model=model,
        encoding=encoding,
        task=session.spec.task,
        metric=session.spec.metric,
        classes=train.classes,
        config=dict(config if config is not None else session.study.best_trial.params),
    )


def save(model: DeployedModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (see :meth:`DeployedModel.save`)."""
    return model.save(path)


def load_model(path: str | Path) -> DeployedModel:
    """Load a model written by ``TuningResult.save`` / :meth:`DeployedModel.save`.

    The file is a pickle: load only files you trust. A :class:`DeployWarning` says which
    libraries differ from the versions the model was saved with.
    """
    import joblib

    from assistant.tools.data import FrameEncoding

    source = Path(path)
    if not source.is_file():
        raise AssistantError(f"no saved model at {source}")
    payload = joblib.load(source)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise AssistantError(f"{source} is not a model saved by automl-assistant")
    if payload.get("format_version", 0) > FORMAT_VERSION:
        raise AssistantError(
            f"{source} was saved by a newer automl-assistant (format "
            f"{payload['format_version']}); upgrade to load it"
        )
    meta = payload["meta"]
    saved = meta.get("versions", {})
    installed = {name: _installed_version(name) for name in saved if name != "python"}
    differ = [
        f"{name} {saved[name]} (installed: {version or 'none'})"
        for name, version in installed.items()
        if version != saved[name]
    ]
    if differ:
        _warn(
            "this model was saved with other library versions, its predictions may differ: "
            + ", ".join(differ),
        )
    classes = meta.get("classes")
    return DeployedModel(
        tool=payload["tool"],
        model=payload["model"],
        encoding=FrameEncoding.model_validate(meta["encoding"]),
        task=meta["task"],
        metric=meta["metric"],
        classes=tuple(classes) if classes is not None else None,
        config=meta.get("config"),
        versions=saved,
    )


def library_versions() -> dict[str, str]:
    """The versions of Python and of the libraries a saved model depends on."""
    names = [*_CHECKED, *(n for n in _OPTIONAL if n in sys.modules)]  # the libraries loaded
    versions = {"python": platform.python_version()}
    versions.update({n: v for n in names if (v := _installed_version(n)) is not None})
    return versions


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _warn(message: str) -> None:
    """A :class:`DeployWarning` at the user's line (the ``predict`` or ``load_model`` call)."""
    from assistant.errors import warn_user

    warn_user(message, DeployWarning)
