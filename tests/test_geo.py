"""Tests for rsoi.model.geo and the committed geodata files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pyogrio
import pytest
import shapely

from rsoi.model.geo import (
    PORT_TOLERANCE_KM,
    SeaLaneGraph,
    densify_geodesic,
    geodesic_km,
    load_basemap,
    trim_line_km,
)

GEODATA = Path(__file__).resolve().parents[1] / "geodata"
PLACES = GEODATA / "places.geojson"
SEA_LANES = GEODATA / "sea_lanes.geojson"
BASEMAP = GEODATA / "basemap.gpkg"

EXPECTED_IDS = {
    "busan", "pohang", "ulsan", "incheon", "pyeongtaek_dangjin", "gwangyang", "jinhae",
    "mokpo", "gunsan", "osan_ab", "kunsan_ab", "daegu_ab", "gimhae_ab", "cheongju_ab",
    "camp_humphreys", "camp_carroll", "sasebo", "yokosuka", "kadena_ab", "mcas_iwakuni",
    "apra_harbor", "andersen_afb", "kaohsiung", "keelung", "taichung", "hualien", "subic_bay",
}  # fmt: skip
KINDS = {"seaport", "naval_base", "airbase", "army_base", "depot"}


@pytest.fixture(scope="module")
def places_fc() -> dict:
    return json.loads(PLACES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def places(places_fc: dict) -> dict[str, tuple[float, float]]:
    return {
        f["properties"]["id"]: tuple(f["geometry"]["coordinates"]) for f in places_fc["features"]
    }


@pytest.fixture(scope="module")
def graph(places: dict[str, tuple[float, float]]) -> SeaLaneGraph:
    return SeaLaneGraph.from_file(SEA_LANES, places)


@pytest.fixture(scope="module")
def basemap() -> dict:
    return load_basemap(BASEMAP)


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def test_geodesic_matches_haversine(places: dict) -> None:
    b, k = places["busan"], places["kaohsiung"]
    g = geodesic_km(*b, *k)
    h = haversine_km(*b, *k)
    assert 1500 < g < 1750
    assert abs(g - h) / h < 0.005
    assert geodesic_km(*b, *b) == 0.0


def test_densify_geodesic() -> None:
    pts = [(129.04, 35.10), (120.28, 22.61)]
    line = densify_geodesic(pts, step_km=25.0)
    total = geodesic_km(*pts[0], *pts[1])
    assert len(line.coords) >= total // 25
    assert line.coords[0] == pts[0]
    assert line.coords[-1] == pts[1]
    seg = [geodesic_km(*a, *b) for a, b in zip(line.coords[:-1], line.coords[1:], strict=True)]
    assert max(seg) <= 25.0 + 1e-6
    assert sum(seg) == pytest.approx(total, rel=1e-6)
    # a vertex in the middle lies on the great circle, not the lon/lat straight line
    mid = line.coords[len(line.coords) // 2]
    assert geodesic_km(*pts[0], *mid) + geodesic_km(*mid, *pts[1]) == pytest.approx(total, rel=1e-6)
    with pytest.raises(ValueError):
        densify_geodesic(pts[:1])


def test_trim_line_km() -> None:
    line = densify_geodesic([(129.0, 35.0), (130.0, 35.0)], step_km=1.0)
    trimmed = trim_line_km(line, 3.0, 0.0)
    assert geodesic_km(129.0, 35.0, *trimmed.coords[0]) >= 3.0
    assert trimmed.coords[-1] == line.coords[-1]


def test_places_file(places_fc: dict) -> None:
    assert places_fc["type"] == "FeatureCollection"
    feats = places_fc["features"]
    ids = [f["properties"]["id"] for f in feats]
    assert len(ids) == len(set(ids)) == 27
    assert set(ids) == EXPECTED_IDS
    assert ids == sorted(ids)
    for f in feats:
        p = f["properties"]
        assert set(p) == {"id", "name", "kind", "country", "coord_confidence", "source"}
        assert p["kind"] in KINDS
        assert p["coord_confidence"] in {"high", "medium", "low"}
        assert p["source"].strip() and p["name"].strip()
        assert f["geometry"]["type"] == "Point"
        lon, lat = f["geometry"]["coordinates"]
        assert 105 < lon < 160 and 0 < lat < 55


def test_sea_path_busan_kaohsiung(graph: SeaLaneGraph) -> None:
    p = graph.path("busan", "kaohsiung")
    assert p is not None
    assert p.node_ids[0] == "busan" and p.node_ids[-1] == "kaohsiung"
    assert "taiwan_strait" in p.straits or "bashi_channel" in p.straits
    assert len(p.straits) == len(set(p.straits))
    direct = geodesic_km(*graph.coords["busan"], *graph.coords["kaohsiung"])
    assert direct < p.distance_km < 1.6 * direct
    assert p.line.coords[0] == graph.coords["busan"]
    assert p.line.coords[-1] == graph.coords["kaohsiung"]
    assert len(p.line.coords) > 20
    # deterministic and pure
    assert graph.path("busan", "kaohsiung") == p


def test_closed_taiwan_strait_goes_around(graph: SeaLaneGraph) -> None:
    open_path = graph.path("busan", "kaohsiung")
    closed = graph.path("busan", "kaohsiung", closed_straits=frozenset({"taiwan_strait"}))
    assert open_path is not None and closed is not None
    assert "taiwan_strait" in open_path.straits
    assert "taiwan_strait" not in closed.straits
    assert "bashi_channel" in closed.straits
    assert closed.distance_km > open_path.distance_km
    # the Miyako route also works when the Yonaguni passage is closed as well
    around = graph.path("busan", "kaohsiung", frozenset({"taiwan_strait", "yonaguni_passage"}))
    assert around is not None and "miyako_strait" in around.straits


def test_closing_everything_disconnects(graph: SeaLaneGraph) -> None:
    assert graph.path("busan", "kaohsiung", frozenset(graph.straits)) is None


def test_unknown_place_raises(graph: SeaLaneGraph) -> None:
    with pytest.raises(KeyError, match="atlantis"):
        graph.path("atlantis", "busan")
    with pytest.raises(KeyError, match="osan_ab"):
        graph.path("busan", "osan_ab")  # airbase: not a sea node


def test_sea_lane_file_structure(places: dict) -> None:
    fc = json.loads(SEA_LANES.read_text(encoding="utf-8"))
    wps = {
        f["properties"]["id"] for f in fc["features"] if f["properties"]["feature"] == "waypoint"
    }
    edges = [f["properties"] for f in fc["features"] if f["properties"]["feature"] == "edge"]
    straits = {e["strait"] for e in edges if e["strait"]}
    assert {"korea_strait", "taiwan_strait", "bashi_channel", "miyako_strait"} <= straits
    for e in edges:
        assert e["id"] == f"{e['from']}--{e['to']}"
        assert e["from"] in wps | set(places) and e["to"] in wps | set(places)
    sea_ids = {
        f["properties"]["id"]
        for f in json.loads(PLACES.read_text(encoding="utf-8"))["features"]
        if f["properties"]["kind"] in {"seaport", "naval_base"}
    }
    used = {e["from"] for e in edges} | {e["to"] for e in edges}
    assert sea_ids <= used
    assert not wps & set(places)


def test_all_sea_places_connected(graph: SeaLaneGraph, places_fc: dict) -> None:
    sea = sorted(
        f["properties"]["id"]
        for f in places_fc["features"]
        if f["properties"]["kind"] in {"seaport", "naval_base"}
    )
    for d in sea[1:]:
        assert graph.path(sea[0], d) is not None, d


def test_no_edge_crosses_land(graph: SeaLaneGraph, places: dict, basemap: dict) -> None:
    land = shapely.union_all(basemap["land"].geometry.values)
    shapely.prepare(land)
    fc = json.loads(SEA_LANES.read_text(encoding="utf-8"))
    bad = []
    for f in fc["features"]:
        p = f["properties"]
        if p["feature"] != "edge":
            continue
        a, b = p["from"], p["to"]
        line = densify_geodesic([graph.coords[a], graph.coords[b]], step_km=2.0)
        line = trim_line_km(
            line,
            PORT_TOLERANCE_KM if a in places else 0.0,
            PORT_TOLERANCE_KM if b in places else 0.0,
        )
        if not line.is_empty and land.intersects(line):
            bad.append(p["id"])
        # the stored (densified) geometry must also stay off land away from ports
        stored = trim_line_km(
            shapely.LineString(f["geometry"]["coordinates"]),
            PORT_TOLERANCE_KM if a in places else 0.0,
            PORT_TOLERANCE_KM if b in places else 0.0,
        )
        if not stored.is_empty and land.intersects(stored):
            bad.append(p["id"] + " (stored)")
    assert bad == []


def test_basemap(basemap: dict) -> None:
    assert set(pyogrio.list_layers(BASEMAP)[:, 0]) == {
        "countries",
        "land",
        "land_map",
        "borders_map",
    }
    for name, gdf in basemap.items():
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326, name
        assert len(gdf) > 0
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}, name
        minx, miny, maxx, maxy = gdf.total_bounds
        assert minx >= 105 - 1e-9 and maxx <= 160 + 1e-9, name
        assert miny >= 0 - 1e-9 and maxy <= 55 + 1e-9, name
        assert gdf.geometry.is_valid.all(), name
    names = set(basemap["countries"]["name"])
    assert {"South Korea", "Japan", "Taiwan", "Philippines"} <= names
    assert BASEMAP.stat().st_size < 4_000_000


def test_basemap_has_map_scale_layers_built_once(basemap: dict) -> None:
    """land_map / borders_map: the same land in the map's projection, simplified for its scale."""
    import shapely

    from rsoi.outputs.mapping import LCC, SIMPLIFY_M

    land_map = pyogrio.read_dataframe(BASEMAP, layer="land_map")
    borders = pyogrio.read_dataframe(BASEMAP, layer="borders_map")
    assert land_map.crs.equals(LCC) and borders.crs.equals(LCC)
    assert set(land_map.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(borders.geom_type) <= {"LineString", "MultiLineString"}
    vertices = sum(len(shapely.get_coordinates(g)) for g in basemap["land"].geometry)
    simplified = sum(len(shapely.get_coordinates(g)) for g in land_map.geometry)
    assert simplified < vertices / 2
    # simplification moves no coastline by more than its tolerance (area check: same land)
    projected = basemap["land"].to_crs(LCC)
    big = projected.geometry.area > 1e10  # islands much larger than the tolerance
    assert abs(land_map.geometry.area.sum() - projected.geometry.area.sum()) < (
        0.02 * projected.geometry[big].area.sum()
    )
    assert SIMPLIFY_M > 0
