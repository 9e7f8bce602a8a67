"""Tests for rsoi.outputs.mapping: the static map is drawn, not blank, A4-sized and deterministic."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
import shapely
from matplotlib import image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rsoi.outputs.gis import build_layers, load_run
from rsoi.outputs.mapping import (
    A4_LANDSCAPE,
    DPI,
    _draw,
    fit_extent,
    flow_width,
    render_map,
    shared_once,
)
from rsoi.pipeline import run_model, write_run

MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"


@pytest.fixture(scope="module")
def layers(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("mapping") / "run"
    write_run(run_model(MODEL), folder)
    return build_layers(load_run(folder))


@pytest.fixture(scope="module")
def images(layers: dict) -> dict[str, bytes]:
    return render_map(layers, title="test map")


def test_png_is_a4_and_not_blank(images: dict[str, bytes]) -> None:
    pixels = image.imread(io.BytesIO(images["png"]), format="png")
    height, width = pixels.shape[:2]
    assert abs(width - A4_LANDSCAPE[0] * DPI) <= 1 and abs(height - A4_LANDSCAPE[1] * DPI) <= 1
    rgb = pixels[..., :3]
    assert rgb.std() > 0.05
    colours = np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50
    # the mode colours of the flows are drawn (sea blue, air vermillion)
    for hex_colour in ("#0072B2", "#D55E00"):
        target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
        close = np.abs((rgb * 255).astype(int) - target).sum(axis=-1) < 40
        assert close.sum() > 200, hex_colour


def test_svg_is_deterministic_and_undated(layers: dict, images: dict[str, bytes]) -> None:
    again = render_map(layers, title="test map")
    assert again["svg"] == images["svg"]
    assert again["png"] == images["png"]
    assert b"<dc:date>" not in images["svg"]


def test_credit_and_notional_notice_are_drawn(layers: dict) -> None:
    fig = Figure(figsize=A4_LANDSCAPE, dpi=50)
    FigureCanvasAgg(fig)
    _draw(fig, layers, "t")
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "Made with Natural Earth" in texts
    assert "NOTIONAL DATA" in texts


def test_fit_extent_matches_aspect_and_flow_width_scales() -> None:
    x0, y0, x1, y1 = fit_extent((0, 0, 100, 400), margin=0.0, aspect=1.5)
    assert (x1 - x0) / (y1 - y0) == pytest.approx(1.5)
    assert (y1 - y0) == pytest.approx(400)
    widths = flow_width(np.array([0.0, 50.0, 100.0]), 100.0)
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] - widths[0] == pytest.approx(2 * (widths[1] - widths[0]))


def test_svg_keeps_text_as_text(images: dict[str, bytes]) -> None:
    svg = images["svg"].decode("utf-8")
    texts = re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)
    assert len(texts) > 10
    joined = " ".join(texts)
    assert "Made with Natural Earth" in joined
    assert "Busan" in joined  # a place label, searchable and editable


def test_shared_segments_are_drawn_once() -> None:
    """Two lines sharing the middle segment (1,0)-(2,0): 3 distinct segments, not 4."""
    a = shapely.LineString([(0, 0), (1, 0), (2, 0)])
    b = shapely.LineString([(2, 0), (1, 0), (1, 5)])  # shares (1,0)-(2,0), reversed
    parts = shared_once([a, b])
    segments = sum(len(p) - 1 for p in parts)
    assert segments == 3
    total = sum(float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in parts)
    assert total == pytest.approx(1 + 1 + 5)
