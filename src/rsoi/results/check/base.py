"""Shared constants of the checker: the tables it reads, tolerances, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

REL_TOL = 1e-6
"""Relative tolerance of every comparison (scale: max(1, |terms|))."""


MAX_PER_FAMILY = 20
"""Violations listed per family; the rest are counted."""


TABLES: dict[str, list[str]] = {
    "flows": [
        "route", "origin", "destination", "mode", "theater", "commodity", "period",
        "period_start", "arrival_period", "quantity", "unit", "short_tons",
    ],
    "inventory": ["place", "commodity", "period", "quantity", "unit", "short_tons"],
    "deliveries": ["demand", "place", "commodity", "period", "quantity", "periods_late"],
    "production": ["line", "place", "commodity", "period", "quantity"],
    "allocations": [
        "provider", "nation", "task", "place", "theater", "period", "period_start",
        "units_allocated", "capability_per_day", "capability_unit",
    ],
    "apportionment": [
        "force", "nation", "branch", "assignment", "theater", "period", "period_start", "share",
        "combat_power", "troops",
    ],
    "shortfalls": [
        "family", "requirement", "item", "place", "theater", "period", "unit", "required",
        "delivered", "delivered_late", "shortfall", "priority",
    ],
    "duals": [
        "constraint", "family", "entity_kind", "entity", "period", "activity", "lower", "upper",
        "shadow_price", "range_from", "range_to", "source", "binding",
    ],
}  # fmt: skip
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
    "range_from",
    "range_to",
    "delivered_late",
}


EMPTY_OK = {"lower", "upper", "shadow_price", "range_from", "range_to"}
"""Number columns where an empty cell means 'none' (no bound, no price, no range)."""


INTEGER_COLUMNS = {"period", "arrival_period", "line", "periods_late"}


ACTIVITY_FAMILIES = ("route_capacity", "storage_capacity", "provider_availability")
"""Families whose reported activity in duals.csv is recomputed from the tables."""


PRIMAL_TOL = 1e-7
"""A column value this close to a bound is at the bound (HiGHS's primal feasibility tolerance)."""


PRICE_TOL = 1e-6
"""A shadow price beyond this magnitude needs its row at the matching bound."""


@dataclass
class CheckReport:
    """What the checker found."""

    folder: str
    violations: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    unverified: list[str] = field(default_factory=list)
    """What the folder holds that the check only bounds or does not verify, by name."""
    objective: float | None = None

    @property
    def ok(self) -> bool:
        return not self.violations


def _tol(*scales: Any) -> Any:
    """Absolute tolerance for quantities of the given magnitudes."""
    if not any(isinstance(s, np.ndarray) for s in scales):  # scalars: no numpy overhead
        return REL_TOL * max(1.0, *(abs(float(s)) for s in scales))
    scale = np.ones_like(np.asarray(scales[0], dtype=float))
    for s in scales:
        scale = np.maximum(scale, np.abs(np.asarray(s, dtype=float)))
    return REL_TOL * scale


def _fmt(value: float) -> str:
    return f"{value:,.6g}"
