"""Which LLM endpoint to talk to, and how patiently.

:func:`resolve_llm_config` turns explicit arguments, the environment and the embedded default
into one :class:`LLMConfig`. The API key is a :class:`pydantic.SecretStr`: it never shows in a
``repr``, a log line or :meth:`LLMConfig.to_public_dict`, which is what records keep.

Example:
    >>> config = resolve_llm_config("http://127.0.0.1:8080/v1", "my-model", "sk-secret")
    >>> "sk-secret" in repr(config), config.to_public_dict()["model"]
    (False, 'my-model')
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

StructuredMode = Literal["auto", "json_object_schema", "json_schema", "json_object", "prompt"]
"""How a JSON schema reaches the endpoint.

- ``json_schema``: OpenAI's ``response_format={"type": "json_schema", ...}``.
- ``json_object_schema``: ``{"type": "json_object", "schema": {...}}``, which llama.cpp
  enforces with a grammar (structure, types and ``enum``; not ``minimum``/``maximum``).
- ``json_object``: plain JSON mode; the schema goes into the system message.
- ``prompt``: no ``response_format`` at all; the schema goes into the system message.
- ``auto``: ``json_object_schema`` for the embedded server, ``json_schema`` elsewhere.
"""

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"

# ASSISTANT_ variables come first so a user can point the assistant elsewhere without
# disturbing other OpenAI tools that read the OPENAI_ ones.
_ENV_BASE_URL = ("ASSISTANT_LLM_BASE_URL", "OPENAI_BASE_URL")
_ENV_MODEL = ("ASSISTANT_LLM_MODEL",)
_ENV_API_KEY = ("ASSISTANT_LLM_API_KEY", "OPENAI_API_KEY")


class LLMConfig(BaseModel):
    """Settings of one LLM endpoint.

    ``embedded=True`` means the bundled llama.cpp server; its ``base_url`` and ``model`` stay
    ``None`` until :func:`assistant.llm.make_client` starts it. ``model=None`` on another
    endpoint means "whatever its ``/models`` lists first".

    Example:
        >>> LLMConfig(base_url="http://127.0.0.1:8080/v1", api_key="sk-x").api_key
        SecretStr('**********')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    embedded: bool = False
    embedded_threads: int | None = Field(
        None,
        ge=1,
        description="threads of the embedded llama.cpp server, for prompts and generation "
        "alike (None: half this process's CPUs, so trials that train beside the LLM keep the "
        "rest; give every CPU when trials wait for the LLM, as the benchmark's do)",
    )
    temperature: float = Field(0.7, ge=0.0, le=2.0)
    timeout_s: float = Field(60.0, gt=0.0)
    max_retries: int = Field(3, ge=0, description="HTTP retries per request")
    output_retries: int = Field(2, ge=0, description="re-asks after a malformed JSON answer")
    backoff_s: float = Field(0.5, ge=0.0, description="first retry delay; doubles each retry")
    max_backoff_s: float = Field(20.0, ge=0.0, description="cap on any delay, Retry-After too")
    structured_output: StructuredMode = "auto"
    breaker_threshold: int = Field(
        5,
        ge=1,
        description="consecutive failed requests (connection, timeout, 5xx; retries count) "
        "that make the LLM unavailable: a dead endpoint costs one call's retries and one "
        "more request, while a flaky one that answers most requests stays in use",
    )
    breaker_cooldown_s: float = Field(
        30.0, gt=0.0, description="seconds before an unavailable LLM is probed again"
    )
    continuous_values: bool | None = Field(
        None,
        description="numeric parameters as free numbers (validated, snapped and clipped into "
        "the space afterwards) rather than a closed grid of values; None: automatic, the grid "
        "for the embedded model (a small model's numbers are often invalid), free numbers "
        "for any other endpoint",
    )

    def effective_continuous_values(self) -> bool:
        """Whether this endpoint gets free numbers (``continuous_values``, or the automatic
        choice: ``False`` for the embedded model, ``True`` elsewhere).

        Example:
            >>> LLMConfig(embedded=True).effective_continuous_values()
            False
            >>> LLMConfig(embedded=True, continuous_values=True).effective_continuous_values()
            True
        """
        if self.continuous_values is not None:
            return self.continuous_values
        return not self.embedded

    def resolved(self) -> LLMConfig:
        """This config with its automatic choices made, as a session records it, so a resume
        or a replay repeats them even where a later version would choose otherwise.

        Example:
            >>> LLMConfig(base_url="http://h/v1").resolved().continuous_values
            True
        """
        return self.model_copy(update={"continuous_values": self.effective_continuous_values()})

    def effective_structured_mode(self) -> StructuredMode:
        """The mode ``auto`` stands for on this endpoint (other modes are returned as is)."""
        if self.structured_output != "auto":
            return self.structured_output
        return "json_object_schema" if self.embedded else "json_schema"

    def api_key_value(self) -> str | None:
        """The API key in clear, for the HTTP client only."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    def to_public_dict(self) -> dict[str, Any]:
        """The settings without the API key (only whether one is set), safe to record.

        Example:
            >>> LLMConfig(api_key="sk-x", embedded=True).to_public_dict()["has_api_key"]
            True
        """
        public = self.model_dump(mode="json", exclude={"api_key"})
        public["has_api_key"] = self.api_key is not None
        return public

    @classmethod
    def from_public_dict(cls, public: dict[str, Any], *, api_key: str | None = None) -> LLMConfig:
        """The config that :meth:`to_public_dict` recorded, every setting as it was.

        The key is ``api_key``, else (when the record says one was set) the environment's
        ``ASSISTANT_LLM_API_KEY`` / ``OPENAI_API_KEY``. Keys the record has but this version
        does not know are ignored, so older and newer records both load.

        Example:
            >>> config = LLMConfig(base_url="http://h/v1", model="m", breaker_threshold=2)
            >>> LLMConfig.from_public_dict(config.to_public_dict()) == config
            True
        """
        fields = {k: v for k, v in public.items() if k in cls.model_fields and k != "api_key"}
        if api_key is None and public.get("has_api_key"):
            api_key = _first_env(_ENV_API_KEY)
        return cls(**fields, api_key=_secret(api_key))


def resolve_llm_config(
    base_url: str | None = None,
    model: str | None = None,
    api_key: str | None = None,
    **overrides: Any,
) -> LLMConfig:
    """Build the config from explicit arguments, then the environment, then the embedded default.

    Environment: ``ASSISTANT_LLM_BASE_URL`` / ``OPENAI_BASE_URL``, ``ASSISTANT_LLM_MODEL``,
    ``ASSISTANT_LLM_API_KEY`` / ``OPENAI_API_KEY`` (the ``ASSISTANT_`` ones win). With no base
    URL and no model anywhere the embedded llama.cpp model is used; a model without a base
    URL means OpenAI's own endpoint. ``overrides`` are any other :class:`LLMConfig` fields
    (``timeout_s=5``, ``embedded=True``…).

    Example:
        >>> resolve_llm_config(embedded=True).embedded
        True
    """
    embedded = bool(overrides.pop("embedded", False))
    if not embedded:
        base_url = base_url or _first_env(_ENV_BASE_URL)
        model = model or _first_env(_ENV_MODEL)
        embedded = base_url is None and model is None
    if embedded:
        # An OpenAI key in the environment is not meant for the local server: leave it out.
        return LLMConfig(
            embedded=True, base_url=base_url, model=model, api_key=_secret(api_key), **overrides
        )
    return LLMConfig(
        base_url=base_url or OPENAI_DEFAULT_BASE_URL,
        model=model,
        api_key=_secret(api_key or _first_env(_ENV_API_KEY)),
        **overrides,
    )


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value else None


def _first_env(names: tuple[str, ...]) -> str | None:
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
