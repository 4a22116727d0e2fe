"""The data a training tool sees: a :class:`Dataset` of numpy arrays, and seeded splits.

A dataset holds a 2-D float feature matrix and a 1-D target. For classification the target
is stored as integer codes ``0..k-1`` and ``classes`` keeps the original labels, so every
tool and metric works with one label encoding. Datasets are written once to ``.npy`` files
(:meth:`Dataset.save`) and opened memory-mapped in worker processes (:meth:`Dataset.load`),
so a trial never pickles the data.

A table becomes a matrix through a :class:`FrameEncoding`, built from scikit-learn's own
transformers (a ``ColumnTransformer`` of an ``OrdinalEncoder`` for categorical columns, a
``FunctionTransformer`` for datetime parts, a ``HashingVectorizer`` for free text, numeric
columns passed through). It is plain data (the kind of each column, the categories of the
categorical ones), saved with the dataset, so the columns of new rows are coded exactly as
the training rows were; :func:`~assistant.tools.evaluation.split_holdout` refits it on the
training rows only (:meth:`Dataset.refit_encoding`).

**Free text.** A string column whose values are mostly distinct and several words long (see
:func:`is_text`) is text, not a categorical with a level per row: it becomes
:data:`TEXT_FEATURES` hashed word counts (scikit-learn's ``HashingVectorizer``, unigrams,
l2-normalized, signed buckets) and its word count, ``name_0 .. name_31`` and ``name_words``.
The hashing is stateless: a row's features depend on that row alone, so there is nothing to
fit, save or refit, the held-out rows can never leak into them, and new rows (with words
never seen in training) are coded the same way. A fitted TF-IDF + truncated SVD (skrub's
``StringEncoder``) extracts more signal from small vocabularies, but its vocabulary and
components would have to be fitted on the training rows' raw text, which a saved dataset no
longer has, and stored with the encoding.

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
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, PrivateAttr
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from assistant.context import DatasetInfo, FeatureInfo
from assistant.errors import ToolError, warn_user

logger = logging.getLogger(__name__)

Task = Literal["classification", "regression"]
TASKS: tuple[Task, ...] = ("classification", "regression")
# A float target with at most this many distinct values is still read as class labels.
_MAX_INFERRED_CLASSES = 20
# A datetime column becomes these numeric parts; "days" (since 1970-01-01) carries the trend.
DATETIME_PARTS = ("year", "month", "day", "weekday", "hour", "days")
# Text columns whose every value starts like an ISO date are read as datetimes (CSV files).
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Other spellings of a date (12/31/2024, 31.12.2024): not read as dates, since the order of
# day and month is a guess; named in the warning when such a column is left out.
_DATE_LIKE = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"
_NS_PER_DAY = 86_400 * 10**9
# A text column becomes this many hashed word features (and its word count).
TEXT_FEATURES = 32
# The rule of is_text: at least this many values, this share of them distinct, and a
# median of at least this many words per value.
TEXT_MIN_ROWS = 20
TEXT_MIN_DISTINCT = 0.5
TEXT_MIN_WORDS = 3
# A string column with a distinct value on every one of at least this many rows is an
# identifier (a customer id, an e-mail): no pattern generalizes from it, so it is not used.
IDENTIFIER_MIN_ROWS = 20
ColumnKind = Literal["numeric", "categorical", "datetime", "text", "identifier"]
_KINDS: tuple[ColumnKind, ...] = ("numeric", "categorical", "datetime", "text", "identifier")


class ColumnEncoding(BaseModel):
    """How one input column is coded: ``categories`` (in code order) for a categorical one,
    the number of hashed word features for a text one."""

    name: str
    kind: ColumnKind
    categories: list[str] = []
    text_features: int = 0

    @property
    def outputs(self) -> list[str]:
        """The feature names this column becomes."""
        if self.kind == "datetime":
            return [f"{self.name}_{part}" for part in DATETIME_PARTS]
        if self.kind == "text":
            return [f"{self.name}_{i}" for i in range(self.text_features)] + [f"{self.name}_words"]
        if self.kind == "identifier":
            return []
        return [self.name]


class EncodedFrame(BaseModel):
    """What :meth:`FrameEncoding.transform` found besides the matrix: values of categorical
    columns never seen in training (coded as missing) and the columns it ignored."""

    unseen: dict[str, list[str]] = {}
    ignored: list[str] = []
    unparsed: dict[str, int] = {}
    """Numeric and datetime columns: how many present values could not be read as numbers
    or dates (now missing)."""
    infinite: dict[str, int] = {}
    """Numeric columns: how many values were infinite (now missing, as no model takes them)."""


class FrameEncoding(BaseModel):
    """The fitted coding of a table's feature columns, as plain (JSON) data.

    Numeric and boolean columns pass through as floats; datetime columns become
    :data:`DATETIME_PARTS`; free-text columns (:func:`is_text`) hashed word features and a
    word count; other columns get category codes ``0..k-1`` in the order of ``categories``
    (fitted by scikit-learn's ``OrdinalEncoder``). Missing values, and categories never seen
    in fitting, are coded NaN. ``target`` is the label column that was left out.

    Example:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"colour": ["red", "blue"], "size": [1, 2], "y": [0, 1]})
        >>> encoding = FrameEncoding.fit(frame, target="y")
        >>> encoding.columns[0].categories
        ['blue', 'red']
        >>> encoding.transform(pd.DataFrame({"size": [3], "colour": ["red"]}))[0].tolist()
        [[1.0, 3.0]]
    """

    columns: list[ColumnEncoding]
    target: str | None = None
    _transformer: Any = PrivateAttr(default=None)

    @classmethod
    def fit(cls, frame: Any, target: str | None = None) -> FrameEncoding:
        """Type the columns of ``frame`` (all but ``target``) and fit their coding on it."""
        import pandas as pd

        features = frame.drop(columns=[target]) if target in frame.columns else frame
        names = [str(c) for c in features.columns]
        if len(set(names)) != len(names):
            raise ToolError(f"the frame has duplicate column names: {names}")
        features = features.set_axis(names, axis=1)
        kinds = {name: _column_kind(features[name]) for name in names}
        columns = [
            ColumnEncoding(
                name=n, kind=kinds[n], text_features=TEXT_FEATURES if kinds[n] == "text" else 0
            )
            for n in names
        ]
        encoding = cls(columns=columns, target=target)
        transformer = encoding._build(categories=None)
        transformer.fit(encoding._prepare(features, pd))
        if encoding._names("categorical"):
            fitted = transformer.named_transformers_["categorical"].categories_
            for column, categories in zip(encoding._of("categorical"), fitted, strict=True):
                # The encoder lists a missing value as a last category; it is coded NaN anyway.
                column.categories = [str(c) for c in categories if not pd.isna(c)]
        encoding._transformer = transformer
        return encoding

    @classmethod
    def numeric(cls, names: Sequence[str]) -> FrameEncoding:
        """The coding of a matrix given as arrays: every column passes through."""
        return cls(columns=[ColumnEncoding(name=n, kind="numeric") for n in names])

    @property
    def input_columns(self) -> list[str]:
        """The columns a frame to encode must have (identifiers are not used, so not needed)."""
        return [c.name for c in self.columns if c.kind != "identifier"]

    @property
    def identifiers(self) -> list[str]:
        """The columns left out as identifiers (a distinct string on every training row)."""
        return [c.name for c in self.columns if c.kind == "identifier"]

    @property
    def feature_names(self) -> list[str]:
        """The names of the matrix columns, in order."""
        return [name for c in self.columns for name in c.outputs]

    @property
    def categorical_mask(self) -> list[bool]:
        """One entry per matrix column: does it hold category codes?"""
        return [c.kind == "categorical" for c in self.columns for _ in c.outputs]

    def transform(self, frame: Any) -> tuple[np.ndarray, EncodedFrame]:
        """Code ``frame``'s columns (found by name, in any order) into a float matrix.

        A missing column raises :class:`ToolError` naming it; the target column is dropped;
        other extra columns and unseen categories are listed in the returned report.
        """
        import pandas as pd

        by_name = {str(c): c for c in frame.columns}
        missing = [n for n in self.input_columns if n not in by_name]
        if missing:
            raise ToolError(
                f"the data lacks the column(s) {missing} the model was trained on "
                f"(expected {self.input_columns})"
            )
        known = {c.name for c in self.columns}
        report = EncodedFrame(ignored=[n for n in by_name if n not in known and n != self.target])
        features = frame[[by_name[n] for n in self.input_columns]].set_axis(
            self.input_columns, axis=1
        )
        prepared = self._prepare(features, pd, report)
        for column in self._of("categorical"):
            values = prepared[column.name].dropna().unique()
            unseen = sorted(set(values) - set(column.categories))
            if unseen:
                report.unseen[column.name] = unseen
        if self._transformer is None:
            self._transformer = self._build(
                categories=[c.categories for c in self._of("categorical")]
            )
            self._transformer.fit(prepared.iloc[:1])
        grouped = np.asarray(self._transformer.transform(prepared), dtype=np.float64)
        return grouped[:, self._order()], report

    # -- internals ----------------------------------------------------------------------
    def _of(self, kind: ColumnKind) -> list[ColumnEncoding]:
        return [c for c in self.columns if c.kind == kind]

    def _names(self, kind: ColumnKind) -> list[str]:
        return [c.name for c in self._of(kind)]

    def _build(self, categories: list[list[str]] | None) -> Any:
        """The scikit-learn transformer; it outputs numeric, categorical, datetime groups."""
        from sklearn.compose import ColumnTransformer
        from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder

        parts: list[tuple[str, Any, list[str]]] = []
        if self._names("numeric"):
            parts.append(("numeric", "passthrough", self._names("numeric")))
        if self._names("categorical"):
            encoder = OrdinalEncoder(
                categories="auto" if categories is None else categories,
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                encoded_missing_value=np.nan,
                dtype=np.float64,
            )
            parts.append(("categorical", encoder, self._names("categorical")))
        if self._names("datetime"):
            parts.append(("datetime", FunctionTransformer(datetime_parts), self._names("datetime")))
        if self._names("text"):
            widths = [c.text_features for c in self._of("text")]
            hashing = FunctionTransformer(text_features, kw_args={"widths": widths})
            parts.append(("text", hashing, self._names("text")))
        return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)

    def _order(self) -> np.ndarray:
        """Where each matrix column (in frame order) sits in the transformer's output."""
        by_kind: dict[ColumnKind, list[int]] = {kind: [] for kind in _KINDS}
        position = 0
        for column in self.columns:
            width = len(column.outputs)
            by_kind[column.kind].extend(range(position, position + width))
            position += width
        grouped = [i for kind in _KINDS for i in by_kind[kind]]  # the order of _build's parts
        return np.argsort(np.array(grouped, dtype=np.intp))

    def _prepare(self, features: Any, pd: Any, report: EncodedFrame | None = None) -> Any:
        """One clean dtype per kind: floats (NaN when missing or infinite), strings (NaN when
        missing), naive UTC datetimes."""
        columns: dict[str, Any] = {}
        features = features.reset_index(drop=True)  # masks below need a unique index
        for column in self.columns:
            if column.kind == "identifier":
                continue
            series = features[column.name]
            if column.kind == "numeric":
                values = pd.to_numeric(series, errors="coerce")  # "?", "n/a": missing
                lost = int((pd.isna(values) & series.notna()).sum())
                if lost and report is not None:
                    report.unparsed[column.name] = lost
                numbers = pd.Series(values, index=series.index).astype("float64")
                infinite = np.isinf(numbers.to_numpy())
                if infinite.any():
                    numbers[infinite] = np.nan
                    if report is not None:
                        report.infinite[column.name] = int(infinite.sum())
                columns[column.name] = numbers
            elif column.kind in ("categorical", "text"):
                present = series.notna()
                text = pd.Series(np.nan, index=series.index, dtype=object)
                text[present] = series[present].astype(str).astype(object)
                columns[column.name] = text
            else:
                parsed = _as_datetime(series, pd)
                lost = int((parsed.isna() & series.notna()).sum())
                if lost and report is not None:
                    report.unparsed[column.name] = lost
                columns[column.name] = parsed
        return pd.DataFrame(columns, index=features.index)


