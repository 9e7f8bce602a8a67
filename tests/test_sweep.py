"""Scenario sweep on a local Dask cluster: one run folder per scenario plus sweep.csv."""

from __future__ import annotations

import pandas as pd
import pytest

from rsoi.pipeline import run_model
from rsoi.sweep import sweep

MODEL = "models/korea_taiwan.yaml"


def test_sweep_matches_single_runs(tmp_path):
    scenarios = ["gray_zone", "invasion_rok_none"]
    target = tmp_path / "sweep"
    table = sweep(MODEL, scenarios, target, workers=2)
    assert list(table["scenario"]) == sorted(scenarios)
    for scenario in scenarios:
        assert (target / scenario / "summary.json").exists()
        single = run_model(MODEL, scenario).solution.objective
        got = table.loc[table["scenario"] == scenario, "objective"].item()
        assert got == pytest.approx(single, rel=1e-9)
    on_disk = pd.read_csv(target / "sweep.csv")
    assert list(on_disk["scenario"]) == sorted(scenarios)
    assert not list(tmp_path.glob(".sweep.tmp-*"))


def test_sweep_never_overwrites(tmp_path):
    target = tmp_path / "sweep"
    target.mkdir()
    from rsoi.results import RunExists

    with pytest.raises(RunExists):
        sweep(MODEL, ["gray_zone"], target, workers=1)
