"""The layers of ../shared/ARCHITECTURE.md, checked over the import graph of the package.

Data flows down: domain → engine → adapters → session → faces. A module may import modules
of its own layer or of layers below it, never above (lazy imports inside functions count
too). A new module must be given a layer here, so the question is asked when it is added.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = ["domain", "engine", "adapters", "session", "faces"]
LAYER_OF = {
    # domain: pydantic records and pure functions; the LLM seam's types
    "assistant.space": "domain",
    "assistant.context": "domain",
    "assistant.records": "domain",
    "assistant.errors": "domain",
    "assistant.prompting": "domain",
    "assistant.prompts": "domain",
    "assistant._deprecation": "domain",
    "assistant.llm.base": "domain",
    # engine: decisions given a history and an LLM client
    "assistant.engine": "engine",
    # adapters: the outside world (HTTP, SQL, processes), and the engine's Optuna adapter
    # (as optuna/samplers/_gp/sampler.py adapts optuna/_gp): given an LLMConfig instead
    # of a client, the sampler makes the client itself
    "assistant.sampler": "adapters",
    "assistant.trial_history": "adapters",
    "assistant.llm": "adapters",
    "assistant.store": "adapters",
    "assistant.migrations": "adapters",
    "assistant.tools": "adapters",
    "assistant.tabular": "adapters",
    "assistant.testing": "adapters",
    # session: orchestration and the event language
    "assistant.events": "session",
    "assistant.event_schema": "session",
    "assistant.fold": "session",
    "assistant.llm_health": "session",
    "assistant.create": "session",
    "assistant.cash": "session",
    "assistant.ensemble": "session",
    "assistant.run": "session",
    "assistant.review": "session",
    "assistant.session": "session",
    "assistant.replay": "session",
    "assistant.timeline": "session",
    # faces
    "assistant": "faces",  # the package's front door re-exports the faces
    "assistant.__main__": "faces",
    "assistant.api": "faces",
    "assistant.cli": "faces",
    "assistant.widget": "faces",
    "assistant.progress": "faces",
    "assistant.report": "faces",
    "assistant.deploy": "faces",  # the model a user deploys, as tune() hands it back
    "assistant.chat": "faces",
    "assistant.jupyter_ext": "faces",
}


def _modules() -> dict[str, Path]:
    """Every module of the package by its installed name (pyproject's package-dir)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: dict[str, Path] = {}
    for package, folder in config["tool"]["setuptools"]["package-dir"].items():
        for path in sorted((ROOT / folder).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


MODULES = _modules()


def layer(module: str) -> str | None:
    """The layer of ``module``: its longest prefix in :data:`LAYER_OF`."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = LAYER_OF.get(".".join(parts[:end]))
        if found is not None:
            return found
    return None


def imports(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its file."""
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from assistant import events` imports the module assistant.events
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        out.update(t for t in targets if t == "assistant" or t.startswith("assistant."))
    return out


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if layer(m) is None] == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_from_a_layer_above_its_own(name: str) -> None:
    mine = LAYERS.index(layer(name))  # type: ignore[arg-type]
    upward = sorted(
        f"{target} ({layer(target)})"
        for target in imports(name, MODULES[name])
        if layer(target) is not None and LAYERS.index(layer(target)) > mine  # type: ignore[arg-type]
    )
    assert upward == [], f"{name} ({layer(name)}) imports from above: {upward}"


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from assistant.widget import SessionWidget\n")
    assert "assistant.widget" in imports("assistant.engine.bad", bad)


def _long_functions(path: Path, limit: int) -> list[str]:
    """Functions whose body (after the signature and docstring) spans over ``limit`` lines."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        if (
            len(body) > 1
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            body = body[1:]  # the docstring
        lines = (node.end_lineno or node.lineno) - body[0].lineno + 1
        if lines > limit:
            out.append(f"{node.name} ({lines} lines)")
    return out


@pytest.mark.parametrize("module", ["session", "run", "create"])
def test_the_session_layer_has_no_function_over_60_lines(module: str) -> None:
    assert _long_functions(ROOT / "assistant" / f"{module}.py", 60) == []
