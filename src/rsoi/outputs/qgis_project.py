"""The QGIS project embedded in ``plan.gpkg`` (table ``qgis_projects``, as QGIS writes it).

*Project > Open From > GeoPackage* (or ``qgis --project "geopackage:plan.gpkg?projectName=rsoi
plan"``; QGIS 3.22 reads a bare ``geopackage:`` argument as a layer and refuses it) opens it
ready: every layer in order with the base map at the bottom, each layer's default
style (the same QML as ``layer_styles``), the Lambert conformal projection of ``map.png``, a
sea-coloured background, the start view on the theater, and the project time range set to
the horizon, stepping by one period. Layers are referenced relative to the GeoPackage
(``./plan.gpkg|layername=...``): keep the file's name when moving it.

QGIS stores a project as the hex text of its zipped ``.qgz`` content plus a JSON metadata
string; both are written here deterministically (fixed zip dates, fixed metadata time).
"""

from __future__ import annotations

import io
import json
import sqlite3
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pyproj

QGIS_VERSION = "3.22.16-Białowieża"
ZIP_DATE = (2000, 1, 1, 0, 0, 0)
LONLAT_PROJ4 = "+proj=longlat +datum=WGS84 +no_defs"
GEOMETRY = {  # shapely geom_type -> (QGIS geometry class, wkbType)
    "Point": ("Point", "Point"),
    "LineString": ("Line", "LineString"),
    "MultiLineString": ("Line", "MultiLineString"),
    "Polygon": ("Polygon", "Polygon"),
    "MultiPolygon": ("Polygon", "MultiPolygon"),
}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib)
    if text is not None:
        el.text = text
    return el


def _srs(
    parent: ET.Element, crs: pyproj.CRS, proj4: str, description: str, authid: str = ""
) -> None:
    srs = _sub(parent, "spatialrefsys", nativeFormat="Wkt")
    _sub(srs, "wkt", crs.to_wkt("WKT2_2019"))
    _sub(srs, "proj4", proj4)
    _sub(srs, "srsid", "3452" if authid == "EPSG:4326" else "0")
    _sub(srs, "srid", "4326" if authid == "EPSG:4326" else "0")
    _sub(srs, "authid", authid)
    _sub(srs, "description", description)
    _sub(srs, "projectionacronym", "longlat" if crs.is_geographic else "lcc")
    _sub(srs, "ellipsoidacronym", "EPSG:7030")
    _sub(srs, "geographicflag", "true" if crs.is_geographic else "false")


NAVIGATION_ANIMATED = 1  # QgsTemporalNavigationObject::Animated
TITLE_TOP_LEFT = 1  # QgsDecorationItem::TopLeft


def _qt_iso(text: str) -> str:
    """ISO UTC as Qt's ``Qt::ISODateWithMs`` reads it (``...T00:00:00.000Z``)."""
    return text.replace("Z", ".000Z") if "." not in text else text


def frame_period_expression(c_day: str, step_days: float) -> str:
    """QGIS expression of the period (1 = C-day) the frame starting at @map_start_time shows."""
    days = f"day(@map_start_time - to_datetime('{c_day}'))"
    return f"floor(round({days}, 6) / {step_days:g}) + 1"


def period_label(time_range: tuple[str, str], step_days: float) -> str:
    """The canvas title: QGIS text with an expression over the frame's start time.

    Frame start t (``@map_start_time``, UTC): n = whole days since C-day, period
    k = floor(n / period length) + 1, day d = n + 1 (C-day is day 1, C+n).
    """
    start = time_range[0]
    days = f"day(@map_start_time - to_datetime('{start}'))"
    periods = round((pd_days(time_range[1]) - pd_days(time_range[0])) / step_days)
    return (
        "[% if(@map_start_time is null, "
        "'all periods at once: turn on the Temporal Controller (View > Panels)', "
        f"'period ' || to_string({frame_period_expression(start, step_days)}) || ' of {periods}"
        f", day ' || to_string(round({days}) + 1) || ' (C+' || to_string(round({days})) || ') · '"
        " || format_date(@map_start_time, 'yyyy-MM-dd') || ' UTC') %]"
    )


