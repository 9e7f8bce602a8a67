"""The independent solution checker: passes on real runs, catches corrupted ones, is independent."""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rsoi.results.check
from rsoi.errors import CheckError, InputError
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run, verify_run
from tests.helpers import POLICIES_OFF, TASKS, run_cli, shipped_project, write_model

FORBIDDEN = {
    "rsoi.lp.prepare",
    "rsoi.lp.build",
    "rsoi.lp.program",
    "rsoi.lp.solve",
    "rsoi.results.tables",
    "rsoi.pipeline",
}


@pytest.fixture(scope="module")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model's default scenario, solved once and written."""
    root = tmp_path_factory.mktemp("shipped")
    model = shipped_project(root)
    return write_run(run_model(model), root / "run")


def corrupt_copy(run: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "corrupt"
    shutil.copytree(run, folder)
    return folder


def edit_csv(folder: Path, name: str, edit: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Rewrite one table, keeping every untouched value's text exactly."""
    path = folder / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False, lineterminator="\n")


def test_check_package_does_not_import_the_lp_code() -> None:
    files = sorted(Path(rsoi.results.check.__file__).parent.glob("*.py"))
    assert len(files) > 1  # the checker is a package: every module is read
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        bad = {m for m in imported for f in FORBIDDEN if m == f or m.startswith(f + ".")}
        assert not bad, path.name


def test_check_passes_on_the_shipped_model(shipped_run: Path) -> None:
    report = verify_run(shipped_run)
    assert report.ok and len(report.checked) >= 9
    summary = json.loads((shipped_run / "summary.json").read_text())
    assert report.objective == pytest.approx(summary["objective"], rel=1e-6)


def binding_flow(frame: pd.DataFrame) -> tuple[int, str]:
    """Row index and route of the biggest flow (on a route at capacity in the shipped run)."""
    i = int(frame["short_tons"].astype(float).idxmax())
    return i, str(frame.loc[i, "route"])


def test_corrupted_flow_is_caught_and_named(shipped_run: Path, tmp_path: Path) -> None:
    folder = corrupt_copy(shipped_run, tmp_path)
    frame = pd.read_csv(folder / "flows.csv", dtype=str, keep_default_na=False)
    i, route = binding_flow(frame)
    period = frame.loc[i, "period"]
    item = f"{route},{frame.loc[i, 'commodity']},{period}"

    def bump(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[i, "quantity"] = str(float(f.loc[i, "quantity"]) * 3)
        return f

    edit_csv(folder, "flows", bump)
    with pytest.raises(CheckError) as caught:
        verify_run(folder)
    text = str(caught.value)
    assert f"flow[{item}]: short_tons" in text  # quantity and tons disagree
    assert f"route_capacity[{route},{period}]" in text  # reported activity differs
    assert "flow_balance[" in text
    code, _, stderr = run_cli("check", folder)
    assert code == 1 and "CHECK FAILED" in stderr and f"flow[{item}]" in stderr


Corruption = Callable[[Path], None]


def _scale_flow_row(folder: Path) -> None:
    def edit(f: pd.DataFrame) -> pd.DataFrame:
        i, _ = binding_flow(f)
        for col in ("quantity", "short_tons"):
            f.loc[i, col] = str(float(f.loc[i, col]) * 3)
        return f

    edit_csv(folder, "flows", edit)


def _objective(folder: Path) -> None:
    path = folder / "summary.json"
    summary = json.loads(path.read_text())
    summary["objective"] *= 0.9
    path.write_text(json.dumps(summary))


def _drop_shortfall_row(folder: Path) -> None:
    edit_csv(folder, "shortfalls", lambda f: f.iloc[1:])


def _ground_force_to_taiwan(folder: Path) -> None:
    def edit(f: pd.DataFrame) -> pd.DataFrame:
        sel = (f["force"] == "usfk-eighth-army") & (f["period"] == "5")
        f.loc[sel & (f["theater"] == "taiwan"), "share"] = "0.5"
        f.loc[sel & (f["theater"] == "taiwan"), "combat_power"] = "15"
        f.loc[sel & (f["theater"] == "taiwan"), "troops"] = "9750"
        return f

    edit_csv(folder, "apportionment", edit)


def _drop_port_access(folder: Path) -> None:
    edit_csv(folder, "allocations", lambda f: f[f["task"] != "port_access"])


def _remove_table(folder: Path) -> None:
    (folder / "deliveries.csv").unlink()


def _garble_number(folder: Path) -> None:
    def edit(f: pd.DataFrame) -> pd.DataFrame:
        f.loc[0, "quantity"] = "lots"
        return f

    edit_csv(folder, "inventory", edit)


def _dual_off_bound(folder: Path) -> None:
    def edit(f: pd.DataFrame) -> pd.DataFrame:
        upper = pd.to_numeric(f["upper"], errors="coerce")
        i = f.index[(f["binding"] == "True") & (f["lower"] == "") & (upper > 0)][0]
        f.loc[i, "activity"] = str(upper[i] / 2)
        return f

    edit_csv(folder, "duals", edit)


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (_scale_flow_row, "route_capacity["),
        (_objective, "objective:"),
        (_drop_shortfall_row, "missing from shortfalls.csv"),
        (_ground_force_to_taiwan, "policy_usfk_ground_stays[usfk-eighth-army]"),
        (_drop_port_access, "port_access["),
        (_remove_table, "deliveries.csv: missing"),
        (_dual_off_bound, "complementary slackness"),
    ],
)
def test_corruptions_are_named(
    shipped_run: Path, tmp_path: Path, corrupt: Corruption, expected: str
) -> None:
    folder = corrupt_copy(shipped_run, tmp_path)
    corrupt(folder)
    report = check_run(folder)
    assert not report.ok
    assert any(expected in v for v in report.violations), report.violations[:10]


