"""The problem context: what the LLM is told about the task, and what the engine optimizes.

Everything here is plain data (pydantic), rendered into prompts by the templates in
``prompts/``. Text fields come from users and datasets (column names, notes); templates treat
them as data and never as template syntax.

Example:
    >>> ctx = ProblemContext(task="classification", model="random forest",
    ...                      metric="roc_auc", direction="maximize")
    >>> ctx.direction
    'maximize'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class FeatureInfo(BaseModel):
    """One input column."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["numeric", "categorical", "boolean", "text", "datetime", "other"] = "numeric"


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
    description: str = ""


class ProblemContext(BaseModel):
    """The tuning problem as the LLM reads it."""

    model_config = ConfigDict(frozen=True)

    task: str = Field(description="e.g. 'binary classification of customer churn'")
    model: str = Field(description="the model family being tuned, e.g. 'random forest'")
    metric: str = Field(description="the score being optimized, e.g. 'roc_auc'")
    direction: Literal["minimize", "maximize"] = "maximize"
    dataset: DatasetInfo = Field(default_factory=DatasetInfo)
    notes: str = Field(default="", description="free text from the user")
