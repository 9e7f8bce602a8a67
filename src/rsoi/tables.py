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
from rsoi.schema import ModelSpec

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
    """Rows of one CSV as entries of `section`, recording each value's line and column."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], [Problem(name, None, None, section, "CSV file not found", "fix the `csv:` path")]
    except UnicodeDecodeError:
        return [], [Problem(name, None, None, section, "CSV file is not UTF-8", "save it as UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        return [], [Problem(name, 1, 1, section, "CSV file has no header row", "add column names")]
    rows: list[dict] = []
    problems: list[Problem] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(
                    name,
                    number,
                    1,
                    f"{section}[{len(rows)}]",
                    f"row has {len(cells)} cells, header has {len(header)}",
                    "check for a stray or missing comma",
                )
            )
            continue
        index = len(rows)
        entry: dict[str, Any] = {}
        where[(section, index)] = (name, number, 1)
        for column, (key, cell) in enumerate(zip(header, cells, strict=True), start=1):
            cell = cell.strip()
            if not cell:
                continue
            parts = key.strip().split(".")
            target = entry
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            leaf = parts[-1]
            target[leaf] = (
                [v.strip() for v in cell.split(";") if v.strip()]
                if (len(parts) == 1 and leaf in list_fields)
                else cell
            )
            where[(section, index, *parts)] = (name, number, column)
        rows.append(entry)
    return rows, problems
