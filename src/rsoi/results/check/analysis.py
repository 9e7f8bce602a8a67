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
    tied = [c for c in table.columns if _tied_column(c)]
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
        power = _member_power(folder / run_dir)
        for col in tied:
            written = _num(row[col])
            mine = _member_value(summary, power, col)
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


def _tied_column(col: str) -> bool:
    return col == "objective" or col.split(":")[0] in ("objective", "shortfall", "combat_power")


def _member_power(run: Path) -> dict[str, float]:
    """Combat power per theater of a member: the mean over periods is not what the table
    holds, so the sum over rows per theater is compared (as `figures` sums share x power)."""
    table = pd.read_csv(run / "apportionment.csv")
    table = table[table["theater"] != "in_transit"]
    return table.groupby("theater")["combat_power"].sum().to_dict()


def _member_value(summary: dict, power: dict[str, float], col: str) -> float | None:
    if col == "objective":
        return float(summary["objective"])
    kind, _, key = col.partition(":")
    parts = summary.get("objective_parts") or {}
    if kind == "objective":
        return float(parts.get(key, 0.0))
    if kind == "shortfall":
        return float(parts.get(f"shortfall:{key}", 0.0))
    if kind == "combat_power":
        return float(power.get(key, 0.0))
    return None
