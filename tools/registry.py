"""Find tools by name, and let users add their own without editing the package.

Built-in tools are registered under their names (``random_forest``, ``svm``, ``lightgbm``,
...) plus a few aliases (``gbm`` -> ``hist_gradient_boosting``, ``xgb`` -> ``xgboost``). The
gradient-boosting libraries are optional: their tools are always listed, but
``list_tools(task)`` offers only those whose library is installed.

:func:`register_tool` accepts a :class:`~assistant.tools.base.Tool` instance, a
``"package.module:attribute"`` path (to a tool instance, a tool class or a training
function), or a plain training function ``fn(X_train, y_train, X_valid, y_valid, config,
seed) -> score`` with its search space.

Example:
    >>> get_tool("gbm").name
    'hist_gradient_boosting'
    >>> "logistic" in [t.name for t in list_tools("classification")]
    True
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from assistant.errors import ToolError
from assistant.space import SearchSpace

from .base import Tool
from .data import TASKS, Task
from .function_tool import FunctionTool, TrainFn
from .gbm_tools import GBM_TOOLS, INSTALL_HINT, BoostingTool
from .sklearn_tools import SKLEARN_TOOLS
from .torch_tools import TORCH_TOOLS

logger = logging.getLogger(__name__)

ALIASES: dict[str, str] = {
    "rf": "random_forest",
    "randomforest": "random_forest",
    "gbm": "hist_gradient_boosting",
    "gbdt": "hist_gradient_boosting",
    "gradient_boosting": "hist_gradient_boosting",
    "hgb": "hist_gradient_boosting",
    "svc": "svm",
    "svr": "svm",
    "logistic_regression": "logistic",
    "logreg": "logistic",
    "ridge": "linear",
    "linear_regression": "linear",
    "k_nearest_neighbors": "knn",
    "knearest": "knn",
    "neural_network": "mlp",
    "pytorch_mlp": "torch_mlp",
    "cnn": "torch_cnn",
    "lgbm": "lightgbm",
    "lgb": "lightgbm",
    "xgb": "xgboost",
}

_lock = threading.Lock()
_tools: dict[str, Tool] = {}


def _ensure_builtins() -> None:
    if not _tools:
        for cls in (*SKLEARN_TOOLS, *TORCH_TOOLS, *GBM_TOOLS):
            tool = cls()
            _tools[tool.name] = tool


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get_tool(name: str) -> Tool:
    """A registered tool by name or alias, or a ``"module:attribute"`` path loaded on the fly.

    Raises :class:`~assistant.errors.ToolError` listing the known names when nothing matches.
    """
    if ":" in name:
        return _load_path(name)
    key = _key(name)
    with _lock:
        _ensure_builtins()
        key = key if key in _tools else ALIASES.get(key, key)
        if key in _tools:
            return _tools[key]
        known = ", ".join(sorted(_tools))
    raise ToolError(f"unknown tool {name!r}; known tools: {known} (or register your own)")


def list_tools(task: Task | None = None) -> list[Tool]:
    """Registered tools sorted by name, optionally only those that can be tuned for ``task``
    here (a gradient-boosting tool whose library is not installed is left out, and logged)."""
    with _lock:
        _ensure_builtins()
        tools = sorted(_tools.values(), key=lambda t: t.name)
    if task is None:
        return tools
    return [t for t in tools if _installed(t) and t.supports(task)]


def _installed(tool: Tool) -> bool:
    if not isinstance(tool, BoostingTool) or tool.available():
        return True
    logger.info("not offering %r: %s is not installed (%s)", tool.name, tool.distribution,
                INSTALL_HINT)  # fmt: skip
    return False


def register_tool(
    tool: Tool | str | TrainFn,
    name: str | None = None,
    *,
    space: SearchSpace | None = None,
    tasks: Iterable[Task] = TASKS,
    family: str | None = None,
    description: str = "",
    default_config: Mapping[str, Any] | None = None,
    replace: bool = False,
) -> Tool:
    """Register a tool and return it.

    ``tool`` is a :class:`Tool`, a ``"module:attribute"`` path, or a training function
    (then ``space`` is required and ``tasks``, ``family``, ``description`` and
    ``default_config`` describe it). ``name`` defaults to the tool's own name. Registering
    a taken name raises unless ``replace=True``.
    """
    resolved: Any = _import_path(tool) if isinstance(tool, str) else tool
    if isinstance(resolved, type) and issubclass(resolved, Tool):
        resolved = resolved()
    if not isinstance(resolved, Tool):
        if not callable(resolved):
            raise ToolError(f"cannot register a {type(resolved).__name__} as a tool")
        if space is None:
            raise ToolError(
                "registering a training function needs its search space: "
                "register_tool(fn, space=SearchSpace.of(...))"
            )
        resolved = FunctionTool(
            resolved,
            space,
            name=name,
            tasks=tasks,
            family=family,
            description=description,
            default_config=default_config,
        )
    key = _key(name or resolved.name)
    if not key:
        raise ToolError("a tool needs a non-empty name")
    with _lock:
        _ensure_builtins()
        if key in _tools and not replace:
            raise ToolError(f"a tool named {key!r} is already registered; pass replace=True")
        _tools[key] = resolved
    logger.info("registered tool %r (%s)", key, type(resolved).__name__)
    return resolved


def unregister_tool(name: str) -> None:
    """Remove a registered tool (built-ins come back only after a restart)."""
    with _lock:
        _ensure_builtins()
        if _tools.pop(_key(name), None) is None:
            raise ToolError(f"no tool named {name!r} is registered")


def _import_path(path: str) -> Any:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ToolError(f"expected 'package.module:attribute', got {path!r}")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise ToolError(f"cannot load tool {path!r}: {exc}") from exc
    return target


def _load_path(path: str) -> Tool:
    target = _import_path(path)
    if isinstance(target, type) and issubclass(target, Tool):
        target = target()
    if not isinstance(target, Tool):
        raise ToolError(
            f"{path!r} is a {type(target).__name__}, not a Tool; register a training "
            "function with register_tool(path, space=...) first"
        )
    return target
