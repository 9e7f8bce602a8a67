"""Every military unit is one asset with one position; attacks hit what is there; the pledge and
the exception both hold (issue 15 b, c, e; findings 2, 3, 4, 5 and 8).

Hand-worked tiny models (tests/tiny.py: a in Korea, b in Taiwan ~1,440 km apart, 3 one-day
periods) state their optimum in the docstring; the shipped-model tests assert outcomes.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from rsoi.lp.build import build
from rsoi.lp.prepare import prepare
from rsoi.lp.solve import solve
from rsoi.model.loader import load_model
from rsoi.model.variant import Variant, apply_variant
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run
from rsoi.results.tables import make_tables
from tests.helpers import SHIPPED
from tests.tiny import force, solve_dict, tiny

KOREA_DEFENSE = 1000.0  # priority class weights of tests/helpers.SMALL
SUSTAINMENT = 10.0


def combat(theater: str, amount: float, priority: str = "korea_defense") -> dict:
    return {"theater": theater, "amount_by_ladder": {"invasion": amount}, "priority": priority,
            "source": "test"}  # fmt: skip


def requirement(id: str, task: str, place: str, amount: float, priority: str = "sustainment",
                theater: str = "korea") -> dict:  # fmt: skip
    return {"id": id, "task": task, "place": place, "theater": theater, "amount": amount,
            "priority": priority, "source": "test"}  # fmt: skip


def provider(id: str, capability: dict, **fields) -> dict:
    base = {"id": id, "name": id, "nation": "US", "home": "a", "count": 1,
            "capability": capability, "source": "test"}  # fmt: skip
    base.update(fields)
    return base


def shortfall(run, family: str) -> float:
    s = run.tables.shortfalls
    return float(s.loc[s["family"] == family, "shortfall"].sum())


# --- hand-worked tiny models ---------------------------------------------------------------


def test_unit_split_between_combat_and_escort(tmp_path: Path) -> None:
    """A ROK fleet (combat power 10, home a in Korea) whose 4 escort groups (1,000 t/day each,
    ``part_of`` the fleet) are the same ships. Korea needs 10 combat power (korea_defense,
    weight 1000, 1 per power per day) and 2,000 t/day of escort (sustainment, weight 10, 1 per
    t per day), periods 1-3.

    A share s of the fleet escorts 4,000 s t/day and is not in combat: per period and share,
    escort saves 10 x 4,000 = 40,000, combat 1000 x 10 = 10,000. So escort takes s = 0.5 (its
    whole need), combat the other 0.5: combat short 5 per period, objective
    3 x 5 x 1000 = 15,000. Counted twice (the old model), both would be met (objective 0).
    """
    navy = force("navy", nation="ROK", branch="naval", home="a", theaters=["korea"])
    data = tiny(
        forces=[navy],
        combat_requirements=[combat("korea", 10)],
        providers=[
            provider("esc", {"sea_lane_escort": 1000}, nation="ROK", count=4, part_of="navy")
        ],
        requirements=[requirement("esc-a", "sea_lane_escort", "a", 2000)],
    )
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(15_000, rel=1e-6)
    assert shortfall(run, "combat_power") == pytest.approx(15)
    assert shortfall(run, "task") == pytest.approx(0, abs=1e-6)


def test_support_unit_needs_transit(tmp_path: Path) -> None:
    """A U.S. security unit (home a, speed 1,000 km/day) must guard b (~1,440 km away) in
    periods 1-3 (1 unit, sustainment, weight 10, penalty 1 per unit per day). Transit a->b:
    floor(1,440 / 1,000 + 0.5) = 1 period, so it is at b from period 2: short 1 in period 1,
    objective 10. Without a speed it would work at b from C-day (objective 0)."""
    guard = provider("guard", {"base_security": 1}, serves=["b"], speed_km_per_day=1000)
    data = tiny(providers=[guard], requirements=[requirement("sec-b", "base_security", "b", 1)])
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(10, rel=1e-6)
    a = run.tables.allocations
    assert a.loc[a["period"] == 1, "units_allocated"].sum() == pytest.approx(0, abs=1e-9)
    del data["providers"][0]["speed_km_per_day"]
    assert solve_dict(data, tmp_path / "static").solution.objective == pytest.approx(0, abs=1e-6)


def test_attacked_base_loses_the_units_on_it(tmp_path: Path) -> None:
    """Place a is attacked from period 2 (capacity factor 0). A bomber force based there
    reaches Taiwan with lag 0 (``arrival_lag_periods``: it flies from a), combat power 10;
    Taiwan needs 10 (taiwan_support, weight 100). Two maintenance teams at a (capability 1
    each) serve a need of 2 there (sustainment, weight 10).

    Period 1: all is met. Periods 2-3: the base launches nothing, so the bomber counts 0
    (combat short 10, cost 100 x 10 = 1,000 a period) and no team works (short 2, cost 20):
    objective 2 x (1,000 + 20) = 2,040.
    """
    bomber = force("bomber", theaters=["taiwan"], arrival_lag_periods={"taiwan": 0})
    data = tiny(
        forces=[bomber],
        combat_requirements=[combat("taiwan", 10, "taiwan_support")],
        providers=[provider("mx", {"maintenance": 1}, count=2)],
        requirements=[requirement("mx-a", "maintenance", "a", 2)],
        events={"china_action": "invasion", "attacks": [
            {"target": "a", "from_period": 2, "capacity_factor": 0.0, "source": "test"}]},
    )  # fmt: skip
    data["policies"]["rok_support"]["level"] = "joint_operations"
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(2_040, rel=1e-6)
    ap = run.tables.apportionment
    hit = ap[(ap["force"] == "bomber") & (ap["period"] >= 2)]
    assert hit["combat_power"].sum() == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize(
    ("assigned", "air_share", "objective"),
    [(True, 0.5, 2_000), (True, 1.0, 1_000), (False, 0.5, 3_000), (False, 1.0, 3_000)],
)
def test_pledge_with_the_air_exception(
    tmp_path: Path, assigned: bool, air_share: float, objective: float
) -> None:
    """USFK: a ground force (600 troops) and an air wing (400 troops, 10 aircraft, combat
    power 10, lag 1 to Taiwan), both at a in Korea. Hard troop floor 1,000; the USFK air share
    rule allows ``air_share`` of the aircraft outside Korea. Taiwan needs 10 combat power
    (taiwan_support, weight 100, 1 per power per day), periods 1-3; period 1 is always short 10
    (cost 100 x 10 = 1,000: the wing needs a period to arrive).

    Assigned strength (the air wing's 400 count wherever it flies): the floor leaves
    1,000 - 400 = 600 for presence, met by the ground force; the wing may send ``air_share``:
    share 0.5 -> short 5 in periods 2-3 (cost 2 x 500), objective 2,000; share 1 -> 1,000.
    Presence (every troop must be in Korea): the wing stays, short 10 in every period,
    objective 3,000 whatever the air share (the air share cannot bite: finding 8).
    """
    ground = force("usfk-ground", branch="ground", assignment="usfk", troops=600,
                   theaters=["korea"], combat_power=0)  # fmt: skip
    air = force("usfk-air", assignment="usfk", troops=400, aircraft=10)
    data = tiny(forces=[ground, air], combat_requirements=[combat("taiwan", 10, "taiwan_support")])
    pol = data["policies"]
    pol["rok_support"]["level"] = "joint_operations"
    pol["troop_floor"] = {"enabled": True, "mode": "hard", "troops": 1000,
                          "usfk_air_counts_assigned": assigned, "source": "test",
                          **({"assigned_source": "test"} if assigned else {})}  # fmt: skip
    pol["usfk_air_share"] = {"enabled": True, "max_share": air_share, "source": "test"}
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(objective, rel=1e-6)


# --- the shipped model: outcomes -------------------------------------------------------------


def _solve(scenario: str, *settings) -> tuple:
    model = apply_variant(load_model(SHIPPED, scenario), Variant("v", settings=tuple(settings)))
    prep = prepare(model)
    lp, ctx = build(prep)
    sol = solve(lp)
    return model, make_tables(lp, ctx, sol), sol


def _scenarios() -> list[str]:
    return list(load_model(SHIPPED).spec.scenarios)


def test_level_none_korean_territory_does_not_serve_taiwan() -> None:
    """Finding 2: at level none no U.S. support unit works from Korean territory (based in
    Korea, or at a Korean place) for another theater, in every shipped scenario that keeps the
    2006 link (``none_withdraws_flexibility``; invasion_rok_none_flexibility_kept is the
    counterfactual without it)."""
    for scenario in _scenarios():
        model, t, _sol = _solve(scenario, ("policies.rok_support.level", "none"))
        if not model.spec.policies.rok_support.none_withdraws_flexibility:
            continue
        theater = {p.id: p.theater for p in model.spec.places}
        home = {u.id: theater[u.home] for u in model.spec.providers}
        a = t.allocations
        bad = a[
            (a["nation"] == "US")
            & (a["theater"] != "korea")
            & ((a["place"].map(theater) == "korea") | (a["provider"].map(home) == "korea"))
            & (a["units_allocated"] > 1e-9)
        ]
        assert bad.empty, (scenario, bad[["provider", "place", "theater", "period"]].head())


def test_support_units_do_not_teleport() -> None:
    """Finding 4: no ROK escort group in the seas around Taiwan on C-day (~1,300 km from
    Jinhae); ROK ISR aircraft never work the East China Sea in one period and the Yellow Sea in
    the next beyond their number; in invasion_korea_simultaneous the escort groups do not all
    leave Korea (a quarter of the fleet stays, forces_abroad)."""
    for scenario in ("invasion", "blockade", "invasion_korea_simultaneous"):
        model, t, _ = _solve(scenario)
        a = t.allocations
        at = a.groupby(["provider", "place", "period"])["units_allocated"].sum()
        c_day = at.get(("rok-navy-escort", "taiwan_waters", 1), 0.0)
        assert c_day == pytest.approx(0, abs=1e-9), scenario
        # Osan -> East China Sea ~800 km: a period of re-basing (speed 300 km/day x 2 days)
        assert at.get(("rok-isr", "east_china_sea", 1), 0.0) == pytest.approx(0, abs=1e-9)
        for p in range(1, model.spec.horizon.periods):
            ecs = at.get(("rok-isr", "east_china_sea", p), 0.0)
            ys = at.get(("rok-isr", "yellow_sea", p + 1), 0.0)
            assert ecs + ys <= 5 + 1e-6, (scenario, p)
        if scenario == "invasion_korea_simultaneous":
            theater = {pl.id: pl.theater for pl in model.spec.places}
            esc = a[(a["provider"] == "rok-navy-escort") & (a["place"].map(theater) != "korea")]
            away = esc.groupby("period")["units_allocated"].sum()
            assert (away <= 3 + 1e-6).all()


def test_rok_ships_fight_or_escort_never_both() -> None:
    """Finding 3: at joint_operations the ROK Navy's combat shares plus its escort groups at
    work never exceed the whole fleet, and what is away from Korea stays within the level's
    sourced cap (policies.rok_support.forces_abroad)."""
    for scenario in ("invasion_joint_operations", "invasion_base_attacks"):
        model, t, _ = _solve(scenario)
        cap = model.spec.policies.rok_support.forces_abroad.max_share_by_level
        level = "joint_operations"
        ap, a = t.apportionment, t.allocations
        theater = {pl.id: pl.theater for pl in model.spec.places}
        esc = a[a["provider"] == "rok-navy-escort"]
        for p in range(1, model.spec.horizon.periods + 1):
            navy = ap[(ap["force"] == "rok-navy") & (ap["period"] == p)]
            e = esc[esc["period"] == p]
            assert navy["share"].sum() + e["units_allocated"].sum() / 4 <= 1 + 1e-6
            away = navy.loc[~navy["theater"].isin(["korea", "in_transit"]), "share"].sum()
            away += e.loc[e["place"].map(theater) != "korea", "units_allocated"].sum() / 4
            assert away <= cap[level] + 1e-6, (scenario, p)


def test_attacked_andersen_launches_nothing() -> None:
    """Finding 5: in invasion_guam_attacks Andersen is at factor 0 from period 1, so the bomber
    task force and the Guam fighter wing based there count no combat power in Taiwan."""
    model, t, _ = _solve("invasion_guam_attacks")
    guam = [f.id for f in model.spec.forces if f.home == "andersen_afb"]
    assert len(guam) >= 2
    ap = t.apportionment
    hit = ap[ap["force"].isin(guam) & (ap["theater"] == "taiwan")]
    assert hit["combat_power"].sum() == pytest.approx(0, abs=1e-9)


def test_usfk_air_share_bites_in_policies_runs() -> None:
    """Finding 8: with the 28,500 level read as assigned strength for USFK air units
    (usfk_air_counts_assigned), the USFK air share changes the answer of invasion."""
    objectives = {
        share: _solve("invasion", ("policies.usfk_air_share.enabled", True),
                      ("policies.usfk_air_share.max_share", share))[2].objective
        for share in (0.25, 1.0)
    }  # fmt: skip
    assert objectives[0.25] > objectives[1.0] + 1.0
    presence = {
        share: _solve("invasion", ("policies.usfk_air_share.enabled", True),
                      ("policies.usfk_air_share.max_share", share),
                      ("policies.troop_floor.usfk_air_counts_assigned", False))[2].objective
        for share in (0.25, 1.0)
    }  # fmt: skip
    assert presence[0.25] == pytest.approx(presence[1.0], rel=1e-9)


# --- the checker catches an injected error in each new rule ----------------------------------


@pytest.fixture(scope="module")
def guam_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("units") / "run"
    write_run(run_model(SHIPPED, "invasion_guam_attacks"), folder)
    return folder


def _edit(folder: Path, table: str, match: dict, changes: dict, add: bool = False) -> None:
    path = folder / f"{table}.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    hits = [r for r in rows if all(r[k] == str(v) for k, v in match.items())]
    assert hits, (table, match)
    if add:
        new = dict(hits[0])
        new.update({k: str(v) for k, v in changes.items()})
        rows.append(new)
    else:
        for r in hits:
            r.update({k: str(v) for k, v in changes.items()})
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("table", "match", "changes", "add", "family"),
    [
        # an escort group in the seas around Taiwan on C-day (transit from Jinhae: 1 period)
        ("allocations", {"provider": "rok-navy-escort", "period": 2},
         {"period": 1, "period_start": "2026-01-01"}, True, "unit_position"),
        # the bomber on closed Andersen counting its combat power
        ("apportionment", {"force": "fo-bomber-task-force", "theater": "taiwan"},
         {"combat_power": 20}, False, "apportionment"),
        # all four escort groups at work while the fleet fights in Korea
        ("allocations", {"provider": "rok-navy-escort"}, {"units_allocated": 4}, False,
         "unit_split"),
        # all four escort groups in the seas around Taiwan: above the level's share abroad
        ("allocations", {"provider": "rok-navy-escort", "place": "taiwan_waters"},
         {"units_allocated": 4}, False, "policy_rok_forces_abroad"),
        # the Guam fighter wing leaving closed Andersen (its power listed as 0, as counted)
        ("apportionment", {"force": "fo-fighter-wing-guam", "theater": "taiwan", "period": 5},
         {"share": 1, "combat_power": 0, "troops": 2500}, False, "unit_launch"),
    ],
)  # fmt: skip
def test_checker_catches_injected_unit_errors(
    guam_run: Path, tmp_path: Path, table, match, changes, add, family
) -> None:
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(guam_run, folder)
    _edit(folder, table, match, changes, add)
    report = check_run(folder)
    assert not report.ok
    assert any(family in v for v in report.violations), report.violations[:5]


def test_checker_catches_korean_territory_at_level_none(tmp_path: Path) -> None:
    """An injected U.S. Patriot battery at Osan serving Taiwan at level none is named."""
    folder = tmp_path / "run"
    write_run(run_model(SHIPPED, "invasion_rok_none"), folder)
    assert check_run(folder).ok
    _edit(folder, "allocations", {"provider": "us-navy-escort"},
          {"provider": "us-air-defense", "task": "air_maritime_protection", "place": "osan_ab", "theater": "taiwan",
           "units_allocated": 1}, True)  # fmt: skip
    report = check_run(folder)
    assert any("policy_korean_territory" in v for v in report.violations), report.violations[:5]
