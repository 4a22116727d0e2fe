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
        FINAL_EVALUATION,
        USER_ACTION,
    }
)
