"""Tests for rsoi.outputs.report: self-contained, offline, escaped, with every section."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rsoi.outputs.export import export_run
from rsoi.outputs.report import PERIODS_PER_TABLE, binding_groups, table
from rsoi.pipeline import run_model, write_run

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
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "run"
    write_run(run_model(MODEL), folder)
    export_run(folder)
    return folder


@pytest.fixture(scope="module")
def html(run_dir: Path) -> str:
    return (run_dir / "report.html").read_text(encoding="utf-8")


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


def test_apportionment_is_a_chart_with_one_panel_per_force_group(html: str, run_dir: Path) -> None:
    section = html[html.index('id="apportionment"') : html.index('id="utilisation"')]
    app = pd.read_csv(run_dir / "apportionment.csv")
    groups = re.findall(r'<figure class="panel"><figcaption>(.*?)</figcaption>', section)
    expected = set(app.loc[app["share"] > 0, "assignment"])
    assert len(groups) == len(expected) >= 2
    assert section.count("<rect ") > 30  # stacked bars, not a table only


def test_wide_period_tables_wrap_into_blocks(html: str) -> None:
    for head in re.findall(r"<thead><tr>(.*?)</tr></thead>", html):
        period_columns = [h for h in re.findall(r"<th[^>]*>(.*?)</th>", head) if h.isdigit()]
        assert len(period_columns) <= PERIODS_PER_TABLE
    assert "periods 16–30" in html  # the 30-period tables continue in a second block


def test_shadow_prices_are_grouped_per_family_and_entity(html: str) -> None:
    section = html[html.index('id="binding"') : html.index('id="credits"')]
    body = section[section.index("Largest shadow prices") :]
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", body)
    assert rows
    assert len(rows) == len(set(rows))  # each family x entity once


def test_binding_groups_by_hand() -> None:
    """Three rows of one family/entity bind in periods 1, 2 and 4 at prices -1, -3, -2:
    one group of 3 rows, periods '1–2, 4', prices -3 … -1, named by its -3 row."""
    bind = pd.DataFrame(
        {
            "constraint": ["cap[a,1]", "cap[a,2]", "cap[a,4]", "cap[b,1]"],
            "family": ["cap"] * 4,
            "entity_kind": ["place"] * 4,
            "entity": ["a", "a", "a", "b"],
            "period": [1, 2, 4, 1],
            "shadow_price": [-1.0, -3.0, -2.0, 0.5],
            "source": ["s"] * 4,
        }
    )
    groups = binding_groups(bind)
    assert list(groups["entity"]) == ["a", "b"]
    a = groups.iloc[0]
    assert (a["rows"], a["periods"], a["constraint"]) == (3, "1–2, 4", "cap[a,2]")
    assert (a["price_min"], a["price_max"]) == (-3.0, -1.0)


def test_stability_part_is_explained(html: str) -> None:
    row = re.search(r"<td[^>]*>stability</td><td[^>]*>.*?</td><td[^>]*>(.*?)</td>", html)
    assert row and "apportionment_stability_weight" in row.group(1)


def test_report_does_not_import_gis() -> None:
    code = "import sys, rsoi.outputs.report; print('rsoi.outputs.gis' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_apportionment_chart_draws_an_in_transit_band(run_dir: Path) -> None:
    """A share `in_transit` between theaters (no anchor place) is its own grey band."""
    from rsoi.outputs.report import TRANSIT_COLOR, apportionment_chart, apportionment_shares
    from rsoi.outputs.rundata import IN_TRANSIT, load_run

    run = load_run(run_dir)
    table = run.tables["apportionment"]
    moving = table[table["share"] > 0].iloc[[0]].assign(theater=IN_TRANSIT, share=0.25)
    run.tables["apportionment"] = pd.concat([table, moving], ignore_index=True)
    shares = apportionment_shares(run)
    assert IN_TRANSIT in set(shares["theater"])
    chart = apportionment_chart(run)
    assert "in transit" in chart
    assert f'fill="{TRANSIT_COLOR}"' in chart


def test_compare_names_a_demand_outside_both_theaters_none_not_nan() -> None:
    """A demand row at a place outside both theaters (Kadena, Andersen) has an empty theater
    in shortfalls.csv; compare's page reads "none" there, never "nan"."""
    from rsoi.analysis.compare import _section

    rows = pd.DataFrame(
        {
            "family": ["demand"] * 4,
            "item": ["twn-pgm-kadena", "twn-fuel-andersen", "kor-pgm", "twn-pgm"],
            "theater": [np.nan, np.nan, "korea", "taiwan"],
            "period": [3, 4, 5, 6],
            "unit": ["short tons"] * 4,
            "a": [1.0, 2.0, 3.0, 4.0],
            "b": [0.0, 0.0, 0.0, 0.0],
            "change": [-1.0, -2.0, -3.0, -4.0],
        }
    )
    _, _, body = _section("shortfalls", rows)
    assert ">nan<" not in body.lower()
    assert body.count(">none</td>") == 2
