"""GIS export of a finished run: ``plan.gpkg`` with QGIS styles, GeoJSON, map and report.

`export_run` is the one entry point. It reads the run folder's CSVs and ``summary.json``,
re-loads the model (for geometry and capacities) and writes every file atomically. Output is
deterministic: rows are sorted and GeoPackage timestamps are fixed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import string
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from rsoi import geo
from rsoi.errors import InputError, Problem
from rsoi.prepare import Prepared

CRS = "EPSG:4326"
FIXED_TIME = "2000-01-01T00:00:00.000Z"  # gpkg_contents.last_change and layer_styles.update_time
LAYERS = (
    "places",
    "routes",
    "flows",
    "allocations",
    "apportionment",
    "basemap_countries",
    "basemap_land",
)
RUN_TABLES = ("allocations", "apportionment", "flows", "shortfalls", "duals")
KEY_PLACES = 10  # label this many busiest places (plus theater anchors and places short)
STRING_COLUMNS = [
    "provider",
    "nation",
    "task",
    "place",
    "theater",
    "period_start",
    "capability_unit",
    "force",
    "branch",
    "assignment",
    "route",
    "origin",
    "destination",
    "mode",
    "commodity",
    "unit",
    "family",
    "requirement",
    "item",
    "priority",
    "constraint",
    "entity_kind",
    "entity",
    "source",
]


@dataclass
class RunData:
    """A finished run, read back: its folder, summary, result tables and prepared model."""

    folder: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    prep: Prepared
    model_path: Path
    model_changed: bool  # the model file's hash differs from the run's input_hash

    @property
    def days(self) -> float:
        return float(self.prep.days)

    @property
    def geodata_dir(self) -> Path:
        """The folder of the model's geodata (sea lanes, places, base map)."""
        name = self.prep.spec.sea_lanes or self.prep.spec.geodata or "../geodata/"
        return (self.model_path.parent / name).resolve().parent

    def period_start(self, periods: pd.Series) -> pd.Series:
        """Start datetime of each period (C-day + (t-1) x period length)."""
        c_day = pd.Timestamp(self.prep.spec.horizon.c_day)
        return c_day + pd.to_timedelta((periods.astype(float) - 1) * self.days, unit="D")


def _problem(folder: Path, field: str, message: str, hint: str) -> InputError:
    return InputError([Problem(str(folder), None, None, field, message, hint)])


def load_run(folder: Path, prep: Prepared | None = None) -> RunData:
    """Read a run folder and re-load its model and scenario; InputError if something is missing.

    `prep` is the run's own prepared model when the caller has it in memory (during `solve`):
    then the model is not read again.
    """
    from rsoi.loader import load_model
    from rsoi.prepare import prepare

    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise _problem(
            summary_path, "summary.json", "not a run folder", "give a folder written by rsoi solve"
        )
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    tables = {}
    for name in RUN_TABLES:
        path = folder / f"{name}.csv"
        if not path.is_file():
            raise _problem(path, name, "result table missing", "re-run `rsoi solve`")
        tables[name] = pd.read_csv(
            path, dtype={c: str for c in STRING_COLUMNS}, keep_default_na=False, na_values=[""]
        )
    raw = summary.get("model_file")
    model_path = Path(raw) if raw else Path()
    if not model_path.is_absolute():
        model_path = Path.cwd() / model_path
    if not raw or not model_path.is_file():
        raise _problem(
            summary_path,
            "model_file",
            f"model file not found: {raw!r} (relative paths resolve against {Path.cwd()})",
            "run from the folder the run was solved in, or set `model_file` in summary.json "
            "to the model's path",
        )
    if prep is not None:
        return RunData(folder, summary, tables, prep, model_path, False)
    scenario = summary.get("scenario")
    model = load_model(model_path, scenario, use_default=False)
    changed = bool(summary.get("input_hash")) and summary["input_hash"] != model.input_hash
    return RunData(folder, summary, tables, prepare(model), model_path, changed)


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


