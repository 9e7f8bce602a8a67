"""Run folders: atomic, never half-written or overwritten, deterministic; solver faults."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

import rsoi.lp.solve
from rsoi.errors import SolverError
from rsoi.pipeline import run_model, write_run
from tests.helpers import (
    leftovers,
    run_cli,
    shipped_project,
    small_model,
    spawn_cli,
    wait_for_stderr,
    write_model,
)

RUN_FILES = {
    "allocations.csv",
    "apportionment.csv",
    "deliveries.csv",
    "duals.csv",
    "flows.csv",
    "inventory.csv",
    "production.csv",
    "shortfalls.csv",
    "summary.json",
}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_model(tmp_path / "project", small_model())


def test_run_is_built_in_a_hidden_sibling_and_renamed(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "runs" / "r1"
    seen: list[Path] = []

    def extra(run, folder: Path) -> None:
        seen.append(folder)
        assert folder.parent == target.parent and folder.name.startswith(".r1.tmp-")
        assert not target.exists() and (folder / "flows.csv").is_file()

    write_run(run_model(small), target, extra=extra)
    assert seen and not seen[0].exists()
    assert {p.name for p in target.iterdir()} >= RUN_FILES
    assert leftovers(target.parent, "r1") == [target]


def test_failure_while_writing_leaves_nothing(small: Path, tmp_path: Path) -> None:
    def extra(run, folder: Path) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_run(run_model(small), tmp_path / "r1", extra=extra)
    assert leftovers(tmp_path, "r1") == []


def test_folder_appearing_during_the_write_is_not_overwritten(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "r1"

    def extra(run, folder: Path) -> None:  # another process claims the name meanwhile
        target.mkdir()
        (target / "theirs.txt").write_text("keep me")

    with pytest.raises(OSError):
        write_run(run_model(small), target, extra=extra)
    assert [p.name for p in target.iterdir()] == ["theirs.txt"]
    assert leftovers(tmp_path, "r1") == [target]


def test_existing_run_folder_needs_force(small: Path, tmp_path: Path) -> None:
    target = tmp_path / "r1"
    assert run_cli("solve", small, "--out", target, "--quiet")[0] == 0
    (target / "old.txt").write_text("previous run")
    code, _, stderr = run_cli("solve", small, "--out", target, "--quiet")
    assert code == 2 and "already exists" in stderr and "--force" in stderr
    assert (target / "old.txt").read_text() == "previous run"
    # a file rsoi did not write: --force refuses (issue 18 §5), naming it
    code, _, stderr = run_cli("solve", small, "--out", target, "--quiet", "--force")
    assert code == 2 and "old.txt" in stderr and (target / "old.txt").is_file()
    (target / "old.txt").unlink()
    (target / "flows.csv").write_text("edited\n")  # files rsoi wrote may be changed
    code, stdout, _ = run_cli("solve", small, "--out", target, "--quiet", "--force")
    assert code == 0 and stdout.strip() == str(target)
    assert (target / "flows.csv").read_text() != "edited\n"
    assert (target / "summary.json").is_file()
    assert leftovers(tmp_path, "r1") == [target]


@pytest.mark.parametrize(
    ("signum", "codes"),
    [(signal.SIGINT, {130}), (signal.SIGTERM, {143})],
    ids=["SIGINT", "SIGTERM"],
)
def test_interrupted_run_leaves_no_folder(small: Path, tmp_path: Path, signum, codes) -> None:
    """Interrupt while the temporary run folder is half-built (test-only pause in pipeline.py).

    SIGINT exits 130 and SIGTERM 143 (atomic_run_dir keeps the CLI's SIGTERM handler).
    """
    proc = spawn_cli(
        "solve", small, "--out", tmp_path / "r1", cwd=tmp_path,
        env={"RSOI_TEST_PAUSE_IN_WRITE": "60"},
    )  # fmt: skip
    try:
        wait_for_stderr(proc, "pausing in", 60)
        assert leftovers(tmp_path, "r1"), "the temporary folder should exist while paused"
        proc.send_signal(signum)
        assert proc.wait(timeout=30) in codes
    finally:
        proc.kill() if proc.poll() is None else None
    assert "no run folder written" in proc.stderr.read()
    assert leftovers(tmp_path, "r1") == []


def test_same_model_twice_gives_identical_files(tmp_path: Path) -> None:
    model = shipped_project(tmp_path / "project", basemap=True)
    folders = [tmp_path / "run1", tmp_path / "run2"]
    for folder in folders:
        code, _, stderr = run_cli("solve", model, "--out", folder, "--quiet")
        assert code == 0, stderr
    one, two = folders
    csvs = sorted(p.name for p in one.glob("*.csv"))
    assert len(csvs) == 10  # incl. cargo_flows.csv, cargo_ledger.csv (issue 15 a)
    for name in csvs:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    summaries = [json.loads((f / "summary.json").read_text()) for f in folders]
    for s in summaries:
        s.pop("timings_seconds")
    assert summaries[0] == summaries[1]
    if (
        one / "plan.gpkg"
    ).exists() or "rsoi.outputs.gis" in sys.modules:  # GeoPackage (rsoi.outputs.gis)
        layers = [name for name, _ in pyogrio.list_layers(one / "plan.gpkg")]
        assert layers
        for layer in layers:
            a = pyogrio.read_dataframe(one / "plan.gpkg", layer=layer)
            b = pyogrio.read_dataframe(two / "plan.gpkg", layer=layer)
            assert a.drop(columns="geometry", errors="ignore").equals(
                b.drop(columns="geometry", errors="ignore")
            ), layer
            if "geometry" in a:
                assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb()), layer


def test_time_limit_without_solution_is_exit_4(small: Path, tmp_path: Path) -> None:
    with pytest.raises(SolverError, match="no usable solution"):
        run_model(small, time_limit=0.0)
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r1", "--time-limit", "0")
    assert code == 4 and "no usable solution" in stderr and "--time-limit" in stderr
    assert leftovers(tmp_path, "r1") == []


def test_time_limit_with_feasible_solution_is_reported(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HiGHS's stop at the time limit with an incumbent (simulated: timing is machine-bound)."""
    real = rsoi.lp.solve.solve_with_settings

    def stopped_early(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), status="time_limit_feasible")

    monkeypatch.setattr(rsoi.lp.solve, "solve_with_settings", stopped_early)
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r1", "--quiet")
    assert code == 0 and "time_limit_feasible" in stderr and "may not be optimal" in stderr
    summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert summary["status"] == "time_limit_feasible"
    assert run_cli("check", tmp_path / "r1")[0] == 0


