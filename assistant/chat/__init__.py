"""The chat face: slash commands (and, later, a tool-calling agent) that drive sessions.

:class:`~assistant.chat.commands.ChatController` turns one chat message into replies; it
needs no LLM and no Jupyter. :mod:`assistant.chat.comm` connects it to the JupyterLab
sidebar through a Jupyter comm in the notebook's kernel (imported only there).
"""

from assistant.chat.commands import ChatController, ChatReply, parse_command

__all__ = ["ChatController", "ChatReply", "parse_command"]
