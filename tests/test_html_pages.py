"""Every HTML page rsoi writes, loaded in headless Chromium: no console message, and the run
report's map draws its places.

Chromium is Debian's `chromium` (not a Python dependency): CI installs it (.ci/run) and sets
RSOI_REQUIRE_CHROMIUM, so there these never skip. The pages come from the shipped model (run
report, compare: the places outside both theaters that once broke the map are there) and from
the small hand-worked models of the analysis tests (frontier, policies, hedge, interdict).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyogrio
import pytest

from tests.helpers import SHIPPED, run_cli
from tests.test_analysis import rich_model, two_theater_model
from tests.test_hedge import two_ports
from tests.test_interdict import redundant_ports
from tests.tiny import write_model

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if os.environ.get("RSOI_REQUIRE_CHROMIUM") and not CHROMIUM:  # CI installs it: never skip there
    raise RuntimeError("RSOI_REQUIRE_CHROMIUM is set but no chromium is on PATH")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (apt-get install chromium); CI installs it",
)

CONSOLE = re.compile(r":CONSOLE[:(]")  # Chromium's log line of a page console message


def load_page(path: Path) -> tuple[list[str], str]:
    """(console messages, DOM after the page's scripts ran) of `path` in headless Chromium."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="rsoi-chromium-") as profile:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", f"--user-data-dir={profile}", "--enable-logging=stderr",
             "--v=0", "--window-size=1400,1000", "--dump-dom", path.resolve().as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if CONSOLE.search(line)]
    return console, proc.stdout


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """One page of every kind rsoi writes."""
    tmp = tmp_path_factory.mktemp("pages")
    out: dict[str, Path] = {}

    def cli(*args) -> None:
        code, _, stderr = run_cli(*args)
        assert code == 0, stderr

    cli("solve", SHIPPED, "--out", tmp / "run", "--quiet")
    out["report"] = tmp / "run" / "report.html"
    cli("solve", SHIPPED, "--scenario", "korea_alone", "--out", tmp / "alone", "--quiet")
    cli("compare", tmp / "run", tmp / "alone", "--out", tmp / "compare")
    out["compare"] = tmp / "compare" / "compare.html"
    small = tmp / "small"
    small.mkdir()
    frontier = write_model(two_theater_model(), small, "frontier.yaml")
    cli("frontier", frontier, "--points", "2", "--out", tmp / "frontier", "--workers", "1")
    out["frontier"] = tmp / "frontier" / "report.html"
    policies = write_model(rich_model(), small, "policies.yaml")
    cli("policies", policies, "--out", tmp / "policies", "--check", "none", "--workers", "1")
    out["policies"] = tmp / "policies" / "report.html"
    hedge = write_model(two_ports(), small, "hedge.yaml")
    cli("hedge", hedge, "--out", tmp / "hedge")
    out["hedge"] = tmp / "hedge" / "report.html"
    interdict = write_model(redundant_ports(), small, "interdict.yaml")
    cli("interdict", interdict, "--k", "2", "--candidates", "ports", "--out", tmp / "interdict")
    out["interdict"] = tmp / "interdict" / "report.html"
    return out


@pytest.mark.parametrize(
    "kind", ["report", "compare", "frontier", "policies", "hedge", "interdict"]
)
def test_page_loads_without_a_console_message(pages: dict[str, Path], kind: str) -> None:
    console, dom = load_page(pages[kind])
    assert not console, console
    assert "</section>" in dom  # the page's body was built, not an error page


def test_run_report_map_draws_every_place(pages: dict[str, Path]) -> None:
    """The map script ran to its end: every place of plan.gpkg drawn, labels placed."""
    console, dom = load_page(pages["report"])
    assert not console, console
    places = len(pyogrio.read_dataframe(pages["report"].parent / "plan.gpkg", layer="places"))
    drawn = re.search(r'data-drawn-places="(\d+)"', dom)
    assert drawn is not None, "the map script stopped before drawing"
    assert int(drawn.group(1)) == places > 0
    labels = int(re.search(r'data-drawn-labels="(\d+)"', dom).group(1))
    assert 0 < labels <= places
    # circles were resized to the screen (the script's first step), not left at the 5 km default
    radii = set(re.findall(r'<circle class="feat place"[^>]* r="([\d.]+)"', dom))
    assert radii and "5" not in radii


MEASURE = """<script>
document.querySelectorAll('details').forEach(d => { d.open = true; });
const tables = [...document.querySelectorAll('table')].map(t => {
  const r = t.getBoundingClientRect(), box = t.parentElement.getBoundingClientRect();
  return {width: r.width, box: box.width, right: r.right,
          numeric: [...t.querySelectorAll('th.n')].map(h => h.textContent),
          headers: [...t.querySelectorAll('th')].map(h => h.textContent),
          cells: [...t.querySelectorAll('td')].map(c => c.textContent)};
});
const sections = [...document.querySelectorAll('section')].map(s => ({
  id: s.id,
  coloured: [...s.querySelectorAll('td')].filter(c =>
      c.classList.contains('better') || c.classList.contains('worse') ||
      (c.getAttribute('style') || '').includes('background')).length,
  legends: s.querySelectorAll('.legend').length}));
document.body.setAttribute('data-measured', JSON.stringify({
  page: document.documentElement.scrollWidth, tables: tables, sections: sections}));
</script>"""


DIMENSIONLESS = {"period", "probability", "rank"}  # numeric headers that need no unit


def measure(path: Path, tmp_path: Path) -> dict:
    """Tables, headers and colour keys of a page as Chromium lays it out 1,400 px wide (every
    <details> opened): a copy of the page with a measuring script at the end of its body."""
    copy = tmp_path / path.name
    copy.write_text(
        path.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    console, dom = load_page(copy)
    assert not console, console
    found = re.search(r'data-measured="([^"]*)"', dom)
    assert found is not None, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize(
    "kind", ["report", "compare", "frontier", "policies", "hedge", "interdict"]
)
def test_tables_fit_1400_px_with_worded_headers_and_a_key_for_every_colour(
    pages: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    """In a 1,400 px window nothing scrolls sideways: every table fits its box (long text
    wraps, per-period tables come in blocks); numeric headers are words with a unit in
    brackets (or P<k>, a period under a caption); no header is a raw column id; a section
    with coloured cells has a colour key; no cell reads "nan" (compare's demand rows outside
    both theaters read "none")."""
    seen = measure(pages[kind], tmp_path)
    assert seen["page"] <= 1400, seen["page"]
    assert seen["tables"]
    for t in seen["tables"]:
        assert t["width"] <= t["box"] + 1 and t["right"] <= 1400, (t["headers"], t["width"])
        for header in t["headers"]:  # a model id inside a header is fine; a column id is not
            assert not re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", header.strip()), header
        for header in t["numeric"]:
            plain = re.fullmatch(r"P\d+", header) or header in DIMENSIONLESS
            assert plain or "(" in header, header
        assert "nan" not in {c.strip().lower() for c in t["cells"]}, t["headers"]
    for section in seen["sections"]:
        if section["coloured"]:
            assert section["legends"], section["id"]


def test_a_page_error_is_caught(tmp_path: Path) -> None:
    """The check itself: a page whose script throws is reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><body><script>JSON.parse("[NaN]")</script></body></html>')
    console, _ = load_page(page)
    assert any("not valid JSON" in line or "SyntaxError" in line for line in console), console
