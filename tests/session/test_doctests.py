"""The runnable examples in the docstrings of the session layer and its records."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "assistant.create",
    "assistant.engine.tool_choice",
    "assistant.events",
    "assistant.fold",
    "assistant.llm_health",
    "assistant.records",
    "assistant.review",
    "assistant.session",
    "assistant.timeline",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
