"""The hedged plan (rsoi hedge): a two-scenario problem worked out by hand, the CLI, the schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsoi.analysis.hedge import hedge
from rsoi.model.schema import effective_rok_level
from tests.helpers import run_cli
from tests.tiny import demand, tiny, write_model


def two_ports() -> dict:
    """Depot a (100 t), ports b and c one period away; 'south' needs 100 t at b, 'north' at c.

    Both demands have EAD = LAD = 2: shipped in period 1 they are on time; shipped in period 2
    they are one period late (lateness 1 per ton per period); never delivered they cost the
    taiwan_support weight 100 per ton. There is no route between b and c.
    """
    data = tiny(
        demands=[
            demand(100, 2, 2, place="b", id="d_b"),
            demand(100, 2, 2, place="c", id="d_c"),
        ]
    )
    data["places"].append(
        {"id": "c", "kind": "seaport", "country": "KR", "theater": "korea", "lon": 128.0,
         "lat": 35.0, "source": "test"}
    )  # fmt: skip
    data["routes"].append(
        {"id": "ac", "origin": "a", "destination": "c", "mode": "road",
         "capacity_t_per_day": 1000, "transit_periods": 1, "distance_km": 100, "source": "test"}
    )  # fmt: skip
    data["scenarios"] = {
        "south": {"description": "need at b", "overrides": {"demands": {"d_c": {"quantity": 0}}}},
        "north": {"description": "need at c", "overrides": {"demands": {"d_b": {"quantity": 0}}}},
    }
    data["default_scenario"] = "south"
    data["scenario_sets"] = {
        "coin": {
            "description": "south or north",
            "source": "test",
            "here_and_now_periods": 1,
            "members": [
                {"scenario": "south", "probability": 0.5},
                {"scenario": "north", "probability": 0.5},
            ],
        }
    }
    return data


def test_two_scenarios_evpi_and_vss_by_hand(tmp_path: Path) -> None:
    """Worked by hand. Let u, v be the tons sent a->b and a->c in period 1 (first stage, K=1).

    - Alone, each scenario ships its 100 t in period 1: objective 0 each, expected 0.
    - Hedged: in 'south' the 100 - u - v tons still at a go in period 2 (late: 1 per ton) and
      the v tons at c are lost to b (shortfall 100 per ton): cost (100 - u - v) + 100 v; 'north'
      symmetrically (100 - u - v) + 100 u. Expected: (100 - s) + 50 s with s = u + v, least at
      s = 0: ship nothing in period 1. Hedged objective 100, EVPI = 100 - 0 = 100.
    - The default scenario 'south''s plan: u = 100, v = 0. Fixed in 'south' it costs 0; in
      'north' all 100 t are at b, so 100 t short: 100 * 100 = 10,000. Expected 5,000;
      vss_default_scenario = 5,000 - 100 = 4,900.
    - The expected-value problem needs 50 t at b and 50 t at c: its only optimum ships
      u = v = 50. Fixed in either scenario, 50 t are at the wrong port: 5,000 each, EEV 5,000,
      VSS = 4,900.
    """
    path = write_model(two_ports(), tmp_path)
    result = hedge(path, "coin")
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-6)
    assert result.expected_alone == pytest.approx(0.0, abs=1e-6)
    assert result.evpi == pytest.approx(100.0, abs=1e-6)
    assert result.reference == "south"
    assert result.default.eev == pytest.approx(5000.0, abs=1e-4)
    assert result.vss_default_scenario == pytest.approx(4900.0, abs=1e-4)
    assert result.ev.eev == pytest.approx(5000.0, abs=1e-4)
    assert result.vss == pytest.approx(4900.0, abs=1e-4)
    assert not result.default.cut_back and not result.ev.cut_back
    # the first stage is shared: both members ship the same (nothing) in period 1
    for m, x in zip(result.members, result.hedged_x, strict=True):
        for key, col in m.first_stage.items():
            if key.startswith("flow[") and key.endswith(",1]"):
                assert x[col] == pytest.approx(0.0, abs=1e-7)


def test_hedge_cli_writes_a_new_folder(tmp_path: Path) -> None:
    path = write_model(two_ports(), tmp_path)
    out = tmp_path / "hedged"
    code, stdout, stderr = run_cli("hedge", path, "--out", out)
    assert code == 0, stderr
    assert "EVPI" in stdout
    summary = json.loads((out / "hedge_summary.json").read_text())
    assert summary["evpi"] == pytest.approx(100.0, abs=1e-6)
    assert summary["vss"] == pytest.approx(4900.0, abs=1e-4)
    assert summary["vss_default_scenario"] == pytest.approx(4900.0, abs=1e-4)
    plan = (out / "hedge_plan.csv").read_text()
    # the reference plan ships 100 t a->b in period 1; the hedged plan ships nothing
    assert 'flow,"flow[ab,ammo,rok,1]",1,0,100,50,-100' in plan  # Korean-owned (at a)
    assert "scenario,probability" in (out / "hedge_scenarios.csv").read_text()
    assert "What the hedged plan does differently" in (out / "report.html").read_text()
    code, _, stderr = run_cli("hedge", path, "--out", out)  # never overwrites
    assert code == 2 and "already exists" in stderr


def test_hedge_outputs_are_reproducible(tmp_path: Path) -> None:
    path = write_model(two_ports(), tmp_path)
    for name in ("r1", "r2"):
        assert run_cli("hedge", path, "--out", tmp_path / name)[0] == 0
    for name in ("hedge_plan.csv", "hedge_scenarios.csv", "report.html"):
        assert (tmp_path / "r1" / name).read_bytes() == (tmp_path / "r2" / name).read_bytes()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda s: s["members"][0].update(probability=0.6), "members", "sum to 1.1"),
        (lambda s: s["members"][1].update(scenario="nort"), "scenario", "unknown scenario 'nort'"),
        (lambda s: s.update(here_and_now_periods=3), "here_and_now_periods", "no second stage"),
    ],
)
def test_bad_scenario_set_is_exit_2_with_line(tmp_path: Path, change, field, words) -> None:
    data = two_ports()
    change(data["scenario_sets"]["coin"])
    path = write_model(data, tmp_path)
    code, _, stderr = run_cli("hedge", path, "--out", tmp_path / "x")
    assert code == 2
    assert words in stderr and field in stderr
    assert f"{path.name}:" in stderr  # file and line
    assert "Traceback" not in stderr
    assert not (tmp_path / "x").exists()


def test_unknown_set_and_no_sets(tmp_path: Path) -> None:
    path = write_model(two_ports(), tmp_path)
    code, _, stderr = run_cli("hedge", path, "--set", "con", "--out", tmp_path / "x")
    assert code == 2 and "unknown scenario set 'con'" in stderr and "coin" in stderr
    data = two_ports()
    del data["scenario_sets"]
    path = write_model(data, tmp_path / "other")
    code, _, stderr = run_cli("hedge", path, "--out", tmp_path / "y")
    assert code == 2 and "no scenario sets" in stderr


def test_progressive_hedging_agrees_with_extensive_form(tmp_path: Path) -> None:
    """Lateness 60 per ton per period and P(south) = 0.9. With u, v the tons sent a->b and
    a->c in period 1, the expected objective is 0.9 [60 (100 - u - v) + 100 v]
    + 0.1 [60 (100 - u - v) + 100 u] = 6000 - 50 u + 30 v, least at u = 100, v = 0: 1,000.
    PH (mpi-sppy, with rsoi's HiGHS guest) stops on a certified gap (issue 16): its Lagrangian
    lower bound and its plan's expected objective bracket 1,000 within 1%."""
    data = two_ports()
    data["settings"]["lateness_weight"] = 60.0
    members = data["scenario_sets"]["coin"]["members"]
    members[0]["probability"], members[1]["probability"] = 0.9, 0.1
    path = write_model(data, tmp_path)
    ef = hedge(path, "coin")
    assert ef.hedged_objective == pytest.approx(1000.0, abs=1e-6)
    ph = hedge(path, "coin", method="ph")
    info = ph.ph_info
    assert info["rel_gap"] <= 0.01 and info["gap_reached"] and info["hedged"]
    assert info["lower_bound"] <= ef.hedged_objective + 1e-6 <= info["upper_bound"] + 2e-6
    assert ph.hedged_objective == pytest.approx(info["upper_bound"], abs=1e-6)
    assert abs(ph.hedged_objective - ef.hedged_objective) <= 0.01 * ef.hedged_objective


def test_reference_plan_cut_back_where_it_cannot_pass(tmp_path: Path) -> None:
    """As the first test, but route a->b carries only 50 t a day in 'north'.

    - Alone: 0 in both (south ships 100 t a->b, north 100 t a->c, in period 1).
    - Hedged: u <= 50 (the shared first stage must fit north too); the expected objective
      (100 - s) + 50 s is still least at s = 0: 100, so EVPI = 100.
    - The 'south' plan (u = 100) cannot be carried out in 'north': its EEV and
      vss_default_scenario are infinite. Cut back in north (least total deviation over the
      first stage, then least cost): u = 50 deviates by 50; the other 50 t either stay at a
      (stock at a in period 1: 50 off the plan's 0) or go to c (v = 50 off 0): deviation 100
      either way. The cheaper of the two sends them to c on time, so only b's 50 t are short
      at c: 50 * 100 = 5,000. Expected 0.5 * 0 + 0.5 * 5,000 = 2,500; the gain over the
      cut-back plan is 2,500 - 100 = 2,400.
    - The EV problem (a->b capacity 0.5 * 1000 + 0.5 * 50 = 525 t a day, 50 t needed at each
      port) ships u = v = 50, which fits north: EEV 5,000 as in the first test, VSS 4,900.
    """
    data = two_ports()
    data["scenarios"]["north"]["overrides"]["routes"] = {"ab": {"capacity_t_per_day": 50}}
    path = write_model(data, tmp_path)
    result = hedge(path, "coin")
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-6)
    assert result.evpi == pytest.approx(100.0, abs=1e-6)
    assert result.default.cut_back == ["north"]
    assert result.vss_default_scenario == float("inf")
    assert result.default.per_member == pytest.approx([0.0, 5000.0], abs=1e-4)
    assert result.gain_over_cut_back_plan(result.default) == pytest.approx(2400.0, abs=1e-4)
    assert result.vss == pytest.approx(4900.0, abs=1e-4)


