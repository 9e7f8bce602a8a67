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
step with the feature ids each time layer's temporal filter selects in it, the ids each layer's
renderer draws in it (temporal filter and style rules, as the canvas and Identify see them)
and the canvas title the frame shows (``{"layer_order": [...], "frames": [{"title": ...,
"begin": ..., "end": ..., "layers": {name: [fid, ...]}, "drawn": {name: [fid, ...]}}]}``).

``--labels`` (with ``--period``) also writes ``<out>.labels.json``: every label QGIS placed
in the render, with its layer, text and box in map units (``{"labels": [{"layer": ...,
"text": ..., "box": [xmin, ymin, xmax, ymax]}], "unplaced": [...]}``).

``--identify LAYER EXPRESSION`` draws nothing: it prints, as JSON, what the Identify panel
shows for the layer's features matching the expression: the feature's title (the layer's
display expression) and each field under its alias (``{"features": [{"title": ...,
"fields": {alias: value}}]}``).
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
    ap.add_argument(
        "--labels", action="store_true", help="write the labels placed to <out>.labels.json"
    )
    ap.add_argument(
        "--identify", nargs=2, metavar=("LAYER", "EXPRESSION"), help="print what Identify shows"
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from qgis.core import (
        QgsApplication,
        QgsDateTimeRange,
        QgsExpression,
        QgsExpressionContext,
        QgsExpressionContextScope,
        QgsExpressionContextUtils,
        QgsFeatureRequest,
        QgsInterval,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsRenderContext,
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
            """Feature ids the layer's temporal filter lets through (None: no filter)."""
            props = layer.temporalProperties()
            if not props.isActive():
                return None
            context = QgsVectorLayerTemporalContext()
            context.setLayer(layer)
            text = props.createFilterString(context, frame)
            if not text:  # "redraw layer only": temporal without a filter
                return None
            request = QgsFeatureRequest().setFilterExpression(text)
            return sorted(f.id() for f in layer.getFeatures(request))

        def map_settings(frame: QgsDateTimeRange) -> QgsMapSettings:
            settings = QgsMapSettings()
            settings.setLayers(layers)
            settings.setDestinationCrs(project.crs())
            extent = project.viewSettings().defaultViewExtent()
            settings.setExtent(extent)
            ratio = extent.height() / extent.width()
            settings.setOutputSize(QSize(args.width, int(args.width * ratio)))
            settings.setBackgroundColor(project.backgroundColor())
            settings.setIsTemporal(True)
            settings.setTemporalRange(frame)
            settings.setFlag(QgsMapSettings.DrawLabeling, True)
            settings.setFlag(QgsMapSettings.Antialiasing, True)
            # as the desktop canvas does: styles read @map_start_time (the frame's start)
            context = QgsExpressionContext()
            context.appendScope(QgsExpressionContextUtils.globalScope())
            context.appendScope(QgsExpressionContextUtils.projectScope(project))
            context.appendScope(QgsExpressionContextUtils.mapSettingsScope(settings))
            settings.setExpressionContext(context)
            return settings

        def drawn(layer: QgsVectorLayer, frame: QgsDateTimeRange) -> list[int]:
            """Feature ids the layer's renderer draws in the frame (what Identify returns)."""
            settings = map_settings(frame)
            context = QgsRenderContext.fromMapSettings(settings)
            context.expressionContext().appendScope(QgsExpressionContextUtils.layerScope(layer))
            renderer = layer.renderer().clone()
            renderer.startRender(context, layer.fields())
            ids = selected(layer, frame)
            out = []
            for feature in layer.getFeatures():
                if ids is not None and feature.id() not in ids:
                    continue
                context.expressionContext().setFeature(feature)
                if renderer.willRenderFeature(feature, context):
                    out.append(feature.id())
            renderer.stopRender(context)
            return sorted(out)

        if args.identify:
            name, expression = args.identify
            layer = next(layer for layer in layers if layer.name() == name)
            title = QgsExpression(layer.displayExpression())
            context = QgsExpressionContext()
            context.appendScope(QgsExpressionContextUtils.layerScope(layer))
            found = []
            request = QgsFeatureRequest().setFilterExpression(expression)
            for feature in layer.getFeatures(request):
                context.setFeature(feature)
                fields = {
                    layer.attributeDisplayName(i): _plain(feature.attribute(i))
                    for i in range(len(layer.fields()))
                }
                found.append({"title": title.evaluate(context), "fields": fields})
            print(json.dumps({"features": found}))
            return 0

        if args.frames:
            title = project.readEntry("TitleLabel", "/Label")[0]  # the canvas title decoration
            frames = []
            for number in range(navigator.totalFrameCount()):
                frame = navigator.dateTimeRangeForFrameNumber(number)
                chosen = {layer.name(): selected(layer, frame) for layer in layers}
                shown = {layer.name(): drawn(layer, frame) for layer in layers}
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
                        "drawn": shown,
                    }
                )
            order = [layer.name() for layer in project.layerTreeRoot().layerOrder()]
            print(json.dumps({"layer_order": order, "frames": frames}))
            return 0
        period = navigator.dateTimeRangeForFrameNumber(args.period - 1)
        assert isinstance(period, QgsDateTimeRange)

        settings = map_settings(period)
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        job.renderedImage().save(str(args.out), "PNG")
        if args.labels:
            names = {layer.id(): layer.name() for layer in layers}
            placed, unplaced = [], []
            for label in job.takeLabelingResults().allLabels():
                box = label.labelRect
                entry = {
                    "layer": names.get(label.layerID, label.layerID),
                    "text": label.labelText,
                    "box": [box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()],
                }
                (unplaced if label.isUnplaced else placed).append(entry)
            labels = args.out.with_suffix(".labels.json")
            labels.write_text(json.dumps({"labels": placed, "unplaced": unplaced}))

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


def _plain(value: object) -> object:
    """A field value as JSON (QDateTime and NULL to text / None)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isNull") and value.isNull():
        return None
    if hasattr(value, "toString"):
        return value.toString("yyyy-MM-ddThh:mm:ss")
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