def test_extreme_coefficients_warn_by_name(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["capacity_t_per_day"] = 1e14
    model["modes"]["road"]["cost_per_t_km"] = 1e-12
    model["settings"]["transport_cost_weight"] = 1.0
    path = write_model(tmp_path / "project", model)
    code, _, stderr = run_cli("solve", path, "--out", tmp_path / "r1", "--quiet")
    assert code == 0
    assert "numerics: capacities and quantities span" in stderr
    assert "routes[a-b].capacity_t_per_day" in stderr and "routes[a-b] transport cost" in stderr
    warnings = json.loads((tmp_path / "r1" / "summary.json").read_text())["warnings"]
    assert any(w.startswith("numerics:") for w in warnings)
    assert any("WARNING" in w for w in warnings)  # HiGHS's own numerics warnings


def test_export_worker_ends_when_the_parent_gives_up() -> None:
    """A solve that fails closes its export worker without submitting a folder. The forked
    child must see end-of-file and end by itself, also when the parent has a SIGTERM handler
    of its own (the CLI's), which the child must not inherit: before, it waited forever and
    hung the run (seen under pytest-xdist: test_time_limit_without_solution_is_exit_4)."""
    import signal
    import threading

    from rsoi.outputs.worker import ExportWorker

    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        worker = ExportWorker(None)
        worker._conn.close()  # the parent gives up: the child alone must notice
        worker._proc.join(60)
        assert worker._proc.exitcode == 0
        worker = ExportWorker(None)
        closer = threading.Thread(target=worker.close)
        closer.start()
        closer.join(60)
        assert not closer.is_alive() and not worker._proc.is_alive()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_export_worker_forked_under_a_signal_never_runs_the_parents_handler(tmp_path) -> None:
    """SIGTERM sent to the export child the moment it is forked (before it sets its own
    handlers) must end the child, never run the CLI's handler in the child's copy of the
    caller, which would carry on as a second caller from the fork (under pytest-xdist the
    copy reported exit 143 for the parent's test). A script forks 30 workers, each terminated
    at once; every child must die of SIGTERM and only the parent may reach the end."""
    script = tmp_path / "race.py"
    script.write_text(
        "import os, sys\n"
        "from rsoi.lp.interrupt import sigterm_as_interrupt\n"
        "from rsoi.outputs.worker import ExportWorker\n"
        "me = os.getpid()\n"
        "codes = []\n"
        "with sigterm_as_interrupt():\n"
        "    for _ in range(30):\n"
        "        w = ExportWorker(None)\n"
        "        w._proc.terminate()\n"
        "        w._proc.join(60)\n"
        "        codes.append(w._proc.exitcode)\n"
        "        w.close()\n"
        "if os.getpid() != me:\n"
        "    print('ESCAPED', flush=True)\n"
        "    os._exit(0)\n"
        "print('codes', sorted(set(codes)), flush=True)\n"
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "ESCAPED" not in proc.stdout
    assert proc.stdout.strip().endswith(f"codes [{-signal.SIGTERM}]"), proc.stdout
