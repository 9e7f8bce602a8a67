"""The GIS layers of a finished run and their QGIS styles and project.

`build_layers` turns a run (`rsoi.outputs.rundata.RunData`) into GeoDataFrames; `qml`,
`layer_styles` and `project_content` style them. Writing them is `rsoi.outputs.export`.
Output is deterministic: rows are sorted and GeoPackage timestamps are fixed.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from rsoi.errors import Problem
from rsoi.model import geo
from rsoi.outputs.rundata import (
    IN_TRANSIT,
    RunData,
    cargo_capacity,
    load_run,
    map_title,
    mog_capacity,
    period_loads,
)

__all__ = ["LAYERS", "RunData", "build_layers", "load_run", "route_lines"]

CRS = "EPSG:4326"
FIXED_TIME = "2000-01-01T00:00:00.000Z"  # gpkg_contents.last_change and layer_styles.update_time
LAYERS = (  # top to bottom, as drawn in the embedded QGIS project
    "allocations",  # translucent circles above the place symbols they sit on
    "places",
    "flows",
    "apportionment",
    "routes",
    "basemap_countries",
    "basemap_land",
)
EMPTY_LAYER_GEOMETRY = {  # the geometry type an empty layer declares (no providers, no flows)
    "places": "Point",
    "allocations": "Point",
    "flows": "LineString",
    "apportionment": "LineString",
    "routes": "LineString",
    "basemap_countries": "MultiPolygon",
    "basemap_land": "MultiPolygon",
}
TIME_LAYERS = ("flows", "allocations", "apportionment")  # one feature per period
MIN_SHARE = 1e-6  # apportionment shares at or below this are solver noise, not drawn
PROJECT_NAME = "rsoi plan"
KEY_PLACES = 10  # label this many busiest places on the static map (plus anchors, shorts)


# --- geometry ---------------------------------------------------------------------------


def route_lines(run: RunData) -> dict[str, shapely.LineString]:
    """Route geometry: sea routes along the sea-lane graph (closed straits avoided), else geodesics.

    A sea route with no open path is drawn along its shortest path ignoring closures.
    """
    spec, coords = run.prep.spec, run.prep.coords
    graph = None
    if spec.sea_lanes:
        graph = geo.SeaLaneGraph.from_file(run.model_path.parent / spec.sea_lanes, coords)
    closed = frozenset(lane.id for lane in spec.lanes if lane.closed)
    lines = {}
    for r in run.prep.routes:
        path = None
        if r.mode == "sea" and graph is not None:
            with contextlib.suppress(KeyError):
                path = graph.path(r.origin, r.destination, closed) or graph.path(
                    r.origin, r.destination
                )
        lines[r.id] = (
            path.line
            if path is not None
            else geo.densify_geodesic([coords[r.origin], coords[r.destination]])
        )
    return lines


def geodesic_length_km(line: shapely.LineString) -> float:
    """Length of a lon/lat line on the WGS84 ellipsoid, in km."""
    return float(geo.GEOD.geometry_length(line)) / 1000.0


# --- layers -----------------------------------------------------------------------------


def fmt(x: float) -> str:
    """A number as a reviewer reads it: whole numbers with thousands separators, else three
    significant digits (never ``1.2e+04`` or ``0.5333333330000001``)."""
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    if abs(x - round(x)) < 1e-9 or abs(x) >= 100:
        return f"{round(x):,}"
    return f"{x:.3g}"


def _plural(n: float, word: str) -> str:
    return f"{fmt(n)} {word}" + ("" if abs(float(n) - 1) < 1e-9 else "s")


def place_names(run: RunData) -> dict[str, str]:
    """Place id -> its name (the id where the model gives none)."""
    return {p.id: p.name or p.id for p in run.prep.spec.places}


def offsets_mm(frame: pd.DataFrame, keys: list[str], step: float) -> np.ndarray:
    """Side offsets (mm) that spread rows sharing `keys` (lines on the same geometry in one
    frame) apart: 0 for a lone line, else -step/2, +step/2, ... centred on the line."""
    if not len(frame):
        return np.zeros(0)
    rank = frame.groupby(keys, sort=False).cumcount().to_numpy(float)
    count = frame.groupby(keys, sort=False)[keys[0]].transform("size").to_numpy(float)
    return np.round((rank - (count - 1) / 2) * step, 3)


def _peak_ratio(
    run: RunData, loads: pd.DataFrame, capacity: Callable[[RunData, str], np.ndarray | None]
) -> dict[str, float]:
    """Largest load/capacity over periods, per place (places without a capacity left out)."""
    out: dict[str, float] = {}
    for place, group in loads.groupby("place"):
        cap = capacity(run, str(place))
        if cap is None:
            continue
        c = cap[group["period"].to_numpy() - 1]
        ratio = np.divide(group["t"].to_numpy(), c, out=np.zeros(len(c)), where=c > 0)
        out[str(place)] = float(np.round(ratio.max(), 6))
    return out


def _shortfall_by_place(short: pd.DataFrame) -> tuple[dict[str, float], dict[str, str]]:
    """Largest shortfall ratio per place, and a text of its items short (grouped once)."""
    short = short[short["place"].notna() & (short["required"] > 0)]
    ratio = (short["shortfall"] / short["required"]).groupby(short["place"]).max()
    pct = {str(p): float(np.round(v, 6)) for p, v in ratio.items()}
    short_rows = short[short["shortfall"] > 0]
    stats = short_rows.groupby(["place", "item", "unit"])["shortfall"].agg(["max", "size"])
    parts: dict[str, list[str]] = {str(p): [] for p in pct}
    for (place, item, unit), (top, n) in zip(stats.index, stats.to_numpy(), strict=True):
        n = int(n)
        parts[str(place)].append(
            f"{item}: up to {top:g} {unit} short in {n} period" + ("s" if n != 1 else "")
        )
    return pct, {place: "; ".join(lines) for place, lines in parts.items()}


def places_layer(run: RunData) -> gpd.GeoDataFrame:
    """Places with kind, capacities, allocation per task, shortfall and utilisation."""
    prep = run.prep
    all_loads = period_loads(run)
    util = _peak_ratio(run, all_loads, cargo_capacity)
    mog_util = _peak_ratio(run, period_loads(run, "air"), mog_capacity)
    total = all_loads.groupby("place")["t"].sum()
    peak = all_loads.groupby("place")["t"].max()
    short_pct, short_text = _shortfall_by_place(run.tables["shortfalls"])
    alloc = run.tables["allocations"]
    alloc_days = (
        (alloc["capability_per_day"] * run.days).groupby([alloc["place"], alloc["task"]]).sum()
    )
    tasks = [t.id.value for t in prep.spec.tasks]
    anchors = {t.anchor for t in prep.spec.theaters}
    busiest = set(total[total > 0].sort_values(ascending=False).index[:KEY_PLACES])
    flows = run.tables["flows"]
    # QGIS labels every place a reviewer can click for numbers: flows or allocations there
    active = set(flows["origin"]) | set(flows["destination"]) | set(alloc["place"])
    active |= {f.home for f in prep.spec.forces}  # ends of the apportionment lines

    rows = []
    for p in sorted(prep.spec.places, key=lambda p: p.id):
        row = {
            "id": p.id,
            "name": p.name or p.id,
            "kind": str(p.kind or ""),
            "country": p.country or "",
            "theater": p.theater,
            "cargo_t_per_day": p.cargo_t_per_day,
            "mog": p.mog,
            "storage_t": p.storage_t,
            "maintenance_capacity": p.maintenance_capacity,
            "access_support_required": p.access_support_required,
            "min_capacity_factor": float(prep.place_factor[p.id].min()),
            "throughput_t": float(total.get(p.id, 0.0)),
            "peak_throughput_t": float(peak.get(p.id, 0.0)),
            "utilisation": util.get(p.id, np.nan if cargo_capacity(run, p.id) is None else 0.0),
            "mog_utilisation": mog_util.get(
                p.id, np.nan if mog_capacity(run, p.id) is None else 0.0
            ),
            "shortfall_pct": short_pct.get(p.id, np.nan),
            "shortfall_text": short_text.get(p.id, ""),
        }
        for task in tasks:
            row[f"alloc_{task}"] = float(alloc_days.get((p.id, task), 0.0))
        row["key"] = p.id in anchors or p.id in busiest or short_pct.get(p.id, 0.0) > 0
        row["labelled"] = bool(row["key"] or p.id in active)
        row["source"] = p.source
        row["geometry"] = shapely.Point(prep.coords[p.id])
        rows.append(row)
    return _frame(rows)


def routes_layer(run: RunData, lines: dict[str, shapely.LineString]) -> gpd.GeoDataFrame:
    """Routes with mode, capacity, total flow and peak utilisation, and `flow_periods` (the
    periods with flow, "1,2,5"): the QGIS style draws a route only in those periods' frames
    (all used routes with time off), so a frame never shows a route nothing moves on."""
    names = place_names(run)
    flows = run.tables["flows"]
    per_t = flows.groupby(["route", "period"])["short_tons"].sum()
    spec_routes = {r.id: r for r in run.prep.spec.routes}
    rows = []
    for r in sorted(run.prep.routes, key=lambda r: r.id):
        cap = r.capacity_t_per_period
        used = per_t[r.id] if r.id in per_t.index.get_level_values(0) else pd.Series(dtype=float)
        c = cap[used.index.to_numpy(int) - 1]
        ratio = np.divide(used.to_numpy(), c, out=np.zeros(len(c)), where=c > 0)
        rows.append(
            {
                "id": r.id,
                "origin": r.origin,
                "origin_name": names.get(r.origin, r.origin),
                "destination": r.destination,
                "destination_name": names.get(r.destination, r.destination),
                "mode": r.mode.value,
                "theater": r.theater,
                "onward": r.onward,
                "lanes": ",".join(r.lanes),
                "closed": bool(cap.max() <= 0),
                "capacity_t_per_day": spec_routes[r.id].capacity_t_per_day,
                "capacity_t": float(cap.sum()),
                "flow_t": float(used.sum()),
                # the periods QGIS draws the route in (with the Temporal Controller on)
                "flow_periods": ",".join(str(int(k)) for k in used.index[used.to_numpy() > 0]),
                "peak_utilisation": float(np.round(ratio.max(), 6)) if len(ratio) else 0.0,
                "distance_km": round(r.distance_km, 3),
                "geometry_km": round(geodesic_length_km(lines[r.id]), 3),
                "transit_periods": r.transit_periods,
                "source": r.source,
                "geometry": lines[r.id],
            }
        )
    return _frame(rows)


def flows_layer(run: RunData, lines: dict[str, shapely.LineString]) -> gpd.GeoDataFrame:
    """One row per route x commodity x period, on the route line, with period start/end.

    The commodities a route carries in a period would draw lines exactly on top of each
    other, so the map draws one line per route x period: the row with `drawn` true (the
    heaviest commodity) stands for all of them, its width by `route_short_tons` (their sum),
    and every row carries the route x period's `breakdown` (each commodity's tons, and its
    quantity in its own unit) and the number of `commodities`. The other rows are kept (the
    table stays one row per flow, as flows.csv and the checker read it) but not drawn.
    """
    flows = run.tables["flows"].sort_values(
        ["route", "period", "short_tons", "commodity"],
        ascending=[True, True, False, True],
        ignore_index=True,
    )
    frame = flows.drop(columns=["period_start"])
    names = place_names(run)
    for side in ("origin", "destination"):
        at = frame.columns.get_loc(side) + 1
        frame.insert(at, f"{side}_name", frame[side].map(lambda p: names.get(p, p)))
    pair = [frame["route"], frame["period"]]
    frame["route_short_tons"] = frame.groupby(pair)["short_tons"].transform("sum")
    frame["commodities"] = frame.groupby(pair)["commodity"].transform("size").astype(int)
    own = [
        "" if unit == "short tons" else f" ({fmt(qty)} {unit})"
        for qty, unit in zip(frame["quantity"], frame["unit"], strict=True)
    ]
    part = [
        f"{commodity}: {fmt(tons)} t{suffix}"
        for commodity, tons, suffix in zip(
            frame["commodity"], frame["short_tons"], own, strict=True
        )
    ]
    frame["breakdown"] = pd.Series(part, index=frame.index).groupby(pair).transform("; ".join)
    frame["drawn"] = ~frame.duplicated(["route", "period"])
    _add_period_times(run, frame)
    return _frame(frame.assign(geometry=[lines[r] for r in frame["route"]]))


def allocations_layer(run: RunData) -> gpd.GeoDataFrame:
    """One point per place x period with support allocated, the breakdown in fields.

    Aggregated so a reviewer clicks one point and reads it (hundreds of provider x task rows
    would otherwise sit on top of each other): `theater` (every theater the place's support
    serves, comma-separated), `providers`, `nations`, `tasks`, `units_allocated` (sum),
    `units_<nation>`, `cap_<task>` (capability per day, in the task's unit) and `breakdown`
    (one "provider (nation) task for theater: units, capability" per row, so a provider
    serving two theaters from one place reads as two rows that say which is which).
    """
    alloc = run.tables["allocations"]
    alloc = alloc[alloc["units_allocated"] > 0].sort_values(
        ["place", "period", "provider", "task"], ignore_index=True
    )
    nations = sorted(set(alloc["nation"]))
    tasks = sorted(set(alloc["task"]))
    # plain Python over a few hundred rows: pandas' per-group overhead costs more than the work
    groups: dict[tuple[str, int], dict] = {}
    columns = ["place", "period", "theater", "provider", "nation", "task", "units_allocated"]
    columns += ["capability_per_day", "capability_unit"]
    for place, period, theater, provider, nation, task, units, cap, unit in zip(
        *(alloc[c] for c in columns), strict=True
    ):
        g = groups.setdefault(
            (place, int(period)),
            {"theaters": set(), "providers": set(), "nations": set(), "tasks": set(),
             "lines": [], "units": dict.fromkeys(nations, 0.0), "cap": dict.fromkeys(tasks, 0.0)},
        )  # fmt: skip
        g["theaters"].add(theater)
        g["providers"].add(provider)
        g["nations"].add(nation)
        g["tasks"].add(task)
        g["units"][nation] += float(units)
        g["cap"][task] += float(cap)
        g["lines"].append(
            f"{provider} ({nation}) {task} for {theater}: {_plural(units, 'unit')}, "
            f"{fmt(cap)} {unit}"
        )
    names = place_names(run)
    rows = []
    for (place, period), g in groups.items():
        units = g["units"]
        row = {
            "place": place,
            "name": names.get(place, place),
            "period": period,
            "theater": ",".join(sorted(g["theaters"])),
            "providers": len(g["providers"]),
            "nations": ",".join(sorted(g["nations"])),
            "tasks": ",".join(sorted(g["tasks"])),
            "units_allocated": round(float(np.sum(list(units.values()))), 6),
            "breakdown": "; ".join(g["lines"]),
            "lead_nation": max(nations, key=lambda n: (units[n], -nations.index(n))),
        }
        row.update({f"units_{n}": round(units[n], 6) for n in nations})
        row.update({f"cap_{t}": round(g["cap"][t], 6) for t in tasks})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else ["place", "name", "period"])
    _add_period_times(run, frame)
    coords = run.prep.coords
    return _frame(frame.assign(geometry=[shapely.Point(coords[p]) for p in frame["place"]]))


def apportionment_layer(run: RunData) -> gpd.GeoDataFrame:
    """One line home -> theater anchor per force x theater x period with a positive share.

    Names sit beside the ids (`force_name`, `home_name`, `anchor_name`); `offset_mm` spreads
    the lines of forces with the same home and theater in one period side by side.

    Columns of apportionment.csv are read by name (share, combat_power, troops and any
    other per-row numbers are carried over). Not drawn: shares <= MIN_SHARE; shares of the
    `in_transit` pseudo-theater (or any theater without an anchor), which have no place to
    point at; and forces whose home *is* the theater's anchor (a zero-length line is an
    invalid geometry; those forces show in the report's apportionment chart).
    """
    spec, coords = run.prep.spec, run.prep.coords
    forces = {f.id: f for f in spec.forces}
    anchors = {t.id: t.anchor for t in spec.theaters}
    app = run.tables["apportionment"]
    app = app[
        (app["share"] > MIN_SHARE)
        & app["theater"].isin(anchors)
        & (app["theater"] != IN_TRANSIT)
        & app["force"].isin(forces)
    ]
    home = app["force"].map(lambda f: forces[f].home)
    anchor = app["theater"].map(anchors)
    app = app[(home != anchor).to_numpy()].sort_values(
        ["force", "theater", "period"], ignore_index=True
    )
    frame = app.drop(columns=[c for c in ("period_start", "period_end") if c in app])
    at = frame.columns.get_loc("force") + 1
    frame.insert(at, "force_name", frame["force"].map(lambda f: forces[f].name or f))
    frame.insert(at + 1, "home", frame["force"].map(lambda f: forces[f].home))
    names = place_names(run)
    frame.insert(at + 2, "home_name", frame["home"].map(lambda p: names.get(p, p)))
    at = frame.columns.get_loc("theater") + 1
    frame.insert(at, "anchor", frame["theater"].map(anchors))
    frame.insert(at + 1, "anchor_name", frame["anchor"].map(lambda p: names.get(p, p)))
    # forces sharing a home and a theater would draw the same line: spread them 1.2 mm apart
    frame["offset_mm"] = offsets_mm(frame, ["home", "anchor", "period"], 1.2)
    _add_period_times(run, frame)
    lines: dict[tuple[str, str], shapely.LineString] = {}
    for pair in zip(frame["home"], frame["anchor"], strict=True):
        if pair not in lines:
            lines[pair] = geo.densify_geodesic([coords[pair[0]], coords[pair[1]]])
    geometry = [lines[pair] for pair in zip(frame["home"], frame["anchor"], strict=True)]
    return _frame(frame.assign(geometry=geometry))


def basemap_layers(run: RunData) -> dict[str, gpd.GeoDataFrame]:
    """The shipped Natural Earth base map (countries and land)."""
    path = run.geodata_dir / "basemap.gpkg"
    if not path.is_file():
        raise Problem.about(
            path,
            "basemap",
            f"base map not found: {path} (beside the model's geodata, or in geodata/ beside "
            "a model that names none)",
            "build it with scripts/make_basemap.py (see geodata/ATTRIBUTION.md)",
        )
    return {f"basemap_{k}": v for k, v in geo.load_basemap(path).items()}


def map_basemap(run: RunData) -> dict[str, gpd.GeoDataFrame]:
    """The base map's map-scale layers (projected, simplified at build time), if it has them.

    Empty when an older basemap.gpkg lacks them: the map then projects the lon/lat layers.
    """
    from rsoi.outputs.mapping import MAP_BASEMAP

    path = run.geodata_dir / "basemap.gpkg"
    listed = {name for name, _ in pyogrio.list_layers(path)} if path.is_file() else set()
    if not set(MAP_BASEMAP.values()) <= listed:
        return {}
    return {key: pyogrio.read_dataframe(path, layer=name) for key, name in MAP_BASEMAP.items()}


def build_layers(run: RunData) -> dict[str, gpd.GeoDataFrame]:
    """Every layer of plan.gpkg, in LAYERS order."""
    lines = route_lines(run)
    layers = {
        "places": places_layer(run),
        "routes": routes_layer(run, lines),
        "flows": flows_layer(run, lines),
        "allocations": allocations_layer(run),
        "apportionment": apportionment_layer(run),
        **basemap_layers(run),
    }
    return {name: layers[name] for name in LAYERS}


def _add_period_times(run: RunData, frame: pd.DataFrame) -> None:
    """Insert period_start / period_end (UTC, written with `Z`) after the `period` column.

    QGIS shows a feature from `period_start` for `shown_seconds` (its whole period and no
    more); `period_end` is there for reading.
    """
    at = frame.columns.get_loc("period") + 1
    start = run.period_start(frame["period"])
    frame.insert(at, "period_start", start)
    frame.insert(at + 1, "period_end", start + pd.Timedelta(days=run.days))


def _frame(rows: list[dict] | pd.DataFrame) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows) if isinstance(rows, list) else rows
    if "geometry" not in frame:
        frame["geometry"] = []
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


# --- styles -----------------------------------------------------------------------------


def shown_seconds(period_days: float) -> int:
    """How long a time layer's feature shows from its `period_start`: one period less a second.

    QGIS 3.22 hands the frame [t, t + period) to SQLite as text comparisons against literals
    without the `Z` the GeoPackage stores (``"period_end" > '2030-01-03T00:00:00.000'``), so a
    period ending exactly at t passed as "later" and every frame drew two periods. With a start
    field and this fixed duration the test is ``period_start > t - period + 1 s`` and
    ``period_start < t + period``: the previous period's start fails by a whole second and the
    next one's fails by its `Z`, however QGIS compares (as text or as times).
    """
    return round(period_days * 86400) - 1


STYLE_DEFAULTS = {  # run-dependent QML placeholders, for styles written without a run
    "frame_period": "NULL",
    "flows_max_t": "the largest",
    "alloc_max_units": "the most",
}


def style_values(run: RunData, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """The run-dependent QML placeholders: `frame_period` (the QGIS expression of the period
    the Temporal Controller's frame shows), the legend's scale numbers (the flow the widest
    line stands for, the allocation the largest circle stands for) and, as
    ``aliases:<layer>``, each layer's field aliases (see field_aliases)."""
    from rsoi.outputs.qgis_project import frame_period_expression

    def top(layer: str, column: str) -> str:
        frame = layers.get(layer)
        if frame is None or column not in frame or not len(frame):
            return STYLE_DEFAULTS["flows_max_t" if layer == "flows" else "alloc_max_units"]
        return fmt(frame[column].max())

    aliases = {
        f"aliases:{layer}": _aliases_xml(fields)
        for layer, fields in field_aliases(run, layers).items()
    }
    return {
        **aliases,
        "frame_period": frame_period_expression(_iso(run.c_day), run.days),
        "flows_max_t": top("flows", "route_short_tons"),
        "alloc_max_units": top("allocations", "units_allocated"),
    }


FIXED_ALIASES = {  # field -> the name Identify shows (words and unit), per layer
    "places": {
        "cargo_t_per_day": "cargo capacity (short tons/day)",
        "mog": "MOG (aircraft on the ground at once)",
        "storage_t": "storage (short tons)",
        "maintenance_capacity": "maintenance capacity (teams)",
        "access_support_required": "access support required (yes/no)",
        "min_capacity_factor": "lowest capacity factor after attacks (0–1)",
        "throughput_t": "tons handled over the horizon (short tons)",
        "peak_throughput_t": "most tons handled in a period (short tons)",
        "utilisation": "peak cargo utilisation (0–1)",
        "mog_utilisation": "peak MOG utilisation (0–1)",
        "shortfall_pct": "largest shortfall (share of the requirement, 0–1)",
        "shortfall_text": "items short",
    },
    "routes": {
        "capacity_t_per_day": "capacity (short tons/day)",
        "capacity_t": "capacity over the horizon (short tons)",
        "flow_t": "flow over the horizon (short tons)",
        "flow_periods": "periods with flow",
        "peak_utilisation": "peak utilisation (0–1)",
        "distance_km": "distance (km)",
        "geometry_km": "drawn length (km)",
        "transit_periods": "transit (periods)",
    },
    "flows": {
        "quantity": "quantity (in unit)",
        "short_tons": "this commodity (short tons)",
        "route_short_tons": "route in the period, all commodities (short tons)",
        "commodities": "commodities on the route in the period (count)",
        "breakdown": "per commodity (short tons, own unit)",
        "drawn": "drawn for the route (yes/no)",
        "arrival_period": "arrival period",
    },
    "allocations": {
        "theater": "theaters served",
        "providers": "providers (count)",
        "units_allocated": "units allocated (count; teams, squadrons, ships mixed)",
        "breakdown": "per provider, task and theater",
        "lead_nation": "nation providing most units",
    },
    "apportionment": {
        "share": "share of the force (0–1)",
        "combat_power": "combat power apportioned (index)",
        "troops": "troops apportioned (count)",
        "offset_mm": "drawn side offset (mm)",
    },
}


def field_aliases(run: RunData, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, dict[str, str]]:
    """Per layer, the field -> words-and-unit name QGIS's Identify panel and attribute table
    show (the stored column names stay ids, for scripts)."""
    units = {t.id.value: t.unit for t in run.prep.spec.tasks}
    out = {layer: dict(fields) for layer, fields in FIXED_ALIASES.items()}
    times = {"period_start": "period start (UTC)", "period_end": "period end (UTC)"}
    for layer in TIME_LAYERS:
        out[layer].update(times)
    for column in layers.get("allocations", pd.DataFrame()).columns:
        if column.startswith("units_") and column != "units_allocated":
            out["allocations"][column] = f"units from {column[6:]} (count)"
        elif column.startswith("cap_"):
            task = column[4:]
            out["allocations"][column] = (
                f"{task.replace('_', ' ')} capability ({units.get(task, '')})"
            )
    for column in layers.get("places", pd.DataFrame()).columns:
        if column.startswith("alloc_"):
            task = column[6:]
            unit = units.get(task, "")
            out["places"][column] = f"{task.replace('_', ' ')} allocated ({unit} × days)"
    return out


def _aliases_xml(aliases: dict[str, str]) -> str:
    rows = "".join(
        f'<alias field="{_xml_attr(field)}" index="{i}" name="{_xml_attr(name)}"/>'
        for i, (field, name) in enumerate(aliases.items())
    )
    return f"  <aliases>{rows}</aliases>\n"


def _xml_attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace('"', "&quot;").replace("'", "&apos;")
    )  # fmt: skip


def qml(layer: str, period_days: float, values: dict[str, str] | None = None) -> str:
    """The default QGIS style of a layer: its template in rsoi/outputs/qml with colours, the
    time layers' shown duration for `period_days` and the run's `values` (see style_values;
    STYLE_DEFAULTS where not given) filled in."""
    from rsoi.outputs.palette import STYLE_COLORS

    text = (resources.files("rsoi.outputs") / "qml" / f"{layer}.qml").read_text(encoding="utf-8")
    given = {**STYLE_DEFAULTS, **(values or {})}
    aliases = given.pop(f"aliases:{layer}", "")
    run_values = {k: _xml_attr(v) for k, v in given.items() if not k.startswith("aliases:")}
    text = string.Template(text).substitute(
        STYLE_COLORS, shown_seconds=str(shown_seconds(period_days)), **run_values
    )
    return text.replace("</qgis>", aliases + "</qgis>") if aliases else text


def layer_styles(styles: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """The `layer_styles` table QGIS reads default styles from: one row per layer name ->
    (QML, SLD). `styleSLD` carries an OGC SLD 1.1 of the same categories for ArcGIS and
    GeoServer."""
    names = list(styles)
    return pd.DataFrame(
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": names,
            "f_geometry_column": "geom",
            "styleName": names,
            "styleQML": [styles[n][0] for n in names],
            "styleSLD": [styles[n][1] for n in names],
            "useAsDefault": True,
            "description": [f"rsoi default style for {n}" for n in names],
            "owner": "rsoi",
            "ui": None,
            "update_time": pd.Series([pd.Timestamp(FIXED_TIME)] * len(names)).astype(
                "datetime64[ms, UTC]"
            ),
        }
    )


def run_styles(
    names: list[str], period_days: float, values: dict[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """(QML, SLD) of each layer of a run's plan.gpkg."""
    from rsoi.outputs.sld import sld

    return {n: (qml(n, period_days, values), sld(n)) for n in names}


def project_content(
    run: RunData, layers: dict[str, gpd.GeoDataFrame], extent: tuple, map_crs: str, sea: str
) -> bytes:
    """The .qgz bytes of the embedded QGIS project (see rsoi.outputs.qgis_project)."""
    from rsoi.outputs import qgis_project

    geometry = [
        (name, str(frame.geom_type.iloc[0]) if len(frame) else EMPTY_LAYER_GEOMETRY[name])
        for name, frame in layers.items()
    ]
    xml = qgis_project.project_xml(
        geometry,
        {name: qml(name, run.days, style_values(run, layers)) for name in layers},
        map_crs,
        extent,
        sea,
        (_iso(run.c_day), _iso(run.horizon_end())),
        run.days,
        f"rsoi plan: {map_title(run)}",
    )
    return qgis_project.qgz(xml)


def _iso(ts: pd.Timestamp) -> str:
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
