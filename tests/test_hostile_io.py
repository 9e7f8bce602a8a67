"""A hostile or careless user (issue 18, items 4-8): outputs, links, environment, leftovers.

Classes: a solved run is never lost to its outputs and the environment's failures are exit 2
(§6); nothing is written through a link and `--force` replaces only what rsoi wrote (§5);
names cannot break SVG, mathtext or the terminal (§4); scenario files scale (§8, benchmark
only); leftovers and misleading words (§7). docs/reliability.md names the test behind each claim.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path

import pytest

from rsoi import cli
from rsoi.results import tables
from tests.helpers import ROOT, leftovers, run_cli, small_model, write_model


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The small model with the shipped base map in `geodata/` beside it (so maps draw)."""
    model = write_model(tmp_path / "project", small_model())
    (model.parent / "geodata").mkdir()
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", model.parent / "geodata" / "basemap.gpkg")
    return model


def _no_crash(stderr: str) -> None:
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr


# --- §6 a solved run is never lost; the environment's failures are exit 2 ---------------


@pytest.mark.parametrize(
    "change",
    [{"stocks": [], "demands": []}, {"demands": []}, {"tasks": []}],
    ids=["no-flows-no-demands", "no-demands", "no-providers-no-tasks"],
)
def test_empty_layers_draw_and_keep_the_run(tmp_path: Path, change: dict) -> None:
    """Valid models with empty result layers (no flows, no providers): the run and its maps."""
    model = write_model(tmp_path / "project", small_model(**change))
    (model.parent / "geodata").mkdir()
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", model.parent / "geodata" / "basemap.gpkg")
    run = tmp_path / "run"
    code, _, stderr = run_cli("solve", model, "--out", run, "--quiet")
    assert code == 0, stderr
    assert (run / "flows.csv").is_file() and (run / "plan.gpkg").is_file()
    assert run_cli("check", run)[0] == 0


@pytest.mark.parametrize(
    "failure",
    [RuntimeError("a bug in the map"), IndexError("out-of-bounds"), OSError(errno.ENOSPC, "x")],
    ids=["bug", "index-error", "disk-full"],
)
def test_a_solved_run_is_never_lost_to_its_outputs(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    """Maps/report fail after the tables: the run folder stays with checked tables, no half
    maps; exit 1 for a bug, 2 (with the path and a fix) for the environment."""
    import rsoi.outputs.export as export

    real = export.write_bytes

    def failing(path: Path, data: bytes) -> Path:
        if path.name == "map.svg":  # map.png is written already: it must be removed again
            if isinstance(failure, OSError):
                raise OSError(failure.errno, os.strerror(failure.errno), str(path))
            raise failure
        return real(path, data)

    monkeypatch.setattr(export, "write_bytes", failing)
    run = tmp_path / "run"
    code, _, stderr = run_cli("solve", small, "--out", run, "--quiet")
    assert "outputs failed" in stderr and str(run) in stderr
    assert (run / "flows.csv").is_file() and (run / "summary.json").is_file()
    assert not (run / "map.png").exists() and not (run / "plan.gpkg").exists()
    summary = json.loads((run / "summary.json").read_text())
    assert any(w.startswith("maps not written") for w in summary["warnings"])
    if isinstance(failure, OSError):
        assert code == 2 and "map.svg" in stderr and "free space" in stderr, stderr
    else:
        assert code == 1 and type(failure).__name__ in stderr
    monkeypatch.undo()
    assert run_cli("check", run)[0] == 0
    code, _, stderr = run_cli("map", run)
    assert code == 0 and (run / "map.svg").is_file(), stderr


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "free space"),
        (errno.EDQUOT, "quota"),
        (errno.EROFS, "read-only"),
        (errno.EACCES, "permission"),
        (errno.ENAMETOOLONG, "shorter"),
        (errno.EIO, "disk"),
    ],
)
def test_environment_failures_while_writing_are_exit_2_with_path_and_fix(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, words: str
) -> None:
    """The write layer fails (disk full, quota, read-only, permission, name, I/O): exit 2 naming
    the file and a fix, no traceback, no half-written run folder."""

    def failing(path: Path, frame) -> None:
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(tables, "write_csv", failing)
    run = tmp_path / "runs" / "r"
    rc, _, stderr = run_cli("solve", small, "--out", run, "--quiet")
    assert rc == 2, stderr
    _no_crash(stderr)
    assert ".csv" in stderr and "fix:" in stderr and words in stderr, stderr
    assert leftovers(run.parent, "r") == []