def _period_loads(run: RunData, mode: str | None = None) -> pd.DataFrame:
    """Short tons handled per (place, period): arrivals at arrival period plus departures."""
    flows = run.tables["flows"]
    if mode is not None:
        flows = flows[flows["mode"] == mode]
    arrive = flows[flows["arrival_period"] <= run.prep.T]
    both = pd.concat(
        [
            pd.DataFrame(
                {
                    "place": arrive["destination"],
                    "period": arrive["arrival_period"],
                    "t": arrive["short_tons"],
                }
            ),
            pd.DataFrame(
                {"place": flows["origin"], "period": flows["period"], "t": flows["short_tons"]}
            ),
        ],
        ignore_index=True,
    )
    return both.groupby(["place", "period"], as_index=False)["t"].sum()


def cargo_capacity(run: RunData, place: str) -> np.ndarray | None:
    """Cargo handling capacity (short tons) per period after attacks; None if unlimited."""
    p = run.prep.place_by_id[place]
    if p.cargo_t_per_day is None:
        return None
    return p.cargo_t_per_day * run.days * run.prep.place_factor[place]


def mog_capacity(run: RunData, place: str) -> np.ndarray | None:
    """Air cargo (short tons) per period the MOG allows after attacks; None if not limited."""
    p = run.prep.place_by_id[place]
    air = run.prep.spec.modes.get("air")
    if p.mog is None or air is None or air.payload_t_per_sortie is None:
        return None
    per_day = p.mog * air.sorties_per_slot_per_day * air.payload_t_per_sortie
    return per_day * run.days * run.prep.place_factor[place]


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


def place_utilisation(run: RunData) -> pd.DataFrame:
    """Per place with a cargo limit and period with traffic: tons, capacity and utilisation."""
    rows = []
    for place, group in _period_loads(run).groupby("place"):
        cap = cargo_capacity(run, place)
        if cap is None:
            continue
        for t, tons in zip(group["period"], group["t"], strict=True):
            rows.append((place, int(t), tons, cap[t - 1]))
    frame = pd.DataFrame(rows, columns=["place", "period", "tons", "capacity_t"])
    frame["utilisation"] = np.divide(
        frame["tons"], frame["capacity_t"], out=np.zeros(len(frame)), where=frame["capacity_t"] > 0
    )
    return frame.sort_values(["place", "period"], ignore_index=True)


def _shortfall_by_place(short: pd.DataFrame) -> tuple[dict[str, float], dict[str, str]]:
    short = short[short["place"].notna() & (short["required"] > 0)]
    pct: dict[str, float] = {}
    text: dict[str, str] = {}
    for place, group in short.groupby("place"):
        pct[place] = float(np.round((group["shortfall"] / group["required"]).max(), 6))
        parts = []
        for (item, unit), g in group[group["shortfall"] > 0].groupby(["item", "unit"]):
            n = len(g)
            parts.append(
                f"{item}: up to {g['shortfall'].max():g} {unit} short in {n} period"
                + ("s" if n != 1 else "")
            )
        text[place] = "; ".join(parts)
    return pct, text


def places_layer(run: RunData) -> gpd.GeoDataFrame:
    """Places with kind, capacities, allocation per task, shortfall and utilisation."""
    prep = run.prep
    all_loads = _period_loads(run)
    util = _peak_ratio(run, all_loads, cargo_capacity)
    mog_util = _peak_ratio(run, _period_loads(run, "air"), mog_capacity)
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
        row["source"] = p.source
        row["geometry"] = shapely.Point(prep.coords[p.id])
        rows.append(row)
    return _frame(rows)


