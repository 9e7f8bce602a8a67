"""Hand-solved tiny models, one (or more) per constraint family in rsoi.lp.build.

Each docstring works the optimum out by hand; the test asserts that number, key variable
values and, where it says something, the shadow price. Shadow prices follow HiGHS: the
change in the (minimised) objective per unit increase of the binding bound.
"""

from __future__ import annotations

import pytest

from rsoi.errors import InfeasibleError
from tests.tiny import demand, dual, force, solve_dict, tiny, value

TAIWAN = 100.0  # weight of the taiwan_support class in tiny()
KOREA = 1000.0


def test_route_capacity_bottleneck(tmp_path):
    """100 t at a; 80 t due at b in [2, 3]; route 30 t/day, lag 1, T = 3.

    Flows may leave in periods 1 and 2 only (arrive by 3): at most 60 t arrive, so 20 t
    short at 100 each = 2000. One more ton of capacity in period 1 or 2 saves 100, and keeps
    saving 100 per ton from 0 up to 50 t in period 1 (then the 20 t shortfall is gone).
    """
    data = tiny(demands=[demand(80, ead=2, lad=3)])
    data["routes"][0]["capacity_t_per_day"] = 30
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(2000.0)
    assert value(run, "demand_shortfall") == pytest.approx(20.0)
    assert value(run, "flow", period=1) == pytest.approx(30.0)
    assert dual(run, "route_capacity[ab,1]") == pytest.approx(-TAIWAN)
    assert dual(run, "route_capacity[ab,2]") == pytest.approx(-TAIWAN)
    row = run.tables.duals.set_index("constraint").loc["route_capacity[ab,1]"]
    assert (row["range_from"], row["range_to"]) == pytest.approx((0.0, 50.0))


def test_flow_balance_stock_limits_delivery(tmp_path):
    """Only 40 t in stock for an 80 t demand: 40 delivered, 40 short = 4000.

    One more ton of C-day stock at a saves 100: the balance row of a's Korean-owned class at
    (a, ammo, 1) has shadow price -100 (its right-hand side is the stock; cargo ledger).
    """
    data = tiny(
        demands=[demand(80, ead=2, lad=3)],
        stocks=[{"place": "a", "commodity": "ammo", "quantity": 40, "source": "test"}],
    )
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(4000.0)
    assert value(run, "delivery") == pytest.approx(40.0)
    assert dual(run, "cargo_ledger[a,ammo,rok,1]") == pytest.approx(-TAIWAN)


def test_lateness_penalty(tmp_path):
    """50 t due at b with EAD = LAD = 1; lag 1 means nothing arrives on time.

    Route 30 t/day: 30 t arrive in period 2 (1 late) and 20 t in period 3 (2 late).
    Lateness = 1 x (30 x 1 + 20 x 2) = 70, far below the shortfall price of 100/t.
    """
    data = tiny(demands=[demand(50, ead=1, lad=1)])
    data["routes"][0]["capacity_t_per_day"] = 30
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(70.0)
    assert run.solution.objective_parts["lateness"] == pytest.approx(70.0)
    assert value(run, "delivery", period=2) == pytest.approx(30.0)
    assert value(run, "delivery", period=3) == pytest.approx(20.0)


def test_place_throughput(tmp_path):
    """b handles 10 t/day: arrivals in periods 2 and 3 are 10 t each; 30 of 50 t short = 3000."""
    data = tiny(demands=[demand(50, ead=1, lad=3)])
    data["places"][1]["cargo_t_per_day"] = 10
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)  # LAD 3: nothing is late
    assert value(run, "demand_shortfall") == pytest.approx(30.0)
    assert dual(run, "place_throughput[b,3]") == pytest.approx(-TAIWAN)


def test_airfield_mog(tmp_path):
    """Air route; b has MOG 1 x 2 sorties/slot/day x 10 t/sortie = 20 t/day.

    Arrivals in periods 2 and 3: 40 t of 50 delivered, 10 short = 1000 (no lateness: LAD 3).
    """
    data = tiny(demands=[demand(50, ead=2, lad=3)])
    data["routes"][0]["mode"] = "air"
    data["places"][1]["mog"] = 1
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(1000.0)
    assert dual(run, "airfield_mog[b,2]") == pytest.approx(-TAIWAN * 10)  # per sortie slot-turn


