"""Objectives that misbehave on half the space, loadable by path
(``"tests.reliability.objectives:NAN"``) so that no test registers a tool globally."""

from __future__ import annotations

from typing import Any

from assistant.space import FloatParam, SearchSpace
from assistant.tools import FunctionTool

SPACE = SearchSpace.of(FloatParam(name="x", low=0.0, high=1.0))
BAD_VALUES: dict[str, Any] = {"nan": float("nan"), "inf": float("inf"), "string": "0.9"}


def _misbehaving(kind: str) -> FunctionTool:
    def score(
        X_train: Any, y_train: Any, X_valid: Any, y_valid: Any, config: dict[str, Any], seed: int
    ) -> Any:
        if config["x"] >= 0.5:  # the default config (the centre) is a good trial
            return config["x"]
        if kind == "raise":
            raise ValueError("the objective exploded")
        return BAD_VALUES.get(kind)

    score.__qualname__ = score.__name__ = f"misbehaving_{kind}"
    return FunctionTool(score, SPACE, name=f"misbehaving_{kind}")


RAISE = _misbehaving("raise")
NAN = _misbehaving("nan")
INF = _misbehaving("inf")
STRING = _misbehaving("string")
NONE = _misbehaving("none")
