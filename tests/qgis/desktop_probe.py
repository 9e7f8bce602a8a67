"""Run inside the QGIS desktop (``qgis --code tests/qgis/desktop_probe.py ...``): once the
project has opened, write what the reviewer sees to $RSOI_PROBE_OUT as JSON and leave.

Reads the state a reviewer meets at open: the project file, the layers in the layer tree (and
whether each loaded), the Temporal Controller's navigation mode and frame, and the canvas's
temporal range. Leaves with os._exit: QGIS 3.22 can crash while tearing down under Xvfb,
which says nothing about the project.
"""

import json
import os

from qgis.core import QgsProject
from qgis.PyQt.QtCore import QTimer
from qgis.utils import iface


def report() -> None:
    project = QgsProject.instance()
    nodes = project.layerTreeRoot().findLayers()
    canvas = iface.mapCanvas()
    controller = canvas.temporalController()
    frame = canvas.temporalRange()
    out = {
        "file": project.fileName(),
        "layers": [node.name() for node in nodes],
        "valid": [bool(node.layer() and node.layer().isValid()) for node in nodes],
        "expanded": [node.isExpanded() for node in nodes],
        "navigation_mode": int(controller.navigationMode()) if controller else None,
        "frame": controller.currentFrameNumber() if controller else None,
        "canvas_temporal": canvas.mapSettings().isTemporal(),
        "canvas_begin": frame.begin().toString("yyyy-MM-ddThh:mm:ss")
        if frame.begin().isValid()
        else "",
    }
    with open(os.environ["RSOI_PROBE_OUT"], "w", encoding="utf-8") as handle:
        json.dump(out, handle)
    os._exit(0)


QTimer.singleShot(int(os.environ.get("RSOI_PROBE_DELAY_MS", "3000")), report)
