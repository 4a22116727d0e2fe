"""Search spaces: typed parameters, Optuna conversion, prompt rendering and config validation.

A :class:`SearchSpace` is the one description of what may be tuned. It converts to and from
Optuna distributions, renders itself compactly for prompts, maps configurations to and from
the unit cube (for quasi-random sampling and statistical surrogates) and turns a raw,
possibly wrong dict (an LLM proposal) into a valid configuration while reporting exactly what
had to change.

Example:
    >>> space = SearchSpace.model_validate({"params": [
    ...     {"type": "float", "name": "lr", "low": 1e-4, "high": 1.0, "log": True},
    ...     {"type": "categorical", "name": "loss", "choices": ["log_loss", "hinge"]},
    ... ]})
    >>> report = space.validate_config({"lr": "0.01", "loss": "Hinge", "extra": 1})
    >>> report.config
    {'lr': 0.01, 'loss': 'hinge'}
    >>> [issue.kind for issue in report.issues]
    ['unknown', 'snapped', 'snapped']
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.errors import ConfigValidationError, SearchSpaceError

if TYPE_CHECKING:
    from numpy.typing import NDArray

CategoricalChoice = str | int | float | bool | None
IssueKind = Literal["unknown", "missing", "type", "range", "snapped"]
# Kinds that mean the proposal itself was wrong, not merely imprecise.
SEVERE_ISSUES: frozenset[str] = frozenset({"missing", "type", "range"})


def format_number(value: float, digits: int = 4) -> str:
    """Format a number with ``digits`` significant digits, the same way everywhere.

    >>> format_number(0.000123456), format_number(1234567.0), format_number(3.0)
    ('0.0001235', '1.235e+06', '3')
    """
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    text = f"{value:.{digits}g}"
    return text


class _Param(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)

    def render(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class FloatParam(_Param):
    """A real-valued parameter on a linear or log scale, optionally on a step grid."""

    type: Literal["float"] = "float"
    low: float
    high: float
    log: bool = False
    step: float | None = None

    @model_validator(mode="after")
    def _check(self) -> FloatParam:
        _check_bounds(self.name, self.low, self.high, self.log)
        if self.step is not None:
            if self.log:
                raise SearchSpaceError(self.name, "step cannot be combined with log=True")
            if not self.step > 0:
                raise SearchSpaceError(self.name, f"step must be > 0, got {self.step}")
        return self

    def render(self) -> str:
        scale = ", log scale" if self.log else ""
        step = f", step {format_number(self.step)}" if self.step else ""
        return (
            f"{self.name}: float in [{format_number(self.low)}, "
            f"{format_number(self.high)}]{scale}{step}"
        )


class IntParam(_Param):
    """An integer parameter on a linear or log scale, with a step on the linear scale."""

    type: Literal["int"] = "int"
    low: int
    high: int
    log: bool = False
    step: int = 1

    @model_validator(mode="after")
    def _check(self) -> IntParam:
        _check_bounds(self.name, self.low, self.high, self.log)
        if self.step < 1:
            raise SearchSpaceError(self.name, f"step must be >= 1, got {self.step}")
        if self.log and self.step != 1:
            raise SearchSpaceError(self.name, "step cannot be combined with log=True")
        return self

    def render(self) -> str:
        scale = ", log scale" if self.log else ""
        step = f", step {self.step}" if self.step != 1 else ""
        return f"{self.name}: int in [{self.low}, {self.high}]{scale}{step}"


class CategoricalParam(_Param):
    """A parameter taking one of a fixed list of values."""

    type: Literal["categorical"] = "categorical"
    choices: tuple[CategoricalChoice, ...]

    @model_validator(mode="after")
    def _check(self) -> CategoricalParam:
        if len(self.choices) == 0:
            raise SearchSpaceError(self.name, "choices must not be empty")
        if len(set(map(repr, self.choices))) != len(self.choices):
            raise SearchSpaceError(self.name, f"choices contain duplicates: {list(self.choices)}")
        return self

    def render(self) -> str:
        return f"{self.name}: one of {', '.join(_render_choice(c) for c in self.choices)}"


Param = Annotated[FloatParam | IntParam | CategoricalParam, Field(discriminator="type")]


def _check_bounds(name: str, low: float, high: float, log: bool) -> None:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise SearchSpaceError(name, f"bounds must be finite, got low={low}, high={high}")
    if low >= high:
        raise SearchSpaceError(name, f"low must be < high, got low={low}, high={high}")
    if log and low <= 0:
        raise SearchSpaceError(name, f"log scale needs low > 0, got low={low}")


def _render_choice(choice: CategoricalChoice) -> str:
    if isinstance(choice, str):
        return f'"{choice}"'
    if choice is None:
        return "null"
    if isinstance(choice, bool):
        return "true" if choice else "false"
    return format_number(choice)


class ConfigIssue(BaseModel):
    """One thing that was wrong with a raw configuration, and what was done about it."""

    model_config = ConfigDict(frozen=True)

    param: str
    kind: IssueKind
    message: str

    @property
    def severe(self) -> bool:
        """Whether the value was wrong (not merely rounded or an extra key)."""
        return self.kind in SEVERE_ISSUES


class ValidationReport(BaseModel):
    """The result of :meth:`SearchSpace.validate_config`.

    ``config`` is a valid configuration (values repaired where possible) or ``None`` when a
    parameter had no usable value; ``issues`` lists every change and every problem.
    """

    config: dict[str, Any] | None
    issues: list[ConfigIssue] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the raw configuration was already exactly valid."""
        return self.config is not None and not self.issues

    @property
    def severe(self) -> bool:
        """True when the raw configuration had a wrong, missing or out-of-range value."""
        return self.config is None or any(issue.severe for issue in self.issues)


