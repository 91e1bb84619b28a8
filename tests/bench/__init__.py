"""Benchmarks (``make bench`` / ``python -m tests.bench``); each module exposes ``run() -> list[dict]``."""
