"""The registry of constraint families: one entry per family, the only place a family is named.

Each entry gives the family's row name prefix, its index columns (the row name is
``family[key1,key2,...]`` in this order), the sense of its rows, the index column naming the
YAML entity its dual maps to, the ``define_*`` function of ``rsoi.lp.build`` that builds it, a
one-line description and, where every row cites the same thing, that fixed source.

Read by the builder (``LinearProgram.add_constraints`` refuses a family whose index or entity
differs from its entry, and ``build`` refuses a family missing here), by the checker
(``rsoi.results.check``: known families, the entity and period columns of duals.csv, the row
spec), by ``scripts/make_docs.py`` (the registry table of docs/model.md), and by ``interdict``
and the analyses' warm attack shortcut (the attack-scaled families). ``hedge`` names variable
families only (its first stage: flow, share, allocation), which this registry does not cover.
A new family is one new entry in the section of its domain.

Lives in ``rsoi.model`` because the checker may not import ``rsoi.lp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Sense = Literal["=", "<=", ">="]


@dataclass(frozen=True)
class Family:
    """One constraint family."""

    name: str
    """Row name prefix (``name[keys]``) and the family column of duals.csv."""
    index: tuple[str, ...]
    """Index columns, in row-name order."""
    sense: Sense
    """``=`` (lower = upper), ``<=`` (upper bound only) or ``>=`` (lower bound only)."""
    entity: str
    """Index column naming the YAML entity a row's dual maps to (duals.csv ``entity_kind``)."""
    builder: str
    """The ``define_*`` function of ``rsoi.lp.build`` that adds the rows."""
    doc: str
    """What a row states, in one line."""
    source: str | None = None
    """The citation every row carries, when it is fixed (None: the rows cite their entities)."""
    attack_scaled: bool = False
    """Row bounds are capacities multiplied by the attack factor of the entity (warm attack
    shortcut of the analyses; ``interdict`` removes a place by zeroing those of a place)."""

    def row_name(self, *keys: object) -> str:
        return f"{self.name}[{','.join(str(k) for k in keys)}]"

    @property
    def period_position(self) -> int | None:
        """Position of ``period`` in the index (None: the rows are not per period)."""
        return self.index.index("period") if "period" in self.index else None


PAPER = "000_5467993c79f30f39.txt"

# --- network (rsoi.lp.build.network) -------------------------------------------------------
NETWORK: list[Family] = [
    Family(
        "flow_balance", ("place", "commodity", "period"), "=", "place", "define_flow_balance",
        "stock, production, arrivals, departures and deliveries balance",
        source="flow conservation (NRMO-style network LP, GLOSSARY.md)",
    ),
    Family("demand", ("demand",), "=", "demand", "define_demand",
           "deliveries plus shortfall equal the demand line's quantity"),
    Family("route_capacity", ("route", "period"), "<=", "route", "define_route_capacity",
           "tons departing on a route per period", attack_scaled=True),
    Family("place_throughput", ("place", "period"), "<=", "place", "define_place_throughput",
           "tons arriving and departing at a place per period", attack_scaled=True),
    Family("airfield_mog", ("place", "period"), "<=", "place", "define_airfield_mog",
           "air sorties at an airfield per period (MOG)", attack_scaled=True),
    Family("storage_capacity", ("place", "period"), "<=", "place", "define_storage",
           "tons stored at a place"),
]  # fmt: skip

# --- support (rsoi.lp.build.support) -------------------------------------------------------
SUPPORT: list[Family] = [
    Family("provider_availability", ("provider", "period"), "<=", "provider",
           "define_support_allocation", "units of a provider allocated per period"),
    Family("task_requirement", ("task", "place", "theater", "period"), ">=", "place",
           "define_task_requirements", "capability assigned plus shortfall cover a requirement"),
    Family("maintenance_capacity", ("place", "period"), "<=", "place",
           "define_maintenance_capacity", "maintenance work at a facility"),
    Family("port_access", ("place", "theater", "period"), "<=", "place", "define_port_access",
           "sea tons handled need port-operations capacity",
           source=f"{PAPER}: assuring access to South Korean ports"),
    Family("airfield_access", ("place", "theater", "period"), "<=", "place",
           "define_airfield_access", "air tons handled need airfield-operations capacity",
           source=f"{PAPER}: assuring access to South Korean ports and airfields"),
    Family("onward_transport", ("place", "theater", "period"), "<=", "place",
           "define_onward_transport", "onward tons need onward-transport capacity",
           source=f"{PAPER}: transport assistance for the flow onward to Taiwan"),
    Family("sea_lane_escort", ("place", "theater", "period"), "<=", "place",
           "define_sea_lane_escort", "tons through contested lanes need escort capacity",
           source=f"{PAPER}: escort and protect ships transiting the Taiwan Strait"),
    Family("policy_rok_support_level", ("task",), "<=", "task", "define_rok_support_level",
           "ROK capability above the rheostat level is zero"),
]  # fmt: skip

# --- forces (rsoi.lp.build.forces) ---------------------------------------------------------
FORCES: list[Family] = [
    Family("force_home", ("force", "period"), "=", "force", "define_apportionment",
           "home share of a force: last period's less what leaves"),
    Family("force_position", ("force", "theater", "period"), "=", "force",
           "define_apportionment", "share in a theater: last period's plus arrivals less departures"),
    Family("share_change", ("force", "theater", "period", "direction"), ">=", "force",
           "define_apportionment_stability", "change of a share since the last period",
           source="settings.apportionment_stability_weight (tie-breaking; notional)"),
    Family("combat_power", ("theater", "period"), ">=", "theater", "define_combat_power",
           "combat power present plus shortfall meet the theater's requirement"),
]  # fmt: skip

# --- policies (rsoi.lp.build.policies) -----------------------------------------------------
POLICIES: list[Family] = [
    Family("policy_deterrence_floor", ("period",), ">=", "period", "define_deterrence_floor",
           "combat power in Korea (plus elastic shortfall) at least the floor"),
    Family("policy_troop_floor", ("period",), ">=", "period", "define_troop_floor",
           "U.S. troops physically in Korea (plus elastic shortfall) at least the floor"),
    Family("policy_usfk_ground_stays", ("force",), "<=", "force", "define_usfk_ground_stays",
           "a USFK ground force's share outside Korea is zero"),
    Family("policy_usfk_air_share", ("period",), "<=", "period", "define_usfk_air_share",
           "USFK aircraft outside Korea at most the allowed share"),
    Family("policy_strategic_flexibility", ("force",), "<=", "force",
           "define_strategic_flexibility", "a USFK force's share outside Korea is zero"),
    Family("policy_rok_joint_operations", ("force",), "<=", "force",
           "define_strategic_flexibility", "a ROK force's share outside Korea is zero"),
]  # fmt: skip

FAMILIES: list[Family] = [*NETWORK, *SUPPORT, *FORCES, *POLICIES]
"""Every constraint family the LP may have."""

BY_NAME: dict[str, Family] = {f.name: f for f in FAMILIES}
if len(BY_NAME) != len(FAMILIES):  # pragma: no cover - a registry typo
    raise RuntimeError("a constraint family is registered twice")


def family(name: str) -> Family:
    """The registry entry of `name` (KeyError: not a family)."""
    return BY_NAME[name]


def attack_scaled() -> dict[str, str]:
    """Family -> entity column for families whose bounds scale with an attack factor."""
    return {f.name: f.entity for f in FAMILIES if f.attack_scaled}
