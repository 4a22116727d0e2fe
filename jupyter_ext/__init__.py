"""The JupyterLab face of automl-assistant: a server extension and a prebuilt sidebar.

The server extension (:mod:`assistant.jupyter_ext.handlers`) reads the store over REST for
any session, including sessions run headless or on another machine; tuning itself runs in
the notebook's kernel (see :mod:`assistant.chat`), which the sidebar drives through a
Jupyter comm. The
labextension is built from the repository's ``src/`` into ``jupyter_ext/labextension`` and
shipped in the wheel, so users need no Node.js.
"""

from __future__ import annotations

from typing import Any

LABEXTENSION_NAME = "automl-assistant-jupyterlab"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": LABEXTENSION_NAME}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "assistant.jupyter_ext"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    from assistant.jupyter_ext.handlers import setup_handlers

    setup_handlers(server_app.web_app)
    server_app.log.info("automl-assistant server extension loaded")