def test_shipped_scenario_sets() -> None:
    """The shipped model's sets (a property the issue asks for): the ladder crossed with North
    Korea's timing, and the rheostat levels weighted by the 2022 poll with the no-view share
    spread in proportion: none 0.18, rear_area 0.42, joint_operations 0.225, each / 0.825."""
    from rsoi.model.loader import load_model, read_yaml
    from tests.helpers import SHIPPED

    doc = read_yaml(SHIPPED)  # parsed once for every scenario

    def scenario(name: str):
        return load_model(SHIPPED, name, document=doc).spec

    def rok_level(name: str) -> str:
        return effective_rok_level(scenario(name)).value

    spec = load_model(SHIPPED, use_default=False, document=doc).spec
    ladder = spec.scenario_sets["ladder_korea_timing"]
    timings = {scenario(m.scenario).events.korea_conflict.timing.value for m in ladder.members}
    assert {"none", "simultaneous", "sequential"} <= timings
    poll = {m.scenario: m.probability for m in spec.scenario_sets["rheostat_poll"].members}
    expected = {"none": 0.18 / 0.825, "rear_area": 0.42 / 0.825, "joint_operations": 0.225 / 0.825}
    assert {rok_level(n): p for n, p in poll.items()} == pytest.approx(expected, abs=1e-6)
    for group in spec.scenario_sets.values():
        assert group.description and group.source


