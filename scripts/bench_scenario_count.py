"""Time `validate` and `scenarios --json` on N one-line scenarios, flat and chained (issue 18 §8).

Usage: PYTHONPATH=src python scripts/bench_scenario_count.py 10000
Prints seconds per command; the goal is linear growth, 10,000 scenarios in under 30 s.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rsoi.cli import main
from tests.helpers import small_model, write_model


def scenario_model(folder: Path, n: int, chained: bool) -> Path:
    model = small_model()
    scenarios = {}
    for i in range(n):
        entry = {"description": f"step {i}", "overrides": {"settings.lateness_weight": 1 + i / n}}
        if chained and i:
            entry["inherits"] = f"s{i - 1}"
        scenarios[f"s{i}"] = entry
    model["scenarios"] = scenarios
    return write_model(folder, model)


def timed(argv: list[str]) -> tuple[float, int]:
    t = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return time.perf_counter() - t, code


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    kinds = sys.argv[2:] or ["flat", "chained"]
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            path = scenario_model(Path(tmp), n, kind == "chained")
            for argv in (["validate", str(path)], ["scenarios", "--json", str(path)]):
                seconds, code = timed(argv)
                print(f"{argv[0]:<9} {kind:<7} {n:>6} scenarios: {seconds:7.2f} s (exit {code})")
