"""Tiny models for hand-solved LP tests: two places, one commodity, three periods.

`tiny()` returns a minimal valid model dict with every policy switched off, no transport cost
and 1-day periods, so each test adds just the feature it checks and works the optimum out
by hand.
"""

from __future__ import annotations

import copy
from pathlib import Path

from rsoi.pipeline import Run, run_model
from tests.helpers import small_model, write_yaml

# SMALL (tests/helpers.py) with: 3 periods, a and b ~1,440 km apart (so lags can be worked
# out), a 1000 t/day road with a 1-period lag, 100 t at a, no demand, ROK level rear_area.
BASE: dict = small_model(
    horizon={"periods": 3, "period_days": 1},
    places=[
        {"id": "a", "kind": "depot", "country": "KR", "theater": "korea", "lon": 127.0, "lat": 36.0,
         "source": "test"},
        {"id": "b", "kind": "seaport", "country": "TW", "theater": "taiwan", "lon": 121.0, "lat": 24.0,
         "source": "test"},
    ],
    routes=[
        {"id": "ab", "origin": "a", "destination": "b", "mode": "road", "capacity_t_per_day": 1000,
         "transit_periods": 1, "distance_km": 100, "source": "test"},
    ],
    commodities=[
        {"id": "ammo", "name": "Ammunition", "unit": "short tons", "short_tons_per_unit": 1,
         "source": "test"},
    ],
    stocks=[{"place": "a", "commodity": "ammo", "quantity": 100, "source": "test"}],
    demands=[],
    events={"china_action": "invasion"},
)  # fmt: skip
BASE["modes"]["air"].update(speed_km_per_day=1000, sorties_per_slot_per_day=2)
BASE["policies"]["rok_support"]["level"] = "rear_area"
BASE["policies"]["troop_floor"].update(troops=0)


def tiny(**sections) -> dict:
    """A deep copy of BASE with top-level sections replaced by `sections`."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(sections))
    return data


def demand(
    quantity: float,
    ead: int,
    lad: int,
    place: str = "b",
    priority: str = "taiwan_support",
    commodity: str = "ammo",
    id: str = "d1",
) -> dict:
    return {
        "id": id,
        "place": place,
        "commodity": commodity,
        "quantity": quantity,
        "ead": ead,
        "lad": lad,
        "priority": priority,
        "source": "test",
    }


def force(id: str, **fields) -> dict:
    base = {
        "id": id,
        "name": id,
        "nation": "US",
        "branch": "air",
        "assignment": "follow_on",
        "home": "a",
        "theaters": ["korea", "taiwan"],
        "combat_power": 10,
        "speed_km_per_day": 1000,  # a->b ~1,440 km: arrival and swing lag floor(1.44+0.5) = 1
        "source": "test",
    }
    base.update(fields)
    return base


def write_model(data: dict, folder: Path, name: str = "model.yaml") -> Path:
    return write_yaml(folder / name, data)


def solve_dict(data: dict, folder: Path, scenario: str | None = None) -> Run:
    """Write `data` as YAML and solve it in memory."""
    return run_model(write_model(data, folder), scenario)


def value(run: Run, family: str, **keys) -> float:
    """Sum of a variable family's values over index rows matching `keys`."""
    block = run.lp.variables[family]
    mask = None
    for column, wanted in keys.items():
        hit = block.index[column].astype(str) == str(wanted)
        mask = hit if mask is None else mask & hit
    ids = block.ids if mask is None else block.ids[mask.to_numpy()]
    return float(run.solution.x[ids].sum())


def dual(run: Run, name: str) -> float:
    """Shadow price of one named constraint, e.g. 'route_capacity[ab,1]'."""
    frame = run.tables.duals
    row = frame[frame["constraint"] == name]
    assert len(row) == 1, f"no constraint named {name}"
    return float(row["shadow_price"].iloc[0])
