"""jupyter_server's pytest fixtures (``jp_fetch``, ``jp_serverapp``, ...) for these tests."""

from __future__ import annotations

import pytest

pytest.importorskip("jupyter_server")

from pytest_jupyter.jupyter_server import *  # noqa: F403


@pytest.fixture
def jp_server_config() -> dict:
    return {"ServerApp": {"jpserver_extensions": {"assistant.jupyter_ext": True}}}
