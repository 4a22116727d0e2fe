"""How long one trial of each tool that can use a GPU takes on the CPU and, where there is
one, on a GPU: the PyTorch nets and the gradient-boosting libraries that are installed.

Run ``python -m benchmarks.torch_device``; figures go to
``benchmarks/results/torch_device.json``, with the device each trial reports it trained on
(so a GPU run shows whether XGBoost, CatBoost and LightGBM really used it). Each trial runs
in a worker process as in a real session (the worker start is measured apart), with the
tools' default configurations on scikit-learn's digits (CNN) and breast-cancer data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "torch_device.json"


def _datasets() -> dict[str, Any]:
    from sklearn.datasets import load_breast_cancer, load_digits

    from assistant.tools import Dataset

    digits = load_digits()
    x, y = load_breast_cancer(return_X_y=True)
    breast_cancer = Dataset.from_arrays(x, y, "classification", name="breast cancer")
    boosting = {name: breast_cancer for name in ("xgboost", "catboost", "lightgbm")}
    installed = {name: data for name, data in boosting.items() if _installed(name)}
    return {
        "torch_cnn": Dataset.from_arrays(
            digits.data / 16.0,
            digits.target,
            "classification",
            image_shape=(1, 8, 8),
            name="digits",
        ),
        "torch_mlp": breast_cancer,
        **installed,
    }


def _installed(tool: str) -> bool:
    from importlib.util import find_spec

    return find_spec(tool) is not None


def measure(device: str, repeats: int) -> dict[str, Any]:
    """Median wall time of one trial per tool, with the given device visible."""
    from assistant.tools import get_tool
    from assistant.tools.runner import TrialRunner

    figures: dict[str, Any] = {}
    for name, data in _datasets().items():
        tool = get_tool(name)
        config = tool.default_config("classification")
        devices: list[str] = [] if device == "cpu" else [device]
        with TrialRunner(
            tool, data, "accuracy", n_folds=5, devices=devices, max_workers=1
        ) as runner:
            started = time.perf_counter()
            runner.start()
            startup = time.perf_counter() - started
            times, used = [], None
            for seed in range(repeats):
                outcome = runner.run(config, seed=seed)
                if not outcome.ok:
                    raise RuntimeError(f"{name} failed on {device}: {outcome.error}")
                times.append(outcome.duration_s)
                used = outcome.device
        times.sort()
        figures[name] = {
            "device": used,
            "median_trial_s": round(times[len(times) // 2], 3),
            "worker_start_s": round(startup, 3),
            "repeats": repeats,
            "config": config,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from assistant.tools.runner import detect_gpus

    gpus = detect_gpus()
    if not gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    print(f"GPUs found: {gpus or 'none'}", flush=True)
    results: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "gpus": gpus},
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": measure("cpu", args.repeats),
        "gpu": measure(gpus[0], args.repeats) if gpus else None,
    }
    if results["gpu"]:
        results["speedup"] = {
            name: round(results["cpu"][name]["median_trial_s"] / fig["median_trial_s"], 2)
            for name, fig in results["gpu"].items()
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
