"""The run folder's other files: summary.json's figures, plan.gpkg against the checked tables,
and by name every file the check does not vouch for.

plan.gpkg is read with the standard library's sqlite3 (a GeoPackage is an SQLite file), not
through rsoi.outputs, so the GeoPackage writer is checked by code that did not write it.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from pathlib import Path

import numpy as np

from rsoi.model.schema import effective_rok_level
from rsoi.results.check.base import TABLES, _fmt
from rsoi.results.check.columns import ColumnSpec

VOUCHED = {f"{name}.csv" for name in TABLES} | {"summary.json", "plan.gpkg"}
"""Files the check verifies (plan.gpkg: its flows, apportionment and routes layers)."""

OWN_FILES = {".rsoi-owner.json"}


class FileChecks(ColumnSpec):
    """summary.json's figures, plan.gpkg, and the files not vouched for."""

    def check_summary_figures(self, flows) -> None:
        """LP size, shortfall per class, events and ROK level in summary.json, recomputed."""
        s = self.summary
        self.checked.append("summary.json: LP size, shortfall by class, events, ROK level")
        if isinstance(s.get("constraints"), int):
            self.equal(
                "summary", "summary.json constraints", s["constraints"],
                len(self.expected_rows()), "rows of the model",
            )  # fmt: skip
        if isinstance(s.get("variables"), int):
            self.equal(
                "summary", "summary.json variables", s["variables"], self.columns(flows).n,
                "columns of the model",
            )  # fmt: skip
        spec = self.spec
        for key, want in (
            ("china_action", spec.events.china_action.value),
            ("rok_support_level", effective_rok_level(spec).value),
        ):
            if key in s and s[key] != want:
                self.fail("summary", f"summary.json {key}: '{s[key]}' != '{want}'")
        by_class = s.get("shortfall_by_priority")
        if isinstance(by_class, dict):
            short = self.t["shortfalls"]
            parts = s.get("objective_parts") or {}
            for cls in self.class_weight:
                entry = by_class.get(cls)
                if not isinstance(entry, dict):
                    self.fail("summary", f"summary.json shortfall_by_priority: '{cls}' missing")
                    continue
                lines = int((short.loc[short["priority"] == cls, "shortfall"] > 1e-6).sum())
                if entry.get("lines_short") != lines:
                    self.fail(
                        "summary",
                        f"summary.json shortfall_by_priority.{cls}.lines_short: "
                        f"{entry.get('lines_short')} != {lines}",
                    )
                penalty = entry.get("penalty")
                if isinstance(penalty, int | float):
                    self.equal(
                        "summary", f"summary.json shortfall_by_priority.{cls}.penalty", penalty,
                        float(parts.get(f"shortfall:{cls}", 0.0)), "penalty vs objective part",
                    )  # fmt: skip
        self.unverified.append(
            "summary.json: timings_seconds, solver and solver_version, warnings (not results)"
        )

    def check_geopackage(self, flows) -> None:
        path = self.folder / "plan.gpkg"
        if not path.is_file():
            return
        self.checked.append("plan.gpkg: flows, apportionment and routes layers match the tables")
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                layers = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
                self._gpkg_flows(con, flows) if "flows" in layers else None
                self._gpkg_apportionment(con) if "apportionment" in layers else None
                self._gpkg_routes(con, flows) if "routes" in layers else None
            finally:
                con.close()
        except sqlite3.Error as exc:
            self.fail("plan.gpkg", f"plan.gpkg: not a readable GeoPackage ({exc})")
            return
        others = sorted(layers - {"flows", "apportionment", "routes"})
        self.unverified.append(
            "plan.gpkg: geometries, and the layers "
            + ", ".join(others)
            + " (drawn from the checked tables; not re-derived)"
        )

    def _rows(self, con, sql: str) -> list[tuple]:
        try:
            return con.execute(sql).fetchall()
        except sqlite3.Error as exc:
            self.fail("plan.gpkg", f"plan.gpkg: {exc}")
            return []

    def _gpkg_flows(self, con, flows) -> None:
        want = {
            (r.route, r.commodity, int(r.period)): (float(r.quantity), float(r.tons), int(r.arrive))
            for r in flows.itertuples()
        }
        got = {}
        for route, k, t, q, tons, arrive in self._rows(
            con,
            "SELECT route, commodity, period, quantity, short_tons, arrival_period FROM flows",
        ):
            got[(route, k, int(t))] = (float(q), float(tons), int(arrive))
        for key in sorted(want.keys() - got.keys()):
            self.fail("plan.gpkg", f"plan.gpkg flows: flow{list(key)} missing")
        for key in sorted(got.keys() - want.keys()):
            self.fail("plan.gpkg", f"plan.gpkg flows: flow{list(key)} is not in flows.csv")
        for key in sorted(want.keys() & got.keys()):
            (q, tons, arrive), (gq, gtons, garrive) = want[key], got[key]
            item = f"plan.gpkg flows {','.join(map(str, key))}"
            self.equal("plan.gpkg", item, gq, q, "quantity")
            self.equal("plan.gpkg", item, gtons, tons, "short_tons")
            if garrive != arrive:
                self.fail("plan.gpkg", f"{item}: arrival_period {garrive} != {arrive}")

    def _gpkg_apportionment(self, con) -> None:
        table = self.t["apportionment"]
        want = {
            (r.force, r.theater, int(r.period)): (r.share, r.combat_power, r.troops)
            for r in table.itertuples()
        }
        sql = "SELECT force, theater, period, share, combat_power, troops FROM apportionment"
        for force, theater, t, share, power, troops in self._rows(con, sql):
            key = (force, theater, int(t))
            item = f"plan.gpkg apportionment {force},{theater},{t}"
            if key not in want:
                if abs(float(share or 0)) > 1e-9:
                    self.fail("plan.gpkg", f"{item}: not in apportionment.csv")
                continue
            for what, got, mine in zip(
                ("share", "combat_power", "troops"), (share, power, troops), want[key], strict=True
            ):
                self.equal("plan.gpkg", item, float(got), float(mine), what)

    def _gpkg_routes(self, con, flows) -> None:
        tons: dict[str, float] = defaultdict(float)
        for r in flows.itertuples():
            tons[r.route] += float(r.tons)
        sql = "SELECT id, flow_t, transit_periods, distance_km FROM routes"
        for route, flow_t, transit, km in self._rows(con, sql):
            mine = self.routes.get(route)
            item = f"plan.gpkg routes {route}"
            if mine is None:
                self.fail("plan.gpkg", f"{item}: not a route of the model")
                continue
            self.equal("plan.gpkg", item, float(flow_t or 0.0), tons.get(route, 0.0), "flow_t")
            if transit is not None and int(transit) != mine.transit_periods:
                self.fail(
                    "plan.gpkg", f"{item}: transit_periods {transit} != {mine.transit_periods}"
                )
            if km is not None and not np.isclose(float(km), mine.distance_km, rtol=1e-3):
                self.fail(
                    "plan.gpkg",
                    f"{item}: distance_km {_fmt(float(km))} != {_fmt(mine.distance_km)}",
                )

    def name_unvouched_files(self) -> None:
        """Every file of the folder the check does not verify, by name."""
        rest = sorted(
            str(p.relative_to(self.folder))
            for p in Path(self.folder).rglob("*")
            if p.is_file() and p.relative_to(self.folder).as_posix() not in VOUCHED | OWN_FILES
        )
        if rest:
            self.unverified.append(
                "not vouched for (drawn from the checked tables, not re-derived): "
                + ", ".join(rest)
            )