def test_hedge_uses_the_first_set_unless_named(tmp_path: Path) -> None:
    """A second set with 'south' alone: naming it gives EVPI 0 (one scenario, nothing to
    hedge); omitting --set solves the first set, 'coin', whose EVPI is 100 (first test)."""
    data = two_ports()
    data["scenario_sets"]["south_only"] = {
        "description": "south for sure",
        "source": "test",
        "here_and_now_periods": 1,
        "members": [{"scenario": "south", "probability": 1.0}],
    }
    path = write_model(data, tmp_path)
    assert hedge(path).set_name == "coin"
    assert hedge(path).evpi == pytest.approx(100.0, abs=1e-6)
    only = hedge(path, "south_only")
    assert only.evpi == pytest.approx(0.0, abs=1e-6) and only.vss == pytest.approx(0.0, abs=1e-6)


def two_theaters() -> dict:
    """One follow-on force f at home a (combat power 10), theaters korea (arrival lag 1) and
    taiwan (arrival lag 2), swing lag 5 (no swing arrives within the 3 periods). 'taiwan':
    China invades, taiwan needs 10 in every period; 'korea': North Korea attacks at C-day,
    korea needs 10 in every period. A unit short for a period costs 100 (taiwan_support
    weight 100, penalty 1, 1-day periods). K = 1, probabilities 0.5 each."""
    from tests.tiny import force

    data = tiny(
        forces=[
            force("f", arrival_lag_periods={"korea": 1, "taiwan": 2}, swing_lag_periods=5)
        ],
        combat_requirements=[
            {"theater": "taiwan", "amount_by_ladder": {"invasion": 10},
             "priority": "taiwan_support", "source": "test"},
            {"theater": "korea", "korea_conflict_amount": 10, "priority": "taiwan_support",
             "source": "test"},
        ],
    )  # fmt: skip
    data["scenarios"] = {
        "taiwan": {"description": "invasion"},
        "korea": {
            "description": "Korean war alone",
            "overrides": {
                "events.china_action": "none",
                "events.korea_conflict": {"timing": "simultaneous"},
            },
        },
    }
    data["default_scenario"] = "taiwan"
    data["scenario_sets"] = {
        "war": {
            "description": "taiwan or korea",
            "source": "test",
            "here_and_now_periods": 1,
            "members": [
                {"scenario": "taiwan", "probability": 0.5},
                {"scenario": "korea", "probability": 0.5},
            ],
        }
    }
    return data