class SearchSpace(BaseModel):
    """An ordered set of named parameters."""

    model_config = ConfigDict(frozen=True)

    params: tuple[Param, ...]

    @model_validator(mode="after")
    def _check(self) -> SearchSpace:
        if not self.params:
            raise SearchSpaceError("<space>", "a search space needs at least one parameter")
        seen: set[str] = set()
        for param in self.params:
            if param.name in seen:
                raise SearchSpaceError(param.name, "defined twice")
            seen.add(param.name)
        return self

    @classmethod
    def of(cls, *params: FloatParam | IntParam | CategoricalParam) -> SearchSpace:
        """Build a space from parameter objects: ``SearchSpace.of(FloatParam(...), ...)``."""
        return cls(params=tuple(params))

    # -- container protocol ------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Parameter names in definition order."""
        return [p.name for p in self.params]

    def __getitem__(self, name: str) -> FloatParam | IntParam | CategoricalParam:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(p.name == name for p in self.params)

    def __iter__(self) -> Iterator[FloatParam | IntParam | CategoricalParam]:  # type: ignore[override]
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    # -- Optuna ------------------------------------------------------------------------
    def to_optuna(self) -> dict[str, BaseDistribution]:
        """Return the Optuna distributions, keyed by parameter name."""
        out: dict[str, BaseDistribution] = {}
        for p in self.params:
            if isinstance(p, FloatParam):
                out[p.name] = FloatDistribution(p.low, p.high, log=p.log, step=p.step)
            elif isinstance(p, IntParam):
                out[p.name] = IntDistribution(p.low, p.high, log=p.log, step=p.step)
            else:
                out[p.name] = CategoricalDistribution(list(p.choices))
        return out

    @classmethod
    def from_optuna(cls, distributions: Mapping[str, BaseDistribution]) -> SearchSpace:
        """Build a space from Optuna distributions (as in ``trial.distributions``)."""
        params: list[FloatParam | IntParam | CategoricalParam] = []
        for name, dist in distributions.items():
            if isinstance(dist, FloatDistribution):
                params.append(
                    FloatParam(
                        name=name, low=dist.low, high=dist.high, log=dist.log, step=dist.step
                    )
                )
            elif isinstance(dist, IntDistribution):
                params.append(
                    IntParam(name=name, low=dist.low, high=dist.high, log=dist.log, step=dist.step)
                )
            elif isinstance(dist, CategoricalDistribution):
                params.append(CategoricalParam(name=name, choices=tuple(dist.choices)))
            else:
                raise SearchSpaceError(name, f"unsupported distribution {type(dist).__name__}")
        return cls(params=tuple(params))

    # -- rendering ---------------------------------------------------------------------
    def render(self) -> str:
        """One line per parameter, for prompts and logs."""
        return "\n".join(f"- {p.render()}" for p in self.params)

    def format_config(self, config: Mapping[str, Any]) -> str:
        """Render a configuration compactly, e.g. ``lr=0.01, loss="hinge"``."""
        parts = []
        for p in self.params:
            if p.name in config:
                value = config[p.name]
                text = (
                    _render_choice(value)
                    if isinstance(p, CategoricalParam)
                    else format_number(value)
                )
                parts.append(f"{p.name}={text}")
        return ", ".join(parts)

    # -- unit cube ---------------------------------------------------------------------
    def to_unit(self, config: Mapping[str, Any]) -> list[float]:
        """Map a valid configuration to one number in [0, 1] per parameter.

        Log parameters are mapped on the log scale; a categorical maps to the centre of its
        choice's bin, so :meth:`from_unit` inverts it.
        """
        return [_to_unit(p, config[p.name]) for p in self.params]

    def from_unit(self, point: Sequence[float] | NDArray[Any]) -> dict[str, Any]:
        """Map one number in [0, 1] per parameter back to a valid configuration."""
        if len(point) != len(self.params):
            raise ValueError(f"expected {len(self.params)} coordinates, got {len(point)}")
        return {p.name: _from_unit(p, float(u)) for p, u in zip(self.params, point, strict=True)}

    def grid(self, name: str, size: int) -> list[Any]:
        """Up to ``size`` evenly spread valid values of one parameter (all choices for a
        categorical). Used to offer a weak LLM a closed set of values to choose from."""
        param = self[name]
        if isinstance(param, CategoricalParam):
            return list(param.choices)
        values: list[Any] = []
        for i in range(size):
            value = _from_unit(param, (i + 0.5) / size if size > 1 else 0.5)
            if i == 0:
                value = param.low
            elif i == size - 1:
                value = param.high
            if isinstance(param, FloatParam):
                value = float(f"{value:.3g}")
                value = min(max(value, param.low), param.high)
            if value not in values:
                values.append(value)
        return values

    # -- validation --------------------------------------------------------------------
    def validate_config(
        self, raw: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None
    ) -> ValidationReport:
        """Turn a raw dict into a valid configuration and report what was wrong.

        Strings are parsed, integers and step grids snapped, categoricals matched
        case-insensitively (or to the nearest numeric choice), out-of-range values clipped
        to the nearest bound, unknown keys dropped. A missing or unparseable value is taken
        from ``defaults`` when given, otherwise the report's ``config`` is ``None``.
        """
        if not isinstance(raw, Mapping):
            return ValidationReport(
                config=None,
                issues=[
                    ConfigIssue(
                        param="<config>",
                        kind="type",
                        message=f"expected an object, got {type(raw).__name__}",
                    )
                ],
            )
        issues: list[ConfigIssue] = []
        config: dict[str, Any] = {}
        unusable = False
        for key in raw:
            if key not in self:
                issues.append(
                    ConfigIssue(param=str(key), kind="unknown", message="not a parameter; dropped")
                )
        for p in self.params:
            issue: ConfigIssue | None
            if p.name not in raw:
                value, issue = None, ConfigIssue(param=p.name, kind="missing", message="missing")
            else:
                value, issue = _coerce(p, raw[p.name])
            if issue is not None:
                issues.append(issue)
            if value is None and not (isinstance(p, CategoricalParam) and None in p.choices):
                if defaults is not None and p.name in defaults:
                    value = defaults[p.name]
                else:
                    unusable = True
                    continue
            config[p.name] = value
        return ValidationReport(config=None if unusable else config, issues=issues)

    def coerce_config(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Like :meth:`validate_config`, but raise :class:`ConfigValidationError` on any
        severe issue (wrong type, out of range, missing)."""
        report = self.validate_config(raw)
        if report.severe or report.config is None:
            raise ConfigValidationError(
                [f"{i.param}: {i.message}" for i in report.issues if i.severe]
                or ["no usable configuration"]
            )
        return report.config

    def contains(self, config: Mapping[str, Any]) -> bool:
        """True when ``config`` is exactly a valid point of this space."""
        return set(config) == set(self.names) and self.validate_config(config).ok


# -- helpers for single parameters -------------------------------------------------------


def _to_unit(p: FloatParam | IntParam | CategoricalParam, value: Any) -> float:
    if isinstance(p, CategoricalParam):
        index = _choice_index(p, value)
        return (index + 0.5) / len(p.choices)
    low, high, v = float(p.low), float(p.high), float(value)
    if p.log:
        low, high, v = math.log(low), math.log(high), math.log(v)
    return min(1.0, max(0.0, (v - low) / (high - low)))


def _from_unit(p: FloatParam | IntParam | CategoricalParam, u: float) -> Any:
    u = min(1.0, max(0.0, u))
    if isinstance(p, CategoricalParam):
        return p.choices[min(int(u * len(p.choices)), len(p.choices) - 1)]
    if p.log:
        value = math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    else:
        value = p.low + u * (p.high - p.low)
    return _snap(p, value)


def _snap(p: FloatParam | IntParam, value: float) -> float | int:
    if isinstance(p, IntParam):
        snapped = p.low + round((value - p.low) / p.step) * p.step
        top = p.low + ((p.high - p.low) // p.step) * p.step
        return int(min(max(snapped, p.low), top))
    if p.step is not None:
        n_steps = math.floor((p.high - p.low) / p.step + 1e-9)
        k = min(max(round((value - p.low) / p.step), 0), n_steps)
        return float(p.low + k * p.step)
    return float(min(max(value, p.low), p.high))


def _choice_index(p: CategoricalParam, value: Any) -> int:
    for i, choice in enumerate(p.choices):
        if type(choice) is type(value) and choice == value:
            return i
    for i, choice in enumerate(p.choices):
        if choice == value:
            return i
    raise ValueError(f"{value!r} is not a choice of {p.name!r}")


def _parse_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _coerce(
    p: FloatParam | IntParam | CategoricalParam, value: Any
) -> tuple[Any, ConfigIssue | None]:
    if isinstance(p, CategoricalParam):
        return _coerce_choice(p, value)
    number = _parse_number(value)
    if number is None:
        return None, ConfigIssue(
            param=p.name, kind="type", message=f"expected a number, got {value!r}"
        )
    if number < p.low or number > p.high:
        clipped = _snap(p, min(max(number, p.low), p.high))
        return clipped, ConfigIssue(
            param=p.name,
            kind="range",
            message=(
                f"{format_number(number)} is outside [{format_number(p.low)}, "
                f"{format_number(p.high)}]; clipped to {format_number(clipped)}"
            ),
        )
    snapped = _snap(p, number)
    exact_type = isinstance(value, int) if isinstance(p, IntParam) else isinstance(value, float)
    if snapped != number or not exact_type:
        if snapped == number and isinstance(p, FloatParam) and isinstance(value, int):
            return snapped, None  # an int literal for a float parameter is exact
        return snapped, ConfigIssue(
            param=p.name, kind="snapped", message=f"{value!r} snapped to {format_number(snapped)}"
        )
    return snapped, None


def _coerce_choice(p: CategoricalParam, value: Any) -> tuple[Any, ConfigIssue | None]:
    for choice in p.choices:
        if type(choice) is type(value) and choice == value:
            return choice, None
    for choice in p.choices:
        if isinstance(choice, str) and isinstance(value, str):
            if choice.casefold() == value.strip().casefold():
                return choice, _snapped(p, value, choice)
        elif _choice_text(choice) == str(value).strip().casefold():
            return choice, _snapped(p, value, choice)
    number = _parse_number(value)
    numeric = [c for c in p.choices if isinstance(c, int | float) and not isinstance(c, bool)]
    if number is not None and numeric:
        nearest = min(numeric, key=lambda c: abs(float(c) - number))
        return nearest, _snapped(p, value, nearest)
    choices = ", ".join(_render_choice(c) for c in p.choices)
    return None, ConfigIssue(
        param=p.name, kind="type", message=f"{value!r} is not one of {choices}"
    )


def _choice_text(choice: CategoricalChoice) -> str:
    if choice is None:
        return "null"
    if isinstance(choice, bool):
        return "true" if choice else "false"
    return str(choice).casefold()


def _snapped(p: CategoricalParam, value: Any, choice: CategoricalChoice) -> ConfigIssue:
    return ConfigIssue(
        param=p.name, kind="snapped", message=f"{value!r} matched to {_render_choice(choice)}"
    )
