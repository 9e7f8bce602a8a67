"""report.html of ``rsoi interdict``: the worst sets beside the greedy ones, and a map.

Built from the one HTML kit (rsoi.outputs.html); the map is an inline SVG in the Lambert
projection of the run map, with the base map's land when the model has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyproj

from rsoi.outputs.html import escape, num, page, swatch_legend, table

if TYPE_CHECKING:
    from rsoi.analysis.interdict import InterdictResult

WORST, GREEDY, BOTH, OTHER = "#C8102E", "#E69F00", "#7A0019", "#6B7B8C"
MAP_W, MAP_H = 900, 560


def _label(result: InterdictResult, node: str) -> str:
    name = result.names.get(node, node)
    return node if name == node else f"{name} ({node})"


def _set_text(result: InterdictResult, nodes: str) -> str:
    return ", ".join(_label(result, n) for n in nodes.split(";")) if nodes else "–"


def sets_table(result: InterdictResult) -> str:
    rows = []
    for r in result.table.itertuples(index=False):
        found = bool(r.greedy_is_worst)
        rows.append(
            (
                str(r.k),
                _set_text(result, r.worst_set),
                (num(r.objective_increase, 2), "worse"),
                "proved worst"
                if r.upper_bound <= r.objective + 1e-9 * max(1.0, abs(r.objective))
                else f"upper bound {num(r.upper_bound - result.base_objective, 2)}",
                _set_text(result, r.greedy_set),
                (num(r.greedy_increase, 2), "" if found else "better"),
                ("yes" if found else "no: greedy misses the worst set", "" if found else "worse"),
            )
        )
    key = (
        '<p class="legend"><span class="key"><i class="sw worse"></i>worse for the plan: '
        "the objective increase of the worst set (and a greedy set that misses it)</span>"
        '<span class="key"><i class="sw better"></i>a greedy increase that looks better than '
        "the worst set's (it underestimates the loss)</span></p>"
    )
    return key + table(
        [
            "nodes lost (k)",
            "worst set",
            "objective increase, worst set (penalty units)",
            "certificate (no set of this size is worse)",
            "greedy set (the k worst single losses)",
            "objective increase, greedy set (penalty units)",
            "greedy finds the worst set?",
        ],
        rows,
        [True, False, True, False, False, True, False],
    )


def singles_table(result: InterdictResult) -> str:
    rows = [
        (_label(result, r.node), num(r.objective_increase, 2))
        for r in result.singles.itertuples(index=False)
    ]
    return table(["node lost alone", "objective increase (penalty units)"], rows, [False, True])


def hardening_table(result: InterdictResult) -> str:
    if result.hardening is None:
        return "<p>Not asked for (<code>--harden M</code>).</p>"
    rows = [
        (
            str(r.m),
            _set_text(result, r.hardened),
            str(r.k),
            _set_text(result, r.worst_set_after),
            num(r.objective_increase, 2),
        )
        for r in result.hardening.itertuples(index=False)
    ]
    return table(
        [
            "nodes hardened (M)",
            "hardened",
            "nodes lost (k)",
            "worst set left",
            "objective increase (penalty units)",
        ],
        rows,
        [True, False, True, False, True],
    )


def _land_paths(result: InterdictResult, extent: tuple, to_map) -> str:
    """SVG paths of the base map's land inside `extent` (none without a base map)."""
    if result.basemap is None or not result.basemap.is_file():
        return ""
    import pyogrio

    from rsoi.model.geo import load_basemap
    from rsoi.outputs.mapping import MAP_BASEMAP, basemap_in

    listed = {name for name, _ in pyogrio.list_layers(result.basemap)}
    if set(MAP_BASEMAP.values()) <= listed:
        layers = {
            key: pyogrio.read_dataframe(result.basemap, layer=name)
            for key, name in MAP_BASEMAP.items()
        }
    else:
        base = load_basemap(result.basemap)
        layers = {"basemap_land": base["land"], "basemap_countries": base["countries"]}
    land = basemap_in(layers, extent, 4000.0)["basemap_land"]
    out = []
    for geom in land.geometry:
        for poly in getattr(geom, "geoms", [geom]):
            ring = np.asarray(poly.exterior.coords)
            pts = " ".join(f"{x:.1f} {y:.1f}" for x, y in (to_map(a, b) for a, b in ring))
            out.append(f"M{pts} Z")
    if not out:
        return ""
    return f'<path d="{" ".join(out)}" fill="#F2EFE9" stroke="#9A9A9A" stroke-width="0.6"/>'