def test_summary_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while summary.json is rewritten leaves the previous summary whole."""
    path = tmp_path / "summary.json"
    tables.write_json(path, {"a": 1})

    def full(self: Path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError):
        tables.write_json(path, {"a": 2})
    monkeypatch.undo()
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]


@pytest.mark.parametrize("length", [200, 240, 255])
def test_long_out_names_work(small: Path, tmp_path: Path, length: int) -> None:
    """A run folder name up to the file system's 255 bytes: solved and written."""
    run = tmp_path / ("r" * length)
    code, _, stderr = run_cli("solve", small, "--out", run, "--quiet")
    assert code == 0, stderr
    assert (run / "summary.json").is_file()


@pytest.mark.parametrize("name", ["r" * 256, "é" * 130, "x" * 1000])
def test_out_names_too_long_are_refused_before_the_solve(
    small: Path, tmp_path: Path, name: str
) -> None:
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / name, "--quiet")
    assert code == 2 and "too long" in stderr.lower() and "shorter" in stderr, stderr
    assert "solving" not in stderr
    assert list(tmp_path.iterdir()) == [small.parent]


def test_compare_of_runs_with_long_names(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default compare folder joins both names: cut to fit, still unique and written."""
    a, b = tmp_path / ("a" * 200), tmp_path / ("b" * 200)
    for run in (a, b):
        assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    monkeypatch.chdir(tmp_path)
    code, _, stderr = run_cli("compare", a, b)
    assert code == 0, stderr
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("compare-aaaa") and len(os.fsencode(folder.name)) <= 255
    assert (folder / "summary.json").is_file()


def test_read_only_parent_is_refused_before_the_solve(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only file system (as os.access and statvfs report it): exit 2 before the solve."""
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode)
    )
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r", "--quiet")
    assert code == 2 and "cannot create the folder it goes in" in stderr, stderr
    assert not (tmp_path / "r").exists()


