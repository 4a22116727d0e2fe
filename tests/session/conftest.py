"""Small datasets and stores for the session tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.datasets import load_iris

from assistant.store import Store
from assistant.tools import Dataset


@pytest.fixture
def iris() -> Dataset:
    return Dataset.from_arrays(*load_iris(return_X_y=True), name="iris")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'sessions.db'}")
