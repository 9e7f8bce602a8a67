"""Screenshots of the QGIS desktop as a reviewer sees the plan (run inside QGIS)::

    RSOI_SHOTS=/tmp/shots xvfb-run -a -s "-screen 0 1600x1000x24" qgis --noversioncheck \\
        --nologo --code scripts/qgis_desktop_shots.py \\
        --project "geopackage:runs/<run>/plan.gpkg?projectName=rsoi plan"

Once the project has opened it shows the Temporal Controller panel, steps to frames 1, 5 and
20 (periods 1, 5 and 20) and saves the whole window with the legend open as
``frame01.png`` ...; then it runs Identify on the allocation point at ``RSOI_SHOTS_PLACE``
(default ``taiwan_waters``) in period 5 and saves ``identify.png``. Leaves with os._exit (QGIS
3.22 can crash while tearing down under Xvfb).
"""

import os

from qgis.core import QgsCoordinateTransform, QgsFeatureRequest, QgsProject
from qgis.PyQt.QtCore import QPoint, Qt, QTimer
from qgis.PyQt.QtTest import QTest
from qgis.PyQt.QtWidgets import QApplication, QDockWidget
from qgis.utils import iface

OUT = os.environ.get("RSOI_SHOTS", "shots")
PLACE = os.environ.get("RSOI_SHOTS_PLACE", "taiwan_waters")
FRAMES = (1, 5, 20)
WAIT_MS = 2500


def save(name: str) -> None:
    QApplication.processEvents()
    iface.mainWindow().grab().save(os.path.join(OUT, name), "PNG")


def show_panels() -> None:
    """The whole screen; the Layers panel (the legend) wide and tall, the Temporal Controller
    shown, the Browser closed."""
    window = iface.mainWindow()
    window.setGeometry(0, 0, 1600, 1000)
    layers = None
    for dock in window.findChildren(QDockWidget):
        name = dock.objectName()
        if "Browser" in name:
            dock.hide()
        elif "Temporal" in name or name == "Layers":
            dock.show()
            dock.raise_()
            layers = dock if name == "Layers" else layers
    if layers is not None:
        window.resizeDocks([layers], [520], Qt.Horizontal)


def controller():
    return iface.mapCanvas().temporalController()


def step(queue: list) -> None:
    if not queue:
        os._exit(0)
    action, *rest = queue.pop(0)
    action(*rest)
    QTimer.singleShot(WAIT_MS, lambda: step(queue))


def go_to_frame(period: int) -> None:
    controller().setCurrentFrameNumber(period - 1)


def identify_allocation(period: int) -> None:
    project = QgsProject.instance()
    layer = project.mapLayersByName("allocations")[0]
    request = QgsFeatureRequest().setFilterExpression(
        f'"place" = \'{PLACE}\' AND "period" = {period}'
    )
    feature = next(layer.getFeatures(request))
    canvas = iface.mapCanvas()
    to_map = QgsCoordinateTransform(layer.crs(), canvas.mapSettings().destinationCrs(), project)
    point = to_map.transform(feature.geometry().asPoint())
    pixel = canvas.getCoordinateTransform().transform(point)
    iface.actionIdentify().trigger()
    QTest.mouseClick(
        canvas.viewport(), Qt.LeftButton, Qt.NoModifier, QPoint(int(pixel.x()), int(pixel.y()))
    )


def widen_identify() -> None:
    """The Identify Results panel wide enough for the field names (words with units)."""
    from qgis.PyQt.QtWidgets import QTreeWidget

    window = iface.mainWindow()
    for dock in window.findChildren(QDockWidget):
        if "Identify" in dock.objectName():
            window.resizeDocks([dock], [760], Qt.Horizontal)
            for tree in dock.findChildren(QTreeWidget):
                tree.expandAll()
                tree.resizeColumnToContents(0)


os.makedirs(OUT, exist_ok=True)
plan = [(show_panels,)]
for k in FRAMES:
    plan += [(go_to_frame, k), (save, f"frame{k:02d}.png")]
# the first click opens the Identify Results panel (the canvas shrinks); the second, at the
# point's new pixel, fills it
plan += [(go_to_frame, 5), (identify_allocation, 5), (identify_allocation, 5)]
plan += [(widen_identify,), (save, "identify.png")]
QTimer.singleShot(4000, lambda: step(plan))
