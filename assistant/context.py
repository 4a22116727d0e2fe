"""The problem context: what the LLM is told about the task, and what the engine optimizes.

Everything here is plain data (pydantic), rendered into prompts by the templates in
``prompts/``. Text fields come from users and datasets (column names, notes); templates treat
them as data and never as template syntax.

Example:
    >>> ctx = ProblemContext(task="classification", model="random forest",
    ...                      metric="roc_auc", direction="maximize")
    >>> ctx.direction
    'maximize'
    >>> FeatureInfo(name="age", low=18, high=90, missing=0.031).stats()
    ', 18 to 90, 3% missing'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.space import format_number

FEATURE_CHARS = 1800
"""About how many characters of feature descriptions a prompt holds (~450 tokens), whatever
the table's width: the features past it are counted, not listed."""


class FeatureInfo(BaseModel):
    """One input column, and what it looks like (share missing, levels or range), no values.

    A ``"text"`` column is free text (mostly distinct values of several words), which the
    tools read as ``width`` numeric features (hashed word counts and a word count).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["numeric", "categorical", "boolean", "text", "datetime", "other"] = "numeric"
    missing: float | None = Field(default=None, description="share of rows with no value")
    n_levels: int | None = Field(default=None, description="categories, for a categorical one")
    low: float | None = Field(default=None, description="smallest value, for a numeric one")
    high: float | None = Field(default=None, description="largest value, for a numeric one")
    width: int | None = Field(
        default=None, description="the numeric features it becomes, for a text one"
    )

    def stats(self) -> str:
        """``", 0.5 to 12, 3% missing"``: what is known beyond the kind ("" when nothing)."""
        parts = []
        if self.width is not None:
            parts.append(f"{self.width} features")
        if self.n_levels is not None:
            parts.append(f"{self.n_levels} levels")
        if self.low is not None and self.high is not None:
            parts.append(f"{format_number(self.low)} to {format_number(self.high)}")
        if self.missing:
            parts.append(f"{max(1, round(100 * self.missing))}% missing")
        return "".join(f", {part}" for part in parts)


class DatasetInfo(BaseModel):
    """What is known of the data without showing it."""

    model_config = ConfigDict(frozen=True)

    name: str = "dataset"
    n_rows: int | None = None
    n_features: int | None = None
    features: tuple[FeatureInfo, ...] = ()
    target: str | None = None
    target_kind: Literal["binary", "multiclass", "regression", "unknown"] = "unknown"
    class_balance: dict[str, float] | None = Field(
        default=None, description="fraction of rows per class, for classification"
    )
    target_quantiles: dict[str, float] | None = Field(
        default=None, description="the target's min, quartiles and max, for regression"
    )
    description: str = ""
    rows_without_target: int = Field(
        0, description="rows of the given table left out because their target had no value"
    )

    def headline(self) -> str:
        """The table in a few words, for the faces: tuning rows, features, the target, and
        the rows left out; empty when the rows are not known."""
        if self.n_rows is None:
            return ""
        line = f"{self.n_rows} tuning rows x {self.n_features} features"
        if self.target:
            line += f", target {self.target!r}"
        if self.rows_without_target:
            line += f" ({self.rows_without_target} row(s) without a target left out)"
        return line

    def n_shown(self, most: int, chars: int = FEATURE_CHARS) -> int:
        """How many features a prompt lists: at most ``most``, within about ``chars``."""
        used = 0
        for shown, feature in enumerate(self.features[:most]):
            used += min(len(feature.name), 43) + len(feature.kind) + len(feature.stats()) + 5
            if used > chars:
                return shown
        return min(most, len(self.features))


Direction = Literal["minimize", "maximize"]
"""Which way a score is better, as Optuna spells it."""


class ProblemContext(BaseModel):
    """The tuning problem as the LLM reads it."""

    model_config = ConfigDict(frozen=True)

    task: str = Field(description="e.g. 'binary classification of customer churn'")
    model: str = Field(description="the model family being tuned, e.g. 'random forest'")
    metric: str = Field(description="the score being optimized, e.g. 'roc_auc'")
    direction: Direction = "maximize"
    metric_low: float | None = Field(default=None, description="lowest possible score")
    metric_high: float | None = Field(default=None, description="highest possible score")
    dataset: DatasetInfo = Field(default_factory=DatasetInfo)
    notes: str = Field(default="", description="free text from the user")