def test_a_departure_in_the_first_stage_is_shared(tmp_path: Path) -> None:
    """Issue 16 item 1: departures in 1..K are first stage. Let a, b be the shares leaving for
    korea and taiwan in period 1 (first stage); in period 2 only korea is still reachable.

    - Alone: taiwan sends f to taiwan at once, present from period 3: short 10 in periods 1
      and 2, 2,000. korea sends it to korea, present from 2: short 10 in period 1, 1,000.
      WS = 1,500.
    - Shared departures: taiwan costs 1,000 + 1,000 + 1,000 (1 - b); korea 1,000 + 1,000
      (1 - a) + 1,000 b (the rest, 1 - a - b, leaves in period 2 and arrives in 3). Expected
      0.5 (3,000 - 1,000 b) + 0.5 (2,000 - 1,000 a + 1,000 b) = 2,500 - 500 a, least at a = 1:
      RP = 2,000, EVPI = 500. (With departures free per scenario, as before, RP = WS and
      EVPI = 0.)
    - The default scenario (taiwan) alone sends all of f to taiwan (b = 1, its only optimum):
      taiwan 2,000, korea short in all 3 periods 3,000: 2,500, vss_default_scenario = 500.
    - The EV problem needs 5 in each theater: cost 1,500 + 500 (1 - b) + 500 (1 - a)
      + 500 (1 - a - c) with c = 1 - a - b leaving in period 2: 2,500 - 500 a, only optimum
      a = 1: the hedged plan itself, EEV = RP, VSS = 0.
    """
    path = write_model(two_theaters(), tmp_path)
    result = hedge(path, "war")
    assert result.expected_alone == pytest.approx(1500.0, abs=1e-4)
    assert result.hedged_objective == pytest.approx(2000.0, abs=1e-4)
    assert result.evpi == pytest.approx(500.0, abs=1e-4)
    assert result.vss_default_scenario == pytest.approx(500.0, abs=1e-3)
    assert result.vss == pytest.approx(0.0, abs=1e-3)
    for m, x in zip(result.members, result.hedged_x, strict=True):
        assert x[m.first_stage["deploy[f,korea,1]"]] == pytest.approx(1.0, abs=1e-7)
        assert x[m.first_stage["deploy[f,taiwan,1]"]] == pytest.approx(0.0, abs=1e-7)


def test_first_stage_is_every_column_of_periods_1_to_k(tmp_path: Path) -> None:
    """The first stage is derived from each column's period, not from a list of families:
    every family with a period key has its periods 1..K in it, shortfalls never do."""
    from rsoi.analysis.hedge import first_stage_columns, load_members

    _, _, members = load_members(write_model(two_theaters(), tmp_path), "war")
    lp = members[0].lp
    first = first_stage_columns(lp, 1)
    families = {k.split("[", 1)[0] for k in first}
    for family, block in lp.variables.items():
        has_period = "period" in block.index.columns and (block.index["period"] <= 1).any()
        wanted = has_period and not family.endswith("_shortfall")
        assert (family in families) == wanted, family
    assert {"deploy", "force_home", "flow", "inventory"} <= families


