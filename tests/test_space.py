"""Search space: validation of definitions, Optuna round trip, rendering and the config
validator that turns raw LLM output into valid configurations."""

import math

import optuna
import pytest

from assistant.errors import ConfigValidationError, SearchSpaceError
from assistant.space import CategoricalParam, FloatParam, IntParam, SearchSpace, format_number


@pytest.fixture
def space() -> SearchSpace:
    return SearchSpace.of(
        FloatParam(name="lr", low=1e-4, high=1.0, log=True),
        IntParam(name="depth", low=2, high=12),
        IntParam(name="units", low=8, high=64, step=8),
        FloatParam(name="frac", low=0.0, high=1.0, step=0.25),
        CategoricalParam(name="loss", choices=("log_loss", "hinge")),
        CategoricalParam(name="k", choices=(1, 3, 5)),
    )


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"type": "float", "name": "a", "low": 1.0, "high": 1.0}, "low must be < high"),
        ({"type": "float", "name": "a", "low": 2.0, "high": 1.0}, "low must be < high"),
        ({"type": "float", "name": "a", "low": 0.0, "high": 1.0, "log": True}, "low > 0"),
        ({"type": "float", "name": "a", "low": -1.0, "high": 1.0, "log": True}, "low > 0"),
        ({"type": "int", "name": "a", "low": 5, "high": 5}, "low must be < high"),
        ({"type": "int", "name": "a", "low": 0, "high": 10, "log": True}, "low > 0"),
        ({"type": "int", "name": "a", "low": 0, "high": 10, "step": 0}, "step must be >= 1"),
        ({"type": "float", "name": "a", "low": 0, "high": 1, "step": -1}, "step must be > 0"),
        ({"type": "float", "name": "a", "low": 1e-3, "high": 1, "log": True, "step": 0.1}, "step"),
        ({"type": "float", "name": "a", "low": 0.0, "high": math.inf}, "finite"),
        ({"type": "categorical", "name": "a", "choices": []}, "must not be empty"),
        ({"type": "categorical", "name": "a", "choices": ["x", "x"]}, "duplicates"),
    ],
)
def test_invalid_parameters_name_the_parameter(spec: dict, fragment: str) -> None:
    with pytest.raises(SearchSpaceError) as info:
        SearchSpace.model_validate({"params": [spec]})
    assert "'a'" in str(info.value)
    assert fragment in str(info.value)


def test_invalid_space_shapes() -> None:
    with pytest.raises(SearchSpaceError, match="at least one parameter"):
        SearchSpace(params=())
    with pytest.raises(SearchSpaceError, match=r"'x'.*defined twice"):
        SearchSpace.of(FloatParam(name="x", low=0, high=1), IntParam(name="x", low=0, high=3))


def test_optuna_round_trip(space: SearchSpace) -> None:
    dists = space.to_optuna()
    assert isinstance(dists["lr"], optuna.distributions.FloatDistribution)
    assert dists["lr"].log
    assert dists["units"].step == 8
    assert dists["frac"].step == 0.25
    assert SearchSpace.from_optuna(dists) == space


def test_render_is_compact_and_complete(space: SearchSpace) -> None:
    text = space.render()
    assert "- lr: float in [0.0001, 1], log scale" in text
    assert "- units: int in [8, 64], step 8" in text
    assert '- loss: one of "log_loss", "hinge"' in text
    assert len(text.splitlines()) == len(space)
    assert format_number(0.000123456) == "0.0001235"


def test_validator_accepts_a_valid_config_unchanged(space: SearchSpace) -> None:
    config = {"lr": 0.01, "depth": 4, "units": 16, "frac": 0.5, "loss": "hinge", "k": 3}
    report = space.validate_config(config)
    assert report.ok
    assert report.config == config
    assert space.contains(config)


def test_validator_coerces_types_and_snaps(space: SearchSpace) -> None:
    raw = {"lr": "0.01", "depth": 4.4, "units": 19, "frac": 0.6, "loss": " HINGE", "k": "4.9"}
    report = space.validate_config(raw)
    assert report.config == {
        "lr": 0.01,
        "depth": 4,
        "units": 16,
        "frac": 0.5,
        "loss": "hinge",
        "k": 5,
    }
    kinds = {i.param: i.kind for i in report.issues}
    assert kinds == {p: "snapped" for p in raw}
    assert not report.severe
    assert isinstance(report.config["depth"], int)


def test_validator_reports_out_of_range_wrong_type_and_unknown(space: SearchSpace) -> None:
    raw = {
        "lr": 569,
        "depth": "deep",
        "units": 16,
        "frac": -3,
        "loss": "squared",
        "k": 1,
        "bogus": 1,
    }
    report = space.validate_config(raw)
    issues = {i.param: i for i in report.issues}
    assert issues["lr"].kind == "range" and "569" in issues["lr"].message
    assert issues["frac"].kind == "range"
    assert issues["depth"].kind == "type"
    assert issues["loss"].kind == "type" and '"hinge"' in issues["loss"].message
    assert issues["bogus"].kind == "unknown"
    assert report.config is None  # depth and loss have no usable value
    assert report.severe


def test_validator_fills_from_defaults_and_clips(space: SearchSpace) -> None:
    defaults = {"depth": 6, "loss": "log_loss"}
    report = space.validate_config({"lr": 5.0, "units": 64, "frac": 1.0, "k": 3}, defaults=defaults)
    assert report.config is not None
    assert report.config["lr"] == 1.0  # clipped to the bound
    assert report.config["depth"] == 6 and report.config["loss"] == "log_loss"
    assert {i.kind for i in report.issues} == {"range", "missing"}


def test_validator_rejects_non_objects(space: SearchSpace) -> None:
    report = space.validate_config(["not", "a", "dict"])  # type: ignore[arg-type]
    assert report.config is None and report.issues[0].kind == "type"


def test_coerce_config_raises_a_typed_error(space: SearchSpace) -> None:
    with pytest.raises(ConfigValidationError, match="lr"):
        space.coerce_config({"lr": 50, "depth": 3, "units": 8, "frac": 0, "loss": "hinge", "k": 1})


def test_bool_is_not_a_number() -> None:
    space = SearchSpace.of(FloatParam(name="x", low=0, high=2))
    assert space.validate_config({"x": True}).severe


def test_unit_cube_round_trip(space: SearchSpace) -> None:
    config = {"lr": 0.01, "depth": 7, "units": 32, "frac": 0.75, "loss": "log_loss", "k": 5}
    unit = space.to_unit(config)
    assert all(0.0 <= u <= 1.0 for u in unit)
    back = space.from_unit(unit)
    assert back["depth"] == 7 and back["units"] == 32 and back["loss"] == "log_loss"
    assert back["k"] == 5 and math.isclose(back["lr"], 0.01) and back["frac"] == 0.75
    for corner in ([0.0] * len(space), [1.0] * len(space)):
        assert space.contains(space.from_unit(corner))


def test_grid_offers_valid_values(space: SearchSpace) -> None:
    grid = space.grid("lr", 5)
    assert grid[0] == 1e-4 and grid[-1] == 1.0 and len(grid) == 5
    assert all(space.validate_config({**_base(), "lr": v}).ok for v in grid)
    assert space.grid("units", 20) == [8, 16, 24, 32, 40, 48, 56, 64]
    assert space.grid("loss", 3) == ["log_loss", "hinge"]


def _base() -> dict:
    return {"lr": 0.01, "depth": 4, "units": 16, "frac": 0.5, "loss": "hinge", "k": 3}