def pd_days(iso: str) -> float:
    """Days since the epoch of an ISO UTC time (for counting periods)."""
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() / 86400


def _layer_id(name: str) -> str:
    return f"rsoi_layer_{name}"  # QGIS keeps a layer id only if longer than 10 characters


def project_xml(
    layers: Sequence[tuple[str, str]],
    styles: dict[str, str],
    map_crs: str,
    extent: tuple[float, float, float, float],
    background: str,
    time_range: tuple[str, str],
    step_days: float,
    title: str,
    gpkg_name: str = "plan.gpkg",
) -> str:
    """The project as .qgs XML text.

    `layers` lists (name, shapely geometry type) top to bottom; `styles` maps a layer to its
    QML; `extent` is the start view in `map_crs` units; `time_range` is (start, end) ISO UTC.
    """
    lonlat = pyproj.CRS("EPSG:4326")
    lcc = pyproj.CRS(map_crs)
    root = ET.Element("qgis", projectname=title, version=QGIS_VERSION)
    _sub(root, "homePath", path="")
    _sub(root, "title", title)
    _srs(_sub(root, "projectCrs"), lcc, map_crs, "Lambert conformal conic (rsoi map.png)")

    tree = _sub(root, "layer-tree-group")
    _sub(tree, "customproperties")
    for name, _ in layers:
        node = _sub(
            tree,
            "layer-tree-layer",
            id=_layer_id(name),
            name=name,
            source=f"./{gpkg_name}|layername={name}",
            providerKey="ogr",
            checked="Qt::Checked",
            expanded="1",  # the legend shows every layer's symbols at open
        )
        _sub(node, "customproperties")
    order = _sub(tree, "custom-order", enabled="0")
    for name, _ in layers:
        _sub(order, "item", _layer_id(name))

    canvas = _sub(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    _sub(canvas, "units", "meters")
    box = _sub(canvas, "extent")
    for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True):
        _sub(box, tag, f"{value:.3f}")
    _sub(canvas, "rotation", "0")
    _srs(_sub(canvas, "destinationsrs"), lcc, map_crs, "Lambert conformal conic (rsoi map.png)")
    _sub(canvas, "rendermaptile", "0")

    project_layers = _sub(root, "projectlayers")
    for name, geom_type in layers:
        geometry, wkb = GEOMETRY[geom_type]
        ml = _sub(
            project_layers,
            "maplayer",
            type="vector",
            geometry=geometry,
            wkbType=wkb,
            hasScaleBasedVisibilityFlag="0",
            minScale="100000000",
            maxScale="0",
            simplifyDrawingHints="0" if geometry != "Polygon" else "1",
            simplifyDrawingTol="1",
            simplifyLocal="1",
            simplifyMaxScale="1",
            simplifyAlgorithm="0",
            labelsEnabled="1" if name == "places" else "0",
            readOnly="0",
            autoRefreshEnabled="0",
            autoRefreshTime="0",
            refreshOnNotifyEnabled="0",
            refreshOnNotifyMessage="",
            styleCategories="AllStyleCategories",
        )
        _sub(ml, "id", _layer_id(name))
        _sub(ml, "datasource", f"./{gpkg_name}|layername={name}")
        _sub(ml, "keywordList")
        _sub(ml, "layername", name)
        _srs(_sub(ml, "srs"), lonlat, LONLAT_PROJ4, "WGS 84", "EPSG:4326")
        _sub(ml, "provider", "ogr", encoding="UTF-8")
        style = ET.fromstring(styles[name])
        for child in style:
            ml.append(child)
    layer_order = _sub(root, "layerorder")
    for name, _ in layers:
        _sub(layer_order, "layer", id=_layer_id(name))

    props = _sub(root, "properties")
    gui = _sub(props, "Gui")
    red, green, blue = (int(background[i : i + 2], 16) for i in (1, 3, 5))
    for part, value in (("Red", red), ("Green", green), ("Blue", blue)):
        _sub(gui, f"CanvasColor{part}Part", str(value), type="int")
    _sub(gui, "SelectionColorAlphaPart", "255", type="int")
    _sub(gui, "SelectionColorBluePart", "0", type="int")
    _sub(gui, "SelectionColorGreenPart", "255", type="int")
    _sub(gui, "SelectionColorRedPart", "255", type="int")
    srs_props = _sub(props, "SpatialRefSys")  # QGIS reads <projectCrs> only with this set
    _sub(srs_props, "ProjectionsEnabled", "1", type="int")
    paths = _sub(props, "Paths")
    _sub(paths, "Absolute", "false", type="bool")
    measure = _sub(props, "Measure")
    _sub(measure, "Ellipsoid", "EPSG:7030", type="QString")
    # the Temporal Controller opens animated on the first period (not "navigation off",
    # which stacks every period's features), over the project's time range
    controller = _sub(props, "TemporalControllerWidget")
    _sub(controller, "NavigationMode", str(NAVIGATION_ANIMATED), type="int")
    _sub(controller, "StartDateTime", _qt_iso(time_range[0]), type="QString")
    _sub(controller, "EndDateTime", _qt_iso(time_range[1]), type="QString")
    # "period k of T, day d" on the canvas (a title decoration evaluated per frame)
    title_label = _sub(props, "TitleLabel")
    _sub(title_label, "Enabled", "true", type="bool")
    _sub(title_label, "Placement", str(TITLE_TOP_LEFT), type="int")
    _sub(title_label, "Label", period_label(time_range, step_days), type="QString")
    _sub(title_label, "BackgroundColor", "255,255,255,210", type="QString")
    _sub(title_label, "MarginH", "3", type="int")
    _sub(title_label, "MarginV", "2", type="int")
    _sub(title_label, "MarginUnit", "MM", type="QString")

    # the start view: QGIS 3.22+ opens on DefaultViewExtent; older versions use <mapcanvas>
    view = _sub(root, "ProjectViewSettings", UseProjectScales="0", rotation="0")
    _sub(view, "Scales")
    default = _sub(
        view,
        "DefaultViewExtent",
        **{k: f"{v:.3f}" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), extent, strict=True)},
    )
    _srs(default, lcc, map_crs, "Lambert conformal conic (rsoi map.png)")
    time = _sub(
        root,
        "ProjectTimeSettings",
        timeStep=f"{step_days:g}",
        timeStepUnit="d",
        frameRate="1",
        cumulativeTemporalRange="0",
    )
    rng = _sub(time, "TemporalRange")
    _sub(rng, "start", time_range[0])
    _sub(rng, "end", time_range[1])
    ET.indent(root, space=" ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(
        root, encoding="unicode"
    )


