"""scripts/render_qgis.py: real QGIS opens the embedded project headless and renders a period.

Runs only where PyQGIS is installed (Debian `python3-qgis`, for the system Python): QGIS is
not a Python dependency of rsoi and cannot be installed from PyPI. tests/test_qgis.py checks
the same GeoPackage settings without QGIS, everywhere.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from rsoi.outputs.export import export_run
from rsoi.outputs.gis import TIME_LAYERS

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = shutil.which("python3", path="/usr/bin") or "/usr/bin/python3"


def _has_pyqgis() -> bool:
    try:
        probe = subprocess.run(
            [SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


if os.environ.get("RSOI_REQUIRE_QGIS") and not _has_pyqgis():  # CI installs it: never skip there
    raise RuntimeError("RSOI_REQUIRE_QGIS is set but PyQGIS does not import for /usr/bin/python3")

pytestmark = pytest.mark.skipif(
    not _has_pyqgis(),
    reason="PyQGIS not installed for /usr/bin/python3 (apt-get install qgis python3-qgis); "
    "QGIS is not on PyPI, so this render check runs only where the Debian packages are",
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    from rsoi.pipeline import run_model, write_run

    out = tmp_path_factory.mktemp("render") / "run"
    write_run(run_model(ROOT / "models" / "korea_taiwan.yaml"), out)
    export_run(out)
    return out


def render_qgis(*args: str) -> subprocess.CompletedProcess:
    """scripts/render_qgis.py under the system Python (PyQGIS), headless."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [SYSTEM_PYTHON, str(ROOT / "scripts" / "render_qgis.py"), *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.fixture(scope="module")
def frames_report(folder: Path) -> dict:
    """render_qgis.py --frames: per frame, the ids each layer's filter selects and draws."""
    return json.loads(render_qgis(str(folder / "plan.gpkg"), "--frames").stdout)


def test_every_frame_shows_exactly_its_own_period(folder: Path, frames_report: dict) -> None:
    """Each Temporal Controller frame of the project's own range and step lets through exactly
    the features of one period, in every time layer (ids as QGIS reads them vs the `period`
    column as GDAL reads it)."""
    frames = frames_report["frames"]
    periods = int(pd.read_csv(folder / "apportionment.csv")["period"].max())  # every period
    assert len(frames) == periods == 30
    for layer in TIME_LAYERS:
        table = pyogrio.read_dataframe(folder / "plan.gpkg", layer=layer, fid_as_index=True)
        assert len(table), layer
        for number, frame in enumerate(frames):
            expected = sorted(int(i) for i in table.index[table["period"] == number + 1])
            assert frame["layers"][layer] == expected, (layer, number + 1, frame["begin"])
            if layer == "flows":  # one drawn line stands for a route's commodities
                expected = sorted(set(expected) & {int(i) for i in table.index[table["drawn"]]})
            assert frame["drawn"][layer] == expected, (layer, number + 1, frame["begin"])


def test_routes_layer_draws_a_route_only_in_periods_with_flow(
    folder: Path, frames_report: dict
) -> None:
    """In frame k the routes layer draws exactly the routes that carry flow in period k (and
    closed routes, which are closed all horizon): none in the last periods, when nothing
    moves any more."""
    routes = pyogrio.read_dataframe(folder / "plan.gpkg", layer="routes", fid_as_index=True)
    flows = pd.read_csv(folder / "flows.csv")
    flows = flows[flows["short_tons"] > 0]
    closed = set(routes.index[routes["closed"]])
    fid = {route: int(i) for i, route in routes["id"].items()}
    for number, frame in enumerate(frames_report["frames"]):
        moving = {fid[r] for r in flows.loc[flows["period"] == number + 1, "route"]}
        assert set(frame["drawn"]["routes"]) == moving | closed, number + 1
    assert frames_report["frames"][-1]["drawn"]["routes"] == sorted(closed)


def test_no_two_lines_of_a_frame_lie_on_top_of_each_other(
    folder: Path, frames_report: dict
) -> None:
    """Flows drawn in a frame are one per route (commodities merged); apportionment lines
    sharing a home and a theater in a frame are drawn at different side offsets."""
    gpkg = folder / "plan.gpkg"
    flows = pyogrio.read_dataframe(gpkg, layer="flows", fid_as_index=True)
    app = pyogrio.read_dataframe(gpkg, layer="apportionment", fid_as_index=True)
    for frame in frames_report["frames"]:
        drawn = flows.loc[frame["drawn"]["flows"]]
        assert not drawn.duplicated("route").any(), frame["begin"]
        lines = app.loc[frame["drawn"]["apportionment"]]
        assert not lines.duplicated(["home", "anchor", "offset_mm"]).any(), frame["begin"]


def test_allocation_circles_are_drawn_above_the_place_symbols(frames_report: dict) -> None:
    order = frames_report["layer_order"]  # QGIS's render order, top first
    assert order.index("allocations") < order.index("places")
    assert order.index("places") < order.index("flows") < order.index("routes")
    assert order[-1].startswith("basemap_")


@pytest.mark.parametrize("period", [1, 5, 20])
def test_place_labels_do_not_collide_in_a_real_render(
    folder: Path, tmp_path: Path, period: int
) -> None:
    """QGIS places every label box apart from every other (no "Busane AB" where Busan and
    Gimhae AB overprinted), and still labels the theater anchors and Busan."""
    png = tmp_path / "frame.png"
    render_qgis(str(folder / "plan.gpkg"), "--period", str(period), "--out", str(png), "--labels")
    labels = json.loads(png.with_suffix(".labels.json").read_text())["labels"]
    places = [label for label in labels if label["layer"] == "places"]
    assert len(places) >= 15
    for i, a in enumerate(places):
        for b in places[i + 1 :]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
            overlap = ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1
            assert not overlap, (a["text"], b["text"])
    texts = {label["text"] for label in places}
    assert {"Busan", "Camp Humphreys", "Taichung"} <= texts


