"""Models whose optimum follows from reasoning: exact objective and the binding constraint.

Each model is the two-place SMALL model of tests/helpers.py (road a -> b, 100 t/day, lag 1,
4 one-day periods, 1000 t at a, no transport cost, class weight taiwan_support = 100) with
one feature added. Each run also passes the independent checker.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from rsoi.pipeline import run_model, write_run
from rsoi.results.check import verify_run
from tests.helpers import small_model, write_model

W_TAIWAN = 100.0


def solve(tmp_path: Path, model: dict, scenario: str | None = None) -> tuple[dict, pd.DataFrame]:
    """Solve, write, independently check; return the summary and the duals table."""
    path = write_model(tmp_path, model)
    run = run_model(path, scenario)
    folder = write_run(run, tmp_path / "run")
    verify_run(folder)
    return run.summary(), pd.read_csv(folder / "duals.csv")


def dual(duals: pd.DataFrame, name: str) -> pd.Series:
    row = duals[duals["constraint"] == name]
    assert len(row) == 1, f"{name} not in duals.csv"
    return row.iloc[0]


def test_bottleneck_route(tmp_path: Path) -> None:
    """Departures in periods 1..3 (lag 1, horizon 4): 300 of 500 t arrive; 200 t short.

    Objective = 200 t x 100; each route_capacity[a-b,t] is binding at -100 per ton.
    """
    summary, duals = solve(tmp_path, small_model())
    assert summary["objective"] == pytest.approx(200 * W_TAIWAN, rel=1e-9)
    assert summary["objective_parts"]["shortfall:taiwan_support"] == pytest.approx(20_000)
    for t in (1, 2, 3):
        row = dual(duals, f"route_capacity[a-b,{t}]")
        assert bool(row["binding"]) and row["shadow_price"] == pytest.approx(-W_TAIWAN)
        assert row["activity"] == pytest.approx(100)


def test_lateness(tmp_path: Path) -> None:
    """200 t due by period 2: 100 t arrive on time, 100 t one period late (cheaper than short).

    Objective = lateness 1 period x 100 t = 100; an extra ton of capacity in period 1 saves
    one ton-period of lateness, so route_capacity[a-b,1] has shadow price -1.
    """
    model = small_model()
    model["demands"][0].update(quantity=200, lad=2)
    summary, duals = solve(tmp_path, model)
    assert summary["objective"] == pytest.approx(100.0, rel=1e-9)
    assert summary["objective_parts"]["lateness"] == pytest.approx(100.0)
    row = dual(duals, "route_capacity[a-b,1]")
    assert bool(row["binding"]) and row["shadow_price"] == pytest.approx(-1.0)


def test_binding_troop_floor(tmp_path: Path) -> None:
    """One U.S. force (20,000 troops, combat power 10) at a; Taiwan needs 10 every period.

    A hard floor of 15,000 troops keeps 75 % in Korea, so Taiwan gets 2.5 from period 2 (the
    arrival lag is set to one period with `arrival_lag_periods`; a and b are 44 km apart and
    the swing between them takes floor(0.06 + 0.5) = 0 periods): shortfall 10 + 3 x 7.5 = 32.5
    at weight 100 -> 3250. Relaxing the floor by one troop in a period from 3 on frees
    1/20,000 of the force there: 10/20,000 x 100 = 0.05.
    """
    model = small_model(
        demands=[],
        forces=[
            {"id": "f1", "name": "wing", "nation": "US", "branch": "air",
             "assignment": "follow_on", "home": "a", "theaters": ["korea", "taiwan"],
             "troops": 20_000, "combat_power": 10, "arrival_lag_periods": {"taiwan": 1},
             "source": "test"},
        ],
        combat_requirements=[
            {"theater": "taiwan", "amount_by_ladder": {"gray_zone": 10},
             "priority": "taiwan_support", "source": "test"},
        ],
    )  # fmt: skip
    model["policies"]["troop_floor"] = {
        "enabled": True,
        "mode": "hard",
        "troops": 15_000,
        "source": "test",
    }
    summary, duals = solve(tmp_path, model)
    assert summary["objective"] == pytest.approx(32.5 * W_TAIWAN, rel=1e-9)
    for t in (3, 4):
        row = dual(duals, f"policy_troop_floor[{t}]")
        assert bool(row["binding"]) and abs(row["shadow_price"]) == pytest.approx(0.05)
        assert row["activity"] == pytest.approx(15_000)


def test_closed_strait(tmp_path: Path) -> None:
    """Two sea routes a -> b: 100 t/day through a strait, 50 t/day around it.

    Open: 3 x 150 = 450 t arrive, 50 t short -> 5,000. Closed (scenario): only the long
    route, 3 x 50 = 150 t arrive, 350 t short -> 35,000; the long route binds at -100 and
    nothing moves through the strait.
    """
    model = small_model(
        routes=[
            {"id": "strait-route", "origin": "a", "destination": "b", "mode": "sea",
             "capacity_t_per_day": 100, "transit_periods": 1, "lanes": ["strait"],
             "source": "test"},
            {"id": "long-route", "origin": "a", "destination": "b", "mode": "sea",
             "capacity_t_per_day": 50, "transit_periods": 1, "source": "test"},
        ],
        lanes=[{"id": "strait", "name": "Strait", "escort_place": "a", "source": "test"}],
        scenarios={
            "closed": {"description": "strait closed",
                       "overrides": {"lanes": {"strait": {"closed": True}}}},
        },
    )  # fmt: skip
    summary, _ = solve(tmp_path / "open", model)
    assert summary["objective"] == pytest.approx(50 * W_TAIWAN, rel=1e-9)
    summary, duals = solve(tmp_path / "closed", model, "closed")
    assert summary["scenario"] == "closed"
    assert summary["objective"] == pytest.approx(350 * W_TAIWAN, rel=1e-9)
    flows = pd.read_csv(tmp_path / "closed" / "run" / "flows.csv")
    assert set(flows["route"]) == {"long-route"}
    for t in (1, 2, 3):
        row = dual(duals, f"route_capacity[long-route,{t}]")
        assert bool(row["binding"]) and row["shadow_price"] == pytest.approx(-W_TAIWAN)
        assert dual(duals, f"route_capacity[strait-route,{t}]")["upper"] == 0
