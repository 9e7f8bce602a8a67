"""The one HTML kit every page rsoi writes is built from (run report, compare, frontier,
policies, hedge, interdict): page shell and style, tables, number formats, colour keys and the
JSON a page script reads.

Pages are self-contained and offline: styles and scripts inline, no external URL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from importlib import resources

import numpy as np

__all__ = ["escape", "page", "script_json"]


def _asset(name: str) -> str:
    return (resources.files("rsoi.outputs") / "assets" / name).read_text(encoding="utf-8")


def _finite(value: object) -> object:
    """`value` with every NaN or infinity (also inside lists and dicts) replaced by None."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def script_json(value: object) -> str:
    """JSON for a ``<script type="application/json">`` block: strict JSON (NaN and infinities
    become null, which `JSON.parse` accepts; a bare NaN stops the page script), and no ``</``
    that would end the script element early."""
    text = json.dumps(_finite(value), sort_keys=True, ensure_ascii=True, allow_nan=False)
    return text.replace("</", "<\\/")


def missing(value: object) -> bool:
    """None, NaN (pandas' empty cell) or an empty string: shown as a dash."""
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in ("", "nan")


def num(value: object, digits: int = 0) -> str:
    """A number with thousands separators and `digits` decimals; a dash when missing."""
    if missing(value):
        return "–"
    if not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:,.{digits}f}"


def pct(value: object) -> str:
    """A 0..1 ratio as a whole percent; a dash when missing."""
    if missing(value):
        return "–"
    return f"{100 * float(value):,.0f}%"  # type: ignore[arg-type]


def text(value: object) -> str:
    """A cell's text: a dash for a missing value (never "nan")."""
    return "–" if missing(value) else str(value)


# colour by better or worse (not by sign): the caller says which way is better
BETTER, WORSE = "better", "worse"
CHANGE_KEY = (
    '<p class="legend"><span class="key"><i class="sw better"></i>better for the plan</span>'
    '<span class="key"><i class="sw worse"></i>worse for the plan</span>'
    '<span class="key"><i class="sw"></i>no change</span></p>'
)


def judged(change: float, lower_is_better: bool, tol: float = 1e-9) -> str:
    """The css class of a change: `better`, `worse` or '' (within `tol`)."""
    if missing(change) or abs(float(change)) <= tol:
        return ""
    return BETTER if (float(change) < 0) == lower_is_better else WORSE


Cell = str | tuple[str, str]  # text, or (text, css class or inline style "prop:value")


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    numeric: Sequence[bool] | None = None,
    caption: str = "",
    limit: int | None = None,
) -> str:
    """An HTML table that fits the page (it scrolls sideways inside its box or wraps text).

    Cells are strings (escaped here) or (text, css) pairs: css with a ``:`` is an inline style,
    otherwise a class name. `limit` shows that many rows and says how many more there are.
    """
    numeric = list(numeric or [False] * len(header))
    out = ['<div class="tbl"><table>']
    if caption:
        out.append(f"<caption>{escape(caption)}</caption>")
    out.append("<thead><tr>")
    out += [
        f'<th class="{"n" if n else ""}">{escape(str(h))}</th>'
        for h, n in zip(header, numeric, strict=True)
    ]
    out.append("</tr></thead><tbody>")
    rows = list(rows)
    shown = rows if limit is None else rows[:limit]
    for row in shown:
        out.append("<tr>")
        for cell, n in zip(row, numeric, strict=True):
            value, css = cell if isinstance(cell, tuple) else (cell, "")
            classes = ["n"] if n else []
            attr = ""
            if ":" in css:
                attr = f' style="{escape(css)}"'
            elif css:
                classes.append(css)
            out.append(f'<td class="{" ".join(classes)}"{attr}>{escape(str(value))}</td>')
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if limit is not None and len(rows) > limit:
        out.append(f"<p>… {len(rows) - limit:,} more rows in the CSV file.</p>")
    return "".join(out)


def swatch_legend(items: Iterable[tuple[str, str]], line: bool = False) -> str:
    """A colour key: one swatch per (label, colour)."""
    shape = "ln" if line else "sq"
    keys = "".join(
        f'<span class="key"><i class="sw {shape}" style="background:{escape(c)}"></i>'
        f"{escape(label)}</span>"
        for label, c in items
    )
    return f'<p class="legend">{keys}</p>'


def heat_legend(rgb: tuple[int, int, int], label: str) -> str:
    """The key of a shaded table: the shade from none to full, and what it measures."""
    r, g, b = rgb
    ramp = f"linear-gradient(to right, rgba({r},{g},{b},0.08), rgba({r},{g},{b},0.6))"
    return (
        f'<p class="legend"><span class="key"><i class="sw ramp" style="background:{ramp}">'
        f"</i>{escape(label)}: 0 → 100%</span></p>"
    )


BANNER = (
    '<div class="banner">NOTIONAL DATA — open-source planning model for logistics and '
    "apportionment analysis only; not for operational use.</div>"
)


def page(
    title: str,
    sections: Sequence[tuple[str, str, str]],
    subtitle: str = "",
    note: str = "",
    script: str = "",
) -> str:
    """A whole self-contained page: banner, title, a contents line, then one ``<section>`` per
    (id, heading, html body). `note` is html shown under the title; `script` is inline JS."""
    nav = " · ".join(f'<a href="#{escape(i)}">{escape(h)}</a>' for i, h, _ in sections)
    sub = f'<p class="sub">{escape(subtitle)}</p>' if subtitle else ""
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head><body>",
        BANNER,
        f"<header><h1>{escape(title)}</h1>{sub}",
        f'<p class="note">{note}</p>' if note else "",
        f"<nav>{nav}</nav></header>" if len(sections) > 1 else "</header>",
    ]
    for sid, heading, body in sections:
        parts.append(f'<section id="{escape(sid)}"><h2>{escape(heading)}</h2>{body}</section>')
    if script:
        parts.append(f"<script>{script}</script>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def asset(name: str) -> str:
    """A file of rsoi/outputs/assets (the page script or style) as text."""
    return _asset(name)


def frame_table(
    frame,
    headers: Mapping[str, str],
    lower_is_better: Mapping[str, bool] | None = None,
    digits: int = 2,
    limit: int | None = 500,
) -> str:
    """A pandas table with the words of `headers` (column -> header with unit) as its head.

    Columns not in `headers` are left out. Numbers right-aligned with `digits` decimals; a
    column in `lower_is_better` is coloured better/worse (its sign alone says nothing).
    """
    judge = dict(lower_is_better or {})
    cols = [c for c in headers if c in frame.columns]
    numeric = [frame[c].dtype.kind in "fiu" for c in cols]
    rows = []
    for values in frame[cols].itertuples(index=False, name=None):
        row: list[Cell] = []
        for c, v, n in zip(cols, values, numeric, strict=True):
            shown = num(v, digits if frame[c].dtype.kind == "f" else 0) if n else text(v)
            row.append((shown, judged(v, judge[c])) if c in judge else shown)
        rows.append(row)
    return table([headers[c] for c in cols], rows, numeric, limit=limit)