def routes_layer(run: RunData, lines: dict[str, shapely.LineString]) -> gpd.GeoDataFrame:
    """Routes with mode, capacity, total flow and peak utilisation."""
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
                "destination": r.destination,
                "mode": r.mode.value,
                "theater": r.theater,
                "onward": r.onward,
                "lanes": ",".join(r.lanes),
                "closed": bool(cap.max() <= 0),
                "capacity_t_per_day": spec_routes[r.id].capacity_t_per_day,
                "capacity_t": float(cap.sum()),
                "flow_t": float(used.sum()),
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
    """One row per route x commodity x period, on the route line, with period start/end."""
    flows = run.tables["flows"].sort_values(["route", "commodity", "period"], ignore_index=True)
    frame = flows.drop(columns=["period_start"])
    _add_period_times(run, frame)
    return _frame(frame.assign(geometry=[lines[r] for r in frame["route"]]))


def allocations_layer(run: RunData) -> gpd.GeoDataFrame:
    """Provider x task x place x period allocations, as points at the place."""
    alloc = run.tables["allocations"].sort_values(
        ["provider", "task", "place", "period"], ignore_index=True
    )
    frame = alloc.drop(columns=["period_start"])
    _add_period_times(run, frame)
    coords = run.prep.coords
    return _frame(frame.assign(geometry=[shapely.Point(coords[p]) for p in frame["place"]]))


def apportionment_layer(run: RunData) -> gpd.GeoDataFrame:
    """A line home -> theater anchor per force x theater, for forces with several theaters.

    `shares` lists the share in every period (comma-separated, period 1 first).
    """
    spec, coords = run.prep.spec, run.prep.coords
    forces = {f.id: f for f in spec.forces if len(f.theaters) > 1}
    anchors = {t.id: t.anchor for t in spec.theaters}
    app = run.tables["apportionment"]
    # `in_transit` rows have no anchor to draw to
    app = app[app["force"].isin(forces) & app["theater"].isin(anchors)]
    periods = np.arange(1, run.prep.T + 1)
    rows = []
    for (force, theater), g in app.groupby(["force", "theater"], sort=True):
        f = forces[force]
        share = g.set_index("period")["share"].reindex(periods, fill_value=0.0).to_numpy(float)
        served = np.flatnonzero(share > 0)
        rows.append(
            {
                "force": force,
                "force_name": f.name,
                "nation": f.nation,
                "branch": f.branch.value,
                "assignment": f.assignment.value,
                "theater": theater,
                "home": f.home,
                "anchor": anchors[theater],
                "share_mean": float(np.round(share.mean(), 6)),
                "share_max": float(share.max()),
                "first_period": int(periods[served[0]]) if len(served) else None,
                "combat_power_mean": float(np.round(share.mean() * f.combat_power, 6)),
                "troops_mean": float(np.round(share.mean() * f.troops, 3)),
                "shares": ",".join(f"{v:.6g}" for v in share),
                "geometry": geo.densify_geodesic([coords[f.home], coords[anchors[theater]]]),
            }
        )
    return _frame(rows)


def basemap_layers(run: RunData) -> dict[str, gpd.GeoDataFrame]:
    """The shipped Natural Earth base map (countries and land)."""
    path = run.geodata_dir / "basemap.gpkg"
    if not path.is_file():
        raise _problem(
            path,
            "basemap",
            "base map not found beside the model's geodata",
            "build it with scripts/make_basemap.py (see geodata/ATTRIBUTION.md)",
        )
    return {f"basemap_{k}": v for k, v in geo.load_basemap(path).items()}


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
    """Insert period_start / period_end datetimes after the `period` column (QGIS temporal)."""
    at = frame.columns.get_loc("period") + 1
    start = run.period_start(frame["period"]) if len(frame) else pd.Series(dtype="datetime64[ms]")
    frame.insert(at, "period_start", start.astype("datetime64[ms]"))
    end = start + pd.Timedelta(days=run.days) if len(frame) else start
    frame.insert(at + 1, "period_end", end.astype("datetime64[ms]"))


def _frame(rows: list[dict] | pd.DataFrame) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows) if isinstance(rows, list) else rows
    if "geometry" not in frame:
        frame["geometry"] = []
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


# --- styles -----------------------------------------------------------------------------


