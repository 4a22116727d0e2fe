"""Turning a config into a ready client, starting the embedded model when that is the choice."""

from __future__ import annotations

import logging

from assistant.llm.config import LLMConfig, resolve_llm_config
from assistant.llm.openai_client import OpenAICompatibleClient

logger = logging.getLogger(__name__)


def make_client(config: LLMConfig | None = None) -> OpenAICompatibleClient:
    """The client for ``config`` (default: :func:`resolve_llm_config`).

    An embedded config without a ``base_url`` starts the shared llama.cpp server first (a few
    seconds, once per process) and fills in its URL and model; the client restarts that
    server once if it dies.

    Example:
        >>> client = make_client(LLMConfig(base_url="http://127.0.0.1:8080/v1", model="m"))
        >>> client.model_name
        'm'
    """
    config = config or resolve_llm_config()
    if config.embedded and not config.base_url:
        from assistant.llm.embedded import embedded_server, restart_if_dead

        server = embedded_server(config.embedded_threads)
        config = config.model_copy(
            update={"base_url": server.base_url, "model": config.model or server.model_name}
        )
        logger.debug("LLM client for %s", config.to_public_dict())
        return OpenAICompatibleClient(config, restart=restart_if_dead)
    logger.debug("LLM client for %s", config.to_public_dict())
    return OpenAICompatibleClient(config)
