"""A hostile or careless user (issue 8): each class of failure with cases of our own.

Classes: --force destroys only rsoi output (§1); Ctrl-C/SIGTERM stop at once (§2); no silent
wrong answers (§3); bounded reads and sizes (§5); output that cannot attack its reader (§7);
errors that tell the truth (§8). docs/reliability.md names the test behind each claim.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rsoi import cli
from rsoi.results.csvcells import restore_cell
from rsoi.results.tables import OWNER_FILE, is_rsoi_output_dir, write_analysis_marker
from tests.helpers import (
    leftovers,
    run_cli,
    small_model,
    spawn_cli,
    wait_for_stderr,
    write_model,
)


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_model(tmp_path / "project", small_model())


def snapshot(root: Path) -> dict[str, object]:
    """Every path under `root` with its kind and content: proves 'nothing touched'."""
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        out[key] = path.read_bytes() if path.is_file() and not path.is_symlink() else path.is_dir()
    return out


# --- §1 --force replaces only rsoi output ------------------------------------------------


@pytest.mark.parametrize(
    "what",
    ["data folder", "project folder", "model file", "cwd", "parent of cwd", "symlink to a run",
     "fake summary.json", "plain folder"],
)  # fmt: skip
def test_force_never_destroys_what_is_not_a_run(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    project = small.parent
    (project / "geodata").mkdir()
    (project / "geodata" / "places.geojson").write_text("{}")
    run = tmp_path / "runs" / "r0"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    work = tmp_path / "work" / "inner"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    targets = {
        "data folder": project / "geodata",
        "project folder": project,
        "model file": small,
        "cwd": Path("."),
        "parent of cwd": Path(".."),
        "symlink to a run": other / "link",
        "fake summary.json": other,
        "plain folder": other,
    }
    if what == "symlink to a run":
        (other / "link").symlink_to(run)
    if what == "fake summary.json":
        (other / "summary.json").write_text(json.dumps({"model": "x", "format": "other/1"}))
    before = snapshot(tmp_path)
    code, stdout, stderr = run_cli("solve", small, "--out", targets[what], "--force", "--quiet")
    assert code == 2 and "not a run folder" in stderr, stderr
    assert "internal error" not in stderr and stdout == ""
    assert snapshot(tmp_path) == before


def test_force_replaces_run_and_analysis_folders(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "r1"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    assert json.loads((run / "summary.json").read_text())["format"] == "rsoi-run/1"
    assert is_rsoi_output_dir(run)
    sweep = tmp_path / "s1"
    sweep.mkdir()
    write_analysis_marker(sweep, "sweep")
    assert is_rsoi_output_dir(sweep) and not is_rsoi_output_dir(tmp_path)
    code, _, stderr = run_cli("solve", small, "--out", sweep, "--force", "--quiet")
    assert code == 0, stderr
    assert (sweep / "summary.json").is_file() and not (sweep / "analysis.json").exists()


# --- §7 output that cannot attack its reader ----------------------------------------------

HOSTILE = ["=HYPERLINK(\"http://x\",\"a\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
           "\tTAB", "'quoted", "=1"]  # fmt: skip


def test_csv_cells_cannot_run_as_formulas(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["source"] = HOSTILE[0]
    model["commodities"][0]["unit"] = HOSTILE[1]
    model["commodities"][0]["name"] = HOSTILE[2]
    model["places"][0]["source"] = HOSTILE[3]
    model["demands"][0]["source"] = HOSTILE[4]
    model["stocks"][0]["source"] = HOSTILE[5]
    path = write_model(tmp_path / "project", model)
    run = tmp_path / "r1"
    code, _, stderr = run_cli("solve", path, "--out", run, "--quiet")
    assert code == 0, stderr
    texts: set[str] = set()
    negatives = 0
    for table in run.glob("*.csv"):
        with table.open(newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    is_number = re.fullmatch(r"-?[0-9.]+(e[-+]?[0-9]+)?", cell) is not None
                    negatives += is_number and cell.startswith("-")
                    assert is_number or cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), (
                        table.name,
                        cell,
                    )
                    texts.add(restore_cell(cell))
    assert HOSTILE[0] in texts and HOSTILE[1] in texts  # restorable exactly
    assert negatives > 0  # shadow prices stay plain negative numbers
    assert run_cli("check", run)[0] == 0


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["source"] = "road\x1b]0;owned\x07\x1b[2J\u202egnp.exe"
    path = write_model(tmp_path / "project", model)
    code, stdout, stderr = run_cli("solve", path, "--out", tmp_path / "r1")
    assert code == 0, stderr
    assert "road" in stdout  # the binding route's source is printed ...
    for text in (stdout, stderr):  # ... without its escape sequences
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", text), repr(text)
    bad = path.read_text().replace("capacity_t_per_day:", '"capacity\\e[31m_x":', 1)
    path.write_text(bad)
    code, stdout, stderr = run_cli("validate", path)
    assert code == 2 and "unknown key 'capacity[31m_x'" in stderr
    assert "\x1b" not in stderr


def test_quiet_prints_only_the_run_folder(small: Path, tmp_path: Path) -> None:
    """In a fresh process (HiGHS prints its banner once per process, on stdout)."""
    target = tmp_path / "r1"
    proc = spawn_cli("solve", small, "--out", target, "--quiet", cwd=tmp_path)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert stdout == f"{target}\n"


# --- §8 errors tell the truth -------------------------------------------------------------


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "-inf", "ten"])
def test_bad_time_limit_is_refused(small: Path, tmp_path: Path, value: str) -> None:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as exc:
        cli.main(["solve", str(small), "--out", str(tmp_path / "r1"), f"--time-limit={value}"])
    assert exc.value.code == 2
    assert "--time-limit" in stderr.getvalue() and value in stderr.getvalue()
    assert not (tmp_path / "r1").exists()


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_run_folders_honour_the_umask(small: Path, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        assert run_cli("solve", small, "--out", tmp_path / "r1", "--quiet")[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "r1").stat().st_mode) == 0o777 & ~umask
    assert not (tmp_path / "r1" / OWNER_FILE).exists()


def _fake_temp(parent: Path, name: str, owner: dict | None) -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    (folder / "flows.csv").write_text("half\n")
    if owner is not None:
        (folder / OWNER_FILE).write_text(json.dumps(owner))
    return folder


def test_stale_temporary_folders_of_dead_runs_are_removed(small: Path, tmp_path: Path) -> None:
    """Dead: same host, pid gone (a finished child). Kept: a live pid, no owner, another host."""
    import socket

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname()
    parent = tmp_path / "runs"
    dead = _fake_temp(parent, ".r0.tmp-1-aa", {"host": host, "pid": child.pid, "start": "1"})
    dead_old = _fake_temp(parent, ".r9.old-1-bb", {"host": host, "pid": child.pid, "start": "1"})
    live = _fake_temp(parent, ".r0.tmp-2-cc", {"host": host, "pid": os.getppid(), "start": ""})
    unknown = _fake_temp(parent, ".r0.tmp-3-dd", None)
    remote = _fake_temp(parent, ".r0.tmp-4-ee", {"host": host + "-x", "pid": child.pid})
    code, _, stderr = run_cli("solve", small, "--out", parent / "r1", "--quiet")
    assert code == 0, stderr
    assert not dead.exists() and not dead_old.exists()
    assert f"removed {dead}" in stderr and "killed" in stderr
    assert live.exists() and unknown.exists() and remote.exists()


def test_killed_run_leaves_a_folder_the_next_run_removes(small: Path, tmp_path: Path) -> None:
    proc = spawn_cli(
        "solve", small, "--out", tmp_path / "r1", cwd=tmp_path,
        env={"RSOI_TEST_PAUSE_IN_WRITE": "60"},
    )  # fmt: skip
    try:
        wait_for_stderr(proc, "pausing in", 60)
        proc.send_signal(signal.SIGKILL)  # no cleanup possible
        proc.wait(timeout=30)
    finally:
        proc.kill() if proc.poll() is None else None
    (stale,) = leftovers(tmp_path, "r1")
    assert stale.name.startswith(".r1.tmp-")
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r2", "--quiet")
    assert code == 0 and f"removed {stale}" in stderr
    assert leftovers(tmp_path, "r1") == []


def test_bad_paths_and_tables_are_input_errors(tmp_path: Path) -> None:
    code, _, stderr = run_cli("solve", tmp_path / "nope.yaml", "--out", tmp_path / "r1")
    assert code == 2 and "nope.yaml" in stderr and "file not found" in stderr
    model = small_model(routes={"csv": "tables/routes.csv"})
    path = write_model(tmp_path / "project", model)
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "routes.csv" in stderr and "not found" in stderr
    (path.parent / "tables").mkdir()
    (path.parent / "tables" / "routes.csv").mkdir()  # a folder, not a file
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "routes.csv" in stderr and "internal error" not in stderr


def test_csv_line_numbers_count_quoted_newlines(tmp_path: Path) -> None:
    rows = (
        "id,origin,destination,mode,capacity_t_per_day,transit_periods,source\n"
        'a-b,a,b,road,100,1,"two\nline source"\n'
        "b-a,b,a,road,lots,1,test\n"
    )
    model = small_model(routes={"csv": "routes.csv"})
    path = write_model(tmp_path / "project", model)
    (path.parent / "routes.csv").write_text(rows)
    code, _, stderr = run_cli("validate", path)
    assert code == 2
    assert re.search(r"routes\.csv:4:5: routes\[1\]\.capacity_t_per_day", stderr), stderr


# --- §2 Ctrl-C / SIGTERM stop at once, at any stage ---------------------------------------


@pytest.fixture(scope="module")
def slow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic theater that loads in ~2 s and keeps HiGHS busy for ~30 s."""
    from rsoi.bench.synthetic import size_for, synthetic_model
    from rsoi.bench.synthetic import write_model as write_synthetic

    folder = tmp_path_factory.mktemp("slow")
    (folder / "pyproject.toml").touch()
    return write_synthetic(folder / "slow.yaml", synthetic_model(**size_for(45_000)))


