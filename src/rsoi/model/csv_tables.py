"""CSV tables referenced from the model YAML.

A list section may be given as ``routes: {csv: tables/routes.csv}``. Each CSV row becomes one
entry; a column ``capability.port_access`` fills a nested mapping; a list-valued field
(``theaters``, ``lanes``, ``serves``) is written ``korea;taiwan``; an empty cell leaves the
field out. Every value keeps its CSV file, line and column, so validation errors point into
the CSV.
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rsoi.errors import InputError, Problem
from rsoi.model.safeio import FileRefused, read_bounded
from rsoi.model.schema import ModelSpec

Location = tuple[str, int, int]


def _item_model(section: str) -> Any:
    field = ModelSpec.model_fields.get(section)
    if field is None or typing.get_origin(field.annotation) is not list:
        return None
    return typing.get_args(field.annotation)[0]


def _list_fields(model: Any) -> set[str]:
    return {
        name
        for name, field in getattr(model, "model_fields", {}).items()
        if typing.get_origin(field.annotation) is list
    }


def expand_csv_sections(
    data: dict,
    where: dict[tuple, Location],
    resolve: Callable[[str, tuple], Path],
) -> None:
    """Replace every ``section: {csv: path}`` in `data` by the CSV's rows, in place.

    `resolve(path, yaml_path)` turns the referenced path into a file path (and may refuse it
    by raising InputError); `where` gains the CSV location of every value.
    """
    problems: list[Problem] = []
    for section, value in list(data.items()):
        if not (isinstance(value, dict) and set(value) == {"csv"}):
            continue
        model = _item_model(section)
        file, line, col = where.get((section,), ("<model>", 1, 1))
        if model is None:
            problems.append(
                Problem(
                    file,
                    line,
                    col,
                    section,
                    "only list sections can come from CSV",
                    "use `{csv: ...}` for places, routes, demands and similar lists",
                )
            )
            continue
        path = resolve(str(value["csv"]), (section, "csv"))
        rows, row_problems = read_csv_rows(path, section, _list_fields(model), where)
        problems.extend(row_problems)
        data[section] = rows
    if problems:
        raise InputError(problems)


def read_csv_rows(
    path: Path, section: str, list_fields: set[str], where: dict[tuple, Location]
) -> tuple[list[dict], list[Problem]]:
    """Rows of one CSV as entries of `section`, recording each value's line and column.

    Bounded: a regular file of at most MAX_CSV_BYTES, at most MAX_CSV_ROWS rows; line numbers
    are those of the file (a quoted cell may span lines); a repeated column name is an error.
    """
    name = str(path)
    try:
        text = read_bounded(path, MAX_CSV_BYTES, "CSV file").decode("utf-8-sig")
    except FileRefused as exc:
        hint = "fix the `csv:` path" if "not found" in exc.message else exc.hint
        return [], [Problem(name, None, None, section, exc.message, hint)]
    except UnicodeDecodeError:
        return [], [Problem(name, None, None, section, "CSV file is not UTF-8", "save it as UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[dict] = []
    problems: list[Problem] = []
    try:
        header = next(reader, None)
        if not header:
            return [], [
                Problem(name, 1, 1, section, "CSV file has no header row", "add column names")
            ]
        keys = [key.strip() for key in header]
        for column, key in enumerate(keys, start=1):
            if key in keys[: column - 1]:
                problems.append(
                    Problem(
                        name,
                        1,
                        column,
                        f"{section}.{key}",
                        f"column '{key}' appears twice (first in column {keys.index(key) + 1})",
                        "give each column once",
                    )
                )
        if problems:
            return [], problems
        line = reader.line_num + 1  # the first line of the next record
        for cells in reader:
            number, line = line, reader.line_num + 1
            if len(rows) >= MAX_CSV_ROWS:
                problems.append(
                    Problem(
                        name,
                        number,
                        1,
                        section,
                        f"more than {MAX_CSV_ROWS} rows",
                        "split the table or aggregate its rows",
                    )
                )
                break
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(keys):
                problems.append(
                    Problem(
                        name,
                        number,
                        1,
                        f"{section}[{len(rows)}]",
                        f"row has {len(cells)} cells, header has {len(keys)}",
                        "check for a stray or missing comma",
                    )
                )
                continue
            rows.append(_entry(cells, keys, section, len(rows), number, name, list_fields, where))
    except csv.Error as exc:
        problems.append(
            Problem(name, reader.line_num, None, section, f"CSV syntax error: {exc}", _CSV_HINT)
        )
    return rows, problems


_CSV_HINT = "check quotes: a quoted cell must end with a quote"
MAX_CSV_BYTES = 8 * 1024 * 1024
"""Larger CSV tables are refused before reading (parsing keeps every cell's location)."""
MAX_CSV_ROWS = 50_000
"""Bound on data rows in one CSV table."""


def _entry(
    cells: list[str],
    keys: list[str],
    section: str,
    index: int,
    number: int,
    name: str,
    list_fields: set[str],
    where: dict[tuple, Location],
) -> dict[str, Any]:
    """One CSV row as a (nested) mapping; records the location of every value."""
    entry: dict[str, Any] = {}
    where[(section, index)] = (name, number, 1)
    for column, (key, cell) in enumerate(zip(keys, cells, strict=True), start=1):
        cell = cell.strip()
        if not cell:
            continue
        parts = key.split(".")
        target = entry
        for part in parts[:-1]:
            child = target.setdefault(part, {})
            target = child if isinstance(child, dict) else {}
        leaf = parts[-1]
        target[leaf] = (
            [v.strip() for v in cell.split(";") if v.strip()]
            if (len(parts) == 1 and leaf in list_fields)
            else cell
        )
        where[(section, index, *parts)] = (name, number, column)
    return entry
