"""Fixtures for the LLM adapter tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.store import Store


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    """A fresh SQLite file store."""
    s = Store(f"sqlite:///{tmp_path}/t.db")
    yield s
    s.close()
