"""Deprecated: the scripted test server moved to :mod:`assistant.testing`; this alias goes
away in the next release."""

import warnings

from assistant.testing.scripted_server import (  # noqa: F401
    FaultMix,
    Reply,
    Responder,
    ScriptedLLMServer,
    fill_schema,
    requested_schema,
    schema_responder,
)

warnings.warn(
    "assistant.llm.scripted_server moved to assistant.testing; import it from there",
    DeprecationWarning,
    stacklevel=2,
)
