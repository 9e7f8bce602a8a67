"""Synthetic benchmark theaters: valid, sized as predicted, and the same LP as the linopy baseline."""

from __future__ import annotations

import pytest

from rsoi.bench.synthetic import parse_size, size_for, synthetic_model, write_model
from rsoi.lp.build import build
from rsoi.lp.highs_io import make_highs
from rsoi.lp.prepare import prepare
from rsoi.model.families import FAMILIES
from rsoi.model.loader import load_model
from rsoi.pipeline import run_model

TINY = {"n_places": 14, "n_routes": 30, "n_commodities": 3, "n_periods": 8}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return write_model(tmp_path_factory.mktemp("syn") / "tiny.yaml", synthetic_model(**TINY))


def test_tiny_model_validates_and_solves(tiny_path):
    run = run_model(tiny_path)
    assert run.solution.status == "optimal"
    expected = {
        "flow_balance", "demand", "route_capacity", "place_throughput", "airfield_mog",
        "storage_capacity", "provider_availability", "task_requirement", "force_home", "force_position",
        "combat_power", "policy_deterrence_floor", "policy_troop_floor",
    }  # fmt: skip
    assert expected <= set(run.lp.constraints)
    # flows dominate the rest; at this tiny size the force movements (home shares, deploys,
    # swings of five forces over every period) are a large block of their own
    moves = sum(run.lp.variables[v].size for v in ("force_home", "deploy", "swing"))
    assert run.lp.variables["flow"].size > (run.lp.n_cols - moves) / 2


def test_deterministic():
    assert synthetic_model(**TINY, seed=3) == synthetic_model(**TINY, seed=3)
    assert synthetic_model(**TINY, seed=3) != synthetic_model(**TINY, seed=4)


@pytest.mark.parametrize("label", ["10k", "100k"])
def test_variable_count_matches_size_for(tmp_path, label):
    target = parse_size(label)
    params = size_for(target)
    path = write_model(tmp_path / "m.yaml", synthetic_model(**params, seed=0))
    lp, _ = build(prepare(load_model(path)))
    assert abs(lp.n_cols - target) <= 0.2 * target


def test_size_for_tiers():
    for label in ("10k", "100k", "300k", "1M"):
        assert size_for(parse_size(label))["n_routes"] > 0


def _sizes(blocks) -> dict[str, int]:
    return {name: n for name, n in blocks if n}


def assert_same_lp(prep) -> set[str]:
    """The linopy reference builds the same LP as ours: per family the same numbers of
    columns and rows, and the same optimum. Returns the (non-empty) constraint families."""
    from rsoi.bench.linopy_model import build_linopy, to_highs

    lp, _ = build(prep)
    h = make_highs(lp, None, "choose")
    h.run()
    ours = h.getInfo().objective_function_value
    m = build_linopy(prep)
    assert _sizes((k, int((v.labels >= 0).sum())) for k, v in m.variables.items()) == _sizes(
        (k, v.size) for k, v in lp.variables.items()
    )
    assert _sizes((k, int((c.labels >= 0).sum())) for k, c in m.constraints.items()) == _sizes(
        (k, c.size) for k, c in lp.constraints.items()
    )
    h2 = to_highs(m)
    h2.run()
    assert h2.getNumCol() == lp.n_cols
    assert h2.modelStatusToString(h2.getModelStatus()) == "Optimal"
    assert h2.getInfo().objective_function_value == pytest.approx(ours, rel=1e-6)
    return set(_sizes((k, c.size) for k, c in lp.constraints.items()))


def test_same_objective_as_linopy(tiny_path):
    assert "cargo_ledger" in assert_same_lp(prepare(load_model(tiny_path)))


