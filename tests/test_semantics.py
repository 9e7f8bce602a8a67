"""Issue 7: the docs, the LP and the checker agree. Each test works its optimum out by hand.

Models are `tests/tiny.py` variants: places a (Korea) and b (Taiwan), one commodity of 1 short
ton per unit, class weights korea_defense 1000 / taiwan_support 100 / sustainment 10.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import rsoi.lp.build.support
import rsoi.lp.solve
import rsoi.pipeline
from rsoi.errors import InfeasibleError, InputError
from rsoi.model.loader import load_model
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run
from tests.helpers import run_cli
from tests.tiny import demand, force, solve_dict, tiny, value, write_model

TAIWAN = 100.0


def _route(id: str, mode: str, transit: int, origin: str = "a", dest: str = "b", **kw) -> dict:
    return {
        "id": id,
        "origin": origin,
        "destination": dest,
        "mode": mode,
        "capacity_t_per_day": kw.pop("capacity", 1000),
        "transit_periods": transit,
        "distance_km": 100,
        "source": "test",
        **kw,
    }


# --- 1. lexicographic: lateness is its own stage before cost -------------------------------


def test_lexicographic_ships_on_time_by_air(tmp_path: Path) -> None:
    """10 t wanted at b in period 1 (LAD 1); air arrives at once, sea a period later.

    Per ton: air costs 0.1 x 100 km = 10, sea 0.001 x 100 = 0.1 plus 1 of lateness (1 day).
    Weighted: sea 10 x 1.1 = 11 beats air 100, so the 10 t go by sea, late.
    Lexicographic (class shortfalls, then lateness, then cost): lateness 0 needs air, then
    cost 100. The reported objective is the weighted sum at the final plan: 100.
    """
    data = tiny(
        routes=[_route("air", "air", 0), _route("sea", "sea", 1)],
        demands=[demand(10, 1, 1)],
    )
    data["modes"]["air"]["cost_per_t_km"] = 0.1
    data["modes"]["sea"]["cost_per_t_km"] = 0.001
    data["settings"]["transport_cost_weight"] = 1.0
    weighted = solve_dict(data, tmp_path)
    assert value(weighted, "flow", route="sea") == pytest.approx(10)
    assert weighted.solution.objective == pytest.approx(11)
    data["settings"]["objective"] = "lexicographic"
    lexi = solve_dict(data, tmp_path)
    assert value(lexi, "flow", route="air") == pytest.approx(10)
    assert value(lexi, "flow", route="sea") == 0.0  # exactly: no stray 1e-8 flows
    assert lexi.solution.objective == pytest.approx(100)
    assert [s["stage"] for s in lexi.solution.stages][-2:] == ["lateness", "transport_cost"]
    summary = lexi.summary()
    assert "weighted sum" in summary["objective_reported"]
    assert all(str(v) != "-0.0" for v in summary["objective_parts"].values())


# --- 2. access caps apply wherever the flag is set, whatever the kind -----------------------


@pytest.mark.parametrize("mode", ["sea", "air"])
def test_access_cap_without_kind(tmp_path: Path, mode: str) -> None:
    """b has `access_support_required` and no `kind`; 10 t wanted there by period 3.

    Without a provider no access capacity exists, so nothing may land at b: shortfall 10 x 100
    = 1000. A US provider of 3 t/day (count 1) lets 3 t land in each of periods 2 and 3 (lag
    1, departures 1 and 2): shortfall 4, objective 400.
    """
    data = tiny(routes=[_route("r", mode, 1)], demands=[demand(10, 1, 3)])
    del data["places"][1]["kind"]
    data["places"][1]["access_support_required"] = True
    assert solve_dict(data, tmp_path).solution.objective == pytest.approx(10 * TAIWAN)
    task = {"sea": "port_access", "air": "airfield_access"}[mode]
    data["providers"] = [
        {"id": "ops", "name": "ops", "nation": "US", "home": "b", "count": 1,
         "capability": {task: 3}, "serves": ["b"], "source": "test"},
    ]  # fmt: skip
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(4 * TAIWAN)
    assert f"{task}[b,taiwan,2]" in set(run.tables.duals["constraint"])


def test_prepare_leaves_the_loaded_model_untouched(tmp_path: Path) -> None:
    """Geodata fill-ins (name, kind, country) go to the prepared copy, not the loaded model."""
    data = tiny()
    del data["places"][1]["kind"]
    model = load_model(write_model(data, tmp_path))
    from rsoi.lp.prepare import prepare

    prep = prepare(model)
    assert model.spec.places[1].name is None and prep.spec.places[1].name == "b"


# --- 4. input no plan can satisfy is refused at validation ---------------------------------


def test_stock_above_storage_is_refused(tmp_path: Path) -> None:
    """100 t at a (the C-day stock) cannot fit in storage_t 60: exit 2 naming the stock."""
    data = tiny()
    data["places"][0]["storage_t"] = 60
    path = write_model(data, tmp_path)
    with pytest.raises(InputError, match=r"stocks\[0\]\.quantity: the C-day stocks at 'a'"):
        load_model(path)
    code, _, stderr = run_cli("validate", path)
    assert code == 2 and "storage_t to at least 100" in stderr
    data["places"][0]["storage_t"] = 100  # exactly full is fine
    assert solve_dict(data, tmp_path).solution.status == "optimal"


def test_no_conflict_set_falls_back_to_elastic_policies(tmp_path, monkeypatch) -> None:
    """A hard troop floor of 200 with 100 U.S. troops; pretend HiGHS gives no IIS.

    Re-solved with the hard policies elastic, the floor rows need 100 troops of slack in each
    of the 3 periods, and those rows are named; the CLI says where the list comes from.
    """
    data = tiny(forces=[force("w", assignment="usfk", troops=100)])
    data["policies"]["troop_floor"].update(enabled=True, mode="hard", troops=200)
    monkeypatch.setattr(rsoi.lp.solve, "iis_rows", lambda h, lp: [])
    with pytest.raises(InfeasibleError) as info:
        solve_dict(data, tmp_path)
    assert info.value.conflicting == [
        f"policy_troop_floor[{t}] (needs 100 of slack)" for t in (1, 2, 3)
    ]
    assert "HiGHS gave no conflict set" in str(info.value)
    code, _, stderr = run_cli("solve", tmp_path / "model.yaml", "--out", tmp_path / "run")
    assert code == 3 and "elastic re-solve" in stderr and "policy_troop_floor[1]" in stderr


# --- 5. units: per-day inputs scale with period_days ---------------------------------------


@pytest.mark.parametrize(("days", "expected"), [(1, 20_900.0), (2, 11_800.0)])
def test_per_day_inputs_scale_with_period_days(tmp_path: Path, days: int, expected) -> None:
    """Road a->b of 50 t/day, lag 1; 300 t wanted at b by period 3; base security of 3
    units/day wanted at b in all 3 periods, no provider (penalty 1 per unit per day).

    Period of 1 day: 2 departures x 50 = 100 t delivered, shortfall 200 x 100 = 20,000; task
    shortfall 3/day x 3 periods x 1 day x 100 = 900; total 20,900.
    Period of 2 days: 2 x 100 = 200 t delivered, shortfall 100 x 100 = 10,000; task shortfall
    3 x 3 x 2 days x 100 = 1,800; total 11,800.
    """
    data = tiny(
        horizon={"periods": 3, "period_days": days},
        routes=[_route("ab", "road", 1, capacity=50)],
        stocks=[{"place": "a", "commodity": "ammo", "quantity": 1000, "source": "test"}],
        demands=[demand(300, 1, 3)],
        requirements=[
            {"id": "sec", "task": "base_security", "place": "b", "theater": "taiwan",
             "amount": 3, "priority": "taiwan_support", "source": "test"},
        ],
    )  # fmt: skip
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(expected)
    assert check_run(write_run(run, tmp_path / "run")).ok


@pytest.mark.parametrize("days", [1, 3])
def test_lateness_is_per_day_late(tmp_path: Path, days: int) -> None:
    """10 t wanted at b in period 1 arrive in period 2 (lag 1): 1 period = `days` days late,
    lateness weight 1 per ton per day: objective 10 x days."""
    data = tiny(horizon={"periods": 3, "period_days": days}, demands=[demand(10, 1, 1)])
    assert solve_dict(data, tmp_path).solution.objective == pytest.approx(10.0 * days)


# --- 6. escort: one cap per escort place, shared by its lanes -------------------------------


def test_two_lanes_escorted_from_one_place_share_its_capacity(tmp_path: Path) -> None:
    """Contested lanes l1 and l2 both escorted from sea area s; sea routes r1 (via l1) and r2
    (via l2) from a to b, lag 1; one escort unit of 4 t/day allocated at s.

    One row per escort place: r1 + r2 <= 4 per period, so 8 t arrive in periods 2-3 of the
    20 t wanted: shortfall 12 x 100 = 1200 (a cap per lane would let 16 t through).
    """
    data = tiny(
        routes=[
            _route("r1", "sea", 1, lanes=["l1"]),
            _route("r2", "sea", 1, lanes=["l2"]),
        ],
        demands=[demand(20, 1, 3)],
        lanes=[
            {"id": "l1", "name": "l1", "contested": True, "escort_place": "s"},
            {"id": "l2", "name": "l2", "contested": True, "escort_place": "s"},
        ],
        providers=[
            {"id": "esc", "name": "esc", "nation": "US", "home": "b", "count": 1,
             "capability": {"sea_lane_escort": 4}, "serves": ["s"], "source": "test"},
        ],
    )  # fmt: skip
    sea_area = {"id": "s", "kind": "sea_area", "theater": "taiwan", "lon": 124.0, "lat": 30.0}
    data["places"].append({**sea_area, "source": "test"})
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(12 * TAIWAN)
    escort_rows = run.tables.duals[run.tables.duals["family"] == "sea_lane_escort"]
    assert sorted(escort_rows["constraint"]) == [
        f"sea_lane_escort[s,taiwan,{t}]" for t in (1, 2, 3)
    ]
    assert check_run(write_run(run, tmp_path / "run")).ok


# --- 7. quiet no-ops: warnings and documented rules ----------------------------------------


def test_air_share_without_aircraft_warns(tmp_path: Path) -> None:
    """usfk_air_share bounds aircraft; a USFK wing with `aircraft` 0 makes it count nothing."""
    data = tiny(forces=[force("wing", assignment="usfk")])
    data["policies"]["usfk_air_share"].update(enabled=True, max_share=0.25)
    code, _, stderr = run_cli("validate", write_model(data, tmp_path))
    assert code == 0 and "usfk_air_share has no effect" in stderr and "(wing)" in stderr


def test_two_attacks_on_one_target_keep_the_lowest_factor(tmp_path: Path) -> None:
    """b handles 10 t/day; attacks leave 0.5 from period 1 and 0.8 from period 2.

    Lowest factor applies (factors do not multiply): 5 t land in each of periods 2 and 3, so
    10 of 100 t arrive, shortfall 90 x 100 = 9000 (multiplying would give 4 t: 9200).
    """
    data = tiny(
        demands=[demand(100, 1, 3)],
        events={
            "china_action": "invasion",
            "attacks": [
                {"target": "b", "from_period": 1, "capacity_factor": 0.5},
                {"target": "b", "from_period": 2, "capacity_factor": 0.8},
            ],
        },
    )
    data["places"][1]["cargo_t_per_day"] = 10
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(90 * TAIWAN)
    assert any("2 attacks on 'b'" in w for w in run.prep.warnings)


def test_other_quiet_no_ops_warn(tmp_path: Path) -> None:
    """A zero floor that is enabled, an attack on a place without capacities, an access flag
    on a place no sea or air route touches, a contested lane no route passes."""
    data = tiny(
        lanes=[{"id": "l9", "name": "l9", "contested": True, "escort_place": "b"}],
        events={"china_action": "invasion", "attacks": [{"target": "a", "from_period": 1,
                                                         "capacity_factor": 0.5}]},
    )  # fmt: skip
    data["policies"]["troop_floor"].update(enabled=True)
    data["places"][0]["access_support_required"] = True
    warnings = solve_dict(data, tmp_path).prep.warnings
    for text in (
        "troop_floor is enabled with a floor of 0",
        "attacks on place 'a' have no effect",
        "place 'a': access_support_required has no effect",
        "lane 'l9' is contested but no route passes it",
    ):
        assert any(text in w for w in warnings), (text, warnings)


# --- the checker catches errors injected into the preparation -----------------------------


def _access_model() -> dict:
    data = tiny(routes=[_route("r", "sea", 1)], demands=[demand(10, 1, 3)])
    data["places"][1]["access_support_required"] = True
    return data


def test_checker_catches_a_dropped_access_cap(tmp_path: Path, monkeypatch) -> None:
    """Preparation 'forgets' the port-access slot: the LP lands 10 t at b unescorted by any
    port capacity; the checker derives the cap itself and names it."""
    real = rsoi.lp.build.support.support_slots
    monkeypatch.setattr(
        rsoi.lp.build.support,
        "support_slots",
        lambda prep: [s for s in real(prep) if s[0] != "port_access"],
    )
    run = run_model(write_model(_access_model(), tmp_path))
    assert run.solution.objective == pytest.approx(0.0)  # the wrong plan delivers everything
    report = check_run(write_run(run, tmp_path / "run"))
    text = "\n".join(report.violations)
    assert "port_access[b,taiwan,2]: missing from duals.csv" in text
    assert "port_access[b,taiwan,2]: short tons vs assigned capacity" in text


def test_checker_catches_a_shortened_lag(tmp_path: Path, monkeypatch) -> None:
    """Preparation shortens the road's lag from 1 to 0 and a force's arrival by one period:
    the checker re-derives both and names the flow and the share."""
    real = rsoi.pipeline.prepare

    def broken(model):
        prep = real(model)
        prep.routes = [dataclasses.replace(r, transit_periods=0) for r in prep.routes]
        prep.force_arrival = {k: max(1, v - 1) for k, v in prep.force_arrival.items()}
        prep.force_lag = {k: max(0, v - 1) for k, v in prep.force_lag.items()}
        return prep

    monkeypatch.setattr(rsoi.pipeline, "prepare", broken)
    data = tiny(demands=[demand(10, 1, 1)], forces=[force("f", speed_km_per_day=2000)])
    data["combat_requirements"] = [
        {"theater": "taiwan", "amount_by_ladder": {"invasion": 10}, "priority": "taiwan_support",
         "source": "test"},
    ]  # fmt: skip
    run = run_model(write_model(data, tmp_path))
    report = check_run(write_run(run, tmp_path / "run"))
    text = "\n".join(report.violations)
    assert "flow[ab,ammo,1]: arrival period 1 != 2" in text
    assert "share[f,taiwan,1]: before the force can arrive (period 2)" in text


# --- issue 8 §4: the checker misses no edit of a run folder ---------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny run with every table populated: a binding road (50 t/day) and demand, a port
    provider at b, a force and a combat requirement, stocks left over (inventory rows)."""
    root = tmp_path_factory.mktemp("tiny_run")
    data = tiny(
        routes=[_route("ab", "sea", 1, capacity=50)],
        demands=[demand(120, 1, 2)],
        forces=[force("f", speed_km_per_day=2000)],
        combat_requirements=[
            {"theater": "taiwan", "amount_by_ladder": {"invasion": 10},
             "priority": "taiwan_support", "source": "test"},
        ],
        providers=[
            {"id": "ops", "name": "ops", "nation": "US", "home": "b", "count": 1,
             "capability": {"port_access": 40}, "serves": ["b"], "source": "=cmd"},
        ],
    )  # fmt: skip
    data["places"][1]["access_support_required"] = True
    run = run_model(write_model(data, root))
    folder = write_run(run, root / "run")
    report = check_run(folder)
    assert report.ok, report.violations
    return folder