def qml(layer: str) -> str:
    """The default QGIS style of a layer: its template in rsoi/qml with colours filled in."""
    from rsoi.mapping import STYLE_COLORS

    text = (resources.files("rsoi") / "qml" / f"{layer}.qml").read_text(encoding="utf-8")
    return string.Template(text).substitute(STYLE_COLORS)


def layer_styles(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """The `layer_styles` table QGIS reads default styles from (one row per layer)."""
    names = list(layers)
    return pd.DataFrame(
        {
            "f_table_catalog": "",
            "f_table_schema": "",
            "f_table_name": names,
            "f_geometry_column": "geom",
            "styleName": names,
            "styleQML": [qml(n) for n in names],
            "styleSLD": "",
            "useAsDefault": True,
            "description": [f"rsoi default style for {n}" for n in names],
            "owner": "rsoi",
            "ui": None,
            "update_time": pd.Timestamp(FIXED_TIME[:-1]).as_unit("ms"),
        }
    )


# --- writing ----------------------------------------------------------------------------


@contextlib.contextmanager
def _gdal_options(options: dict[str, str]) -> Iterator[None]:
    previous = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write` on a fresh temporary name beside `path`, then rename it into place."""
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.stem}.tmp-", suffix=path.suffix, dir=path.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL drivers want to create the file themselves
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> Path:
    """Write a GeoPackage 1.2 with every layer and the QGIS `layer_styles` table."""

    def write(tmp: Path) -> None:
        with _gdal_options({"OGR_CURRENT_DATE": FIXED_TIME}):
            for i, (name, frame) in enumerate(layers.items()):
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    dataset_options={"VERSION": "1.2"} if i == 0 else None,
                )
            pyogrio.write_dataframe(
                layer_styles(layers),
                tmp,
                layer="layer_styles",
                driver="GPKG",
                layer_options={"FID": "id"},
            )

    return atomic_write(path, write)


def write_geojson(layers: dict[str, gpd.GeoDataFrame], folder: Path) -> list[Path]:
    """RFC 7946 GeoJSON of each layer, with its QGIS style (.qml) beside it."""
    folder.mkdir(exist_ok=True)
    out = []
    for name, frame in layers.items():
        out.append(
            atomic_write(
                folder / f"{name}.geojson",
                lambda tmp, frame=frame, name=name: pyogrio.write_dataframe(
                    frame, tmp, layer=name, driver="GeoJSON", layer_options={"RFC7946": "YES"}
                ),
            )
        )
        out.append(write_text(folder / f"{name}.qml", qml(name)))
    return out


def write_bytes(path: Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically (LF line ends)."""
    return write_bytes(path, text.encode("utf-8"))


def export_run(folder: Path, geojson: bool = False, prep: Prepared | None = None) -> list[Path]:
    """Write plan.gpkg, map.png, map.svg, report.html (and geojson/) into a finished run folder.

    The model is re-loaded from ``summary.json``'s ``model_file`` (relative to the current
    directory) with the run's scenario, unless the run's `prep` is passed. Returns the paths
    written.
    """
    from rsoi.mapping import render_map
    from rsoi.report import render_report

    folder = Path(folder)
    run = load_run(folder, prep)
    layers = build_layers(run)
    images = render_map(layers, title=map_title(run))
    written = [
        write_gpkg(layers, folder / "plan.gpkg"),
        write_bytes(folder / "map.png", images["png"]),
        write_bytes(folder / "map.svg", images["svg"]),
        write_text(folder / "report.html", render_report(run, layers, images["png"])),
    ]
    if geojson:
        written += write_geojson(layers, folder / "geojson")
    return written


def map_title(run: RunData) -> str:
    """Model, scenario and horizon, for map and report titles."""
    s = run.summary
    spec = run.prep.spec
    start = dt.date.fromisoformat(spec.horizon.c_day)
    end = start + dt.timedelta(days=run.prep.T * run.days)
    return (
        f"{s.get('model', spec.name)} · scenario {s.get('scenario') or 'base'} · "
        f"{start.isoformat()} to {end.isoformat()} (notional)"
    )
