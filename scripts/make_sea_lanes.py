"""Write ``geodata/sea_lanes.geojson``: a small, notional sea-lane waypoint graph.

Waypoints and edges are defined below as Python data. Place nodes (seaports, naval bases)
take their coordinates from ``geodata/places.geojson``. Each edge is written as a geodesic
LineString densified every ~10 km, and checked against the ``land`` layer of
``geodata/basemap.gpkg``: the densified geodesic (2 km step) must not intersect land, except
within ``PORT_TOLERANCE_KM`` (3 km) of a place node. Any violation aborts, naming the edge.

Rebuild from the repository root (after ``scripts/make_basemap.py``)::

    PYTHONPATH=src .venv/bin/python scripts/make_sea_lanes.py

``--check`` validates without writing; ``--plot PNG`` draws the graph over the basemap.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from rsoi.model.geo import (  # noqa: E402
    PORT_TOLERANCE_KM,
    SeaLaneGraph,
    densify_geodesic,
    load_basemap,
    trim_line_km,
)

PLACES = REPO / "geodata" / "places.geojson"
BASEMAP = REPO / "geodata" / "basemap.gpkg"
OUT = REPO / "geodata" / "sea_lanes.geojson"
CHECK_STEP_KM = 2.0
WRITE_STEP_KM = 10.0
SEA_KINDS = ("seaport", "naval_base")

# id: (lon, lat, name, strait id or None); edges are undirected (from, to, strait id or None)
WAYPOINTS: dict[str, tuple[float, float, str, str | None]] = {
    # --- Korea, west coast / Yellow Sea
    "incheon_app": (126.57, 37.38, "Incheon approach", None),
    "incheon_south": (126.52, 37.24, "Incheon approach south", None),
    "asan_bay": (126.72, 37.02, "Asan Bay", None),
    "asan_bay_mouth": (126.58, 37.08, "Asan Bay mouth", None),
    "gyeonggi_bay": (126.45, 37.15, "Gyeonggi Bay", None),
    "yellow_sea_ne": (125.9, 37.0, "Yellow Sea, off Taean", None),
    "yellow_sea": (125.3, 36.0, "Yellow Sea", None),
    "gunsan_app": (126.50, 35.995, "Gunsan approach", None),
    "gunsan_off": (126.30, 35.90, "Off Gunsan", None),
    "yellow_sea_s": (125.0, 34.6, "Yellow Sea south", None),
    "mokpo_app1": (126.27, 34.785, "Mokpo approach 1", None),
    "mokpo_app2": (126.215, 34.73, "Mokpo approach 2", None),
    "mokpo_app3": (126.16, 34.60, "Mokpo approach 3", None),
    "mokpo_app4": (126.08, 34.45, "Mokpo approach 4", None),
    "mokpo_off": (125.85, 34.25, "Off Mokpo (SW Korea)", None),
    "jeju_strait": (126.8, 33.75, "Jeju Strait", "jeju_strait"),
    "jeju_west": (125.85, 33.35, "West of Jeju", None),
    "jeju_south": (126.6, 32.9, "South of Jeju", None),
    # --- Korea, south coast / Korea Strait
    "gwangyang_app": (127.80, 34.875, "Gwangyang Bay", None),
    "gwangyang_chan": (127.818, 34.75, "Yeosu channel", None),
    "gwangyang_off": (127.84, 34.55, "Off Yeosu", None),
    "south_coast": (127.9, 34.15, "Off Korea south coast", None),
    "jinhae_app": (128.70, 35.07, "Jinhae Bay", None),
    "jinhae_off": (128.79, 34.97, "Off Geoje (Jinhae approach)", None),
    "busan_off": (129.03, 35.00, "Off Busan", None),
    "busan_east": (129.20, 35.02, "Off Busan east", None),
    "korea_strait_w": (128.95, 34.55, "Korea Strait, western channel", "korea_strait"),
    "korea_strait_sw": (128.5, 33.95, "Korea Strait, south-west exit", "korea_strait"),
    "korea_strait_e": (129.75, 34.55, "Korea Strait, eastern channel", "korea_strait"),
    "korea_strait_se": (129.45, 33.95, "Korea Strait, eastern channel south", "korea_strait"),
    # --- Korea, east coast
    "ulsan_app": (129.40, 35.455, "Ulsan harbour entrance", None),
    "ulsan_off": (129.52, 35.44, "Off Ulsan", None),
    "east_korea": (129.70, 35.75, "Off Korea east coast", None),
    "pohang_app": (129.47, 36.10, "Yeongil Bay", None),
    "pohang_off": (129.70, 36.15, "Off Homigot", None),
    # --- Kyushu / Japan Pacific coast
    "sasebo_harbor": (129.717, 33.10, "Sasebo harbour", None),
    "sasebo_app": (129.64, 33.098, "Sasebo approach", None),
    "goto_nada": (129.28, 33.02, "Goto-nada", None),
    "hirado_w": (129.15, 33.45, "West of Hirado", None),
    "goto_south": (129.0, 32.45, "South of the Goto Islands", None),
    "ecs_ne": (127.8, 32.5, "East China Sea north-east", None),
    "kyushu_sw": (129.8, 31.4, "Off south-west Kyushu", None),
    "osumi_strait": (130.75, 30.90, "Osumi Strait", "osumi_strait"),
    "osumi_east": (131.4, 30.95, "East of Osumi Strait", None),
    "shikoku_south": (133.0, 32.4, "Off Cape Ashizuri", None),
    "kii_south": (135.8, 33.25, "Off Cape Shionomisaki", None),
    "enshu_nada": (137.8, 34.3, "Enshu-nada", None),
    "irozaki": (138.85, 34.5, "Off Cape Irozaki", None),
    "oshima_west": (139.25, 34.85, "West of Izu Oshima", None),
    "uraga_south": (139.72, 35.03, "Uraga Channel, southern entrance", "uraga_channel"),
    "uraga_channel": (139.79, 35.19, "Uraga Channel", "uraga_channel"),
    "yokosuka_off": (139.72, 35.30, "Off Yokosuka (Tokyo Bay)", None),
    "izu_east": (139.75, 34.65, "South-east of Izu Oshima", None),
    # --- East China Sea / Ryukyus / Philippine Sea
    "ecs_north": (125.5, 31.0, "East China Sea north", None),
    "ecs_mid": (124.0, 28.5, "East China Sea central", None),
    "ecs_southeast": (125.5, 26.8, "East China Sea south-east", None),
    "ecs_southwest": (122.5, 26.3, "East China Sea south-west", None),
    "miyako_strait": (126.3, 25.4, "Miyako Strait", "miyako_strait"),
    "ryukyu_east": (129.5, 26.5, "East of the Ryukyus", None),
    "philippine_sea_w": (124.5, 23.0, "Philippine Sea west", None),
    "philippine_sea": (133.0, 19.0, "Philippine Sea central", None),
    "pacific_north": (141.0, 30.0, "Pacific, west of Ogasawara", None),
    "guam_nw": (144.3, 14.0, "Approach to Guam (north-west)", None),
    "apra_off": (144.55, 13.47, "Off Apra Harbor", None),
    # --- Taiwan
    "north_taiwan": (121.55, 25.55, "North of Taiwan", None),
    "keelung_off": (121.78, 25.22, "Off Keelung", None),
    "northeast_taiwan": (122.1, 25.15, "Off north-east Taiwan", None),
    "yonaguni_passage": (122.40, 24.50, "Yonaguni passage (east of Taiwan)", "yonaguni_passage"),
    "east_taiwan": (122.2, 23.3, "East of Taiwan", None),
    "hualien_off": (121.75, 23.98, "Off Hualien", None),
    "southeast_taiwan": (121.9, 22.3, "South-east of Taiwan", None),
    "taiwan_strait_n": (120.4, 25.3, "Taiwan Strait north", "taiwan_strait"),
    "taiwan_strait_mid": (119.95, 23.7, "Taiwan Strait central", "taiwan_strait"),
    "taiwan_strait_s": (119.95, 22.95, "Taiwan Strait south", "taiwan_strait"),
    "taichung_off": (120.35, 24.30, "Off Taichung", "taiwan_strait"),
    "kaohsiung_off": (120.18, 22.55, "Off Kaohsiung", None),
    "southwest_taiwan": (120.55, 21.75, "South-west of Taiwan", None),
    "bashi_channel": (121.25, 21.4, "Bashi Channel", "bashi_channel"),
    "balintang_channel": (121.7, 19.85, "Balintang Channel", "balintang_channel"),
    # --- South China Sea / Luzon
    "scs_north": (119.5, 20.5, "South China Sea north", None),
    "luzon_west": (119.5, 16.3, "West of Luzon", None),
    "subic_off": (120.10, 14.72, "Off Subic Bay", None),
}

_E = None
KS, TS, BC, MS = "korea_strait", "taiwan_strait", "bashi_channel", "miyako_strait"
EDGES: list[tuple[str, str, str | None]] = [
    # Incheon / Pyeongtaek-Dangjin
    ("incheon", "incheon_app", _E),
    ("incheon_app", "incheon_south", _E),
    ("incheon_south", "gyeonggi_bay", _E),
    ("pyeongtaek_dangjin", "asan_bay", _E),
    ("asan_bay", "asan_bay_mouth", _E),
    ("asan_bay_mouth", "gyeonggi_bay", _E),
    ("gyeonggi_bay", "yellow_sea_ne", _E),
    ("yellow_sea_ne", "yellow_sea", _E),
    # Gunsan
    ("gunsan", "gunsan_app", _E),
    ("gunsan_app", "gunsan_off", _E),
    ("gunsan_off", "yellow_sea", _E),
    ("gunsan_off", "yellow_sea_s", _E),
    ("yellow_sea", "yellow_sea_s", _E),
    # Mokpo
    ("mokpo", "mokpo_app1", _E),
    ("mokpo_app1", "mokpo_app2", _E),
    ("mokpo_app2", "mokpo_app3", _E),
    ("mokpo_app3", "mokpo_app4", _E),
    ("mokpo_app4", "mokpo_off", _E),
    ("yellow_sea_s", "mokpo_off", _E),
    ("mokpo_off", "jeju_strait", "jeju_strait"),
    ("mokpo_off", "jeju_west", _E),
    ("jeju_west", "jeju_south", _E),
    ("jeju_west", "ecs_north", _E),
    ("yellow_sea_s", "ecs_north", _E),
    ("jeju_strait", "south_coast", "jeju_strait"),
    ("jeju_south", "ecs_ne", _E),
    # south coast
    ("gwangyang", "gwangyang_app", _E),
    ("gwangyang_app", "gwangyang_chan", _E),
    ("gwangyang_chan", "gwangyang_off", _E),
    ("gwangyang_off", "south_coast", _E),
    ("south_coast", "korea_strait_w", KS),
    ("south_coast", "korea_strait_sw", KS),
    ("jinhae", "jinhae_app", _E),
    ("jinhae_app", "jinhae_off", _E),
    ("jinhae_off", "korea_strait_w", KS),
    ("jinhae_off", "busan_off", _E),
    ("busan", "busan_off", _E),
    ("busan_off", "korea_strait_w", KS),
    ("busan_off", "busan_east", _E),
    ("busan_east", "korea_strait_e", KS),
    ("korea_strait_w", "korea_strait_sw", KS),
    ("korea_strait_e", "korea_strait_se", KS),
    ("korea_strait_sw", "ecs_ne", KS),
    ("korea_strait_se", "hirado_w", KS),
    ("korea_strait_sw", "hirado_w", KS),
    # east coast
    ("ulsan", "ulsan_app", _E),
    ("ulsan_app", "ulsan_off", _E),
    ("ulsan_off", "busan_east", _E),
    ("ulsan_off", "east_korea", _E),
    ("east_korea", "korea_strait_e", KS),
    ("east_korea", "pohang_off", _E),
    ("pohang", "pohang_app", _E),
    ("pohang_app", "pohang_off", _E),
    # Sasebo / Kyushu
    ("sasebo", "sasebo_harbor", _E),
    ("sasebo_harbor", "sasebo_app", _E),
    ("sasebo_app", "goto_nada", _E),
    ("goto_nada", "hirado_w", _E),
    ("goto_nada", "goto_south", _E),
    ("goto_south", "ecs_ne", _E),
    ("goto_south", "kyushu_sw", _E),
    ("kyushu_sw", "osumi_strait", "osumi_strait"),
    ("osumi_strait", "osumi_east", "osumi_strait"),
    ("kyushu_sw", "ecs_southeast", _E),
    ("osumi_east", "shikoku_south", _E),
    ("osumi_east", "ryukyu_east", _E),
    ("shikoku_south", "kii_south", _E),
    ("kii_south", "enshu_nada", _E),
    ("enshu_nada", "irozaki", _E),
    ("irozaki", "oshima_west", _E),
    ("oshima_west", "uraga_south", _E),
    ("izu_east", "uraga_south", _E),
    ("uraga_south", "uraga_channel", "uraga_channel"),
    ("uraga_channel", "yokosuka_off", "uraga_channel"),
    ("yokosuka_off", "yokosuka", _E),
    ("izu_east", "pacific_north", _E),
    ("kii_south", "pacific_north", _E),
    # East China Sea / Ryukyus / Philippine Sea / Guam
    ("ecs_ne", "ecs_north", _E),
    ("ecs_north", "ecs_mid", _E),
    ("ecs_mid", "ecs_southeast", _E),
    ("ecs_mid", "ecs_southwest", _E),
    ("ecs_southeast", "ecs_southwest", _E),
    ("ecs_southeast", "miyako_strait", MS),
    ("miyako_strait", "ryukyu_east", MS),
    ("miyako_strait", "philippine_sea_w", MS),
    ("ryukyu_east", "philippine_sea", _E),
    ("ryukyu_east", "pacific_north", _E),
    ("philippine_sea_w", "philippine_sea", _E),
    ("philippine_sea_w", "east_taiwan", _E),
    ("philippine_sea", "guam_nw", _E),
    ("philippine_sea", "balintang_channel", "balintang_channel"),
    ("pacific_north", "guam_nw", _E),
    ("guam_nw", "apra_off", _E),
    ("apra_off", "apra_harbor", _E),
    # Taiwan
    ("ecs_southwest", "north_taiwan", _E),
    ("ecs_southwest", "taiwan_strait_n", _E),
    ("north_taiwan", "keelung_off", _E),
    ("keelung_off", "keelung", _E),
    ("north_taiwan", "taiwan_strait_n", _E),
    ("keelung_off", "northeast_taiwan", _E),
    ("northeast_taiwan", "yonaguni_passage", "yonaguni_passage"),
    ("ecs_southwest", "yonaguni_passage", "yonaguni_passage"),
    ("yonaguni_passage", "east_taiwan", "yonaguni_passage"),
    ("yonaguni_passage", "hualien_off", "yonaguni_passage"),
    ("east_taiwan", "hualien_off", _E),
    ("hualien_off", "hualien", _E),
    ("east_taiwan", "southeast_taiwan", _E),
    ("philippine_sea_w", "southeast_taiwan", _E),
    ("southeast_taiwan", "bashi_channel", BC),
    ("bashi_channel", "southwest_taiwan", BC),
    ("bashi_channel", "scs_north", BC),
    ("taiwan_strait_n", "taichung_off", TS),
    ("taiwan_strait_n", "taiwan_strait_mid", TS),
    ("taiwan_strait_mid", "taichung_off", TS),
    ("taiwan_strait_mid", "taiwan_strait_s", TS),
    ("taichung_off", "taichung", TS),
    ("taiwan_strait_s", "kaohsiung_off", TS),
    ("taiwan_strait_s", "southwest_taiwan", TS),
    ("taiwan_strait_s", "scs_north", TS),
    ("kaohsiung_off", "kaohsiung", _E),
    ("kaohsiung_off", "southwest_taiwan", _E),
    ("southwest_taiwan", "scs_north", _E),
    ("southeast_taiwan", "balintang_channel", "balintang_channel"),
    ("balintang_channel", "scs_north", "balintang_channel"),
    # Luzon
    ("scs_north", "luzon_west", _E),
    ("luzon_west", "subic_off", _E),
    ("subic_off", "subic_bay", _E),
]


def load_places(path: Path = PLACES) -> dict[str, tuple[float, float, str]]:
    """Place id -> (lon, lat, kind)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for f in data["features"]:
        lon, lat = f["geometry"]["coordinates"]
        out[f["properties"]["id"]] = (float(lon), float(lat), f["properties"]["kind"])
    return out


