"""A tiny profile end to end: every summary key, written files, resume; no real LLM (a
scripted stand-in where a real-LLM method runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import benchmarks.quality.__main__ as cli
from assistant.llm import LLMConfig, make_client
from assistant.testing import ScriptedLLMServer, schema_responder
from benchmarks.quality.methods import (
    METHODS,
    REAL_LLM,
    engine_settings,
    missing_dependency,
    same_engine,
)
from benchmarks.quality.report import write_all
from benchmarks.quality.run import PROFILES, customized, run_benchmark

from .conftest import tiny_profile


@pytest.mark.integration
def test_tiny_profile_summary_has_every_key(reference_dir: Path, tmp_path: Path) -> None:
    profile = tiny_profile(
        overhead_sizes=(10, 20),
        overhead_repeats=1,
        pipeline_latency_s=0.05,
        pipeline_trial_s=0.05,
        pipeline_trials=7,
    )
    methods = [m for m in METHODS if m not in REAL_LLM and missing_dependency(m) is None]
    results = run_benchmark(profile, methods, reference_dir=reference_dir)
    paths = write_all(results, tmp_path)
    summary = json.loads(Path(paths["summary"]).read_text())
    for key in (
        "machine",
        "date",
        "profile",
        "regret",
        "overhead_ratio_vs_tpe",
        "pipelining_ratio",
        "speedup_2_workers",
        "targets",
    ):
        assert key in summary, key
    assert summary["profile"] == "tiny"
    assert set(summary["regret"]) == set(METHODS)
    for m in methods:
        assert set(summary["regret"][m]) == {"5", "10", "25"}
        assert 0.0 <= summary["regret"][m]["5"] <= 1.0
        assert summary["regret"][m]["25"] is None
    assert summary["regret"]["ours_full"]["5"] is None  # not run here
    assert set(summary["overhead_ratio_vs_tpe"]) == {"10", "20"}
    assert summary["pipelining_ratio"] > 0 and summary["speedup_2_workers"] > 0
    assert set(summary["targets"]) == {
        "ours_full_vs_best_baseline_at_25",
        "oracle_full_vs_tpe_at_10",
        "adversarial_full_vs_ours_off_at_25",
        "ours_full_non_inferior_to_ours_off_at_25",
        "ours_full_llm_s_per_trial",
        "noise_full_vs_ours_off_at_25",
        "adversarial_full_vs_ours_off_at_25_tight",
        "rho_0.6_full_vs_ours_off_at_10",
        "noise_full_vs_ours_off_at_10",
        "misleader_full_vs_ours_off_at_10",
        "overhead_at_1000",
        "pipelining",
    }
    # Paired differences to ours_off for the scripted LLMs (task-level, bootstrap interval).
    noise = summary["paired_vs_ours_off"]["noise_full"]["5"]
    assert noise["n_tasks"] == 1 and noise["ci"][0] <= noise["mean"] <= noise["ci"][1]
    assert summary["llm_s_per_trial"]["ours_off"] == 0.0
    assert summary["llm_s_per_trial"]["noise_full"] > 0.0
    for target in summary["targets"].values():
        assert {"target", "figure", "bound", "met"} <= set(target)
    # Six trials reach no trial-25 figure: the ρ curve is empty, the ρ table shows @10 as –.
    assert summary["rho_curve"] == {}
    assert summary["rho_methods"]["0"] == "noise_full"
    markdown = Path(paths["md"]).read_text()
    assert markdown.startswith("# Search quality (tiny profile)")
    assert "## Regret against ρ" in markdown and "| ρ = 0.6 | rho_0.6_full |" in markdown
    assert json.loads(Path(paths["json"]).read_text())["runs"]


@pytest.mark.integration
def test_resume_takes_finished_runs_from_the_file(reference_dir: Path, tmp_path: Path) -> None:
    profile = tiny_profile(seeds=(0, 1))
    saved = tmp_path / "runs.jsonl"

    def run() -> dict:
        return run_benchmark(
            profile,
            ["random", "ours_off"],
            reference_dir=reference_dir,
            measure_cost=False,
            resume=saved,
        )

    first = run()
    assert len(saved.read_text().splitlines()) == 4
    # A run that is in the file is not run again: an edited value shows through.
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    lines[0]["values"] = [lines[0]["values"][0]] * 6
    saved.write_text("".join(json.dumps(line) + "\n" for line in lines))
    again = run()
    assert len(saved.read_text().splitlines()) == 4
    assert again["runs"][0]["values"] == lines[0]["values"] != first["runs"][0]["values"]
    assert again["runs"][1:] == first["runs"][1:]


@pytest.mark.integration
def test_resume_runs_again_what_our_engine_ran_with_other_settings(
    reference_dir: Path, tmp_path: Path
) -> None:
    """A resumed profile does not mix engine versions: a saved run of ours made with other
    settings (an earlier default) is run again; another optimizer's run is reused."""
    profile = tiny_profile()
    saved = tmp_path / "runs.jsonl"

    def run() -> dict:
        return run_benchmark(
            profile, ["random", "ours_off"], reference_dir=reference_dir,
            measure_cost=False, resume=saved,
        )  # fmt: skip

    run()
    lines = [json.loads(line) for line in saved.read_text().splitlines()]
    assert [line["engine"] is None for line in lines] == [True, False]
    assert lines[1]["engine"]["mode"] == "off"
    for line in lines:
        line["values"] = [line["values"][0]] * len(line["values"])
    lines[1]["engine"]["n_initial"] += 1  # made by another engine setting
    saved.write_text("".join(json.dumps(line) + "\n" for line in lines))
    again = run()
    assert again["runs"][0]["values"] == lines[0]["values"]  # reused
    assert again["runs"][1]["values"] != lines[1]["values"]  # run again
    assert len(saved.read_text().splitlines()) == 3


