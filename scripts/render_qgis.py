"""Render one period of a run's plan.gpkg with real QGIS, headless, from its embedded project.

Needs PyQGIS (Debian: ``apt-get install qgis python3-qgis``) and the system Python that
carries it, not the project's virtualenv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/render_qgis.py runs/<run>/plan.gpkg \\
        --period 7 --out period7.png

It opens ``geopackage:<plan.gpkg>?projectName=rsoi plan`` exactly as *Project > Open From >
GeoPackage* does, then draws the project's layers in the project's order, projection,
background colour and start view, with the temporal filter set to the period (QGIS's
temporal controller: features whose [period_start, period_end) overlaps the period).
Prints what it drew per layer; exits 1 if the project or a layer does not load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROJECT_NAME = "rsoi plan"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gpkg", type=Path)
    ap.add_argument("--period", type=int, default=1, help="period to show (1 = C-day)")
    ap.add_argument("--out", type=Path, default=Path("qgis_period.png"))
    ap.add_argument("--width", type=int, default=1400)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from qgis.core import (
        QgsApplication,
        QgsDateTimeRange,
        QgsFeatureRequest,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsUnitTypes,
        QgsVectorLayer,
        QgsVectorLayerTemporalContext,
    )
    from qgis.PyQt.QtCore import QSize

    app = QgsApplication([], False)
    app.initQgis()
    try:
        project = QgsProject.instance()
        uri = f"geopackage:{args.gpkg.resolve()}?projectName={PROJECT_NAME}"
        if not project.read(uri):
            print(f"cannot open {uri}", file=sys.stderr)
            return 1
        layers = [node.layer() for node in project.layerTreeRoot().findLayers()]
        if any(layer is None or not layer.isValid() for layer in layers):
            print("a layer of the project did not load", file=sys.stderr)
            return 1
        time = project.timeSettings()
        full = time.temporalRange()
        step = time.timeStep()
        if time.timeStepUnit() != QgsUnitTypes.TemporalDays:
            print("project time step is not in days", file=sys.stderr)
            return 1
        start = full.begin().addSecs(int((args.period - 1) * step * 86400))
        period = QgsDateTimeRange(start, start.addSecs(int(step * 86400)), True, False)

        settings = QgsMapSettings()
        settings.setLayers(layers)
        settings.setDestinationCrs(project.crs())
        extent = project.viewSettings().defaultViewExtent()
        settings.setExtent(extent)
        ratio = extent.height() / extent.width()
        settings.setOutputSize(QSize(args.width, int(args.width * ratio)))
        settings.setBackgroundColor(project.backgroundColor())
        settings.setIsTemporal(True)
        settings.setTemporalRange(period)
        settings.setFlag(QgsMapSettings.DrawLabeling, True)
        settings.setFlag(QgsMapSettings.Antialiasing, True)

        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage().save(str(args.out), "PNG")

        print(f"period {args.period}: {period.begin().toString('yyyy-MM-ddThh:mm')}Z")
        for layer in layers:
            assert isinstance(layer, QgsVectorLayer)
            props = layer.temporalProperties()
            shown = layer.featureCount()
            if props.isActive():
                context = QgsVectorLayerTemporalContext()
                context.setLayer(layer)
                expr = props.createFilterString(context, period)
                shown = sum(
                    1 for _ in layer.getFeatures(QgsFeatureRequest().setFilterExpression(expr))
                )
            print(f"  {layer.name():<18} {shown:>4} of {layer.featureCount():>4} features")
        print(f"wrote {args.out}")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