def test_a_decision_one_member_cannot_use_is_taken_nowhere(tmp_path: Path) -> None:
    """Issue 16 item 2: in 'north' route a->b takes 3 periods, so it has no a->b flow at all
    (nothing would arrive within the 3 periods); flow[ab,ammo,rok,1] is unusable, fixed to 0 in
    every member and in both reference plans.

    - RP: with v sent a->c in period 1, south pays 100 v (lost) + (100 - v) (late, a->b in
      period 2); north (100 - v) (late, a->c in period 2). Expected 100 + 49 v: v = 0, 100.
      WS = 0, EVPI = 100.
    - The default (south) plan in the common space: u = 0 forced; its only optimum v = 0
      (100 late): in north 100 late too: EEV 100, vss_default_scenario = 0 (>= 0: before this
      fix the south plan was evaluated with u = 100 in south and dropped in north, -100).
    - EV: 50 needed at b and at c; the only optimum sends v = 50 on time and 50 late to b:
      fixed v = 50, south pays 5,000 (lost at c) + 50 (late), north 50 (late): EEV 2,550,
      VSS = 2,450.
    """
    data = two_ports()
    data["scenarios"]["north"]["overrides"]["routes"] = {"ab": {"transit_periods": 3}}
    path = write_model(data, tmp_path)
    result = hedge(path, "coin")
    assert "flow[ab,ammo,rok,1]" in result.missing
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-4)
    assert result.evpi == pytest.approx(100.0, abs=1e-4)
    assert result.default.plan["flow[ab,ammo,rok,1]"] == 0.0
    assert result.vss_default_scenario == pytest.approx(0.0, abs=1e-3)
    assert result.vss == pytest.approx(2450.0, abs=1e-3)
    south = result.members[0]
    assert result.hedged_x[0][south.first_stage["flow[ab,ammo,rok,1]"]] == 0.0


def test_standard_vss_uses_the_expected_value_problem(tmp_path: Path) -> None:
    """Issue 16 item 3: P(south) = 0.9. With u, v the tons sent a->b and a->c in period 1:

    - RP: 0.9 [(100 - u - v) + 100 v] + 0.1 [(100 - u - v) + 100 u] = 100 + 9 u + 89 v:
      u = v = 0, RP = 100.
    - EV problem: 90 t needed at b, 10 t at c; only optimum u = 90, v = 10. Fixed: south is
      10 t short at b (1,000), north 90 t short at c (9,000): EEV = 0.9 * 1,000 + 0.1 * 9,000
      = 1,800, VSS = 1,700.
    - Default (south) plan u = 100: south 0, north 10,000: 1,000, vss_default_scenario = 900
      (the figure reported as the VSS before).
    """
    data = two_ports()
    members = data["scenario_sets"]["coin"]["members"]
    members[0]["probability"], members[1]["probability"] = 0.9, 0.1
    result = hedge(write_model(data, tmp_path), "coin")
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-4)
    assert result.ev.objective == pytest.approx(0.0, abs=1e-6)
    assert result.ev.eev == pytest.approx(1800.0, abs=1e-3)
    assert result.vss == pytest.approx(1700.0, abs=1e-3)
    assert result.vss_default_scenario == pytest.approx(900.0, abs=1e-3)


def test_ties_take_the_least_cost_optimal_plan(tmp_path: Path) -> None:
    """Issue 16 item 4: 200 t at a. South alone is optimal with any u in [100, 200] and
    v in [0, 200 - u]; fixed in north, such a plan costs 100 (100 - v) per ton short at c:
    vss_default_scenario anywhere in [0, 5,000] by the vertex HiGHS returns. The EV problem
    (50 t at each port) is optimal for u, v >= 50, u + v <= 200; EEV from 0 (u = v = 100)
    to 2,500 (u = 150, v = 50). RP = 0 (ship 100 t to each). The documented tie-break (least
    expected cost among the optima) picks u = v = 100 for both: both VSS figures 0."""
    data = two_ports()
    data["stocks"][0]["quantity"] = 200
    result = hedge(write_model(data, tmp_path), "coin")
    assert result.hedged_objective == pytest.approx(0.0, abs=1e-4)
    for figure in (result.ev, result.default):
        assert figure.eev == pytest.approx(0.0, abs=1e-3)
        assert figure.plan["flow[ab,ammo,rok,1]"] == pytest.approx(100.0, abs=1e-4)
        assert figure.plan["flow[ac,ammo,rok,1]"] == pytest.approx(100.0, abs=1e-4)
    assert result.vss == pytest.approx(0.0, abs=1e-3)
    assert result.vss_default_scenario == pytest.approx(0.0, abs=1e-3)