@pytest.mark.integration
def test_resume_runs_a_real_llm_method_again_when_its_llm_was_served_otherwise(
    reference_dir: Path, tmp_path: Path
) -> None:
    """A real-LLM method's saved run carries its LLM's label (model, threads, one server or
    a fresh one for each run) and is reused only under the same label: its LLM time belongs
    to the way the model was served."""
    profile = tiny_profile()
    saved = tmp_path / "runs.jsonl"
    with ScriptedLLMServer(schema_responder(seed=1), model="stand-in") as server:
        config = LLMConfig(base_url=server.base_url, model="stand-in", max_retries=0)

        def run(label: str) -> dict:
            return run_benchmark(
                profile, ["ours_warmstart"], real_llm=lambda: make_client(config),
                llm_label=label, reference_dir=reference_dir, measure_cost=False,
                resume=saved,
            )  # fmt: skip

        first = run("stand-in (1 thread)")
        lines = [json.loads(line) for line in saved.read_text().splitlines()]
        assert [line["llm"] for line in lines] == ["stand-in (1 thread)"]
        assert lines[0]["llm_calls"], "the stand-in LLM was never called"
        lines[0]["values"] = [lines[0]["values"][0]] * len(lines[0]["values"])
        saved.write_text("".join(json.dumps(line) + "\n" for line in lines))
        again = run("stand-in (1 thread)")
        assert again["runs"][0]["values"] == lines[0]["values"]  # reused
        other = run("stand-in (2 threads)")
        assert other["runs"][0]["values"] == first["runs"][0]["values"]  # run again
        saved_now = [json.loads(line) for line in saved.read_text().splitlines()]
        assert [line["llm"] for line in saved_now] == [
            "stand-in (1 thread)",
            "stand-in (2 threads)",
        ]


def test_the_llm_options_do_not_make_ours_off_run_again_but_do_for_the_llm_methods() -> None:
    off, full = engine_settings("ours_off"), engine_settings("noise_full")
    assert off is not None and full is not None
    assert same_engine(off, "ours_off") and same_engine(full, "noise_full")
    assert same_engine({**off, "llm_warmstart_followup": "always"}, "ours_off")
    assert same_engine({**off, "n_llm_candidates": 3}, "ours_off")
    assert not same_engine({**off, "n_initial": 4}, "ours_off")
    assert not same_engine({**off, "mode": "full"}, "ours_off")
    assert not same_engine({**full, "llm_warmstart_followup": "always"}, "noise_full")
    assert not same_engine(off, "random") and same_engine(None, "random")


def test_the_step_call_schedule_does_not_make_the_warm_start_only_method_run_again() -> None:
    warm, full = engine_settings("ours_warmstart"), engine_settings("ours_full")
    assert warm is not None and full is not None
    older = {k: v for k, v in warm.items() if k != "llm_explore_spacing"}  # before the option
    assert same_engine({**older, "llm_explore_every": 5}, "ours_warmstart")
    assert not same_engine({**warm, "llm_warmstart_at": "design"}, "ours_warmstart")
    assert not same_engine({**full, "llm_explore_spacing": "fixed"}, "ours_full")


def test_the_full_profile_gives_ten_seeds_and_the_embedded_model_five() -> None:
    full = PROFILES["full"]
    assert full.seeds_for("tpe") == full.seeds_for("noise_full") == tuple(range(10))
    assert full.seeds_for("ours_full") == full.seeds_for("ours_warmstart") == tuple(range(5))
    # --seeds picks among them; the real-LLM methods keep only their own.
    chosen = customized(full, seeds=(3, 7))
    assert chosen.seeds_for("ours_off") == (3, 7) and chosen.seeds_for("ours_full") == (3,)


def test_method_seeds_keep_a_partial_method_to_the_seeds_it_has() -> None:
    full = customized(PROFILES["full"], method_seeds={"smac": (0, 1, 2, 3, 4), "ours_full": (1,)})
    assert full.seeds_for("smac") == (0, 1, 2, 3, 4) and full.seeds_for("smac_default") == tuple(
        range(10)
    )
    assert full.seeds_for("ours_full") == (1,), "both rules apply"
    assert customized(full, seeds=(3, 7)).seeds_for("smac") == (3,)


def test_cli_method_seeds(cli_calls: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--profile", "full", "--methods", "smac,tpe", "--no-cost"]
    assert cli.main([*argv, "--method-seeds", "smac=0,1", "--method-seeds", "tpe=2"]) == 0
    profile = cli_calls["profile"]
    assert profile.seeds_for("smac") == (0, 1) and profile.seeds_for("tpe") == (2,)
    with pytest.raises(SystemExit):
        cli.main([*argv, "--method-seeds", "nosuch=0"])
    assert "METHOD=SEEDS" in capsys.readouterr().err


def test_python_m_benchmarks_is_the_quality_benchmark() -> None:
    root = Path(__file__).resolve().parents[2]
    shown = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--profile" in shown and "--resume" in shown
