"""Reading a run folder's tables and summary, with errors naming table, line and column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from rsoi.errors import InputError, Problem
from rsoi.results.check.base import EMPTY_OK, MAX_PER_FAMILY, NUMERIC, TABLES
from rsoi.results.csvcells import restore_cell


def read_tables(folder: Path) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The CSV tables of a run folder with numeric columns parsed.

    A missing table is a violation (the run folder is incomplete). A malformed one (a missing
    column, text in a number column) is an InputError naming the table, line and column.
    """
    tables: dict[str, pd.DataFrame] = {}
    problems: list[str] = []
    bad: list[Problem] = []
    for name, columns in TABLES.items():
        path = folder / f"{name}.csv"
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            problems.append(f"{name}.csv: missing from the run folder")
            continue
        except (
            pd.errors.ParserError,
            pd.errors.EmptyDataError,
            UnicodeDecodeError,
            OSError,
        ) as exc:
            bad.append(
                Problem(
                    str(path),
                    None,
                    None,
                    name,
                    f"unreadable table ({str(exc).splitlines()[0][:120]})",
                    "re-run the solve",
                )
            )
            continue
        missing = [c for c in columns if c not in frame.columns]
        for col in missing:
            bad.append(
                Problem(str(path), 1, None, col, f"column '{col}' is missing", "re-run the solve")
            )
        if missing:
            continue
        for col in frame.columns:
            if col not in NUMERIC:  # undo the CSV-injection guard of the writer
                frame[col] = frame[col].map(restore_cell)
        for col in frame.columns:
            if col in NUMERIC:
                raw = frame[col]
                num = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
                empty_ok = col in EMPTY_OK
                wrong = num.isna() & ((raw != "") | (not empty_ok))
                for i in np.flatnonzero(wrong.to_numpy())[:MAX_PER_FAMILY]:
                    bad.append(
                        Problem(
                            str(path),
                            _csv_line(path, int(i)),
                            columns.index(col) + 1 if col in columns else None,
                            col,
                            f"'{raw.iloc[i]}' is not a number",
                            "re-run the solve (run folders are not meant to be edited)",
                        )
                    )
                frame[col] = num.astype(float)
        tables[name] = frame
    if bad:
        raise InputError(bad)
    return tables, problems


def _csv_line(path: Path, row: int) -> int | None:
    """File line (1-based) where data row `row` (0-based) starts, quoted newlines included."""
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader, None)
            start = reader.line_num + 1
            for i, _ in enumerate(reader):
                if i == row:
                    return start
                start = reader.line_num + 1
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
    return None


def unknown_ids(folder: Path, frame: pd.DataFrame, name: str, col: str, known) -> None:
    """InputError naming table, line and column when a table holds ids the model lacks."""
    known = set(known)
    miss = np.flatnonzero(~frame[col].isin(known).to_numpy())
    if not len(miss):
        return
    path = folder / f"{name}.csv"
    columns = list(frame.columns)
    raise InputError(
        [
            Problem(
                str(path),
                _csv_line(path, int(i)) if path.exists() else int(i) + 2,
                columns.index(col) + 1 if col in columns else None,
                col,
                f"unknown {col} '{frame[col].iloc[i]}' (not in the model)",
                "check the run against its own model, or re-run the solve",
            )
            for i in miss[:MAX_PER_FAMILY]
        ]
    )


def load_summary(folder: Path) -> dict:
    """summary.json of a run folder (InputError if the folder is not a run folder)."""
    folder = Path(folder)
    path = folder / "summary.json"
    if not folder.is_dir():
        raise Problem.about(
            str(folder), "RUN_DIR", "not a folder", "give a run folder written by `rsoi solve`"
        )
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise Problem.about(
            str(path),
            "RUN_DIR",
            "not a run folder (no summary.json)",
            "give a run folder written by `rsoi solve`",
        ) from None
    except (ValueError, UnicodeDecodeError, OSError, RecursionError) as exc:
        raise Problem.about(
            str(path),
            "summary.json",
            f"unreadable: {str(exc)[:120] or 'nested too deeply'}",
            "re-run the solve",
        ) from None
    if not isinstance(summary, dict):
        raise Problem.about(str(path), "summary.json", "not a JSON object", "re-run the solve")
    problems = [
        Problem(str(path), None, None, f"summary.json: {key}", message, "re-run the solve")
        for key, message in summary_shape_problems(summary)
    ]
    if problems:
        raise InputError(problems)
    return summary


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_SUMMARY_FIELDS = {  # field -> (test, what it must be); absent fields are the checker's business
    "objective": (_is_number, "a number"),
    "objective_parts": (
        lambda v: (
            isinstance(v, dict) and all(isinstance(k, str) and _is_number(x) for k, x in v.items())
        ),
        "an object of part names to numbers",
    ),
    "model_file": (lambda v: isinstance(v, str) and "\x00" not in v, "a path (text)"),
    "model": (lambda v: isinstance(v, str), "text"),
    "scenario": (lambda v: v is None or isinstance(v, str), "text or null"),
    "input_hash": (lambda v: isinstance(v, str), "text"),
    "status": (lambda v: isinstance(v, str), "text"),
    "format": (lambda v: isinstance(v, str), "text"),
    "variant": (lambda v: v is None or isinstance(v, dict), "an object or null"),
    "warnings": (
        lambda v: isinstance(v, list) and all(isinstance(w, str) for w in v),
        "a list of text",
    ),
}


def summary_shape_problems(summary: dict) -> list[tuple[str, str]]:
    """(field, message) for each field of summary.json that rsoi reads but has the wrong type.

    A hand-edited summary is input: a wrong type is exit 2 naming the field, never an
    internal error deeper in `check`, `map` or `compare`.
    """
    return [
        (key, f"must be {what}, not {type(summary[key]).__name__} {str(summary[key])[:40]!r}")
        for key, (test, what) in _SUMMARY_FIELDS.items()
        if key in summary and not test(summary[key])
    ]
