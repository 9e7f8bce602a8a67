"""The checker's own row spec: every constraint row the model implies, with bounds and source.

Derived from the model alone (no rsoi.lp import), in plain loops, family by family; the row
names follow the registry (``rsoi.model.families``). A row the LP lacks or has in excess shows up
as a missing or unknown row of duals.csv; ``tests/test_hostile_check.py`` compares this spec with
the builder's rows, row by row, on random small models.
"""

from __future__ import annotations

import math
from collections import defaultdict

from rsoi.model.families import FAMILIES, family
from rsoi.model.schema import (
    Assignment,
    Branch,
    Mode,
    SupportLevel,
    TaskKind,
    effective_rok_level,
)
from rsoi.results.check.core import CheckerCore
from rsoi.results.check.derive import access_task

Row = tuple[str, float, float, str | None]
"""(family, lower, upper, source) of one constraint row."""

ENABLING_TASKS = (
    TaskKind.port_access.value,
    TaskKind.airfield_access.value,
    TaskKind.onward_transport.value,
    TaskKind.sea_lane_escort.value,
)


class RowSpec(CheckerCore):
    """Every row of the LP, derived from the model: names, bounds, sources."""

    def expected_rows(self) -> dict[str, Row]:
        """Constraint name -> (family, lower, upper, source) for every registered family."""
        out: dict[str, Row] = {}
        for fam in FAMILIES:
            rows = getattr(self, f"_rows_{fam.name}")()
            for name, lower, upper, source in rows:
                out[name] = (fam.name, lower, upper, source if fam.source is None else fam.source)
        return out

    # --- shared derived sets ------------------------------------------------------------------

    def enabling_slots(self) -> set[tuple[str, str, str]]:
        """(task, place, theater) of every access, onward and escort cap row the model implies."""
        contested = {lane.id: lane.escort_place for lane in self.spec.lanes if lane.contested}
        slots: set[tuple[str, str, str]] = set()
        has_flows = any(r.transit_periods < self.T for r in self.routes.values())
        for r in self.routes.values():
            for place in (r.origin, r.destination):
                task = access_task(r, self.places[place])
                if task is not None:
                    slots.add((task, place, r.theater))
            if r.onward:
                slots.add((TaskKind.onward_transport.value, r.origin, r.theater))
            if has_flows:
                for lane in r.lanes:
                    if lane in contested:
                        slots.add((TaskKind.sea_lane_escort.value, contested[lane], r.theater))
        return slots

    def task_slots(self) -> set[tuple[str, str, str]]:
        """Every (task, place, theater) a provider may be allocated to: requirements and caps."""
        contested = {lane.id: lane.escort_place for lane in self.spec.lanes if lane.contested}
        slots = {(q.task.value, q.place, q.theater) for q in self.prep.requirements}
        slots |= {s for s in self.enabling_slots() if s[0] != TaskKind.sea_lane_escort.value}
        for r in self.routes.values():  # an escort slot exists even where no flow can run
            for lane in r.lanes:
                if lane in contested:
                    slots.add((TaskKind.sea_lane_escort.value, contested[lane], r.theater))
        return slots

    def allocation_keys(self) -> list[tuple[str, str, str, str, int]]:
        """(provider, task, place, theater, period) of every allocation column the model allows:
        capability for the task, the place served, the period in the availability window."""
        if not hasattr(self, "_alloc_keys"):
            keys = []
            slots = sorted(self.task_slots())
            for u in self.spec.providers:
                serves = set(u.serves) if u.serves else {self.places[u.home].country}
                last = min(u.available_to or self.T, self.T)
                for task, place, theater in slots:
                    if TaskKind(task) not in u.capability:
                        continue
                    if place not in serves and self.places[place].country not in serves:
                        continue
                    for t in range(u.available_from, last + 1):
                        keys.append((u.id, task, place, theater, t))
            self._alloc_keys = keys
        return self._alloc_keys

    def rok_blocked_tasks(self) -> set[str]:
        return {t.id.value for t in self.spec.tasks if not self.rok_allows(t.min_rok_level)}

    def share_keys(self) -> list[tuple[str, str, int]]:
        """(force, theater, period) of every share column: from the arrival period on."""
        arrival = self.prep.force_arrival
        return [
            (f.id, th, t)
            for f in self.spec.forces
            for th in f.theaters
            for t in range(arrival[(f.id, th)], self.T + 1)
        ]

    def off_korea_rules(self) -> list[tuple[str, list[str], str | None]]:
        """(family, forces, source) of the rules 'share outside Korea is zero' in force."""
        pol = self.spec.policies
        rules: list[tuple[str, list[str], str | None]] = []
        usfk = [f.id for f in self.spec.forces if f.assignment == Assignment.usfk]
        if pol.usfk_ground_stays.enabled:
            ground = [f for f in usfk if self.forces[f].branch == Branch.ground]
            rules.append(("policy_usfk_ground_stays", ground, pol.usfk_ground_stays.source))
        withdrawn = pol.rok_support.none_withdraws_flexibility and (
            effective_rok_level(self.spec) == SupportLevel.none
        )
        if not pol.strategic_flexibility.allowed or withdrawn:
            rules.append(("policy_strategic_flexibility", usfk, pol.strategic_flexibility.source))
        if not self.rok_allows(SupportLevel.joint_operations):
            rok = [f.id for f in self.spec.forces if f.nation == "ROK"]
            rules.append(("policy_rok_joint_operations", rok, pol.rok_support.source))
        return rules

    def usfk_aircraft(self) -> dict[str, float]:
        return {
            f.id: f.aircraft
            for f in self.spec.forces
            if f.assignment == Assignment.usfk and f.branch == Branch.air
        }

    def combat_lines(self) -> list[tuple[str, int, int, float]]:
        """(theater, period, line, amount) of every active combat-power requirement."""
        action = self.spec.events.china_action
        out = []
        for i, c in enumerate(self.spec.combat_requirements):
            for t in range(1, self.T + 1):
                amount = c.amount_by_ladder.get(action, 0.0)
                if self.prep.korea_start is not None and t >= self.prep.korea_start:
                    amount += c.korea_conflict_amount
                if amount > 0:
                    out.append((c.theater, t, i, amount))
        return out

    def floor_policies(self) -> list[tuple[str, object, float]]:
        """(family, policy, floor) of the enabled Korea floors."""
        pol = self.spec.policies
        det = pol.deterrence_floor
        floors = [
            (
                "policy_deterrence_floor",
                det,
                det.opportunistic_combat_power
                if det.north_korea_opportunistic
                else det.combat_power,
            ),
            ("policy_troop_floor", pol.troop_floor, pol.troop_floor.troops),
        ]
        return [(name, p, floor) for name, p, floor in floors if p.enabled]

    # --- one method per family (named _rows_<family>) -------------------------------------------

    def _rows_flow_balance(self):
        stock: dict[tuple[str, str], float] = defaultdict(float)
        for s in self.spec.stocks:
            stock[(s.place, s.commodity)] += s.quantity
        fam = family("flow_balance")
        for p in self.places:
            for k in self.tons:
                for t in range(1, self.T + 1):
                    rhs = stock.get((p, k), 0.0) if t == 1 else 0.0
                    yield fam.row_name(p, k, t), rhs, rhs, None

    def _rows_demand(self):
        for d in self.prep.demands:
            yield f"demand[{d.id}]", d.quantity, d.quantity, d.source

    def _rows_route_capacity(self):
        source_of = {r.id: r.source for r in self.spec.routes}
        for r in self.routes.values():
            for t in range(1, self.T - r.transit_periods + 1):
                cap = float(r.capacity_t_per_period[t - 1])
                yield f"route_capacity[{r.id},{t}]", -math.inf, cap, source_of[r.id]

    def _place_rows(self, kind: str):
        air = self.spec.modes.get(Mode.air)
        for p in self.places.values():
            for t in range(1, self.T + 1):
                phi = self.phi(p.id, t)
                if kind == "throughput" and p.cargo_t_per_day is not None:
                    cap = p.cargo_t_per_day * self.days * phi
                    yield f"place_throughput[{p.id},{t}]", -math.inf, cap, p.source
                mog = air is not None and air.payload_t_per_sortie is not None
                if kind == "mog" and p.mog is not None and mog:
                    cap = p.mog * air.sorties_per_slot_per_day * self.days * phi
                    yield f"airfield_mog[{p.id},{t}]", -math.inf, cap, p.source
                if kind == "storage" and p.storage_t is not None:
                    yield f"storage_capacity[{p.id},{t}]", -math.inf, p.storage_t, p.source

    def _rows_place_throughput(self):
        return self._place_rows("throughput")

    def _rows_airfield_mog(self):
        return self._place_rows("mog")

    def _rows_storage_capacity(self):
        return self._place_rows("storage")

    def _rows_provider_availability(self):
        for u, t in sorted({(k[0], k[4]) for k in self.allocation_keys()}):
            p = self.providers[u]
            yield f"provider_availability[{u},{t}]", -math.inf, float(p.count), p.source

    def _rows_task_requirement(self):
        need: dict[str, list] = {}
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                name = f"task_requirement[{q.task.value},{q.place},{q.theater},{t}]"
                need.setdefault(name, [0.0, q.source])[0] += q.amount
        for name, (amount, source) in need.items():
            yield name, amount, math.inf, source

    def _rows_maintenance_capacity(self):
        seen = sorted(
            {(k[2], k[4]) for k in self.allocation_keys() if k[1] == TaskKind.maintenance.value}
        )
        for place, t in seen:
            p = self.places[place]
            if p.maintenance_capacity is not None:
                yield (
                    f"maintenance_capacity[{place},{t}]", -math.inf,
                    float(p.maintenance_capacity), p.source,
                )  # fmt: skip

    def _enabling_rows(self, task: str):
        for slot_task, place, theater in self.enabling_slots():
            if slot_task == task:
                for t in range(1, self.T + 1):
                    yield f"{task}[{place},{theater},{t}]", -math.inf, 0.0, None

    def _rows_port_access(self):
        return self._enabling_rows(TaskKind.port_access.value)

    def _rows_airfield_access(self):
        return self._enabling_rows(TaskKind.airfield_access.value)

    def _rows_onward_transport(self):
        return self._enabling_rows(TaskKind.onward_transport.value)

    def _rows_sea_lane_escort(self):
        return self._enabling_rows(TaskKind.sea_lane_escort.value)

    def _rows_policy_rok_support_level(self):
        blocked = self.rok_blocked_tasks()
        rok = {u.id for u in self.spec.providers if u.nation == "ROK"}
        tasks = sorted(
            {k[1] for k in self.allocation_keys() if k[0] in rok and k[3] != "korea"} & blocked
        )
        for task in tasks:
            yield (
                f"policy_rok_support_level[{task}]", -math.inf, 0.0,
                self.spec.policies.rok_support.source,
            )  # fmt: skip

    def _rows_force_home(self):
        for f in self.spec.forces:
            for t in range(1, self.T + 1):
                rhs = 1.0 if t == 1 else 0.0
                yield f"force_home[{f.id},{t}]", rhs, rhs, f.source

    def _rows_force_position(self):
        for force, theater, t in self.share_keys():
            yield f"force_position[{force},{theater},{t}]", 0.0, 0.0, self.forces[force].source

    def _rows_share_change(self):
        if self.spec.settings.apportionment_stability_weight <= 0:
            return
        keys = set(self.share_keys())
        for direction in ("up", "down"):
            for force, theater, t in self.share_keys():
                if (force, theater, t - 1) in keys:
                    name = f"share_change[{force},{theater},{t},{direction}]"
                    yield name, 0.0, math.inf, None

    def _rows_combat_power(self):
        need: dict[tuple[str, int], list] = {}
        for theater, t, line, amount in self.combat_lines():
            entry = need.setdefault((theater, t), [0.0, self.spec.combat_requirements[line].source])
            entry[0] += amount
        for (theater, t), (amount, source) in sorted(need.items()):
            yield f"combat_power[{theater},{t}]", amount, math.inf, source

    def _floor_rows(self, name: str):
        for fam, p, floor in self.floor_policies():
            if fam == name:
                for t in range(1, self.T + 1):
                    yield f"{fam}[{t}]", float(floor), math.inf, p.source

    def _rows_policy_deterrence_floor(self):
        return self._floor_rows("policy_deterrence_floor")

    def _rows_policy_troop_floor(self):
        return self._floor_rows("policy_troop_floor")

    def _off_korea_rows(self, name: str):
        theaters_of = {f.id: [th for th in f.theaters if th != "korea"] for f in self.spec.forces}
        for fam, forces, source in self.off_korea_rules():
            if fam != name:
                continue
            for force in sorted(forces):
                present = any(
                    self.prep.force_arrival[(force, th)] <= self.T for th in theaters_of[force]
                )
                if present:
                    yield f"{fam}[{force}]", -math.inf, 0.0, source

    def _rows_policy_usfk_ground_stays(self):
        return self._off_korea_rows("policy_usfk_ground_stays")

    def _rows_policy_strategic_flexibility(self):
        return self._off_korea_rows("policy_strategic_flexibility")

    def _rows_policy_rok_joint_operations(self):
        return self._off_korea_rows("policy_rok_joint_operations")

    def _rows_policy_usfk_air_share(self):
        pol = self.spec.policies.usfk_air_share
        air = self.usfk_aircraft()
        if not pol.enabled or not air:
            return
        limit = pol.max_share * sum(air.values())
        for t in range(1, self.T + 1):
            yield f"policy_usfk_air_share[{t}]", -math.inf, limit, pol.source
