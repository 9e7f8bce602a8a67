"""Self-contained, offline HTML report of a run (no external URLs; all text escaped).

Sections: run summary, map (static PNG and an interactive inline SVG), shortfalls by task,
theater and period, allocation by task and nation, apportionment over time, port and airfield
utilisation, and the binding constraints with their shadow prices and sources.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Sequence
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rsoi import mapping

if TYPE_CHECKING:
    from rsoi.gis import RunData

TOP_BINDING = 40
HTML_SIMPLIFY_M = 4000.0  # base-map simplification for the interactive map


def _asset(name: str) -> str:
    return (resources.files("rsoi") / "assets" / name).read_text(encoding="utf-8")


def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if not isinstance(value, int | float | np.number):
        return str(value)
    return f"{value:,.{digits}f}"


def _pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * value:,.0f}%"


def table(
    header: Sequence[str], rows: Iterable[Sequence], numeric: Sequence[bool] | None = None
) -> str:
    """An HTML table; cells are escaped strings, or (text, css) pairs for shaded cells."""
    numeric = numeric or [False] * len(header)
    out = ["<table><thead><tr>"]
    out += [
        f'<th class="{"n" if n else ""}">{escape(str(h))}</th>'
        for h, n in zip(header, numeric, strict=True)
    ]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>")
        for cell, n in zip(row, numeric, strict=True):
            text, style = cell if isinstance(cell, tuple) else (cell, "")
            attr = f' style="{escape(style)}"' if style else ""
            out.append(f'<td class="{"n" if n else ""}"{attr}>{escape(str(text))}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _heat(value: float, rgb: tuple[int, int, int]) -> str:
    """Background shade for a 0..1 value."""
    a = min(max(float(value), 0.0), 1.0)
    return f"background:rgba({rgb[0]},{rgb[1]},{rgb[2]},{0.08 + 0.52 * a:.2f})" if a > 0 else ""


RED, BLUE, AMBER = (200, 16, 46), (0, 114, 178), (230, 159, 0)


# --- sections ---------------------------------------------------------------------------


def summary_section(run: RunData) -> str:
    s = run.summary
    kc = s.get("korea_conflict") or {}
    facts = [
        ("Model", s.get("model")),
        ("Model file", s.get("model_file")),
        ("Scenario", s.get("scenario") or "base"),
        ("Status", f"{s.get('status')} ({s.get('solver')} {s.get('solver_version')})"),
        ("Objective", _num(s.get("objective"), 2)),
        ("China action", s.get("china_action")),
        ("Korea conflict", f"{kc.get('timing')} (delay {kc.get('delay_periods')} periods)"),
        ("ROK support level", s.get("rok_support_level")),
        (
            "Horizon",
            f"{run.prep.T} periods × {run.days:g} days from C-day {run.prep.spec.horizon.c_day}",
        ),
        (
            "LP size",
            f"{s.get('variables', 0):,} variables, {s.get('constraints', 0):,} constraints",
        ),
        ("Input hash", s.get("input_hash")),
    ]
    parts = ['<section id="summary"><h2>Run summary</h2><dl class="facts">']
    parts += [f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts]
    parts.append("</dl>")
    obj = s.get("objective_parts") or {}
    parts.append('<div class="cols"><div><h3>Objective parts</h3>')
    parts.append(table(["part", "value"], [(k, _num(v, 2)) for k, v in obj.items()], [False, True]))
    parts.append("</div><div><h3>Shortfall by priority class</h3>")
    short = run.tables["shortfalls"]
    rows = []
    for cls in (c.id for c in run.prep.spec.settings.priority_classes):
        mine = short[short["priority"] == cls]
        lines = int((mine["shortfall"] > 1e-6).sum())
        rows.append((cls, lines, len(mine), _num(obj.get(f"shortfall:{cls}"), 2)))
    parts.append(
        table(["priority class", "rows short", "rows", "penalty"], rows, [False, True, True, True])
    )
    parts.append("</div></div>")
    warnings = list(s.get("warnings") or [])
    if run.model_changed:
        warnings.append(
            "the model file has changed since this run was solved (input hash differs): "
            "geometry and capacities shown come from the current file"
        )
    if warnings:
        parts.append('<div class="warn"><strong>Warnings</strong><ul>')
        parts += [f"<li>{escape(w)}</li>" for w in warnings]
        parts.append("</ul></div>")
    parts.append("</section>")
    return "".join(parts)


def shortfall_section(run: RunData) -> str:
    short = run.tables["shortfalls"]
    head = '<section id="shortfalls"><h2>Shortfalls by task, theater and period</h2>'
    if not len(short):
        return head + "<p>No requirements in this run.</p></section>"
    keys = ["family", "item", "theater", "unit"]
    periods = list(range(1, run.prep.T + 1))
    total = short.groupby(keys)[["required", "shortfall"]].sum()
    by_t = short.groupby([*keys, "period"])[["required", "shortfall"]].sum()
    rows = []
    for key, tot in total.iterrows():
        cells = [*key, _num(tot["required"], 1), _num(tot["shortfall"], 1)]
        for t in periods:
            if (*key, t) in by_t.index:
                req, sf = by_t.loc[(*key, t)]
                ratio = sf / req if req > 0 else 0.0
                cells.append((_num(sf, 1) if sf > 0 else "·", _heat(ratio, RED)))
            else:
                cells.append("")
        rows.append(cells)
    header = ["family", "task / item", "theater", "unit", "required", "short", *map(str, periods)]
    numeric = [False] * 4 + [True] * (2 + len(periods))
    note = (
        "<p>Per period: shortfall in the requirement's unit (demand lines at their latest "
        "arrival period); shading = share of the requirement not met; · = fully met.</p>"
    )
    return head + note + '<div class="wide">' + table(header, rows, numeric) + "</div></section>"


def allocation_section(run: RunData) -> str:
    alloc = run.tables["allocations"].copy()
    head = '<section id="allocations"><h2>Allocation by task and provider nation</h2>'
    if not len(alloc):
        return head + "<p>No support allocated.</p></section>"
    alloc["cap_days"] = alloc["capability_per_day"] * run.days
    nations = sorted(alloc["nation"].unique())
    pivot = alloc.pivot_table(
        index=["task", "capability_unit"],
        columns="nation",
        values="cap_days",
        aggfunc="sum",
        fill_value=0.0,
    )
    rows = []
    for (task, unit), r in pivot.iterrows():
        tot = float(r.sum())
        rows.append(
            [
                task,
                unit,
                *(_num(r.get(n, 0.0), 0) for n in nations),
                _num(tot, 0),
                _pct(r.get("ROK", 0.0) / tot if tot else 0.0),
            ]
        )
    out = head + (
        "<p>Capability-days: capability per day × days allocated, summed over periods and places.</p>"
    )
    out += table(
        ["task", "unit", *nations, "total", "ROK share"],
        rows,
        [False, False, *[True] * (len(nations) + 2)],
    )
    prov = alloc.groupby(["provider", "nation", "task"]).agg(
        cap_days=("cap_days", "sum"), peak=("units_allocated", "max"), places=("place", "nunique")
    )
    out += "<h3>By provider</h3>" + table(
        ["provider", "nation", "task", "capability-days", "peak units", "places"],
        [
            (*k, _num(r["cap_days"]), _num(r["peak"], 2), int(r["places"]))
            for k, r in prov.iterrows()
        ],
        [False, False, False, True, True, True],
    )
    return out + "</section>"


def apportionment_section(run: RunData) -> str:
    app = run.tables["apportionment"]
    head = '<section id="apportionment"><h2>Apportionment over time</h2>'
    if not len(app):
        return head + "<p>No forces in this model.</p></section>"
    periods = list(range(1, run.prep.T + 1))
    share = app.pivot_table(
        index=["force", "nation", "assignment", "theater"],
        columns="period",
        values="share",
        aggfunc="sum",
    )
    rows = []
    for key, r in share.iterrows():
        cells = list(key)
        for t in periods:
            v = r.get(t, np.nan)
            shown = "" if np.isnan(v) or v <= 0 else f"{v:.2f}".rstrip("0").rstrip(".")
            cells.append((shown, _heat(0 if np.isnan(v) else v, BLUE)))
        rows.append(cells)
    note = (
        "<p>Share of each force apportioned to each theater per period (1 = whole force; "
        "blank = none, or not yet arrived; <code>in_transit</code> = moving between home and "
        "a theater or between theaters, counted in neither).</p>"
    )
    return (
        head
        + note
        + '<div class="wide">'
        + table(
            ["force", "nation", "assignment", "theater", *map(str, periods)],
            rows,
            [False] * 4 + [True] * len(periods),
        )
        + "</div></section>"
    )


def utilisation_section(run: RunData, places: gpd.GeoDataFrame) -> str:
    from rsoi.gis import place_utilisation

    util = place_utilisation(run)
    head = '<section id="utilisation"><h2>Utilisation of ports and airfields</h2>'
    cap = places[places["cargo_t_per_day"].notna() | places["mog"].notna()].sort_values(
        ["kind", "id"]
    )
    periods = list(range(1, run.prep.T + 1))
    by = util.set_index(["place", "period"])["utilisation"]
    rows = []
    for _, p in cap.iterrows():
        mean = util.loc[util["place"] == p["id"], "utilisation"].sum() / len(periods)
        cells = [
            p["name"],
            p["kind"],
            _num(p["cargo_t_per_day"]),
            _num(p["mog"]),
            _num(p["throughput_t"]),
            _pct(p["utilisation"]),
            _pct(mean),
            _pct(p["mog_utilisation"]),
        ]
        for t in periods:
            v = float(by.get((p["id"], t), 0.0))
            cells.append((f"{100 * v:.0f}" if v > 0 else "", _heat(v, AMBER)))
        rows.append(cells)
    header = [
        "place",
        "kind",
        "cargo t/day",
        "MOG",
        "tons handled",
        "peak",
        "mean",
        "peak MOG",
        *map(str, periods),
    ]
    note = (
        "<p>Cargo utilisation = short tons handled (arrivals + departures) ÷ capacity in the "
        "period, after attacks; per-period cells in %.</p>"
    )
    return (
        head
        + note
        + '<div class="wide">'
        + table(header, rows, [False, False, *[True] * (6 + len(periods))])
        + "</div></section>"
    )


def binding_section(run: RunData) -> str:
    duals = run.tables["duals"]
    bind = duals[duals["binding"].astype(str).str.lower() == "true"].copy()
    head = '<section id="binding"><h2>Binding constraints</h2>'
    if not len(bind):
        return head + "<p>No binding constraints.</p></section>"
    bind["abs"] = bind["shadow_price"].abs()
    fam = (
        bind.groupby("family")
        .agg(n=("constraint", "size"), top=("abs", "max"))
        .sort_values(["top", "n"], ascending=False)
    )
    out = (
        head
        + "<h3>By family</h3>"
        + table(
            ["family", "binding rows", "largest |shadow price|"],
            [(f, int(r["n"]), _num(r["top"], 3)) for f, r in fam.iterrows()],
            [False, True, True],
        )
    )
    top = bind.sort_values(["abs", "constraint"], ascending=[False, True]).head(TOP_BINDING)
    out += f"<h3>Largest shadow prices (top {len(top)} of {len(bind):,})</h3>"
    out += "<p>Shadow price: change in the objective per unit of the constraint's bound.</p>"
    rows = [
        (
            r.constraint,
            _num(r.shadow_price, 3),
            _num(r.activity, 2),
            _bound(r.lower, r.upper),
            r.source,
        )
        for r in top.itertuples(index=False)
    ]
    return (
        out
        + table(
            ["constraint", "shadow price", "activity", "bound", "source"],
            rows,
            [False, True, True, True, False],
        )
        + "</section>"
    )


def _bound(lower: float, upper: float) -> str:
    lo, hi = not pd.isna(lower), not pd.isna(upper)
    if lo and hi and lower == upper:
        return f"= {lower:,.2f}"
    if lo and hi:
        return f"{lower:,.2f} … {upper:,.2f}"
    return f"≥ {lower:,.2f}" if lo else f"≤ {upper:,.2f}" if hi else "free"


# --- maps -------------------------------------------------------------------------------


def _path(geom, scale: float = 1000.0) -> str:
    """SVG path data (km, y up -> y down) for a projected line or polygon."""
    parts = []
    geoms = getattr(geom, "geoms", [geom])
    for g in geoms:
        rings = [g.exterior, *g.interiors] if isinstance(g, shapely.Polygon) else [g]
        for ring in rings:
            xy = np.asarray(ring.coords)[:, :2] / scale
            pts = " ".join(f"{x:.1f} {-y:.1f}" for x, y in xy)
            parts.append("M" + pts + (" Z" if isinstance(g, shapely.Polygon) else ""))
    return " ".join(parts)


def interactive_map(layers: dict[str, gpd.GeoDataFrame]) -> str:
    """Inline SVG map (pan, zoom, click a place or route for its numbers) with its data."""
    extent = mapping.map_extent(layers)
    base = mapping.basemap_in(layers, extent, HTML_SIMPLIFY_M)
    xmin, ymin, xmax, ymax = (v / 1000 for v in extent)
    view = f"{xmin:.0f} {-ymax:.0f} {xmax - xmin:.0f} {ymax - ymin:.0f}"
    out = [
        f'<svg id="imap" viewBox="{view}" data-view="{view}" role="img" aria-label="Interactive theater map">'
    ]
    out.append(
        f'<rect x="{xmin:.0f}" y="{-ymax:.0f}" width="{xmax - xmin:.0f}" height="{ymax - ymin:.0f}" fill="{mapping.WATER}"/>'
    )
    land = " ".join(_path(g) for g in base["basemap_land"].geometry)
    out.append(
        f'<path d="{land}" fill="{mapping.LAND}" stroke="{mapping.BORDER}" stroke-width="0.5" vector-effect="non-scaling-stroke"/>'
    )
    routes = mapping.project(layers["routes"]).sort_values("flow_t", ascending=False)
    max_t = float(routes["flow_t"].max()) if len(routes) else 0.0
    widths = mapping.flow_width(routes["flow_t"].to_numpy(), max_t, thin=1.0, thick=9.0)
    info: dict[str, dict] = {}
    for (_, r), w in zip(routes.iterrows(), widths, strict=True):
        used = r["flow_t"] > 0
        color = mapping.MODE_COLORS.get(r["mode"], "#333") if used else mapping.UNUSED
        dash = "" if used else ' stroke-dasharray="4 4"'
        key = f"route:{r['id']}"
        out.append(
            f'<path class="feat" data-key="{escape(key)}" d="{_path(r.geometry)}" fill="none" stroke="{color}" '
            f'stroke-width="{w if used else 1.0:.2f}" stroke-linecap="round" stroke-opacity="0.85"{dash} '
            f'vector-effect="non-scaling-stroke"><title>{escape(r["id"])}</title></path>'
        )
        info[key] = {
            "title": f"Route {r['id']}",
            "rows": [
                ["mode", r["mode"]],
                ["from → to", f"{r['origin']} → {r['destination']}"],
                ["theater", r["theater"]],
                ["capacity (st, horizon)", _num(r["capacity_t"])],
                ["flow (st)", _num(r["flow_t"])],
                ["peak utilisation", _pct(r["peak_utilisation"])],
                ["distance (km)", _num(r["distance_km"])],
                ["lanes", r["lanes"] or "–"],
                ["closed", "yes" if r["closed"] else "no"],
            ],
        }
    places = mapping.project(layers["places"])
    task_cols = [c for c in places.columns if c.startswith("alloc_")]
    for _, p in places.iterrows():
        _, _, color = mapping.KIND_STYLE.get(p["kind"], mapping.OTHER_KIND)
        key = f"place:{p['id']}"
        x, y = p.geometry.x / 1000, -p.geometry.y / 1000
        out.append(
            f'<circle class="feat place" data-key="{escape(key)}" cx="{x:.1f}" cy="{y:.1f}" r="5" '
            f'fill="{color}" stroke="#fff" stroke-width="1" vector-effect="non-scaling-stroke">'
            f"<title>{escape(p['name'])}</title></circle>"
        )
        rows = [
            ["kind", p["kind"]],
            ["country", p["country"]],
            ["theater", p["theater"]],
            ["cargo t/day", _num(p["cargo_t_per_day"])],
            ["MOG", _num(p["mog"])],
            ["tons handled", _num(p["throughput_t"])],
            ["peak utilisation", _pct(p["utilisation"])],
            ["peak MOG utilisation", _pct(p["mog_utilisation"])],
            ["lowest capacity factor", _num(p["min_capacity_factor"], 2)],
            ["shortfall", p["shortfall_text"] or "none"],
        ]
        rows += [
            [f"{c[6:].replace('_', ' ')} (cap-days)", _num(p[c])] for c in task_cols if p[c] > 0
        ]
        info[key] = {"title": p["name"], "rows": rows}
    # labels on top, most important first; the page script hides any that would overlap
    ranked = places.sort_values(["key", "throughput_t", "id"], ascending=[False, False, True])
    for _, p in ranked.iterrows():
        x, y = p.geometry.x / 1000, -p.geometry.y / 1000
        out.append(
            f'<text class="lbl" x="{x:.1f}" y="{y:.1f}" data-dx="7" data-dy="-5">'
            f"{escape(p['name'])}</text>"
        )
    out.append("</svg>")
    data = json.dumps(info, sort_keys=True, ensure_ascii=True).replace("</", "<\\/")
    legend = " ".join(
        f'<span class="key"><i style="background:{c}"></i>{escape(m)}</span>'
        for m, c in mapping.MODE_COLORS.items()
    )
    return (
        '<div class="imap-wrap"><div class="imap-tools"><button type="button" data-zoom="1.5">+</button>'
        '<button type="button" data-zoom="0.6667">−</button><button type="button" data-zoom="0">reset</button>'
        f'<span class="hint">drag to pan, wheel or buttons to zoom, click a place or route</span> {legend}</div>'
        + "".join(out)
        + '<div id="imap-info" class="info"><p>Click a place or route.</p></div></div>'
        + f'<script type="application/json" id="imap-data">{data}</script>'
    )


def map_section(layers: dict[str, gpd.GeoDataFrame], png: bytes) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return (
        '<section id="map"><h2>Map</h2><h3>Interactive</h3>'
        + interactive_map(layers)
        + '<h3>Static map (map.png)</h3><img class="static" alt="Theater map of flows and places" '
        f'src="data:image/png;base64,{b64}"></section>'
    )


def render_report(run: RunData, layers: dict[str, gpd.GeoDataFrame], png: bytes) -> str:
    """The report as one HTML string."""
    from rsoi.gis import map_title

    title = map_title(run)
    nav = " · ".join(
        f'<a href="#{k}">{escape(v)}</a>'
        for k, v in [
            ("summary", "Summary"),
            ("map", "Map"),
            ("shortfalls", "Shortfalls"),
            ("allocations", "Allocation"),
            ("apportionment", "Apportionment"),
            ("utilisation", "Utilisation"),
            ("binding", "Binding constraints"),
            ("credits", "Data and credits"),
        ]
    )
    body = [
        summary_section(run),
        map_section(layers, png),
        shortfall_section(run),
        allocation_section(run),
        apportionment_section(run),
        utilisation_section(run, layers["places"]),
        binding_section(run),
        credits_section(),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>rsoi report: {escape(title)}</title><style>{_asset('report.css')}</style></head>"
        '<body><div class="banner">NOTIONAL DATA — open-source planning model for logistics and '
        "apportionment analysis only; not for operational use.</div>"
        f'<header><h1>rsoi run report</h1><p class="sub">{escape(title)}</p><nav>{nav}</nav></header>'
        + "\n".join(body)
        + f"<script>{_asset('report.js')}</script></body></html>\n"
    )


def credits_section() -> str:
    return (
        '<section id="credits"><h2>Data and credits</h2>'
        "<p><strong>All data is notional.</strong> Capacities, forces, requirements and scenarios "
        "are open-source or invented planning figures; see each row's source.</p>"
        "<p>Base map: Made with Natural Earth (1:10m Admin 0 countries and land, public domain). "
        "Boundaries as drawn by Natural Earth imply no position on any territorial question. "
        "Sea lanes are a notional waypoint graph, not for navigation.</p>"
        "<p>Files in the run folder: plan.gpkg (open in QGIS: styled by default), map.png, "
        "map.svg, the result CSVs and summary.json.</p></section>"
    )
