"""What the CLI prints: safe consoles and tables, problems, check failures, run summaries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from rsoi.errors import CheckError, Problem

_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0 but newline and tab, DEL, C1) and bidi overrides: never printed."""


def printable(text: str) -> str:
    """`text` without control characters or bidi overrides (escape sequences, bells)."""
    return _UNPRINTABLE.sub("", text)


class SafeConsole(Console):
    """A rich Console that strips control characters from every piece of text it prints.

    Model text (sources, ids, names) reaches the terminal in messages and tables; an escape
    sequence in it must not move the cursor, retitle the window or hide text. Styling and the
    progress spinner are rendered by rich itself (control segments) and pass unchanged.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(printable(segment.text), segment.style)
            for segment in buffer
        )


class PlainTable(Table):
    """A rich Table whose cells are plain text, never markup.

    Model text (units, ids, sources) and paths reach the terminal in table cells; `tons [/] net`
    or `run[red]` must print as written. Every table the CLI prints is one of these, so no
    cell needs escaping by hand.
    """

    def add_row(self, *renderables, **kwargs) -> None:
        super().add_row(
            *(Text(cell) if isinstance(cell, str) else cell for cell in renderables), **kwargs
        )


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(message)}")


def notice(message: str) -> None:
    err.print(f"[yellow]note:[/] {escape(message)}")


def print_problems(problems: list[Problem]) -> None:
    err.print(
        f"[bold red]invalid input[/] ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
    )
    for problem in problems:
        err.print(str(problem), markup=False)


def print_check_failure(exc: CheckError) -> None:
    err.print(
        f"[bold red]CHECK FAILED:[/] the plan violates {len(exc.violations)} item(s) of the model "
        "(independent check, rsoi.results.check); do not use these numbers",
    )
    for violation in exc.violations[:50]:
        err.print(f"  - {violation}", markup=False)
    if len(exc.violations) > 50:
        err.print(f"  ... and {len(exc.violations) - 50} more")
    err.print(
        "this is an internal error (exit 1): please report it with the model; "
        "`rsoi solve --no-check` writes the run folder anyway for inspection"
    )


def print_frame(frame, columns: list[str], title: str) -> None:
    """`columns` of a data frame as a table (numbers right-aligned, floats to 2 places)."""
    t = PlainTable(title=title, show_edge=False)
    for col in columns:
        t.add_column(col, justify="right" if frame[col].dtype.kind in "fi" else "left")
    for row in frame[columns].itertuples(index=False):
        t.add_row(*(f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row))
    out.print(t)


def print_summary(run, target: Path, printed: list[str] | None = None) -> None:
    """Status, objective parts, shortfalls by task and theater, hardest-binding constraints."""
    s = run.summary()
    out.print(
        f"[bold]rsoi[/] {escape(str(s['model']))} · scenario "
        f"[bold]{escape(str(s['scenario'] or 'base'))}[/] · "
        f"{escape(str(s['status']))} ({s['solver']} {s['solver_version']}) · notional data"
    )
    out.print(
        f"variables {s['variables']:,} · constraints {s['constraints']:,} · "
        f"objective {s['objective']:,.2f}"
    )
    t = PlainTable(title="objective parts", show_edge=False)
    t.add_column("part")
    t.add_column("value", justify="right")
    for part, value in s["objective_parts"].items():
        t.add_row(part, f"{value:,.2f}")
    out.print(t)
    short = run.tables.shortfalls
    if len(short):
        agg = (
            short.groupby(["family", "item", "theater", "unit"], as_index=False)[
                ["required", "shortfall"]
            ]
            .sum()
            .sort_values(["family", "item", "theater"])
        )
        t = PlainTable(title="shortfalls by task and theater", show_edge=False)
        for col in ("family", "item", "theater", "required", "shortfall", "unit"):
            t.add_column(col, justify="right" if col in ("required", "shortfall") else "left")
        for row in agg.itertuples(index=False):
            style = "red" if row.shortfall > 1e-6 else None
            t.add_row(
                row.family,
                row.item,
                row.theater,
                f"{row.required:,.1f}",
                f"{row.shortfall:,.1f}",
                row.unit,
                style=style,
            )
        out.print(t)
    duals = run.tables.duals
    binding = duals[duals["binding"]].copy()
    binding["abs"] = binding["shadow_price"].abs()
    # the hardest-binding row of each family: policies first, then capacities and the rest
    hardest = (
        binding.sort_values(["abs", "constraint"], ascending=[False, True])
        .groupby("family", sort=False)
        .head(1)
    )
    is_policy = hardest["family"].str.startswith("policy_")
    t = PlainTable(title="binding constraints (hardest row per family)", show_edge=False)
    t.add_column("constraint", no_wrap=True, overflow="ellipsis")
    t.add_column("shadow price", justify="right", no_wrap=True, min_width=13)
    t.add_column("source", no_wrap=True, overflow="ellipsis", max_width=34)
    for frame in (hardest[is_policy], hardest[~is_policy].head(8)):
        for row in frame.itertuples(index=False):
            t.add_row(row.constraint, f"{row.shadow_price:,.3f}", str(row.source))
    out.print(t)
    for w in s["warnings"]:
        if w not in (printed or []):  # those known before the solve were printed then
            out.print(f"[yellow]warning:[/] {escape(w)}")
    out.print(f"run folder: [bold]{escape(str(target))}[/]")
