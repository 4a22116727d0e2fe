"""The LLAMBO engine: pure decisions given a history and an LLM client.

The math (surrogates, acquisition, candidate generation, track-record weighting) lives here
as plain code; :mod:`assistant.sampler` only adapts it to Optuna.
"""

from assistant.engine.history import Observation
from assistant.engine.planner import EngineOptions, Planner, Suggestion

__all__ = ["EngineOptions", "Observation", "Planner", "Suggestion"]
