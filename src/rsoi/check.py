r"""Independent solution checker: re-read a run folder and verify the plan against the model.

This module deliberately does not import ``rsoi.build``, ``rsoi.lp``, ``rsoi.solve``,
``rsoi.results`` or ``rsoi.pipeline``: it re-derives every constraint and the objective from
the model data (``rsoi.loader`` / ``rsoi.prepare``) and the CSV tables with its own code,
following the math in the ``define_*`` docstrings of ``rsoi.build``. A bug in the LP builder
therefore shows up here as a named violation instead of a silently wrong plan.

Tables omit zero rows (flows, inventory, allocations, deliveries, production); values carry
9 significant digits, so comparisons use a relative tolerance (``REL_TOL``).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rsoi.errors import CheckError, InputError, Problem
from rsoi.loader import LoadedModel, load_model
from rsoi.prepare import Prepared, prepare
from rsoi.schema import (
    SUPPORT_LEVEL_ORDER,
    Assignment,
    Branch,
    ConstraintMode,
    Mode,
    PlaceKind,
    SupportLevel,
    TaskKind,
    effective_rok_level,
)

REL_TOL = 1e-6
"""Relative tolerance of every comparison (scale: max(1, |terms|))."""
MAX_PER_FAMILY = 20
"""Violations listed per family; the rest are counted."""

TABLES: dict[str, list[str]] = {
    "flows": ["route", "commodity", "period", "arrival_period", "quantity", "short_tons"],
    "inventory": ["place", "commodity", "period", "quantity"],
    "deliveries": ["demand", "place", "commodity", "period", "quantity", "periods_late"],
    "production": ["line", "place", "commodity", "period", "quantity"],
    "allocations": [
        "provider",
        "nation",
        "task",
        "place",
        "theater",
        "period",
        "units_allocated",
        "capability_per_day",
    ],
    "apportionment": ["force", "theater", "period", "share", "combat_power", "troops"],
    "shortfalls": ["family", "requirement", "period", "required", "delivered", "shortfall"],
    "duals": ["constraint", "family", "entity", "period", "activity", "lower", "upper"],
}
"""Tables the checker reads and the columns it needs."""
NUMERIC = {
    "period",
    "arrival_period",
    "quantity",
    "short_tons",
    "periods_late",
    "line",
    "units_allocated",
    "capability_per_day",
    "share",
    "combat_power",
    "troops",
    "required",
    "delivered",
    "shortfall",
    "activity",
    "lower",
    "upper",
    "shadow_price",
}
INTEGER_COLUMNS = {"period", "arrival_period", "line", "periods_late"}
SEA_KINDS = {PlaceKind.seaport, PlaceKind.naval_base}
ACTIVITY_FAMILIES = ("route_capacity", "storage_capacity", "provider_availability")
"""Families whose reported activity in duals.csv is recomputed from the tables."""


@dataclass
class CheckReport:
    """What the checker found."""

    folder: str
    violations: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    objective: float | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


def _tol(*scales: Any) -> Any:
    """Absolute tolerance for quantities of the given magnitudes."""
    scale = np.ones_like(np.asarray(scales[0], dtype=float))
    for s in scales:
        scale = np.maximum(scale, np.abs(np.asarray(s, dtype=float)))
    return REL_TOL * scale


def _fmt(value: float) -> str:
    return f"{value:,.6g}"


class _Checker:
    """Holds the model, the tables and the violations found so far."""

    def __init__(self, prep: Prepared, tables: dict[str, pd.DataFrame], summary: dict) -> None:
        self.prep = prep
        self.spec = prep.spec
        self.t = tables
        self.summary = summary
        self.T = int(prep.T)
        self.days = float(self.spec.horizon.period_days)
        self.violations: list[str] = []
        self.checked: list[str] = []
        self._count: dict[str, int] = defaultdict(int)
        self.tons = {c.id: c.short_tons_per_unit for c in self.spec.commodities}
        self.places = {p.id: p for p in self.spec.places}
        self.routes = {r.id: r for r in prep.routes}
        self.forces = {f.id: f for f in self.spec.forces}
        self.providers = {u.id: u for u in self.spec.providers}
        self.class_weight = {c.id: c.weight for c in self.spec.settings.priority_classes}
        self.factor = self._attack_factors()

    # --- reporting ---------------------------------------------------------------------

    def fail(self, family: str, message: str) -> None:
        self._count[family] += 1
        if self._count[family] <= MAX_PER_FAMILY:
            self.violations.append(message)
        elif self._count[family] == MAX_PER_FAMILY + 1:
            self.violations.append(f"{family}: further violations not listed")

    def leq(self, family: str, item: str, lhs: float, rhs: float, what: str) -> None:
        """Record `item` if lhs <= rhs fails beyond tolerance."""
        if not (lhs - rhs <= _tol(lhs, rhs)):
            self.fail(family, f"{item}: {what} {_fmt(lhs)} exceeds {_fmt(rhs)}")

    def equal(self, family: str, item: str, a: float, b: float, what: str, scale=1.0) -> None:
        if not (abs(a - b) <= _tol(a, b, scale)):
            self.fail(family, f"{item}: {what} {_fmt(a)} differs from {_fmt(b)}")

    # --- derived model data (own code) ---------------------------------------------------

    def _attack_factors(self) -> dict[str, np.ndarray]:
        """Remaining capacity share per place/route and period (index t-1)."""
        out: dict[str, np.ndarray] = {}
        for attack in self.spec.events.attacks:
            f = out.setdefault(attack.target, np.ones(self.T))
            f[attack.from_period - 1 :] = np.minimum(
                f[attack.from_period - 1 :], attack.capacity_factor
            )
        return out

    def phi(self, target: str, t: int) -> float:
        f = self.factor.get(target)
        return 1.0 if f is None else float(f[t - 1])

    def rok_allows(self, level: SupportLevel) -> bool:
        current = effective_rok_level(self.spec)
        return SUPPORT_LEVEL_ORDER.index(current) >= SUPPORT_LEVEL_ORDER.index(level)

    # --- table sanity ----------------------------------------------------------------------

    def sane(self, name: str, ids: dict[str, Iterable[str]], nonneg: list[str]) -> pd.DataFrame:
        """Rows with known ids, periods in the horizon, finite non-negative values."""
        frame = self.t[name]
        bad = np.zeros(len(frame), bool)
        for col, known in ids.items():
            known = set(known)
            miss = ~frame[col].isin(known).to_numpy()
            for value in frame.loc[miss, col].unique():
                self.fail(name, f"{name}.csv: unknown {col} '{value}'")
            bad |= miss
        if "period" in frame:
            p = frame["period"].to_numpy(float)
            out = ~((p >= 1) & (p <= self.T) & (p == np.round(p)))
            for i in np.flatnonzero(out):
                self.fail(name, f"{name}.csv row {i + 2}: period {p[i]} outside 1..{self.T}")
            bad |= out
        for col in nonneg:
            v = frame[col].to_numpy(float)
            neg = ~np.isfinite(v) | (v < -_tol(v))
            for i in np.flatnonzero(neg):
                self.fail(
                    name, f"{name}.csv row {i + 2}: {col} = {v[i]} is not a finite value >= 0"
                )
            bad |= neg
        good = frame[~bad].copy()
        for col in INTEGER_COLUMNS & set(good.columns):
            v = good[col].to_numpy(float)
            if np.all(np.isfinite(v) & (v == np.round(v))):
                good[col] = v.astype(np.int64)
        return good

    # --- flows and capacities ----------------------------------------------------------------

    def check_flows(self) -> pd.DataFrame:
        self.checked.append("flows: routes, lags, tons")
        f = self.sane(
            "flows",
            {"route": self.routes, "commodity": self.tons},
            ["quantity", "short_tons"],
        ).copy()
        dup = f.duplicated(["route", "commodity", "period"])
        for row in f[dup].itertuples():
            self.fail(
                "flows",
                f"flows.csv: duplicate row for flow[{row.route},{row.commodity},{row.period}]",
            )
        f = f[~dup]
        lag = f["route"].map(lambda r: self.routes[r].transit_periods).to_numpy(int)
        t = f["period"].to_numpy(int)
        f["tons"] = f["quantity"].to_numpy(float) * f["commodity"].map(self.tons).to_numpy(float)
        f["arrive"] = t + lag
        for row in f.itertuples():
            item = f"flow[{row.route},{row.commodity},{row.period}]"
            r = self.routes[row.route]
            if row.arrival_period != row.arrive:
                self.fail("flows", f"{item}: arrival period {row.arrival_period} != {row.arrive}")
            if row.arrive > self.T:
                self.fail("flows", f"{item}: arrives in {row.arrive}, after the horizon")
            self.equal("flows", item, row.short_tons, row.tons, "short_tons")
            for col, expected in (
                ("origin", r.origin),
                ("destination", r.destination),
                ("mode", r.mode.value),
                ("theater", r.theater),
            ):
                if col in f and str(getattr(row, col)) != expected:
                    self.fail("flows", f"{item}: {col} '{getattr(row, col)}' != '{expected}'")
        return f

    def check_route_capacity(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("route capacity per period (attacks, closed lanes)")
        closed = {lane.id for lane in self.spec.lanes if lane.closed}
        spec_routes = {r.id: r for r in self.spec.routes}
        load = f.groupby(["route", "period"])["tons"].sum()
        for (route, t), tons in load.items():
            r = self.routes[route]
            own = spec_routes[route].capacity_t_per_day * self.days * self.phi(route, t)
            if closed & set(r.lanes):
                own = 0.0
            cap = min(own, float(r.capacity_t_per_period[t - 1]))
            self.leq("route_capacity", f"route_capacity[{route},{t}]", tons, cap, "short tons")
        return {k: float(v) for k, v in load.items()}

    def place_loads(self, f: pd.DataFrame, mask: np.ndarray | None = None) -> pd.Series:
        """Tons handled per (place, period): arrivals at arrival period plus departures."""
        g = f if mask is None else f[mask]
        arr = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].destination), "period": g["arrive"]}
        )
        dep = pd.DataFrame(
            {"place": g["route"].map(lambda r: self.routes[r].origin), "period": g["period"]}
        )
        both = pd.concat([arr, dep], ignore_index=True)
        both["tons"] = np.concatenate([g["tons"].to_numpy(), g["tons"].to_numpy()])
        return both.groupby(["place", "period"])["tons"].sum()

    def check_places(self, f: pd.DataFrame) -> None:
        self.checked.append("place cargo throughput (attacks), airfield MOG")
        for (place, t), tons in self.place_loads(f).items():
            p = self.places[place]
            if p.cargo_t_per_day is not None:
                cap = p.cargo_t_per_day * self.days * self.phi(place, t)
                self.leq(
                    "place_throughput", f"place_throughput[{place},{t}]", tons, cap, "short tons"
                )
        air = self.spec.modes.get(Mode.air)
        if air is None or air.payload_t_per_sortie is None or f.empty:
            return
        is_air = f["route"].map(lambda r: self.routes[r].mode == Mode.air).to_numpy(bool)
        for (place, t), tons in self.place_loads(f, is_air).items():
            p = self.places[place]
            if p.mog is not None:
                sorties = tons / air.payload_t_per_sortie
                cap = p.mog * air.sorties_per_slot_per_day * self.days * self.phi(place, t)
                self.leq("airfield_mog", f"airfield_mog[{place},{t}]", sorties, cap, "sorties")

    # --- inventory, production, deliveries --------------------------------------------------

    def check_balance(self, f: pd.DataFrame) -> dict[tuple[str, int], float]:
        self.checked.append("flow conservation with transit lags, storage, production windows")
        P = {p: i for i, p in enumerate(self.places)}
        K = {k: i for i, k in enumerate(self.tons)}
        T = self.T
        shape = (len(P), len(K), T + 1)
        inv, prod, arr, dep, out = (np.zeros(shape) for _ in range(5))
        for s in self.spec.stocks:
            inv[P[s.place], K[s.commodity], 0] += s.quantity

        def add(arr_: np.ndarray, places, comms, periods, values) -> None:
            np.add.at(
                arr_,
                (
                    np.asarray([P[p] for p in places], dtype=np.int64),
                    np.asarray([K[k] for k in comms], dtype=np.int64),
                    np.asarray(periods, dtype=np.int64),
                ),
                np.asarray(values, dtype=float),
            )

        i = self.sane("inventory", {"place": P, "commodity": K}, ["quantity"])
        for row in i[i.duplicated(["place", "commodity", "period"])].itertuples():
            self.fail(
                "inventory",
                f"inventory.csv: duplicate row {row.place},{row.commodity},{row.period}",
            )
        add(inv, i["place"], i["commodity"], i["period"], i["quantity"])
        g = self.check_production(K)
        add(prod, g["place"], g["commodity"], g["period"], g["quantity"])
        add(
            arr,
            f["route"].map(lambda r: self.routes[r].destination),
            f["commodity"],
            f["arrive"],
            f["quantity"],
        )
        add(
            dep,
            f["route"].map(lambda r: self.routes[r].origin),
            f["commodity"],
            f["period"],
            f["quantity"],
        )
        d = self.deliveries = self.check_deliveries()
        add(out, d["place"], d["commodity"], d["period"], d["quantity"])
        now, before = inv[:, :, 1:], inv[:, :, :-1]
        gap = now - before - prod[:, :, 1:] - arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        scale = now + before + prod[:, :, 1:] + arr[:, :, 1:] + dep[:, :, 1:] + out[:, :, 1:]
        names_p, names_k = list(P), list(K)
        for p, k, t in zip(*np.nonzero(np.abs(gap) > _tol(scale)), strict=True):
            self.fail(
                "flow_balance",
                f"flow_balance[{names_p[p]},{names_k[k]},{t + 1}]: inflow and outflow differ by "
                f"{_fmt(gap[p, k, t])} units",
            )
        # storage
        w = np.array([self.tons[k] for k in K])
        stored = np.einsum("pkt,k->pt", now, w)
        for place, pi in P.items():
            cap = self.places[place].storage_t
            if cap is None:
                continue
            for t in range(1, T + 1):
                self.leq(
                    "storage_capacity",
                    f"storage_capacity[{place},{t}]",
                    stored[pi, t - 1],
                    cap,
                    "short tons stored",
                )
        return {(p, t): float(stored[P[p], t - 1]) for p in P for t in range(1, T + 1)}

    def check_production(self, K: dict[str, int]) -> pd.DataFrame:
        g = self.sane("production", {"place": self.places, "commodity": K}, ["quantity", "line"])
        lines = self.spec.production
        keep = []
        for idx, row in zip(g.index, g.itertuples(), strict=True):
            item = f"production[{row.line},{row.period}]"
            j = int(row.line)
            if j != row.line or not 0 <= j < len(lines):
                self.fail("production", f"{item}: no production line {row.line}")
                continue
            line = lines[j]
            keep.append(idx)
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("production", f"{item}: place/commodity differ from the model")
            last = min(line.to_period or self.T, self.T)
            if not line.from_period <= row.period <= last:
                self.fail("production", f"{item}: outside the window {line.from_period}..{last}")
            self.leq("production", item, row.quantity, line.quantity_per_day * self.days, "output")
        for row in g[g.duplicated(["line", "period"])].itertuples():
            self.fail("production", f"production.csv: duplicate row {row.line},{row.period}")
        return g.loc[keep]

    def check_deliveries(self) -> pd.DataFrame:
        demands = {d.id: d for d in self.prep.demands}
        d = self.sane("deliveries", {"demand": demands}, ["quantity"])
        for row in d[d.duplicated(["demand", "period"])].itertuples():
            self.fail("deliveries", f"deliveries.csv: duplicate row {row.demand},{row.period}")
        for row in d.itertuples():
            line = demands[row.demand]
            item = f"delivery[{row.demand},{row.period}]"
            if (row.place, row.commodity) != (line.place, line.commodity):
                self.fail("deliveries", f"{item}: place/commodity differ from the demand line")
            if row.period < line.ead:
                self.fail("deliveries", f"{item}: delivered before EAD {line.ead}")
            if row.periods_late != max(row.period - line.lad, 0):
                self.fail("deliveries", f"{item}: periods_late {row.periods_late} is wrong")
        return d

    # --- shortfalls and objective -----------------------------------------------------------

    def expected_requirements(self) -> dict[tuple[str, str, int], tuple[float, float, str]]:
        """(family, requirement, period) -> (required, objective weight per unit, class)."""
        spec, prep = self.spec, self.prep
        out: dict[tuple[str, str, int], tuple[float, float, str]] = {}
        for d in prep.demands:
            weight = self.class_weight[d.priority] * self.tons[d.commodity]
            out[("demand", d.id, d.lad)] = (d.quantity, weight, d.priority)
        penalty = {t.id: t.penalty_weight for t in spec.tasks}
        for q in prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                weight = self.class_weight[q.priority] * penalty[q.task]
                out[("task", q.id, t)] = (q.amount, weight, q.priority)
        action = spec.events.china_action
        for i, c in enumerate(spec.combat_requirements):
            for t in range(1, self.T + 1):
                amount = c.amount_by_ladder.get(action, 0.0)
                if prep.korea_start is not None and t >= prep.korea_start:
                    amount += c.korea_conflict_amount
                if amount > 0:
                    key = ("combat_power", f"combat_power:{c.theater}:{i}", t)
                    out[key] = (
                        amount,
                        self.class_weight[c.priority] * c.penalty_weight,
                        c.priority,
                    )
        pol = spec.policies
        floors = [
            (
                "deterrence_floor",
                pol.deterrence_floor,
                pol.deterrence_floor.opportunistic_combat_power
                if pol.deterrence_floor.north_korea_opportunistic
                else pol.deterrence_floor.combat_power,
                pol.deterrence_floor.penalty_weight,
            ),
            (
                "troop_floor",
                pol.troop_floor,
                pol.troop_floor.troops,
                pol.troop_floor.penalty_per_troop,
            ),
        ]
        for name, p, floor, penalty_w in floors:
            if p.enabled and p.mode == ConstraintMode.elastic:
                for t in range(1, self.T + 1):
                    weight = self.class_weight[p.priority] * penalty_w
                    out[("policy", f"policy_{name}", t)] = (floor, weight, p.priority)
        return out

    def check_shortfalls(self, deliveries: pd.DataFrame) -> dict[str, float]:
        """Requirement - delivered = shortfall >= 0 for every line; returns objective parts."""
        self.checked.append("shortfall = requirement - delivered >= 0; completeness")
        s = self.t["shortfalls"]
        for col in ("required", "delivered", "shortfall"):
            bad = ~np.isfinite(s[col].to_numpy(float))
            for i in np.flatnonzero(bad):
                self.fail("shortfalls", f"shortfalls.csv row {i + 2}: {col} is not a number")
        expected = self.expected_requirements()
        delivered = deliveries.groupby("demand")["quantity"].sum().to_dict()
        seen: set[tuple[str, str, int]] = set()
        parts: dict[str, float] = defaultdict(float)
        self.short: dict[tuple[str, str, int], float] = {}
        for row in s.itertuples():
            key = (str(row.family), str(row.requirement), int(row.period))
            item = f"shortfall[{key[1]},{key[2]}]"
            if key not in expected:
                self.fail("shortfalls", f"{item}: not a requirement of this scenario")
                continue
            if key in seen:
                self.fail("shortfalls", f"{item}: listed twice")
                continue
            seen.add(key)
            required, weight, cls = expected[key]
            self.equal("shortfalls", item, row.required, required, "required")
            self.equal(
                "shortfalls",
                item,
                row.required - row.delivered,
                row.shortfall,
                "required - delivered",
                row.required,
            )
            if row.shortfall < -_tol(row.required) or row.shortfall > required + _tol(required):
                self.fail(
                    "shortfalls",
                    f"{item}: shortfall {_fmt(row.shortfall)} outside [0, {_fmt(required)}]",
                )
            if key[0] == "demand":
                got = delivered.get(key[1], 0.0)
                self.equal(
                    "demand",
                    f"demand[{key[1]}]",
                    got + row.shortfall,
                    required,
                    "delivered + shortfall",
                )
            self.short[key] = float(row.shortfall)
            parts[f"shortfall:{cls}"] += weight * float(row.shortfall)
        for key in expected.keys() - seen:
            self.fail("shortfalls", f"shortfall[{key[1]},{key[2]}]: missing from shortfalls.csv")
        return parts

    def objective_parts(
        self, f: pd.DataFrame, d: pd.DataFrame, parts: dict[str, float]
    ) -> dict[str, float]:
        settings = self.spec.settings
        if settings.transport_cost_weight > 0 and len(f):
            cost = (
                f["route"]
                .map(
                    lambda r: (
                        self.spec.modes[self.routes[r].mode].cost_per_t_km
                        * self.routes[r].distance_km
                    )
                )
                .to_numpy(float)
            )
            parts["transport_cost"] = float(
                settings.transport_cost_weight * np.sum(cost * f["tons"].to_numpy())
            )
        if settings.lateness_weight > 0 and len(d):
            lad = {x.id: x.lad for x in self.prep.demands}
            late = np.maximum(d["period"].to_numpy(int) - d["demand"].map(lad).to_numpy(int), 0)
            w = d["commodity"].map(self.tons).to_numpy(float)
            parts["lateness"] = float(
                settings.lateness_weight * np.sum(late * w * d["quantity"].to_numpy(float))
            )
        beta = settings.apportionment_stability_weight
        if beta > 0:
            parts["stability"] = beta * self.share_changes()
        return dict(parts)

    def share_changes(self) -> float:
        """Sum over forces and theaters of |share(t) - share(t-1)| (apportionment.csv)."""
        a = self.t["apportionment"]
        a = a[a["theater"] != "in_transit"].sort_values(["force", "theater", "period"])
        total = 0.0
        for _, group in a.groupby(["force", "theater"], sort=True):
            period = group["period"].to_numpy(int)
            share = group["share"].to_numpy(float)
            consecutive = period[1:] == period[:-1] + 1
            total += float(np.abs(np.diff(share))[consecutive].sum())
        return total

    def check_objective(self, parts: dict[str, float]) -> float:
        self.checked.append("objective recomputed from the tables")
        reported = self.summary.get("objective_parts") or {}
        for name in sorted(set(parts) | set(reported)):
            mine, theirs = parts.get(name, 0.0), float(reported.get(name, 0.0))
            self.equal("objective", f"objective part {name}", theirs, mine, "reported value")
        total = float(sum(parts.values()))
        reported_total = self.summary.get("objective")
        if reported_total is None or not math.isfinite(float(reported_total)):
            self.fail("objective", "summary.json: objective missing or not finite")
        else:
            scale = sum(abs(v) for v in parts.values())
            self.equal(
                "objective", "objective", float(reported_total), total, "reported value", scale
            )
        return total

    # --- support allocation -----------------------------------------------------------------

    def check_allocations(self, f: pd.DataFrame) -> None:
        self.checked.append(
            "provider availability, serves, task coverage, enabling tasks, ROK rheostat"
        )
        tasks = {t.id.value: t for t in self.spec.tasks}
        a = self.sane(
            "allocations",
            {
                "provider": self.providers,
                "task": tasks,
                "place": self.places,
                "theater": set(self.prep.theater_ids),
            },
            ["units_allocated", "capability_per_day"],
        ).copy()
        dup = a.duplicated(["provider", "task", "place", "theater", "period"])
        for row in a[dup].itertuples():
            self.fail(
                "allocations",
                f"allocations.csv: duplicate row {row.provider},{row.task},{row.place},"
                f"{row.theater},{row.period}",
            )
        a = a[~dup]
        kappa = []
        for row in a.itertuples():
            u = self.providers[row.provider]
            item = f"allocation[{row.provider},{row.task},{row.place},{row.theater},{row.period}]"
            k = u.capability.get(TaskKind(row.task))
            kappa.append(k or 0.0)
            if k is None:
                self.fail("allocations", f"{item}: provider cannot perform {row.task}")
                continue
            serves = set(u.serves) if u.serves else {self.places[u.home].country}
            if row.place not in serves and self.places[row.place].country not in serves:
                self.fail("allocations", f"{item}: provider does not serve {row.place}")
            last = min(u.available_to or self.T, self.T)
            if not u.available_from <= row.period <= last:
                self.fail("allocations", f"{item}: provider unavailable in period {row.period}")
            if row.nation != u.nation:
                self.fail("allocations", f"{item}: nation '{row.nation}' != '{u.nation}'")
            self.equal(
                "allocations",
                item,
                row.capability_per_day,
                row.units_allocated * k,
                "capability_per_day",
            )
            if (
                self.spec.settings.integer_units
                and abs(row.units_allocated - round(row.units_allocated)) > 1e-6
            ):
                self.fail(
                    "allocations", f"{item}: {row.units_allocated} is not a whole number of units"
                )
            blocked = not self.rok_allows(tasks[row.task].min_rok_level)
            if (
                u.nation == "ROK"
                and row.theater != "korea"
                and blocked
                and row.units_allocated > 1e-9
            ):
                self.fail(
                    "policy_rok_support_level",
                    f"policy_rok_support_level[{row.task}]: {item} is above the ROK support level "
                    f"'{effective_rok_level(self.spec).value}'",
                )
        a["cap"] = np.asarray(kappa, dtype=float) * a["units_allocated"].to_numpy(float)
        self.provider_use = a.groupby(["provider", "period"])["units_allocated"].sum()
        for (provider, t), units in self.provider_use.items():
            self.leq(
                "provider_availability",
                f"provider_availability[{provider},{t}]",
                units,
                self.providers[provider].count,
                "units",
            )
        cap = a.groupby(["task", "place", "theater", "period"])["cap"].sum().to_dict()
        self._task_coverage(cap)
        self._maintenance(cap)
        self._enabling(f, cap)

    def _task_coverage(self, cap: dict) -> None:
        need: dict[tuple, float] = defaultdict(float)
        short: dict[tuple, float] = defaultdict(float)
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                key = (q.task.value, q.place, q.theater, t)
                need[key] += q.amount
                short[key] += self.short.get(("task", q.id, t), 0.0)
        for key, amount in need.items():
            have = cap.get(key, 0.0) + short[key]
            self.leq(
                "task_requirement",
                f"task_requirement[{','.join(map(str, key))}]",
                amount,
                have,
                "required capability vs provided + shortfall",
            )

    def _maintenance(self, cap: dict) -> None:
        per: dict[tuple[str, int], float] = defaultdict(float)
        for (task, place, _theater, t), value in cap.items():
            if task == TaskKind.maintenance.value:
                per[(place, t)] += value
        for (place, t), value in per.items():
            limit = self.places[place].maintenance_capacity
            if limit is not None:
                self.leq(
                    "maintenance_capacity",
                    f"maintenance_capacity[{place},{t}]",
                    value,
                    limit,
                    "maintenance work",
                )

    def _enabling(self, f: pd.DataFrame, cap: dict) -> None:
        """Port/airfield access, onward transport and escort capacity cover their flows."""
        need: dict[tuple[str, str, str, int], float] = defaultdict(float)
        contested = {lane.id: lane.escort_place for lane in self.spec.lanes if lane.contested}
        for row in f.itertuples():
            r = self.routes[row.route]
            ends = ((r.destination, row.arrive), (r.origin, row.period))
            for place, t in ends:
                p = self.places[place]
                if not p.access_support_required:
                    continue
                if r.mode == Mode.sea and p.kind in SEA_KINDS:
                    need[(TaskKind.port_access.value, place, r.theater, t)] += row.tons
                if r.mode == Mode.air and p.mog is not None:
                    need[(TaskKind.airfield_access.value, place, r.theater, t)] += row.tons
            if r.onward:
                need[(TaskKind.onward_transport.value, r.origin, r.theater, row.period)] += row.tons
            for area in sorted({contested[x] for x in r.lanes if x in contested}):
                need[(TaskKind.sea_lane_escort.value, area, r.theater, row.period)] += row.tons
        for key, tons in need.items():
            have = self.days * cap.get(key, 0.0)
            self.leq(
                key[0],
                f"{key[0]}[{key[1]},{key[2]},{key[3]}]",
                tons,
                have,
                "short tons vs assigned capacity",
            )

    # --- forces -----------------------------------------------------------------------------

    def _force_coordinates(self) -> dict[str, tuple[float, float]]:
        """(lon, lat) of every place: YAML first, else the geodata file read here."""
        out = {p.id: (p.lon, p.lat) for p in self.spec.places if p.lon is not None}
        model_dir = getattr(self, "model_dir", None)
        if self.spec.geodata and model_dir is not None:
            data = json.loads((Path(model_dir) / self.spec.geodata).read_text(encoding="utf-8"))
            for feature in data["features"]:
                pid = feature["properties"]["id"]
                if pid not in out:
                    lon, lat = feature["geometry"]["coordinates"][:2]
                    out[pid] = (float(lon), float(lat))
        return out

    def force_lags(self) -> tuple[dict, dict]:
        """Arrival periods per (force, theater) and swing lags per (force, from, to), derived
        here from contract C1: lag = floor(km / (speed * period_days) + 0.5)."""
        from pyproj import Geod  # own geodesic, not rsoi.geo

        geod = Geod(ellps="WGS84")
        xy = self._force_coordinates()
        anchor = {t.id: t.anchor for t in self.spec.theaters}

        def periods(a: str, b: str, speed: float) -> int:
            (lon1, lat1), (lon2, lat2) = xy[a], xy[b]
            km = geod.inv(lon1, lat1, lon2, lat2)[2] / 1000.0
            return math.floor(km / (speed * self.days) + 0.5)

        arrival, swing = {}, {}
        for f in self.spec.forces:
            for th in f.theaters:
                lag = f.arrival_lag_periods.get(th)
                if lag is None:
                    lag = periods(f.home, anchor[th], f.speed_km_per_day)
                arrival[(f.id, th)] = f.ready_period + lag
                for other in f.theaters:
                    if other != th:
                        lag = f.swing_lag_periods
                        if lag is None:
                            lag = periods(anchor[th], anchor[other], f.speed_km_per_day)
                        swing[(f.id, th, other)] = lag
        return arrival, swing

    def check_apportionment(self) -> None:
        self.checked.append(
            "apportionment: arrival (C1), no teleporting, shares, combat power, floors, bounds"
        )
        s = self.sane(
            "apportionment",
            {"force": self.forces, "theater": {*(t.id for t in self.spec.theaters), "in_transit"}},
            ["share", "combat_power", "troops"],
        ).copy()
        for row in s[s.duplicated(["force", "theater", "period"])].itertuples():
            self.fail(
                "apportionment",
                f"apportionment.csv: duplicate row {row.force},{row.theater},{row.period}",
            )
        arrival, swing = self.force_lags()
        for row in s.itertuples():
            force = self.forces[row.force]
            item = f"share[{row.force},{row.theater},{row.period}]"
            if row.share <= 1e-12:
                continue
            if row.theater != "in_transit":
                if row.theater not in force.theaters:
                    self.fail("apportionment", f"{item}: force is not apportioned to {row.theater}")
                    continue
                first = arrival[(row.force, row.theater)]
                if row.period < first:
                    self.fail(
                        "apportionment", f"{item}: before the force can arrive (period {first})"
                    )
            self.leq("apportionment", item, row.share, 1.0, "share")
            self.equal(
                "apportionment",
                item,
                row.combat_power,
                row.share * force.combat_power,
                "combat_power",
            )
            self.equal("apportionment", item, row.troops, row.share * force.troops, "troops")
        total = s.groupby(["force", "period"])["share"].sum()
        for (force, t), value in total.items():
            self.leq(
                "force_home", f"force_home[{force},{t}]", value, 1.0, "theater + transit shares"
            )
        z = {
            (r.force, r.theater, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater != "in_transit"
        }
        moving = {
            (r.force, int(r.period)): float(r.share)
            for r in s.itertuples()
            if r.theater == "in_transit"
        }
        self._no_teleport(z, moving, arrival, swing)
        self._home_share = {
            (f.id, t): 1.0
            - moving.get((f.id, t), 0.0)
            - sum(z.get((f.id, th, t), 0.0) for th in f.theaters)
            for f in self.spec.forces
            for t in range(1, self.T + 1)
        }
        self._combat_power(z)
        self._floors(z)
        self._force_bounds(z)

    def _no_teleport(self, z: dict, moving: dict, arrival: dict, swing: dict) -> None:
        """A share that appears in a theater at t was outside every theater (at home, or in
        transit) in the periods before: from home, in every earlier period; from another
        theater, for the swing lag. So a gain at t is at most the share outside every theater
        in t-1 .. t-m, m the shortest swing lag into the theater (all earlier periods when the
        force serves one theater)."""
        for f in self.spec.forces:
            for th in f.theaters:
                swings = [swing[(f.id, o, th)] for o in f.theaters if o != th]
                if swings and min(swings) == 0:
                    continue  # an instant swing from another theater is allowed
                for t in range(1, self.T + 1):
                    m = min(swings) if swings else t - 1
                    gain = z.get((f.id, th, t), 0.0) - z.get((f.id, th, t - 1), 0.0)
                    if gain <= 1e-9:
                        continue
                    for k in range(1, m + 1):
                        if t - k < 1:
                            break  # before C-day everything is at home
                        away = 1.0 - sum(z.get((f.id, o, t - k), 0.0) for o in f.theaters)
                        self.leq(
                            "force_position",
                            f"force_position[{f.id},{th},{t}]",
                            gain,
                            away,
                            f"share arriving vs share outside every theater {k} period(s) earlier",
                        )

    def _combat_power(self, z: dict) -> None:
        power: dict[tuple[str, int], float] = defaultdict(float)
        for (force, theater, t), share in z.items():
            power[(theater, t)] += self.forces[force].combat_power * share
        need: dict[tuple[str, int], float] = defaultdict(float)
        short: dict[tuple[str, int], float] = defaultdict(float)
        for (family, req, t), value in self.short.items():
            if family == "combat_power":
                short[(req.split(":")[1], t)] += value
        for (family, req, t), (amount, _w, _c) in self.expected_requirements().items():
            if family == "combat_power":
                need[(req.split(":")[1], t)] += amount
        for (theater, t), amount in need.items():
            self.leq(
                "combat_power",
                f"combat_power[{theater},{t}]",
                amount,
                power[(theater, t)] + short[(theater, t)],
                "required vs provided + shortfall",
            )

    def _floors(self, z: dict) -> None:
        pol = self.spec.policies
        det = pol.deterrence_floor
        floors = [
            (
                "policy_deterrence_floor",
                det,
                det.opportunistic_combat_power
                if det.north_korea_opportunistic
                else det.combat_power,
                lambda f: f.combat_power,
            ),
            (
                "policy_troop_floor",
                pol.troop_floor,
                pol.troop_floor.troops,
                lambda f: f.troops if f.nation == "US" else 0.0,
            ),
        ]
        for name, p, floor, coef in floors:
            if not p.enabled:
                continue
            for t in range(1, self.T + 1):
                have = sum(
                    coef(self.forces[f]) * share
                    for (f, th, tt), share in z.items()
                    if th == "korea" and tt == t
                )
                if name == "policy_troop_floor":  # troops physically in Korea, at home there
                    have += sum(
                        coef(f) * self._home_share[(f.id, t)]
                        for f in self.spec.forces
                        if self.places[f.home].theater == "korea"
                    )
                if p.mode == ConstraintMode.elastic:
                    have += self.short.get(("policy", name, t), 0.0)
                self.leq(
                    name,
                    f"{name}[{t}]",
                    floor,
                    have,
                    "floor vs provided"
                    + (" + shortfall" if p.mode == ConstraintMode.elastic else ""),
                )

    def _force_bounds(self, z: dict) -> None:
        pol = self.spec.policies
        away: dict[str, float] = defaultdict(float)
        for (force, theater, _t), share in z.items():
            if theater != "korea":
                away[force] += share
        usfk = {f.id for f in self.spec.forces if f.assignment == Assignment.usfk}
        rules = []
        if pol.usfk_ground_stays.enabled:
            ground = {f for f in usfk if self.forces[f].branch == Branch.ground}
            rules.append(("policy_usfk_ground_stays", ground))
        rok = pol.rok_support
        withdrawn = rok.none_withdraws_flexibility and (
            effective_rok_level(self.spec) == SupportLevel.none
        )
        if not pol.strategic_flexibility.allowed or withdrawn:
            rules.append(("policy_strategic_flexibility", usfk))
        if not self.rok_allows(SupportLevel.joint_operations):
            rules.append(
                (
                    "policy_rok_joint_operations",
                    {f.id for f in self.spec.forces if f.nation == "ROK"},
                )
            )
        for name, forces in rules:
            for force in sorted(forces):
                self.leq(name, f"{name}[{force}]", away.get(force, 0.0), 0.0, "share outside Korea")
        if pol.usfk_air_share.enabled:
            air = {f: self.forces[f].aircraft for f in usfk if self.forces[f].branch == Branch.air}
            if air:
                limit = pol.usfk_air_share.max_share * sum(air.values())
                per_t: dict[int, float] = defaultdict(float)
                for (force, theater, t), share in z.items():
                    if force in air and theater != "korea":
                        per_t[t] += air[force] * share
                for t, value in sorted(per_t.items()):
                    self.leq(
                        "policy_usfk_air_share",
                        f"policy_usfk_air_share[{t}]",
                        value,
                        limit,
                        "aircraft outside Korea",
                    )

    # --- duals table ------------------------------------------------------------------------

    def check_duals(self, route_load: dict, stored: dict) -> None:
        self.checked.append(
            "duals.csv: activities within bounds, complementary slackness, recomputed activities"
        )
        d = self.t["duals"]
        act = d["activity"].to_numpy(float)
        lo = d["lower"].to_numpy(float)
        up = d["upper"].to_numpy(float)
        names = d["constraint"].astype(str).to_numpy()
        tol = _tol(act, np.nan_to_num(lo), np.nan_to_num(up))
        below = np.isfinite(lo) & (act < lo - tol)
        above = np.isfinite(up) & (act > up + tol)
        for i in np.flatnonzero(below | above):
            self.fail("duals", f"{names[i]}: activity {_fmt(act[i])} outside [{lo[i]}, {up[i]}]")
        if "shadow_price" in d:
            price = d["shadow_price"].to_numpy(float)
            at_bound = (np.isfinite(lo) & (np.abs(act - lo) <= tol)) | (
                np.isfinite(up) & (np.abs(act - up) <= tol)
            )
            slack = np.isfinite(price) & (np.abs(price) > 1e-6) & ~at_bound
            for i in np.flatnonzero(slack):
                self.fail(
                    "duals",
                    f"{names[i]}: shadow price {_fmt(price[i])} on a constraint that is not "
                    "at its bound",
                )
        expected = {
            "route_capacity": route_load,
            "storage_capacity": stored,
            "provider_availability": {k: float(v) for k, v in self.provider_use.items()},
        }
        fam = d["family"].astype(str).to_numpy()
        ent = d["entity"].astype(str).to_numpy()
        per = d["period"].to_numpy(float)
        for i in np.flatnonzero(np.isin(fam, ACTIVITY_FAMILIES)):
            mine = expected[fam[i]].get((ent[i], int(per[i])), 0.0)
            self.equal("duals", names[i], act[i], mine, "reported activity vs recomputed")


def read_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The CSV tables of a run folder with numeric columns parsed; problems as violations."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    for name, columns in TABLES.items():
        path = folder / f"{name}.csv"
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            problems.append(f"{name}.csv: missing from the run folder")
            continue
        except (
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            OSError,
        ) as exc:
            problems.append(f"{name}.csv: unreadable ({str(exc).splitlines()[0][:120]})")
            continue
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            problems.append(f"{name}.csv: missing columns {', '.join(missing)}")
            continue
        for col in frame.columns:
            if col in NUMERIC:
                raw = frame[col]
                num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
                empty_ok = col in ("lower", "upper", "shadow_price")
                bad = num.isna() & ((raw != "") | (not empty_ok))
                for i in np.flatnonzero(bad.to_numpy())[:MAX_PER_FAMILY]:
                    problems.append(
                        f"{name}.csv row {i + 2}: {col} '{raw.iloc[i]}' is not a number"
                    )
                frame[col] = num.astype(float)
        tables[name] = frame
    return tables, problems


def load_summary(folder: Path) -> dict:
    """summary.json of a run folder (InputError if the folder is not a run folder)."""
    folder = Path(folder)
    path = folder / "summary.json"
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    "RUN_DIR",
                    "not a folder",
                    "give a run folder written by `rsoi solve`",
                )
            ]
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "RUN_DIR",
                    "not a run folder (no summary.json)",
                    "give a run folder written by `rsoi solve`",
                )
            ]
        ) from None
    except (ValueError, UnicodeDecodeError, OSError) as exc:
        raise InputError(
            [
                Problem(
                    str(path),
                    None,
                    None,
                    "summary.json",
                    f"unreadable: {str(exc)[:120]}",
                    "re-run the solve",
                )
            ]
        ) from None
    if not isinstance(summary, dict):
        raise InputError(
            [
                Problem(
                    str(path), None, None, "summary.json", "not a JSON object", "re-run the solve"
                )
            ]
        )
    return summary


def check_run(
    folder: str | Path,
    summary: dict | None = None,
    model_path: str | Path | None = None,
    allow_outside_paths: bool | None = None,
) -> CheckReport:
    """Verify a run folder against its model; the report lists every violation found.

    `summary` defaults to the folder's summary.json (pass it while the run is being written);
    `model_path` defaults to the `model_file` recorded in the summary.
    """
    folder = Path(folder)
    summary = load_summary(folder) if summary is None else summary
    report = CheckReport(str(folder))
    path = Path(model_path or summary.get("model_file") or "")
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    str(folder / "summary.json"),
                    None,
                    None,
                    "model_file",
                    f"model file not found: '{path}' (relative paths start at {Path.cwd()})",
                    "run from the folder the solve ran in, or pass --model PATH",
                )
            ]
        )
    model: LoadedModel = load_model(
        path, summary.get("scenario"), use_default=False, allow_outside_paths=allow_outside_paths
    )
    if summary.get("input_hash") and summary["input_hash"] != model.input_hash:
        report.violations.append(
            f"input_hash: the model file {path} changed since the run (hash differs); "
            "re-run the solve"
        )
        return report
    status = summary.get("status")
    if status not in ("optimal", "time_limit_feasible"):
        report.violations.append(f"status: '{status}' is not a solved status")
    tables, problems = read_tables(folder)
    report.violations.extend(problems)
    if problems:
        return report
    checker = _Checker(prepare(model), tables, summary)
    checker.model_dir = model.path.parent  # the force checks read coordinates themselves
    flows = checker.check_flows()
    route_load = checker.check_route_capacity(flows)
    checker.check_places(flows)
    stored = checker.check_balance(flows)
    deliveries = checker.deliveries
    parts = checker.check_shortfalls(deliveries)
    parts = checker.objective_parts(flows, deliveries, parts)
    report.objective = checker.check_objective(parts)
    checker.check_allocations(flows)
    checker.check_apportionment()
    checker.check_duals(route_load, stored)
    report.violations.extend(checker.violations)
    report.checked = checker.checked
    return report


def verify_run(folder: str | Path, **kwargs: Any) -> CheckReport:
    """`check_run`, raising CheckError when anything is violated."""
    report = check_run(folder, **kwargs)
    if report.violations:
        raise CheckError(report.violations, report.folder)
    return report