def test_storage_capacity(tmp_path):
    """Demand at b only from period 3; b stores 10 t. Route 30 t/day, lag 1.

    Arrivals: period 2 at most 10 (must be stored), period 3 at most 30: 40 of 50 t, 10 short.
    """
    data = tiny(demands=[demand(50, ead=3, lad=3)])
    data["routes"][0]["capacity_t_per_day"] = 30
    data["places"][1]["storage_t"] = 10
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(1000.0)
    assert value(run, "inventory", place="b", period=2) == pytest.approx(10.0)
    assert dual(run, "storage_capacity[b,2]") == pytest.approx(-TAIWAN)


def test_production(tmp_path):
    """No stock; a produces 10 t/day. Departures in periods 1 and 2 carry at most 10 + 10 t.

    20 of 50 t arrive by period 3; 30 short = 3000.
    """
    data = tiny(
        demands=[demand(50, ead=2, lad=3)],
        stocks=[],
        production=[{"place": "a", "commodity": "ammo", "quantity_per_day": 10, "source": "test"}],
    )
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert value(run, "production") == pytest.approx(20.0)


def _port_access_model(level: str = "rear_area", count: float = 2) -> dict:
    data = tiny(demands=[demand(50, ead=2, lad=3)])
    data["routes"][0]["mode"] = "sea"
    data["places"][1]["access_support_required"] = True
    data["places"][1]["country"] = "KR"  # the provider serves its home country
    data["policies"]["rok_support"]["level"] = level
    # Korean ports stay open to Taiwan cargo at every level here: the test is about ROK tasks
    data["policies"]["rok_support"]["national_resources_min_level"] = "none"
    data["providers"] = [
        {
            "id": "rok-port",
            "name": "ROK port ops",
            "nation": "ROK",
            "home": "a",
            "count": count,
            "capability": {"port_access": 5},
            "source": "test",
        }
    ]
    return data


def test_port_access(tmp_path):
    """b needs port operations: 2 units x 5 t/day = 10 t/day for Taiwan-bound sea cargo.

    20 of 50 t arrive (periods 2 and 3), 30 short = 3000; both units are used in 2 and 3.
    """
    run = solve_dict(_port_access_model(), tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert value(run, "allocation", task="port_access", period=2) == pytest.approx(2.0)
    assert dual(run, "port_access[b,taiwan,2]") == pytest.approx(-TAIWAN)
    # one more unit adds 5 t/day: -500 in each period where it binds
    assert dual(run, "provider_availability[rok-port,2]") == pytest.approx(-5 * TAIWAN)


def test_rok_support_level_blocks_taiwan_tasks(tmp_path):
    """At level 'none' ROK may not do port access for Taiwan: nothing arrives, 50 t short.

    The rheostat row sums capability over all periods, so relaxing it by one t/day of port
    access lets one more ton through: shadow price -100.
    """
    run = solve_dict(_port_access_model(level="none"), tmp_path)
    assert run.solution.objective == pytest.approx(5000.0)
    assert value(run, "allocation") == pytest.approx(0.0)
    assert dual(run, "policy_rok_support_level[port_access]") == pytest.approx(-TAIWAN)


def test_airfield_access(tmp_path):
    """Air cargo into b needs aerial-port capacity: 1 unit x 8 t/day -> 16 of 50 t, 34 short."""
    data = tiny(demands=[demand(50, ead=2, lad=3)])
    data["routes"][0]["mode"] = "air"
    data["places"][1].update(access_support_required=True, mog=100, country="KR", kind="airbase")
    data["providers"] = [
        {
            "id": "aps",
            "name": "aerial port",
            "nation": "US",
            "home": "a",
            "count": 1,
            "capability": {"airfield_access": 8},
            "source": "test",
        }
    ]
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3400.0)
    assert dual(run, "airfield_access[b,taiwan,3]") == pytest.approx(-TAIWAN)


def test_onward_transport(tmp_path):
    """Onward route a->b needs transport capacity at a: 15 t/day -> 30 of 50 t, 20 short."""
    data = tiny(demands=[demand(50, ead=2, lad=3)])
    data["routes"][0]["onward"] = True
    data["providers"] = [
        {
            "id": "trk",
            "name": "trucks",
            "nation": "ROK",
            "home": "a",
            "count": 1,
            "capability": {"onward_transport": 15},
            "source": "test",
        }
    ]
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(2000.0)
    assert value(run, "allocation", task="onward_transport") == pytest.approx(2.0)


