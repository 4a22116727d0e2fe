"""Packaging promises: the import name, optional heavy dependencies, the templates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from assistant.prompting import render

REPO = Path(__file__).resolve().parents[1]

BLOCK = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'torch', 'jupyterlab', 'jupyter_server', 'ipywidgets'}:
            raise ImportError(f'{name} is blocked for this test')
sys.meta_path.insert(0, Block())
"""


def _python(code: str) -> list[str]:
    """The lines a fresh interpreter prints running ``code`` in the checkout."""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_import_assistant_needs_neither_torch_nor_jupyter() -> None:
    code = BLOCK + (
        "import assistant, assistant.tools, assistant.cli\n"
        "from assistant.tools import get_tool\n"
        "get_tool('random_forest')\n"
        "print('ok')\n"
    )
    assert _python(code) == ["ok"]


def test_a_worker_imports_the_tools_not_the_whole_package() -> None:
    """A trial worker imports ``assistant.tools._worker``; the package's front door names
    its faces lazily, so the worker does not import them (it took four seconds more)."""
    code = (
        "import sys, assistant.tools._worker\n"
        "print(sorted(m for m in ('assistant.api', 'assistant.llm', 'assistant.engine',"
        " 'jsonschema') if m in sys.modules))\n"
        "import assistant\n"
        "print(assistant.tune.__module__, 'tune' in dir(assistant), assistant.Store.__name__)\n"
    )
    assert _python(code) == ["[]", "assistant.api True Store"]


def test_an_unknown_name_of_the_package_is_an_attribute_error() -> None:
    import assistant

    with pytest.raises(AttributeError, match="no attribute 'tuner'"):
        assistant.tuner  # noqa: B018


def test_tools_and_prompts_are_not_top_level_packages() -> None:
    code = "import importlib.util as u; print(u.find_spec('tools'), u.find_spec('prompts'))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=60
    )
    assert proc.stdout.strip() == "None None"


def test_templates_are_strict() -> None:
    with pytest.raises(jinja2.UndefinedError):
        render("warmstart.j2")  # no context given


def test_tune_prints_nothing_when_not_verbose(tmp_path: Path, capfd) -> None:
    from sklearn.datasets import load_iris

    import assistant

    X, y = load_iris(return_X_y=True)
    assistant.tune(
        (X, y),
        model="knn",
        n_trials=3,
        llm="off",
        n_folds=3,
        verbose=False,
        isolation="inline",
        storage=f"sqlite:///{tmp_path / 'q.db'}",
    )
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_the_llm_api_holds_no_test_only_code() -> None:
    import warnings

    import assistant.llm
    import assistant.testing

    moved = {"FaultMix", "Reply", "ScriptedLLMServer", "schema_responder"}
    assert not moved & set(assistant.llm.__all__)
    assert moved <= set(assistant.testing.__all__)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = assistant.llm.ScriptedLLMServer  # the old spelling works for one release
    assert old is assistant.testing.ScriptedLLMServer
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
