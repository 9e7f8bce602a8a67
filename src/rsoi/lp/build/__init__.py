r"""Build the rsoi LP: one ``define_*`` function per constraint family, math in its docstring.

Notation (used by every docstring; docs/model.md is generated from them):

- $t \in \{1..T\}$ periods of $\Delta$ days; $r$ routes from $o_r$ to $d_r$ with transit lag $\ell_r$;
  $k$ commodities of $w_k$ short tons per unit; $p$ places; $\theta$ theaters.
- $x_{rkt}$ flow of $k$ departing on $r$ in period $t$ (commodity units).
- $s_{pkt}$ inventory of $k$ at $p$ at the end of $t$; $s_{pk0}$ is the C-day stock.
- $y_{dt}$ delivery of demand line $d$ in period $t$; $u_d$ its shortfall.
- $a_{u\sigma t}$ units of provider $u$ allocated to slot $\sigma=(\tau, p, \theta)$ (task, place, theater).
- $z_{f\theta t}$ share of force $f$ apportioned to theater $\theta$ in period $t$.

Units of time: every rate in the input is per day (``capacity_t_per_day``,
``quantity_per_day``, ``cargo_t_per_day``, provider ``capability``, requirement ``amount``,
``maintenance_capacity``, sorties per slot per day) and so is every penalty on a level that is
short (task, combat-power and floor shortfalls, lateness per day late); the LP multiplies them by
$\Delta$ = ``horizon.period_days`` where a period total is needed. Quantities without a time unit
(demand ``quantity``, stocks, ``storage_t``, shares, transport cost per ton-km) are not scaled.

Column values below $10^{-7}$ (HiGHS's primal feasibility tolerance) are reported as exact
zeros, so no solver noise (e.g. stray flows of 1e-8 t, ``-0`` objective parts) reaches the
tables or ``summary.json``.

Every requirement is elastic (a shortfall variable with a penalty), so any scenario solves;
only policy constraints in ``mode: hard`` can make the model infeasible. Inputs that no plan
could satisfy whatever the policies (e.g. a C-day stock above the place's ``storage_t``) are
refused at validation.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import numpy as np

from rsoi.lp.build.context import Context
from rsoi.lp.build.forces import (
    define_apportionment,
    define_apportionment_stability,
    define_combat_power,
)
from rsoi.lp.build.network import (
    define_airfield_mog,
    define_demand,
    define_flow_balance,
    define_flows,
    define_inventory,
    define_place_throughput,
    define_route_capacity,
    define_storage,
)
from rsoi.lp.build.policies import (
    define_deterrence_floor,
    define_strategic_flexibility,
    define_troop_floor,
    define_usfk_air_share,
    define_usfk_ground_stays,
)
from rsoi.lp.build.support import (
    define_airfield_access,
    define_maintenance_capacity,
    define_onward_transport,
    define_port_access,
    define_rok_support_level,
    define_sea_lane_escort,
    define_support_allocation,
    define_task_requirements,
)
from rsoi.lp.prepare import Prepared
from rsoi.lp.program import LinearProgram
from rsoi.model.families import BY_NAME

FAMILIES: list[Callable[[Context], None]] = [
    define_flows,
    define_inventory,
    define_flow_balance,
    define_demand,
    define_route_capacity,
    define_place_throughput,
    define_airfield_mog,
    define_storage,
    define_support_allocation,
    define_task_requirements,
    define_maintenance_capacity,
    define_port_access,
    define_airfield_access,
    define_onward_transport,
    define_sea_lane_escort,
    define_rok_support_level,
    define_apportionment,
    define_apportionment_stability,
    define_combat_power,
    define_deterrence_floor,
    define_troop_floor,
    define_usfk_ground_stays,
    define_usfk_air_share,
    define_strategic_flexibility,
]
"""Constraint families in build order (variables are created by the first family that needs them)."""


def build(prep: Prepared) -> tuple[LinearProgram, Context]:
    """Build the LP for a prepared model."""
    lp = LinearProgram()
    spec = prep.spec
    place_ids = [p.id for p in spec.places]
    ctx = Context(
        prep=prep,
        lp=lp,
        T=prep.T,
        days=prep.days,
        place_ids=place_ids,
        place_pos={p: i for i, p in enumerate(place_ids)},
        commodity_ids=[c.id for c in spec.commodities],
        tons=np.array([c.short_tons_per_unit for c in spec.commodities]),
        route_ids=[r.id for r in prep.routes],
    )
    ctx.r_origin = np.array([ctx.place_pos[r.origin] for r in prep.routes], dtype=np.int64)
    ctx.r_dest = np.array([ctx.place_pos[r.destination] for r in prep.routes], dtype=np.int64)
    ctx.r_lag = np.array([r.transit_periods for r in prep.routes], dtype=np.int64)
    ctx.r_mode = np.array([r.mode for r in prep.routes], dtype=object)
    ctx.r_theater = np.array([r.theater for r in prep.routes], dtype=object)
    enabled = gc.isenabled()
    gc.disable()  # many small arrays, no cycles: the collector only costs time here
    try:
        for define in FAMILIES:
            define(ctx)
    finally:
        if enabled:
            gc.enable()
    check_registry(lp)
    return lp, ctx


def check_registry(lp: LinearProgram) -> None:
    """Every constraint family is registered (rsoi.model.families) with this index and entity."""
    for name, block in lp.constraints.items():
        entry = BY_NAME.get(name)
        if entry is None:
            raise RuntimeError(f"constraint family {name} is missing from rsoi.model.families")
        if tuple(block.index.columns) != entry.index or block.entity != entry.entity:
            raise RuntimeError(
                f"{name}: index {tuple(block.index.columns)} / entity {block.entity!r} differ "
                f"from the registry's {entry.index} / {entry.entity!r} (rsoi.model.families)"
            )