def _escort_model(contested: bool = True, closed: bool = False) -> dict:
    data = tiny(demands=[demand(50, ead=2, lad=3)])
    data["routes"][0].update(mode="sea", lanes=["strait"])
    data["places"].append(
        {
            "id": "s",
            "kind": "sea_area",
            "country": "XS",
            "theater": "taiwan",
            "lon": 122.0,
            "lat": 25.0,
            "source": "test",
        }
    )
    data["lanes"] = [
        {
            "id": "strait",
            "name": "Strait",
            "escort_place": "s",
            "contested": contested,
            "closed": closed,
        }
    ]
    data["providers"] = [
        {
            "id": "dd",
            "name": "destroyers",
            "nation": "US",
            "home": "a",
            "count": 1,
            "capability": {"sea_lane_escort": 12},
            "serves": ["s"],
            "source": "test",
        }
    ]
    return data


def test_sea_lane_escort(tmp_path):
    """Contested lane: sea flow through it <= escorted 12 t/day. 24 of 50 t, 26 short = 2600."""
    run = solve_dict(_escort_model(), tmp_path)
    assert run.solution.objective == pytest.approx(2600.0)
    assert dual(run, "sea_lane_escort[s,taiwan,1]") == pytest.approx(-TAIWAN)


def test_closed_lane(tmp_path):
    """A closed lane zeroes the route's capacity: all 50 t short = 5000."""
    run = solve_dict(_escort_model(contested=False, closed=True), tmp_path)
    assert run.solution.objective == pytest.approx(5000.0)
    assert dual(run, "route_capacity[ab,1]") == pytest.approx(-TAIWAN)


def test_task_requirement_priorities(tmp_path):
    """Base security at b: 3/day (Korea, weight 1000) + 1/day (sustainment, weight 10) on one slot.

    2 units of capability 1: 2 short per period. The cheap sustainment line absorbs 1, the Korea
    line the other: per period 1000 + 10 = 1010; over 3 periods 3030.
    """
    data = tiny()
    data["requirements"] = [
        {
            "id": "sec-k",
            "task": "base_security",
            "place": "b",
            "theater": "korea",
            "amount": 3,
            "priority": "korea_defense",
            "source": "test",
        },
        {
            "id": "sec-s",
            "task": "base_security",
            "place": "b",
            "theater": "korea",
            "amount": 1,
            "priority": "sustainment",
            "source": "test",
        },
    ]
    data["places"][1]["country"] = "KR"
    data["providers"] = [
        {
            "id": "mp",
            "name": "MPs",
            "nation": "ROK",
            "home": "a",
            "count": 2,
            "capability": {"base_security": 1},
            "source": "test",
        }
    ]
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3030.0)
    assert value(run, "task_shortfall", requirement="sec-k") == pytest.approx(3.0)
    assert value(run, "task_shortfall", requirement="sec-s") == pytest.approx(3.0)


def test_maintenance_capacity(tmp_path):
    """Maintenance need 3/day at b, 5 teams available, but b holds only 1: 2 short x 3 periods x 100."""
    data = tiny()
    data["places"][1].update(country="KR", maintenance_capacity=1)
    data["requirements"] = [
        {
            "id": "mnt",
            "task": "maintenance",
            "place": "b",
            "theater": "taiwan",
            "amount": 3,
            "priority": "taiwan_support",
            "source": "test",
        }
    ]
    data["providers"] = [
        {
            "id": "mx",
            "name": "teams",
            "nation": "ROK",
            "home": "a",
            "count": 5,
            "capability": {"maintenance": 1},
            "source": "test",
        }
    ]
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(600.0)
    assert value(run, "allocation") == pytest.approx(3.0)


def _combat(korea_conflict: bool = False) -> list[dict]:
    reqs = [
        {
            "theater": "taiwan",
            "amount_by_ladder": {"invasion": 10},
            "priority": "taiwan_support",
            "source": "test",
        }
    ]
    if korea_conflict:
        reqs.append(
            {
                "theater": "korea",
                "korea_conflict_amount": 10,
                "priority": "korea_defense",
                "source": "test",
            }
        )
    return reqs


def test_apportionment_arrival_lag(tmp_path):
    """One follow-on force (power 10) at a; a->b is ~1,440 km, so at 1,500 km/day it reaches
    Taiwan one period later.

    Period 1: Taiwan short 10 -> 1000; periods 2 and 3: share 1 in Taiwan -> 0.
    """
    data = tiny(forces=[force("f", speed_km_per_day=1500)], combat_requirements=_combat())
    run = solve_dict(data, tmp_path)
    assert run.prep.force_arrival[("f", "taiwan")] == 2
    assert run.solution.objective == pytest.approx(1000.0)
    assert value(run, "share", theater="taiwan", period=2) == pytest.approx(1.0)


