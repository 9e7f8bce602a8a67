"""The shipped model: every scenario solves, overlays inherit, and the default run answers the
planner's questions (allocations to every task, apportionment over time, onward flow, a binding
policy constraint with its shadow price)."""

from __future__ import annotations

import pytest

from rsoi.model.loader import load_model
from rsoi.model.schema import TaskKind, effective_rok_level
from rsoi.pipeline import run_model

MODEL = "models/korea_taiwan.yaml"
SCENARIOS = list(load_model(MODEL, use_default=False).spec.scenarios)


def test_at_least_ten_scenarios_with_descriptions():
    spec = load_model(MODEL, use_default=False).spec
    assert len(spec.scenarios) >= 10
    assert all(s.description.strip() for s in spec.scenarios.values())
    assert spec.default_scenario in spec.scenarios


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_solves_to_optimality(scenario):
    run = run_model(MODEL, scenario)
    assert run.solution.status == "optimal"
    assert run.solution.objective == pytest.approx(sum(run.solution.objective_parts.values()))


def test_inheritance_chain_overlays_parent_then_child():
    """invasion_korea_sequential inherits invasion: the parent's action, attacks and contested
    lanes stay; the child adds North Korea's timing."""
    spec = load_model(MODEL, "invasion_korea_sequential").spec
    assert spec.events.china_action == "invasion"
    assert [a.target for a in spec.events.attacks] == ["kaohsiung", "keelung", "taichung"]
    assert spec.events.korea_conflict.timing == "sequential"
    assert spec.events.korea_conflict.delay_periods == 10
    lanes = {lane.id: lane for lane in spec.lanes}
    assert lanes["taiwan_strait"].contested


def test_child_merges_fields_of_the_same_entity():
    """invasion_strait_closed sets `closed` on a lane whose `contested` the parent set."""
    spec = load_model(MODEL, "invasion_strait_closed").spec
    strait = next(lane for lane in spec.lanes if lane.id == "taiwan_strait")
    assert strait.contested and strait.closed
    assert spec.requirements[[q.id for q in spec.requirements].index("esc-korea-trade")].amount > 0
    assert effective_rok_level(spec) == "rear_area_isr_escort"  # the invasion rung's level


def test_closed_strait_reroutes_sea_flow():
    """Closing the Taiwan Strait sends Busan->Kaohsiung east of Taiwan: longer, strait-free."""
    open_run = run_model(MODEL, "invasion")
    closed_run = run_model(MODEL, "invasion_strait_closed")
    route = {r.id: r for r in open_run.prep.routes}["busan-kaohsiung-sea"]
    rerouted = {r.id: r for r in closed_run.prep.routes}["busan-kaohsiung-sea"]
    assert "taiwan_strait" in route.lanes
    assert "taiwan_strait" not in rerouted.lanes
    assert rerouted.distance_km > route.distance_km


@pytest.fixture(scope="module")
def default_run():
    return run_model(MODEL)


def test_default_run_allocates_every_rear_area_task(default_run):
    tasks = set(default_run.tables.allocations["task"])
    assert tasks == {t.value for t in TaskKind}


def test_default_run_apportions_forces_to_both_theaters_over_time(default_run):
    app = default_run.tables.apportionment
    used = app[app["share"] > 0]
    assert set(used["theater"]) == {"korea", "taiwan", "in_transit"}  # forces travel
    assert used["period"].nunique() == default_run.prep.T
    assert (app.groupby(["force", "period"])["share"].sum() <= 1 + 1e-9).all()


def test_default_run_moves_cargo_onward_to_taiwan(default_run):
    flows = default_run.tables.flows
    places = {p.id: p for p in default_run.prep.spec.places}  # countries filled from geodata
    onward = flows[
        (flows["theater"] == "taiwan") & flows["origin"].map(lambda p: places[p].country == "KR")
    ]
    assert onward["short_tons"].sum() > 0


def test_default_run_has_binding_policy_with_shadow_price(default_run):
    duals = default_run.tables.duals
    policy = duals[duals["family"].str.startswith("policy_") & duals["binding"]]
    assert len(policy) > 0
    assert (policy["shadow_price"].abs() > 0).all()
    assert policy["source"].str.contains("000").all()
