"""Issue 18 items 1-3 and the registry of issue 15: edited numbers, forged runs and analysis
folders are caught by `check`; the checker's row spec equals the builder's, row by row."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from rsoi.lp.build import build
from rsoi.lp.prepare import prepare
from rsoi.model.families import BY_NAME, FAMILIES
from rsoi.model.loader import load_model
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run, derive
from rsoi.results.check.checker import _Checker
from tests.helpers import run_cli, shipped_project
from tests.test_analysis import two_theater_model
from tests.test_check import random_models
from tests.tiny import write_model as write_tiny


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model solved once, with its base map (so plan.gpkg is written)."""
    root = tmp_path_factory.mktemp("shipped")
    model = shipped_project(root, basemap=True)
    code, _out, err = run_cli("solve", model, "--out", root / "run", "--quiet")
    assert code == 0, err
    return root / "run"


def edited(run: Path, tmp: Path, table: str, match: Callable[[dict], bool], column: str,
           new: Callable[[str], str]) -> Path:  # fmt: skip
    """A copy of `run` with `column` of the matching rows of `table`.csv rewritten."""
    copy = tmp / "edited"
    shutil.copytree(run, copy)
    path = copy / f"{table}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    hit = [r for r in rows if match(r)]
    assert hit, f"no row of {table}.csv matches"
    for row in hit:
        row[column] = new(row[column])
    buf = io.StringIO()
    writer = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return copy


def row(name: str) -> Callable[[dict], bool]:
    return lambda r: r["constraint"] == name


def priced(family: str) -> Callable[[dict], bool]:
    return lambda r: r["family"] == family and float(r["shadow_price"] or 0) != 0


def times(k: float) -> Callable[[str], str]:
    return lambda v: repr(float(v) * k)


# --- item 1: edited numbers ----------------------------------------------------------------

ATTACKS = {
    # the README's example: a degenerate floor price doubled, and x100 (every period whose
    # price is not 0, so the edit changes a number whichever vertex HiGHS returns)
    "troop_floor_price_x2": ("duals", priced("policy_troop_floor"), "shadow_price", times(2)),
    "troop_floor_price_x100": (
        "duals", priced("policy_troop_floor"), "shadow_price", times(100),
    ),
    # prices of rows whose valid interval is unbounded on one side (degenerate): the vertex
    # price is its end, a doubled one lies inside
    "ground_stays_price_x2": (
        "duals", row("policy_usfk_ground_stays[usfk-eighth-army]"), "shadow_price", times(2),
    ),
    "joint_operations_price_x2": (
        "duals", row("policy_rok_joint_operations[rok-air-force]"), "shadow_price", times(2),
    ),
    "joint_operations_renamed": (
        "duals", row("policy_rok_joint_operations[rok-navy]"), "constraint",
        lambda v: "policy_rok_joint_operations[rok-army]",
    ),
    "range_to_x2": ("duals", row("force_home[usfk-eighth-army,1]"), "range_to", times(2)),
    "entity": ("duals", row("route_capacity[carroll-busan-rail,1]"), "entity",
               lambda v: "busan-kaohsiung-sea"),
    "entity_kind": ("duals", row("policy_troop_floor[6]"), "entity_kind", lambda v: "force"),
    "period": ("duals", row("policy_troop_floor[6]"), "period", lambda v: "7"),
    "source": ("duals", row("cargo_ledger[busan,ammo_155mm,rok,1]"), "source", lambda v: "made up"),
    "policy_source": ("duals", row("policy_troop_floor[6]"), "source", lambda v: "made up"),
    # a row off its bound (price 0): its activity recomputed from the columns
    "floor_activity": ("duals", row("policy_deterrence_floor[1]"), "activity", times(1.1)),
    "combat_power_on_share_0": (
        "apportionment",
        lambda r: r["force"] == "usfk-eighth-army" and r["theater"] == "taiwan"
        and float(r["share"]) == 0,
        "combat_power", lambda v: "30",
    ),
}  # fmt: skip


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_edited_numbers_fail_the_check(shipped: Path, tmp_path: Path, attack: str) -> None:
    folder = edited(shipped, tmp_path, *ATTACKS[attack])
    report = check_run(folder)
    assert not report.ok, attack


def _largest_cargo_flow(run: Path) -> Callable[[dict], bool]:
    rows = list(csv.DictReader((run / "cargo_flows.csv").open(encoding="utf-8", newline="")))
    big = max(rows, key=lambda r: float(r["quantity"]))
    assert float(big["quantity"]) >= 1e4
    return lambda r: all(r[k] == big[k] for k in ("route", "cargo_class", "period"))


