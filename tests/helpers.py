"""Shared helpers for the reliability tests: small models, YAML writing, running the CLI."""

from __future__ import annotations

import contextlib
import copy
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from rsoi import cli

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "models" / "korea_taiwan.yaml"
PYTHON = sys.executable

TASKS = [
    ("port_access", "rear_area"),
    ("airfield_access", "rear_area"),
    ("base_security", "rear_area"),
    ("onward_transport", "rear_area"),
    ("maintenance", "rear_area"),
    ("isr", "rear_area_isr_escort"),
    ("air_maritime_protection", "rear_area_isr_escort"),
    ("sea_lane_escort", "rear_area_isr_escort"),
]

POLICIES_OFF: dict[str, Any] = {
    "deterrence_floor": {
        "enabled": False,
        "combat_power": 0,
        "opportunistic_combat_power": 0,
        "source": "test",
    },
    "troop_floor": {"enabled": False, "source": "test"},
    "usfk_ground_stays": {"enabled": False, "source": "test"},
    "usfk_air_share": {"enabled": False, "max_share": 1.0, "source": "test"},
    "rok_support": {"level": "joint_operations", "source": "test"},
    "strategic_flexibility": {"allowed": True, "source": "test"},
}

SMALL: dict[str, Any] = {
    "name": "small",
    "description": "notional test model",
    "horizon": {"periods": 4, "period_days": 1},
    "settings": {
        "priority_classes": [
            {"id": "korea_defense", "weight": 1000},
            {"id": "taiwan_support", "weight": 100},
            {"id": "sustainment", "weight": 10},
        ],
        "lateness_weight": 1.0,
        "transport_cost_weight": 0.0,
    },
    "theaters": [
        {"id": "korea", "name": "Korea", "anchor": "a"},
        {"id": "taiwan", "name": "Taiwan", "anchor": "b"},
    ],
    "modes": {
        "road": {"speed_km_per_day": 1000},
        "sea": {"speed_km_per_day": 1000},
        "air": {"speed_km_per_day": 8000, "payload_t_per_sortie": 10},
    },
    "places": [
        {"id": "a", "kind": "depot", "country": "KR", "theater": "korea", "lon": 127.0,
         "lat": 37.0, "source": "test"},
        {"id": "b", "kind": "seaport", "country": "TW", "theater": "taiwan", "lon": 127.5,
         "lat": 37.0, "source": "test"},
    ],
    "routes": [
        {"id": "a-b", "origin": "a", "destination": "b", "mode": "road",
         "capacity_t_per_day": 100, "transit_periods": 1, "source": "test"},
    ],
    "commodities": [
        {"id": "c", "name": "cargo", "unit": "short tons", "short_tons_per_unit": 1,
         "source": "test"},
    ],
    "stocks": [{"place": "a", "commodity": "c", "quantity": 1000, "source": "test"}],
    "demands": [
        {"id": "d1", "place": "b", "commodity": "c", "quantity": 500, "ead": 1, "lad": 4,
         "priority": "taiwan_support", "source": "test"},
    ],
    "tasks": [
        {"id": t, "name": t, "unit": "units", "min_rok_level": level, "source": "test"}
        for t, level in TASKS
    ],
    "policies": POLICIES_OFF,
}  # fmt: skip
"""Two places, one road (100 t/day, 1 period), 1000 t at `a`, 500 t wanted at `b` by period 4."""


def small_model(**changes: Any) -> dict[str, Any]:
    """A deep copy of SMALL with top-level keys replaced."""
    model = copy.deepcopy(SMALL)
    model.update(copy.deepcopy(changes))
    return model


def write_yaml(path: Path, data: Any) -> Path:
    """Write `data` as block YAML (creating folders)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    return path


def write_model(folder: Path, data: dict[str, Any], name: str = "model.yaml") -> Path:
    """Write a model into `folder`, marked as a project root (so paths stay inside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").touch()
    return write_yaml(folder / name, data)


def shipped_project(folder: Path, basemap: bool = False) -> Path:
    """A copy of the shipped model with its geodata (and base map), laid out like the repo."""
    (folder / "models").mkdir(parents=True, exist_ok=True)
    (folder / "geodata").mkdir(exist_ok=True)
    (folder / "pyproject.toml").touch()
    names = ["places.geojson", "sea_lanes.geojson"] + (["basemap.gpkg"] if basemap else [])
    for name in names:
        shutil.copy(ROOT / "geodata" / name, folder / "geodata" / name)
    return Path(shutil.copy(SHIPPED, folder / "models" / SHIPPED.name))


def run_cli(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `rsoi.cli.main` in-process; returns (exit code, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = cli.main([str(a) for a in args])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, stdout.getvalue(), stderr.getvalue()


def wait_for_stderr(proc: subprocess.Popen, marker: str, seconds: float = 120) -> None:
    """Read `proc`'s stderr until a line holds `marker` (the process must still be running)."""
    import time

    deadline = time.monotonic() + seconds
    line = ""
    while marker not in line and time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, f"ended before '{marker}'"
    assert marker in line, f"no '{marker}' within {seconds} s"


def spawn_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `python -m rsoi ...` in a subprocess (stderr piped, text mode)."""
    # this checkout's rsoi, whatever the cwd (a relative PYTHONPATH would miss it)
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [PYTHON, "-m", "rsoi", *map(str, args)],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def leftovers(parent: Path, name: str) -> list[Path]:
    """The run folder `name` and any temporary folders of it inside `parent`."""
    return sorted(p for p in parent.iterdir() if p.name == name or p.name.startswith(f".{name}."))
