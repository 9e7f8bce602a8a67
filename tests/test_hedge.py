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
    - The reference plan is the default scenario 'south''s: u = 100, v = 0. Fixed in 'south'
      it costs 0; in 'north' all 100 t are at b, so 100 t short: 100 * 100 = 10,000.
      Expected 5,000; VSS = 5,000 - 100 = 4,900.
    """
    path = write_model(two_ports(), tmp_path)
    result = hedge(path, "coin")
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-6)
    assert result.expected_alone == pytest.approx(0.0, abs=1e-6)
    assert result.evpi == pytest.approx(100.0, abs=1e-6)
    assert result.reference == "south"
    assert result.expected_ref_plan == pytest.approx(5000.0, abs=1e-6)
    assert result.vss == pytest.approx(4900.0, abs=1e-6)
    assert not result.cut_back
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
    assert summary["vss"] == pytest.approx(4900.0, abs=1e-6)
    plan = (out / "hedge_plan.csv").read_text()
    # the reference plan ships 100 t a->b in period 1; the hedged plan ships nothing
    assert 'flow,"flow[ab,ammo,rok,1]",1,0,100,-100' in plan  # Korean-owned (at a)
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
    PH (mpi-sppy, on the Pyomo export) must reach the same within its tolerance."""
    data = two_ports()
    data["settings"]["lateness_weight"] = 60.0
    members = data["scenario_sets"]["coin"]["members"]
    members[0]["probability"], members[1]["probability"] = 0.9, 0.1
    path = write_model(data, tmp_path)
    ef = hedge(path, "coin")
    assert ef.hedged_objective == pytest.approx(1000.0, abs=1e-6)
    ph = hedge(path, "coin", method="ph")
    tolerance = 1e-4 * max(1.0, abs(ef.hedged_objective))  # PH convthresh 1e-6 per variable
    assert abs(ph.hedged_objective - ef.hedged_objective) <= tolerance
    assert ph.ph_info["convergence"] <= ph.ph_info["convthresh"]


def test_reference_plan_cut_back_where_it_cannot_pass(tmp_path: Path) -> None:
    """As the first test, but route a->b carries only 50 t a day in 'north'.

    - Alone: 0 in both (south ships 100 t a->b, north 100 t a->c, in period 1).
    - Hedged: u <= 50 (the shared first stage must fit north too); the expected objective
      (100 - s) + 50 s is still least at s = 0: 100, so EVPI = 100.
    - The 'south' plan (u = 100) cannot be carried out in 'north': strict VSS is infinite.
      Cut back: the most of it north allows is u = 50; with that, 50 t wait at a and reach c
      one period late (50) and 50 t are short at c (50 * 100 = 5,000): 5,050. Expected
      0.5 * 0 + 0.5 * 5,050 = 2,525; VSS cut back = 2,525 - 100 = 2,425.
    """
    data = two_ports()
    data["scenarios"]["north"]["overrides"]["routes"] = {"ab": {"capacity_t_per_day": 50}}
    path = write_model(data, tmp_path)
    result = hedge(path, "coin")
    assert result.hedged_objective == pytest.approx(100.0, abs=1e-6)
    assert result.evpi == pytest.approx(100.0, abs=1e-6)
    assert result.cut_back == ["north"]
    assert result.vss == float("inf")
    assert result.ref_plan_objective == pytest.approx([0.0, 5050.0], abs=1e-4)
    assert result.vss_cut_back == pytest.approx(2425.0, abs=1e-4)


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
