"""AutoML comparison (issue #18, item 5): ``tune(model="auto")`` against FLAML's
``AutoML.fit`` at the same wall-clock budget, on real tables bundled inside installed
packages (scikit-learn, statsmodels, vega_datasets: nothing is downloaded), and writes
``benchmarks/results/automl_vs_flaml.json`` and ``.md``::

    pip install flaml statsmodels vega_datasets
    python -m benchmarks.automl_vs_flaml                      # every table, 45 s each
    python -m benchmarks.automl_vs_flaml --budget-s 20 --tables cars,grunfeld

Protocol, per table: one split (25% test, seed 0, stratified for classification); both
systems get the raw training rows (strings, NaN and dates as they are), the same metric
(ROC-AUC for binary, accuracy for multiclass, RMSE for regression), the same budget in
seconds and one core (our trials run one at a time, single-threaded; FLAML ``n_jobs=1``).
Ours runs with the LLM off, so the comparison is of the statistical engines. Both are then
scored on the same test rows, with a 95% bootstrap interval each (1000 resamples of the
test rows) and a paired interval of the difference (ours minus FLAML, same resamples).

Ours is asked for ``timeout=budget``: its race gives each family a share of the time, the
search stops at 80% of it and the ensemble gets the rest. A stop is also requested at the
budget, a guard that rarely fires (the trial in flight, or the ensemble, running late):
the session then stops after the trial in flight, and ``result.finalize()`` refits what it
has, inside our time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.model_selection import train_test_split

logger = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results" / "automl_vs_flaml.json"
DEFAULT_BUDGET_S = 45.0
N_TRIALS = 5000
"""Our trial budget: more than fit in the time, so the time ends a session, as it ends
FLAML's (the race shares the time out among its rungs and families)."""
N_BOOTSTRAP = 1000
TEST_SIZE = 0.25
SEED = 0


@dataclass(frozen=True)
class Table:
    """A bundled table: where it comes from, its target and how it is scored."""

    name: str
    source: str
    target: str
    kind: str  # "binary", "multiclass" or "regression"
    load: Callable[[], pd.DataFrame]

    @property
    def metric(self) -> str:
        return {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}[self.kind]

    @property
    def direction(self) -> str:
        return "minimize" if self.kind == "regression" else "maximize"


def _sklearn(name: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(as_frame=True).frame

    return load


def _fair() -> pd.DataFrame:
    from statsmodels.datasets import fair

    df = fair.load_pandas().data
    return df.assign(affair=(df.pop("affairs") > 0).astype(int))


def _anes96() -> pd.DataFrame:
    from statsmodels.datasets import anes96

    return anes96.load_pandas().data.astype({"vote": int})


def _grunfeld() -> pd.DataFrame:
    from statsmodels.datasets import grunfeld

    return grunfeld.load_pandas().data


def _vega(name: str, target: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        from vega_datasets import local_data

        df = getattr(local_data, name)()
        return df.dropna(subset=[target]).reset_index(drop=True)

    return load


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table("breast_cancer", "scikit-learn load_breast_cancer", "target", "binary",
              _sklearn("breast_cancer")),
        Table("fair", "statsmodels.datasets.fair (affairs > 0)", "affair", "binary", _fair),
        Table("anes96", "statsmodels.datasets.anes96", "vote", "binary", _anes96),
        Table("seattle_weather", "vega_datasets.local_data.seattle_weather (date column)",
              "weather", "multiclass", _vega("seattle_weather", "weather")),
        Table("digits", "scikit-learn load_digits", "target", "multiclass", _sklearn("digits")),
        Table("cars", "vega_datasets.local_data.cars (names, NaN, dates; rows without mpg dropped)",
              "Miles_per_Gallon", "regression", _vega("cars", "Miles_per_Gallon")),
        Table("diabetes", "scikit-learn load_diabetes", "target", "regression",
              _sklearn("diabetes")),
        Table("grunfeld", "statsmodels.datasets.grunfeld (firm as text)", "invest",
              "regression", _grunfeld),
    ]
}  # fmt: skip


