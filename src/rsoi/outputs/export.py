"""Export of a finished run: ``plan.gpkg`` with QGIS styles, GeoJSON, map and report.

`export_run` is the one entry point. It reads the run folder's CSVs and ``summary.json``,
re-loads the model (for geometry and capacities) and writes every file atomically.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio

from rsoi.lp.prepare import Prepared
from rsoi.outputs.gis import (
    FIXED_TIME,
    PROJECT_NAME,
    build_layers,
    layer_styles,
    map_basemap,
    project_content,
    qml,
    run_styles,
    style_values,
)
from rsoi.outputs.rundata import load_run, map_title
from rsoi.results.tables import refuse_links, remove_write_leftovers


@contextlib.contextmanager
def gdal_options(options: dict[str, str]) -> Iterator[None]:
    """GDAL configuration `options` while the block runs (the previous values after)."""
    previous = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(previous)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write` on a fresh temporary name beside `path`, then rename it into place.

    Never through a link: `path` (or a folder on the way) being a symlink is exit 2.
    """
    refuse_links(path, "output file")
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


def write_gpkg(
    layers: dict[str, gpd.GeoDataFrame],
    path: Path,
    period_days: float,
    project: bytes | None = None,
    values: dict[str, str] | None = None,
) -> Path:
    """Write a GeoPackage 1.2 with every layer, the QGIS `layer_styles` table and, given its
    .qgz bytes, the embedded QGIS project (table `qgis_projects`)."""
    from rsoi.outputs import qgis_project

    def write(tmp: Path) -> None:
        # synchronous=OFF: no fsync per layer (the slowest part of the write); the file is a
        # temporary one, synced once below before it is renamed into place
        options = {"OGR_CURRENT_DATE": FIXED_TIME, "OGR_SQLITE_SYNCHRONOUS": "OFF"}
        with gdal_options(options):
            for i, (name, frame) in enumerate(layers.items()):
                pyogrio.write_dataframe(
                    frame,
                    tmp,
                    layer=name,
                    driver="GPKG",
                    dataset_options={"VERSION": "1.2"} if i == 0 else None,
                )
            pyogrio.write_dataframe(
                layer_styles(run_styles(list(layers), period_days, values)),
                tmp,
                layer="layer_styles",
                driver="GPKG",
                layer_options={"FID": "id"},
            )
        if project is not None:
            qgis_project.embed(tmp, PROJECT_NAME, project, FIXED_TIME)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())

    return atomic_write(path, write)


def write_geojson(
    layers: dict[str, gpd.GeoDataFrame],
    folder: Path,
    period_days: float,
    values: dict[str, str] | None = None,
) -> list[Path]:
    """RFC 7946 GeoJSON of each layer, with its QGIS style (.qml) beside it."""
    refuse_links(folder, "geojson folder")
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
        out.append(write_text(folder / f"{name}.qml", qml(name, period_days, values)))
    return out


def write_bytes(path: Path, data: bytes) -> Path:
    """Write bytes atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically (LF line ends)."""
    return write_bytes(path, text.encode("utf-8"))


def export_run(
    folder: Path,
    geojson: bool = False,
    prep: Prepared | None = None,
    timings: dict[str, float] | None = None,
    summary: dict | None = None,
) -> list[Path]:
    """Write plan.gpkg, map.png, map.svg, report.html (and geojson/) into a finished run folder.

    The model is re-loaded from ``summary.json``'s ``model_file`` (relative to the current
    directory) with the run's scenario, unless the run's `prep` is passed; `summary` is the
    run's summary while it is being written (else summary.json is read). Returns the paths
    written. `timings` (if given) receives seconds per step as ``export_<step>``.
    """
    clock = _Clock(timings)
    from rsoi.outputs.mapping import LCC, WATER, map_extent, render_map
    from rsoi.outputs.report import render_report

    clock.lap("imports")
    folder = Path(folder)
    refuse_links(folder, "RUN_DIR")
    run = load_run(folder, prep, summary)
    remove_write_leftovers(folder)
    clock.lap("read")
    layers = build_layers(run)
    drawing = {**layers, **map_basemap(run)}  # the map and report also draw map-scale layers
    clock.lap("layers")
    images = render_map(drawing, title=map_title(run))
    written = [
        write_bytes(folder / "map.png", images["png"]),
        write_bytes(folder / "map.svg", images["svg"]),
    ]
    clock.lap("map")
    xmin, ymin, xmax, ymax = map_extent(layers)
    top = ymax + 0.08 * (ymax - ymin)  # room for the canvas title above the northern places
    project = project_content(run, layers, (xmin, ymin, xmax, top), LCC, WATER)
    values = style_values(run, layers)
    written.insert(0, write_gpkg(layers, folder / "plan.gpkg", run.days, project, values))
    clock.lap("gpkg")
    written.append(write_text(folder / "report.html", render_report(run, drawing, images["png"])))
    clock.lap("report")
    if geojson:
        written += write_geojson(layers, folder / "geojson", run.days, values)
        clock.lap("geojson")
    return written


def preload() -> None:
    """Import the drawing stack now (the export worker does this while the solve runs)."""
    import rsoi.outputs.mapping
    import rsoi.outputs.report  # noqa: F401


class _Clock:
    """Adds the seconds since the previous lap to ``timings['export_<name>']``."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[f"export_{name}"] = now - self.t
        self.t = now