def _edited(run: Path, tmp_path: Path, table: str, edit) -> Path:
    import shutil

    import pandas as pd

    folder = tmp_path / "edited"
    shutil.copytree(run, folder)
    path = folder / f"{table}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    edit(frame).to_csv(path, index=False, lineterminator="\n")
    return folder


def _binding(f):
    return f.index[f["binding"] == "True"]


def _named(name: str):
    return lambda f: f.index[f["constraint"] == name]


def _set(column: str, value, where=None):
    def edit(f):
        i = f.index[0] if where is None else where(f)[0]
        f.loc[i, column] = value(f.loc[i, column]) if callable(value) else value
        return f

    return edit


EDITS = [
    # a price is pinned when a column strictly inside its bounds touches the row: here the
    # flow landing at b in period 2 and the demand's shortfall (a degenerate row's price, e.g.
    # flow_balance[b,ammo,1] with nothing arriving, is not unique and cannot be faulted)
    ("duals", _set("shadow_price", "-10000", _named("port_access[b,taiwan,2]")), "reduced cost"),
    ("duals", _set("shadow_price", "10000", _named("demand[d1]")), "reduced cost"),
    ("duals", _set("shadow_price", "100", _named("port_access[b,taiwan,2]")), "wrong sign"),
    ("duals", lambda f: f.drop(index=_binding(f)[0]), "missing from duals.csv"),
    ("duals", _set("binding", "False", _binding), "binding flag"),
    ("duals", lambda f: pd_concat(f, f.iloc[[0]]), "listed twice"),
    ("duals", _set("range_to", "-1e9", _binding), "does not contain the bound"),
    ("duals", _set("upper", "77", lambda f: f.index[f["family"] == "route_capacity"]), "upper"),
    ("duals", _set("source", "elsewhere", lambda f: f.index[f["family"] == "demand"]), "source"),
    ("duals", _set("family", "bogus"), "unknown family 'bogus'"),
    (
        "duals",
        _set("constraint", "route_capacity[ab,9]", _named("route_capacity[ab,1]")),
        "route_capacity[ab,9]: not a constraint of this model",
    ),
    ("shortfalls", _set("theater", "korea"), "theater 'korea'"),
    ("shortfalls", _set("priority", "sustainment"), "priority"),
    ("shortfalls", _set("delivered_late", "5"), "delivered_late"),
    ("flows", _set("period_start", "2031-01-01"), "period_start"),
    ("flows", _set("unit", "rounds"), "unit 'rounds'"),
    ("inventory", _set("unit", "rounds"), "unit 'rounds'"),
    ("allocations", _set("nation", "ROK"), "nation 'ROK'"),
    ("allocations", _set("capability_unit", "x"), "capability_unit"),
    ("apportionment", _set("branch", "naval"), "branch 'naval'"),
]