def test_ladder_set_is_the_whole_grid_with_a_source_per_weight() -> None:
    """Issue 16 item 5: the ladder set is the grid of China's five rungs x North Korea's three
    timings (15 cells), so it includes both "attacks on bases plus a North Korean war" cells
    (the costliest), and each weight is P(rung) x P(timing | rung) with its own source. By
    hand: invasion with base attacks 0.08 x simultaneous 0.30 = 0.024, x sequential 0.20 =
    0.016; gray zone 0.25 x none 0.70 = 0.175; the 15 products sum to 1."""
    from rsoi.model.loader import load_model, read_yaml
    from tests.helpers import SHIPPED

    doc = read_yaml(SHIPPED)
    spec = load_model(SHIPPED, use_default=False, document=doc).spec
    ladder = {m.scenario: m for m in spec.scenario_sets["ladder_korea_timing"].members}
    rungs = ["gray_zone", "blockade", "missile_strikes", "invasion", "invasion_base_attacks"]
    cells = {
        (r if t == "none" else f"{r}_korea_{t}") for r in rungs
        for t in ("none", "simultaneous", "sequential")
    }  # fmt: skip
    assert set(ladder) == cells
    assert ladder["invasion_base_attacks_korea_simultaneous"].probability == pytest.approx(0.024)
    assert ladder["invasion_base_attacks_korea_sequential"].probability == pytest.approx(0.016)
    assert ladder["gray_zone"].probability == pytest.approx(0.175)
    for name, member in ladder.items():
        timing = load_model(SHIPPED, name, document=doc).spec.events.korea_conflict.timing.value
        assert member.source and f"timing {timing} " in member.source, name


def test_progressive_hedging_names_are_the_same_in_every_member(tmp_path: Path) -> None:
    """Issue 16 (PH names): in 'north' road a->b takes 2 periods, so north's LP lacks a
    flow column that south has and every later column shifts by one position (north's
    flow[ac,ammo,rok,1] is column 1, south's column 2): nonanticipative names taken from column
    positions mismatch and mpi-sppy stops. Names from the index tuple do not. By hand the
    problem is the first test's (north never needs b): hedged objective 100 (ship nothing in
    period 1), so PH's certified bounds bracket 100 within 1% (rho:
    test_price_scale_rho_is_price_over_spread)."""
    from rsoi.analysis.hedge import load_members

    data = two_ports()
    data["scenarios"]["north"]["overrides"]["routes"] = {"ab": {"transit_periods": 2}}
    path = write_model(data, tmp_path)
    _, _, members = load_members(path, "coin")
    south, north = members
    assert south.first_stage["flow[ac,ammo,rok,1]"] != north.first_stage["flow[ac,ammo,rok,1]"]
    ph = hedge(path, "coin", method="ph")
    info = ph.ph_info
    assert info["lower_bound"] <= 100.0 + 1e-6 and info["upper_bound"] >= 100.0 - 1e-6
    assert info["rel_gap"] <= 0.01 and ph.hedged_objective == pytest.approx(100.0, rel=0.01)