def test_malformed_table_is_an_input_error(shipped_run: Path, tmp_path: Path) -> None:
    """`lots` as a number: exit 2 naming the table, its line and the column, not a bug."""
    folder = corrupt_copy(shipped_run, tmp_path)
    _garble_number(folder)
    with pytest.raises(InputError, match=r"inventory\.csv:2:4: quantity: 'lots' is not a number"):
        check_run(folder)
    code, _, stderr = run_cli("check", folder)
    assert code == 2 and "inventory.csv:2" in stderr and "bug in rsoi" not in stderr


def test_changed_model_is_reported(shipped_run: Path, tmp_path: Path) -> None:
    folder = corrupt_copy(shipped_run, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    copy = tmp_path / "project"
    model = shipped_project(copy)
    model.write_text(model.read_text() + "\n# edited\n")
    report = check_run(folder, model_path=model)
    assert any("changed since the run" in v for v in report.violations)
    assert summary["model_file"]


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no summary\.json"):
        check_run(tmp_path)
    code, _, stderr = run_cli("check", tmp_path / "missing")
    assert code == 2 and "not a folder" in stderr


# --- property-based: random small valid models solve and pass the check --------------------

PLACE_KINDS = ["seaport", "airbase", "depot", "naval_base"]
REQUIREMENT_TASKS = ["base_security", "maintenance", "isr", "air_maritime_protection"]
LADDER = ["gray_zone", "blockade", "missile_strikes", "invasion", "invasion_with_base_attacks"]
LEVELS = ["none", "rear_area", "rear_area_isr_escort", "joint_operations"]


@st.composite
def random_models(draw: st.DrawFn) -> dict[str, Any]:
    """A small valid model exercising most constraint families (all data notional)."""
    T = draw(st.integers(2, 5))
    n = draw(st.integers(2, 4))
    classes = ["korea_defense", "taiwan_support", "sustainment"]
    places = []
    for i in range(n):
        kind = draw(st.sampled_from(PLACE_KINDS))
        place: dict[str, Any] = {
            "id": f"p{i}",
            "kind": kind,
            "country": "KR" if i == 0 else draw(st.sampled_from(["KR", "JP"])),
            "theater": "korea" if i == 0 else draw(st.sampled_from(["korea", "taiwan"])),
            "lon": 126.0 + i * draw(st.floats(0.1, 2.0)),
            "lat": 35.0 + draw(st.floats(-1.0, 1.0)),
            "access_support_required": draw(st.booleans()),
            "source": "test",
        }
        # storage above all stock and output (stocks cannot be thrown away: else infeasible)
        for key, lo, hi in (
            ("cargo_t_per_day", 0, 300),
            ("storage_t", 6000, 8000),
            ("maintenance_capacity", 0, 5),
        ):
            if draw(st.booleans()):
                place[key] = draw(st.integers(lo, hi))
        if kind == "airbase":
            place["mog"] = draw(st.integers(1, 10))
        places.append(place)
    ids = [p["id"] for p in places]
    pair = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda x: x[0] != x[1])
    routes = []
    for j in range(draw(st.integers(1, 5))):
        o, d = draw(pair)
        route: dict[str, Any] = {
            "id": f"r{j}",
            "origin": o,
            "destination": d,
            "mode": draw(st.sampled_from(["road", "sea", "air"])),
            "capacity_t_per_day": draw(st.integers(0, 200)),
            "onward": draw(st.booleans()),
            "source": "test",
        }
        if draw(st.booleans()):
            route["transit_periods"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            route["lanes"] = ["l0"]
        routes.append(route)
    commodities = [
        {"id": f"k{i}", "name": f"k{i}", "unit": "u", "source": "test",
         "short_tons_per_unit": draw(st.sampled_from([0.5, 1.0, 2.0])),
         "arms": draw(st.booleans())}
        for i in range(draw(st.integers(1, 2)))
    ]  # fmt: skip
    owner = st.sampled_from([None, "rok", "us"])  # cargo ledger (issue 15 a)
    kid = st.sampled_from([c["id"] for c in commodities])
    pid = st.sampled_from(ids)
    period = st.integers(1, T)
    stocks = [
        {"place": draw(pid), "commodity": draw(kid), "quantity": draw(st.integers(0, 500)),
         "owner": draw(owner), "source": "test"}
        for _ in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    production = [
        {"place": draw(pid), "commodity": draw(kid), "quantity_per_day": draw(st.integers(0, 50)),
         "from_period": draw(period), "owner": draw(owner), "source": "test"}
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    demands = []
    for i in range(draw(st.integers(0, 3))):
        ead = draw(period)
        demands.append(
            {"id": f"d{i}", "place": draw(pid), "commodity": draw(kid),
             "quantity": draw(st.integers(0, 400)), "ead": ead, "lad": draw(st.integers(ead, T)),
             "priority": draw(st.sampled_from(classes)),
             "relative_to": draw(st.sampled_from(["c_day", "korea_conflict"])),
             "min_ladder": draw(st.sampled_from(LADDER)), "source": "test"}
        )  # fmt: skip
        if draw(st.integers(0, 3)) == 0:  # a Korean export line (cargo ledger)
            demands[-1].update(theater="korea", export_to="philippines")
    requirements = [
        {"id": f"q{i}", "task": draw(st.sampled_from(REQUIREMENT_TASKS)), "place": draw(pid),
         "theater": draw(st.sampled_from(["korea", "taiwan"])), "amount": draw(st.integers(0, 4)),
         "from_period": draw(period), "priority": draw(st.sampled_from(classes)), "source": "test"}
        for i in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    all_tasks = [t for t, _ in TASKS]
    providers = []
    for i in range(draw(st.integers(0, 3))):
        tasks = draw(st.lists(st.sampled_from(all_tasks), min_size=1, max_size=3, unique=True))
        providers.append(
            {"id": f"u{i}", "name": f"u{i}", "nation": draw(st.sampled_from(["ROK", "US"])),
             "usfk": draw(st.booleans()), "home": draw(pid), "count": draw(st.integers(0, 4)),
             "capability": {t: draw(st.sampled_from([1, 50, 200])) for t in tasks},
             "serves": draw(st.sampled_from([[], ["KR"], ids])),
             "available_from": draw(period), "source": "test"}
        )  # fmt: skip
    forces = [
        {"id": f"f{i}", "name": f"f{i}", "nation": draw(st.sampled_from(["ROK", "US"])),
         "branch": draw(st.sampled_from(["air", "ground", "naval"])),
         "assignment": draw(st.sampled_from(["usfk", "follow_on", "rok"])), "home": draw(pid),
         "theaters": draw(st.sampled_from([["korea"], ["korea", "taiwan"]])),
         "troops": draw(st.integers(0, 20_000)), "combat_power": draw(st.integers(0, 50)),
         "aircraft": draw(st.integers(0, 60)), "ready_period": draw(period), "source": "test"}
        for i in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    combat = [
        {
            "theater": th,
            "amount_by_ladder": {draw(st.sampled_from(LADDER)): draw(st.integers(0, 60))},
            "korea_conflict_amount": draw(st.integers(0, 30)),
            "priority": draw(st.sampled_from(classes)),
            "source": "test",
        }
        for th in draw(st.lists(st.sampled_from(["korea", "taiwan"]), max_size=2, unique=True))
    ]
    policies = json.loads(json.dumps(POLICIES_OFF))
    policies["deterrence_floor"].update(
        enabled=draw(st.booleans()), mode="elastic", combat_power=draw(st.integers(0, 60)),
        opportunistic_combat_power=draw(st.integers(0, 80)),
        north_korea_opportunistic=draw(st.booleans()),
    )  # fmt: skip
    policies["troop_floor"].update(
        enabled=draw(st.booleans()), mode="elastic", troops=draw(st.integers(0, 30_000))
    )
    policies["usfk_ground_stays"]["enabled"] = draw(st.booleans())
    policies["usfk_air_share"].update(enabled=draw(st.booleans()), max_share=draw(st.floats(0, 1)))
    policies["rok_support"]["level"] = draw(st.sampled_from(LEVELS))
    policies["rok_support"]["arms_export_to_conflict"] = draw(st.booleans())
    policies["strategic_flexibility"]["allowed"] = draw(st.booleans())
    targets = ids + [r["id"] for r in routes]
    attacks = [
        {"target": draw(st.sampled_from(targets)), "from_period": draw(period),
         "capacity_factor": draw(st.sampled_from([0.0, 0.5]))}
        for _ in range(draw(st.integers(0, 2)))
    ]  # fmt: skip
    timing = draw(st.sampled_from(["none", "simultaneous", "sequential"]))
    return {
        "name": "random",
        "description": "hypothesis model (notional)",
        "horizon": {"periods": T, "period_days": draw(st.sampled_from([1, 2]))},
        "settings": {
            "priority_classes": [
                {"id": c, "weight": w} for c, w in zip(classes, (1000, 100, 10), strict=True)
            ],
            "lateness_weight": draw(st.sampled_from([0.0, 1.0])),
            "transport_cost_weight": draw(st.sampled_from([0.0, 1.0])),
            "objective": draw(st.sampled_from(["weighted", "weighted", "lexicographic"])),
            "integer_units": draw(st.sampled_from([False, False, False, True])),
        },
        "theaters": [
            {"id": "korea", "name": "Korea", "anchor": "p0"},
            {"id": "taiwan", "name": "Taiwan", "anchor": ids[-1]},
        ],
        "modes": {
            "road": {"speed_km_per_day": 400, "cost_per_t_km": 0.001},
            "sea": {"speed_km_per_day": 600, "cost_per_t_km": 0.0002},
            "air": {"speed_km_per_day": 8000, "cost_per_t_km": 0.002, "payload_t_per_sortie": 20},
        },
        "places": places,
        "lanes": [
            {
                "id": "l0",
                "name": "lane",
                "escort_place": draw(pid),
                "contested": draw(st.booleans()),
                "closed": draw(st.booleans()),
            }
        ],
        "routes": routes,
        "commodities": commodities,
        "stocks": stocks,
        "production": production,
        "demands": demands,
        "tasks": [
            {"id": t, "name": t, "unit": "units", "min_rok_level": level, "source": "test"}
            for t, level in TASKS
        ],
        "requirements": requirements,
        "providers": providers,
        "forces": forces,
        "combat_requirements": combat,
        "policies": policies,
        "events": {
            "china_action": draw(st.sampled_from(LADDER)),
            "korea_conflict": {"timing": timing, "delay_periods": draw(st.integers(0, 3))},
            "attacks": attacks,
        },
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=random_models())
def test_random_models_solve_and_pass_the_check(model: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_model(Path(tmp), model)
        run = run_model(path)
        folder = write_run(run, Path(tmp) / "run")
        report = check_run(folder)
        assert report.ok, report.violations[:10]