def pd_concat(a, b):
    import pandas as pd

    return pd.concat([a, b], ignore_index=True)


@pytest.mark.parametrize(("table", "edit", "expected"), EDITS)
def test_every_column_edit_fails_the_check(tiny_run, tmp_path, table, edit, expected) -> None:
    folder = _edited(tiny_run, tmp_path, table, edit)
    report = check_run(folder)
    assert any(expected in v for v in report.violations), report.violations[:8]


def test_input_hash_missing_or_for_another_model(tiny_run: Path, tmp_path: Path) -> None:
    """No hash, or a hash of different input: the run cannot be tied to the model."""
    import json
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(tiny_run, folder)
    summary = json.loads((folder / "summary.json").read_text())
    del summary["input_hash"]
    (folder / "summary.json").write_text(json.dumps(summary))
    assert any("input_hash: missing" in v for v in check_run(folder).violations)
    other = write_model(tiny(demands=[demand(5, 1, 2)]), tmp_path / "other")
    summary = json.loads((tiny_run / "summary.json").read_text())
    report = check_run(tiny_run, summary=summary, model_path=other)
    assert any("hash differs" in v for v in report.violations)


@pytest.mark.parametrize(
    ("table", "column", "text"),
    [("flows", "route", "unknown route 'nowhere'"), ("deliveries", "quantity", "'lots'")],
)
def test_malformed_tables_are_input_errors(tiny_run, tmp_path, table, column, text) -> None:
    """An unknown route or text in a number column: exit 2 naming table, line and column."""
    bad = "nowhere" if column == "route" else "lots"
    folder = _edited(tiny_run, tmp_path, table, _set(column, bad))
    with pytest.raises(InputError, match=rf"{table}\.csv:2:\d+: {column}: .*{text}"):
        check_run(folder)
    code, _, stderr = run_cli("check", folder)
    assert code == 2 and f"{table}.csv:2" in stderr