def test_progressive_hedging_hub_and_two_spokes_across_processes(tmp_path: Path) -> None:
    """`mpiexec -n 3 python -m mpi4py -m rsoi hedge --method ph` (mpich and mpi4py wheels from
    the test extras, so this runs wherever the tests do; it is not skipped): mpi-sppy's wheel
    puts the PH hub, the Lagrangian spoke and the xhat spoke on one rank each, the hub stops
    on the spokes' certified gap, and rank 0 alone writes the folder. The case of
    test_progressive_hedging_agrees_with_extensive_form with P = 0.5 each: 6000 - 60 s + 50 s
    over s = u + v in [0, 100] is least at s = 100: 5,000 (the extensive form's objective),
    bracketed by the bounds within 1%."""
    import os
    import shutil
    import subprocess
    import sys

    import mpi4py  # noqa: F401  (the test extras install it; a missing one is a failure)

    mpiexec = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which(
        "mpiexec"
    )
    assert mpiexec, "no mpiexec: install the test extras (pip install -e '.[test]': mpich wheel)"
    data = two_ports()
    data["settings"]["lateness_weight"] = 60.0
    path = write_model(data, tmp_path)
    ef = hedge(path, "coin")
    assert ef.hedged_objective == pytest.approx(5000.0, abs=1e-6)
    out = tmp_path / "ph"
    cwd = tmp_path / "planner"  # where the planner stands: mpi-sppy must not write there
    cwd.mkdir()
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    proc = subprocess.run(
        [mpiexec, "-n", "3", sys.executable, "-m", "mpi4py", "-m", "rsoi", "hedge", str(path),
         "--set", "coin", "--method", "ph", "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env, cwd=cwd,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(p.name for p in cwd.iterdir()) == []  # no hub.log, xhatclp.log, ...
    summary = json.loads((out / "hedge_summary.json").read_text())
    info = summary["progressive_hedging"]
    assert info["cylinders"] == "hub+lagrangian+xhatshuffle"
    # the Lagrangian spoke's bound is the lower bound; the xhat spoke found a plan
    assert info["lower_bound"] == pytest.approx(info["spoke_outer_bound"])
    assert info["upper_bound"] - 1e-6 <= info["spoke_inner_bound"] <= 1.01 * ef.hedged_objective
    assert info["lower_bound"] <= ef.hedged_objective + 1e-6 <= info["upper_bound"] + 2e-6
    assert info["rel_gap"] <= 0.01 and info["gap_reached"] and info["hedged"]
    hedged = summary["hedged_objective"]
    assert abs(hedged - ef.hedged_objective) <= info["rel_gap"] * abs(ef.hedged_objective) + 1e-6
    assert proc.stdout.count("hedge folder:") == 1  # rank 0 alone writes and prints


def test_optimal_face_is_every_optimum_and_nothing_else() -> None:
    """The tie-break's optimal face, by hand: min x1 + x2 + x3 s.t. x1 + x2 >= 1 (row r),
    x1 - x3 <= 5 (row q), 0 <= x <= 1. Optimum 1; its optima are x1 + x2 = 1, x3 = 0 (x3 has
    reduced cost 1, r has dual 1, q dual 0). On the face, min x1 is 0 and max x1 is 1 (the
    whole segment is kept), x3 is 0 and x1 + x2 is 1 in every point; row q stays free."""
    import numpy as np
    import pandas as pd

    from rsoi.analysis.hedge import _append_lp, optimal_face
    from rsoi.lp.highs_io import make_highs, read_point
    from rsoi.lp.interrupt import run_highs
    from rsoi.lp.program import LinearProgram

    lp = LinearProgram()
    lp.add_variables("x", pd.DataFrame({"i": [1, 2, 3]}), 0.0, 1.0)
    lp.add_constraints("r", pd.DataFrame({"n": [0]}), [0, 0], [0, 1], [1.0, 1.0], 1.0)
    lp.add_constraints("q", pd.DataFrame({"n": [0]}), [0, 0], [0, 2], [1.0, -1.0], upper=5.0)
    lp.add_objective("cost", np.arange(3), np.ones(3))
    h = make_highs(lp, None, "simplex")
    run_highs(h)
    face = optimal_face(lp, read_point(h))
    lo, up = face.bounds()
    assert (lo[2], up[2]) == (0.0, 0.0)
    row_lo, row_up = face.row_bounds()
    assert row_lo[0] == pytest.approx(1.0) and row_up[0] == pytest.approx(1.0)
    assert np.isinf(row_lo[1]) and row_up[1] == 5.0
    for sense, want in ((1.0, 0.0), (-1.0, 1.0)):  # min x1, then max x1, over the face
        probe = LinearProgram()
        _append_lp(probe, "face", face, 0.0)  # the face's rows and bounds, no objective
        probe.add_objective("probe", np.array([0]), np.array([sense]))
        hp = make_highs(probe, None, "simplex")
        run_highs(hp)
        x = read_point(hp).col_value
        assert x[0] == pytest.approx(want, abs=1e-9)
        assert x[0] + x[1] == pytest.approx(1.0, abs=1e-9)


def test_progressive_hedging_tries_each_members_plan(tmp_path: Path) -> None:
    """Route a->b is closed in 'north', so every first stage has u = 0 there. By hand:
    - RP: with v the tons sent a->c in period 1 (u = 0), south is short v at b (100 per ton)
      and late 100 - v (1 per ton), north late 100 - v: 0.5 (100 v + 100 - v) + 0.5 (100 - v)
      = 100 + 49 v, least at v = 0: RP = 100.
    - PH's average first stage (u = 50, v = 50 after its first solves) cannot pass in north
      until PH has converged, and neither can the reference plans (south's u = 100; the EV
      problem's u = v = 50). North's own plan (u = 0, v = 100) passes in both: expected
      0.5 * 10,000 + 0.5 * 0 = 5,000.
    Two PH iterations do not converge, so the upper bound is north's plan (or better), never
    'no plan found'; it is at least RP."""
    data = two_ports()
    data["scenarios"]["north"]["overrides"]["routes"] = {"ab": {"capacity_t_per_day": 0}}
    path = write_model(data, tmp_path)
    assert hedge(path, "coin").hedged_objective == pytest.approx(100.0, abs=1e-6)
    ph = hedge(path, "coin", method="ph", ph_options={"PHIterLimit": 2})
    info = ph.ph_info
    assert 100.0 - 1e-6 <= info["upper_bound"] <= 5000.0 + 1e-6
    assert ph.hedged_objective == pytest.approx(info["upper_bound"], abs=1e-6)
    # the lower bound is at least WS = 0 (both members alone: 0) and at most RP = 100
    assert ph.expected_alone - 1e-6 <= info["lower_bound"] <= 100.0 + 1e-6


def test_price_scale_rho_is_price_over_spread() -> None:
    """Issue 16 (rho): rho_i = RHO_SCALE * price_i / spread_i. By hand, two members (p = 0.5).
    Column x enters row 1 with 1 and row 2 with -2; member A's shadow prices (3, 1) price it
    3 + 2 = 5, member B's (1, 0) price it 1: price 3. Their own plans are 10 and 30: spread
    0.5 * 10 + 0.5 * 10 = 10, so rho_x = RHO_SCALE * 3 / 10. Column u enters row 1 with 1
    (price 0.5 * 3 + 0.5 * 1 = 2) and both plans put it at 0.2: spread 0 is floored at
    0.05 * max(1, 0.2) = 0.05, so rho_u = RHO_SCALE * 2 / 0.05 = RHO_SCALE * 40."""
    from types import SimpleNamespace

    import numpy as np
    import scipy.sparse as sp

    from rsoi.analysis.ph import RHO_SCALE, price_scale_rho

    A = sp.csc_matrix(np.array([[1.0, 1.0], [-2.0, 0.0]]))
    lp = SimpleNamespace(matrix_csc=lambda: A, n_rows=2)
    first = {"x[1]": 0, "u[1]": 1}
    members = [
        SimpleNamespace(probability=0.5, lp=lp, first_stage=first, alone_row_dual=np.array(y))
        for y in ([3.0, 1.0], [1.0, 0.0])
    ]
    alone = [(None, 0.0, np.array([10.0, 0.2])), (None, 0.0, np.array([30.0, 0.2]))]
    rho = price_scale_rho(members, ["x[1]", "u[1]"], alone)
    assert rho == pytest.approx([RHO_SCALE * 0.3, RHO_SCALE * 40.0])


def test_lagrangian_bound_is_finite_for_any_weights() -> None:
    """Issue 16 (certified gap): on the shipped rheostat_poll set a force may swing korea to
    taiwan and back within one period (zero swing lag), a cycle no row bounds, so weights
    that price it below 0 made every Lagrangian subproblem unbounded and the lower bound never
    left WS. With implied_upper's bounds every subproblem has an optimum, for weights of any
    sign and size; and they cut off no member's optimum: at W = 0 the bound is WS exactly."""
    import numpy as np

    from rsoi.analysis.hedge import load_members, shared_keys, solve_alone
    from rsoi.analysis.ph import Bounds
    from tests.helpers import SHIPPED

    _, _, members = load_members(SHIPPED, "rheostat_poll")
    keys, missing = shared_keys(members)
    alone = solve_alone(members)
    bounds = Bounds(members, keys, missing, alone)
    ws = bounds.lower
    zero = {m.name: np.zeros(len(keys)) for m in members}
    assert bounds.lagrangian(zero) == pytest.approx(ws, rel=1e-9)
    rng = np.random.default_rng(16)
    for scale in (1e3, 1e6):
        weights = {m.name: rng.normal(0.0, scale, len(keys)) for m in members}
        assert np.isfinite(bounds.lagrangian(weights))