def test_identify_on_an_allocation_point_names_the_place_and_each_theater(folder: Path) -> None:
    """What Identify shows on a point serving two theaters: the title names the place beside
    its id and both theaters; the breakdown says which provider row serves which."""
    import pyogrio

    layer = pyogrio.read_dataframe(folder / "plan.gpkg", layer="allocations")
    point = layer[layer["theater"] == "korea,taiwan"].iloc[0]
    place, period = point["place"], int(point["period"])
    shown = json.loads(
        render_qgis(
            str(folder / "plan.gpkg"), "--identify", "allocations",
            f"\"place\" = '{place}' AND \"period\" = {period}",
        ).stdout
    )["features"]  # fmt: skip
    assert len(shown) == 1
    title, fields = shown[0]["title"], shown[0]["fields"]
    assert title == f"{point['name']} ({place}), period {period}, serving korea,taiwan"
    breakdown = fields["per provider, task and theater"]  # fields under their aliases
    assert " for korea: " in breakdown and " for taiwan: " in breakdown
    assert fields["theaters served"] == "korea,taiwan"
    # units in the field names: capability in the task's unit, never summed across tasks
    assert any(name.endswith("(short tons/day escorted)") for name in fields)
    flows = json.loads(
        render_qgis(str(folder / "plan.gpkg"), "--identify", "flows", '"period" = 1').stdout
    )["features"]
    assert flows and all(" → " in f["title"] and "period 1" in f["title"] for f in flows)


def test_qgis_opens_the_project_and_renders_one_period(folder: Path, tmp_path: Path) -> None:
    png = tmp_path / "period.png"
    proc = render_qgis(
        str(folder / "plan.gpkg"), "--period", "7", "--out", str(png), "--width", "600"
    )
    assert png.stat().st_size > 10_000
    counts = {
        line.split()[0]: (int(line.split()[1]), int(line.split()[3]))
        for line in proc.stdout.splitlines()
        if line.startswith("  ")
    }
    # the time filter is on: a period shows some of the flows, not all of them
    shown, total = counts["flows"]
    assert 0 < shown < total
    assert counts["places"][0] == counts["places"][1]  # places are not time layers


README = ROOT / "README.md"
QGIS_DESKTOP = shutil.which("qgis")
XVFB_RUN = shutil.which("xvfb-run")
if os.environ.get("RSOI_REQUIRE_QGIS") and not (QGIS_DESKTOP and XVFB_RUN):
    raise RuntimeError("RSOI_REQUIRE_QGIS is set but the qgis desktop or xvfb-run is missing")


def readme_qgis_commands() -> list[str]:
    """Every shell command the README gives that starts the QGIS desktop."""
    return re.findall(r"`(qgis [^`]+)`", README.read_text(encoding="utf-8"))


def open_in_desktop(command: str, folder: Path, tmp_path: Path) -> dict:
    """Run a README command (its run folder pointed at `folder`) in the QGIS desktop under
    Xvfb; tests/qgis/desktop_probe.py reports what opened."""
    words = shlex.split(command.replace("runs/<run>", str(folder)))
    assert words[0] == "qgis"
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "probe.json"
    env = {**os.environ, "RSOI_PROBE_OUT": str(out)}
    env.pop("PYTHONPATH", None)
    probe = ROOT / "tests" / "qgis" / "desktop_probe.py"
    subprocess.run(
        [XVFB_RUN, "-a", "-s", "-screen 0 1600x1000x24", QGIS_DESKTOP, "--noversioncheck",
         "--nologo", "--profiles-path", str(tmp_path / "profiles"), "--code", str(probe),
         *words[1:]],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert out.is_file(), f"QGIS did not run the probe for: {command}"
    return json.loads(out.read_text())


@pytest.mark.skipif(QGIS_DESKTOP is None or XVFB_RUN is None, reason="no qgis desktop/xvfb-run")
def test_readme_commands_open_the_plan_in_the_qgis_desktop(folder: Path, tmp_path: Path) -> None:
    """Each README command opens the embedded project: every layer loaded, legend expanded,
    the Temporal Controller animated on period 1 (C-day) rather than off."""
    from rsoi.outputs.gis import LAYERS, PROJECT_NAME

    commands = readme_qgis_commands()
    assert commands, "the README gives no QGIS command"
    for n, command in enumerate(commands):
        seen = open_in_desktop(command, folder, tmp_path / str(n))
        assert seen["file"].endswith(f"plan.gpkg?projectName={PROJECT_NAME}"), (command, seen)
        assert seen["layers"] == list(LAYERS) and all(seen["valid"]), (command, seen)
        assert all(seen["expanded"]), seen
        assert seen["navigation_mode"] == 1 and seen["frame"] == 0, seen  # Animated, frame 1
        assert seen["canvas_temporal"] and seen["canvas_begin"] == "2030-01-01T00:00:00", seen


def test_canvas_title_names_the_period_and_day(frames_report: dict) -> None:
    """The canvas title decoration reads "period k of 30, day d (C+n)" at every frame: frame
    k (0-based) starts 2k days after C-day, so it is period k + 1 and day 2k + 1."""
    frames = frames_report["frames"]
    for number, frame in enumerate(frames):
        assert frame["title"].startswith(
            f"period {number + 1} of 30, day {2 * number + 1} (C+{2 * number})"
        ), frame["title"]
