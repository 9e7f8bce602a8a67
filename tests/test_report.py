"""Tests for rsoi.report: self-contained, offline, escaped, with every section."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from rsoi.gis import export_run
from rsoi.pipeline import run_model, write_run
from rsoi.report import table

MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"
SECTIONS = (
    "summary",
    "map",
    "shortfalls",
    "allocations",
    "apportionment",
    "utilisation",
    "binding",
    "credits",
)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("report") / "run"
    write_run(run_model(MODEL), folder)
    export_run(folder)
    return (folder / "report.html").read_text(encoding="utf-8")


def test_no_external_references(html: str) -> None:
    lowered = html.lower()
    for needle in ("http://", "https://", "//cdn", "ftp://", "@import"):
        assert needle not in lowered, needle
    for attr, value in re.findall(
        r"""\b(src|href|srcset|action|xlink:href)\s*=\s*["']?([^"'\s>]*)""", html, re.I
    ):
        assert value.startswith("data:") or value.startswith("#"), (attr, value[:60])
    for value in re.findall(r"url\(\s*['\"]?([^'\")]*)", html, re.I):
        assert value.startswith("data:") or value.startswith("#"), value[:60]
    assert "<link" not in lowered
    assert "<iframe" not in lowered


def test_sections_map_and_notional_notice(html: str) -> None:
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert "NOTIONAL DATA" in html
    assert "Made with Natural Earth" in html
    assert 'src="data:image/png;base64,' in html
    assert '<svg id="imap"' in html
    assert "shadow price" in html.lower()


def test_embedded_data_is_valid_json_without_script_breaks(html: str) -> None:
    match = re.search(r'<script type="application/json" id="imap-data">(.*?)</script>', html, re.S)
    assert match
    data = json.loads(match.group(1))
    assert any(key.startswith("place:") for key in data)
    assert any(key.startswith("route:") for key in data)
    assert "</" not in match.group(1)


def test_table_escapes_text() -> None:
    out = table(["<h>"], [['<script>alert("x")</script>'], [("a&b", "color:red")]])
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert "&lt;h&gt;" in out
    assert "a&amp;b" in out