def _column_kind(series: Any) -> ColumnKind:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    present = series.dropna()
    if _numbers_with_placeholders(present, pd):
        return "numeric"
    first = present.iloc[0] if len(present) else None
    if isinstance(first, str) and _ISO_DATE.match(first):  # a cheap look before a full one
        texts = bool(present.map(lambda v: isinstance(v, str)).all())
        dates = texts and bool(present.str.match(_ISO_DATE.pattern).all())
        if dates and _as_datetime(present, pd).notna().all():
            return "datetime"
    if is_text(present):
        return "text"
    if len(present) >= IDENTIFIER_MIN_ROWS and present.nunique() == len(present):
        return "identifier"
    return "categorical"


NUMERIC_TEXT_SHARE = 0.9
"""A column of strings is numeric when at least this share of its values are numbers and
the rest are a few placeholder spellings (:func:`_numbers_with_placeholders`)."""
PLACEHOLDERS_MAX = 3


def _numbers_with_placeholders(present: Any, pd: Any) -> bool:
    """Whether strings are numbers with a few spellings of "missing" among them ("?", "-",
    "n/a"), as a CSV writes a numeric column that pandas then reads as text. Strings that
    are all numbers stay categorical: without placeholders pandas would have read them as
    numbers, so text there was the user's choice (codes, zip codes)."""
    if not len(present) or not present.map(lambda v: isinstance(v, str)).all():
        return False
    numbers = pd.to_numeric(present.str.strip(), errors="coerce")
    placeholders = present[numbers.isna()].str.strip().unique()
    return bool(
        0 < len(placeholders) <= PLACEHOLDERS_MAX and numbers.notna().mean() >= NUMERIC_TEXT_SHARE
    )


