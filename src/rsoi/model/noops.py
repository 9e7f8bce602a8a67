"""Warnings for settings that change nothing ("a switch that changes no result is a bug").

Each rule names the entity and says how to make the setting count. The rules run on the
validated model with one scenario applied (``rsoi.lp.prepare`` adds them to the run's warnings,
so `validate`, `solve` and summary.json all carry them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rsoi.model.schema import Assignment, Branch, Mode, ModelSpec


def noop_warnings(spec: ModelSpec, routes: Iterable) -> list[str]:
    """Every quiet no-op in `spec`; `routes` are the prepared routes (mode, ends, lanes)."""
    routes = list(routes)
    out: list[str] = []
    pol = spec.policies

    air_share = pol.usfk_air_share
    if air_share.enabled:
        usfk_air = [
            f for f in spec.forces if f.assignment == Assignment.usfk and f.branch == Branch.air
        ]
        if not usfk_air:
            out.append(
                "policies.usfk_air_share has no effect: the model has no USFK air force "
                "(assignment usfk, branch air); disable it or add the forces"
            )
        elif sum(f.aircraft for f in usfk_air) <= 0:
            names = ", ".join(f.id for f in usfk_air)
            out.append(
                f"policies.usfk_air_share has no effect: the USFK air forces ({names}) have "
                "`aircraft` 0, so the bound counts nothing; give them their aircraft counts"
            )
    for name, floor, value in (
        ("deterrence_floor", pol.deterrence_floor, _deterrence(pol)),
        ("troop_floor", pol.troop_floor, pol.troop_floor.troops),
    ):
        if floor.enabled and value <= 0:
            out.append(
                f"policies.{name} is enabled with a floor of 0, so it has no effect; "
                "set the floor or `enabled: false`"
            )

    places = {p.id: p for p in spec.places}
    route_ids = {r.id for r in spec.routes}
    by_target: dict[str, list] = defaultdict(list)
    for attack in spec.events.attacks:
        by_target[attack.target].append(attack)
    for target, attacks in by_target.items():
        if len(attacks) > 1:
            listed = ", ".join(
                f"{a.capacity_factor:g} from period {a.from_period}" for a in attacks
            )
            out.append(
                f"events.attacks: {len(attacks)} attacks on '{target}' ({listed}): in each period "
                "the lowest factor of the attacks begun applies; factors do not multiply"
            )
        if all(a.capacity_factor >= 1 for a in attacks):
            out.append(f"events.attacks on '{target}' have capacity_factor 1: no effect")
        place = places.get(target)
        no_capacity = place is not None and place.cargo_t_per_day is None and place.mog is None
        if target not in route_ids and no_capacity:
            out.append(
                f"events.attacks on place '{target}' have no effect: an attack on a place "
                "reduces its cargo_t_per_day and MOG, and it has neither; attack its routes "
                "instead, or give it a capacity"
            )

    touched_by = defaultdict(set)
    used_lanes: set[str] = set()
    for r in routes:
        for end in (r.origin, r.destination):
            touched_by[end].add(r.mode)
        used_lanes.update(r.lanes)
    for p in spec.places:
        if p.access_support_required and not touched_by[p.id] & {Mode.sea, Mode.air}:
            out.append(
                f"place '{p.id}': access_support_required has no effect: no sea or air route "
                "touches it (port access caps sea cargo, airfield access air cargo)"
            )
    for lane in spec.lanes:
        if (lane.contested or lane.closed) and lane.id not in used_lanes:
            flag = "contested" if lane.contested else "closed"
            out.append(f"lane '{lane.id}' is {flag} but no route passes it: no effect")
    return out


def _deterrence(pol) -> float:
    floor = pol.deterrence_floor
    return (
        floor.opportunistic_combat_power if floor.north_korea_opportunistic else floor.combat_power
    )
