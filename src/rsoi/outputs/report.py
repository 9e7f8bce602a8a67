"""Self-contained, offline HTML report of a run (no external URLs; all text escaped).

Sections: run summary, map (static PNG and an interactive inline SVG), shortfalls by task,
theater and period, allocation by task and nation, apportionment over time, port and airfield
utilisation, and the binding constraints with their shadow prices and sources.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from importlib import resources
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from rsoi.outputs import mapping
from rsoi.outputs.html import heat_legend, num, pct, script_json, swatch_legend, table, text

if TYPE_CHECKING:
    from rsoi.outputs.rundata import RunData

TOP_BINDING = 40
HTML_SIMPLIFY_M = 4000.0  # base-map simplification for the interactive map


def _asset(name: str) -> str:
    return (resources.files("rsoi.outputs") / "assets" / name).read_text(encoding="utf-8")


_num, _pct = num, pct  # the kit's number formats (a dash for a missing value)


def _heat(value: float, rgb: tuple[int, int, int]) -> str:
    """Background shade for a 0..1 value."""
    a = min(max(float(value), 0.0), 1.0)
    return f"background:rgba({rgb[0]},{rgb[1]},{rgb[2]},{0.08 + 0.52 * a:.2f})" if a > 0 else ""


RED, BLUE, AMBER = (200, 16, 46), (0, 114, 178), (230, 159, 0)


PERIODS_PER_TABLE = 15  # wide per-period tables wrap into blocks of this many periods


def objective_meaning(run: RunData, part: str, value: float) -> str:
    """One sentence on an objective part, for readers who did not write the model."""
    settings = run.prep.spec.settings
    if part.startswith("shortfall:"):
        return (
            f"penalty for requirements of priority class {part.split(':', 1)[1]} not met "
            "(class weight × item weight × shortfall)"
        )
    if part == "lateness":
        return "penalty for deliveries after their latest arrival date"
    if part == "transport_cost":
        return "cost of moving cargo: ton-km × mode cost × transport cost weight"
    if part == "stability":
        beta = float(getattr(settings, "apportionment_stability_weight", 0.0) or 0.0)
        moved = f"; here the shares moved by {value / beta:,.2f} in total" if beta > 0 else ""
        return (
            "tie-breaker: β × the total change of every force's theater share from one period "
            f"to the next (β = apportionment_stability_weight = {beta:g}){moved}. Among plans "
            "equally good on the other parts it prefers one that does not move forces back "
            "and forth; β is small so it never trades a shortfall for stability"
        )
    return ""


def period_tables(
    keys: Sequence[str],
    rows: Sequence[tuple[Sequence, Sequence]],
    periods: Sequence[int],
    key_numeric: Sequence[bool] | None = None,
    per_table: int = PERIODS_PER_TABLE,
    what: str = "per period",
) -> str:
    """Per-period tables wrapped into blocks of `per_table` periods (fits screen and paper).

    `rows` are (key cells, one cell per period); the key columns repeat in every block; the
    period columns are headed P1, P2, ... under a caption saying what a cell holds (`what`).
    """
    key_numeric = list(key_numeric or [False] * len(keys))
    out = []
    for lo in range(0, len(periods), per_table):
        block = list(periods[lo : lo + per_table])
        caption = f"{what}, periods {block[0]}–{block[-1]}" if len(periods) > per_table else what
        body = [[*k, *cells[lo : lo + per_table]] for k, cells in rows]
        header = [*keys, *(f"P{t}" for t in block)]
        out.append(table(header, body, [*key_numeric, *[True] * len(block)], caption=caption))
    return '<div class="periods">' + "".join(out) + "</div>"


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
    parts.append(
        table(
            ["objective part", "value (objective units)", "what it is"],
            [(k, _num(v, 2), objective_meaning(run, k, v)) for k, v in obj.items()],
            [False, True, False],
        )
    )
    parts.append("</div><div><h3>Shortfall by priority class</h3>")
    short = run.tables["shortfalls"]
    rows = []
    for cls in (c.id for c in run.prep.spec.settings.priority_classes):
        mine = short[short["priority"] == cls]
        lines = int((mine["shortfall"] > 1e-6).sum())
        rows.append((cls, lines, len(mine), _num(obj.get(f"shortfall:{cls}"), 2)))
    parts.append(
        table(
            [
                "priority class",
                "requirement rows short (count)",
                "requirement rows (count)",
                "penalty (objective units)",
            ],
            rows,
            [False, True, True, True],
        )
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
    grouped = short.groupby([*keys, "period"])[["required", "shortfall"]].sum()
    by_t = dict(zip(grouped.index, grouped.itertuples(index=False, name=None), strict=True))
    rows = []
    for key, tot in total.iterrows():
        cells = []
        for t in periods:
            if (*key, t) in by_t:
                req, sf = by_t[(*key, t)]
                ratio = sf / req if req > 0 else 0.0
                cells.append((_num(sf, 1) if sf > 0 else "·", _heat(ratio, RED)))
            else:
                cells.append("")
        rows.append(([*key, _num(tot["required"], 1), _num(tot["shortfall"], 1)], cells))
    keys = ["family", "task / item", "theater", "unit", "required (unit)", "short (unit)"]
    note = (
        "<p>Per period: shortfall in the requirement's unit (demand lines at their latest "
        "arrival period); · = fully met.</p>"
        + heat_legend(RED, "share of the requirement not met (worse when darker)")
    )
    tables = period_tables(
        keys, rows, periods, [False] * 4 + [True] * 2, what="shortfall per period (unit)"
    )
    return head + note + tables + "</section>"


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
        [
            "task",
            "capability unit",
            *(f"{n} (capability-days)" for n in nations),
            "total (capability-days)",
            "ROK share (%)",
        ],
        rows,
        [False, False, *[True] * (len(nations) + 2)],
    )
    prov = alloc.groupby(["provider", "nation", "task"]).agg(
        cap_days=("cap_days", "sum"), peak=("units_allocated", "max"), places=("place", "nunique")
    )
    out += "<h3>By provider</h3>" + table(
        [
            "provider",
            "nation",
            "task",
            "capability-days (capability unit × days)",
            "peak units in a period (count)",
            "places served (count)",
        ],
        [
            (*k, _num(r["cap_days"]), _num(r["peak"], 2), int(r["places"]))
            for k, r in prov.iterrows()
        ],
        [False, False, False, True, True, True],
    )
    return out + "</section>"


THEATER_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
TRANSIT_COLOR = "#9E9E9E"
GROUP_TITLES = {"usfk": "USFK (in Korea)", "follow_on": "US follow-on forces", "rok": "ROK forces"}


def apportionment_shares(run: RunData) -> pd.DataFrame:
    """Combat power apportioned per force group x theater x period, as a share of the group.

    Columns of apportionment.csv are read by name; a `theater` value without a theater in
    the model (e.g. `in_transit`) is kept as its own band. Weighted by each force's combat
    power (by force count when a group has none), so a panel's bars sum to the part of the
    group's power apportioned; the rest is not yet available.
    """
    app = run.tables["apportionment"]
    forces = {f.id: f for f in run.prep.spec.forces}
    app = app[app["force"].isin(forces) & (app["share"] > 0)].copy()
    app["group"] = app["force"].map(lambda f: str(getattr(forces[f].assignment, "value", "")))
    power = app["force"].map(lambda f: float(forces[f].combat_power or 0.0))
    group_power = {}
    for f in forces.values():
        g = str(getattr(f.assignment, "value", ""))
        group_power[g] = group_power.get(g, 0.0) + float(f.combat_power or 0.0)
    count = {
        g: sum(1 for f in forces.values() if str(f.assignment.value) == g) for g in group_power
    }
    weighted = app["group"].map(lambda g: group_power[g] > 0)
    app["weight"] = np.where(
        weighted,
        app["share"] * power / app["group"].map(group_power).replace(0, 1),
        app["share"] / app["group"].map(count),
    )
    return app.groupby(["group", "theater", "period"], as_index=False)["weight"].sum()


def apportionment_chart(run: RunData) -> str:
    """One stacked-bar panel per force group: share of its combat power per theater and period."""
    shares = apportionment_shares(run)
    periods = list(range(1, run.prep.T + 1))
    theaters = [t.id for t in run.prep.spec.theaters]
    extra = sorted(set(shares["theater"]) - set(theaters))
    colors = {t: THEATER_COLORS[i % len(THEATER_COLORS)] for i, t in enumerate(theaters)}
    colors.update({t: TRANSIT_COLOR for t in extra})
    order = theaters + extra
    bar, gap, height, left, top = 14, 2, 150, 34, 8
    width = left + len(periods) * (bar + gap) + 6
    panels = []
    groups = [g for g in ("usfk", "follow_on", "rok") if g in set(shares["group"])]
    groups += sorted(set(shares["group"]) - set(groups))
    for group in groups:
        mine = shares[shares["group"] == group].set_index(["theater", "period"])["weight"]
        svg = [
            f'<svg class="stack" viewBox="0 0 {width} {height + top + 22}" role="img" '
            f'aria-label="{escape(GROUP_TITLES.get(group, group))}: share per theater by period">'
        ]
        for frac in (0, 0.5, 1):
            y = top + height * (1 - frac)
            svg.append(
                f'<line x1="{left - 3}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
                'stroke="#ccc" stroke-width="0.6"/>'
                f'<text x="{left - 5}" y="{y + 3:.1f}" text-anchor="end" font-size="9">'
                f"{frac * 100:.0f}%</text>"
            )
        for i, t in enumerate(periods):
            x = left + i * (bar + gap)
            base = 0.0
            for theater in order:
                v = float(mine.get((theater, t), 0.0))
                if v <= 1e-9:
                    continue
                h = height * max(0.0, min(v, 1.0 - base))
                y = top + height * (1 - base) - h
                svg.append(
                    f'<rect x="{x}" y="{y:.2f}" width="{bar}" height="{h:.2f}" '
                    f'fill="{colors[theater]}"><title>period {t}: {escape(theater)} '
                    f"{100 * v:.0f}%</title></rect>"
                )
                base += v
            if t == 1 or t % 5 == 0:
                svg.append(
                    f'<text x="{x + bar / 2}" y="{top + height + 12}" text-anchor="middle" '
                    f'font-size="9">{t}</text>'
                )
        svg.append(
            f'<text x="{width / 2:.0f}" y="{top + height + 22}" text-anchor="middle" '
            'font-size="9">period</text></svg>'
        )
        panels.append(
            f'<figure class="panel"><figcaption>{escape(GROUP_TITLES.get(group, group))}'
            f"</figcaption>{''.join(svg)}</figure>"
        )
    legend = " ".join(
        f'<span class="key"><i style="background:{colors[t]};height:10px"></i>'
        f"{escape(t.replace('_', ' '))}</span>"
        for t in order
    )
    return (
        f'<p class="legend">{legend} <span class="key"><i style="background:#fff;height:10px;'
        'border:1px solid #ccc"></i>not yet available</span></p>'
        f'<div class="panels">{"".join(panels)}</div>'
    )


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
        cells = []
        for t in periods:
            v = r.get(t, np.nan)
            shown = "" if np.isnan(v) or v <= 0 else f"{v:.2f}".rstrip("0").rstrip(".")
            cells.append((shown, _heat(0 if np.isnan(v) else v, BLUE)))
        rows.append((list(key), cells))
    note = (
        "<p>Share of each force group's combat power apportioned to each theater, per period "
        "(one panel per group; hover a bar for its value). <code>in_transit</code>: moving "
        "between home and a theater or between theaters, counted in neither. White above a "
        "bar: power not yet arrived or not apportioned. Per-force shares (1 = whole force) in "
        "the table below.</p>"
    )
    return (
        head
        + note
        + apportionment_chart(run)
        + "<details><summary>Shares per force and period (table)</summary>"
        + heat_legend(BLUE, "share of the force (1 = whole force; more when darker)")
        + period_tables(
            ["force", "nation", "assignment", "theater"],
            rows,
            periods,
            what="share of the force per period (0–1)",
        )
        + "</details></section>"
    )


def utilisation_section(run: RunData, places: gpd.GeoDataFrame) -> str:
    from rsoi.outputs.rundata import place_utilisation

    util = place_utilisation(run)
    head = '<section id="utilisation"><h2>Utilisation of ports and airfields</h2>'
    cap = places[places["cargo_t_per_day"].notna() | places["mog"].notna()].sort_values(
        ["kind", "id"]
    )
    periods = list(range(1, run.prep.T + 1))
    by = dict(
        zip(zip(util["place"], util["period"], strict=True), util["utilisation"], strict=True)
    )
    rows = []
    for _, p in cap.iterrows():
        mean = util.loc[util["place"] == p["id"], "utilisation"].sum() / len(periods)
        keys = [
            p["name"],
            str(p["kind"]).replace("_", " "),
            _num(p["cargo_t_per_day"]),
            _num(p["mog"]),
            _num(p["throughput_t"]),
            _pct(p["utilisation"]),
            _pct(mean),
            _pct(p["mog_utilisation"]),
        ]
        cells = []
        for t in periods:
            v = float(by.get((p["id"], t), 0.0))
            cells.append((f"{100 * v:.0f}" if v > 0 else "", _heat(v, AMBER)))
        rows.append((keys, cells))
    header = [
        "place",
        "kind",
        "cargo capacity (short tons/day)",
        "MOG (aircraft on the ground at once)",
        "tons handled (short tons, horizon)",
        "peak cargo utilisation (%)",
        "mean cargo utilisation (%)",
        "peak MOG utilisation (%)",
    ]
    note = (
        "<p>Cargo utilisation = short tons handled (arrivals + departures) ÷ capacity in the "
        "period, after attacks.</p>"
        + heat_legend(AMBER, "cargo utilisation (share of capacity used; fuller when darker)")
    )
    tables = period_tables(
        header, rows, periods, [False, False, *[True] * 6], what="cargo utilisation per period (%)"
    )
    return head + note + tables + "</section>"


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
            [
                "constraint family",
                "binding rows (count)",
                "largest |shadow price| (objective units per unit of bound)",
            ],
            [(f, int(r["n"]), _num(r["top"], 3)) for f, r in fam.iterrows()],
            [False, True, True],
        )
    )
    groups = binding_groups(bind)
    top = groups.head(TOP_BINDING)
    out += (
        f"<h3>Largest shadow prices (top {len(top)} of {len(groups):,} family × entity groups, "
        f"{len(bind):,} binding rows)</h3>"
        "<p>Shadow price: change in the objective per unit of the constraint's bound. Rows "
        "of one family and entity are grouped: the periods they bind in and the range of "
        "their prices; the row with the largest |price| is named.</p>"
    )
    rows = [
        (
            r.family,
            f"{r.entity_kind}: {r.entity}" if r.entity_kind else r.entity,
            int(r.rows),
            r.periods,
            _price_range(r.price_min, r.price_max),
            r.constraint,
            r.source,
        )
        for r in top.itertuples(index=False)
    ]
    return (
        out
        + table(
            [
                "constraint family",
                "entity",
                "binding rows (count)",
                "periods binding",
                "shadow price (objective units per unit of bound)",
                "row with the largest |price|",
                "source",
            ],
            rows,
            [False, False, True, False, True, False, False],
        )
        + "</section>"
    )


def binding_groups(bind: pd.DataFrame) -> pd.DataFrame:
    """Binding rows grouped per family x entity: count, period range, price range, top row.

    Sorted by the largest |shadow price| in the group (then family, entity).
    """
    bind = bind.assign(
        entity_kind=bind["entity_kind"].fillna(""),
        entity=bind["entity"].fillna(""),
        abs=bind["shadow_price"].abs(),
    )
    keys = ["family", "entity_kind", "entity"]
    ordered = bind.sort_values(["abs", "constraint"], ascending=[False, True])
    first = ordered.groupby(keys, sort=False).head(1).set_index(keys)
    agg = bind.groupby(keys).agg(
        rows=("constraint", "size"),
        price_min=("shadow_price", "min"),
        price_max=("shadow_price", "max"),
        top=("abs", "max"),
    )
    periods = bind.groupby(keys)["period"].apply(_period_range)
    out = agg.join(periods.rename("periods")).join(first[["constraint", "source"]])
    out = out.reset_index().sort_values(
        ["top", "family", "entity"], ascending=[False, True, True], ignore_index=True
    )
    return out


def _period_range(periods: pd.Series) -> str:
    """'3–7, 9' style list of the periods (– if the rows have none)."""
    values = sorted({int(p) for p in periods.dropna() if p >= 1})  # 0: row has no period
    if not values:
        return "–"
    runs, start, prev = [], values[0], values[0]
    for v in values[1:]:
        if v != prev + 1:
            runs.append((start, prev))
            start = v
        prev = v
    runs.append((start, prev))
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)


def _price_range(lo: float, hi: float) -> str:
    def sig(v: float) -> str:  # never 1.6e+06: whole numbers from 10,000 on
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:,.4g}"

    return sig(lo) if np.isclose(lo, hi, rtol=1e-9, atol=0) else f"{sig(lo)} … {sig(hi)}"


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
        # unused: thin solid grey, not dashed: the dashes of unused routes sharing a sea lane
        # would merge into a solid line no legend explains
        key = f"route:{r['id']}"
        out.append(
            f'<path class="feat" data-key="{escape(key)}" d="{_path(r.geometry)}" fill="none" stroke="{color}" '
            f'stroke-width="{w if used else 0.8:.2f}" stroke-linecap="round" stroke-opacity="0.85" '
            f'vector-effect="non-scaling-stroke"><title>{escape(r["id"])}</title></path>'
        )
        info[key] = {
            "title": f"Route {r['id']}",
            "rows": [
                ["mode", r["mode"]],
                ["from → to", f"{r['origin']} → {r['destination']}"],
                ["theater", text(r["theater"])],
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
            ["kind", text(p["kind"])],
            ["country", text(p["country"])],
            ["theater", text(p["theater"])],
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
    data = script_json(info)
    legend = " ".join(
        f'<span class="key"><i style="background:{c}"></i>{escape(m)}</span>'
        for m, c in [*mapping.MODE_COLORS.items(), ("not used", mapping.UNUSED)]
    )
    kinds = sorted(set(places["kind"]))
    place_key = swatch_legend(
        [
            (str(k).replace("_", " "), mapping.KIND_STYLE.get(k, mapping.OTHER_KIND)[2])
            for k in kinds
        ]
    )
    width_key = (
        '<p class="legend">Routes: colour = mode, width = short tons moved over the horizon '
        f"(widest = {_num(max_t)} t). Places: dot colour = kind:</p>"
    )
    return (
        '<div class="imap-wrap"><div class="imap-tools"><button type="button" data-zoom="1.5">+</button>'
        '<button type="button" data-zoom="0.6667">−</button><button type="button" data-zoom="0">reset</button>'
        f'<span class="hint">drag to pan, wheel or buttons to zoom, click a place or route</span> {legend}</div>'
        + "".join(out)
        + '<div id="imap-info" class="info"><p>Click a place or route.</p></div></div>'
        + width_key
        + place_key
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
    from rsoi.outputs.rundata import map_title

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
        "<p>Files in the run folder: plan.gpkg (in QGIS: <em>Project › Open From › "
        "GeoPackage</em>, pick plan.gpkg and the project “rsoi plan”: layers, styles, "
        "projection, start view and time steps are set), map.png, map.svg, the result CSVs "
        "and summary.json.</p></section>"
    )