def test_dual_apportioned_force_korea_first(tmp_path):
    """Simultaneous Korean conflict: the one force is needed in both theaters.

    Korea's shortfall costs 1000/unit, Taiwan's 100: the force stays in Korea; Taiwan is short
    10 in each of 3 periods = 3000.
    """
    data = tiny(forces=[force("f")], combat_requirements=_combat(korea_conflict=True))
    data["events"]["korea_conflict"] = {"timing": "simultaneous"}
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert value(run, "share", theater="korea") == pytest.approx(3.0)


def test_lexicographic_order_beats_weights(tmp_path):
    """Weights favour Taiwan (Korea's class weighs 1, Taiwan's 100), but lexicographic mode
    minimises Korea's class first: the force stays in Korea although the weighted optimum
    sends it to Taiwan (in periods 2 and 3, after its one-period lag: ~1,440 km at
    2,000 km/day is 0.72 of a period, rounded to 1 by the arrival rule)."""
    data = tiny(
        forces=[force("f", speed_km_per_day=2000)],
        combat_requirements=_combat(korea_conflict=True),
    )
    data["events"]["korea_conflict"] = {"timing": "simultaneous"}
    data["settings"]["priority_classes"][0]["weight"] = 1
    weighted = solve_dict(data, tmp_path)
    assert value(weighted, "share", theater="taiwan") == pytest.approx(2.0)
    data["settings"]["objective"] = "lexicographic"
    lexi = solve_dict(data, tmp_path)
    assert value(lexi, "share", theater="korea") == pytest.approx(3.0)
    # stage optima are kept with a 1e-6 slack (settings.lexicographic_tolerance)
    assert lexi.solution.objective_parts["shortfall:korea_defense"] == pytest.approx(0.0, abs=1e-5)


def test_deterrence_floor_hard(tmp_path):
    """Hard floor of 10 in Korea holds the only force (power 10) home: Taiwan short 3 x 10 x 100.

    Lowering the floor by one lets 0.1 of the force go, saving 100 per period: shadow price 100.
    """
    data = tiny(forces=[force("f")], combat_requirements=_combat())
    data["policies"]["deterrence_floor"].update(enabled=True, mode="hard", combat_power=10)
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert dual(run, "policy_deterrence_floor[2]") == pytest.approx(TAIWAN)


def test_troop_floor_binds(tmp_path):
    """USFK air wing at a (in Korea): 100 troops, power 10, reaches Taiwan in period 2 (C1 lag
    floor(1.44 + 0.5) = 1). Troop floor 50 (hard), counting troops physically in Korea.

    Period 1: short 10. Periods 2-3: at most half the wing leaves -> 5 short each. Total 20 x 100.
    The half that leaves is in transit in period 1, so the floor binds in periods 1, 2 and 3.
    """
    data = tiny(forces=[force("w", assignment="usfk", troops=100)], combat_requirements=_combat())
    data["policies"]["troop_floor"].update(enabled=True, mode="hard", troops=50)
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(2000.0)
    assert value(run, "share", theater="taiwan", period=2) == pytest.approx(0.5)
    duals = run.tables.duals.set_index("constraint")
    for t in (1, 2):
        assert duals.loc[f"policy_troop_floor[{t}]", "activity"] == pytest.approx(50.0)


def test_troop_floor_infeasible(tmp_path):
    """A hard floor above all U.S. troops cannot hold: InfeasibleError names the floor."""
    data = tiny(forces=[force("w", assignment="usfk", troops=100)], combat_requirements=_combat())
    data["policies"]["troop_floor"].update(enabled=True, mode="hard", troops=200)
    with pytest.raises(InfeasibleError) as info:
        solve_dict(data, tmp_path)
    # HiGHS may return no conflict set for the force balances (issue 7 item 4 covers the
    # message then); when it gives one, the floor is in it
    conflicting = info.value.conflicting
    assert not conflicting or any(name.startswith("policy_troop_floor") for name in conflicting)


def test_usfk_ground_stays(tmp_path):
    """A USFK ground force may not leave Korea: Taiwan short all 3 periods = 3000."""
    data = tiny(
        forces=[force("g", assignment="usfk", branch="ground")], combat_requirements=_combat()
    )
    data["policies"]["usfk_ground_stays"]["enabled"] = True
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert dual(run, "policy_usfk_ground_stays[g]") == pytest.approx(-10 * TAIWAN)


