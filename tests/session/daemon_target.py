"""A function that tunes inside a daemonic process, as a Celery or Dask worker would
(multiprocessing refuses such a process children of its own)."""

from __future__ import annotations

from typing import Any


def tune_and_report(storage: str, answers: Any) -> None:
    from sklearn.datasets import load_iris

    import assistant

    try:
        result = assistant.tune(
            load_iris(return_X_y=True), model="knn", n_trials=3, llm="off", n_folds=3,
            verbose=False, storage=storage,
        )  # fmt: skip
        answers.put(("ok", result.session.result().n_complete, result.session.spec.isolation))
    except BaseException as exc:
        answers.put(("error", repr(exc), None))