def split(table: Table, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The one train/test split both systems use."""
    stratify = df[table.target] if table.kind != "regression" else None
    train, test = train_test_split(df, test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def score(table: Table, y: np.ndarray, prediction: np.ndarray) -> float:
    """The table's metric: ``prediction`` is P(class 1) for binary, labels for multiclass,
    values for regression."""
    if table.kind == "binary":
        return float(skm.roc_auc_score(y, prediction))
    if table.kind == "multiclass":
        return float(np.mean(y == prediction))
    return float(np.sqrt(np.mean((np.asarray(y, float) - np.asarray(prediction, float)) ** 2)))


def _predictions(table: Table, model: Any, X: pd.DataFrame, classes: list[Any]) -> np.ndarray:
    if table.kind == "binary":
        proba = np.asarray(model.predict_proba(X))
        return proba[:, list(classes).index(1)]
    return np.asarray(model.predict(X))


def bootstrap(
    table: Table, y: np.ndarray, ours: np.ndarray, flaml: np.ndarray, n: int = N_BOOTSTRAP
) -> dict[str, list[float]]:
    """95% percentile intervals of each score and of the paired difference (ours − FLAML)
    over the same resamples of the test rows."""
    rng = np.random.default_rng(SEED)
    a: list[float] = []
    b: list[float] = []
    while len(a) < n:
        idx = rng.integers(0, len(y), len(y))
        if table.kind == "binary" and len(np.unique(y[idx])) < 2:
            continue  # ROC-AUC needs both classes in the resample
        a.append(score(table, y[idx], ours[idx]))
        b.append(score(table, y[idx], flaml[idx]))
    diff = np.asarray(a) - np.asarray(b)

    def ci(values: Any) -> list[float]:
        low, high = np.percentile(values, [2.5, 97.5])
        return [round(float(low), 6), round(float(high), 6)]

    return {"ours_ci": ci(a), "flaml_ci": ci(b), "difference_ci": ci(diff)}


def verdict(table: Table, ours: float, flaml_ci: list[float], difference_ci: list[float]) -> str:
    """The table's verdict: "ours better" when the paired interval of the difference is
    on our side of zero; "FLAML better" when our score is outside FLAML's interval on the
    worse side; otherwise "within FLAML's interval"."""
    sign = 1.0 if table.direction == "maximize" else -1.0
    if min(sign * difference_ci[0], sign * difference_ci[1]) > 0:
        return "ours better"
    worse_bound = flaml_ci[0] if sign > 0 else flaml_ci[1]
    if sign * (ours - worse_bound) < 0:
        return "FLAML better"
    return "within FLAML's interval"


def _stop_at(store_url: str, after_s: float) -> tuple[threading.Timer, threading.Event]:
    """Request a stop of the (only) session in ``store_url`` after ``after_s`` seconds."""
    fired = threading.Event()

    def stop() -> None:
        from assistant import TuningSession
        from assistant.store import Store

        store = Store(store_url)
        for record in store.list_sessions():
            TuningSession.open(record.id, store).stop()
            fired.set()

    timer = threading.Timer(after_s, stop)
    timer.daemon = True
    timer.start()
    return timer, fired


def run_ours(
    table: Table, train: pd.DataFrame, test: pd.DataFrame, budget_s: float, workdir: Path
) -> dict[str, Any]:
    import assistant

    store_url = f"sqlite:///{workdir / f'ours-{table.name}.db'}"
    started = time.perf_counter()
    timer, fired = _stop_at(store_url, budget_s)
    try:
        result = assistant.tune(
            train,
            table.target,
            model="auto",
            metric=table.metric,
            n_trials=N_TRIALS,
            timeout=budget_s,
            llm="off",
            seed=SEED,
            verbose=False,
            storage=store_url,
        )
    finally:
        timer.cancel()
    if fired.is_set():
        result = result.finalize()  # a stopped session skips the refit: timed as ours
    fit_s = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen categories in the test rows: counted as missing
        prediction = _predictions(
            table, result, test.drop(columns=[table.target]), sorted(train[table.target].unique())
        )
    trials = result.study.trials
    return {
        "prediction": prediction,
        "model": result.family,
        "seconds": round(fit_s, 1),
        "n_trials": len(trials),
        "families_tried": sorted({str(t.user_attrs.get("family")) for t in trials}),
        "stopped_at_budget": fired.is_set(),
        "cv_score": result.cv_score,
        "ensemble": result.ensemble.headline() if result.ensemble is not None else None,
        "ensemble_kept": bool(result.ensemble is not None and result.ensemble.kept),
    }


def run_flaml(
    table: Table, train: pd.DataFrame, test: pd.DataFrame, budget_s: float, workdir: Path
) -> dict[str, Any]:
    from flaml import AutoML

    automl = AutoML()
    X, y = train.drop(columns=[table.target]), train[table.target]
    started = time.perf_counter()
    with contextlib.chdir(workdir):  # its CatBoost writes a catboost_* folder where it runs
        _fit_flaml(automl, X, y, table, budget_s, workdir)
    fit_s = time.perf_counter() - started
    classes = list(automl.classes_) if table.kind == "binary" else []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unseen categories in the test rows, as for ours
        prediction = _predictions(table, automl, test.drop(columns=[table.target]), classes)
    return {
        "prediction": prediction,
        "model": automl.best_estimator,
        "seconds": round(fit_s, 1),
        "best_config": automl.best_config,
    }


def _fit_flaml(
    automl: Any, X: pd.DataFrame, y: pd.Series, table: Table, budget_s: float, workdir: Path
) -> None:
    automl.fit(
        X,
        y,
        task="regression" if table.kind == "regression" else "classification",
        metric={"roc_auc": "roc_auc", "accuracy": "accuracy", "rmse": "rmse"}[table.metric],
        time_budget=budget_s,
        seed=SEED,
        n_jobs=1,
        verbose=0,
        log_file_name=str(workdir / f"flaml-{table.name}.log"),
    )


def compare(table: Table, budget_s: float, workdir: Path) -> dict[str, Any]:
    """Run both systems on ``table`` and return its row of the results."""
    train, test = split(table, table.load())
    y = test[table.target].to_numpy()
    ours = run_ours(table, train, test, budget_s, workdir)
    flaml = run_flaml(table, train, test, budget_s, workdir)
    ours_score = score(table, y, ours["prediction"])
    flaml_score = score(table, y, flaml["prediction"])
    intervals = bootstrap(table, y, ours["prediction"], flaml["prediction"])
    return {
        "source": table.source,
        "task": table.kind,
        "n_train": len(train),
        "n_test": len(test),
        "n_columns": train.shape[1] - 1,
        "metric": table.metric,
        "direction": table.direction,
        "ours": round(ours_score, 6),
        "ours_ci": intervals["ours_ci"],
        "flaml": round(flaml_score, 6),
        "flaml_ci": intervals["flaml_ci"],
        "difference_ci": intervals["difference_ci"],
        "verdict": verdict(table, ours_score, intervals["flaml_ci"], intervals["difference_ci"]),
        "ours_model": ours["model"],
        "flaml_model": flaml["model"],
        "ours_s": ours["seconds"],
        "flaml_s": flaml["seconds"],
        "ours_trials": ours["n_trials"],
        "ours_families_tried": ours["families_tried"],
        "ours_stopped_at_budget": ours["stopped_at_budget"],
        "ours_cv_score": round(float(ours["cv_score"]), 6),
        "ours_ensemble": ours["ensemble"],
        "ours_ensemble_kept": ours["ensemble_kept"],
        "flaml_best_config": {k: _plain(v) for k, v in (flaml["best_config"] or {}).items()},
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "assistant", "tools"],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() + (" (assistant/ or tools/ modified)" if dirty.stdout.strip() else "")


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str | None] = {}
    for name in ("flaml", "scikit-learn", "lightgbm", "xgboost-cpu", "optuna", "pandas"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def run(budget_s: float, names: list[str], workdir: Path) -> dict[str, Any]:
    """The whole comparison, in the issue's schema plus machine and protocol details."""
    tables = {}
    for name in names:
        started = time.perf_counter()
        tables[name] = compare(TABLES[name], budget_s, workdir)
        row = tables[name]
        logger.warning(
            "%s: ours %.4g (%s, %.0f s) vs FLAML %.4g (%s, %.0f s): %s [%.0f s]",
            name, row["ours"], row["ours_model"], row["ours_s"], row["flaml"],
            row["flaml_model"], row["flaml_s"], row["verdict"], time.perf_counter() - started,
        )  # fmt: skip
    return {
        "budget_s": budget_s,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_average": list(os.getloadavg()),
        },
        "versions": _versions(),
        "protocol": {
            "split": f"train_test_split(test_size={TEST_SIZE}, random_state={SEED}, "
            "stratify=y for classification)",
            "metrics": "roc_auc (binary), accuracy (multiclass), rmse (regression)",
            "ours": f'assistant.tune(train, target, model="auto", metric=..., '
            f'n_trials={N_TRIALS}, timeout=budget_s, llm="off", seed={SEED}) '
            "(isolation: the default, a worker process per trial), plus a stop requested "
            "at budget_s",
            "flaml": f"AutoML().fit(X, y, task=..., metric=..., time_budget=budget_s, "
            f"seed={SEED}, n_jobs=1)",
            "bootstrap": f"{N_BOOTSTRAP} resamples of the test rows, 95% percentile "
            "intervals; difference_ci is ours minus FLAML on the same resamples",
            "verdict": "ours better: difference_ci on our side of 0; FLAML better: ours "
            "outside flaml_ci on the worse side; else within FLAML's interval",
        },
        "tables": tables,
    }


