"""Render one period of a run's plan.gpkg with real QGIS, headless, from its embedded project.

Needs PyQGIS (Debian: ``apt-get install qgis python3-qgis``) and the system Python that
carries it, not the project's virtualenv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 scripts/render_qgis.py runs/<run>/plan.gpkg \\
        --period 7 --out period7.png

It opens ``geopackage:<plan.gpkg>?projectName=rsoi plan`` exactly as *Project > Open From >
GeoPackage* does, then draws the project's layers in the project's order, projection,
background colour and start view, with the temporal filter of the Temporal Controller's frame
for the period (the project's time range cut into steps of its time step). Prints what it
drew per layer; exits 1 if the project or a layer does not load.

``--frames`` draws nothing: it prints, as JSON, every frame of the project's time range and
step with the feature ids each time layer's temporal filter selects in it
and the canvas title the frame shows
(``{"frames": [{"title": ..., "begin": ..., "end": ..., "layers": {name: [fid, ...]}}]}``).
"""

from __future__ import annotations

import argparse
import json
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
    ap.add_argument(
        "--frames", action="store_true", help="print each frame's selected feature ids (JSON)"
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from qgis.core import (
        QgsApplication,
        QgsDateTimeRange,
        QgsExpression,
        QgsExpressionContext,
        QgsExpressionContextScope,
        QgsFeatureRequest,
        QgsInterval,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsTemporalNavigationObject,
        QgsUnitTypes,
        QgsVectorLayer,
        QgsVectorLayerTemporalContext,
    )
    from qgis.PyQt.QtCore import QSize, Qt

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
        # the frames the desktop's Temporal Controller steps through
        navigator = QgsTemporalNavigationObject()
        navigator.setTemporalExtents(full)
        navigator.setFrameDuration(QgsInterval(step, time.timeStepUnit()))

        def selected(layer: QgsVectorLayer, frame: QgsDateTimeRange) -> list[int] | None:
            """Feature ids the layer's temporal filter lets through (None: not a time layer)."""
            props = layer.temporalProperties()
            if not props.isActive():
                return None
            context = QgsVectorLayerTemporalContext()
            context.setLayer(layer)
            request = QgsFeatureRequest().setFilterExpression(
                props.createFilterString(context, frame)
            )
            return sorted(f.id() for f in layer.getFeatures(request))

        if args.frames:
            title = project.readEntry("TitleLabel", "/Label")[0]  # the canvas title decoration
            frames = []
            for number in range(navigator.totalFrameCount()):
                frame = navigator.dateTimeRangeForFrameNumber(number)
                chosen = {layer.name(): selected(layer, frame) for layer in layers}
                scope = QgsExpressionContextScope()
                scope.setVariable("map_start_time", frame.begin())
                context = QgsExpressionContext()
                context.appendScope(scope)
                frames.append(
                    {
                        "title": QgsExpression.replaceExpressionText(title, context),
                        "begin": frame.begin().toString(Qt.ISODate),
                        "end": frame.end().toString(Qt.ISODate),
                        "include_end": frame.includeEnd(),
                        "layers": {k: v for k, v in chosen.items() if v is not None},
                    }
                )
            print(json.dumps({"frames": frames}))
            return 0
        period = navigator.dateTimeRangeForFrameNumber(args.period - 1)
        assert isinstance(period, QgsDateTimeRange)

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
            ids = selected(layer, period)
            shown = layer.featureCount() if ids is None else len(ids)
            print(f"  {layer.name():<18} {shown:>4} of {layer.featureCount():>4} features")
        print(f"wrote {args.out}")
    finally:
        app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main())