def test_solver_noise_on_a_large_flow_passes_and_an_edit_does_not(
    shipped: Path, tmp_path: Path
) -> None:
    """HiGHS's tolerances are relative: a warm frontier point moved 300,000 rounds through
    Busan and on as 200,000 + 99,999.9996, leaving 0.0004 (1e-9 of the terms) that the
    checker's absolute 1e-4 called a broken ledger. The tolerance now scales with the terms
    summed; a real edit of the same flow (one part in a thousand) still fails."""
    match = _largest_cargo_flow(shipped)
    noisy = edited(shipped, tmp_path / "a", "cargo_flows", match, "quantity",
                   lambda v: repr(float(v) * (1 - 1.5e-9)))  # fmt: skip
    report = check_run(noisy)
    assert report.ok, report.violations
    wrong = edited(shipped, tmp_path / "b", "cargo_flows", match, "quantity", times(1.001))
    report = check_run(wrong)
    assert not report.ok and any("cargo" in v for v in report.violations), report.violations


def test_edited_price_is_exit_1_naming_the_row(shipped: Path, tmp_path: Path) -> None:
    folder = edited(shipped, tmp_path, *ATTACKS["ground_stays_price_x2"])
    code, _out, err = run_cli("check", folder)
    assert code == 1
    assert "policy_usfk_ground_stays[usfk-eighth-army]" in err and "vertex price" in err


def test_untouched_run_passes_and_names_what_it_does_not_verify(shipped: Path) -> None:
    code, out, err = run_cli("check", shipped)
    assert code == 0, err
    assert "not verified" in out and "range_from / range_to" in out
    assert "report.html" in out and "map.svg" in out  # not vouched for, by name


# --- item 2: forged runs -------------------------------------------------------------------


def test_variant_block_added_to_summary_fails(shipped: Path, tmp_path: Path) -> None:
    """A variant lowering a class weight tenfold, objective and prices divided by 10."""
    folder = edited(shipped, tmp_path, "duals", lambda r: True, "shadow_price",
                    lambda v: v and repr(float(v) / 10))  # fmt: skip
    summary = json.loads((folder / "summary.json").read_text())
    summary["variant"] = {"name": "forged", "settings": {"settings.lateness_weight": 0.1}}
    summary["objective"] /= 10
    summary["objective_parts"] = {k: v / 10 for k, v in summary["objective_parts"].items()}
    (folder / "summary.json").write_text(json.dumps(summary))
    code, _out, err = run_cli("check", folder)
    assert code == 1 and "input_hash" in err


def test_variant_cannot_be_added_even_when_it_applies(tmp_path: Path) -> None:
    """A variant that is a valid edit still changes the input hash: it is part of the input."""
    model = write_tiny(two_theater_model(), tmp_path)
    run = write_run(run_model(model), tmp_path / "run")
    summary = json.loads((run / "summary.json").read_text())
    summary["variant"] = {"name": "v", "settings": {"settings.lateness_weight": 2.0}}
    (run / "summary.json").write_text(json.dumps(summary))
    report = check_run(run)
    assert any("input_hash" in v for v in report.violations)


@pytest.mark.parametrize("name", ["places.geojson", "sea_lanes.geojson", "basemap.gpkg"])
def test_input_files_changed_after_the_solve_fail(shipped: Path, tmp_path: Path, name: str) -> None:
    project = shipped.parent
    root = tmp_path / "p"
    shutil.copytree(project, root)
    summary = json.loads((root / "run" / "summary.json").read_text())
    summary["model_file"] = str(root / "models" / "korea_taiwan.yaml")
    (root / "run" / "summary.json").write_text(json.dumps(summary))
    assert check_run(root / "run").ok
    path = root / "geodata" / name
    if name == "places.geojson":  # a place moved by 0.5 degrees
        data = json.loads(path.read_text())
        data["features"][0]["geometry"]["coordinates"][0] += 0.5
        path.write_text(json.dumps(data))
    else:
        path.write_bytes(path.read_bytes() + b" ")
    report = check_run(root / "run")
    assert any("input_hash" in v for v in report.violations)


def open_gpkg(path: Path) -> sqlite3.Connection:
    """plan.gpkg for editing with plain sqlite3 (its spatial-index triggers dropped)."""
    con = sqlite3.connect(path)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    return con


