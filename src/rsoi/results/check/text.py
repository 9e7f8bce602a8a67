"""Text columns (names, units, theaters, dates) recomputed from the model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from rsoi.results.check.core import CheckerCore


class TextChecks(CheckerCore):
    """Text columns (names, units, theaters, dates) recomputed from the model."""

    # --- text columns -------------------------------------------------------------------------

    def period_start(self, t: int) -> str:
        """ISO date period t starts on: C-day plus (t - 1) period lengths (whole days)."""
        c_day = dt.date.fromisoformat(self.spec.horizon.c_day)
        return (c_day + dt.timedelta(days=(t - 1) * self.days)).isoformat()

    def text(self, table: str, item: str, column: str, written: Any, expected: str | None) -> None:
        """Fail unless a text cell is `expected` (None: an empty cell). `read_tables` has
        already undone the writer's CSV-injection guard."""
        got = str(written)
        expected = "" if expected is None else expected
        if got == expected:
            return
        self.fail(f"{table}:{column}", f"{item}: {column} '{got}' != '{expected}'")

    def check_text_columns(self, f: pd.DataFrame) -> None:
        """Every descriptive column of the tables, recomputed from the model."""
        self.checked.append("text columns: period_start, units, nations, branches, route ends")
        units = {c.id: c.unit for c in self.spec.commodities}
        for row in f.itertuples():
            item = f"flow[{row.route},{row.commodity},{row.period}]"
            self.text("flows", item, "unit", row.unit, units[row.commodity])
            self.text(
                "flows", item, "period_start", row.period_start, self.period_start(row.period)
            )
        inv = self.t["inventory"]
        for row in inv.itertuples():
            if row.commodity not in units:
                continue
            item = f"inventory[{row.place},{row.commodity},{row.period}]"
            self.text("inventory", item, "unit", row.unit, units[row.commodity])
            self.equal(
                "inventory", item, row.short_tons, row.quantity * self.tons[row.commodity],
                "short_tons",
            )  # fmt: skip
        task_unit = {t.id.value: t.unit for t in self.spec.tasks}
        for row in self.t["allocations"].itertuples():
            if row.task not in task_unit or not 1 <= row.period <= self.T:
                continue
            item = f"allocation[{row.provider},{row.task},{row.place},{row.theater},{row.period}]"
            self.text("allocations", item, "capability_unit", row.capability_unit,
                      task_unit[row.task])  # fmt: skip
            self.text("allocations", item, "period_start", row.period_start,
                      self.period_start(int(row.period)))  # fmt: skip
        for row in self.t["apportionment"].itertuples():
            force = self.forces.get(row.force)
            if force is None or not 1 <= row.period <= self.T:
                continue
            item = f"share[{row.force},{row.theater},{int(row.period)}]"
            self.text("apportionment", item, "nation", row.nation, force.nation)
            self.text("apportionment", item, "branch", row.branch, force.branch.value)
            self.text("apportionment", item, "assignment", row.assignment, force.assignment.value)
            self.text("apportionment", item, "period_start", row.period_start,
                      self.period_start(int(row.period)))  # fmt: skip

    def expected_shortfall_text(self) -> dict[tuple[str, str, int], dict[str, str]]:
        """(family, requirement, period) -> the descriptive columns of its shortfalls.csv row."""
        spec = self.spec
        units = {c.id: c.unit for c in spec.commodities}
        task_unit = {t.id.value: t.unit for t in spec.tasks}
        out: dict[tuple[str, str, int], dict[str, str]] = {}
        for d in self.prep.demands:
            out[("demand", d.id, d.lad)] = {
                "item": d.commodity,
                "place": d.place,
                "theater": self.places[d.place].theater,
                "unit": units[d.commodity],
                "priority": d.priority,
            }
        for q in self.prep.requirements:
            for t in range(q.from_period, q.to_period + 1):
                out[("task", q.id, t)] = {
                    "item": q.task.value,
                    "place": q.place,
                    "theater": q.theater,
                    "unit": task_unit[q.task.value],
                    "priority": q.priority,
                }
        for key in self.expected_requirements():
            if key[0] == "combat_power":
                _, theater, line = key[1].split(":")
                out[key] = {
                    "item": "combat_power",
                    "place": "",
                    "theater": theater,
                    "unit": "combat power",
                    "priority": spec.combat_requirements[int(line)].priority,
                }
            elif key[0] == "policy":
                name = key[1].removeprefix("policy_")
                out[key] = {
                    "item": name,
                    "place": "",
                    "theater": "korea",
                    "unit": "troops" if "troop" in name else "combat power",
                    "priority": getattr(spec.policies, name).priority,
                }
        return out
