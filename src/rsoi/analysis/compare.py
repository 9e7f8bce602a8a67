"""Compare two run folders of one model, table by table (``rsoi compare RUN_A RUN_B``).

Tables (each `b - a`, rows where anything differs; ids are the run tables' own):

- `objective.csv`: every objective part and the total (all rows, even unchanged);
- `shortfalls.csv`: shortfall by task (family and item), theater and period;
- `apportionment.csv`: share of each force by theater and period;
- `flows.csv`: short tons moved per route (all periods and commodities);
- `binding.csv`: constraints that started or stopped binding, or whose shadow price changed,
  with both shadow prices.

Runs of different models (the `model` name in summary.json) are refused: their ids do not
mean the same things. `compare.html` shows the same tables, self-contained and offline.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from rsoi.errors import InputError, Problem
from rsoi.results.tables import atomic_run_dir, write_csv, write_json

TOL = 1e-6
"""Absolute difference below which two numbers count as equal."""


@dataclass
class Comparison:
    a: Path
    b: Path
    summary_a: dict
    summary_b: dict
    tables: dict[str, pd.DataFrame]


def _summary(folder: Path) -> dict:
    from rsoi.results.check import load_summary

    return load_summary(folder)


def _table(folder: Path, name: str, columns: list[str]) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    try:
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise Problem.about(
            str(path), name, "missing from the run folder", "re-run the solve"
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise Problem.about(str(path), name, f"unreadable: {exc}", "re-run the solve") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            [
                Problem(
                    str(path),
                    1,
                    None,
                    ", ".join(missing),
                    "column missing",
                    "re-run the solve (the table was edited or is from another program)",
                )
            ]
        )
    return frame


def _side_by_side(
    a: pd.DataFrame, b: pd.DataFrame, keys: list[str], value: str, keep_all: bool = False
) -> pd.DataFrame:
    ga = a.groupby(keys, as_index=False, dropna=False)[value].sum()
    gb = b.groupby(keys, as_index=False, dropna=False)[value].sum()
    merged = ga.merge(gb, on=keys, how="outer", suffixes=("_a", "_b")).fillna(
        {f"{value}_a": 0.0, f"{value}_b": 0.0}
    )
    merged = merged.rename(columns={f"{value}_a": "a", f"{value}_b": "b"})
    merged["change"] = merged["b"] - merged["a"]
    if not keep_all:
        merged = merged[merged["change"].abs() > TOL]
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)


def _binding(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    cols = ["constraint", "family", "shadow_price", "binding"]
    ja = a[cols].rename(columns={"shadow_price": "shadow_price_a", "binding": "binding_a"})
    jb = b[cols].rename(columns={"shadow_price": "shadow_price_b", "binding": "binding_b"})
    m = ja.merge(jb, on=["constraint", "family"], how="outer")
    for side in ("a", "b"):
        m[f"binding_{side}"] = m[f"binding_{side}"].map(lambda v: str(v).strip().lower() == "true")
        m[f"shadow_price_{side}"] = pd.to_numeric(m[f"shadow_price_{side}"]).fillna(0.0)
    change = m["shadow_price_b"] - m["shadow_price_a"]
    m["change"] = np.where(
        m["binding_a"] & ~m["binding_b"],
        "stopped binding",
        np.where(
            ~m["binding_a"] & m["binding_b"],
            "started binding",
            np.where(change.abs() > TOL, "shadow price changed", ""),
        ),
    )
    m = m[m["change"] != ""]
    return (
        m[["constraint", "family", "change", "shadow_price_a", "shadow_price_b"]]
        .sort_values(["change", "family", "constraint"], kind="stable")
        .reset_index(drop=True)
    )


def compare_runs(run_a: Path, run_b: Path) -> Comparison:
    """Read both run folders and compute the comparison tables (InputError if not comparable)."""
    sa, sb = _summary(Path(run_a)), _summary(Path(run_b))
    if sa.get("model") != sb.get("model") or not sa.get("model"):
        raise Problem.about(
            str(run_b),
            "summary.json: model",
            f"runs of different models: '{run_a}' is of model '{sa.get('model')}', "
            f"'{run_b}' of model '{sb.get('model')}'; their ids do not mean the same",
            "compare two runs of the same model (e.g. two scenarios, or before and after an edit)",
        )
    tables: dict[str, pd.DataFrame] = {}
    parts = sorted(set(sa.get("objective_parts", {})) | set(sb.get("objective_parts", {})))
    rows = [
        {
            "part": p,
            "a": float(sa.get("objective_parts", {}).get(p, 0.0)),
            "b": float(sb.get("objective_parts", {}).get(p, 0.0)),
        }
        for p in parts
    ]
    rows.append({"part": "total", "a": float(sa["objective"]), "b": float(sb["objective"])})
    obj = pd.DataFrame(rows)
    obj["change"] = obj["b"] - obj["a"]
    tables["objective"] = obj
    keys = ["family", "item", "theater", "period", "unit"]
    sh_a = _table(Path(run_a), "shortfalls", [*keys, "shortfall"])
    sh_b = _table(Path(run_b), "shortfalls", [*keys, "shortfall"])
    tables["shortfalls"] = _side_by_side(sh_a, sh_b, keys, "shortfall")
    keys = ["force", "theater", "period"]
    ap_a = _table(Path(run_a), "apportionment", [*keys, "share"])
    ap_b = _table(Path(run_b), "apportionment", [*keys, "share"])
    tables["apportionment"] = _side_by_side(ap_a, ap_b, keys, "share")
    fl_a = _table(Path(run_a), "flows", ["route", "short_tons"])
    fl_b = _table(Path(run_b), "flows", ["route", "short_tons"])
    tables["flows"] = _side_by_side(fl_a, fl_b, ["route"], "short_tons")
    cols = ["constraint", "family", "shadow_price", "binding"]
    tables["binding"] = _binding(
        _table(Path(run_a), "duals", cols), _table(Path(run_b), "duals", cols)
    )
    return Comparison(Path(run_a), Path(run_b), sa, sb, tables)


HEADERS: dict[str, tuple[dict[str, str], dict[str, bool], str]] = {
    # table -> (column -> header in words, columns coloured better/worse, what the rows are)
    "objective": (
        {"part": "objective part", "a": "A (penalty units)", "b": "B (penalty units)",
         "change": "change B − A (penalty units)"},
        {"change": True},
        "Every part of the objective the solver minimised; lower is better.",
    ),
    "shortfalls": (
        {"family": "family", "item": "task or item", "theater": "theater", "period": "period",
         "unit": "unit", "a": "shortfall A (unit)", "b": "shortfall B (unit)",
         "change": "change B − A (unit)"},
        {"change": True},
        "Requirements not met, where A and B differ; less shortfall is better.",
    ),
    "apportionment": (
        {"force": "force", "theater": "theater", "period": "period", "a": "share A (0–1)",
         "b": "share B (0–1)", "change": "change B − A (0–1)"},
        {},
        "Share of each force apportioned to a theater, where A and B differ (neither is "
        "better in itself).",
    ),
    "flows": (
        {"route": "route", "a": "A (short tons)", "b": "B (short tons)",
         "change": "change B − A (short tons)"},
        {},
        "Short tons moved per route over the horizon, where A and B differ.",
    ),
    "binding": (
        {"constraint": "constraint", "family": "family", "change": "what changed",
         "shadow_price_a": "shadow price A (penalty units per unit of bound)",
         "shadow_price_b": "shadow price B (penalty units per unit of bound)"},
        {},
        "Constraints that started or stopped binding, or whose shadow price changed.",
    ),
}  # fmt: skip


def _section(name: str, table: pd.DataFrame) -> tuple[str, str, str]:
    from rsoi.outputs.html import CHANGE_KEY, escape, frame_table

    headers, judge, words = HEADERS[name]
    table = table.copy()
    if "theater" in table:  # a demand outside both theaters has none (not "nan")
        table["theater"] = table["theater"].fillna("none")
    body = f"<p>{escape(words)}</p>"
    if judge:
        body += CHANGE_KEY
    body += frame_table(table, headers, judge, digits=3) if len(table) else "<p>No change.</p>"
    return name, f"{name.capitalize()} ({len(table):,} rows)", body


def write_compare(result: Comparison, target: Path, make_dir: bool = False) -> Path:
    """Write the compare folder: one CSV per table, summary.json and compare.html."""

    def fill(folder: Path) -> None:
        for name, table in result.tables.items():
            write_csv(folder / f"{name}.csv", table)
        write_json(
            folder / "summary.json",
            {
                "format": "rsoi-analysis/1",
                "analysis": "compare",
                "model": result.summary_a.get("model"),
                "run_a": str(result.a),
                "run_b": str(result.b),
                "scenario_a": result.summary_a.get("scenario"),
                "scenario_b": result.summary_b.get("scenario"),
                "rows_differing": {k: len(v) for k, v in result.tables.items()},
            },
        )
        from rsoi.outputs.html import page

        note = (
            f"A = {html.escape(str(result.a))} (scenario "
            f"{html.escape(str(result.summary_a.get('scenario') or 'base'))}), B = "
            f"{html.escape(str(result.b))} (scenario "
            f"{html.escape(str(result.summary_b.get('scenario') or 'base'))}); change = B − A; "
            "notional data."
        )
        sections = [_section(name, table) for name, table in result.tables.items()]
        (folder / "compare.html").write_text(
            page(f"rsoi compare: {result.summary_a.get('model')}", sections, note=note),
            encoding="utf-8",
        )

    if make_dir:  # inside a folder that is itself being written atomically
        target.mkdir(parents=True)
        fill(target)
        return target
    with atomic_run_dir(target, analysis="compare") as tmp:
        fill(tmp)
    return target
