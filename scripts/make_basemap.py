"""Build ``geodata/basemap.gpkg`` from Natural Earth 1:10m (public domain) via ``world-atlas``.

The npm package ``world-atlas`` (ISC licence) ships Natural Earth 1:10m as TopoJSON
(``countries-10m.json``, ``land-10m.json``). Fetch it once, outside of any run-time path::

    cd "$(mktemp -d)" && npm pack world-atlas && tar xzf world-atlas-*.tgz
    # -> ./package/countries-10m.json, ./package/land-10m.json
    # (or: npm install world-atlas  -> ./node_modules/world-atlas/)

then build the basemap from the repository root::

    .venv/bin/python scripts/make_basemap.py --world-atlas /tmp/xyz/package

Without ``--world-atlas`` the script looks for ``node_modules/world-atlas/`` under the
current directory and under ``$TMPDIR``'s immediate subdirectories.

Processing: read TopoJSON with GDAL (pyogrio), set CRS EPSG:4326, ``make_valid``, clip to
lon 105–160 E / lat 0–55 N, keep only polygonal parts, sort rows, write layers
``countries`` (``name``, ``iso_n3``) and ``land`` to the GeoPackage. Then, once for the
static map and the report (so no run re-projects or simplifies 86,000 coastline vertices),
``land_map`` (polygons) and ``borders_map`` (country outlines as lines): projected to the
map's Lambert conformal conic (``rsoi.outputs.mapping.LCC``), simplified to
``rsoi.outputs.mapping.SIMPLIFY_M`` and rounded to 1 m. Output is deterministic
for a given input (rows sorted, coordinates rounded, no timestamps in the data).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

BBOX = (105.0, 0.0, 160.0, 55.0)  # lon_min, lat_min, lon_max, lat_max
ROUND_DECIMALS = 5  # ~1 m; keeps the file small and byte-stable
REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "geodata" / "basemap.gpkg"


def find_world_atlas(explicit: str | None) -> Path:
    """Locate a directory holding countries-10m.json and land-10m.json."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    candidates.append(Path.cwd() / "node_modules" / "world-atlas")
    tmp = Path(tempfile.gettempdir())
    try:
        subs = sorted(p for p in tmp.iterdir() if p.is_dir())
    except OSError:
        subs = []
    for sub in subs:
        candidates += [sub / "node_modules" / "world-atlas", sub / "package"]
    for c in candidates:
        try:
            if (c / "countries-10m.json").is_file() and (c / "land-10m.json").is_file():
                return c
        except OSError:
            continue
    raise SystemExit(
        "world-atlas TopoJSON not found; run `npm pack world-atlas && tar xzf world-atlas-*.tgz` "
        "in a temp dir and pass --world-atlas <dir>/package"
    )


def polygon_parts(geom: shapely.Geometry) -> MultiPolygon | None:
    """Return only the polygonal parts of ``geom`` as a MultiPolygon (None if empty)."""
    parts: list[Polygon] = []
    for g in shapely.get_parts(geom):
        if isinstance(g, Polygon):
            if not g.is_empty and g.area > 0:
                parts.append(g)
        elif isinstance(g, MultiPolygon | shapely.GeometryCollection):
            sub = polygon_parts(g)
            if sub is not None:
                parts.extend(sub.geoms)
    if not parts:
        return None
    return MultiPolygon(parts)


def clean(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Set CRS, make valid, clip to BBOX, keep polygon parts, round coordinates."""
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    clip_box = box(*BBOX)
    geoms = []
    for g in gdf.geometry:
        g = shapely.make_valid(g)
        g = shapely.intersection(g, clip_box)
        g = polygon_parts(g)
        if g is not None:
            g = shapely.set_precision(g, 10**-ROUND_DECIMALS)
            g = polygon_parts(shapely.make_valid(g)) if not g.is_empty else None
        geoms.append(g)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs="EPSG:4326"))
    gdf = gdf[~gdf.geometry.isna()]
    gdf = gdf[~gdf.geometry.is_empty]
    return gdf


def build(world_atlas: Path, out: Path) -> None:
    """Read TopoJSON, clean, and write the two-layer GeoPackage."""
    countries = pyogrio.read_dataframe(world_atlas / "countries-10m.json", layer="countries")
    countries = countries.rename(columns={"id": "iso_n3"})
    countries["iso_n3"] = countries["iso_n3"].fillna("")
    countries["name"] = countries["name"].fillna("")
    countries = clean(countries[["name", "iso_n3", "geometry"]])
    countries = countries.sort_values(["name", "iso_n3"], kind="stable").reset_index(drop=True)

    land = pyogrio.read_dataframe(world_atlas / "land-10m.json", layer="land")
    land = clean(land[["geometry"]])
    # one feature per polygon, sorted west->east, south->north for stable order
    land = land.explode(index_parts=False).reset_index(drop=True)
    b = land.geometry.bounds
    land = land.assign(_x=b.minx, _y=b.miny, _a=shapely.area(land.geometry.values))
    land = land.sort_values(["_x", "_y", "_a"], kind="stable").drop(columns=["_x", "_y", "_a"])
    land = land.reset_index(drop=True)
    land.insert(0, "part", range(len(land)))
    land = gpd.GeoDataFrame(land, geometry="geometry", crs="EPSG:4326")
    land["geometry"] = [MultiPolygon([g]) if isinstance(g, Polygon) else g for g in land.geometry]

    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    pyogrio.write_dataframe(
        countries, out, layer="countries", driver="GPKG", geometry_type="MultiPolygon"
    )
    pyogrio.write_dataframe(
        land, out, layer="land", driver="GPKG", geometry_type="MultiPolygon", append=False
    )
    write_map_layers(countries, land, out)
    _strip_timestamps(out)
    _vacuum(out)
    size_mb = out.stat().st_size / 1e6
    print(f"wrote {out} ({size_mb:.2f} MB): {len(countries)} countries, {len(land)} land polygons")


def write_map_layers(countries: gpd.GeoDataFrame, land: gpd.GeoDataFrame, out: Path) -> None:
    """Add the map-scale layers (projected, simplified) the static map and report draw."""
    sys.path.insert(0, str(REPO / "src"))
    from rsoi.outputs.mapping import LCC, MAP_BASEMAP, map_scale_basemap

    for name, frame in map_scale_basemap(land, countries).items():
        frame = frame.assign(geometry=shapely.set_precision(frame.geometry.values, 1.0))
        frame = frame[~frame.geometry.is_empty].reset_index(drop=True)
        frame.insert(0, "part", range(len(frame)))
        kind = "MultiPolygon" if name == "map_land" else "MultiLineString"
        frame["geometry"] = [
            g
            if g.geom_type.startswith("Multi")
            else shapely.multipolygons([g])
            if kind == "MultiPolygon"
            else shapely.multilinestrings([g])
            for g in frame.geometry
        ]
        frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=LCC)
        pyogrio.write_dataframe(
            frame, out, layer=MAP_BASEMAP[name], driver="GPKG", geometry_type=kind
        )


def _strip_timestamps(path: Path) -> None:
    """Pin GeoPackage ``last_change`` so rebuilding yields an identical file."""
    with sqlite3.connect(path) as con:
        con.execute("UPDATE gpkg_contents SET last_change = '2000-01-01T00:00:00.000Z'")
        con.commit()


def _vacuum(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("VACUUM")
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world-atlas", help="directory holding countries-10m.json, land-10m.json")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output GeoPackage path")
    args = ap.parse_args(argv)
    build(find_world_atlas(args.world_atlas), Path(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
