"""JupyterLab server for the browser tests (``jupyter lab --config jupyter_server_test_config.py``).

Galata's settings (a temporary root folder, no token, no browser), a port of our own, and a
fresh store for the run: the kernel inherits ``ASSISTANT_STORAGE`` from the server, so the
sidebar's comm (in the kernel) and the server extension read and write the same database.
"""

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

from assistant.testing import Reply, ScriptedLLMServer

c = get_config()  # noqa: F821  (Jupyter's config loader provides it)
configure_jupyter_server(c)
c.ServerApp.port = int(os.environ.get("UI_TESTS_PORT", "8988"))
c.ServerApp.port_retries = 0
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

_state = tempfile.mkdtemp(prefix="automl-assistant-ui-")
os.environ["ASSISTANT_STORAGE"] = f"sqlite:///{_state}/automl-assistant.db"
for _name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "ASSISTANT_LLM_API_KEY"):
    os.environ.pop(_name, None)


# A scripted OpenAI-compatible endpoint for the natural-language chat turn: it asks for the
# list_dataframes tool, then answers with what the tool returned. The kernel finds it through
# the environment it inherits; tuning in these tests runs with llm=off.
def _respond(body):
    """The chat agent's scripted model: a request to tune proposes a knn session on ``df``
    (3 trials); any other message lists the kernel's DataFrames."""
    last = body["messages"][-1]
    if last.get("role") == "tool":
        if str(last.get("content", "")).startswith("Proposed"):
            return Reply.text("Shall I start it? Press Run.")
        return Reply.text(f"Your kernel has these DataFrames: {last['content']}")
    if "tune" in str(last.get("content", "")).lower():
        start = {"dataframe": "df", "target": "target", "n_trials": 3, "model": "knn"}
        return Reply.calling(("start_tuning", start))
    return Reply.calling(("list_dataframes", {}))


_llm = ScriptedLLMServer(_respond, model="scripted-model").start()
os.environ["ASSISTANT_LLM_BASE_URL"] = _llm.base_url
os.environ["ASSISTANT_LLM_MODEL"] = "scripted-model"