def test_usfk_air_share(tmp_path):
    """At most 25 % of USFK aircraft support Taiwan; the wing reaches Taiwan from period 2.

    Short 10 in period 1 and 7.5 in periods 2 and 3: 25 x 100 = 2500.
    """
    data = tiny(forces=[force("w", assignment="usfk", aircraft=40)], combat_requirements=_combat())
    data["policies"]["usfk_air_share"].update(enabled=True, max_share=0.25)
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(2500.0)
    assert value(run, "share", theater="taiwan") == pytest.approx(0.5)


def test_strategic_flexibility_withheld(tmp_path):
    """No USFK force may support Taiwan: short 10 x 3 x 100 = 3000."""
    data = tiny(forces=[force("w", assignment="usfk")], combat_requirements=_combat())
    data["policies"]["strategic_flexibility"]["allowed"] = False
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)
    assert value(run, "share", theater="taiwan") == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("level", "objective"), [("rear_area", 3000.0), ("joint_operations", 1000.0)]
)
def test_rok_forces_need_joint_operations(tmp_path, level, objective):
    """A ROK force may serve Taiwan only at the joint_operations level (then from period 2,
    after its one-period lag: only period 1 is short, 1000)."""
    data = tiny(forces=[force("r", nation="ROK", assignment="rok")], combat_requirements=_combat())
    data["policies"]["rok_support"]["level"] = level
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(objective)


def test_transport_cost_picks_cheaper_route(tmp_path):
    """Two routes a->b of 100 and 300 km at 0.01 per t-km: all 10 t go on the short one (cost 10)."""
    data = tiny(demands=[demand(10, ead=2, lad=3)])
    data["settings"]["transport_cost_weight"] = 1.0
    data["modes"]["road"]["cost_per_t_km"] = 0.01
    long = dict(data["routes"][0], id="ab-long", distance_km=300)
    data["routes"].append(long)
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(10.0)
    assert value(run, "flow", route="ab-long") == pytest.approx(0.0)


def test_integer_units(tmp_path):
    """One port unit (10 t/day) and two ports each needing 5 t/day in period 2 only.

    LP: half a unit at each port, nothing short (0). With whole units the unit serves one port:
    5 t short at the other = 500.
    """
    data = tiny(
        demands=[
            demand(5, ead=2, lad=2, place="b", id="d1"),
            demand(5, ead=2, lad=2, place="c", id="d2"),
        ]
    )
    data["horizon"]["periods"] = 2
    data["places"][1].update(access_support_required=True, country="KR")
    data["places"].append(dict(data["places"][1], id="c"))
    data["routes"][0]["mode"] = "sea"
    data["routes"].append(dict(data["routes"][0], id="ac", destination="c"))
    data["providers"] = [
        {
            "id": "p",
            "name": "port unit",
            "nation": "US",
            "home": "a",
            "count": 1,
            "capability": {"port_access": 10},
            "source": "test",
        }
    ]
    assert solve_dict(data, tmp_path).solution.objective == pytest.approx(0.0)
    data["settings"]["integer_units"] = True
    run = solve_dict(data, tmp_path)
    assert run.solution.mip
    assert run.solution.objective == pytest.approx(500.0)


def test_apportionment_stability(tmp_path):
    """One force (power 10) at a; Taiwan needs 10 in every period (weight 100), Korea 10 from
    period 3 on (North Korea attacks 2 periods later, weight 1000); T = 4, Taiwan reachable from 2.

    Period 1: Taiwan short (1000). Period 2: the force in Taiwan. Periods 3-4: back in Korea,
    Taiwan short (2000). With beta = 1 per unit of share change, the cheapest path changes the
    Taiwan share once (1 -> 0) and the Korea share once (0 -> 1): 3000 + 2.
    """
    # swing_lag_periods 0: the force may swap theaters without transit (tests/test_fidelity.py
    # covers the swing lag); it still needs one period from home to Taiwan
    data = tiny(
        forces=[force("f", swing_lag_periods=0)],
        combat_requirements=_combat(korea_conflict=True),
    )
    data["horizon"]["periods"] = 4
    data["events"]["korea_conflict"] = {"timing": "sequential", "delay_periods": 2}
    data["settings"]["apportionment_stability_weight"] = 1.0
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3002.0)
    assert run.solution.objective_parts["stability"] == pytest.approx(2.0)
    assert value(run, "share", theater="taiwan", period=2) == pytest.approx(1.0)
    assert value(run, "share", theater="korea", period=1) == pytest.approx(0.0)
    assert value(run, "share_change") == pytest.approx(2.0)
