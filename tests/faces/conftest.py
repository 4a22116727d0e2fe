"""Real (small, fast) sessions for the faces' tests: one without the LLM, one with a
scripted LLM server whose rationales carry markup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sklearn.datasets import load_iris

from assistant.engine import EngineOptions
from assistant.llm import LLMConfig
from assistant.session import TuningSession
from assistant.store import Store
from assistant.testing import ScriptedLLMServer, schema_responder
from assistant.tools import Dataset

MARKUP = "<script>alert(1)</script>"
API_KEY = "sk-faces-test-0123456789"


def make_session(folder: Path, **options: Any) -> TuningSession:
    """A 6-trial k-NN session on iris in a fresh store under ``folder`` (not run)."""
    settings: dict[str, Any] = {"n_trials": 6, "mode": "off", "isolation": "inline", "n_folds": 3}
    settings.update(options)
    return TuningSession.create(
        Dataset.from_arrays(*load_iris(return_X_y=True), name="iris"),
        tool="knn",
        store=Store(f"sqlite:///{folder}/s.db"),
        **settings,
    )


def markup_responder() -> Callable[[dict[str, Any]], Any]:
    """Random schema-valid answers whose ``rationale`` (when asked for) contains markup."""
    inner = schema_responder(seed=0)

    def respond(body: dict[str, Any]) -> Any:
        reply = inner(body)
        if isinstance(reply, dict) and "rationale" in reply:
            return {**reply, "rationale": f"{MARKUP} small k suits iris"}
        return reply

    return respond


@pytest.fixture(scope="module")
def off_session(tmp_path_factory: pytest.TempPathFactory) -> TuningSession:
    """A finished session without the LLM, whose name and notes carry markup."""
    session = make_session(
        tmp_path_factory.mktemp("off"), name=f"iris {MARKUP}", notes=f"notes {MARKUP}"
    )
    session.run()
    return session


@pytest.fixture(scope="module")
def llm_session(tmp_path_factory: pytest.TempPathFactory) -> TuningSession:
    """A finished 8-trial session in ``full`` mode against a scripted LLM server."""
    with ScriptedLLMServer(markup_responder()) as server:
        llm = LLMConfig(
            base_url=server.base_url,
            model="scripted",
            api_key=API_KEY,
            timeout_s=2,
            max_retries=0,
            backoff_s=0,
        )
        # Two surrogate samples a step, so the report's rationale shows repeated calls.
        options = EngineOptions(llm_wait="never", n_surrogate_samples=2)
        folder = tmp_path_factory.mktemp("llm")
        session = make_session(folder, n_trials=8, mode="full", llm=llm, options=options)
        session.run()
    return session
