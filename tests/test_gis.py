"""Tests for rsoi.outputs.gis: plan.gpkg layers, styles, totals, geometry, GeoJSON and determinism."""

from __future__ import annotations

import json
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from rsoi.errors import InputError
from rsoi.lp.prepare import prepare
from rsoi.model import geo
from rsoi.model.loader import load_model
from rsoi.outputs.export import export_run
from rsoi.outputs.gis import LAYERS, PROJECT_NAME, route_lines
from rsoi.outputs.qgis_project import read_embedded
from rsoi.outputs.rundata import RunData
from rsoi.pipeline import run_model, write_run

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "korea_taiwan.yaml"
EXPORTS = ("plan.gpkg", "map.png", "map.svg", "report.html")
FIELDS = {
    "places": {"id", "name", "kind", "country", "cargo_t_per_day", "mog", "storage_t",
               "throughput_t", "utilisation", "mog_utilisation", "shortfall_pct",
               "shortfall_text", "alloc_port_access", "alloc_base_security", "key",
               "labelled"},
    "routes": {"id", "origin", "origin_name", "destination", "destination_name", "mode",
               "capacity_t_per_day", "capacity_t", "flow_t", "flow_periods", "peak_utilisation",
               "distance_km", "geometry_km", "closed"},
    "flows": {"route", "origin_name", "destination_name", "mode", "commodity", "period",
              "period_start", "period_end", "quantity", "unit", "short_tons",
              "route_short_tons", "commodities", "breakdown", "drawn"},
    "allocations": {"place", "name", "period", "period_start", "period_end", "providers",
                    "nations", "tasks", "units_allocated", "lead_nation", "breakdown"},
    "apportionment": {"force", "force_name", "nation", "theater", "home", "home_name",
                      "anchor", "anchor_name", "period", "period_start", "period_end", "share",
                      "offset_mm"},
    "basemap_countries": {"name", "iso_n3"},
    "basemap_land": {"part"},
}  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """The default model solved, written and exported (with GeoJSON)."""
    folder = tmp_path_factory.mktemp("gis") / "run"
    write_run(run_model(MODEL), folder)
    export_run(folder, geojson=True)
    return folder


@pytest.fixture(scope="module")
def gpkg(run_dir: Path) -> Path:
    return run_dir / "plan.gpkg"


def test_export_writes_every_file_and_no_temporaries(run_dir: Path) -> None:
    for name in EXPORTS:
        assert (run_dir / name).stat().st_size > 0, name
    leftovers = [p.name for p in run_dir.rglob(".*")]
    assert leftovers == []