def is_text(values: Any) -> bool:
    """Whether a column's present ``values`` are free text rather than categories.

    The rule: at least :data:`TEXT_MIN_ROWS` values, all strings, at least
    :data:`TEXT_MIN_DISTINCT` of them distinct, and a median of at least
    :data:`TEXT_MIN_WORDS` words (split on white space). Ids and codes ("A-1023") are one
    word, names and short labels ("New York") two, so they stay categorical, however many.

    >>> import pandas as pd
    >>> is_text(pd.Series([f"review number {i} was fine" for i in range(30)]))
    True
    >>> is_text(pd.Series([f"user_{i}" for i in range(30)]))
    False
    """
    if len(values) < TEXT_MIN_ROWS or not values.map(lambda v: isinstance(v, str)).all():
        return False
    if values.nunique() < TEXT_MIN_DISTINCT * len(values):
        return False
    return bool(values.str.split().str.len().median() >= TEXT_MIN_WORDS)


def _as_datetime(series: Any, pd: Any) -> Any:
    """Datetimes as naive UTC; text is read as ISO 8601 (unreadable values become NaT)."""
    if not pd.api.types.is_datetime64_any_dtype(series):
        series = pd.to_datetime(series, errors="coerce", format="ISO8601", utc=True)
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.astype("datetime64[ns]")


