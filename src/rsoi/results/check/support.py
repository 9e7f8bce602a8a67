"""Support allocations: provider availability, task coverage, maintenance, access caps."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from rsoi.model.schema import (
    TaskKind,
    effective_rok_level,
)
from rsoi.results.check.core import CheckerCore
from rsoi.results.check.derive import access_task


class SupportChecks(CheckerCore):
    """Support allocations: provider availability, task coverage, maintenance, access caps."""

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
                task = access_task(r, self.places[place])
                if task is not None:
                    need[(task, place, r.theater, t)] += row.tons
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
