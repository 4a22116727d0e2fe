"""The examples in the tools' docstrings run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "assistant.tools",
    "assistant.tools.base",
    "assistant.tools.data",
    "assistant.tools.ensemble",
    "assistant.tools.evaluation",
    "assistant.tools.function_tool",
    "assistant.tools.metrics",
    "assistant.tools.registry",
    "assistant.tools.runner",
    "assistant.tools.sklearn_tools",
    "assistant.tools.torch_tools",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, request: pytest.FixtureRequest) -> None:
    if name == "assistant.tools.torch_tools":
        request.getfixturevalue("torch_one_thread")
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
