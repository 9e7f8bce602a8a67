"""duals.csv: the row set and bounds, prices, complementary slackness, ranging, reduced costs."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from rsoi.model.schema import (
    Mode,
    TaskKind,
)
from rsoi.results.check.base import (
    ACTIVITY_FAMILIES,
    DERIVED_FAMILIES,
    KNOWN_FAMILIES,
    PRICE_TOL,
    _fmt,
    _tol,
)
from rsoi.results.check.cargo import CargoChecks
from rsoi.results.check.derive import access_task


class DualChecks(CargoChecks):
    """duals.csv: the row set and bounds, prices, complementary slackness, ranging, reduced costs."""

    # --- duals table ------------------------------------------------------------------------

    def expected_rows(self) -> dict[str, tuple[str, float, float, str | None]]:
        """Constraint name -> (family, lower, upper, source) for the families in DERIVED_FAMILIES.

        Derived from the model alone: a row the LP lacks (e.g. a dropped access cap) or has in
        excess shows up as a missing or unknown row of duals.csv.
        """
        spec, T, days = self.spec, self.T, self.days
        inf = math.inf
        out: dict[str, tuple[str, float, float, str | None]] = {}
        cargo = self.cargo
        stock: dict[tuple[str, str, str], float] = defaultdict(float)
        for s in spec.stocks:
            stock[(s.place, s.commodity, cargo.label_of(s.commodity, cargo.source_class(s)))] += (
                s.quantity
            )
        for p in self.places:
            for k in self.tons:
                for label in cargo.labels[k]:
                    if not cargo.may_be(label, p):
                        continue
                    for t in range(1, T + 1):
                        rhs = stock.get((p, k, label), 0.0) if t == 1 else 0.0
                        name = cargo.balance_row(p, k, label, t)
                        out[name] = (name.split("[")[0], rhs, rhs, None)
        for d in self.prep.demands:
            out[f"demand[{d.id}]"] = ("demand", d.quantity, d.quantity, d.source)
        source_of = {r.id: r.source for r in spec.routes}
        for r in self.routes.values():
            for t in range(1, T - r.transit_periods + 1):
                out[f"route_capacity[{r.id},{t}]"] = (
                    "route_capacity", -inf, float(r.capacity_t_per_period[t - 1]),
                    source_of[r.id],
                )  # fmt: skip
        air = spec.modes.get(Mode.air)
        for p in self.places.values():
            for t in range(1, T + 1):
                phi = self.phi(p.id, t)
                if p.cargo_t_per_day is not None:
                    cap = p.cargo_t_per_day * days * phi
                    out[f"place_throughput[{p.id},{t}]"] = ("place_throughput", -inf, cap, p.source)
                if p.mog is not None and air is not None and air.payload_t_per_sortie is not None:
                    cap = p.mog * air.sorties_per_slot_per_day * days * phi
                    out[f"airfield_mog[{p.id},{t}]"] = ("airfield_mog", -inf, cap, p.source)
                if p.storage_t is not None:
                    out[f"storage_capacity[{p.id},{t}]"] = (
                        "storage_capacity", -inf, p.storage_t, p.source,
                    )  # fmt: skip
        need: dict[str, list] = {}
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                name = f"task_requirement[{q.task.value},{q.place},{q.theater},{t}]"
                entry = need.setdefault(name, [0.0, q.source])
                entry[0] += q.amount
        for name, (amount, source) in need.items():
            out[name] = ("task_requirement", amount, inf, source)
        for task, place, theater in self.enabling_slots():
            for t in range(1, T + 1):
                out[f"{task}[{place},{theater},{t}]"] = (task, -inf, 0.0, None)
        return out

    def enabling_slots(self) -> set[tuple[str, str, str]]:
        """(task, place, theater) of every access, onward and escort cap the model implies."""
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

    def check_duals(self, route_load: dict, stored: dict) -> None:
        self.checked.append(
            "duals.csv: every row present once, bounds, activities, sign and complementary "
            "slackness of shadow prices, binding flags, ranging intervals"
        )
        d = self.t["duals"]
        names = d["constraint"].astype(str).to_numpy()
        fam = d["family"].astype(str).to_numpy()
        act = d["activity"].to_numpy(float)
        lo = d["lower"].to_numpy(float)
        up = d["upper"].to_numpy(float)
        price = d["shadow_price"].to_numpy(float)
        dup = pd.Series(names).duplicated().to_numpy()
        for i in np.flatnonzero(dup):
            self.fail("duals", f"duals.csv: {names[i]} listed twice")
        known_family = np.isin(fam, KNOWN_FAMILIES)
        for i in np.flatnonzero(~known_family):
            self.fail("duals", f"duals.csv: {names[i]}: unknown family '{fam[i]}'")
        matches = np.array(
            [n.startswith(f + "[") or n == f for n, f in zip(names, fam, strict=True)], dtype=bool
        )
        for i in np.flatnonzero(known_family & ~matches):
            self.fail("duals", f"duals.csv: {names[i]}: name does not match family {fam[i]}")
        expected = self.expected_rows()
        row_of = {n: i for i, n in enumerate(names)}
        for name in sorted(expected.keys() - row_of.keys()):
            self.fail("duals", f"{name}: missing from duals.csv")
        for i in np.flatnonzero(np.isin(fam, DERIVED_FAMILIES)):
            if names[i] not in expected:
                self.fail("duals", f"{names[i]}: not a constraint of this model (duals.csv)")
        src = d["source"].astype(str).to_numpy()
        exp_names = list(expected)
        exp_family, exp_lo, exp_up, _ = (
            map(np.asarray, zip(*expected.values(), strict=True)) if expected else ([],) * 4
        )
        exp = np.column_stack([exp_lo, exp_up]).astype(float).reshape(-1, 2)
        first = np.flatnonzero(~dup)
        hit = pd.Index(names[first]).get_indexer(exp_names)
        rows = np.where(hit >= 0, first[np.maximum(hit, 0)], -1) if len(first) else hit
        found = rows >= 0
        found[found] &= fam[rows[found]] == exp_family[found]
        for col, (what, theirs_all) in enumerate((("lower", lo), ("upper", up))):
            mine = exp[found, col]
            theirs = theirs_all[rows[found]]
            same_inf = np.isinf(mine) & np.isnan(theirs)
            finite = np.isfinite(mine) & np.isfinite(theirs)
            close = np.zeros(len(mine), bool)
            close[finite] = np.abs(theirs[finite] - mine[finite]) <= _tol(mine[finite])
            for j in np.flatnonzero(~(same_inf | close)):
                name = exp_names[np.flatnonzero(found)[j]]
                self.fail(
                    "duals",
                    f"{name}: {what} bound {theirs[j]} differs from the model's "
                    f"{'none' if math.isinf(mine[j]) else _fmt(mine[j])}",
                )
        for j in np.flatnonzero(found):
            source = expected[exp_names[j]][3]
            if source is not None and src[rows[j]] != source:
                self.text("duals", exp_names[j], "source", src[rows[j]], source)
        # activities within bounds; prices only on active bounds, with the right sign
        tol = _tol(act, np.nan_to_num(lo), np.nan_to_num(up))
        below = np.isfinite(lo) & (act < lo - tol)
        above = np.isfinite(up) & (act > up + tol)
        for i in np.flatnonzero(below | above):
            self.fail("duals", f"{names[i]}: activity {_fmt(act[i])} outside [{lo[i]}, {up[i]}]")
        at_lo = np.isfinite(lo) & (np.abs(act - lo) <= tol)
        at_up = np.isfinite(up) & (np.abs(act - up) <= tol)
        known = np.isfinite(price)
        pos = known & (price > PRICE_TOL)
        neg = known & (price < -PRICE_TOL)
        for i in np.flatnonzero((pos & ~at_lo) | (neg & ~at_up)):
            side = "lower" if price[i] > 0 else "upper"
            self.fail(
                "duals",
                f"{names[i]}: shadow price {_fmt(price[i])} needs the row at its {side} bound "
                "(wrong sign, or not binding: complementary slackness)",
            )
        binding = np.abs(np.nan_to_num(price)) > 1e-9
        flag = d["binding"].astype(str).str.lower().to_numpy()
        for i in np.flatnonzero(flag != np.where(binding, "true", "false")):
            self.fail("duals", f"{names[i]}: binding flag '{flag[i]}' but shadow price {price[i]}")
        r_from = d["range_from"].to_numpy(float)
        r_to = d["range_to"].to_numpy(float)
        has_range = np.isfinite(r_from) | np.isfinite(r_to)
        for i in np.flatnonzero(has_range & ~binding):
            self.fail("duals", f"{names[i]}: a ranging interval on a row that is not binding")
        bound = np.where(at_up & ~(pos & at_lo), up, lo)
        for i in np.flatnonzero(has_range & binding):
            low = r_from[i] if np.isfinite(r_from[i]) else -math.inf
            high = r_to[i] if np.isfinite(r_to[i]) else math.inf
            slack = _tol(bound[i])
            if not (low - slack <= bound[i] <= high + slack):
                self.fail(
                    "duals",
                    f"{names[i]}: ranging interval [{r_from[i]}, {r_to[i]}] does not contain "
                    f"the bound {bound[i]}",
                )
        recomputed = {
            "route_capacity": route_load,
            "storage_capacity": stored,
            "provider_availability": {k: float(v) for k, v in self.provider_use.items()},
        }
        ent = d["entity"].astype(str).to_numpy()
        per = d["period"].to_numpy(float)
        for i in np.flatnonzero(np.isin(fam, ACTIVITY_FAMILIES)):
            mine = recomputed[fam[i]].get((ent[i], int(per[i])), 0.0)
            self.equal("duals", names[i], act[i], mine, "reported activity vs recomputed")
        unique = ~dup
        self.price_series = pd.Series(np.nan_to_num(price[unique]), index=names[unique])
        self.price = self.price_series.to_dict()

    def _prices(self, names: np.ndarray) -> np.ndarray:
        """Shadow prices of the named rows (0 for rows the LP does not have)."""
        return self.price_series.reindex(names).fillna(0.0).to_numpy(float)

    def _flow_reduced_costs(self, f: pd.DataFrame, judge_all) -> None:
        """Reduced costs of every flow column, vectorised over (route, commodity, period)."""
        spec, T, cargo = self.spec, self.T, self.cargo
        gamma = spec.settings.transport_cost_weight
        air = spec.modes.get(Mode.air)
        per_sortie = 1.0 / air.payload_t_per_sortie if air and air.payload_t_per_sortie else None
        contested = {lane.id: lane.escort_place for lane in spec.lanes if lane.contested}
        items, keys, costs = [], [], []
        term_col, term_coef, term_name = [], [], []  # one entry per (column, row) coefficient
        n_cols = 0
        for r in self.routes.values():
            n = T - r.transit_periods
            if n <= 0:
                continue
            mode_cost = spec.modes[r.mode].cost_per_t_km * r.distance_km
            t = np.arange(1, n + 1)
            ts, as_ = t.astype(str), (t + r.transit_periods).astype(str)
            for k, w, label in (
                (k, w, label)
                for k, w in self.tons.items()
                for label in cargo.labels[k]
                if cargo.may_be(label, r.origin)
            ):
                there = cargo.arrival(k, label, r.destination)
                terms: list[tuple[float, str, np.ndarray]] = [
                    (1.0, cargo.balance_row(r.origin, k, label, 0)[:-2], ts),
                    (-1.0, cargo.balance_row(r.destination, k, there, 0)[:-2], as_),
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
                col = np.arange(n_cols, n_cols + n)
                for coef, prefix, when in terms:
                    term_col.append(col)
                    term_coef.append(np.full(n, coef))
                    term_name.append(np.char.add(np.char.add(prefix, when), "]"))
                items.append(np.char.add(np.char.add(f"flow[{r.id},{k},{label},", ts), "]"))
                keys.extend((r.id, k, label, int(x)) for x in t)
                costs.append(np.full(n, gamma * mode_cost * w if gamma > 0 else 0.0))
                n_cols += n
        if not n_cols:
            return
        value = np.concatenate(term_coef) * self._prices(np.concatenate(term_name))
        where = np.concatenate(term_col)
        dual_sum = np.zeros(n_cols)
        dual_abs = np.zeros(n_cols)
        np.add.at(dual_sum, where, value)
        np.maximum.at(dual_abs, where, np.abs(value))
        flow_x = {
            (r.route, r.commodity, r.cargo_class, int(r.period)): float(r.quantity)
            for r in self.t["cargo_flows"].itertuples()
        }
        x = np.array([flow_x.get(k, 0.0) for k in keys])
        judge_all(
            np.concatenate(items),
            np.concatenate(costs),
            dual_sum,
            dual_abs,
            x,
            np.full(n_cols, math.inf),
        )

    def check_reduced_costs(self, f: pd.DataFrame) -> None:
        """Dual feasibility of flow, delivery, shortfall, inventory and production columns.

        Reduced cost d_j = c_j - sum_i a_ij y_i from the model's coefficients and the shadow
        prices in duals.csv: d = 0 for a column strictly between its bounds, d >= 0 at its
        lower bound, d <= 0 at its upper bound. A scaled or swapped shadow price breaks this
        for the columns of its row. Only for optimal weighted LP runs (lexicographic and MIP
        runs report the last stage's or the fixed LP's prices).
        """
        s = self.summary
        if (
            s.get("status") != "optimal"
            or s.get("mip")
            or s.get("objective_mode", "weighted") != "weighted"
            or not np.isfinite(self.t["duals"]["shadow_price"].to_numpy(float)).all()
        ):
            return
        self.checked.append("reduced costs of flows, deliveries, shortfalls, inventory, production")
        y = self.price.get
        spec, T, days = self.spec, self.T, self.days

        def judge(item: str, cost: float, terms: list[float], x: float, upper: float) -> None:
            red = cost - sum(terms)
            tol = 1e-6 * max(1.0, abs(cost), *(abs(v) for v in terms))
            at_lower = x <= 1e-9
            at_upper = upper != math.inf and x >= upper - _tol(upper)
            if at_lower and at_upper:  # a fixed column (e.g. zero capacity): any reduced cost
                return
            bad = red < -tol if at_lower else red > tol if at_upper else abs(red) > tol
            if bad:
                self.fail(
                    "reduced_cost",
                    f"{item}: reduced cost {_fmt(red)} at value {_fmt(x)} contradicts the "
                    "shadow prices of its rows in duals.csv",
                )

        def judge_all(items, cost, dual_sum, dual_abs, x, upper) -> None:
            red = cost - dual_sum
            tol = 1e-6 * np.maximum(1.0, np.maximum(np.abs(cost), dual_abs))
            at_lower = x <= 1e-9
            at_upper = np.isfinite(upper) & (
                x >= upper - _tol(np.where(np.isinf(upper), 0.0, upper))
            )
            inside = ~at_lower & ~at_upper
            bad = (inside & (np.abs(red) > tol)) | (at_upper & ~at_lower & (red > tol))
            bad |= at_lower & ~at_upper & (red < -tol)
            for i in np.flatnonzero(bad):
                self.fail(
                    "reduced_cost",
                    f"{items[i]}: reduced cost {_fmt(red[i])} at value {_fmt(x[i])} contradicts "
                    "the shadow prices of its rows in duals.csv",
                )

        self._flow_reduced_costs(f, judge_all)
        cargo = self.cargo
        dx: dict[tuple, float] = defaultdict(float)
        for r in self.t["cargo_ledger"].itertuples():
            dx[(r.demand, r.cargo_class, int(r.period))] += float(r.quantity)
        lam = spec.settings.lateness_weight
        for d in self.prep.demands:
            w = self.tons[d.commodity]
            for label in cargo.delivery_labels(d.id):
                for t in range(d.ead, T + 1):
                    cost = lam * days * (t - d.lad) * w if lam > 0 and t > d.lad else 0.0
                    terms = [
                        y(cargo.balance_row(d.place, d.commodity, label, t), 0.0),
                        y(f"demand[{d.id}]", 0.0),
                    ]
                    x = dx.get((d.id, label, t), 0.0)
                    judge(f"delivery[{d.id},{label},{t}]", cost, terms, x, math.inf)
            short = self.short.get(("demand", d.id, d.lad), 0.0)
            judge(
                f"demand_shortfall[{d.id}]", self.class_weight[d.priority] * w,
                [y(f"demand[{d.id}]", 0.0)], short, math.inf,
            )  # fmt: skip
        # inventory by class: cumulated class balance of the checker's own (cargo.py)
        ix = self.class_inventory
        for p, place in self.places.items():
            for k, w in self.tons.items():
                for label in cargo.labels[k]:
                    if not cargo.may_be(label, p):
                        continue
                    for t in range(1, T + 1):
                        terms = [y(cargo.balance_row(p, k, label, t), 0.0)]
                        if t < T:
                            terms.append(-y(cargo.balance_row(p, k, label, t + 1), 0.0))
                        if place.storage_t is not None:
                            terms.append(w * y(f"storage_capacity[{p},{t}]", 0.0))
                        x = max(float(ix.get((p, k, label), np.zeros(T + 1))[t]), 0.0)
                        judge(f"inventory[{p},{k},{label},{t}]", 0.0, terms, x, math.inf)
        gx = {(int(r.line), int(r.period)): float(r.quantity) for r in self.production.itertuples()}
        for j, line in enumerate(spec.production):
            for t in range(line.from_period, min(line.to_period or T, T) + 1):
                label = cargo.label_of(line.commodity, cargo.source_class(line))
                terms = [-y(cargo.balance_row(line.place, line.commodity, label, t), 0.0)]
                cap = line.quantity_per_day * days
                judge(f"production[{j},{t}]", 0.0, terms, gx.get((j, t), 0.0), cap)
