"""Time `validate` and one deep scenario on a chain of N inheriting scenarios (issue 8 §5).

Usage: PYTHONPATH=src python scripts/bench_scenario_chain.py 400
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rsoi.cli import main
from rsoi.model.loader import load_model
from tests.helpers import small_model, write_model


def chain_model(folder: Path, n: int) -> Path:
    model = small_model()
    scenarios = {"s0": {"description": "root", "overrides": {"settings.lateness_weight": 1.0}}}
    for i in range(1, n):
        scenarios[f"s{i}"] = {
            "description": f"step {i}",
            "inherits": f"s{i - 1}",
            "overrides": {"settings.lateness_weight": 1.0 + i / 1000},
        }
    model["scenarios"] = scenarios
    return write_model(folder, model)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    with tempfile.TemporaryDirectory() as tmp:
        path = chain_model(Path(tmp), n)
        t = time.perf_counter()
        load_model(path, f"s{n - 1}")
        print(f"one scenario at depth {n}: {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        main(["validate", str(path)])
        print(f"validate, {n} chained scenarios: {time.perf_counter() - t:.2f} s")
