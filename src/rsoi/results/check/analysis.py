"""Analysis folders (sweep, resilience, frontier, policies, hedge, interdict): every member run
checked, and each analysis table's row tied to its member.

A row of an analysis table that names its member's folder (``run_dir``) has its numbers
recomputed from that member, which is checked first: ``objective`` and each
``objective:<part>`` / ``shortfall:<class>`` from the member's verified summary.json,
``combat_power:<theater>`` from its verified apportionment.csv, ``status`` as optimal. Rows
without a member folder, other columns, and tables without ``run_dir`` are named as not
verified: they never count as passed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd

from rsoi.results.check.base import CheckReport, _fmt, _tol
from rsoi.results.check.io import load_summary
from rsoi.results.csvcells import restore_cell

RUN_FORMAT = "rsoi-run/1"
ANALYSIS_FORMATS = ("rsoi-analysis/1",)
ANALYSIS_MARKER = "analysis.json"


def is_analysis_folder(folder: Path) -> bool:
    """An analysis folder: its summary.json or analysis.json says so."""
    for name in ("summary.json", ANALYSIS_MARKER):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(data, dict) and data.get("format") in ANALYSIS_FORMATS:
            return True
    return False


def _is_run(folder: Path) -> bool:
    try:
        data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("format") == RUN_FORMAT


def check_analysis(folder: Path, check_member) -> CheckReport:
    """Check every member run of an analysis folder and tie its tables to them.

    `check_member(path) -> CheckReport` checks one run folder (``check_run``).
    """
    folder = Path(folder)
    report = CheckReport(str(folder))
    members: dict[str, dict] = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink()):
        if not _is_run(sub):
            if is_analysis_folder(sub) or (sub / "summary.json").exists():
                report.unverified.append(f"{sub.name}/: not a run folder (not re-derived)")
            continue
        member = check_member(sub)
        report.violations.extend(f"{sub.name}: {v}" for v in member.violations)
        report.unverified.extend(f"{sub.name}: {u}" for u in member.unverified)
        if member.ok:
            members[sub.name] = load_summary(sub)
    report.checked.append(f"{len(members)} member run folder(s) pass the check")
    for path in sorted(folder.glob("*.csv")):
        _tie_table(folder, path, members, report)
    return report


def _num(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.nan


def _tie_table(folder: Path, path: Path, members: dict[str, dict], report: CheckReport) -> None:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        report.violations.append(f"{path.name}: unreadable ({str(exc)[:80]})")
        return
    table = table.map(restore_cell)
    if "run_dir" not in table.columns:
        report.unverified.append(f"{path.name}: no member folders to tie its rows to")
        return
    base_dir = _baseline_member(folder, members)
    tied = [c for c in table.columns if _tied_column(c) and (base_dir or not _change_of(c))]
    untied = sorted(set(table.columns) - set(tied) - {"run_dir", "status", "check"})
    loose = 0
    for i, row in table.iterrows():
        run_dir = row["run_dir"]
        if not run_dir:
            loose += 1
            continue
        where = f"{path.name} row {i + 2} ({run_dir})"
        summary = members.get(run_dir)
        if summary is None:
            if not (folder / run_dir / "summary.json").exists():
                report.violations.append(f"{where}: member folder '{run_dir}' missing")
            else:
                report.violations.append(f"{where}: its member fails the check")
            continue
        if row.get("status", "optimal") != summary.get("status"):
            report.violations.append(
                f"{where}: status '{row.get('status')}' != the member's '{summary.get('status')}'"
            )
        member = _Member(summary, folder / run_dir)
        base = _Member(members[base_dir], folder / base_dir) if base_dir else None
        for col in tied:
            written = _num(row[col])
            mine = member.value(col, base)
            if mine is None:
                continue
            if math.isnan(written) or abs(written - mine) > _tol(written, mine):
                report.violations.append(
                    f"{where}: {col} {row[col]} differs from the member's {_fmt(mine)}"
                )
    report.checked.append(
        f"{path.name}: {len(table) - loose} row(s) recomputed from their members "
        f"({', '.join(tied) or 'no number columns'})"
    )
    if loose:
        report.unverified.append(f"{path.name}: {loose} row(s) without a member folder")
    if untied:
        report.unverified.append(f"{path.name}: columns {', '.join(untied)}")


def _change_of(col: str) -> str | None:
    """The column a change column is the change of (`change:X`, `X_change`, `X_change:key`)."""
    if col.startswith("change:"):
        return col.removeprefix("change:")
    head, sep, key = col.partition(":")
    if head.endswith("_change"):
        return head.removesuffix("_change") + (sep + key if sep else "")
    return None


def _tied_column(col: str) -> bool:
    """A number column recomputed from the members (a change column: from the baseline too)."""
    col = _change_of(col) or col
    return col in ("objective", "korea_shortfall", "taiwan_shortfall") or col.split(":")[0] in (
        "objective", "shortfall", "combat_power",
    )  # fmt: skip


def _baseline_member(folder: Path, members: dict[str, dict]) -> str | None:
    """The member the change columns are measured against: `baseline/`, or the analysis
    summary's `baseline` scenario (a sweep with --baseline)."""
    if "baseline" in members:
        return "baseline"
    try:
        name = json.loads((folder / "summary.json").read_text(encoding="utf-8")).get("baseline")
    except (OSError, ValueError, RecursionError, AttributeError):
        return None
    if not isinstance(name, str):
        return None
    # a member folder is the scenario name with other characters than [A-Za-z0-9._-] as '-'
    for candidate in (name, re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")):
        if candidate in members:
            return candidate
    return None


class _Member:
    """A checked member run: its figures as the analysis tables report them."""

    def __init__(self, summary: dict, run: Path) -> None:
        self.summary, self.run = summary, run
        self._power: dict[str, float] | None = None
        self._short: pd.DataFrame | None = None

    def value(self, col: str, base: _Member | None = None) -> float | None:
        of = _change_of(col)
        if of is not None:
            mine, theirs = self.value(of), base.value(of) if base else None
            return None if mine is None or theirs is None else mine - theirs
        if col == "objective":
            return float(self.summary["objective"])
        if col in ("korea_shortfall", "taiwan_shortfall"):
            return self.frontier_measure(col)
        kind, _, key = col.partition(":")
        parts = self.summary.get("objective_parts") or {}
        if kind == "objective":
            return float(parts.get(key, 0.0))
        if kind == "shortfall":
            return float(parts.get(f"shortfall:{key}", 0.0))
        if kind == "combat_power":
            return float(self.power().get(key, 0.0))
        return None

    def power(self) -> dict[str, float]:
        """Combat power summed over the periods, per theater and per ``assignment:theater``
        (as the analyses' figures sum share x power over the share columns)."""
        if self._power is None:
            table = pd.read_csv(
                self.run / "apportionment.csv", dtype={"assignment": str, "theater": str}
            )
            table = table[table["theater"] != "in_transit"]
            out = table.groupby("theater")["combat_power"].sum().to_dict()
            by_group = table.groupby(["assignment", "theater"])["combat_power"].sum()
            out.update({f"{g}:{theater}": value for (g, theater), value in by_group.items()})
            self._power = out
        return self._power

    def frontier_measure(self, col: str) -> float:
        """Korea: combat power short in Korea plus the deterrence floor's shortfall; Taiwan:
        combat power short in every other theater (rsoi.analysis.frontier's K and W), summed
        over the periods, from the member's checked shortfalls.csv."""
        if self._short is None:
            self._short = pd.read_csv(self.run / "shortfalls.csv", dtype=str, keep_default_na=False)
        s = self._short
        value = pd.to_numeric(s["shortfall"], errors="coerce").fillna(0.0)
        combat = s["family"] == "combat_power"
        korea = combat & (s["theater"] == "korea")
        if col == "korea_shortfall":
            return float(value[korea | (s["requirement"] == "policy_deterrence_floor")].sum())
        return float(value[combat & ~korea].sum())
