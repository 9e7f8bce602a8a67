"""Shortfalls against the active requirement lines, and the objective recomputed."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd

from rsoi.model.schema import (
    ConstraintMode,
)
from rsoi.results.check.base import _fmt, _tol
from rsoi.results.check.core import CheckerCore


class ObjectiveChecks(CheckerCore):
    """Shortfalls against the active requirement lines, and the objective recomputed."""

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
                weight = self.class_weight[q.priority] * penalty[q.task] * self.days
                out[("task", q.id, t)] = (q.amount, weight, q.priority)
        rung = prep.rung
        for i, c in enumerate(spec.combat_requirements):
            for t in range(1, self.T + 1):
                amount = c.amount_by_ladder.get(rung[t - 1], 0.0)
                if prep.korea_start is not None and t >= prep.korea_start:
                    amount += c.korea_conflict_amount
                if amount > 0:
                    key = ("combat_power", f"combat_power:{c.theater}:{i}", t)
                    out[key] = (
                        amount,
                        self.class_weight[c.priority] * c.penalty_weight * self.days,
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
                    weight = self.class_weight[p.priority] * penalty_w * self.days
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
        described = self.expected_shortfall_text()
        delivered = deliveries.groupby("demand")["quantity"].sum().to_dict()
        lad = {x.id: x.lad for x in self.prep.demands}
        late_rows = deliveries[
            deliveries["period"].to_numpy(int) > deliveries["demand"].map(lad).to_numpy(int)
        ]
        delivered_late = late_rows.groupby("demand")["quantity"].sum().to_dict()
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
            for column, value in described.get(key, {}).items():
                self.text("shortfalls", item, column, getattr(row, column), value)
            late = delivered_late.get(key[1], 0.0) if key[0] == "demand" else 0.0
            self.equal("shortfalls", item, row.delivered_late, late, "delivered_late", required)
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
                settings.lateness_weight
                * self.days
                * np.sum(late * w * d["quantity"].to_numpy(float))
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
