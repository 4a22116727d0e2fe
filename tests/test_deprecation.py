"""Renamed Python keywords keep working for one release, with a warning at the caller's line."""

from __future__ import annotations

import warnings

import pytest

from assistant._deprecation import REMOVED_IN, deprecated_alias, renamed_kwargs


@renamed_kwargs(trials="n_trials", folds="n_folds")
def _run(data: str, *, n_trials: int = 20, n_folds: int = 5) -> tuple[str, int, int]:
    """A documented function."""
    return data, n_trials, n_folds


def test_the_old_keyword_works_and_warns_at_the_callers_line() -> None:
    with pytest.warns(FutureWarning, match=r"trials= is deprecated .* use n_trials=") as caught:
        assert _run("df", trials=3) == ("df", 3, 5)
    (warning,) = caught.list
    assert warning.filename == __file__
    assert REMOVED_IN in str(warning.message)


def test_the_new_keyword_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _run("df", n_trials=3, n_folds=2) == ("df", 3, 2)


def test_both_spellings_at_once_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"both trials= and n_trials=; pass only n_trials="):
        _run("df", trials=3, n_trials=4)


def test_the_wrapper_keeps_the_name_and_docstring() -> None:
    assert _run.__name__ == "_run" and _run.__doc__ == "A documented function."


def test_every_face_says_the_same_sentence() -> None:
    assert deprecated_alias("--trials", "--n-trials") == (
        f"--trials is deprecated and will be removed in {REMOVED_IN}; use --n-trials"
    )
