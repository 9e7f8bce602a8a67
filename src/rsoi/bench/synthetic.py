"""Synthetic theaters for benchmarks and scaling tests (notional, deterministic given a seed).

`synthetic_model` returns a plain model dict valid under `rsoi.model.schema`; `write_model` writes it
as YAML with ruamel so a benchmark measures real YAML loading. Flow variables dominate the size:
flows = sum over routes of commodities x (periods - transit lag).

Families present: flows, inventory, production, delivery, cargo_ledger (stock in Korea is Korean-owned
and Taiwan lines may refuse it, so the commodities are ledgered), demand, route_capacity,
place_throughput, airfield_mog, storage_capacity, provider_availability, task_requirement,
port_access, airfield_access, onward_transport, force_home, force_position, combat_power,
policy_deterrence_floor, policy_troop_floor, policy_usfk_ground_stays, policy_usfk_air_share.
Left out (the generator never triggers them): flow_balance (rows only for a class-free commodity),
maintenance_capacity, sea_lane_escort (no contested lanes), the unit families (no provider
speed, ``part_of`` or attack), policy_rok_support_level / policy_rok_joint_operations (ROK level
is joint_operations), policy_strategic_flexibility (allowed). The linopy baseline
(`rsoi.bench.linopy_model`) builds every family; tests/test_synthetic.py checks it on this
model and on models that trigger the rest.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

THEATERS = (
    ("korea", "KR", (126.0, 129.5), (34.5, 38.0)),
    ("taiwan", "TW", (120.0, 122.0), (22.0, 25.3)),
    ("japan", "JP", (129.5, 141.0), (31.0, 36.0)),
)
LAND_KINDS = ("seaport", "airbase", "depot", "army_base")
MODE_SHARE = {"road": 0.35, "rail": 0.25, "sea": 0.25, "air": 0.15}
MODE_LAGS = {"road": (0, 1), "rail": (0, 1), "sea": (1, 3), "air": (0, 0)}  # inclusive range
PRIORITIES = ("korea_defense", "taiwan_support", "sustainment")
SRC = "synthetic benchmark data (notional)"


def mean_lag() -> float:
    """Expected transit lag of a generated route (periods)."""
    return sum(
        share * (lo + hi) / 2
        for (share, (lo, hi)) in ((MODE_SHARE[m], MODE_LAGS[m]) for m in MODE_SHARE)
    )


def _r(x: float) -> float:
    return float(round(x, 3))


def synthetic_model(
    n_places: int, n_routes: int, n_commodities: int, n_periods: int, seed: int = 0
) -> dict[str, Any]:
    """A valid rsoi model dict with the given sizes (places >= 12, periods >= 6)."""
    if n_places < 12 or n_periods < 6 or n_commodities < 1 or n_routes < 1:
        raise ValueError("need n_places >= 12, n_periods >= 6, n_commodities >= 1, n_routes >= 1")
    rng = np.random.default_rng(seed)
    T, K = n_periods, n_commodities

    # --- places: land places cycle through theaters and kinds; two sea areas
    places: list[dict[str, Any]] = []
    land = n_places - 2
    for i in range(land):
        theater, country, (lo0, lo1), (la0, la1) = THEATERS[i % 3]
        kind = LAND_KINDS[(i // 3) % 4]
        p: dict[str, Any] = {
            "id": f"p{i:04d}-{theater[:2]}-{kind[:3]}",
            "kind": kind,
            "country": country,
            "theater": theater,
            "lon": _r(rng.uniform(lo0, lo1)),
            "lat": _r(rng.uniform(la0, la1)),
        }
        if kind in ("seaport", "airbase"):
            p["cargo_t_per_day"] = _r(rng.uniform(20_000, 80_000))
            p["access_support_required"] = bool(theater == "korea" and rng.random() < 0.6)
        if kind == "airbase":
            p["mog"] = float(rng.integers(8, 30))
        if kind in ("depot", "seaport") or rng.random() < 0.3:
            p["storage_t"] = _r(rng.uniform(1e5, 1e6))
        p["source"] = SRC
        places.append(p)
    for j, (lon, lat) in enumerate(((124.2, 36.0), (121.0, 24.8))):
        places.append(
            {
                "id": f"sea-area-{j}",
                "kind": "sea_area",
                "country": "XS",
                "theater": "korea" if j == 0 else "taiwan",
                "lon": lon,
                "lat": lat,
                "source": SRC,
            }
        )
    by_kind: dict[str, list[int]] = {k: [] for k in LAND_KINDS}
    by_theater: dict[str, list[int]] = {t[0]: [] for t in THEATERS}
    for i, p in enumerate(places[:land]):
        by_kind[p["kind"]].append(i)
        by_theater[p["theater"]].append(i)

    # --- routes: mode first, then compatible ends
    modes = list(MODE_SHARE)
    mode_of = rng.choice(len(modes), size=n_routes, p=list(MODE_SHARE.values()))
    routes = []
    for i in range(n_routes):
        mode = modes[mode_of[i]]
        if mode in ("sea", "air"):
            pool = by_kind["seaport" if mode == "sea" else "airbase"]
        else:
            pool = by_theater[THEATERS[int(rng.integers(0, 3))][0]]
        o, d = rng.choice(pool, size=2, replace=False)
        lo, hi = MODE_LAGS[mode]
        a, b = places[o], places[d]
        route: dict[str, Any] = {
            "id": f"r{i:05d}-{mode}",
            "origin": a["id"],
            "destination": b["id"],
            "mode": mode,
            "capacity_t_per_day": _r(rng.uniform(500, 6000)),
            "distance_km": _r(rng.uniform(50, 2500)),
            "transit_periods": int(rng.integers(lo, hi + 1)),
            "source": SRC,
        }
        if a["theater"] == "korea" and b["theater"] == "taiwan" and rng.random() < 0.7:
            route["onward"] = True
        routes.append(route)

    commodities = [
        {
            "id": f"c{k:03d}",
            "name": f"commodity {k}",
            "unit": "short tons" if k % 2 else "pallets",
            "short_tons_per_unit": 1.0 if k % 2 else _r(rng.uniform(0.05, 2.0)),
            "source": SRC,
        }
        for k in range(K)
    ]
    depots = by_kind["depot"] + by_kind["seaport"][: max(1, len(by_kind["seaport"]) // 3)]
    stocks, production = [], []
    for k in range(K):
        for i in rng.choice(depots, size=min(3, len(depots)), replace=False):
            stocks.append(
                {
                    "place": places[i]["id"],
                    "commodity": f"c{k:03d}",
                    "quantity": _r(rng.uniform(1e3, 5e4)),
                    "source": SRC,
                }
            )
        i = int(rng.choice(depots))
        first = int(rng.integers(1, max(2, T // 3)))
        production.append(
            {
                "place": places[i]["id"],
                "commodity": f"c{k:03d}",
                "quantity_per_day": _r(rng.uniform(100, 3000)),
                "from_period": first,
                "to_period": int(rng.integers(first, T + 1)),
                "source": SRC,
            }
        )
    demands = []
    n_dem = max(6, (land * K) // 4)
    for j in range(n_dem):
        i = int(rng.integers(0, land))
        ead = int(rng.integers(1, max(2, T // 2)))
        demands.append(
            {
                "id": f"d{j:05d}",
                "place": places[i]["id"],
                "commodity": f"c{int(rng.integers(0, K)):03d}",
                "quantity": _r(rng.uniform(500, 20_000)),
                "ead": ead,
                "lad": int(rng.integers(ead, T + 1)),
                "priority": PRIORITIES[j % 3],
                "source": SRC,
            }
        )

    tasks = [
        {
            "id": t,
            "name": t.replace("_", " "),
            "unit": unit,
            "min_rok_level": level,
            "penalty_weight": w,
            "source": SRC,
        }
        for t, unit, level, w in (
            ("port_access", "short tons/day handled", "rear_area", 1.0),
            ("airfield_access", "short tons/day handled", "rear_area", 1.0),
            ("base_security", "battalions", "rear_area", 200.0),
            ("onward_transport", "short tons/day moved", "rear_area", 1.0),
            ("maintenance", "teams", "rear_area", 100.0),
            ("isr", "orbits", "rear_area_isr_escort", 300.0),
            ("air_maritime_protection", "units", "rear_area_isr_escort", 300.0),
            ("sea_lane_escort", "short tons/day escorted", "rear_area_isr_escort", 1.0),
        )
    ]
    korea = by_theater["korea"]
    requirements = [
        {
            "id": f"sec-{j:03d}",
            "task": "base_security",
            "place": places[i]["id"],
            "theater": "taiwan" if j % 2 else "korea",
            "amount": float(rng.integers(1, 5)),
            "from_period": int(rng.integers(1, max(2, T // 3))),
            "priority": "taiwan_support" if j % 2 else "korea_defense",
            "source": SRC,
        }
        for j, i in enumerate(korea[: max(2, min(20, len(korea) // 2))])
    ]
    home_kr = places[korea[0]]["id"]
    providers = []
    for nation, n in (("ROK", 8), ("US", 3)):
        for task, cap in (
            ("port_access", 4000.0),
            ("airfield_access", 1000.0),
            ("onward_transport", 3000.0),
            ("base_security", 1.0),
        ):
            providers.append(
                {
                    "id": f"{nation.lower()}-{task.replace('_', '-')}",
                    "name": f"{nation} {task}",
                    "nation": nation,
                    "usfk": nation == "US",
                    "home": home_kr,
                    "count": float(n * (1 + len(korea) // 40)),
                    "capability": {task: cap},
                    "source": SRC,
                }
            )
    anchors = {t[0]: places[by_theater[t[0]][0]]["id"] for t in THEATERS}
    jp_home = places[by_theater["japan"][0]]["id"]
    forces = [
        {
            "id": "usfk-ground",
            "name": "USFK ground",
            "nation": "US",
            "branch": "ground",
            "assignment": "usfk",
            "home": home_kr,
            "theaters": ["korea", "taiwan"],
            "troops": 19500.0,
            "combat_power": 30.0,
            "source": SRC,
        },
        {
            "id": "usfk-air",
            "name": "USFK air",
            "nation": "US",
            "branch": "air",
            "assignment": "usfk",
            "home": home_kr,
            "theaters": ["korea", "taiwan"],
            "troops": 7500.0,
            "combat_power": 30.0,
            "aircraft": 96.0,
            "source": SRC,
        },
        {
            "id": "fo-wing",
            "name": "Follow-on wing",
            "nation": "US",
            "branch": "air",
            "assignment": "follow_on",
            "home": jp_home,
            "theaters": ["korea", "taiwan", "japan"],
            "troops": 3000.0,
            "combat_power": 18.0,
            "aircraft": 54.0,
            "ready_period": 2,
            "speed_km_per_day": 4000.0,
            "source": SRC,
        },
        {
            "id": "fo-csg",
            "name": "Carrier group",
            "nation": "US",
            "branch": "naval",
            "assignment": "follow_on",
            "home": jp_home,
            "theaters": ["korea", "taiwan"],
            "combat_power": 40.0,
            "ready_period": 2,
            "speed_km_per_day": 900.0,
            "source": SRC,
        },
        {
            "id": "rok-army",
            "name": "ROK Army",
            "nation": "ROK",
            "branch": "ground",
            "assignment": "rok",
            "home": home_kr,
            "theaters": ["korea"],
            "combat_power": 150.0,
            "source": SRC,
        },
    ]
    return {
        "name": f"synthetic-{n_routes}r-{K}k-{T}t",
        "description": "Synthetic benchmark theater (notional, generated).",
        "notional": True,
        "horizon": {"periods": T, "period_days": 2.0, "source": SRC},
        "settings": {
            "priority_classes": [
                {"id": "korea_defense", "weight": 1000.0},
                {"id": "taiwan_support", "weight": 100.0},
                {"id": "sustainment", "weight": 10.0},
            ],
            "lateness_weight": 1.0,
            "transport_cost_weight": 1.0,
        },
        "theaters": [
            {"id": t[0], "name": t[0].title(), "anchor": anchors[t[0]], "source": SRC}
            for t in THEATERS
        ],
        "modes": {
            "sea": {"speed_km_per_day": 600.0, "cost_per_t_km": 0.0002, "source": SRC},
            "air": {
                "speed_km_per_day": 8000.0,
                "cost_per_t_km": 0.002,
                "payload_t_per_sortie": 45.0,
                "sorties_per_slot_per_day": 2.0,
                "source": SRC,
            },
            "road": {"speed_km_per_day": 400.0, "cost_per_t_km": 0.001, "source": SRC},
            "rail": {"speed_km_per_day": 500.0, "cost_per_t_km": 0.0005, "source": SRC},
        },
        "places": places,
        "lanes": [
            {
                "id": "synthetic-strait",
                "name": "Synthetic strait",
                "escort_place": "sea-area-1",
                "source": SRC,
            }
        ],
        "routes": routes,
        "commodities": commodities,
        "stocks": stocks,
        "production": production,
        "demands": demands,
        "tasks": tasks,
        "requirements": requirements,
        "providers": providers,
        "forces": forces,
        "combat_requirements": [
            {
                "theater": "korea",
                "amount_by_ladder": {"gray_zone": 200.0, "blockade": 220.0},
                "priority": "korea_defense",
                "penalty_weight": 50.0,
                "source": SRC,
            },
            {
                "theater": "taiwan",
                "amount_by_ladder": {"blockade": 60.0},
                "priority": "taiwan_support",
                "penalty_weight": 50.0,
                "source": SRC,
            },
        ],
        "policies": {
            "deterrence_floor": {
                "mode": "elastic",
                "combat_power": 170.0,
                "opportunistic_combat_power": 200.0,
                "penalty_weight": 50.0,
                "source": SRC,
            },
            "troop_floor": {"mode": "elastic", "troops": 25000.0, "source": SRC},
            "usfk_ground_stays": {"enabled": True, "source": SRC},
            "usfk_air_share": {"enabled": True, "max_share": 0.25, "source": SRC},
            "rok_support": {"level": "joint_operations", "source": SRC},
            "strategic_flexibility": {"allowed": True, "source": SRC},
        },
        "events": {"china_action": "blockade", "korea_conflict": {"timing": "none"}},
    }


# --- sizing -------------------------------------------------------------------------------

TIERS = {  # target variables -> (places, commodities, periods)
    10_000: (20, 5, 20),
    100_000: (60, 10, 30),
    300_000: (80, 15, 30),
    1_000_000: (120, 20, 40),
}


def predicted_variables(n_places: int, n_routes: int, n_commodities: int, n_periods: int) -> float:
    """Expected LP column count of `synthetic_model` (flows dominate)."""
    T, K, P = n_periods, n_commodities, n_places
    flows = n_routes * K * (T - mean_lag())
    inventory = P * K * T
    land = P - 2
    n_dem = max(6, (land * K) // 4)
    deliveries = n_dem * (T - (max(2, T // 2) / 2) + 0.5) + n_dem  # delivery + shortfall
    other = K * T / 2 + 15 * T  # production, allocation/shares/shortfalls (rough)
    other += 27 * T  # force movements: home shares, deploys, swings of the five forces
    return flows + inventory + deliveries + other


CLASSES_PER_FLOW = 2.1
"""Columns per route, commodity and period, relative to one flow: the cargo ledger (issue 15)
gives each flow its cargo classes and their inventories. Calibrated on seed 0: the 10k and
100k tiers build 10,694 and 100,399 columns."""


def size_for(target_variables: int) -> dict[str, int]:
    """Sizes (`synthetic_model` keyword arguments) for about `target_variables` columns."""
    tier = min(TIERS, key=lambda t: abs(math.log(t / max(target_variables, 1))))
    P, K, T = TIERS[tier]
    fixed = predicted_variables(P, 0, K, T)
    per_route = K * (T - mean_lag()) * CLASSES_PER_FLOW
    routes = max(1, round((target_variables - fixed) / per_route))
    return {"n_places": P, "n_routes": routes, "n_commodities": K, "n_periods": T}


def parse_size(text: str) -> int:
    """'10k' -> 10000, '1M' -> 1000000, '2500' -> 2500."""
    t = text.strip().lower()
    mult = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if mult > 1 else t) * mult)


def write_model(path: str | Path, data: dict[str, Any]) -> Path:
    """Write a model dict as YAML (ruamel, block style)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = None
    yaml.width = 4096
    path = Path(path)
    with path.open("w", encoding="utf-8") as fh:
        fh.write("# synthetic rsoi benchmark model: ALL DATA IS NOTIONAL (generated)\n")
        yaml.dump(data, fh)
    return path
