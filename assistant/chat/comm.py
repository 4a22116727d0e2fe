"""The kernel side of the JupyterLab sidebar: a Jupyter comm target for chat and control.

The sidebar runs ``import assistant.chat.comm as c; c.register()`` in the notebook's kernel,
then opens a comm on :data:`TARGET`. Each message ``{"id", "text"}`` is answered with
``{"id", "reply": ChatReply}``. Tuning runs here, next to the user's DataFrames; the sidebar
follows the session through the server's events endpoint. Imported only inside a kernel:
``import assistant`` never imports this module.
"""

from __future__ import annotations

import logging
from typing import Any

from assistant.chat.agent import ChatAgent
from assistant.chat.commands import ChatController, ChatReply

logger = logging.getLogger(__name__)

TARGET = "automl_assistant"


def register(namespace: dict[str, Any] | None = None) -> None:
    """Register the comm target in the running kernel (idempotent)."""
    from comm import get_comm_manager

    if namespace is None:
        from IPython import get_ipython

        shell = get_ipython()
        namespace = shell.user_ns if shell is not None else {}
    manager = get_comm_manager()
    controllers: dict[str, ChatController] = {}

    def on_open(comm: Any, open_msg: dict[str, Any]) -> None:
        settings = open_msg.get("content", {}).get("data") or {}
        key = str(settings.get("storageUrl") or "")
        controller = controllers.get(key)
        if controller is None:
            controller = ChatController(namespace, storage=key or None)
            controller.agent = ChatAgent(controller)
            controllers[key] = controller
        controller.llm_base_url = settings.get("llmBaseUrl") or None
        controller.llm_model = settings.get("llmModel") or None

        def on_msg(msg: dict[str, Any]) -> None:
            data = msg.get("content", {}).get("data") or {}
            try:
                reply = controller.handle(str(data.get("text", "")))
            except Exception as exc:  # the sidebar waits for an answer to every message
                logger.exception("chat message failed")
                reply = ChatReply(text=f"Error: {type(exc).__name__}: {exc}", ok=False)
            comm.send({"id": data.get("id"), "reply": reply.model_dump()})

        comm.on_msg(on_msg)
        comm.send({"id": None, "ready": True, "dataframes": controller.dataframes()})

    manager.register_target(TARGET, on_open)