def test_geopackage_is_version_1_2(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as con:
        assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
        assert con.execute("PRAGMA user_version").fetchone()[0] == 10200


def test_every_layer_has_its_fields_and_rows(gpkg: Path) -> None:
    listed = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert set(LAYERS) | {"layer_styles"} == listed
    for layer in LAYERS:
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["features"] > 0, layer
        assert info["crs"] == "EPSG:4326"
        missing = FIELDS[layer] - set(info["fields"])
        assert not missing, (layer, missing)


def test_every_layer_has_a_default_qgis_style(gpkg: Path) -> None:
    styles = pyogrio.read_dataframe(gpkg, layer="layer_styles")
    expected = {
        "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
        "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
    }  # fmt: skip
    assert expected <= set(styles.columns)
    for layer in LAYERS:
        rows = styles[(styles["f_table_name"] == layer) & styles["useAsDefault"]]
        assert len(rows) == 1, layer
        row = rows.iloc[0]
        assert row["f_geometry_column"] == pyogrio.read_info(gpkg, layer=layer)["geometry_name"]
        root = ET.fromstring(row["styleQML"])
        assert root.tag == "qgis"
        assert root.find("renderer-v2") is not None
        assert "${" not in row["styleQML"]


def test_route_flow_totals_equal_flows_csv(run_dir: Path, gpkg: Path) -> None:
    flows = pd.read_csv(run_dir / "flows.csv")
    expected = flows.groupby("route")["short_tons"].sum()
    routes = pyogrio.read_dataframe(gpkg, layer="routes").set_index("id")
    got = routes["flow_t"]
    assert np.isclose(got.sum(), flows["short_tons"].sum(), rtol=1e-9)
    for route, tons in expected.items():
        assert got[route] == pytest.approx(tons, rel=1e-9)
    assert (got.drop(expected.index) == 0).all()
    layer = pyogrio.read_dataframe(gpkg, layer="flows")
    assert len(layer) == len(flows)  # one row per flow, as the checker reads it
    assert layer["short_tons"].sum() == pytest.approx(flows["short_tons"].sum(), rel=1e-9)


def test_flows_draw_one_line_per_route_and_period_with_a_breakdown(
    run_dir: Path, gpkg: Path
) -> None:
    """The 2-3 commodities on one route in one period are one drawn line: exactly one row per
    route x period is `drawn`, its width field is their sum, its breakdown lists each."""
    flows = pd.read_csv(run_dir / "flows.csv")
    layer = pyogrio.read_dataframe(gpkg, layer="flows")
    drawn = layer[layer["drawn"]]
    pairs = flows.groupby(["route", "period"])
    assert len(drawn) == len(pairs) and not drawn.duplicated(["route", "period"]).any()
    assert (pairs.size() > 1).sum() >= 5  # the shipped model has such pairs (9 today)
    total = drawn.set_index(["route", "period"])["route_short_tons"].sort_index()
    assert np.allclose(total, pairs["short_tons"].sum().sort_index(), rtol=1e-9)
    counts = drawn.set_index(["route", "period"])["commodities"].sort_index()
    assert (counts == pairs.size().sort_index()).all()
    assert (drawn["breakdown"].str.count("; ") + 1 == drawn["commodities"]).all()
    assert not layer["breakdown"].str.contains("e+", regex=False).any()


def test_routes_list_the_periods_they_carry_flow_in(run_dir: Path, gpkg: Path) -> None:
    flows = pd.read_csv(run_dir / "flows.csv")
    moving = flows[flows["short_tons"] > 0].groupby("route")["period"].unique()
    routes = pyogrio.read_dataframe(gpkg, layer="routes").set_index("id")
    for route, listed in routes["flow_periods"].items():
        expected = sorted(int(k) for k in moving.get(route, []))
        assert [int(k) for k in listed.split(",") if k] == expected, route


def test_identify_fields_name_places_beside_ids(gpkg: Path) -> None:
    places = pyogrio.read_dataframe(gpkg, layer="places").set_index("id")["name"]
    for layer, pairs in {
        "flows": [("origin", "origin_name"), ("destination", "destination_name")],
        "routes": [("origin", "origin_name"), ("destination", "destination_name")],
        "apportionment": [("home", "home_name"), ("anchor", "anchor_name")],
        "allocations": [("place", "name")],
    }.items():
        frame = pyogrio.read_dataframe(gpkg, layer=layer)
        for ids, names in pairs:
            assert (frame[names] == frame[ids].map(places)).all(), (layer, names)


def test_coincident_apportionment_lines_are_spread_apart(gpkg: Path) -> None:
    """Two forces from one home to one theater in a period (Jinhae -> Camp Humphreys) get
    different side offsets; a lone line stays on its geodesic."""
    app = pyogrio.read_dataframe(gpkg, layer="apportionment")
    groups = app.groupby(["home", "anchor", "period"])["offset_mm"]
    shared = groups.transform("size") > 1
    assert shared.any()  # the shipped model has such pairs
    assert (groups.nunique() == groups.size()).all()
    assert (app.loc[~shared, "offset_mm"] == 0).all()
    jinhae = app[(app["home"] == "jinhae") & (app["anchor"] == "camp_humphreys")]
    assert jinhae.groupby("period")["offset_mm"].nunique().max() >= 2


def test_lines_are_densified_and_sea_distances_match_geometry(gpkg: Path) -> None:
    routes = pyogrio.read_dataframe(gpkg, layer="routes")
    vertices = routes.geometry.apply(lambda g: len(g.coords))
    long = routes["geometry_km"] > 60  # densified to <= 25 km steps
    assert (vertices[long] >= routes.loc[long, "geometry_km"] / 25).all()
    sea = routes[routes["mode"] == "sea"]
    assert np.allclose(sea["geometry_km"], sea["distance_km"], rtol=1e-6)
    places = pyogrio.read_dataframe(gpkg, layer="places")
    assert places["key"].any()


def _prep_only(scenario: str) -> RunData:
    """A RunData with a prepared model and no results (enough for route geometry)."""
    prep = prepare(load_model(MODEL, scenario))
    return RunData(Path(), {}, {}, prep, MODEL, False)


def test_closed_taiwan_strait_reroutes_sea_lines() -> None:
    strait = [(119.95, 23.7), (120.4, 25.3), (119.95, 22.95)]  # taiwan_strait_* waypoints
    open_lines = route_lines(_prep_only("blockade"))
    closed_run = _prep_only("invasion_strait_closed")
    closed_lines = route_lines(closed_run)
    no_path = {r.id for r in closed_run.prep.routes if r.capacity_t_per_period.max() <= 0}

    def near_strait(line: shapely.LineString) -> bool:
        return any(
            min(geo.geodesic_km(x, y, lon, lat) for x, y in line.coords) < 30 for lon, lat in strait
        )

    rerouted = [r for r, line in open_lines.items() if near_strait(line) and r not in no_path]
    assert rerouted, "some sea route should pass the Taiwan Strait when it is open"
    for r in rerouted:
        assert not near_strait(closed_lines[r]), r
        assert closed_lines[r].length > open_lines[r].length


def test_missing_model_file_is_an_input_error(run_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    summary = json.loads((copy / "summary.json").read_text())
    summary["model_file"] = "no/such/model.yaml"
    (copy / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(InputError) as err:
        export_run(copy)
    assert "model_file" in str(err.value)
    assert "fix:" in str(err.value)


def test_relative_model_file_resolves_against_cwd(
    run_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(*EXPORTS, "geojson"))
    summary = json.loads((copy / "summary.json").read_text())
    summary["model_file"] = "models/korea_taiwan.yaml"
    (copy / "summary.json").write_text(json.dumps(summary))
    monkeypatch.chdir(ROOT)
    written = export_run(copy)
    assert {p.name for p in written} == set(EXPORTS)


def test_geojson_is_rfc7946_with_styles(run_dir: Path) -> None:
    folder = run_dir / "geojson"
    for layer in LAYERS:
        data = json.loads((folder / f"{layer}.geojson").read_text(encoding="utf-8"))
        assert data["type"] == "FeatureCollection"
        assert "crs" not in data
        assert data["name"] == layer
        assert data["features"]
        bounds = np.array([shapely.geometry.shape(f["geometry"]).bounds for f in data["features"]])
        assert bounds[:, [0, 2]].min() >= -180 and bounds[:, [0, 2]].max() <= 180
        assert bounds[:, [1, 3]].min() >= -90 and bounds[:, [1, 3]].max() <= 90
        assert ET.parse(folder / f"{layer}.qml").getroot().tag == "qgis"


def test_export_is_deterministic(run_dir: Path, tmp_path: Path) -> None:
    copies = []
    for name in ("a", "b"):
        copy = tmp_path / name
        shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(*EXPORTS, "geojson"))
        export_run(copy)
        copies.append(copy)
    a, b = copies
    for name in EXPORTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    for layer in [*LAYERS, "layer_styles"]:  # plus the embedded project, byte for byte
        assert read_embedded(a / "plan.gpkg", PROJECT_NAME) == read_embedded(
            b / "plan.gpkg", PROJECT_NAME
        )
        fa = pyogrio.read_dataframe(a / "plan.gpkg", layer=layer)
        fb = pyogrio.read_dataframe(b / "plan.gpkg", layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(fa), pd.DataFrame(fb), check_exact=True)


def test_export_from_memory_equals_export_from_disk(tmp_path):
    """`solve` passes its prepared model to export_run instead of re-reading the model: the
    outputs must be the same as an export that reloads the model from summary.json."""
    run = run_model(MODEL)
    a = write_run(run, tmp_path / "a")
    b = write_run(run, tmp_path / "b")
    export_run(a)
    export_run(b, prep=run.prep)
    assert (a / "report.html").read_bytes() == (b / "report.html").read_bytes()
    assert (a / "map.svg").read_bytes() == (b / "map.svg").read_bytes()