def datetime_parts(frame: Any) -> np.ndarray:
    """The :data:`DATETIME_PARTS` of each datetime column, side by side (NaN when missing)."""
    blocks = []
    for name in frame.columns:
        stamps = frame[name]
        dt = stamps.dt
        days = stamps.astype("int64").to_numpy() / _NS_PER_DAY
        parts = [dt.year, dt.month, dt.day, dt.day_of_week, dt.hour]
        block = np.column_stack([p.to_numpy(dtype=np.float64, na_value=np.nan) for p in parts])
        missing = stamps.isna().to_numpy()
        days = np.where(missing, np.nan, days)
        blocks.append(np.column_stack([block, days]))
    return np.hstack(blocks) if blocks else np.empty((len(frame), 0))


def text_features(frame: Any, widths: Sequence[int]) -> np.ndarray:
    """Each text column's hashed word counts (``widths[i]`` of them) and its word count,
    side by side; NaN throughout for a missing value.

    A ``HashingVectorizer`` (word unigrams, lower-cased, signed buckets, l2-normalized) needs
    no fitting, so this is a plain function of each row.
    """
    from sklearn.feature_extraction.text import HashingVectorizer

    blocks = []
    for name, width in zip(frame.columns, widths, strict=True):
        values = frame[name]
        missing = values.isna().to_numpy()
        texts = values.where(~missing, "").astype(str)
        hashing = HashingVectorizer(n_features=width, alternate_sign=True, norm="l2")
        hashed = hashing.transform(texts).toarray()
        words = texts.str.split().str.len().to_numpy(dtype=np.float64)
        block = np.column_stack([hashed, words])
        block[missing] = np.nan
        blocks.append(block)
    return np.hstack(blocks) if blocks else np.empty((len(frame), 0))