def _units_and_ledger() -> dict:
    """tests/tiny.py with a ledgered commodity (ROK- and U.S.-owned ammunition in Korea for a
    Taiwan line) next to a class-free one (fuel for Korea), support units with a speed, one
    ``part_of`` a ROK fleet, an attacked home base (factor 0.5 from period 2), a force that
    flies from it (lag 0) and a cap on ROK forces abroad."""
    from tests.tiny import demand, force, tiny

    def unit(id: str, nation: str, capability: dict, count: float, **fields) -> dict:
        return {"id": id, "name": id, "nation": nation, "home": "a", "count": count,
                "capability": capability, "source": "test", **fields}  # fmt: skip

    def need(id: str, task: str, place: str, theater: str, amount: float) -> dict:
        return {"id": id, "task": task, "place": place, "theater": theater, "amount": amount,
                "priority": "sustainment", "source": "test"}  # fmt: skip

    def power(theater: str, priority: str) -> dict:
        return {"theater": theater, "amount_by_ladder": {"invasion": 10}, "priority": priority,
                "source": "test"}  # fmt: skip

    def item(commodity: str, quantity: float, **fields) -> dict:
        return {"place": "a", "commodity": commodity, "quantity": quantity, "source": "test",
                **fields}  # fmt: skip

    data = tiny(
        commodities=[
            {"id": k, "name": k, "unit": "short tons", "short_tons_per_unit": 1, "source": "test"}
            for k in ("ammo", "fuel")
        ],
        stocks=[item("ammo", 100), item("ammo", 50, owner="us"), item("fuel", 80)],
        demands=[demand(120, 2, 3),
                 demand(60, 1, 2, place="a", commodity="fuel", id="d2", priority="korea_defense")],
        forces=[force("navy", nation="ROK", branch="naval", assignment="rok"),
                force("wing", arrival_lag_periods={"taiwan": 0})],
        combat_requirements=[power("korea", "korea_defense"), power("taiwan", "taiwan_support")],
        providers=[
            unit("esc", "ROK", {"sea_lane_escort": 1000}, 4, serves=["a", "b"], part_of="navy",
                 speed_km_per_day=1000),
            unit("guard", "US", {"base_security": 1}, 1, serves=["b"], speed_km_per_day=1000),
            unit("mx", "US", {"maintenance": 1}, 2),
        ],
        requirements=[need("esc-b", "sea_lane_escort", "b", "taiwan", 2000),
                      need("sec-b", "base_security", "b", "taiwan", 1),
                      need("mx-a", "maintenance", "a", "korea", 2)],
        events={"china_action": "invasion", "attacks": [
            {"target": "a", "from_period": 2, "capacity_factor": 0.5, "source": "test"}]},
    )  # fmt: skip
    rok = data["policies"]["rok_support"]
    rok["level"] = "rear_area_isr_escort"
    rok["forces_abroad"] = {"max_share_by_level": {"rear_area_isr_escort": 0.5}, "source": "test"}
    return data


# what each equality case must exercise: together every registered family (a new family
# fails here until the linopy reference builds it)
ALL_FAMILIES = {f.name for f in FAMILIES}
LEVEL_NONE = {
    "policy_korean_territory", "policy_strategic_flexibility", "policy_rok_joint_operations",
    "policy_rok_support_level",
}  # fmt: skip
SHIPPED_CASES = {
    "invasion_base_attacks": ALL_FAMILIES - LEVEL_NONE - {"flow_balance"},
    "invasion_rok_none": LEVEL_NONE,
}
TINY_CASE = {
    "flow_balance", "cargo_ledger", "unit_position", "unit_station", "unit_split", "unit_launch",
    "policy_rok_forces_abroad",
}  # fmt: skip


def test_same_objective_as_linopy_units_and_ledger(tmp_path):
    from tests.tiny import write_model as write_tiny

    path = write_tiny(_units_and_ledger(), tmp_path)
    assert assert_same_lp(prepare(load_model(path))) >= TINY_CASE


@pytest.mark.parametrize("scenario", sorted(SHIPPED_CASES))
def test_same_objective_as_linopy_shipped(scenario):
    from tests.helpers import SHIPPED

    families = assert_same_lp(prepare(load_model(SHIPPED, scenario)))
    assert SHIPPED_CASES[scenario] <= families


def test_equality_cases_cover_every_family():
    assert set().union(TINY_CASE, *SHIPPED_CASES.values()) == ALL_FAMILIES
