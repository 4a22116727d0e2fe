"""Search-quality benchmark (issue #10): regret of the engine against Optuna's samplers.

Run ``python -m benchmarks.quality`` (quick profile) or ``python -m benchmarks.quality
--profile full``; see :mod:`benchmarks.quality.__main__` for the options.
"""