def _interrupt_when(proc: subprocess.Popen, marker: str, signum: int) -> tuple[int, float, str]:
    """Wait for `marker` on stderr, send `signum`; (exit code, seconds to exit, rest of stderr)."""
    wait_for_stderr(proc, marker)
    sent = time.monotonic()
    proc.send_signal(signum)
    code = proc.wait(timeout=30)
    return code, time.monotonic() - sent, proc.stderr.read()


@pytest.mark.parametrize(
    ("signum", "code", "said"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["SIGINT", "SIGTERM"],
)
def test_signal_inside_the_solver_stops_within_a_second(
    slow_model: Path, tmp_path: Path, signum: int, code: int, said: str
) -> None:
    proc = spawn_cli(
        "solve", slow_model, "--out", tmp_path / "r1", "--no-check", cwd=tmp_path,
        env={"RSOI_TEST_ANNOUNCE_SOLVE": "1"},
    )  # fmt: skip
    try:
        got, seconds, rest = _interrupt_when(proc, "solver running", signum)
    finally:
        proc.kill() if proc.poll() is None else None
    assert got == code, rest
    assert seconds < 1.5, seconds  # margin over "within a second" for a loaded CI machine
    assert rest.strip().splitlines() == [f"{said}: no run folder written"]
    assert "Traceback" not in rest and proc.stdout.read() == ""
    assert leftovers(tmp_path, "r1") == []


# --- §3 no silent wrong answers -----------------------------------------------------------


def _validate(path: Path) -> tuple[int, str]:
    code, _, stderr = run_cli("validate", path)
    assert "internal error" not in stderr and "Traceback" not in stderr
    return code, stderr


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("capacity_t_per_day", "true", "true is not a number"),
        ("capacity_t_per_day", '"1e300"', "larger than 1e+15"),
        ("capacity_t_per_day", '"5e20"', "larger than 1e+15"),
        ("transit_periods", "false", "false is not a number"),
    ],
)
def test_yaml_values_that_are_not_sane_numbers(
    tmp_path: Path, field: str, text: str, message: str
) -> None:
    path = write_model(tmp_path / "project", small_model())
    lines = path.read_text().splitlines()
    (i,) = [n for n, line in enumerate(lines) if line.strip().startswith(f"{field}:")]
    lines[i] = lines[i].split(":")[0] + f": {text}"
    path.write_text("\n".join(lines) + "\n")
    code, stderr = _validate(path)
    assert code == 2 and message in stderr
    assert f"{path}:{i + 1}:" in stderr and f"routes[0].{field}" in stderr


