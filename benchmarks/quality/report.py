"""Writing the results: JSON, a markdown table and regret plots (when matplotlib is there)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.quality.cost import LATENCY_KEY

RESULTS_DIR = Path(__file__).resolve().parent.parent / "results"
LABELS = {
    "oracle_full": "oracle_full (scripted)",
    "adversarial_full": "adversarial_full (scripted)",
    "noise_full": "noise_full (scripted, ρ = 0)",
    "rho_0.3_full": "rho_0.3_full (scripted)",
    "rho_0.6_full": "rho_0.6_full (scripted)",
    "rho_0.9_full": "rho_0.9_full (scripted)",
    "misleader_full": "misleader_full (scripted)",
}


def _num(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    return f"{x:.{digits}f}"


def _hardware(machine: dict[str, Any]) -> str:
    parts = [machine.get("cpu_model")]
    if machine.get("memory_gib"):
        parts.append(f"{machine['memory_gib']:g} GiB")
    text = ", ".join(str(p) for p in parts if p)
    return f" ({text})" if text else ""


def rerender(json_path: Path, out_dir: Path | None = None) -> dict[str, Path | str]:
    """Rewrite the summary, markdown and plot from a saved ``quality_<profile>.json``."""
    from benchmarks.quality.run import summarize

    results = json.loads(Path(json_path).read_text())
    results["summary"] = summarize(results)
    return write_all(results, out_dir or Path(json_path).parent)


def write_all(results: dict[str, Any], out_dir: Path | None = None) -> dict[str, Path | str]:
    """Write ``quality_<profile>.json``, ``.md``, ``.png`` and ``summary.json``."""
    out = out_dir or RESULTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    stem = f"quality_{results['profile']}"
    json_file = out / f"{stem}.json"
    json_file.write_text(json.dumps(results, indent=1, default=str) + "\n")
    summary_file = out / "summary.json"
    summary = merged_summary(results, summary_file)
    summary_file.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    png = out / f"{stem}.png"
    note = plot(results, png)
    md_file = out / f"{stem}.md"
    md_file.write_text(markdown(results, png.name if note is None else None, note))
    return {
        "json": json_file,
        "summary": summary_file,
        "png": png if note is None else note,
        "md": md_file,
    }


ADDED_KEYS = ("held_out_regret", LATENCY_KEY)
"""Keys that only a held-out run or a scripted-latency run writes, and every other run keeps."""


def merged_summary(results: dict[str, Any], path: Path) -> dict[str, Any]:
    """What ``summary.json`` becomes. A held-out run adds its ``held_out_regret`` to the
    summary already there and changes nothing else (the development suite's figures stay); so
    does a run whose scripted LLMs answered late, with their time to regret 0.1 at that latency
    (:data:`LATENCY_KEY`), unless there is no summary yet (then it writes its own). Any other
    run writes its own summary and keeps those figures."""
    previous = json.loads(path.read_text()) if path.exists() else {}
    summary = results["summary"]
    if results["profile"] == "held_out":
        return {**previous, "held_out_regret": summary["held_out_regret"]}
    if LATENCY_KEY in summary and previous:
        return {**previous, LATENCY_KEY: summary[LATENCY_KEY]}
    return {**summary, **{k: previous[k] for k in ADDED_KEYS if k in previous}}


def held_out_section(results: dict[str, Any]) -> list[str]:
    """The held-out set's regret at its own checkpoints (runs of 100 trials)."""
    regret = results["summary"].get("held_out_regret")
    if not regret:
        return []
    cps = list(next(iter(regret.values())))
    lines = [
        "",
        "## Held-out set: normalized regret (mean over task × seed; lower is better)",
        "",
        "| method | " + " | ".join(f"@{cp}" for cp in cps) + " |",
        "|---|" + "---|" * len(cps),
    ]
    for m, by_cp in regret.items():
        cells = " | ".join(_num(by_cp[cp]) for cp in cps)
        lines.append(f"| {LABELS.get(m, m)} | {cells} |")
    return lines


def _fewer_seeds(settings: dict[str, Any]) -> str:
    """The methods that ran fewer seeds than the profile's, as a clause ("" when none)."""
    seeds = settings["seeds"]
    fewer = {m: s for m, s in (settings.get("seeds_by_method") or {}).items() if list(s) != seeds}
    return "".join(f" ({m}: seeds {s})" for m, s in fewer.items())


def markdown(results: dict[str, Any], png_name: str | None, plot_note: str | None) -> str:
    s = results["summary"]
    methods = list(results["regret"])
    lines = [
        f"# Search quality ({results['profile']} profile)",
        "",
        f"{results['date']} on {s['machine']['platform']}, {s['machine']['cpu_count']} CPUs"
        f"{_hardware(s['machine'])}; "
        f"LLM for ours_warmstart/ours_full: {results.get('llm') or 'none'}; "
        f"{results['elapsed_s'] / 60:.1f} min.",
        f"Tasks: {', '.join(results['settings']['tasks'])}; seeds "
        f"{results['settings']['seeds']}{_fewer_seeds(results['settings'])}. Scripted methods "
        "answer from the reference table and are not language models.",
        "",
        "## Normalized regret (mean ± standard error over task × seed; lower is better)",
        "",
        "| method | trials | @5 | @10 | @25 | mean rank |",
        "|---|---|---|---|---|---|",
    ]
    rank = results["mean_rank"]
    for m in methods:
        cells = []
        for cp in ("5", "10", "25"):
            mean, se = results["regret"][m][cp], results["regret_se"][m][cp]
            cells.append("–" if mean is None else f"{mean:.3f} ± {se:.3f}")
        lines.append(
            f"| {LABELS.get(m, m)} | {results['settings']['trials'][m]} | {' | '.join(cells)} | "
            f"{_num(rank['ranks'].get(m), 2)} |"
        )
    lines += [
        "",
        f"Mean rank at trial {rank['trial']} (1 = best).",
        "",
        "## Wilcoxon signed-rank tests (ours vs the best Optuna baseline, paired by task × seed)",
        "",
        "| ours | baseline | trial | pairs | ours better | baseline better | mean diff | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m, t in results["wilcoxon"].items():
        lines.append(
            f"| {m} | {t['baseline']} | {t['trial']} | {t['n_pairs']} | {t['ours_better']} | "
            f"{t['baseline_better']} | {_num(t['mean_difference'])} | {_num(t['p_value'])} |"
        )
    lines += held_out_section(results)
    lines += task_level_section(results)
    lines += anchors_section(results)
    lines += ["", "## Targets", "", "| target | figure | bound | met |", "|---|---|---|---|"]
    for t in s["targets"].values():
        lines.append(
            f"| {t['target']} | {_num(t['figure'])} | {_num(t['bound'])} | "
            f"{'not evaluated' if t['met'] is None else _num(t['met'])} |"
        )
        if t.get("noise_floor") is not None:
            lines.append(
                f"| (noise floor: the bound a method that changes only the runs' luck "
                f"typically shows with these tasks and seeds) | {_num(t['noise_floor'])} | – | – |"
            )
        if "indicative_at_10" in t:
            i = t["indicative_at_10"]
            lines.append(
                f"| (indicative, same at trial 10) | {_num(i['figure'])} | "
                f"{_num(i['bound'])} | {'–' if i['met'] is None else _num(i['met'])} |"
            )
    lines += rho_section(results)
    lines += ["", "## Generalization: best configuration's CV score and held-out (20%) score", ""]
    for task, by_method in results["generalization"].items():
        metric = "acc ↑" if results["f_star"][task] > results["f_ref"][task] else "mse ↓"
        lines += [
            f"**{task}** ({metric}; f* = {results['f_star'][task]:.4f}, "
            f"f_ref = {results['f_ref'][task]:.4f})",
            "",
            "| method | CV | test |",
            "|---|---|---|",
        ]
        for m, g in by_method.items():
            lines.append(f"| {LABELS.get(m, m)} | {g['cv']:.4f} | {g['test']:.4f} |")
        lines.append("")
    lines += [
        "## Cost",
        "",
        "LLM calls (per planning step = per proposal or warm-start call):",
        "",
        "| method | calls/run | prompt tok/step | completion tok/step | LLM s/step | "
        "fallbacks/run |",
        "|---|---|---|---|---|---|",
    ]
    for m, c in results["llm_cost"].items():
        p = c["per_step"]
        lines.append(
            f"| {LABELS.get(m, m)} | {c['calls_per_run']:.1f} | {p['prompt_tokens']:.0f} | "
            f"{p['completion_tokens']:.0f} | {p['latency_s']:.2f} | "
            f"{c['fallbacks_per_run']:.1f} |"
        )
    sampling = results.get("median_sampling_s")
    if sampling:
        lines += [
            "",
            "Median foreground sampling time per trial in the runs (ms; pipelined LLM work "
            "runs in the background): "
            + ", ".join(f"{m} {v * 1e3:.1f}" for m, v in sampling.items()),
            "",
        ]
    elif results.get("median_sampling_s_note"):
        lines += [
            "",
            f"Sampling time per trial in the runs: {results['median_sampling_s_note']}",
            "",
        ]
    lines += felt_cost_lines(results)
    if results["overhead"]:
        lines += [
            'Engine overhead (`mode="off"`, no pipeline) vs TPE, median time of `ask()` '
            "with its `suggest_*` calls:",
            "",
            "| history | ours_off ms | TPE ms | ratio |",
            "|---|---|---|---|",
        ]
        for h, o in results["overhead"].items():
            lines.append(
                f"| {h} | {o['ours_off_s'] * 1e3:.1f} | {o['tpe_s'] * 1e3:.1f} | {o['ratio']:.2f} |"
            )
        lines.append("")
    pl = results["pipelining"]
    if pl:
        one, two = pl["one_worker"], pl["two_workers"]
        lines += [
            f"Pipelining: L = {one['step_latency_s']} s of LLM latency per planning step "
            f"({one['per_call_delay_s']:.3g} s per call), T = {one['trial_s']} s per trial, "
            f"N = {one['n_trials']}: one worker {one['wall_s']:.2f} s, ratio to N × max(L, T) "
            f"= {pl['ratio']:.2f}; two workers {two['wall_s']:.2f} s, speed-up "
            f"{pl['speedup_2_workers']:.2f}.",
            "",
        ]
    if png_name:
        lines += [f"![regret curves]({png_name})", ""]
    elif plot_note:
        lines += [f"Plots skipped: {plot_note}", ""]
    return "\n".join(lines)


def felt_cost_lines(results: dict[str, Any]) -> list[str]:
    """Cost as users feel it: the time to regret 0.1 per method and the engine overhead over
    whole interleaved runs (nothing for results saved before these were measured)."""
    lines: list[str] = []
    felt = results.get("time_to_regret_0_1") or {}
    if felt:
        latency = (results.get("settings") or {}).get("scripted_latency_s", 0.0)
        cells = ", ".join(
            f"{m} {'–' if f['median_s'] is None else format(f['median_s'], '.3g') + ' s'} "
            f"({f['reached']}/{f['runs']} runs)"
            for m, f in felt.items()
        )
        lines += [
            "Wall-clock time to regret ≤ 0.1 (median over runs of the sampler's foreground "
            "time plus each configuration's training time, summed up to the first trial "
            "there; – where no more than half the runs got there; LLM work overlapping "
            f"training is not credited; scripted LLMs answer after {latency:g} s): {cells}.",
            "",
        ]
    real = results.get("overhead_real_run") or {}
    if real:
        per_task = "; ".join(
            f"{t} {row['ours_off_s'] * 1e3:.1f} against {row['tpe_s'] * 1e3:.1f} ms"
            for t, row in real["per_task"].items()
        )
        lines += [
            f"Engine overhead over whole runs ({real['n_trials']} trials on each of "
            f"{', '.join(real['tasks'])}; TPE and ours_off interleaved in one process; ask, "
            f"suggestions and tell, every refit included): mean {real['ours_off_s'] * 1e3:.1f} "
            f"ms per trial against TPE's {real['tpe_s'] * 1e3:.1f} ms, ratio "
            f"{real['ratio']:.2f} ({per_task}).",
            "",
        ]
    return lines


def _interval(ci: list[float | None] | None) -> str:
    low, high = ci or [None, None]
    return "–" if low is None or high is None else f"[{low:.3f}, {high:.3f}]"


def task_level_section(results: dict[str, Any]) -> list[str]:
    """The markdown sections with tasks as the unit: regret intervals and the Holm-corrected
    tests (empty for results saved before they existed)."""
    lines: list[str] = []
    cis = results.get("regret_ci") or {}
    if cis:
        lines += [
            "",
            "## Regret intervals (95% bootstrap over tasks, seeds averaged per task)",
            "",
            "| method | @5 | @10 | @25 |",
            "|---|---|---|---|",
        ]
        for m, by_cp in cis.items():
            cells = " | ".join(_interval(by_cp.get(cp)) for cp in ("5", "10", "25"))
            lines.append(f"| {LABELS.get(m, m)} | {cells} |")
    tests = results.get("task_level_tests") or []
    if tests:
        lines += [
            "",
            "## Task-level tests (Holm-corrected)",
            "",
            "Wilcoxon signed-rank tests of seed-averaged regret, paired by task, of each of our "
            "methods against each Optuna model-based baseline; Holm–Bonferroni over all rows.",
            "",
            "| ours | baseline | trial | tasks | ours better | baseline better | mean diff | p "
            "| p (Holm) | significant |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for t in tests:
            lines.append(
                f"| {t['ours']} | {t['baseline']} | {t['trial']} | {t['n_tasks']} | "
                f"{t['ours_better']} | {t['baseline_better']} | {_num(t['mean_difference'])} | "
                f"{_num(t['p_value'])} | {_num(t['p_holm'])} | {_num(t['significant'])} |"
            )
    return lines


def anchors_section(results: dict[str, Any]) -> list[str]:
    """Whether f* was frozen, which tasks a run beat it on (with the unclipped regret that
    shows by how much), and which tasks' score spans are at noise level."""
    from benchmarks.quality.metrics import NOISE_SPAN

    if "f_star_frozen" not in results:
        return []
    if results["f_star_frozen"]:
        anchor = "f* frozen (read from the reference tables, not raised by this run)"
    else:
        anchor = "f* raised by this run wherever a run beat it (--update-reference)"
    beaten = results.get("beats_reference") or []
    noisy = results.get("noise_level_tasks") or []
    lines = [
        "",
        "## Regret anchors",
        "",
        f"{anchor}. Tasks where a run beat f*: {', '.join(beaten) or 'none'}. Tasks whose span "
        f"|f_ref − f*| is at most {NOISE_SPAN:.0%} of |f*| (regret there is mostly noise): "
        f"{', '.join(noisy) or 'none'}.",
    ]
    sources = results.get("f_star_source") or {}
    if sources:
        lines += ["", "| task | f* | how f* was made |", "|---|---|---|"]
        for task, source in sorted(sources.items()):
            f_star = (results.get("f_star") or {}).get(task)
            lines.append(f"| {task} | {_num(f_star, 4)} | {source} |")
    if beaten:
        lines += [
            "",
            "Unclipped regret (mean over task × seed; below 0: better than the table's f*):",
            "",
            "| method | @5 | @10 | @25 |",
            "|---|---|---|---|",
        ]
        for m, by_cp in (results.get("unclipped_regret") or {}).items():
            cells = " | ".join(_num(by_cp.get(cp)) for cp in ("5", "10", "25"))
            lines.append(f"| {LABELS.get(m, m)} | {cells} |")
    return lines


def _ratio(results: dict[str, Any], method: str, cp: str) -> str:
    if method == "ours_off":
        return "1"
    off = (results["regret"].get("ours_off") or {}).get(cp)
    mine = (results["regret"].get(method) or {}).get(cp)
    if off is None or mine is None or off <= 0:
        return "–"
    ci = ((results.get("ratio_vs_ours_off") or {}).get(method) or {}).get(cp) or {}
    low, high = ci.get("ci") or [None, None]
    interval = "" if low is None else f" [{low:.2f}, {high:.2f}]"
    return f"{mine / off:.2f}{interval}"


def rho_section(results: dict[str, Any]) -> list[str]:
    """The markdown section "Regret against ρ" (empty when no graded LLM ran)."""
    from benchmarks.quality.methods import RHO_METHODS

    regret = results["regret"]

    def ran(m: str) -> bool:
        return any(v is not None for v in (regret.get(m) or {}).values())

    if not any(ran(m) for m in RHO_METHODS.values()):
        return []
    rows = [("none", "ours_off")] + [(f"ρ = {k}", m) for k, m in RHO_METHODS.items()]
    rows.append(("misleader", "misleader_full"))
    lines = [
        "",
        "## Regret against ρ (ours_full with scripted LLMs of graded quality)",
        "",
        "ρ: the correlation of the scripted LLM's predictions with the true scores; its "
        "proposals come from its believed best 5%. The misleader proposes from the "
        "60th–85th percentile and predicts those near the best. Ratios: regret over "
        "ours_off's, with a 95% bootstrap interval over tasks.",
        "",
        "| LLM | method | @10 | @25 | @10 / ours_off | @25 / ours_off |",
        "|---|---|---|---|---|---|",
    ]
    for label, m in rows:
        if not ran(m):
            continue
        r = regret[m]
        lines.append(
            f"| {label} | {m} | {_num(r.get('10'))} | {_num(r.get('25'))} | "
            f"{_ratio(results, m, '10')} | {_ratio(results, m, '25')} |"
        )
    off = (regret.get("ours_off") or {}).get("10")
    if off:
        helps = [
            k
            for k, m in RHO_METHODS.items()
            if ran(m) and regret[m].get("10") is not None and regret[m]["10"] < off
        ]
        ordered = [k for k in RHO_METHODS if ran(RHO_METHODS[k])]
        # where it starts to help: the smallest ρ from which every larger one helps too
        start = next((k for i, k in enumerate(ordered) if set(ordered[i:]) <= set(helps)), None)
        zero = regret.get(RHO_METHODS["0"], {}).get("10")
        lines += [
            "",
            "At trial 10 the scripted LLM "
            + (
                f"beats ours_off from ρ = {start} on"
                if start is not None
                else "does not beat ours_off at any ρ measured"
            )
            + (
                ""
                if zero is None
                else f"; a ρ = 0 LLM costs {100 * (zero / off - 1):+.0f}% regret there"
            )
            + ".",
        ]
    return lines


def plot(results: dict[str, Any], path: Path) -> str | None:
    """Regret curves per task (mean with a ± standard-error band over seeds); returns a note
    instead when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'matplotlib>=3.8')"
    tasks = results["settings"]["tasks"]
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4.5), squeeze=False)
    cmap = plt.get_cmap("tab20")
    for ax, task in zip(axes[0], tasks, strict=True):
        for i, (m, curves) in enumerate(results["curves"].items()):
            rows = [c for key, c in curves.items() if key.split("/")[0] == task]
            if not rows:
                continue
            n = min(len(c) for c in rows)
            a = np.array([c[:n] for c in rows])
            mean = a.mean(axis=0)
            se = a.std(axis=0, ddof=1) / np.sqrt(len(a)) if len(a) > 1 else np.zeros(n)
            x = np.arange(1, n + 1)
            style = "--" if m in LABELS else "-"
            ax.plot(x, mean, style, color=cmap(i), label=LABELS.get(m, m), linewidth=1.5)
            ax.fill_between(x, mean - se, mean + se, color=cmap(i), alpha=0.15)
        ax.set_title(task)
        ax.set_xlabel("trial")
        ax.set_ylabel("normalized regret")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