def test_geopackage_flows_times_ten_fail(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(shipped, folder)
    con = open_gpkg(folder / "plan.gpkg")
    con.execute("UPDATE flows SET quantity = quantity * 10, short_tons = short_tons * 10")
    con.commit()
    con.close()
    report = check_run(folder)
    assert any("plan.gpkg flows" in v for v in report.violations)


def test_geopackage_row_removed_fails(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(shipped, folder)
    con = open_gpkg(folder / "plan.gpkg")
    con.execute("DELETE FROM flows WHERE fid = (SELECT min(fid) FROM flows)")
    con.execute("UPDATE routes SET flow_t = flow_t + 5")
    con.commit()
    con.close()
    report = check_run(folder)
    assert any("missing" in v for v in report.violations)
    assert any("plan.gpkg routes" in v for v in report.violations)


def test_summary_figures_are_recomputed(shipped: Path, tmp_path: Path) -> None:
    folder = tmp_path / "run"
    shutil.copytree(shipped, folder)
    summary = json.loads((folder / "summary.json").read_text())
    summary["constraints"] += 1
    summary["rok_support_level"] = "none"
    (folder / "summary.json").write_text(json.dumps(summary))
    violations = check_run(folder).violations
    assert any("constraints" in v for v in violations)
    assert any("rok_support_level" in v for v in violations)


# --- item 3: analysis folders --------------------------------------------------------------


def scenario_model(tmp_path: Path) -> Path:
    data = two_theater_model()
    data["scenarios"] = {
        "ok": {"description": "as is"},
        "floor": {
            "description": "elastic deterrence floor",
            "overrides": {
                "policies": {
                    "deterrence_floor": {
                        "enabled": True,
                        "mode": "elastic",
                        "combat_power": 5,
                        "opportunistic_combat_power": 8,
                    }
                }
            },
        },
    }
    return write_tiny(data, tmp_path)


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    model = scenario_model(root)
    code, _out, err = run_cli("sweep", model, "--scenarios", "ok,floor", "--out", root / "s")
    assert code == 0, err
    return root / "s"


def test_untouched_sweep_passes(sweep_folder: Path) -> None:
    code, out, err = run_cli("check", sweep_folder)
    assert code == 0, err
    assert "sweep.csv: 2 row(s) recomputed from their members" in out


def test_edited_sweep_objective_fails(sweep_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(sweep_folder, folder)
    path = folder / "sweep.csv"
    rows = list(csv.DictReader(path.open()))
    rows[0]["objective"] = repr(float(rows[0]["objective"]) / 10)
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue())
    code, _out, err = run_cli("check", folder)
    assert code == 1 and "sweep.csv row 2" in err and "objective" in err


def test_edited_member_fails_the_sweep(sweep_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(sweep_folder, folder)
    path = folder / "ok" / "apportionment.csv"
    text = path.read_text().splitlines()
    head, first = text[0].split(","), text[1].split(",")
    first[head.index("combat_power")] = "999"
    path.write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n")
    code, _out, err = run_cli("check", folder)
    assert code == 1 and "ok:" in err


def test_compare_refuses_a_run_that_fails_the_check(sweep_folder: Path, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    shutil.copytree(sweep_folder, folder)
    summary = json.loads((folder / "floor" / "summary.json").read_text())
    summary["objective"] += 2700
    (folder / "floor" / "summary.json").write_text(json.dumps(summary))
    code, _out, err = run_cli("compare", folder / "ok", folder / "floor", "--out", tmp_path / "cmp")
    assert code == 1 and "compare refuses" in err and "floor" in err
    assert not (tmp_path / "cmp").exists()
    code, _out, err = run_cli("compare", folder / "ok", sweep_folder / "floor", "--out",
                              tmp_path / "cmp2")  # fmt: skip
    assert code == 0, err


# --- the registry and the row-level spec ----------------------------------------------------


def test_every_family_the_builder_makes_is_registered_with_its_index() -> None:
    from tests.helpers import SHIPPED

    prep = prepare(load_model(SHIPPED))
    lp, _ctx = build(prep)
    for name, block in lp.constraints.items():
        entry = BY_NAME[name]
        assert tuple(block.index.columns) == entry.index and block.entity == entry.entity
        lower, upper = block.lower, block.upper
        sense = "=" if (lower == upper).all() else "<=" if np.isinf(lower).all() else ">="
        assert sense == entry.sense or block.size == 0, name
    assert {f.builder for f in FAMILIES} <= {
        d.__name__ for d in __import__("rsoi.lp.build", fromlist=["FAMILIES"]).FAMILIES
    }


def builder_rows(lp) -> dict[str, tuple[str, float, float]]:
    out = {}
    for block in lp.constraints.values():
        for name, lo, up in zip(lp.row_names(block), block.lower, block.upper, strict=True):
            out[name] = (block.name, float(lo), float(up))
    return out


def checker_rows(model) -> dict[str, tuple[str, float, float]]:
    checker = _Checker(derive(model), {}, {}, Path("."))
    return {name: (fam, lo, up) for name, (fam, lo, up, _s) in checker.expected_rows().items()}


def assert_same_rows(mine: dict, theirs: dict) -> None:
    assert sorted(mine.keys() - theirs.keys()) == [], "rows the builder lacks"
    assert sorted(theirs.keys() - mine.keys()) == [], "rows the checker does not expect"
    for name, (fam, lo, up) in theirs.items():
        c_fam, c_lo, c_up = mine[name]
        assert c_fam == fam, name
        for a, b in ((c_lo, lo), (c_up, up)):
            assert (math.isinf(a) and math.isinf(b) and a == b) or a == pytest.approx(
                b, rel=1e-9, abs=1e-9
            ), (name, mine[name], theirs[name])


def test_row_spec_equals_the_builder_on_the_shipped_model() -> None:
    from tests.helpers import SHIPPED

    model = load_model(SHIPPED)
    lp, _ctx = build(prepare(model))
    assert_same_rows(checker_rows(model), builder_rows(lp))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_models())
def test_row_spec_equals_the_builder_row_by_row(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        from tests.helpers import write_model

        path = write_model(Path(tmp), data)
        model = load_model(path)
        lp, _ctx = build(prepare(model))
        assert_same_rows(checker_rows(model), builder_rows(lp))


# --- item 3: every analysis folder ---------------------------------------------------------


def rewrite_cell(path: Path, row_no: int, column: str, new: Callable[[str], str]) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    rows[row_no][column] = new(rows[row_no][column])
    buf = io.StringIO()
    w = csv.DictWriter(buf, list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def analysis_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of each analysis on small models (the tests' own)."""
    from tests.test_hedge import two_ports
    from tests.test_interdict import redundant_ports

    root = tmp_path_factory.mktemp("analyses")
    m = write_tiny(two_theater_model(), root / "m1")
    commands = {
        "frontier": ("frontier", m),
        "policies": ("policies", m),
        "resilience": ("resilience", m),
        "hedge": ("hedge", write_tiny(two_ports(), root / "m2")),
        "interdict": (
            "interdict", write_tiny(redundant_ports(), root / "m3"), "--k", "2",
            "--candidates", "ports",
        ),
    }  # fmt: skip
    out = {}
    for name, args in commands.items():
        code, _out, err = run_cli(*args, "--out", root / name)
        assert code == 0, (name, err)
        out[name] = root / name
    return out


@pytest.mark.parametrize("name", ["frontier", "policies", "resilience", "hedge", "interdict"])
def test_check_works_on_every_analysis_folder(analysis_folders: dict, name: str) -> None:
    """Untouched: exit 0; what cannot be tied to a checked member is named, not passed."""
    code, out, err = run_cli("check", analysis_folders[name])
    assert code == 0, err
    assert "member run folder(s) pass the check" in out
    if name in ("hedge", "interdict"):  # no member folders: every table is named
        assert "no member folders to tie its rows to" in out


@pytest.mark.parametrize(
    ("name", "table", "column"),
    [
        ("frontier", "frontier.csv", "objective"),
        ("frontier", "frontier.csv", "taiwan_shortfall"),
        ("policies", "policies.csv", "objective"),
        ("policies", "policies.csv", "objective_change"),
    ],
)
def test_edited_analysis_tables_fail(
    analysis_folders: dict, tmp_path: Path, name: str, table: str, column: str
) -> None:
    folder = tmp_path / name
    shutil.copytree(analysis_folders[name], folder)
    rows = list(csv.DictReader((folder / table).open()))
    first = next(i for i, r in enumerate(rows) if r["run_dir"])
    rewrite_cell(folder / table, first, column, lambda v: repr(float(v) + 2700))
    code, _out, err = run_cli("check", folder)
    assert code == 1 and table in err and column in err


def test_frontier_point_prices_are_named_not_passed(analysis_folders: dict) -> None:
    """A point's prices are its ε-problem's: the member says so and check names it."""
    code, out, _err = run_cli("check", analysis_folders["frontier"])
    assert code == 0 and "epsilon-problem" in out and "not verified" in out
