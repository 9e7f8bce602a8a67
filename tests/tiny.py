"""Tiny models for hand-solved LP tests: two places, one commodity, a few periods.

`tiny()` returns a minimal valid model dict with every policy switched off, no transport cost
and 1-day periods, so each test adds just the feature it checks and works the optimum out
by hand.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ruamel.yaml import YAML

from rsoi.pipeline import Run, run_model

TASKS = [
    ("port_access", "rear_area"),
    ("airfield_access", "rear_area"),
    ("base_security", "rear_area"),
    ("onward_transport", "rear_area"),
    ("maintenance", "rear_area"),
    ("isr", "rear_area_isr_escort"),
    ("air_maritime_protection", "rear_area_isr_escort"),
    ("sea_lane_escort", "rear_area_isr_escort"),
]

BASE: dict = {
    "name": "tiny",
    "description": "hand-solved test model",
    "horizon": {"periods": 3, "period_days": 1},
    "settings": {
        "priority_classes": [
            {"id": "korea_defense", "weight": 1000},
            {"id": "taiwan_support", "weight": 100},
            {"id": "sustainment", "weight": 10},
        ],
        "lateness_weight": 1.0,
        "transport_cost_weight": 0.0,
    },
    "theaters": [
        {"id": "korea", "name": "Korea", "anchor": "a"},
        {"id": "taiwan", "name": "Taiwan", "anchor": "b"},
    ],
    "modes": {
        "road": {"speed_km_per_day": 1000},
        "sea": {"speed_km_per_day": 1000},
        "air": {
            "speed_km_per_day": 1000,
            "payload_t_per_sortie": 10,
            "sorties_per_slot_per_day": 2,
        },
    },
    "places": [
        {
            "id": "a",
            "kind": "depot",
            "country": "KR",
            "theater": "korea",
            "lon": 127.0,
            "lat": 36.0,
            "source": "test",
        },
        {
            "id": "b",
            "kind": "seaport",
            "country": "TW",
            "theater": "taiwan",
            "lon": 121.0,
            "lat": 24.0,
            "source": "test",
        },
    ],
    "routes": [
        {
            "id": "ab",
            "origin": "a",
            "destination": "b",
            "mode": "road",
            "capacity_t_per_day": 1000,
            "transit_periods": 1,
            "distance_km": 100,
            "source": "test",
        },
    ],
    "commodities": [
        {
            "id": "ammo",
            "name": "Ammunition",
            "unit": "short tons",
            "short_tons_per_unit": 1,
            "source": "test",
        },
    ],
    "stocks": [{"place": "a", "commodity": "ammo", "quantity": 100, "source": "test"}],
    "tasks": [
        {"id": t, "name": t, "unit": "units", "min_rok_level": level, "source": "test"}
        for t, level in TASKS
    ],
    "policies": {
        "deterrence_floor": {
            "enabled": False,
            "combat_power": 0,
            "opportunistic_combat_power": 0,
            "source": "test",
        },
        "troop_floor": {"enabled": False, "troops": 0, "source": "test"},
        "usfk_ground_stays": {"enabled": False, "source": "test"},
        "usfk_air_share": {"enabled": False, "max_share": 1.0, "source": "test"},
        "rok_support": {"level": "rear_area", "source": "test"},
        "strategic_flexibility": {"allowed": True, "source": "test"},
    },
    "events": {"china_action": "invasion"},
}


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
        "speed_km_per_day": 100000,
        "source": "test",
    }
    base.update(fields)
    return base


def write_model(data: dict, folder: Path, name: str = "model.yaml") -> Path:
    path = folder / name
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    with open(path, "w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path


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