class _DatasetMeta(BaseModel):
    """What :meth:`Dataset.save` writes next to the arrays (``meta.json``)."""

    task: Task
    name: str
    feature_names: list[str]
    classes: list[Any] | None
    image_shape: tuple[int, int, int] | None
    has_categorical: bool
    encoding: FrameEncoding | None = None  # absent in datasets saved before it existed


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (n_rows x n_features, float), target ``y`` and what they mean.

    Build one with :meth:`from_arrays` or :meth:`from_frame`, which encode class labels;
    the constructor itself expects ``y`` already encoded as ``0..len(classes)-1``.
    ``categorical`` marks columns holding category codes; ``image_shape`` (channels,
    height, width) says how a row reshapes into an image for convolutional tools.
    ``encoding`` (datasets built from a frame) codes new rows the way ``X`` was coded.
    ``rows_without_target`` counts the rows :meth:`from_arrays` and :meth:`from_frame` left
    out because their target was missing or infinite (they warn when they do).
    """

    X: np.ndarray
    y: np.ndarray
    task: Task
    feature_names: tuple[str, ...] = ()
    categorical: np.ndarray | None = None
    classes: tuple[Any, ...] | None = None
    image_shape: tuple[int, int, int] | None = None
    name: str = "dataset"
    encoding: FrameEncoding | None = field(default=None, repr=False)
    rows_without_target: int = 0

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
        if self.X.shape[1] == 0:
            raise ToolError("the dataset has no feature columns, only the target")
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
        if self.encoding is not None and self.encoding.feature_names != list(self.feature_names):
            raise ToolError("the encoding's feature names differ from the dataset's")

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
        distinct integral values, is classification. Rows whose target is missing (None,
        NaN) or infinite are left out, with a warning; a target with no value at all is a
        :class:`ToolError`. Infinite feature values become missing, with a warning.
        """
        X_arr = np.asarray(X, dtype=np.float64)
        if X_arr.ndim == 1:
            X_arr = X_arr.reshape(-1, 1)
        infinite = np.isinf(X_arr)
        if infinite.any():  # no model takes them; most take missing values
            X_arr = np.where(infinite, np.nan, X_arr)
            warn_user(
                f"{int(infinite.sum())} infinite feature value(s) in "
                f"{int(infinite.any(axis=0).sum())} column(s), treated as missing"
            )
        y_raw = np.asarray(y)
        present = target_present(y_raw)
        dropped = _left_out(present, "the target")
        if dropped and len(X_arr) == len(y_raw):  # a length mismatch is __post_init__'s error
            X_arr, y_raw = X_arr[present], y_raw[present]
        task = task or infer_task(y_raw)
        if task == "classification":
            try:
                classes, codes = np.unique(y_raw, return_inverse=True)
            except TypeError as exc:  # e.g. 1 and "1" in one column: no order to code them by
                kinds = sorted({type(v).__name__ for v in y_raw.ravel()})
                raise ToolError(
                    f"the target's labels mix kinds of values ({', '.join(kinds)}); "
                    "make them one kind, e.g. all strings"
                ) from exc
            return cls(
                X=X_arr,
                y=codes.astype(np.int64).reshape(-1),
                task=task,
                feature_names=tuple(feature_names or ()),
                categorical=None if categorical is None else np.asarray(categorical, bool),
                classes=tuple(c.item() if hasattr(c, "item") else c for c in classes),
                image_shape=image_shape,
                name=name,
                rows_without_target=dropped,
            )
        return cls(
            X=X_arr,
            y=np.asarray(y_raw, dtype=np.float64),
            task=task,
            feature_names=tuple(feature_names or ()),
            categorical=None if categorical is None else np.asarray(categorical, bool),
            image_shape=image_shape,
            name=name,
            rows_without_target=dropped,
        )

    @classmethod
    def from_frame(
        cls,
        frame: Any,
        target: str,
        task: Task | None = None,
        *,
        name: str = "dataset",
        encoding: FrameEncoding | None = None,
    ) -> Dataset:
        """Build a dataset from a pandas DataFrame and the name of its target column.

        Columns are coded by ``encoding``, fitted on ``frame`` when omitted (see
        :class:`FrameEncoding`): numeric and boolean columns become floats, datetime columns
        numeric parts, free-text columns hashed word features, every other column category
        codes (missing values stay NaN), marked categorical.
        """
        if target not in frame.columns:
            raise ToolError(f"target column {target!r} is not in the frame")
        present = target_present(frame[target].to_numpy())
        dropped = _left_out(present, f"target column {target!r}")
        if dropped:  # before the encoding is fitted: those rows are not part of the data
            frame = frame.loc[present]
        if encoding is None:
            encoding = FrameEncoding.fit(frame, target)
            if encoding.identifiers:
                warn_user(_identifiers_left_out(frame, encoding.identifiers))
        X, report = encoding.transform(frame)
        if report.unseen:
            logger.warning("values unseen by the encoding, coded as missing: %s", report.unseen)
        if report.infinite:
            warn_user(f"infinite values, treated as missing: {report.infinite} (column: count)")
        if report.unparsed:
            warn_user(
                "values that are not numbers (or dates), treated as missing: "
                f"{report.unparsed} (column: count)"
            )
        categorical = encoding.categorical_mask
        data = cls.from_arrays(
            X,
            frame[target].to_numpy(),
            task,
            feature_names=encoding.feature_names,
            categorical=categorical if any(categorical) else None,
            name=name,
        )
        object.__setattr__(data, "encoding", encoding)
        object.__setattr__(data, "rows_without_target", dropped)
        return data

    def refit_encoding(self, rows: np.ndarray) -> Dataset:
        """This dataset coded as if its encoding had been fitted on ``rows`` only.

        Categories that occur only outside ``rows`` become missing there, as unseen values
        do at prediction; the codes of the others keep their order. Fitting the
        ``OrdinalEncoder`` on those rows of the frame gives the same codes, so the saved
        matrix is enough (see ``split_holdout``).
        """
        if self.encoding is None or self.categorical is None or not self.categorical.any():
            return self
        X: np.ndarray | None = None
        columns: list[ColumnEncoding] = []
        position = 0
        for column in self.encoding.columns:
            if column.kind != "categorical":
                columns.append(column)
                position += len(column.outputs)
                continue
            codes = np.asarray(self.X[rows, position])
            present = np.unique(codes[~np.isnan(codes)]).astype(np.intp)
            if len(present) < len(column.categories):
                lookup = np.full(len(column.categories), np.nan)
                lookup[present] = np.arange(len(present), dtype=np.float64)
                if X is None:
                    X = np.array(self.X, dtype=np.float64)
                everywhere = X[:, position]
                known = ~np.isnan(everywhere)
                everywhere[known] = lookup[everywhere[known].astype(np.intp)]
                kept = [column.categories[i] for i in present]
                column = column.model_copy(update={"categories": kept})
            columns.append(column)
            position += 1
        if X is None:
            return self
        encoding = self.encoding.model_copy(update={"columns": columns})
        encoding._transformer = None  # rebuilt from the kept categories when first used
        return Dataset(
            X=X,
            y=np.asarray(self.y),
            task=self.task,
            feature_names=self.feature_names,
            categorical=self.categorical,
            classes=self.classes,
            image_shape=self.image_shape,
            name=self.name,
            encoding=encoding,
            rows_without_target=self.rows_without_target,
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
            encoding=self.encoding,
            rows_without_target=self.rows_without_target,
        )

    def info(self) -> DatasetInfo:
        """What the LLM may be told about this dataset: shapes, column kinds, share missing,
        levels or range per column, the target's name and distribution; no rows."""
        features = self._feature_info()
        balance = quantiles = None
        if self.task == "classification":
            counts = np.bincount(self.y, minlength=self.n_classes) / max(self.n_rows, 1)
            balance = {str(c): float(f) for c, f in zip(self.classes or (), counts, strict=True)}
        elif self.n_rows:
            y = np.asarray(self.y, dtype=np.float64)
            y = y[np.isfinite(y)]
            if y.size:
                points = np.quantile(y, [0.0, 0.25, 0.5, 0.75, 1.0])
                quantiles = {
                    q: float(v)
                    for q, v in zip(("min", "q25", "median", "q75", "max"), points, strict=True)
                }
        kind: Literal["binary", "multiclass", "regression"] = "regression"
        if self.task == "classification":
            kind = "binary" if self.n_classes == 2 else "multiclass"
        return DatasetInfo(
            name=self.name,
            n_rows=self.n_rows,
            n_features=self.n_features,
            features=features,
            target=self.encoding.target if self.encoding is not None else None,
            target_kind=kind,
            class_balance=balance,
            target_quantiles=quantiles,
            rows_without_target=self.rows_without_target,
        )

    def _feature_info(self) -> tuple[FeatureInfo, ...]:
        """Each feature's kind and summary (images: kind only, their pixels say nothing); a
        text column is one entry of kind "text", not its hashed features."""
        mask = self.categorical if self.categorical is not None else np.zeros(self.n_features)
        if self.image_shape is not None or not self.n_rows:
            return self._with_text_columns(
                FeatureInfo(name=n, kind="categorical" if m else "numeric")
                for n, m in zip(self.feature_names, mask, strict=True)
            )
        X = np.asarray(self.X, dtype=np.float64)
        missing = np.isnan(X).mean(axis=0)
        with warnings.catch_warnings():  # an all-missing column has no range
            warnings.simplefilter("ignore", RuntimeWarning)
            lows, highs = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        levels = self._levels()
        features = []
        for j, (name, categorical) in enumerate(zip(self.feature_names, mask, strict=True)):
            summary: dict[str, Any] = {"missing": float(missing[j])}
            if categorical:
                present = X[~np.isnan(X[:, j]), j]
                summary["n_levels"] = levels.get(name, int(np.unique(present).size))
            elif np.isfinite(lows[j]):
                summary.update(low=float(lows[j]), high=float(highs[j]))
            kind = "categorical" if categorical else "numeric"
            features.append(FeatureInfo(name=name, kind=kind, **summary))
        return self._with_text_columns(features)

    def _with_text_columns(self, features: Iterable[FeatureInfo]) -> tuple[FeatureInfo, ...]:
        """``features`` (one per matrix column) with each text column's outputs as one entry;
        its share missing is that of its word count."""
        listed = tuple(features)
        if self.encoding is None or not any(c.kind == "text" for c in self.encoding.columns):
            return listed
        merged: list[FeatureInfo] = []
        position = 0
        for column in self.encoding.columns:
            width = len(column.outputs)
            if column.kind == "text":
                words = listed[position + width - 1]
                merged.append(
                    FeatureInfo(name=column.name, kind="text", missing=words.missing, width=width)
                )
            else:
                merged.extend(listed[position : position + width])
            position += width
        return tuple(merged)

    def _levels(self) -> dict[str, int]:
        """The number of categories the encoding knows for each categorical feature."""
        if self.encoding is None:
            return {}
        return {c.name: len(c.categories) for c in self.encoding.columns if c.kind == "categorical"}

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
            encoding=self.encoding,
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
            encoding=meta.encoding,
        )