def test_missing_column_is_an_input_error(tiny_run: Path, tmp_path: Path) -> None:
    folder = _edited(tiny_run, tmp_path, "shortfalls", lambda f: f.drop(columns=["priority"]))
    with pytest.raises(InputError, match=r"shortfalls\.csv:1: priority: column 'priority'"):
        check_run(folder)


def test_map_refuses_a_plan_that_fails_the_check(tiny_run: Path, tmp_path: Path) -> None:
    """`map` runs the check first: an edited plan is never drawn (exit 1, CHECK FAILED)."""
    folder = _edited(tiny_run, tmp_path, "flows", _set("quantity", "41"))
    code, stdout, stderr = run_cli("map", folder)
    assert code == 1 and "CHECK FAILED" in stderr and "flow[ab,ammo,1]" in stderr, stderr
    assert not (folder / "map.png").exists() and stdout == ""


def test_checker_loads_no_preparation_code() -> None:
    """Importing rsoi.results.check pulls in neither the preparation nor the LP code, even indirectly."""
    import subprocess
    import sys

    code = (
        "import sys, rsoi.results.check; print(sorted(m for m in sys.modules if m in "
        "{'rsoi.lp.prepare', 'rsoi.lp.build', 'rsoi.lp.program', 'rsoi.lp.solve', 'rsoi.results.tables', 'rsoi.pipeline'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
