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
        raise InputError(
            [
                Problem(
                    str(path), None, None, name, "missing from the run folder", "re-run the solve"
                )
            ]
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            [Problem(str(path), None, None, name, f"unreadable: {exc}", "re-run the solve")]
        ) from None
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
        raise InputError(
            [
                Problem(
                    str(run_b),
                    None,
                    None,
                    "summary.json: model",
                    f"runs of different models: '{run_a}' is of model '{sa.get('model')}', "
                    f"'{run_b}' of model '{sb.get('model')}'; their ids do not mean the same",
                    "compare two runs of the same model (e.g. two scenarios, or before and after "
                    "an edit)",
                )
            ]
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


def _html_table(frame: pd.DataFrame, limit: int = 500) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.head(limit).itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cls = ' class="neg"' if v < -TOL else (' class="pos"' if v > TOL else "")
                cells.append(f'<td{cls} style="text-align:right">{v:,.3f}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p>… {len(frame) - limit} more rows in the CSV file.</p>" if len(frame) > limit else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:.2em .5em;
font-size:.9em}th{background:#f0f0f0}.pos{color:#a00}.neg{color:#070}
.note{color:#555;font-size:.9em}"""


def page(title: str, sections: list[tuple[str, str]], note: str = "") -> str:
    """A self-contained HTML page (no scripts, no external resources)."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if note:
        parts.append(f'<p class="note">{note}</p>')
    for heading, content in sections:
        parts.append(f"<h2>{html.escape(heading)}</h2>{content}")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


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
        note = (
            f"A = {html.escape(str(result.a))} (scenario "
            f"{html.escape(str(result.summary_a.get('scenario')))}), B = "
            f"{html.escape(str(result.b))} (scenario "
            f"{html.escape(str(result.summary_b.get('scenario')))}); change = B − A; "
            "notional data."
        )
        sections = [
            (f"{name} ({len(table)} rows)", _html_table(table))
            for name, table in result.tables.items()
        ]
        (folder / "compare.html").write_text(
            page(f"rsoi compare: {result.summary_a.get('model')}", sections, note),
            encoding="utf-8",
        )

    if make_dir:  # inside a folder that is itself being written atomically
        target.mkdir(parents=True)
        fill(target)
        return target
    with atomic_run_dir(target, analysis="compare") as tmp:
        fill(tmp)
    return target
