"""duals.csv: the row set and bounds, prices, complementary slackness, ranging, reduced costs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rsoi.model.families import BY_NAME
from rsoi.results.check.base import (
    ACTIVITY_FAMILIES,
    PRICE_TOL,
    PRIMAL_TOL,
    _fmt,
    _tol,
)
from rsoi.results.check.columns import ColumnSpec


class DualChecks(ColumnSpec):
    """duals.csv: the row set and bounds, prices, complementary slackness, ranging, reduced costs."""

    def check_duals(self, route_load: dict, stored: dict) -> None:
        self.checked.append(
            "duals.csv: every row present once, bounds, activities, sign and complementary "
            "slackness of shadow prices, binding flags, ranging intervals"
        )
        self.unverified.append(
            "duals.csv range_from / range_to: only bounded (the interval holds the active bound; "
            "the objective stays >= 0 across it), not recomputed: HiGHS's ranging depends on "
            "its basis, which the run does not record"
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
        known_family = np.isin(fam, list(BY_NAME))
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
        for i in np.flatnonzero(known_family):
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
            if src[rows[j]] != (source or ""):
                self.text("duals", exp_names[j], "source", src[rows[j]], source)
        self._entity_columns(d, names, fam, known_family & matches)
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
            self._range_within_objective(names[i], bound[i], price[i], r_from[i], r_to[i])
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

    def check_activities(self, f: pd.DataFrame) -> None:
        """Every row's reported activity, recomputed as sum a_ij x_j from the column spec and
        the tables' values; rows with a column no table reports (deploy, swing, share change)
        are named instead."""
        d = self.t["duals"]
        _items, _cost, x, _up, t_col, t_row, t_coef = self.columns(f).arrays()
        names = d["constraint"].astype(str).to_numpy()
        act = d["activity"].to_numpy(float)
        ax = t_coef * x[t_col] if len(t_col) else np.zeros(0)
        term = pd.DataFrame(
            {"row": t_row, "total": np.nan_to_num(ax), "scale": np.abs(np.nan_to_num(ax)),
             "unknown": np.isnan(ax)}
        )  # fmt: skip
        per_row = term.groupby("row", sort=False)[["total", "scale", "unknown"]].sum()
        expected = self.expected_rows()
        # rows reported elsewhere (unknown rows) and equalities (checked with the bounds) aside
        keep = np.array(
            [n in expected and expected[n][1] != expected[n][2] for n in names], dtype=bool
        )
        rows = per_row.reindex(names[keep])  # a row without coefficients: 0, nothing unknown
        total = rows["total"].fillna(0.0).to_numpy(float)
        scale = rows["scale"].fillna(0.0).to_numpy(float)
        missing = rows["unknown"].fillna(0).to_numpy(float) > 0
        unknown: dict[str, int] = {}
        for name in names[keep][missing]:
            family = name.split("[", 1)[0]
            unknown[family] = unknown.get(family, 0) + 1
        got = act[keep]
        off = ~missing & ~(np.abs(got - total) <= _tol(got, total, scale))
        for name, a, b in zip(names[keep][off], got[off], total[off], strict=True):
            self.fail("duals", f"{name}: activity vs recomputed {_fmt(a)} differs from {_fmt(b)}")
        self.checked.append("duals.csv activity of every row whose columns the tables report")
        if unknown:
            self.unverified.append(
                "duals.csv activity only within its bounds (a column no table reports: deploy, "
                "swing or share change) for "
                + ", ".join(f"{n} {fam} rows" for fam, n in sorted(unknown.items()))
            )

    def _entity_columns(self, d, names, fam, ok) -> None:
        """entity_kind, entity and period of each row, from its name and the registry."""
        kind = d["entity_kind"].astype(str).to_numpy()
        ent = d["entity"].astype(str).to_numpy()
        per = d["period"].to_numpy(float)
        for i in np.flatnonzero(ok):
            entry = BY_NAME[fam[i]]
            keys = names[i][len(entry.name) + 1 : -1].split(",")
            if len(keys) != len(entry.index):
                self.fail("duals", f"{names[i]}: {len(keys)} keys, the family has {entry.index}")
                continue
            want_entity = keys[entry.index.index(entry.entity)]
            pos = entry.period_position
            want_period = float(keys[pos]) if pos is not None and keys[pos].isdigit() else 0.0
            if kind[i] != entry.entity:
                self.text("duals", names[i], "entity_kind", kind[i], entry.entity)
            if ent[i] != want_entity:
                self.text("duals", names[i], "entity", ent[i], want_entity)
            if per[i] != want_period:
                self.fail("duals:period", f"{names[i]}: period {per[i]:g} != {want_period:g}")

    def _range_within_objective(self, name, bound, price, r_from, r_to) -> None:
        """Bound a ranging interval by the objective: inside it the optimal value moves by
        price x (b' - b), and it never drops below 0 (every cost and penalty is >= 0). So a
        negative price admits range_to <= b + objective / |price|, a positive one
        range_from >= b - objective / price."""
        objective = self.summary.get("objective")
        if not isinstance(objective, int | float) or self.summary.get("status") != "optimal":
            return
        objective = max(float(objective), 0.0)
        if price < 0 and np.isfinite(r_to):
            limit = bound + objective / -price
            if r_to > limit + _tol(limit, r_to):
                self.fail(
                    "duals",
                    f"{name}: range_to {_fmt(r_to)} beyond {_fmt(limit)}, where the objective "
                    f"would fall below 0 at the shadow price {_fmt(price)}",
                )
        if price > 0 and np.isfinite(r_from):
            limit = bound - objective / price
            if r_from < limit - _tol(limit, r_from):
                self.fail(
                    "duals",
                    f"{name}: range_from {_fmt(r_from)} below {_fmt(limit)}, where the objective "
                    f"would fall below 0 at the shadow price {_fmt(price)}",
                )

    def check_reduced_costs(self, f: pd.DataFrame) -> None:
        """Dual feasibility and vertex prices over every column of the LP.

        Reduced cost d_j = c_j - sum_i a_ij y_i from the model's coefficients and the shadow
        prices in duals.csv: d = 0 for a column strictly between its bounds, d >= 0 at its
        lower bound, d <= 0 at its upper bound (columns whose value no table reports: d >= 0).
        Given the other prices, these conditions leave each row's price an interval; a
        degenerate row's price is not unique, but the solver reports a basic (vertex) price,
        which sits at an end of that interval: a row with a nonzero price has a basic column
        whose reduced cost is 0. A price that is inside its interval but at neither end was
        edited. Only for optimal weighted LP runs (lexicographic and MIP runs report the last
        stage's or the fixed LP's prices).
        """
        s = self.summary
        if s.get("duals_of"):
            self.unverified.append(
                f"duals.csv shadow prices: of {s['duals_of']}, not of the model: only sign and "
                "complementary slackness checked (no reduced costs)"
            )
            return
        if (
            s.get("status") != "optimal"
            or s.get("mip")
            or s.get("objective_mode", "weighted") != "weighted"
            or not np.isfinite(self.t["duals"]["shadow_price"].to_numpy(float)).all()
        ):
            self.unverified.append(
                "duals.csv shadow prices: only sign and complementary slackness (not an optimal "
                "weighted LP run, so no reduced costs)"
            )
            return
        self.checked.append(
            "reduced costs of every column (flows, inventory, production, deliveries, "
            "shortfalls, allocations, shares, home, deploy, swing, share changes); every "
            "nonzero shadow price at an end of its valid interval"
        )
        items, cost, x, upper, t_col, t_row, t_coef = self.columns(f).arrays()
        n = len(items)
        if not n:
            return
        y = self.price_series.reindex(t_row).fillna(0.0).to_numpy(float)
        value = t_coef * y
        dual_sum = np.zeros(n)
        dual_abs = np.zeros(n)
        np.add.at(dual_sum, t_col, value)
        np.maximum.at(dual_abs, t_col, np.abs(value))
        red = cost - dual_sum
        tol = 1e-6 * np.maximum(1.0, np.maximum(np.abs(cost), dual_abs))
        known = np.isfinite(x)
        # within HiGHS's primal feasibility tolerance (1e-7) of a bound counts as at it: a warm
        # re-solve may leave a value of 5e-9 that is a zero
        at_lower = ~known | (x <= PRIMAL_TOL)
        finite_up = np.where(np.isinf(upper), 0.0, upper)
        at_upper = (
            known & np.isfinite(upper) & (x >= upper - np.maximum(PRIMAL_TOL, _tol(finite_up)))
        )
        fixed = at_lower & at_upper  # e.g. zero capacity: any reduced cost
        inside = ~at_lower & ~at_upper
        bad = (inside & (np.abs(red) > tol)) | (at_upper & ~fixed & (red > tol))
        bad |= at_lower & ~fixed & (red < -tol)
        for i in np.flatnonzero(bad):
            self.fail(
                "reduced_cost",
                f"{items[i]}: reduced cost {_fmt(red[i])} at value {_fmt(x[i])} contradicts "
                "the shadow prices of its rows in duals.csv",
            )
        self._vertex_prices(red, tol, at_lower, at_upper, fixed, t_col, t_row, t_coef, y)

    def _vertex_prices(self, red, tol, at_lower, at_upper, fixed, t_col, t_row, t_coef, y):
        """Each row with a nonzero price: its valid interval given the other prices, and the
        price at one of its ends (some column of the row with reduced cost 0)."""
        a = t_coef
        nz = a != 0
        # reduced cost of the column without this row's term, and the price making it 0
        rest = red[t_col] + a * y
        pivot = np.divide(rest, a, out=np.zeros_like(rest), where=nz)
        lower_side = at_lower[t_col] & ~fixed[t_col]  # d >= 0: y*a <= rest
        upper_side = at_upper[t_col] & ~fixed[t_col]  # d <= 0: y*a >= rest
        inside = ~at_lower[t_col] & ~at_upper[t_col]
        hi_cap = np.where(nz & ((lower_side & (a > 0)) | (upper_side & (a < 0)) | inside),
                          pivot, math.inf)  # fmt: skip
        lo_cap = np.where(nz & ((lower_side & (a < 0)) | (upper_side & (a > 0)) | inside),
                          pivot, -math.inf)  # fmt: skip
        tight = nz & (np.abs(red[t_col]) <= tol[t_col])
        frame = pd.DataFrame({"row": t_row, "hi": hi_cap, "lo": lo_cap, "tight": tight})
        per_row = frame.groupby("row", sort=False).agg(
            hi=("hi", "min"), lo=("lo", "max"), tight=("tight", "any")
        )
        p_all = self.price_series.reindex(per_row.index).fillna(0.0).to_numpy(float)
        off = (np.abs(p_all) > PRICE_TOL) & ~per_row["tight"].to_numpy(bool)
        for name, p, row in zip(
            per_row.index[off], p_all[off], per_row[off].itertuples(), strict=True
        ):
            self.fail(
                "shadow_price",
                f"{name}: shadow price {_fmt(p)} is not a vertex price: given the other prices "
                f"its valid interval is [{_fmt(row.lo)}, {_fmt(row.hi)}] and the solver's "
                "price lies at an end of it (no column of the row has reduced cost 0)",
            )
