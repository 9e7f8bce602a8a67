"""Every LP column as the checker derives it: cost, bounds, value and coefficients per row.

Used for the dual conditions of duals.csv (``DualChecks.check_reduced_costs``): the reduced cost
d_j = c_j - sum_i a_ij y_i of every column, from the model's coefficients (the math in the
``define_*`` docstrings of rsoi.lp.build) and the shadow prices listed. Derived here, in plain
loops, never from the builder.

A column's value is known when a table reports it (flows, inventory, production, deliveries,
shortfalls, allocations, shares, home shares); deploy, swing and share-change columns are not
reported, so only their sign condition (d >= 0 at the lower bound 0) is checked.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from rsoi.model.schema import ConstraintMode, Mode, TaskKind
from rsoi.results.check.derive import access_task, derive_force_lags
from rsoi.results.check.rows import ENABLING_TASKS, RowSpec


@dataclass
class Columns:
    """Columns in a flat form: per column item, cost, value (nan: unknown), upper bound; per
    coefficient the column, row name and value."""

    items: list[np.ndarray] = field(default_factory=list)
    cost: list[np.ndarray] = field(default_factory=list)
    value: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    term_col: list[np.ndarray] = field(default_factory=list)
    term_row: list[np.ndarray] = field(default_factory=list)
    term_coef: list[np.ndarray] = field(default_factory=list)
    n: int = 0

    def add(self, item: str, cost: float, value: float, upper: float, terms) -> None:
        """One column; `terms` is a list of (row name, coefficient)."""
        self.add_block(
            np.array([item], dtype=object), np.array([cost]), np.array([value]),
            np.array([upper]),
            np.zeros(len(terms), np.int64),
            np.array([r for r, _ in terms], dtype=object),
            np.array([c for _, c in terms], dtype=float),
        )  # fmt: skip

    def add_block(self, items, cost, value, upper, local_col, rows, coefs) -> None:
        self.items.append(np.asarray(items, dtype=object))
        self.cost.append(np.asarray(cost, dtype=float))
        self.value.append(np.asarray(value, dtype=float))
        self.upper.append(np.asarray(upper, dtype=float))
        self.term_col.append(np.asarray(local_col, dtype=np.int64) + self.n)
        self.term_row.append(np.asarray(rows, dtype=object))
        self.term_coef.append(np.asarray(coefs, dtype=float))
        self.n += len(items)

    def arrays(self):
        def cat(parts, dtype):
            return np.concatenate(parts) if parts else np.zeros(0, dtype)

        return (
            cat(self.items, object), cat(self.cost, float), cat(self.value, float),
            cat(self.upper, float), cat(self.term_col, np.int64), cat(self.term_row, object),
            cat(self.term_coef, float),
        )  # fmt: skip


class ColumnSpec(RowSpec):
    """The LP's columns derived from the model and the run's tables."""

    def columns(self, flows) -> Columns:
        """Every column of the LP (built once per check)."""
        cached = getattr(self, "_columns", None)
        if cached is not None:
            return cached
        cols = Columns()
        self._flow_columns(flows, cols)
        self._network_columns(cols)
        self._support_columns(cols)
        self._force_columns(cols)
        self._columns = cols
        return cols

    def _flow_columns(self, f, cols: Columns) -> None:
        spec, T = self.spec, self.T
        gamma = spec.settings.transport_cost_weight
        air = spec.modes.get(Mode.air)
        per_sortie = 1.0 / air.payload_t_per_sortie if air and air.payload_t_per_sortie else None
        contested = {lane.id: lane.escort_place for lane in spec.lanes if lane.contested}
        flow_x = {(r.route, r.commodity, int(r.period)): float(r.quantity) for r in f.itertuples()}
        for r in self.routes.values():
            n = T - r.transit_periods
            if n <= 0:
                continue
            mode_cost = spec.modes[r.mode].cost_per_t_km * r.distance_km
            t = np.arange(1, n + 1)
            ts, as_ = t.astype(str), (t + r.transit_periods).astype(str)
            for k, w in self.tons.items():
                terms: list[tuple[float, str, np.ndarray]] = [
                    (1.0, f"flow_balance[{r.origin},{k},", ts),
                    (-1.0, f"flow_balance[{r.destination},{k},", as_),
                    (w, f"route_capacity[{r.id},", ts),
                    (w, f"place_throughput[{r.origin},", ts),
                    (w, f"place_throughput[{r.destination},", as_),
                ]
                if r.mode == Mode.air and per_sortie is not None:
                    terms.append((w * per_sortie, f"airfield_mog[{r.origin},", ts))
                    terms.append((w * per_sortie, f"airfield_mog[{r.destination},", as_))
                for place, when in ((r.origin, ts), (r.destination, as_)):
                    task = access_task(r, self.places[place])
                    if task is not None:
                        terms.append((w, f"{task}[{place},{r.theater},", when))
                if r.onward:
                    terms.append((w, f"onward_transport[{r.origin},{r.theater},", ts))
                for area in sorted({contested[x] for x in r.lanes if x in contested}):
                    terms.append((w, f"sea_lane_escort[{area},{r.theater},", ts))
                local = np.concatenate([np.arange(n)] * len(terms))
                names = np.concatenate(
                    [np.char.add(np.char.add(prefix, when), "]") for _c, prefix, when in terms]
                ).astype(object)
                coefs = np.concatenate([np.full(n, c) for c, _p, _w in terms])
                cols.add_block(
                    np.char.add(np.char.add(f"flow[{r.id},{k},", ts), "]"),
                    np.full(n, gamma * mode_cost * w if gamma > 0 else 0.0),
                    [flow_x.get((r.id, k, int(x)), 0.0) for x in t],
                    np.full(n, math.inf),
                    local, names, coefs,
                )  # fmt: skip

    def _network_columns(self, cols: Columns) -> None:
        spec, T, days = self.spec, self.T, self.days
        deliv = self.deliveries
        dx = {(r.demand, int(r.period)): float(r.quantity) for r in deliv.itertuples()}
        lam = spec.settings.lateness_weight
        for d in self.prep.demands:
            w = self.tons[d.commodity]
            for t in range(d.ead, T + 1):
                cost = lam * days * (t - d.lad) * w if lam > 0 and t > d.lad else 0.0
                terms = [
                    (f"flow_balance[{d.place},{d.commodity},{t}]", 1.0),
                    (f"demand[{d.id}]", 1.0),
                ]
                cols.add(f"delivery[{d.id},{t}]", cost, dx.get((d.id, t), 0.0), math.inf, terms)
            short = self.short.get(("demand", d.id, d.lad), 0.0)
            cols.add(
                f"demand_shortfall[{d.id}]", self.class_weight[d.priority] * w, short, math.inf,
                [(f"demand[{d.id}]", 1.0)],
            )  # fmt: skip
        inv = self.t["inventory"]
        ix = {(r.place, r.commodity, int(r.period)): float(r.quantity) for r in inv.itertuples()}
        for p, place in self.places.items():
            for k, w in self.tons.items():
                for t in range(1, T + 1):
                    terms = [(f"flow_balance[{p},{k},{t}]", 1.0)]
                    if t < T:
                        terms.append((f"flow_balance[{p},{k},{t + 1}]", -1.0))
                    if place.storage_t is not None:
                        terms.append((f"storage_capacity[{p},{t}]", w))
                    cols.add(
                        f"inventory[{p},{k},{t}]", 0.0, ix.get((p, k, t), 0.0), math.inf, terms
                    )
        gx = {(int(r.line), int(r.period)): float(r.quantity) for r in self.production.itertuples()}
        for j, line in enumerate(spec.production):
            for t in range(line.from_period, min(line.to_period or T, T) + 1):
                terms = [(f"flow_balance[{line.place},{line.commodity},{t}]", -1.0)]
                cap = line.quantity_per_day * days
                cols.add(f"production[{j},{t}]", 0.0, gx.get((j, t), 0.0), cap, terms)

    def _support_columns(self, cols: Columns) -> None:
        spec, days = self.spec, self.days
        a = self.t["allocations"]
        ax = {
            (r.provider, r.task, r.place, r.theater, int(r.period)): float(r.units_allocated)
            for r in a.itertuples()
        }
        need = {
            (q.task.value, q.place, q.theater, t)
            for q in self.prep.requirements
            for t in range(q.from_period, q.to_period + 1)
        }
        enabling = self.enabling_slots()
        maint = {p.id for p in spec.places if p.maintenance_capacity is not None}
        blocked = self.rok_blocked_tasks()
        for key in self.allocation_keys():
            u, task, place, theater, t = key
            kappa = self.providers[u].capability[TaskKind(task)]
            terms = [(f"provider_availability[{u},{t}]", 1.0)]
            if (task, place, theater, t) in need:
                terms.append((f"task_requirement[{task},{place},{theater},{t}]", kappa))
            if task == TaskKind.maintenance.value and place in maint:
                terms.append((f"maintenance_capacity[{place},{t}]", kappa))
            if task in ENABLING_TASKS and (task, place, theater) in enabling:
                terms.append((f"{task}[{place},{theater},{t}]", -days * kappa))
            if self.providers[u].nation == "ROK" and theater != "korea" and task in blocked:
                terms.append((f"policy_rok_support_level[{task}]", kappa))
            item = f"allocation[{u},{task},{place},{theater},{t}]"
            cols.add(item, 0.0, ax.get(key, 0.0), math.inf, terms)
        penalty = {t.id.value: t.penalty_weight for t in spec.tasks}
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                cost = self.class_weight[q.priority] * days * penalty[q.task.value]
                row = f"task_requirement[{q.task.value},{q.place},{q.theater},{t}]"
                cols.add(
                    f"task_shortfall[{q.id},{t}]", cost, self.short.get(("task", q.id, t), 0.0),
                    q.amount, [(row, 1.0)],
                )  # fmt: skip

    def _force_columns(self, cols: Columns) -> None:
        spec, T, days = self.spec, self.T, self.days
        _arrival, swing = derive_force_lags(spec, self.prep.coords)
        arrival = self.prep.force_arrival
        share_keys = self.share_keys()
        present = set(share_keys)
        z = getattr(self, "share_values", {})
        beta = spec.settings.apportionment_stability_weight
        floors = {fam: (p, floor) for fam, p, floor in self.floor_policies()}
        combat_rows = {(th, t) for th, t, _i, _a in self.combat_lines()}
        off_korea = [(fam, set(forces)) for fam, forces, _s in self.off_korea_rules()]
        air_rule = spec.policies.usfk_air_share.enabled and bool(self.usfk_aircraft())
        air = self.usfk_aircraft()
        korea_home = {
            f.id for f in spec.forces if f.nation == "US" and self.places[f.home].theater == "korea"
        }
        troop_rule = "policy_troop_floor" in floors
        for force, theater, t in share_keys:
            f = self.forces[force]
            terms = [(f"force_position[{force},{theater},{t}]", 1.0)]
            if (force, theater, t + 1) in present:
                terms.append((f"force_position[{force},{theater},{t + 1}]", -1.0))
            if (theater, t) in combat_rows:
                terms.append((f"combat_power[{theater},{t}]", float(f.combat_power)))
            if theater == "korea":
                if "policy_deterrence_floor" in floors:
                    terms.append((f"policy_deterrence_floor[{t}]", float(f.combat_power)))
                if troop_rule and f.nation == "US":
                    terms.append((f"policy_troop_floor[{t}]", float(f.troops)))
            else:
                for fam, forces in off_korea:
                    if force in forces:
                        terms.append((f"{fam}[{force}]", 1.0))
                if air_rule and force in air:
                    terms.append((f"policy_usfk_air_share[{t}]", float(air[force])))
            if beta > 0:
                if (force, theater, t - 1) in present:
                    terms.append((f"share_change[{force},{theater},{t},up]", -1.0))
                    terms.append((f"share_change[{force},{theater},{t},down]", 1.0))
                if (force, theater, t + 1) in present:
                    terms.append((f"share_change[{force},{theater},{t + 1},up]", 1.0))
                    terms.append((f"share_change[{force},{theater},{t + 1},down]", -1.0))
            value = z.get((force, theater, t), 0.0)
            cols.add(f"share[{force},{theater},{t}]", 0.0, value, math.inf, terms)
        home = getattr(self, "_home_share", {})
        for f in spec.forces:
            for t in range(1, T + 1):
                terms = [(f"force_home[{f.id},{t}]", 1.0)]
                if t < T:
                    terms.append((f"force_home[{f.id},{t + 1}]", -1.0))
                if troop_rule and f.id in korea_home:
                    terms.append((f"policy_troop_floor[{t}]", float(f.troops)))
                value = home.get((f.id, t), math.nan)
                cols.add(f"force_home_share[{f.id},{t}]", 0.0, value, math.inf, terms)
            for th in f.theaters:
                lag = arrival[(f.id, th)] - f.ready_period
                for t in range(f.ready_period, T - lag + 1):
                    terms = [
                        (f"force_home[{f.id},{t}]", 1.0),
                        (f"force_position[{f.id},{th},{t + lag}]", -1.0),
                    ]
                    cols.add(f"deploy[{f.id},{th},{t}]", 0.0, math.nan, math.inf, terms)
            for a_th in f.theaters:
                for b_th in f.theaters:
                    if a_th == b_th:
                        continue
                    s = swing[(f.id, a_th, b_th)]
                    first = max(arrival[(f.id, a_th)], arrival[(f.id, b_th)] - s)
                    for t in range(first, T - s + 1):
                        terms = [
                            (f"force_position[{f.id},{a_th},{t}]", 1.0),
                            (f"force_position[{f.id},{b_th},{t + s}]", -1.0),
                        ]
                        item = f"swing[{f.id},{a_th},{b_th},{t}]"
                        cols.add(item, 0.0, math.nan, math.inf, terms)
        if beta > 0:
            for force, theater, t in share_keys:
                if (force, theater, t - 1) in present:
                    terms = [
                        (f"share_change[{force},{theater},{t},up]", 1.0),
                        (f"share_change[{force},{theater},{t},down]", 1.0),
                    ]
                    item = f"share_change[{force},{theater},{t}]"
                    cols.add(item, beta, math.nan, math.inf, terms)
        short: dict[tuple[str, int, int], float] = defaultdict(float)
        for (fam, req, t), value in self.short.items():
            if fam == "combat_power":
                _, theater, line = req.split(":")
                short[(theater, t, int(line))] += value
        for theater, t, line, amount in self.combat_lines():
            c = spec.combat_requirements[line]
            cost = self.class_weight[c.priority] * c.penalty_weight * days
            cols.add(
                f"combat_shortfall[{theater},{t},{line}]", cost, short.get((theater, t, line), 0.0),
                amount, [(f"combat_power[{theater},{t}]", 1.0)],
            )  # fmt: skip
        penalty = {
            "policy_deterrence_floor": spec.policies.deterrence_floor.penalty_weight,
            "policy_troop_floor": spec.policies.troop_floor.penalty_per_troop,
        }
        for fam, (p, floor) in floors.items():
            if p.mode != ConstraintMode.elastic:
                continue
            cost = self.class_weight[p.priority] * penalty[fam] * days
            for t in range(1, T + 1):
                value = self.short.get(("policy", fam, t), 0.0)
                cols.add(f"{fam}_shortfall[{t}]", cost, value, float(floor), [(f"{fam}[{t}]", 1.0)])
