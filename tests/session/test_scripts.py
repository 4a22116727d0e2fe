"""tune() from ordinary Python entry points, each in a real subprocess with process isolation:
a script without a ``__main__`` guard, the same script on standard input, ``python -c``, a
script that registers its own tool function, and tune() called from a thread."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

import assistant

REPO = Path(__file__).resolve().parents[2]


def readme_script() -> str:
    """The README's first Python block: the script it tells users to save and run."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split("```python\n", 1)[1].split("```", 1)[0]


README_EXAMPLE = readme_script()

OWN_TOOL = textwrap.dedent(
    """\
    import json, os, sys
    import assistant
    from assistant.space import FloatParam, SearchSpace
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    PIDS = sys.argv[1]

    def my_model(X_train, y_train, X_valid, y_valid, config, seed):
        with open(PIDS, "a") as out:  # where the trial really ran
            out.write(f"{os.getpid()}\\n")
        model = LogisticRegression(C=config["C"], max_iter=500).fit(X_train, y_train)
        return float(model.score(X_valid, y_valid))

    X, y = load_iris(return_X_y=True)
    space = SearchSpace.of(FloatParam(name="C", low=0.01, high=10.0, log=True))
    res = assistant.tune((X, y), model=my_model, search_space=space, n_trials=3, llm="off",
                         n_folds=3, verbose=False)
    print(json.dumps({"pid": os.getpid(), "score": res.cv_score}))
    """
)


def run_python(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["ASSISTANT_STORAGE"] = f"sqlite:///{cwd / 'scripts.db'}"
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_quiet_success(done: subprocess.CompletedProcess) -> float:
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == "", done.stderr[-3000:]  # verbose=False prints nothing
    (line,) = done.stdout.splitlines()
    score = float(line)
    assert 0.9 < score <= 1.0
    return score


@pytest.mark.integration
def test_the_readme_example_as_a_script_without_a_main_guard(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(README_EXAMPLE)
    assert_quiet_success(run_python(["train.py"], tmp_path))


@pytest.mark.integration
def test_the_same_script_on_standard_input(tmp_path: Path) -> None:
    assert_quiet_success(run_python(["-"], tmp_path, stdin=README_EXAMPLE))


@pytest.mark.integration
def test_python_dash_c(tmp_path: Path) -> None:
    assert_quiet_success(run_python(["-c", README_EXAMPLE], tmp_path))


@pytest.mark.integration
def test_a_script_with_its_own_tool_function_runs_it_in_workers(tmp_path: Path) -> None:
    (tmp_path / "own_tool.py").write_text(OWN_TOOL)
    pids = tmp_path / "pids.txt"
    done = run_python(["own_tool.py", str(pids)], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["score"] > 0.8
    calls = [int(p) for p in pids.read_text().split()]
    # The trials (three folds each) ran in worker processes; only the held-out refit of the
    # best configuration runs in the script's own process.
    assert len([p for p in calls if p != answer["pid"]]) >= 3, calls
    assert calls.count(answer["pid"]) <= 1, calls


@pytest.mark.integration
def test_tune_from_a_thread(tmp_path: Path) -> None:
    from sklearn.datasets import load_iris

    outcome: list[object] = []

    def work() -> None:
        try:
            outcome.append(
                assistant.tune(
                    load_iris(return_X_y=True),
                    model="knn",
                    n_trials=3,
                    llm="off",
                    n_folds=3,
                    verbose=False,
                    storage=f"sqlite:///{tmp_path / 'thread.db'}",
                )
            )
        except BaseException as exc:  # the assertion below shows it
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=240)
    (result,) = outcome
    assert isinstance(result, assistant.TuningResult), result
    assert result.session.spec.isolation == "process"
    assert result.session.result().n_complete == 3


@pytest.mark.integration
def test_tune_inside_a_daemonic_process(tmp_path: Path) -> None:
    import multiprocessing

    from tests.session.daemon_target import tune_and_report

    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    worker = context.Process(
        target=tune_and_report, args=(f"sqlite:///{tmp_path / 'daemon.db'}", answers), daemon=True
    )
    worker.start()
    outcome = answers.get(timeout=240)
    worker.join(timeout=30)
    assert outcome == ("ok", 3, "process"), outcome
