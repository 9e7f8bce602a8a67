"""Light commands stay light: `validate` and `scenarios` never import the map stack.

Run in a fresh interpreter (a subprocess) so modules other tests imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"
HEAVY = (
    "matplotlib",
    "geopandas",
    "pyogrio",
    "rsoi.outputs.gis",
    "rsoi.outputs.export",
    "rsoi.outputs.mapping",
    "rsoi.outputs.report",
)
PROBE = """
import json, sys
from rsoi import cli
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("command", ["validate", "scenarios"])
def test_light_commands_do_not_import_the_map_stack(command: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, command, str(MODEL)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    loaded = set(result["modules"])
    assert "rsoi.model.loader" in loaded  # the probe did run the command
    assert not [m for m in HEAVY if m in loaded]
