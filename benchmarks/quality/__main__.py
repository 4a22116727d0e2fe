"""``python -m benchmarks.quality``: run the search-quality benchmark and write its results.

Examples::

    python -m benchmarks.quality                       # quick profile (CI; a few minutes)
    python -m benchmarks.quality --profile full        # ~1.5 h on 2 cores; run once in a while
    python -m benchmarks.quality --profile held_out    # held-out set: once per engine release
    python -m benchmarks.quality --llm-base-url http://host:8080/v1 --llm-model my-model
    python -m benchmarks.quality --methods random,tpe,ours_off --tasks knn-wine --seeds 0,1
    python -m benchmarks.quality --profile full --resume runs.jsonl  # continue if stopped
    python -m benchmarks.quality --scripted-latency-s 1  # scripted LLMs as slow as 1 s a call
    python -m benchmarks.quality --render benchmarks/results/quality_full.json  # redraw

Results go to ``benchmarks/results/``: ``quality_<profile>.json`` (every run),
``quality_<profile>.md`` (tables), ``quality_<profile>.png`` (regret curves) and
``summary.json`` (a held_out run only adds its ``held_out_regret`` to it, and a run with
``--scripted-latency-s`` only its ``time_to_regret_0_1_s_scripted_latency``). Reference tables
(``benchmarks/reference/``, the held-out set's in ``held_out/`` there) are built when
missing; their f* stays frozen unless ``--update-reference`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from benchmarks.quality.methods import METHODS, REAL_LLM, missing_dependency, real_llm_clients
from benchmarks.quality.report import RESULTS_DIR, rerender, write_all
from benchmarks.quality.run import PROFILES, customized, run_benchmark
from benchmarks.quality.suite import ALL_TASKS


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def _names(text: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in text.split(",") if x.strip())


def _method_seeds(text: str) -> tuple[str, tuple[int, ...]]:
    method, sep, seeds = text.partition("=")
    if not sep or method.strip() not in METHODS:
        raise argparse.ArgumentTypeError(
            f"expected METHOD=SEEDS with METHOD one of {', '.join(METHODS)}, got {text!r}"
        )
    return method.strip(), _ints(seeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.quality",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument(
        "--methods",
        type=_names,
        default=METHODS,
        help=f"comma-separated, from: {', '.join(METHODS)}",
    )
    parser.add_argument(
        "--no-llm",
        action="store_true",
        help=f"leave out the methods that need a real LLM ({', '.join(REAL_LLM)})",
    )
    parser.add_argument(
        "--tasks",
        type=_names,
        default=None,
        help="comma-separated <family>-<dataset> names, or 'all'",
    )
    parser.add_argument(
        "--seeds",
        type=_ints,
        default=None,
        help="comma-separated seeds (the real-LLM methods run those of them the profile "
        "gives them: seeds 0-4 of the full profile's 0-9)",
    )
    parser.add_argument(
        "--method-seeds",
        type=_method_seeds,
        action="append",
        default=[],
        metavar="METHOD=SEEDS",
        help="run METHOD on only these of the seeds (repeatable), e.g. smac=0,1,2,3,4: a "
        "method whose runs are partial is reported from --resume on the seeds it has, and "
        "the report names them",
    )
    parser.add_argument("--trials", type=int, default=None, help="trials per run (all methods)")
    parser.add_argument(
        "--llm-base-url",
        default=None,
        help="OpenAI-compatible endpoint (default: the embedded model)",
    )
    parser.add_argument("--llm-model", default=None)
    parser.add_argument(
        "--embedded-threads",
        type=int,
        default=None,
        help="threads of the embedded model's server (default: every CPU this process may "
        "use, since a benchmark trial waits for the LLM; sessions give it half, for the "
        "trials that train beside it)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    parser.add_argument("--reference-dir", type=Path, default=None)
    anchors = parser.add_mutually_exclusive_group()
    anchors.add_argument(
        "--update-reference",
        action="store_true",
        help="raise f* in the reference tables where a run beats it and save them; only for "
        "building the tables offline (by default f* is frozen, so a run cannot move the "
        "anchor its own regret is measured against)",
    )
    anchors.add_argument(
        "--freeze-reference",
        action="store_true",
        help="no effect: f* is frozen by default (kept so older command lines still work)",
    )
    parser.add_argument(
        "--no-cost", action="store_true", help="skip the overhead and pipelining measurements"
    )
    parser.add_argument(
        "--scripted-latency-s",
        type=float,
        default=None,
        metavar="SECONDS",
        help="delay every answer of the scripted LLMs by this many seconds (default 0), for "
        "the wall-clock time to regret 0.1 with an LLM of that latency",
    )
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="JSON",
        help="only rewrite summary, markdown and plot from a saved results file",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        default=None,
        metavar="JSONL",
        help="append each finished run to this file and skip the runs already in it",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)

    if args.render is not None:
        for kind, path in rerender(args.render, args.out).items():
            print(f"{kind}: {path}", file=sys.stderr)
        return 0
    profile = PROFILES[args.profile]
    tasks = ALL_TASKS if args.tasks == ("all",) else args.tasks
    if args.scripted_latency_s is not None and args.scripted_latency_s < 0:
        parser.error("--scripted-latency-s must be 0 or more")
    changes: dict[str, object] = {
        "tasks": tasks,
        "seeds": args.seeds,
        "scripted_latency_s": args.scripted_latency_s,
        "method_seeds": dict(args.method_seeds) or None,
    }
    if args.trials is not None:
        changes.update(trials=args.trials, llm_trials={})
    profile = customized(profile, **changes)
    methods = tuple(m for m in args.methods if not (args.no_llm and m in REAL_LLM))

    start = time.perf_counter()

    def say(message: str) -> None:
        print(f"{time.perf_counter() - start:7.1f}s  {message}", file=sys.stderr, flush=True)

    for method in methods:
        reason = missing_dependency(method)
        if reason is not None:
            say(f"leaving out {reason}")
    methods = tuple(m for m in methods if missing_dependency(m) is None)

    real_llm = None
    llm_label = ""
    if any(m in REAL_LLM for m in methods):
        from assistant.llm import resolve_llm_config

        if args.llm_base_url or args.llm_model:
            config = resolve_llm_config(args.llm_base_url, args.llm_model)
        else:
            # A benchmark trial waits for the LLM (llm_wait="always"): nothing trains beside
            # the server, so it gets every CPU unless told otherwise.
            from assistant.llm.embedded import usable_cpus

            config = resolve_llm_config(
                embedded=True, embedded_threads=args.embedded_threads or usable_cpus()
            )
        say("starting the LLM client" + (" (embedded model)" if config.embedded else ""))
        real_llm, llm_label = real_llm_clients(config)

    results = run_benchmark(
        profile,
        methods,
        real_llm=real_llm,
        llm_label=llm_label,
        reference_dir=args.reference_dir,
        update_reference=args.update_reference,
        measure_cost=not args.no_cost,
        progress=say,
        resume=args.resume,
    )
    paths = write_all(results, args.out)
    for kind, path in paths.items():
        say(f"{kind}: {path}")
    for name, target in results["summary"]["targets"].items():
        met = "not evaluated" if target["met"] is None else ("met" if target["met"] else "MISSED")
        say(f"target {name}: {met} (figure {target['figure']}, bound {target['bound']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