def qgz(xml: str, name: str = "plan") -> bytes:
    """The project zipped as QGIS saves a .qgz (one .qgs member), with fixed dates."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{name}.qgs", date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        archive.writestr(info, xml.encode("utf-8"))
    return buf.getvalue()


def embed(gpkg: Path, name: str, content: bytes, modified: str) -> None:
    """Store `content` (.qgz bytes) as project `name` in the GeoPackage, as QGIS does."""
    metadata = json.dumps({"last_modified_time": modified, "last_modified_user": "rsoi"})
    with closing(sqlite3.connect(gpkg)) as con:
        con.execute("PRAGMA synchronous = OFF")  # the caller syncs the finished file once
        con.execute(
            "CREATE TABLE IF NOT EXISTS qgis_projects"
            "(name TEXT PRIMARY KEY, metadata BLOB, content BLOB)"
        )
        con.execute(
            "INSERT OR REPLACE INTO qgis_projects VALUES (?, ?, ?)",
            (name, metadata, content.hex()),
        )
        con.commit()


def read_embedded(gpkg: Path, name: str) -> str:
    """The .qgs XML of an embedded project (KeyError if absent)."""
    with closing(sqlite3.connect(gpkg)) as con:
        row = con.execute("SELECT content FROM qgis_projects WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise KeyError(name)
    with zipfile.ZipFile(io.BytesIO(bytes.fromhex(row[0]))) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".qgs"))
        return archive.read(member).decode("utf-8")