def loss_map(result: InterdictResult) -> str:
    """Inline SVG: every candidate node; the worst and the greedy set of the largest k."""
    from rsoi.outputs.mapping import LCC, fit_extent

    if not result.coords or not len(result.table):
        return "<p>No candidate nodes.</p>"
    project = pyproj.Transformer.from_crs("EPSG:4326", LCC, always_xy=True)
    xy = {n: project.transform(*c) for n, c in result.coords.items()}
    xs, ys = [p[0] for p in xy.values()], [p[1] for p in xy.values()]
    half = 150_000.0  # at least 300 km across, so one node still has a map around it
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    bounds = (
        min(min(xs), cx - half),
        min(min(ys), cy - half),
        max(max(xs), cx + half),
        max(max(ys), cy + half),
    )
    extent = fit_extent(bounds, 0.15, MAP_W / MAP_H)
    sx = MAP_W / (extent[2] - extent[0])

    def to_map(x: float, y: float) -> tuple[float, float]:
        return (x - extent[0]) * sx, (extent[3] - y) * sx

    last = result.table.iloc[-1]
    worst = set(last["worst_set"].split(";")) if last["worst_set"] else set()
    greedy = set(last["greedy_set"].split(";")) if last["greedy_set"] else set()
    svg = [
        f'<svg class="lossmap" viewBox="0 0 {MAP_W} {MAP_H}" role="img" '
        f'aria-label="Candidate nodes, worst and greedy sets for k = {int(last["k"])}">',
        f'<rect width="{MAP_W}" height="{MAP_H}" fill="#D9E8F2"/>',
        _land_paths(result, extent, to_map),
    ]
    order = sorted(xy, key=lambda n: (n in worst or n in greedy, n))  # sets drawn on top
    for node in order:
        x, y = to_map(*xy[node])
        if node in worst and node in greedy:
            color, r = BOTH, 8
        elif node in worst:
            color, r = WORST, 8
        elif node in greedy:
            color, r = GREEDY, 7
        else:
            color, r = OTHER, 4
        svg.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}" stroke="#fff" '
            f'stroke-width="1.2"><title>{escape(_label(result, node))}</title></circle>'
        )
        weight = "bold" if node in worst or node in greedy else "normal"
        svg.append(
            f'<text x="{x + 9:.1f}" y="{y - 6:.1f}" font-size="12" font-weight="{weight}" '
            'paint-order="stroke" stroke="#fff" stroke-width="3" fill="#222">'
            f"{escape(result.names.get(node, node))}</text>"
        )
    svg.append("</svg>")
    legend = swatch_legend(
        [
            (f"worst set for k = {int(last['k'])}", WORST),
            (f"greedy set for k = {int(last['k'])}", GREEDY),
            ("in both", BOTH),
            ("other candidate nodes", OTHER),
        ]
    )
    return legend + "".join(svg)


def report_html(result: InterdictResult) -> str:
    """The whole page."""
    note = (
        f"Model {escape(result.model or '–')}, scenario {escape(str(result.scenario or 'base'))}"
        f"; nodes lost from period {result.from_period} to the end of the horizon. Undamaged "
        f"objective {num(result.base_objective, 2)} (penalty units: the model's weighted "
        "shortfall, lateness and cost). The worst set is the exact attacker optimum; the "
        "greedy set loses the k nodes whose single losses hurt most. Notional data."
    )
    sections = [
        ("sets", "Worst and greedy sets", sets_table(result)),
        ("map", "Map", loss_map(result)),
        ("singles", "Single losses", singles_table(result)),
        ("hardening", "Hardening", hardening_table(result)),
    ]
    return page("rsoi interdict: the worst losses", sections, note=note)