def node_coords(places: dict[str, tuple[float, float, str]]) -> dict[str, tuple[float, float]]:
    """Coordinates of every graph node (waypoints and sea places)."""
    coords = {k: (v[0], v[1]) for k, v in places.items() if v[2] in SEA_KINDS}
    for k, (lon, lat, _, _) in WAYPOINTS.items():
        if k in coords:
            raise SystemExit(f"waypoint id {k!r} clashes with a place id")
        coords[k] = (lon, lat)
    return coords


def validate_topology(places: dict[str, tuple[float, float, str]]) -> None:
    """Edges reference known nodes, are unique, and every sea place has an edge."""
    coords = node_coords(places)
    seen: set[frozenset[str]] = set()
    for a, b, _ in EDGES:
        for n in (a, b):
            if n not in coords:
                raise SystemExit(f"edge {a}--{b}: unknown node {n!r}")
        key = frozenset((a, b))
        if key in seen or a == b:
            raise SystemExit(f"edge {a}--{b}: duplicate or loop")
        seen.add(key)
    used = {n for a, b, _ in EDGES for n in (a, b)}
    missing = sorted(k for k, v in places.items() if v[2] in SEA_KINDS and k not in used)
    if missing:
        raise SystemExit(f"sea places without an edge: {missing}")
    unused = sorted(set(WAYPOINTS) - used)
    if unused:
        raise SystemExit(f"waypoints without an edge: {unused}")