def _identifiers_left_out(frame: Any, names: list[str]) -> str:
    """The warning for identifier columns; dates in another format than ISO 8601 look like
    identifiers (a distinct string a row), so the warning says how to use them as dates."""
    message = (
        f"column(s) {names} hold a distinct value on every row (identifiers): not used as features"
    )
    dates = [n for n in names if frame[n].dropna().astype(str).str.match(_DATE_LIKE).all()]
    if dates:
        message += (
            f"; {dates} look like dates not written as YYYY-MM-DD: convert them with "
            "pandas.to_datetime to use them as dates"
        )
    return message


def target_present(y: np.ndarray) -> np.ndarray:
    """Which entries of a target hold a value: not None, NaN, NA or NaT, and finite.

    >>> target_present(np.array(["a", None, "b"], dtype=object)).tolist()
    [True, False, True]
    >>> target_present(np.array([1.0, np.nan, np.inf])).tolist()
    [True, False, False]
    """
    if y.dtype.kind in "fc":
        return np.isfinite(y)
    if y.dtype.kind in "OmM":
        import pandas as pd

        missing = np.asarray(pd.isna(y), dtype=bool)
        infinite = np.array(
            [isinstance(v, float) and math.isinf(v) for v in y.ravel()], dtype=bool
        ).reshape(y.shape)
        return ~(missing | infinite)
    return np.ones(y.shape, dtype=bool)


