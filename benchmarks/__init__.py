"""Benchmarks: commands that measure the assistant and write figures under ``results/``."""
