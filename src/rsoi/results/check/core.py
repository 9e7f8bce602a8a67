"""The checker's state (model, tables, violations) and its comparison helpers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from rsoi.model.rules import troops_count_assigned
from rsoi.model.schema import (
    SUPPORT_LEVEL_ORDER,
    SupportLevel,
    effective_rok_level,
)
from rsoi.results.check.base import INTEGER_COLUMNS, MAX_PER_FAMILY, _fmt, _tol
from rsoi.results.check.derive import Derived
from rsoi.results.check.io import unknown_ids


class CheckerCore:
    """The checker's state (model, tables, violations) and its comparison helpers."""

    def __init__(
        self,
        prep: Derived,
        tables: dict[str, pd.DataFrame],
        summary: dict,
        folder: Path = Path("."),
    ) -> None:
        self.folder = folder
        self.prep = prep  # the checker's own derivation (see `derive`), not rsoi.lp.prepare's
        self.spec = prep.spec
        self.t = tables
        self.summary = summary
        self.T = int(prep.T)
        self.days = float(self.spec.horizon.period_days)
        self.violations: list[str] = []
        self.checked: list[str] = []
        self.unverified: list[str] = []  # values only bounded, or not verified: named
        self._count: dict[str, int] = defaultdict(int)
        self.tons = {c.id: c.short_tons_per_unit for c in self.spec.commodities}
        self.places = prep.places
        self.routes = prep.routes
        self.forces = {f.id: f for f in self.spec.forces}
        self.providers = {u.id: u for u in self.spec.providers}
        self.class_weight = {c.id: c.weight for c in self.spec.settings.priority_classes}
        self.factor = prep.factor

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

    def phi(self, target: str, t: int) -> float:
        f = self.factor.get(target)
        return 1.0 if f is None else float(f[t - 1])

    def assigned_troops(self, f) -> bool:
        """Does this force count toward the troop floor by assigned strength?"""
        pol = self.spec.policies.troop_floor
        return f.nation == "US" and troops_count_assigned(
            f.assignment.value, f.branch.value, pol.usfk_air_counts_assigned
        )

    def rok_allows(self, level: SupportLevel) -> bool:
        current = effective_rok_level(self.spec)
        return SUPPORT_LEVEL_ORDER.index(current) >= SUPPORT_LEVEL_ORDER.index(level)

    # --- table sanity ----------------------------------------------------------------------

    def sane(self, name: str, ids: dict[str, Iterable[str]], nonneg: list[str]) -> pd.DataFrame:
        """Rows with known ids, periods in the horizon, finite non-negative values."""
        frame = self.t[name]
        bad = np.zeros(len(frame), bool)
        for col, known in ids.items():
            unknown_ids(self.folder, frame, name, col, known)  # InputError: a malformed table
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
