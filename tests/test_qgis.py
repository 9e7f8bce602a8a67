"""plan.gpkg as QGIS reads it: temporal settings, the embedded project, apportionment, UTC.

These read the GeoPackage with sqlite3 and the XML QGIS itself parses, so they run
everywhere; tests/test_render_qgis.py renders the project with real QGIS where installed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from rsoi.model import geo
from rsoi.outputs.export import export_run
from rsoi.outputs.gis import LAYERS, PROJECT_NAME, TIME_LAYERS, apportionment_layer
from rsoi.outputs.qgis_project import read_embedded
from rsoi.outputs.rundata import IN_TRANSIT, load_run
from rsoi.pipeline import run_model, write_run

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "korea_taiwan.yaml"
TEMPORAL_INSTANT = "1"  # QgsVectorLayerTemporalProperties::ModeFeatureDateTimeInstantFromField


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("qgis") / "run"
    write_run(run_model(MODEL), folder)
    export_run(folder)
    return folder


@pytest.fixture(scope="module")
def gpkg(run_dir: Path) -> Path:
    return run_dir / "plan.gpkg"


@pytest.fixture(scope="module")
def project(gpkg: Path) -> ET.Element:
    return ET.fromstring(read_embedded(gpkg, PROJECT_NAME).split("\n", 1)[1])


def _styles(gpkg: Path) -> dict[str, str]:
    with sqlite3.connect(gpkg) as con:
        return dict(con.execute("SELECT f_table_name, styleQML FROM layer_styles").fetchall())


def test_every_time_layer_shows_from_its_start_for_one_period(
    gpkg: Path, project: ET.Element
) -> None:
    """Start field + a fixed duration of one period less a second (2 days = 172,799 s), the
    encoding QGIS 3.22 filters correctly (tests/test_render_qgis.py checks every frame)."""
    styles = _styles(gpkg)
    in_project = {ml.findtext("layername"): ml for ml in project.iter("maplayer")}
    for layer in TIME_LAYERS:
        for root in (ET.fromstring(styles[layer]), in_project[layer]):
            temporal = root.find("temporal")
            assert temporal is not None, layer
            assert temporal.get("enabled") == "1", layer
            assert temporal.get("mode") == TEMPORAL_INSTANT, layer
            assert temporal.get("startField") == "period_start", layer
            assert temporal.get("durationUnit") == "s", layer
            assert temporal.get("fixedDuration") == str(2 * 86400 - 1), layer
            fields = pyogrio.read_info(gpkg, layer=layer)["fields"]
            assert {"period_start", "period_end"} <= set(fields), layer
    # a time layer is one whose rows carry a period: none is left out of TIME_LAYERS
    for layer in LAYERS:
        if "period" in pyogrio.read_info(gpkg, layer=layer)["fields"]:
            assert layer in TIME_LAYERS, layer


def test_embedded_project_lists_every_layer_in_order(gpkg: Path, project: ET.Element) -> None:
    tree = [node.get("name") for node in project.find("layer-tree-group").iter("layer-tree-layer")]
    assert tree == list(LAYERS)
    assert tree[-1].startswith("basemap_")  # base map at the bottom
    assert tree.index("routes") > tree.index("flows")  # routes are context under the flows
    listed = {name for name, _ in pyogrio.list_layers(gpkg)}
    for ml in project.iter("maplayer"):
        name = ml.findtext("layername")
        assert name in listed
        assert ml.findtext("datasource") == f"./plan.gpkg|layername={name}"
        assert ml.findtext("provider") == "ogr"
        assert ml.find("renderer-v2") is not None, name
    order = [el.get("id") for el in project.find("layerorder")]
    assert order == [f"rsoi_layer_{n}" for n in LAYERS]


def test_project_view_projection_background_and_time(run_dir: Path, project: ET.Element) -> None:
    crs = project.find("projectCrs/spatialrefsys")
    assert "+proj=lcc" in crs.findtext("proj4")
    assert "+lat_1=15" in crs.findtext("proj4") and "+lon_0=128" in crs.findtext("proj4")
    gui = project.find("properties/Gui")
    rgb = tuple(int(gui.findtext(f"CanvasColor{c}Part")) for c in ("Red", "Green", "Blue"))
    assert rgb == (0xD9, 0xE8, 0xF2)  # the sea colour of map.png
    extent = [
        float(project.findtext(f"mapcanvas/extent/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")
    ]
    width_km = (extent[2] - extent[0]) / 1000
    # the theater, not the whole 105-160 E base map box (~5,000 km wide at 30 N)
    assert 500 < width_km < 4500
    time = project.find("ProjectTimeSettings")
    summary_days = 2.0  # the shipped model's period length (horizon.period_days)
    assert float(time.get("timeStep")) == summary_days and time.get("timeStepUnit") == "d"
    start = pd.Timestamp(time.findtext("TemporalRange/start"))
    end = pd.Timestamp(time.findtext("TemporalRange/end"))
    app = pd.read_csv(run_dir / "apportionment.csv")  # every period has apportionment rows
    first = app.loc[app["period"] == 1, "period_start"].iloc[0]
    assert start == pd.Timestamp(first + "T00:00:00Z")
    assert end - start == pd.Timedelta(days=summary_days * app["period"].max())
    assert time.findtext("TemporalRange/start").endswith("Z")


def test_apportionment_has_no_zero_share_or_zero_length_features(gpkg: Path) -> None:
    app = pyogrio.read_dataframe(gpkg, layer="apportionment")
    assert len(app)
    assert app["share"].dtype.kind == "f"
    assert (app["share"] > 0).all()
    assert (app["home"] != app["anchor"]).all()
    lengths = np.array([geo.GEOD.geometry_length(g) for g in app.geometry])
    assert (lengths > 1000).all()  # metres
    assert app.geometry.is_valid.all()
    assert not app.duplicated(["force", "theater", "period"]).any()


def test_apportionment_layer_matches_the_table(run_dir: Path, gpkg: Path) -> None:
    """Every positive share whose force is not at home in the theater is one feature."""
    table = pd.read_csv(run_dir / "apportionment.csv")
    app = pyogrio.read_dataframe(gpkg, layer="apportionment")
    drawn = table[(table["share"] > 1e-6) & table["theater"].isin(set(app["theater"]))]
    at_home = {(r.force, r.theater) for r in app.itertuples()}  # pairs drawn at all
    # pairs never drawn must be force-at-anchor pairs; the rest match row for row
    counted = drawn[
        [(f, t) in at_home for f, t in zip(drawn["force"], drawn["theater"], strict=True)]
    ]
    assert len(counted) == len(app)
    assert np.isclose(counted["share"].sum(), app["share"].sum())


def test_apportionment_layer_tolerates_in_transit_and_extra_columns(run_dir: Path) -> None:
    run = load_run(run_dir)
    table = run.tables["apportionment"]
    extra = table.iloc[:3].copy()
    extra["theater"] = IN_TRANSIT
    extra["share"] = 0.5
    table = pd.concat([table, extra], ignore_index=True)
    table["transit_periods_left"] = 1.0  # a column the layer does not know
    run.tables["apportionment"] = table
    layer = apportionment_layer(run)
    assert IN_TRANSIT not in set(layer["theater"])
    assert "transit_periods_left" in layer.columns
    assert len(layer)


def test_datetimes_are_utc_with_z(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as con:
        values = []
        for layer in TIME_LAYERS:
            values += [
                v
                for row in con.execute(f'SELECT period_start, period_end FROM "{layer}"')
                for v in row
            ]
        values += [r[0] for r in con.execute("SELECT update_time FROM layer_styles")]
        values += [r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")]
        kinds = dict(
            con.execute(
                "SELECT name, type FROM pragma_table_info('flows') WHERE name LIKE 'period_%'"
            ).fetchall()
        )
    assert kinds == {"period_start": "DATETIME", "period_end": "DATETIME"}
    assert values
    bad = [v for v in values if not (isinstance(v, str) and v.endswith("Z") and "T" in v)]
    assert not bad, bad[:5]


def test_every_place_with_flows_or_allocations_is_labelled(run_dir: Path, gpkg: Path) -> None:
    flows = pd.read_csv(run_dir / "flows.csv")
    alloc = pd.read_csv(run_dir / "allocations.csv")
    busy = set(flows["origin"]) | set(flows["destination"]) | set(alloc["place"])
    busy |= set(pyogrio.read_dataframe(gpkg, layer="apportionment")["home"])
    places = pyogrio.read_dataframe(gpkg, layer="places").set_index("id")
    assert places.loc[sorted(busy), "labelled"].all()
    label = ET.fromstring(_styles(gpkg)["places"]).find(".//labeling//Option[@name='Show']")
    assert label.find("Option[@name='expression']").get("value") == '"labelled"'


def test_allocations_are_one_point_per_place_and_period(run_dir: Path, gpkg: Path) -> None:
    alloc = pd.read_csv(run_dir / "allocations.csv")
    alloc = alloc[alloc["units_allocated"] > 0]
    layer = pyogrio.read_dataframe(gpkg, layer="allocations")
    assert not layer.duplicated(["place", "period"]).any()
    expected = alloc.groupby(["place", "period"])["units_allocated"].sum()
    got = layer.set_index(["place", "period"])["units_allocated"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    counts = alloc.groupby(["place", "period"]).size()
    lines = layer.set_index(["place", "period"])["breakdown"].str.count("; ") + 1
    pd.testing.assert_series_equal(lines.sort_index(), counts.sort_index(), check_names=False)
    theaters = alloc.groupby(["place", "period"])["theater"].agg(lambda s: ",".join(sorted(set(s))))
    got = layer.set_index(["place", "period"])["theater"]
    pd.testing.assert_series_equal(got.sort_index(), theaters.sort_index(), check_names=False)


def test_a_point_serving_two_theaters_says_which_row_serves_which(gpkg: Path) -> None:
    """A point serving two theaters (the shipped plan has such points) names both theaters,
    and its breakdown has one row per provider x task x theater, each naming its theater."""
    layer = pyogrio.read_dataframe(gpkg, layer="allocations")
    both = layer[layer["theater"] == "korea,taiwan"]
    assert len(both) > 0
    for point in both.itertuples():
        rows = point.breakdown.split("; ")
        assert len(rows) == len(set(rows))
        served = {r.split(":")[0].rsplit(" ", 1)[1] for r in rows}
        assert served == {"korea", "taiwan"}, rows
    assert not layer["breakdown"].str.contains(r"\b1 units|e\+", regex=True).any()


def test_place_labels_never_overlap_and_key_places_go_first(gpkg: Path) -> None:
    """Labels that would collide are moved round their point or left out (not "show all"),
    with anchors/busiest/short places at a higher priority (tests/test_render_qgis.py
    checks a real render has no overlapping labels)."""
    labeling = ET.fromstring(_styles(gpkg)["places"]).find("labeling/settings")
    rendering = labeling.find("rendering")
    assert rendering.get("displayAll") == "0"
    assert rendering.get("obstacle") == "1"
    assert labeling.find("placement").get("placement") == "6"  # around the point, in order
    priority = labeling.find(".//dd_properties//Option[@name='Priority']")
    assert priority.find("Option[@name='active']").get("value") == "true"
    assert '"key"' in priority.find("Option[@name='expression']").get("value")


def test_legend_says_what_widths_and_sizes_mean(gpkg: Path) -> None:
    """Each category of the time layers names its measure and the scale, and an
    apportionment line says it runs from a force's home to the theater's anchor."""
    styles = _styles(gpkg)
    flows = pyogrio.read_dataframe(gpkg, layer="flows")
    alloc = pyogrio.read_dataframe(gpkg, layer="allocations")
    wanted = {
        "flows": "width = short tons moved in the period (4 mm = "
        f"{flows['route_short_tons'].max():,.0f} t)",
        "allocations": "size = support units at the place in the period (6 mm = "
        f"{alloc['units_allocated'].max():g} units)",
        "apportionment": "from its home base to the theater's anchor; width = share of the force",
    }
    for layer, text in wanted.items():
        labels = [c.get("label") for c in ET.fromstring(styles[layer]).iter("category")]
        assert labels and all(text in label for label in labels), (layer, labels)


def test_routes_are_redrawn_at_every_frame(gpkg: Path, project: ET.Element) -> None:
    """The routes layer's rules read the frame's time, so it is temporal in "redraw layer
    only" mode: QGIS redraws it per frame instead of keeping its first frame's image."""
    in_project = {ml.findtext("layername"): ml for ml in project.iter("maplayer")}
    for root in (ET.fromstring(_styles(gpkg)["routes"]), in_project["routes"]):
        temporal = root.find("temporal")
        assert temporal is not None and temporal.get("enabled") == "1"
        assert temporal.get("mode") == "5"  # QgsVectorLayerTemporalProperties::ModeRedrawLayerOnly


