"""Time the independent checker on the shipped model's default run.

    python scripts/bench_check.py [--repeat 5]

Solves models/korea_taiwan.yaml once into a temporary folder, then runs `rsoi.results.check.check_run`
`--repeat` times twice: as `rsoi check RUN_DIR` does (the checker parses the YAML itself) and
as `rsoi solve` does (the pipeline passes the model it already parsed). Prints the median wall
and CPU seconds of each. Goal (checked here only, never in unit tests): the check stays a small
part of the default solve's <= 2 s wall time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from rsoi.pipeline import run_model, write_run  # noqa: E402
from rsoi.results.check import check_run  # noqa: E402
from tests.helpers import shipped_project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = shipped_project(Path(tmp))
        run = run_model(model)
        folder = write_run(run, Path(tmp) / "run")
        for label, kwargs in (("parses the YAML", {}), ("model passed in", {"model": run.model})):
            wall, cpu = [], []
            for _ in range(args.repeat):
                w, c = time.perf_counter(), time.process_time()
                report = check_run(folder, **kwargs)
                wall.append(time.perf_counter() - w)
                cpu.append(time.process_time() - c)
            assert report.ok, report.violations[:5]
            print(
                f"check ({label}): median wall {statistics.median(wall):.3f} s, "
                f"CPU {statistics.median(cpu):.3f} s over {args.repeat} runs"
            )


if __name__ == "__main__":
    main()
