"""Static theater map (PNG and SVG) of a run, and the shared map palette.

Drawn with matplotlib (Agg, no pyplot state) and geopandas on the shipped Natural Earth base map,
in a Lambert conformal conic projection suited to 10–45° N.
"""

from __future__ import annotations

import io
import re

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from pandas.api.types import is_object_dtype, is_string_dtype

from rsoi.outputs.palette import (  # noqa: F401  re-exported: the shared map palette
    BORDER,
    CLOSED,
    KIND_STYLE,
    LAND,
    MODE_COLORS,
    NATION_COLORS,
    OTHER_KIND,
    STYLE_COLORS,
    UNUSED,
    WATER,
)

LCC = "+proj=lcc +lat_1=15 +lat_2=40 +lat_0=28 +lon_0=128 +datum=WGS84 +units=m +no_defs"
A4_LANDSCAPE = (11.69, 8.27)  # inches
DPI = 150
SIMPLIFY_M = 1500.0  # base-map simplification in projected metres (well below a pixel at A4)


def project(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject a layer to the map projection."""
    return frame.to_crs(LCC)


def map_extent(
    layers: dict[str, gpd.GeoDataFrame], margin: float = 0.06, aspect: float | None = None
) -> tuple:
    """(xmin, ymin, xmax, ymax) in map metres around places and routes.

    With `aspect` (width / height) the shorter side is widened to match it.
    """
    parts = [project(layers["places"]).total_bounds, project(layers["routes"]).total_bounds]
    bounds = (
        min(p[0] for p in parts),
        min(p[1] for p in parts),
        max(p[2] for p in parts),
        max(p[3] for p in parts),
    )
    return fit_extent(bounds, margin, aspect)


def fit_extent(bounds, margin: float = 0.06, aspect: float | None = None) -> tuple:
    """Pad `bounds` by `margin` of their size and widen the shorter side to `aspect` (w/h)."""
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    dx, dy = (xmax - xmin) * margin, (ymax - ymin) * margin
    xmin, ymin, xmax, ymax = xmin - dx, ymin - dy, xmax + dx, ymax + dy
    if aspect:
        w, h = xmax - xmin, ymax - ymin
        cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
        if w / h < aspect:
            w = h * aspect
        else:
            h = w / aspect
        xmin, xmax, ymin, ymax = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    return xmin, ymin, xmax, ymax


MAP_BASEMAP = {"map_land": "land_map", "map_borders": "borders_map"}
"""Layers of geodata/basemap.gpkg already in the map projection and simplified to SIMPLIFY_M
(built once by scripts/make_basemap.py): rsoi layer name -> basemap.gpkg layer name."""


def map_scale_basemap(
    land: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, tolerance_m: float = SIMPLIFY_M
) -> dict[str, gpd.GeoDataFrame]:
    """Land polygons and country outlines projected to the map and simplified for its scale."""
    land = project(land[["geometry"]])
    land = land.assign(geometry=land.geometry.simplify(tolerance_m))
    borders = project(countries[["geometry"]])
    borders = borders.assign(geometry=borders.geometry.boundary.simplify(tolerance_m))
    return {
        "map_land": land[~land.geometry.is_empty].reset_index(drop=True),
        "map_borders": borders[~borders.geometry.is_empty].reset_index(drop=True),
    }


def basemap_in(
    layers: dict[str, gpd.GeoDataFrame], extent: tuple, tolerance_m: float = SIMPLIFY_M
) -> dict[str, gpd.GeoDataFrame]:
    """Land polygons and country borders (lines) in map metres, clipped to `extent`.

    Uses the map-scale layers (`map_land`, `map_borders`) when the caller has them, else
    projects and simplifies the lon/lat base map here (slower: every call).
    """
    if "map_land" in layers and "map_borders" in layers:
        base = {"map_land": layers["map_land"], "map_borders": layers["map_borders"]}
    else:
        base = map_scale_basemap(layers["basemap_land"], layers["basemap_countries"])
    out = {}
    box = shapely.box(*extent)
    for name, key in (("basemap_land", "map_land"), ("basemap_borders", "map_borders")):
        frame = base[key]
        frame = frame[frame.intersects(box)]
        geometry = frame.geometry.clip_by_rect(*extent)
        if tolerance_m > SIMPLIFY_M:
            geometry = geometry.simplify(tolerance_m)
        frame = frame.assign(geometry=geometry)
        out[name] = frame[~frame.geometry.is_empty]
    return out


def polygon_path(geoms) -> MplPath:
    """One compound matplotlib path of (multi)polygons, holes wound opposite to shells."""
    rings = []
    for geom in geoms:
        for poly in getattr(geom, "geoms", [geom]):
            poly = shapely.geometry.polygon.orient(poly, 1.0)
            rings += [
                MplPath(np.asarray(r.coords), closed=True) for r in (poly.exterior, *poly.interiors)
            ]
    return MplPath.make_compound_path(*rings) if rings else MplPath(np.zeros((0, 2)))


def line_parts(geoms) -> list[np.ndarray]:
    """Coordinate arrays of every part of (multi)line geometries, for a LineCollection."""
    return [np.asarray(g.coords) for geom in geoms for g in getattr(geom, "geoms", [geom])]


def shared_once(geoms, precision_m: float = 1.0) -> list[np.ndarray]:
    """Line parts with every segment shared by several lines kept once.

    Unused routes often follow the same sea-lane segment; drawn dashed one over another,
    their dashes would merge into a solid line that no legend entry explains.
    """
    parts = line_parts(geoms)
    if not parts:
        return []
    seg = np.concatenate([np.hstack([p[:-1], p[1:]]) for p in parts if len(p) > 1])
    key = np.round(seg / precision_m)
    # direction-free key: the lexicographically smaller end first
    swap = (key[:, 0] > key[:, 2]) | ((key[:, 0] == key[:, 2]) & (key[:, 1] > key[:, 3]))
    key[swap] = key[swap][:, [2, 3, 0, 1]]
    keep = (key[:, :2] != key[:, 2:]).any(axis=1)
    _, first = np.unique(key[keep], axis=0, return_index=True)
    unique = seg[keep][np.sort(first)]
    lines = shapely.linestrings(unique.reshape(-1, 2, 2))
    return line_parts([shapely.line_merge(shapely.multilinestrings(lines))])


def flow_width(tons: np.ndarray, max_tons: float, thin: float = 0.6, thick: float = 7.0):
    """Line width (points) in proportion to tons moved."""
    if max_tons <= 0:
        return np.full(len(tons), thin)
    return thin + (thick - thin) * np.asarray(tons, float) / max_tons


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 forbids (C0 but tab/newline/CR, lone surrogates, U+FFFE/FFFF), and C1."""


def xml_text(text: str) -> str:
    """`text` without the characters that make an SVG invalid XML (matplotlib escapes the rest)."""
    return _NOT_XML.sub("", text)


def _drawable(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """The layers with every text cell through `xml_text`: the one place model text (names,
    ids, sources) enters the figure, so no label can break the SVG or the font renderer."""
    out = {}
    for name, frame in layers.items():
        text_columns = [
            c
            for c in frame.columns
            if c != frame.geometry.name
            and (is_object_dtype(frame[c].dtype) or is_string_dtype(frame[c].dtype))
        ]
        if text_columns:
            frame = frame.copy()
            for c in text_columns:
                frame[c] = [xml_text(v) if isinstance(v, str) else v for v in frame[c]]
        out[name] = frame
    return out


def render_map(layers: dict[str, gpd.GeoDataFrame], title: str) -> dict[str, bytes]:
    """The theater map as {'png': bytes, 'svg': bytes} (deterministic)."""
    with mpl.rc_context(
        {
            "svg.hashsalt": "rsoi",
            "svg.fonttype": "none",
            "font.family": "DejaVu Sans",
            # names are text, never TeX: `$\\undefinedmacro{$` must print, not crash mathtext
            "text.parse_math": False,
        }
    ):
        fig = Figure(figsize=A4_LANDSCAPE, dpi=DPI)
        FigureCanvasAgg(fig)
        _draw(fig, _drawable(layers), xml_text(title))
        out = {}
        for fmt in ("png", "svg"):
            buf = io.BytesIO()
            metadata = {"Date": None} if fmt == "svg" else {"Software": "rsoi"}
            # zlib level 3: a few percent larger than the default 6, encoded in half the time
            extra = {"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}
            fig.savefig(buf, format=fmt, dpi=DPI, metadata=metadata, **extra)
            out[fmt] = buf.getvalue()
    return out


MAIN_AX = (0.012, 0.05, 0.615, 0.86)  # figure fractions: left, bottom, width, height
INSET_AX = (0.64, 0.39, 0.35, 0.52)
LEGEND_AX = (0.64, 0.05, 0.35, 0.32)


def _aspect(box: tuple) -> float:
    return (box[2] * A4_LANDSCAPE[0]) / (box[3] * A4_LANDSCAPE[1])


def inset_bounds(places: gpd.GeoDataFrame) -> tuple | None:
    """Bounds (map metres) of the country with the most places, for a close-up inset."""
    counts = places["country"].value_counts()
    if not len(counts) or counts.iloc[0] < 4:
        return None
    top = sorted(counts[counts == counts.iloc[0]].index)[0]
    return tuple(places[places["country"] == top].total_bounds)


def _draw(fig: Figure, layers: dict[str, gpd.GeoDataFrame], title: str) -> None:
    places = project(layers["places"])
    routes = project(layers["routes"])
    used = routes[routes["flow_t"] > 0].sort_values("flow_t", ascending=False)
    max_t = float(used["flow_t"].max()) if len(used) else 0.0
    close_up = inset_bounds(places)

    main_ax = fig.add_axes(MAIN_AX)
    extent = map_extent(layers, aspect=_aspect(MAIN_AX))
    labelled = places[places["key"]]
    if close_up is not None:
        inner = fit_extent(close_up, 0.12, _aspect(INSET_AX))
        inside = labelled.geometry.within(shapely.box(*inner))
        _panel(fig, main_ax, layers, extent, routes, places, max_t, labelled[~inside], 500)
        main_ax.add_patch(
            Rectangle(
                inner[:2],
                inner[2] - inner[0],
                inner[3] - inner[1],
                fill=False,
                edgecolor="#333333",
                linewidth=0.8,
                zorder=8,
            )
        )
        inset_ax = fig.add_axes(INSET_AX)
        _panel(fig, inset_ax, layers, inner, routes, places, max_t, places, 100)
        inset_ax.text(
            0.015,
            0.985,
            "close-up",
            transform=inset_ax.transAxes,
            fontsize=8,
            va="top",
            bbox={"fc": "white", "ec": "#999999", "pad": 2},
        )
    else:
        _panel(fig, main_ax, layers, extent, routes, places, max_t, labelled, 500)
    legend_ax = fig.add_axes(LEGEND_AX)
    legend_ax.axis("off")
    _legend(legend_ax, sorted(set(places["kind"])), used, max_t, bool(routes["closed"].any()))

    fig.text(0.012, 0.955, title, fontsize=13, weight="bold", va="center")
    fig.text(
        0.012,
        0.925,
        "Flows: line width in proportion to short tons moved over the horizon. "
        "NOTIONAL DATA — logistics and apportionment analysis only.",
        fontsize=8.5,
        va="center",
        color="#333333",
    )
    fig.text(
        0.99,
        0.025,
        "Made with Natural Earth. Sea lanes notional; not for navigation.",
        fontsize=7.5,
        ha="right",
        va="center",
        color="#444444",
    )
    fig.text(
        0.012,
        0.025,
        "Lambert conformal conic (standard parallels 15° N, 40° N; 128° E)",
        fontsize=7.5,
        va="center",
        color="#444444",
    )


def _panel(fig, ax, layers, extent, routes, places, max_t, labelled, bar_km) -> None:
    """One map panel: base map, routes, flows, places, labels and a scale bar."""
    base = basemap_in(layers, extent)
    ax.set_facecolor(WATER)
    # add_artist, not add_patch: the limits are set below, and updating them from every
    # coastline vertex is the slowest step of the drawing
    ax.add_artist(
        PathPatch(polygon_path(base["basemap_land"].geometry), facecolor=LAND, linewidth=0)
    )
    ax.add_collection(
        LineCollection(line_parts(base["basemap_borders"].geometry), colors=BORDER, linewidths=0.5),
        autolim=False,
    )
    idle = routes[(routes["flow_t"] <= 0) & ~routes["closed"]]
    ax.add_collection(
        LineCollection(
            shared_once(idle.geometry),
            colors=UNUSED,
            linewidths=0.6,
            linestyles=(0, (3, 3)),
            alpha=0.8,
        )
    )
    closed = routes[routes["closed"]]
    ax.add_collection(
        LineCollection(
            line_parts(closed.geometry), colors=CLOSED, linewidths=1.0, linestyles=(0, (1, 2))
        )
    )
    used = routes[routes["flow_t"] > 0].sort_values("flow_t", ascending=False)
    ax.add_collection(
        LineCollection(
            [np.asarray(g.coords) for g in used.geometry],
            colors=[MODE_COLORS.get(m, "#333333") for m in used["mode"]],
            linewidths=flow_width(used["flow_t"].to_numpy(), max_t),
            alpha=0.85,
            capstyle="round",
            zorder=3,
        )
    )
    for kind, group in places.groupby("kind"):
        marker, _, color = KIND_STYLE.get(kind, OTHER_KIND)
        ax.scatter(
            group.geometry.x,
            group.geometry.y,
            marker=marker,
            s=36,
            c=color,
            edgecolors="white",
            linewidths=0.7,
            zorder=5,
        )
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    _labels(fig, ax, labelled.sort_values(["throughput_t", "id"], ascending=[False, True]), places)
    _scale_bar(ax, extent, bar_km)


def _labels(fig: Figure, ax, places: gpd.GeoDataFrame, markers: gpd.GeoDataFrame) -> None:
    """Label places, trying eight offsets; skip a label that would cover another or a marker."""
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pixels = ax.transData.transform(np.column_stack([markers.geometry.x, markers.geometry.y]))
    r = 3.0 * fig.dpi / 72  # marker half-size in pixels
    taken = [Bbox.from_extents(x - r, y - r, x + r, y + r) for x, y in pixels]
    offsets = [(6, 4), (6, -10), (-6, 4), (-6, -10), (0, 8), (0, -14), (10, -3), (-10, -3)]
    for _, row in places.iterrows():
        for dx, dy in offsets:
            text = ax.annotate(
                row["name"],
                (row.geometry.x, row.geometry.y),
                xytext=(dx, dy),
                textcoords="offset points",
                ha="left" if dx > 0 else "right" if dx < 0 else "center",
                fontsize=7.5,
                zorder=6,
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.7},
            )
            box = text.get_window_extent(renderer)
            inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
            if inside and not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
            text.remove()


def _legend(ax, kinds: list[str], used: gpd.GeoDataFrame, max_t: float, closed: bool) -> None:
    handles = [
        Line2D([], [], color=MODE_COLORS[m], linewidth=3, label=f"{m} flow")
        for m in sorted(set(used["mode"]))
    ]
    if max_t > 0:
        for share in (1.0, 0.5, 0.1):
            width = float(flow_width(np.array([share * max_t]), max_t)[0])
            label = f"{share * max_t:,.0f} short tons"
            handles.append(Line2D([], [], color="#555555", linewidth=width, label=label))
    handles.append(
        Line2D([], [], color=UNUSED, linewidth=0.8, linestyle=(0, (3, 3)), label="route not used")
    )
    if closed:
        handles.append(
            Line2D([], [], color=CLOSED, linewidth=1.0, linestyle=(0, (1, 2)), label="route closed")
        )
    for kind in kinds:
        marker, _, color = KIND_STYLE.get(kind, OTHER_KIND)
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                color="none",
                markerfacecolor=color,
                markeredgecolor="white",
                markersize=8,
                label=kind.replace("_", " "),
            )
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        fontsize=8,
        frameon=False,
        ncols=2,
        title="Legend",
        title_fontsize=9,
        alignment="left",
        handlelength=3,
    )


def _scale_bar(ax, extent: tuple, km: float) -> None:
    """A `km` scale bar (true along the standard parallels; conformal, so near true here)."""
    xmin, ymin, xmax, ymax = extent
    length = km * 1000.0
    x0, y0 = xmin + 0.04 * (xmax - xmin), ymin + 0.04 * (ymax - ymin)
    h = 0.01 * (ymax - ymin)
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y0),
                length / 4,
                h,
                zorder=7,
                facecolor="black" if i % 2 == 0 else "white",
                edgecolor="black",
                linewidth=0.6,
            )
        )
    for frac in (0, 0.5, 1):
        ax.text(
            x0 + frac * length, y0 + 1.8 * h, f"{frac * km:g}", ha="center", fontsize=7, zorder=7
        )
    ax.text(x0 + length + 0.015 * (xmax - xmin), y0 + h / 2, "km", va="center", fontsize=7)