def markdown(results: dict[str, Any]) -> str:
    """The results as a markdown table, one verdict per table and a summary line."""
    rows = results["tables"]
    lines = [
        f'# `tune(model="auto")` vs FLAML at {results["budget_s"]:g} s a table',
        "",
        f"{results['date']}, commit `{results['commit']}`, {results['machine']['cpu_count']} "
        f"CPUs (load {results['machine']['load_average'][0]:.1f}), FLAML "
        f"{results['versions']['flaml']}. LLM off; one core each. Higher is better for "
        "roc_auc and accuracy, lower for rmse. Intervals: 95% bootstrap over the test rows; "
        "Δ is ours − FLAML on the same resamples.",
        "",
        "| table | rows (train/test) | metric | ours [95% CI] | FLAML [95% CI] | Δ [95% CI] "
        "| ours model | FLAML model | seconds (ours/FLAML) | verdict |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['n_train']}/{r['n_test']} | {r['metric']} | {r['ours']:.4g} "
            f"[{r['ours_ci'][0]:.4g}, {r['ours_ci'][1]:.4g}] | {r['flaml']:.4g} "
            f"[{r['flaml_ci'][0]:.4g}, {r['flaml_ci'][1]:.4g}] | "
            f"{r['ours'] - r['flaml']:+.3g} [{r['difference_ci'][0]:+.3g}, "
            f"{r['difference_ci'][1]:+.3g}] | {r['ours_model']} ({r['ours_trials']} trials"
            f"{', ensemble kept' if r.get('ours_ensemble_kept') else ''}) | "
            f"{r['flaml_model']} | {r['ours_s']:.0f}/{r['flaml_s']:.0f} | {r['verdict']} |"
        )
    good = sum(r["verdict"] != "FLAML better" for r in rows.values())
    lines += ["", f"**Ours within or better on {good} of {len(rows)} tables.**"]
    worse = [n for n, r in rows.items() if r["verdict"] == "FLAML better"]
    if worse:
        lines.append(f"FLAML better on: {', '.join(worse)}.")
    paired = [n for n, r in rows.items() if r["verdict"] != "FLAML better" and _behind(r)]
    if paired:
        lines.append(
            "Within FLAML's interval but behind it on the paired difference (a stricter test): "
            f"{', '.join(paired)}."
        )
    return "\n".join(lines) + "\n"


def _behind(row: dict[str, Any]) -> bool:
    """Whether the paired interval of the difference is entirely on FLAML's side of zero."""
    low, high = row["difference_ci"]
    return high < 0 if row["direction"] == "maximize" else low > 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=DEFAULT_BUDGET_S)
    parser.add_argument("--tables", default=",".join(TABLES), help="comma-separated names")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("flaml").setLevel(logging.ERROR)
    try:
        import flaml  # noqa: F401
    except ImportError:
        print("FLAML is missing: pip install flaml", file=sys.stderr)
        return 2
    names = [n.strip() for n in args.tables.split(",") if n.strip()]
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        parser.error(f"--tables: unknown {unknown}; choose from {', '.join(TABLES)}")
    with tempfile.TemporaryDirectory() as tmp:
        results = run(args.budget_s, names, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