def test_report_html_that_is_a_folder(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    (run / "report.html").unlink()
    (run / "report.html").mkdir()
    (run / "report.html" / "keep.txt").write_text("mine")
    code, _, stderr = run_cli("map", run)
    assert code == 2, stderr
    _no_crash(stderr)
    assert "report.html" in stderr and "fix:" in stderr
    assert (run / "report.html" / "keep.txt").read_text() == "mine"


MALFORMED = {
    "objective text": {"objective": "abc"},
    "objective list": {"objective": [1]},
    "objective bool": {"objective": True},
    "parts list": {"objective_parts": [1]},
    "parts text values": {"objective_parts": {"x": "y"}},
    "model_file number": {"model_file": 5},
    "model_file object": {"model_file": {}},
    "scenario list": {"scenario": [1]},
    "warnings number": {"warnings": 5},
    "variant text": {"variant": "x"},
}


@pytest.mark.parametrize("edit", list(MALFORMED), ids=list(MALFORMED))
def test_malformed_summary_edits_are_input_errors(small: Path, tmp_path: Path, edit: str) -> None:
    """A hand-edited summary.json with a wrong type: check, map and compare give exit 2 naming
    the field, never an internal error."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    bad = tmp_path / "bad"
    shutil.copytree(run, bad)
    summary = json.loads((bad / "summary.json").read_text())
    summary.update(MALFORMED[edit])
    (bad / "summary.json").write_text(json.dumps(summary))
    field = next(iter(MALFORMED[edit]))
    for command in (["check", bad], ["map", bad], ["compare", run, bad, "--out", tmp_path / "c"]):
        code, _, stderr = run_cli(*command)
        assert code == 2, (command, stderr)
        _no_crash(stderr)
        assert f"summary.json: {field}" in stderr, stderr


def test_summary_nested_200000_deep(small: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    for doc in ("[" * 200_000 + "]" * 200_000, '{"a":' * 200_000 + "1" + "}" * 200_000):
        (run / "summary.json").write_text(doc)
        for command in (["check", run], ["map", run], ["compare", run, run]):
            code, _, stderr = run_cli(*command)
            assert code == 2 and "summary.json" in stderr, (command, stderr)
            _no_crash(stderr)


def test_sweep_baseline_beside_a_scenario_named_compare(tmp_path: Path) -> None:
    """Scenarios `s1`, `compare-s1` and the baseline `base1`: every member folder and every
    compare folder survives (compare folders never take a member's name)."""
    scen = {
        "base1": {"description": "baseline"},
        "s1": {"description": "one", "overrides": {"routes.a-b.capacity_t_per_day": 50}},
        "compare-s1": {"description": "two", "overrides": {"routes.a-b.capacity_t_per_day": 80}},
    }
    model = write_model(tmp_path / "project", small_model(scenarios=scen))
    out = tmp_path / "sweep"
    code, _, stderr = run_cli(
        "sweep", model, "--baseline", "base1", "--workers", "1", "--out", out, "--check", "all"
    )
    assert code == 0, stderr
    table = (out / "sweep.csv").read_text()
    for name in ("base1", "s1", "compare-s1"):
        summary = json.loads((out / name / "summary.json").read_text())
        assert summary["scenario"] == name
    compare_dirs = {line.split(",")[-1] for line in table.splitlines()[1:]} - {""}
    assert len(compare_dirs) == 2 and not compare_dirs & {"s1", "compare-s1", "base1"}
    for name in compare_dirs:
        assert (out / name / "summary.json").is_file()


@pytest.mark.parametrize("value", ["1,2", "-1", "two", "1 2"])
def test_interdict_harden_takes_one_count(
    small: Path, value: str, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as exit_info:  # the argument parser's exit 2
        cli.main(["interdict", str(small), "--k", "1", "--harden", *value.split()])
    stderr = capsys.readouterr().err
    assert exit_info.value.code == 2, stderr
    _no_crash(stderr)
    assert "--harden" in stderr or "unrecognized arguments: 2" in stderr


# --- §5 nothing is written through a link; --force replaces only what rsoi wrote --------


def _snapshot(root: Path) -> dict[str, bytes | bool]:
    return {
        str(p.relative_to(root)): p.read_bytes() if p.is_file() and not p.is_symlink() else True
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("link", ["geojson", "map.svg", "report.html", "plan.gpkg"])
def test_map_never_writes_through_a_link(small: Path, tmp_path: Path, link: str) -> None:
    """A link inside the run folder pointing at the model's data: exit 2, the data untouched."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    data = small.parent / "geodata"
    victim = data if link == "geojson" else data / "basemap.gpkg"
    path = run / link
    if path.exists():
        path.unlink()
    path.symlink_to(victim)
    before = _snapshot(small.parent)
    code, _, stderr = run_cli("map", run, "--geojson")
    assert code == 2 and "symbolic link" in stderr and link in stderr, stderr
    _no_crash(stderr)
    assert _snapshot(small.parent) == before


@pytest.mark.parametrize("where", ["parent", "grandparent"])
def test_out_through_a_linked_folder_is_refused(small: Path, tmp_path: Path, where: str) -> None:
    """--out whose path passes a link (to the model's own folder): exit 2 before the solve."""
    link = tmp_path / "link"
    link.symlink_to(small.parent)
    out = link / "r" if where == "parent" else link / "deeper" / "r"
    before = _snapshot(small.parent)
    code, _, stderr = run_cli("solve", small, "--out", out, "--quiet")
    assert code == 2 and "symbolic link" in stderr, stderr
    assert _snapshot(small.parent) == before


@pytest.mark.parametrize("extra", ["NOTES.md", "analysis.ipynb", "sub/notes.txt", "link"])
def test_force_refuses_a_run_folder_holding_files_rsoi_did_not_write(
    small: Path, tmp_path: Path, extra: str
) -> None:
    """A real run folder plus a file of the user's: `--force` is exit 2 naming it."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    path = run / extra
    path.parent.mkdir(exist_ok=True)
    if extra == "link":
        path.symlink_to(small)
    else:
        path.write_text("mine")
    before = _snapshot(tmp_path)
    code, _, stderr = run_cli("solve", small, "--out", run, "--force", "--quiet")
    assert code == 2 and "rsoi did not write" in stderr and extra in stderr, stderr
    assert _snapshot(tmp_path) == before


def test_force_refuses_a_copied_summary(small: Path, tmp_path: Path) -> None:
    """A folder of the user's with a summary.json copied in (manifest and all)."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "NOTES.md").write_text("mine")
    shutil.copy(run / "summary.json", mine / "summary.json")
    code, _, stderr = run_cli("solve", small, "--out", mine, "--force", "--quiet")
    assert code == 2 and "NOTES.md" in stderr, stderr
    assert (mine / "NOTES.md").read_text() == "mine"
    legacy = tmp_path / "legacy"
    shutil.copytree(run, legacy)
    summary = json.loads((legacy / "summary.json").read_text())
    del summary["files"]
    (legacy / "summary.json").write_text(json.dumps(summary))
    code, _, stderr = run_cli("solve", small, "--out", legacy, "--force", "--quiet")
    assert code == 2 and "lists no files" in stderr, stderr


def test_force_replaces_a_run_after_map(small: Path, tmp_path: Path) -> None:
    """The files `map` adds are recorded, so a mapped run is still replaceable."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    assert run_cli("map", run, "--geojson")[0] == 0
    assert (run / "geojson").is_dir()
    code, _, stderr = run_cli("solve", small, "--out", run, "--force", "--quiet")
    assert code == 0, stderr
    assert not (run / "geojson").exists()


# --- §4 names cannot break the SVG, mathtext or the terminal -----------------------------

HOSTILE_NAMES = [
    "$\\undefinedmacro{$",
    "a$b$c \\frac{",
    "^_{}$$",
    "ctl\x01\x02\x0b\x0c\x1b[31m\x7f\x85end",
    "<!--<script>&amp;]]>",
    "tons [/] net",
    "[bold red]x[/]",
    "\ud800 lone",
]


@pytest.fixture(scope="module")
def map_layers(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The drawing layers of a solved small run (places, routes, flows, base map)."""
    from rsoi.outputs.gis import build_layers, load_run, map_basemap

    root = tmp_path_factory.mktemp("maps")
    model = write_model(root / "project", small_model())
    (model.parent / "geodata").mkdir()
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", model.parent / "geodata" / "basemap.gpkg")
    assert run_cli("solve", model, "--out", root / "run", "--quiet")[0] == 0
    run = load_run(root / "run")
    return {**build_layers(run), **map_basemap(run)}


def _draw_map_with(layers: dict, name: str) -> dict[str, bytes]:
    """The map with `name` as every place's name and as the title."""
    from rsoi.outputs.mapping import render_map

    drawing = dict(layers)
    drawing["places"] = layers["places"].assign(name=name, key=True)
    return render_map(drawing, title=name)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_draw_a_valid_svg(map_layers: dict, name: str) -> None:
    """Mathtext is never parsed and the SVG is well-formed XML holding the name's text."""
    import xml.etree.ElementTree as ET

    images = _draw_map_with(map_layers, name)
    root = ET.fromstring(images["svg"])  # raises on a control character
    texts = "".join(root.itertext())
    visible = "".join(c for c in name if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF)
    assert visible.replace(" ", "") in texts.replace(" ", "")
    assert images["png"].startswith(b"\x89PNG")


def test_any_name_draws_a_valid_svg(map_layers: dict) -> None:
    """Hypothesis: any text (all of Unicode's planes, controls included) as a place name."""
    import xml.etree.ElementTree as ET

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(min_size=1, max_size=20))
    def draw(name: str) -> None:
        ET.fromstring(_draw_map_with(map_layers, name)["svg"])

    draw()


def test_solve_with_hostile_names_and_units(tmp_path: Path) -> None:
    """Names with mathtext and markup, a unit `tons [/] net` and `--out run[red]`: the run is
    written, its maps drawn, and the terminal shows the text as written."""
    model = small_model()
    model["places"][0]["name"] = "$\\undefinedmacro{$ <!--<script>"
    model["places"][1]["name"] = "b\x01\x1b[2Jport"
    model["commodities"][0]["unit"] = "tons [/] net"
    path = write_model(tmp_path / "project", model)
    (path.parent / "geodata").mkdir()
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", path.parent / "geodata" / "basemap.gpkg")
    run = tmp_path / "run[red]"
    code, stdout, stderr = run_cli("solve", path, "--out", run)
    assert code == 0, stderr
    assert f"run folder: {run}" in stdout and "tons [/] net" in stdout
    assert (run / "map.svg").is_file() and (run / "report.html").is_file()
    import xml.etree.ElementTree as ET

    ET.fromstring((run / "map.svg").read_bytes())


@pytest.mark.parametrize("text", ["tons [/] net", "[bold]x[/bold]", "[/]", "a[red]b", "\\[x]"])
def test_table_cells_print_as_written(text: str) -> None:
    """Every CLI table is a PlainTable: markup in a cell is text."""
    import io

    from rsoi.cli.console import PlainTable, SafeConsole

    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=200, color_system=None)
    table = PlainTable()
    table.add_column("unit")
    table.add_row(text)
    console.print(table)
    assert text in buffer.getvalue()


# --- §7 leftovers and misleading words ----------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        [".plan.tmp-ab12cd.gpkg", ".plan.tmp-ab12cd.gpkg-journal"],
        [".map.tmp-x1.svg"],
        [".report.tmp-zz.html", ".plan.tmp-q.gpkg-wal", ".plan.tmp-q.gpkg-shm"],
        ["geojson/.flows.tmp-k9.geojson"],
    ],
)
def test_killed_map_leftovers_are_flagged_and_removed(
    small: Path, tmp_path: Path, names: list[str]
) -> None:
    """What a SIGKILL during `map` leaves: `check` names each file, the next `map` removes it."""
    run = tmp_path / "run"
    assert run_cli("solve", small, "--out", run, "--quiet")[0] == 0
    for name in names:
        (run / name).parent.mkdir(exist_ok=True)
        (run / name).write_bytes(b"half")
    code, _, stderr = run_cli("check", run)
    assert code == 0, stderr
    for name in names:
        assert str(run / name) in stderr and "interrupted" in stderr, stderr
    code, _, stderr = run_cli("map", run)
    assert code == 0, stderr
    for name in names:
        assert not (run / name).exists() and str(run / name) in stderr
    assert "interrupted" not in run_cli("check", run)[2]


def test_base_map_is_never_read_from_above_the_project(tmp_path: Path) -> None:
    """A model naming no geodata: the base map is looked for beside it, never one folder up."""
    model = write_model(tmp_path / "project", small_model())
    (tmp_path / "geodata").mkdir()
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", tmp_path / "geodata" / "basemap.gpkg")
    shutil.copy(ROOT / "geodata" / "basemap.gpkg", tmp_path / "basemap.gpkg")
    run = tmp_path / "run"
    code, _, stderr = run_cli("solve", model, "--out", run, "--quiet")
    assert code == 0, stderr
    assert "maps not written" in stderr and str(model.parent / "geodata") in stderr, stderr
    assert not (run / "map.png").exists()


@pytest.mark.parametrize("command", ["hedge", "interdict"])
def test_solver_stops_never_advise_an_option_the_command_lacks(
    small: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from rsoi.errors import SolverError

    def stopped(*args, **kwargs):
        raise SolverError("HiGHS stopped with status 'time limit' and no usable solution")

    monkeypatch.setattr(f"rsoi.analysis.{command}.{command}", stopped)
    argv = [command, small] + (["--k", "1"] if command == "interdict" else [])
    code, _, stderr = run_cli(*argv)
    assert code == 4 and "fix:" in stderr, stderr
    if "--time-limit" in stderr:  # advised only where the command has the option
        import contextlib
        import io

        from rsoi import cli

        help_text = io.StringIO()
        with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
            cli.main([command, "--help"])
        assert "--time-limit" in help_text.getvalue()


def _sea_model(tmp_path: Path, closed: bool) -> Path:
    """Two seaports; the sea-lane file joins `a` to a waypoint, but nothing reaches `b`."""
    model = small_model()
    model["places"][0]["kind"] = "seaport"
    model["routes"] = [
        {"id": "a-b", "origin": "a", "destination": "b", "mode": "sea", "capacity_t_per_day": 100,
         "transit_periods": 1, "source": "test"},
    ]  # fmt: skip
    model["sea_lanes"] = "sea_lanes.geojson"
    if closed:
        model["lanes"] = [
            {"id": "strait-x", "name": "x", "closed": True, "escort_place": "a", "source": "test"}
        ]
    lanes = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.2, 36.9]},
             "properties": {"feature": "waypoint", "id": "w1"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [127.4, 36.9]},
             "properties": {"feature": "waypoint", "id": "w2"}},
            {"type": "Feature", "geometry": {"type": "LineString",
             "coordinates": [[127.0, 37.0], [127.2, 36.9]]},
             "properties": {"feature": "edge", "from": "a", "to": "w1"}},
            {"type": "Feature", "geometry": {"type": "LineString",
             "coordinates": [[127.4, 36.9], [127.5, 37.0]]},
             "properties": {"feature": "edge", "from": "w2", "to": "b", "strait": "strait-x"}},
        ],
    }  # fmt: skip
    path = write_model(tmp_path / "project", model)
    (path.parent / "sea_lanes.geojson").write_text(json.dumps(lanes))
    return path


