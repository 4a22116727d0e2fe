"""A deliberately slow tool, loadable by module path from any process (for crash tests)."""

from __future__ import annotations

import time
from typing import Any

from assistant.space import FloatParam, SearchSpace
from assistant.tools import FunctionTool

SPACE = SearchSpace.of(
    FloatParam(name="x", low=0.0, high=1.0), FloatParam(name="nap", low=0.4, high=0.5)
)


def nap_then_score(
    X_train: Any, y_train: Any, X_valid: Any, y_valid: Any, config: dict[str, Any], seed: int
) -> float:
    time.sleep(config["nap"])
    return 1.0 - (config["x"] - 0.3) ** 2


TOOL = FunctionTool(nap_then_score, SPACE, name="napper", family="test napper")