def test_routes_are_thin_context_without_width_by_flow(gpkg: Path) -> None:
    routes = ET.fromstring(_styles(gpkg)["routes"])
    for prop in routes.iter("Option"):
        if prop.get("name") == "outlineWidth":
            assert prop.find("Option[@name='active']").get("value") == "false"
    widths = [float(o.get("value")) for o in routes.iter("Option") if o.get("name") == "line_width"]
    assert max(widths) <= 0.4


def test_every_main_layer_has_an_sld_style(gpkg: Path) -> None:
    with sqlite3.connect(gpkg) as con:
        rows = con.execute("SELECT f_table_name, styleSLD FROM layer_styles").fetchall()
    assert {name for name, _ in rows} == set(LAYERS)
    for name, text in rows:
        root = ET.fromstring(text)
        assert root.tag.endswith("StyledLayerDescriptor"), name
        rules = root.findall(".//{http://www.opengis.net/se}Rule")
        assert rules, name


VALIDATOR = Path("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py")


@pytest.mark.skipif(
    not VALIDATOR.is_file() and not os.environ.get("RSOI_REQUIRE_QGIS"),  # CI: required
    reason="GDAL's GeoPackage validator comes with Debian python3-gdal (not on PyPI for this "
    "venv); where it is installed, this runs its extended checks",
)
def test_gdal_geopackage_validator_extended_checks_pass(gpkg: Path) -> None:
    proc = subprocess.run(
        ["/usr/bin/python3", str(VALIDATOR), "-k", "--extra", "--warning-as-error", str(gpkg)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-2000:]
    assert "not a valid DATETIME" not in proc.stdout + proc.stderr


def test_identify_shows_every_number_under_a_name_with_its_unit(
    gpkg: Path, project: ET.Element
) -> None:
    """Every numeric field of the layers a reviewer clicks has an alias naming its unit (or
    that it is a count, a 0-1 ratio or a period) in the project and in the default styles."""
    styles = _styles(gpkg)
    in_project = {ml.findtext("layername"): ml for ml in project.iter("maplayer")}
    for layer in ("places", "routes", "flows", "allocations", "apportionment"):
        info = pyogrio.read_info(gpkg, layer=layer)
        numeric = [
            f for f, kind in zip(info["fields"], info["dtypes"], strict=True)
            if kind.startswith(("float", "int")) and f not in ("period", "arrival_period")
        ]  # fmt: skip
        for root in (ET.fromstring(styles[layer]), in_project[layer]):
            aliases = {a.get("field"): a.get("name") for a in root.iter("alias")}
            for field in numeric:
                assert "(" in aliases.get(field, ""), (layer, field, aliases.get(field))
