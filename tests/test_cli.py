"""Command line: exit codes, messages without tracebacks, check/map commands, flags."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

import rsoi.pipeline
from rsoi.errors import CheckError
from tests.helpers import SHIPPED, leftovers, run_cli, small_model, write_model


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return write_model(tmp_path / "project", small_model())


@pytest.fixture
def fake_gis(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, bool]]:
    """Replace rsoi.outputs.export with a recorder (map export is tested by its own module).

    `rsoi solve` exports in a forked worker: its calls are recorded there, so the fake also
    leaves its arguments in the folder (``export.txt``: the folder name and `geojson`)."""
    calls: list[tuple[Path, bool]] = []

    def export_run(
        folder: Path, geojson: bool = False, prep=None, timings=None, summary=None
    ) -> list[Path]:
        calls.append((Path(folder), geojson))
        (Path(folder) / "map.png").write_bytes(b"png")
        (Path(folder) / "export.txt").write_text(f"{Path(folder).name} {geojson}")
        return [Path(folder) / "map.png"]

    monkeypatch.setitem(
        sys.modules, "rsoi.outputs.export", types.SimpleNamespace(export_run=export_run)
    )
    return calls


def test_validate_schema_scenarios() -> None:
    code, stdout, _ = run_cli("validate", SHIPPED)
    assert code == 0 and "valid (base model and" in stdout
    code, stdout, _ = run_cli("schema")
    assert code == 0 and json.loads(stdout)["title"] == "ModelSpec"
    code, stdout, _ = run_cli("scenarios", SHIPPED, "--json")
    assert code == 0 and any(s["default"] for s in json.loads(stdout))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: [unclosed\n", "YAML syntax error"),
        ("", "file is empty"),
        ("- a\n", "must be a mapping"),
        ("a: !!python/object/apply:os.system ['true']\n", "is not allowed"),
        ("a: .nan\n", "not a finite number"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "solve"])
def test_bad_input_is_exit_2_without_traceback(
    tmp_path: Path, command: str, text: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code, stdout, stderr = run_cli(
        command, path, *(["--out", tmp_path / "r"] * (command == "solve"))
    )
    assert code == 2 and expected in stderr and f"{path}:" in stderr
    assert "Traceback" not in stdout + stderr
    assert leftovers(tmp_path, "r") == []


def test_schema_errors_name_line_field_and_fix(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["capacity_t_per_dya"] = model["routes"][0].pop("capacity_t_per_day")
    model["demands"][0]["place"] = "bb"
    path = write_model(tmp_path, model)
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "invalid input" in stderr
    assert "routes[0].capacity_t_per_dya: unknown key" in stderr
    assert "fix: did you mean 'capacity_t_per_day'?" in stderr
    assert "demands[0].place: unknown place 'bb'" in stderr


def test_non_utf8_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café\n".encode("latin-1"))
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "not valid UTF-8" in stderr and f"{path}:1:" in stderr
    code, _, stderr = run_cli("validate", tmp_path / "nope.yaml")
    assert code == 2 and "file not found" in stderr


def test_unknown_scenario_is_input_error(small: Path, tmp_path: Path) -> None:
    code, _, stderr = run_cli("solve", small, "--scenario", "nope", "--out", tmp_path / "r")
    assert code == 2 and "unknown scenario 'nope'" in stderr


def test_unexpected_exception_is_short_unless_debug(
    small: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model):
        raise RuntimeError("boom")

    monkeypatch.setattr(rsoi.pipeline, "prepare", broken)
    code, _, stderr = run_cli("validate", small)
    assert code == 1 and "internal error: RuntimeError: boom" in stderr
    assert "report it" in stderr and "RSOI_DEBUG=1" in stderr and "Traceback" not in stderr
    code, _, stderr = run_cli("validate", small, env={"RSOI_DEBUG": "1"})
    assert code == 1 and "Traceback" in stderr


def test_solve_checks_and_exports_maps(small: Path, tmp_path: Path, fake_gis: list) -> None:
    target = tmp_path / "r1"
    code, stdout, stderr = run_cli("solve", small, "--out", target, "--geojson")
    assert code == 0, stderr
    assert "objective" in stdout and str(target) in stdout
    exported_in, geojson = (target / "export.txt").read_text().split()
    assert exported_in.startswith(".r1.tmp-") and geojson == "True"  # inside the atomic folder
    assert (target / "map.png").is_file()
    summary = json.loads((target / "summary.json").read_text())
    assert "check" in summary["timings_seconds"]
    code, stdout, _ = run_cli("check", target)
    assert code == 0 and "check passed" in stdout


def test_failed_check_is_loud_exit_1_and_writes_nothing(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(folder, **kwargs):
        raise CheckError(["route_capacity[a-b,2]: short tons 150 exceeds 100"], str(folder))

    monkeypatch.setattr("rsoi.results.check.verify_run", failing)
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r1")
    assert code == 1 and "CHECK FAILED" in stderr and "route_capacity[a-b,2]" in stderr
    assert leftovers(tmp_path, "r1") == []
    code, _, _ = run_cli("solve", small, "--out", tmp_path / "r1", "--no-check", "--quiet")
    assert code == 0 and (tmp_path / "r1" / "flows.csv").is_file()


def test_map_command(small: Path, tmp_path: Path, fake_gis: list) -> None:
    code, _, _ = run_cli("solve", small, "--out", tmp_path / "r1", "--quiet")
    fake_gis.clear()
    code, stdout, _ = run_cli("map", tmp_path / "r1", "--geojson")
    assert code == 0 and fake_gis == [(tmp_path / "r1", True)] and "map.png" in stdout
    code, _, stderr = run_cli("map", tmp_path)
    assert code == 2 and "no summary.json" in stderr


def test_infeasible_hard_floor_is_exit_3(tmp_path: Path) -> None:
    model = small_model()
    model["policies"]["troop_floor"] = {"enabled": True, "mode": "hard", "source": "test"}
    code, _, stderr = run_cli("solve", write_model(tmp_path, model), "--out", tmp_path / "r")
    assert code == 3 and "infeasible" in stderr and "policy_troop_floor" in stderr
    assert leftovers(tmp_path, "r") == []


def test_allow_outside_paths_flag_on_every_reading_command(small: Path, tmp_path: Path) -> None:
    code, _, _ = run_cli("solve", small, "--out", tmp_path / "r1", "--quiet")
    for args in (
        ("validate", small),
        ("check", tmp_path / "r1"),
        ("solve", small, "--out", tmp_path / "r2", "--quiet"),
    ):
        code, _, stderr = run_cli(*args, "--allow-outside-paths")
        assert code == 0, stderr


def test_validate_names_the_scenario_a_warning_comes_from(tmp_path: Path) -> None:
    """A lane contested only in one scenario is a no-op there: `validate` says which scenario."""
    from tests.tiny import tiny
    from tests.tiny import write_model as write_tiny

    data = tiny(lanes=[{"id": "l9", "name": "l9", "escort_place": "b"}])
    data["scenarios"] = {"s1": {"description": "l9 contested",
                                "overrides": {"lanes": {"l9": {"contested": True}}}}}  # fmt: skip
    code, _, stderr = run_cli("validate", write_tiny(data, tmp_path))
    assert code == 0
    assert "warning: scenario s1: lane 'l9' is contested but no route passes it" in stderr


def test_every_command_dispatches_through_its_func_default() -> None:
    """The parser only parses: each subcommand names its function with set_defaults(func=...)."""
    import argparse

    from rsoi.cli.parser import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == [
        "solve", "validate", "check", "map", "scenarios", "schema", "sweep", "resilience",
        "frontier", "policies", "compare", "hedge", "interdict",
    ]  # fmt: skip
    for name, sub in commands.choices.items():
        func = sub.get_default("func")
        assert callable(func) and func.__name__ == f"cmd_{name.replace('-', '_')}", name
    args = parser.parse_args(["interdict", "--k", "1"])
    assert args.func is commands.choices["interdict"].get_default("func")


def test_one_solve_writes_each_file_once(
    small: Path, tmp_path: Path, fake_gis: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """summary.json (with the folder's file list) and every table are written exactly once."""
    import collections

    import rsoi.results.tables as tables

    writes: collections.Counter[str] = collections.Counter()
    for name in ("write_json", "write_csv"):
        real = getattr(tables, name)

        def counting(path, data, real=real) -> None:
            writes[Path(path).name] += 1
            real(path, data)

        monkeypatch.setattr(tables, name, counting)
    code, _, stderr = run_cli("solve", small, "--out", tmp_path / "r1", "--quiet")
    assert code == 0, stderr
    assert writes["summary.json"] == 1 and "flows.csv" in writes
    assert set(writes.values()) == {1}, writes
    summary = json.loads((tmp_path / "r1" / "summary.json").read_text())
    assert {"summary.json", "flows.csv", "map.png"} <= set(summary["files"])
