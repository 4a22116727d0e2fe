"""The event vocabulary: the one language between a session and every face.

Events are appended to the store with increasing ids; the CLI's progress, the notebook
widget, the JupyterLab sidebar and replay all render the same stream. Each kind is a
constant here so faces and the session cannot drift apart.
"""

from __future__ import annotations

from typing import Final

SESSION_CREATED: Final = "session_created"
TOOL_CHOSEN: Final = "tool_chosen"  # model="auto": which family, and why
SESSION_STARTED: Final = "session_started"  # a run began (first start or a resume)
SESSION_FINISHED: Final = "session_finished"
SESSION_STOPPED: Final = "session_stopped"
SESSION_FAILED: Final = "session_failed"
SUGGESTION: Final = "suggestion"  # what the engine proposes for a trial, with its reasons
TRIAL_STARTED: Final = "trial_started"
TRIAL_FINISHED: Final = "trial_finished"  # complete, pruned, failed or timed out
TRIAL_ABANDONED: Final = "trial_abandoned"  # left RUNNING by a killed process; marked failed
FALLBACK: Final = "fallback"  # the LLM could not be used for a step; the statistical path was
# The LLM's health changed (assistant.llm.health): payload state, previous, reason,
# retry_in_s, permanent; trial_number is the first trial the change concerns.
LLM_DEGRADED: Final = "llm_degraded"  # failures (or a restarted server), still tried
LLM_UNAVAILABLE: Final = "llm_unavailable"  # not called until a probe answers (or ever)
LLM_RECOVERED: Final = "llm_recovered"  # answering again
FINAL_EVALUATION: Final = "final_evaluation"  # held-out score of the best configuration
USER_ACTION: Final = "user_action"  # stop, accept, reject, edit: written by a face, read here

ALL: Final = frozenset(
    {
        SESSION_CREATED,
        TOOL_CHOSEN,
        SESSION_STARTED,
        SESSION_FINISHED,
        SESSION_STOPPED,
        SESSION_FAILED,
        SUGGESTION,
        TRIAL_STARTED,
        TRIAL_FINISHED,
        TRIAL_ABANDONED,
        FALLBACK,
        LLM_DEGRADED,
        LLM_UNAVAILABLE,
        LLM_RECOVERED,
        FINAL_EVALUATION,
        USER_ACTION,
    }
)

LLM_HEALTH: Final = frozenset({LLM_DEGRADED, LLM_UNAVAILABLE, LLM_RECOVERED})
HEALTH_EVENT: Final = {
    "degraded": LLM_DEGRADED,
    "unavailable": LLM_UNAVAILABLE,
    "ok": LLM_RECOVERED,
}
"""The event kind of each health state a change leads to."""