@pytest.mark.parametrize(
    ("cell", "message"), [("5e20", "larger than 1e+15"), ("nan", "finite number")]
)
def test_csv_numbers_obey_the_same_limits(tmp_path: Path, cell: str, message: str) -> None:
    path = write_model(tmp_path / "project", small_model(routes={"csv": "routes.csv"}))
    (path.parent / "routes.csv").write_text(
        "id,origin,destination,mode,capacity_t_per_day,transit_periods,source\n"
        f"a-b,a,b,road,{cell},1,test\n"
    )
    code, stderr = _validate(path)
    assert code == 2 and message in stderr
    assert "routes.csv:2:5: routes[0].capacity_t_per_day" in stderr


def test_duplicate_csv_columns_are_refused(tmp_path: Path) -> None:
    path = write_model(tmp_path / "project", small_model(routes={"csv": "routes.csv"}))
    (path.parent / "routes.csv").write_text(
        "id,origin,destination,mode,capacity_t_per_day,transit_periods,source,capacity_t_per_day\n"
        "a-b,a,b,road,100,1,test,900\n"
    )
    code, stderr = _validate(path)
    assert code == 2 and "routes.csv:1:8: routes.capacity_t_per_day" in stderr
    assert "appears twice (first in column 5)" in stderr


def test_duplicate_geodata_ids_are_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    features = [
        {"type": "Feature", "properties": {"id": pid},
         "geometry": {"type": "Point", "coordinates": [lon, 37.0]}}
        for pid, lon in [("a", 127.0), ("b", 127.5), ("a", 2.35)]
    ]  # fmt: skip
    (project / "geo").mkdir(parents=True)
    text = json.dumps({"type": "FeatureCollection", "features": features}, indent=1)
    (project / "geo" / "places.geojson").write_text(text)
    path = write_model(project, small_model(geodata="geo/places.geojson"))
    code, stderr = _validate(path)
    lines = [n + 1 for n, ln in enumerate(text.splitlines()) if '"id": "a"' in ln]
    assert code == 2 and "duplicate id 'a' (first at features[0])" in stderr
    assert f"places.geojson:{lines[1]}: features[2].properties.id" in stderr