@pytest.mark.parametrize("closed", [False, True], ids=["nothing-closed", "strait-closed"])
def test_disconnected_sea_lanes_are_not_blamed_on_closed_straits(
    tmp_path: Path, closed: bool
) -> None:
    code, _, stderr = run_cli("validate", _sea_model(tmp_path, closed))
    assert code == 0, stderr
    assert "no open sea path" in stderr
    assert "does not connect a and b" in stderr and "closed straits" not in stderr, stderr


# --- §8 scenario files scale (timed only in scripts/bench_scenario_count.py) --------------


@pytest.mark.parametrize("chained", [False, True], ids=["flat", "chained"])
def test_validate_and_scenarios_validate_each_scenario_entry_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chained: bool
) -> None:
    """With N scenarios, `validate` and `scenarios --json` validate N scenario entries in all
    (the base model's), not N per scenario: the work grows linearly, not quadratically."""
    import rsoi.model.loader as loader

    n = 30
    scenarios = {}
    for i in range(n):
        entry = {"description": f"s{i}", "overrides": {"settings.lateness_weight": 1 + i / n}}
        if chained and i:
            entry["inherits"] = f"s{i - 1}"
        scenarios[f"s{i}"] = entry
    model = write_model(tmp_path / "project", small_model(scenarios=scenarios))
    seen: list[int] = []
    real = loader.validate_data

    def counting(doc, data):
        seen.append(len(data.get("scenarios") or {}) if isinstance(data, dict) else 0)
        return real(doc, data)

    monkeypatch.setattr(loader, "validate_data", counting)
    for argv in (["validate", model], ["scenarios", "--json", model]):
        seen.clear()
        code, stdout, stderr = run_cli(*argv)
        assert code == 0, stderr
        assert len(seen) == n + 1 and sum(seen) == n, seen
    listed = json.loads(stdout)
    assert [s["name"] for s in listed] == list(scenarios)
    assert [s["inherits"] for s in listed][1:2] == (["s0"] if chained else [None])