def land_violations(
    places: dict[str, tuple[float, float, str]], land: shapely.Geometry
) -> list[tuple[str, float]]:
    """(edge id, km of line on land) for every edge whose geodesic touches land."""
    coords = node_coords(places)
    shapely.prepare(land)
    bad = []
    for a, b, _ in EDGES:
        line = densify_geodesic([coords[a], coords[b]], CHECK_STEP_KM)
        line = trim_line_km(
            line,
            PORT_TOLERANCE_KM if a in places else 0.0,
            PORT_TOLERANCE_KM if b in places else 0.0,
        )
        if not line.is_empty and land.intersects(line):
            deg = shapely.intersection(land, line).length
            bad.append((f"{a}--{b}", round(deg * 111.0, 1)))
    for k, (lon, lat, _, _) in WAYPOINTS.items():
        if land.intersects(shapely.Point(lon, lat)):
            bad.append((f"waypoint {k}", 0.0))
    return bad


def feature_collection(places: dict[str, tuple[float, float, str]]) -> dict:
    """The sea-lane GeoJSON document (sorted, rounded to 5 decimals)."""
    coords = node_coords(places)
    feats = []
    for k in sorted(WAYPOINTS):
        lon, lat, name, strait = WAYPOINTS[k]
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"feature": "waypoint", "id": k, "name": name, "strait": strait},
            }
        )
    for a, b, strait in sorted(EDGES):
        line = densify_geodesic([coords[a], coords[b]], WRITE_STEP_KM)
        feats.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(x, 5), round(y, 5)] for x, y in line.coords],
                },
                "properties": {
                    "feature": "edge",
                    "id": f"{a}--{b}",
                    "from": a,
                    "to": b,
                    "strait": strait,
                },
            }
        )
    return {"type": "FeatureCollection", "features": feats}