def test_resilience_from_period_after_the_horizon(small: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli("resilience", small, "--from-period", "99", "--out", tmp_path / "x")
    assert code == 2 and "period 99 is outside the horizon (1..4)" in stderr
    assert not (tmp_path / "x").exists()


def test_attack_after_the_horizon(tmp_path: Path) -> None:
    model = small_model()
    model["events"] = {
        "attacks": [{"target": "a-b", "from_period": 9, "capacity_factor": 0.0, "source": "t"}]
    }
    code, stderr = _validate(write_model(tmp_path / "project", model))
    assert code == 2 and "period 9 is outside the horizon" in stderr


# --- §5 bounded -----------------------------------------------------------------------------


def test_fifo_and_devices_are_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    start = time.monotonic()
    code, _, stderr = run_cli("validate", fifo)
    assert code == 2 and "FIFO" in stderr
    code, _, stderr = run_cli("validate", "/dev/zero")
    assert code == 2 and "character device" in stderr
    path = write_model(tmp_path / "project", small_model(routes={"csv": "routes.csv"}))
    os.mkfifo(path.parent / "routes.csv")
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "routes.csv" in stderr and "FIFO" in stderr
    assert time.monotonic() - start < 20  # a hang would block forever


def test_size_limits_are_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rsoi.model.csv_tables

    path = write_model(tmp_path / "project", small_model(routes={"csv": "routes.csv"}))
    (path.parent / "routes.csv").write_text(
        "id,origin,destination,mode,capacity_t_per_day,transit_periods,source\n"
        + "a-b,a,b,road,100,1,test\n" * 3
    )
    monkeypatch.setattr(rsoi.model.csv_tables, "MAX_CSV_BYTES", 50)
    code, stderr = _validate(path)
    assert code == 2 and "over the 50 byte limit" in stderr
    monkeypatch.setattr(rsoi.model.csv_tables, "MAX_CSV_BYTES", 10_000)
    monkeypatch.setattr(rsoi.model.csv_tables, "MAX_CSV_ROWS", 2)
    code, stderr = _validate(path)
    assert code == 2 and "more than 2 rows" in stderr


def test_lp_too_big_for_memory_is_refused_with_numbers(small: Path, tmp_path: Path) -> None:
    """SMALL: 1 route x 1 commodity + 2 places x 1 commodity + 1 demand + 8 theater slots per
    period (2 theaters x 4) = 12 per period x 4 periods = 48 columns, 4 KiB each = 192 KiB."""
    from rsoi.lp.budget import estimate_columns
    from rsoi.model.loader import load_model

    assert estimate_columns(load_model(small).spec) == 48
    for args in (["validate"], ["solve", "--out", tmp_path / "r"]):
        code, _, stderr = run_cli(*args, small, "--max-memory", "100K")
        assert code == 2 and "about 48 columns" in stderr and "100 KiB" not in stderr
        assert "--max-memory" in stderr
    assert not (tmp_path / "r").exists()
    assert run_cli("validate", small, "--max-memory", "1M")[0] == 0


@pytest.fixture(scope="module")
def slow_sweep(slow_model: Path) -> Path:
    """The slow theater with two scenarios (a sweep keeps two solves busy)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    data = yaml.load(slow_model.read_text())
    data["scenarios"] = {
        f"s{i}": {"description": f"s{i}", "overrides": {"settings.lateness_weight": 1.0 + i}}
        for i in range(2)
    }
    path = slow_model.with_name("slow_sweep.yaml")
    with path.open("w") as fh:
        yaml.dump(data, fh)
    return path


@pytest.mark.parametrize(
    ("signum", "group", "code", "said"),
    [(signal.SIGTERM, False, 143, "terminated"), (signal.SIGINT, True, 130, "interrupted")],
    ids=["SIGTERM-to-rsoi", "SIGINT-to-group(Ctrl-C)"],
)
def test_signal_during_a_sweep_stops_workers_quietly(
    slow_sweep: Path, tmp_path: Path, signum: int, group: bool, code: int, said: str
) -> None:
    """Ctrl-C in a terminal reaches the whole process group, Dask's workers included."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rsoi", "sweep", str(slow_sweep), "--out", str(tmp_path / "sw"),
         "--workers", "1"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
        env={**os.environ, "RSOI_TEST_ANNOUNCE_SOLVE": "1",
             "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1] / "src"),
                                                         os.environ.get("PYTHONPATH")]))},
    )  # fmt: skip
    try:
        wait_for_stderr(proc, "solver running", 120)
        sent = time.monotonic()
        os.killpg(proc.pid, signum) if group else proc.send_signal(signum)
        got = proc.wait(timeout=30)
        seconds = time.monotonic() - sent
        rest = proc.stderr.read()
        time.sleep(0.5)
        alive = subprocess.run(
            ["pgrep", "-g", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert got == code, rest
    assert rest.strip().splitlines() == [f"{said}: no run folder written"], rest
    assert seconds < 5, seconds  # about 1-2 s: the local cluster closes
    assert [p for p in alive if Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"] == []
    assert leftovers(tmp_path, "sw") == []


def test_run_folder_with_a_fifo_or_device_is_refused(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "r1"
    assert run_cli("solve", small, "--out", run, "--quiet", "--no-check")[0] == 0
    (run / "flows.csv").unlink()
    os.mkfifo(run / "flows.csv")
    (run / "duals.csv").unlink()
    (run / "duals.csv").symlink_to("/dev/zero")
    for command in ("check", "map"):
        code, _, stderr = run_cli(command, run)
        assert code == 2, stderr
        assert "flows.csv is a FIFO (named pipe)" in stderr
        assert "duals.csv is a character device" in stderr


@pytest.mark.parametrize("where", ["under the model file", "read-only folder"])
def test_out_that_cannot_be_created_is_an_input_error(
    small: Path, tmp_path: Path, where: str
) -> None:
    if where == "read-only folder":
        if os.geteuid() == 0:  # root writes into 0500 folders; not even root writes into /proc
            out = Path("/proc/rsoi-test") / "sub" / "r1"
        else:
            locked = tmp_path / "locked"
            locked.mkdir(mode=0o500)
            out = locked / "sub" / "r1"
    else:
        out = small / "r1"
    code, _, stderr = run_cli("solve", small, "--out", out, "--quiet")
    assert code == 2 and "--out: cannot create the folder it goes in" in stderr, stderr
    assert "internal error" not in stderr
