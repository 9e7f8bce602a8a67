"""Benchmark theaters (synthetic models) and the same LP written in linopy, for scripts/bench.py."""