def _left_out(present: np.ndarray, what: str) -> int:
    """How many rows a target leaves out (``present`` false), warned; none present is an
    error, since there would be nothing to learn from."""
    dropped = int(present.size - np.count_nonzero(present))
    if dropped and dropped == present.size:
        raise ToolError(f"{what} has no value in any of the {dropped} rows: nothing to learn")
    if dropped:
        warn_user(
            f"{dropped} of {present.size} rows have no value in {what} (missing or "
            "infinite) and are left out"
        )
    return dropped


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
    if stratify is not None:
        counts = np.bincount(stratify, minlength=data.n_classes)
        labels = data.classes or ()
        single = np.flatnonzero(counts == 1)
        rare = [f"{labels[c]!r} ({counts[c]} row)" for c in single]
        if rare:  # a class needs a row on each side of a stratified split
            hint = "remove those rows or merge the class into another"
            if 2 * len(single) > len(counts):  # mostly one row a label: not categories
                hint = (
                    f"{len(single)} of the {len(counts)} labels occur once, so the target "
                    "looks like numbers read as text (e.g. '1,234'): make the column "
                    "numeric (pandas.to_numeric) to tune a regression"
                )
            raise ToolError(
                f"class(es) with a single row cannot be split into training and held-out "
                f"rows: {', '.join(rare[:5])}{' ...' if len(rare) > 5 else ''}; {hint}"
            )
    try:
        train, test = train_test_split(
            rows, test_size=test_size, random_state=seed, stratify=stratify
        )
    except ValueError as exc:  # e.g. fewer held-out rows than classes
        raise ToolError(
            f"cannot split {data.n_rows} rows into training and held-out: {exc}"
        ) from exc
    return np.sort(train), np.sort(test)
