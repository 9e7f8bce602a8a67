"""Pre-solve scan of a validated model for coefficient ranges that strain a floating-point solver.

HiGHS works in double precision with tolerances around 1e-7; when the capacities, quantities
or objective weights of one model span more than ``MAX_RANGE`` the solver may return a plan that
is slightly infeasible or not optimal. The scan names the smallest and largest entities of each
group so the analyst can rescale units (e.g. thousands of tons) before trusting the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rsoi.model.schema import ModelSpec

MAX_RANGE = 1e9
"""Largest tolerated ratio between the biggest and smallest positive value of a group."""
TINY = 1e-9
"""Positive values below this are treated as zero by HiGHS."""


@dataclass(frozen=True)
class Value:
    """One number of the model that becomes an LP coefficient, bound or weight."""

    entity: str  # dotted path, e.g. routes[busan-kaohsiung-sea].capacity_t_per_day
    value: float


def _capacities(spec: ModelSpec) -> Iterator[Value]:
    """Right-hand sides, bounds and matrix coefficients (per period where the LP uses that)."""
    days = spec.horizon.period_days
    for r in spec.routes:
        yield Value(f"routes[{r.id}].capacity_t_per_day x period_days", r.capacity_t_per_day * days)
    for p in spec.places:
        for name in ("cargo_t_per_day", "mog"):
            v = getattr(p, name)
            if v is not None:
                yield Value(f"places[{p.id}].{name} x period_days", v * days)
        for name in ("storage_t", "maintenance_capacity"):
            v = getattr(p, name)
            if v is not None:
                yield Value(f"places[{p.id}].{name}", v)
    for c in spec.commodities:
        yield Value(f"commodities[{c.id}].short_tons_per_unit", c.short_tons_per_unit)
    for i, s in enumerate(spec.stocks):
        yield Value(f"stocks[{i}] ({s.place}/{s.commodity}).quantity", s.quantity)
    for i, g in enumerate(spec.production):
        yield Value(
            f"production[{i}] ({g.place}/{g.commodity}).quantity_per_day x period_days",
            g.quantity_per_day * days,
        )
    for d in spec.demands:
        yield Value(f"demands[{d.id}].quantity", d.quantity)
    for q in spec.requirements:
        yield Value(f"requirements[{q.id}].amount", q.amount)
    for u in spec.providers:
        yield Value(f"providers[{u.id}].count", u.count)
        for task, k in u.capability.items():
            yield Value(f"providers[{u.id}].capability.{task.value} x period_days", k * days)
    for f in spec.forces:
        for name in ("troops", "combat_power", "aircraft"):
            yield Value(f"forces[{f.id}].{name}", getattr(f, name))
    for i, c in enumerate(spec.combat_requirements):
        for rung, amount in c.amount_by_ladder.items():
            yield Value(f"combat_requirements[{i}].amount_by_ladder.{rung.value}", amount)
        yield Value(f"combat_requirements[{i}].korea_conflict_amount", c.korea_conflict_amount)
    pol = spec.policies
    if pol.deterrence_floor.enabled:
        yield Value("policies.deterrence_floor.combat_power", pol.deterrence_floor.combat_power)
        yield Value(
            "policies.deterrence_floor.opportunistic_combat_power",
            pol.deterrence_floor.opportunistic_combat_power,
        )
    if pol.troop_floor.enabled:
        yield Value("policies.troop_floor.troops", pol.troop_floor.troops)


def _weights(spec: ModelSpec, distance_km: dict[str, float]) -> Iterator[Value]:
    """Objective coefficients: class weight times the per-unit weight of each term."""
    classes = {c.id: c.weight for c in spec.settings.priority_classes}
    tons = {c.id: c.short_tons_per_unit for c in spec.commodities}
    penalty = {t.id: t.penalty_weight for t in spec.tasks}
    for d in spec.demands:
        if d.priority in classes and d.commodity in tons:
            yield Value(
                f"demands[{d.id}] shortfall weight (class x short_tons_per_unit)",
                classes[d.priority] * tons[d.commodity],
            )
    for q in spec.requirements:
        if q.task in penalty and q.priority in classes:
            yield Value(
                f"requirements[{q.id}] shortfall weight (class x task penalty_weight)",
                classes[q.priority] * penalty[q.task],
            )
    for i, c in enumerate(spec.combat_requirements):
        yield Value(
            f"combat_requirements[{i}].penalty_weight x class weight",
            c.penalty_weight * classes.get(c.priority, 1.0),
        )
    pol = spec.policies
    if pol.deterrence_floor.enabled and pol.deterrence_floor.mode.value == "elastic":
        yield Value(
            "policies.deterrence_floor.penalty_weight x class weight",
            pol.deterrence_floor.penalty_weight * classes.get(pol.deterrence_floor.priority, 1.0),
        )
    if pol.troop_floor.enabled and pol.troop_floor.mode.value == "elastic":
        yield Value(
            "policies.troop_floor.penalty_per_troop x class weight",
            pol.troop_floor.penalty_per_troop * classes.get(pol.troop_floor.priority, 1.0),
        )
    settings = spec.settings
    if settings.lateness_weight > 0:
        for k, w in tons.items():
            yield Value(
                f"settings.lateness_weight x commodities[{k}].short_tons_per_unit",
                settings.lateness_weight * w,
            )
    if settings.transport_cost_weight > 0 and tons:
        light = min(tons, key=lambda k: (tons[k], k))
        for r in spec.routes:
            km = distance_km.get(r.id, r.distance_km)
            mode = spec.modes.get(r.mode)
            if km is None or mode is None or mode.cost_per_t_km <= 0:
                continue
            yield Value(
                f"routes[{r.id}] transport cost of {light} "
                "(transport_cost_weight x cost_per_t_km x distance x short_tons_per_unit)",
                settings.transport_cost_weight * mode.cost_per_t_km * km * tons[light],
            )


def _range_warning(group: str, values: list[Value]) -> list[str]:
    positive = [v for v in values if v.value > 0]
    if not positive:
        return []
    low = min(positive, key=lambda v: (v.value, v.entity))
    high = max(positive, key=lambda v: (v.value, v.entity))
    out = []
    tiny = [v for v in positive if v.value < TINY]
    for v in tiny[:5]:
        out.append(
            f"numerics: {group}: {v.entity} = {v.value:.3g} is below {TINY:g}; "
            "the solver treats it as zero (rescale the unit)"
        )
    if high.value / low.value > MAX_RANGE:
        out.append(
            f"numerics: {group} span {high.value / low.value:.2g} (more than {MAX_RANGE:.0e}): "
            f"smallest {low.entity} = {low.value:.3g}, largest {high.entity} = {high.value:.3g}; "
            "the solver may lose accuracy: rescale units (e.g. thousands of tons)"
        )
    return out


def scan(spec: ModelSpec, distance_km: dict[str, float] | None = None) -> list[str]:
    """Warnings about coefficient ranges of a validated model (empty if all is well).

    `distance_km` (route id -> km, from `rsoi.lp.prepare`) prices routes whose distance the YAML
    leaves to the geometry; without it those routes' transport costs are not scanned.
    """
    return _range_warning("capacities and quantities", list(_capacities(spec))) + _range_warning(
        "objective weights", list(_weights(spec, distance_km or {}))
    )