def plot(places: dict[str, tuple[float, float, str]], basemap: dict, png: str, bbox) -> None:
    """Draw land, edges and waypoints (debug aid)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    coords = node_coords(places)
    fig, ax = plt.subplots(figsize=(10, 10))
    basemap["land"].plot(ax=ax, color="#ddd", edgecolor="#888", linewidth=0.3)
    for a, b, strait in EDGES:
        line = densify_geodesic([coords[a], coords[b]], CHECK_STEP_KM)
        x, y = line.xy
        ax.plot(x, y, color="tab:red" if strait else "tab:blue", linewidth=0.8)
    for k, (lon, lat) in coords.items():
        ax.plot(lon, lat, "k.", markersize=3)
        ax.annotate(k, (lon, lat), fontsize=6)
    if bbox:
        ax.set_xlim(bbox[0], bbox[2])
        ax.set_ylim(bbox[1], bbox[3])
    ax.set_aspect("equal")
    ax.grid(True, linewidth=0.3)
    ax.minorticks_on()
    ax.grid(True, which="minor", linewidth=0.15)
    fig.savefig(png, dpi=80, bbox_inches="tight")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="validate only, do not write")
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--plot", help="write a debug PNG of the graph")
    ap.add_argument("--bbox", type=float, nargs=4, help="plot extent: lon0 lat0 lon1 lat1")
    args = ap.parse_args(argv)

    places = load_places()
    validate_topology(places)
    basemap = load_basemap(BASEMAP)
    if args.plot:
        plot(places, basemap, args.plot, args.bbox)
    land = shapely.union_all(basemap["land"].geometry.values)
    bad = land_violations(places, land)
    if bad:
        for edge, km in bad:
            print(f"LAND CROSSING: {edge} (~{km} km on land)", file=sys.stderr)
        raise SystemExit(f"{len(bad)} sea-lane edge(s)/waypoint(s) cross land")
    graph = SeaLaneGraph(node_coords(places), EDGES)
    sea = sorted(k for k, v in places.items() if v[2] in SEA_KINDS)
    for o in sea:
        for d in sea:
            if graph.path(o, d) is None:
                raise SystemExit(f"graph is disconnected: no path {o} -> {d}")
    if not args.check:
        doc = feature_collection(places)
        Path(args.out).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}: {len(WAYPOINTS)} waypoints, {len(EDGES)} edges")
    else:
        print(f"ok: {len(WAYPOINTS)} waypoints, {len(EDGES)} edges")
    return 0


if __name__ == "__main__":
    sys.exit(main())
