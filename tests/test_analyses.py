"""Dask analyses: scenario sweep (one run folder per scenario) and node-loss resilience."""

from __future__ import annotations

import pandas as pd
import pytest

from rsoi.analyses import resilience, sweep
from rsoi.pipeline import run_model

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
    from rsoi.results import is_rsoi_output_dir

    assert is_rsoi_output_dir(target)  # marked: `--force` may replace it, nothing else


def test_sweep_never_overwrites(tmp_path):
    target = tmp_path / "sweep"
    target.mkdir()
    from rsoi.results import RunExists

    with pytest.raises(RunExists):
        sweep(MODEL, ["gray_zone"], target, workers=1)


def test_resilience_ranks_node_losses(tmp_path):
    """Losing a node can only make the optimum worse (a restriction of the same LP), and the
    table ranks the losses; losing Busan, the main SPOD, must cost something."""
    nodes = ["busan", "mokpo"]
    table = resilience(MODEL, "invasion", tmp_path / "res", nodes=nodes, workers=2)
    assert set(table["node"]) == set(nodes)
    assert (table["objective_increase"] >= -1e-6).all()
    assert list(table["objective_increase"]) == sorted(table["objective_increase"], reverse=True)
    assert table.loc[table["node"] == "busan", "objective_increase"].item() > 0
    assert (tmp_path / "res" / "resilience.csv").exists()


def test_cli_sweep_and_bad_names(tmp_path):
    from tests.helpers import run_cli

    code, stdout, _ = run_cli(
        "sweep", MODEL, "--scenarios", "gray_zone", "--workers", "1", "--out", tmp_path / "s"
    )
    assert code == 0 and "gray_zone" in stdout
    assert (tmp_path / "s" / "gray_zone" / "flows.csv").exists()
    code, _, stderr = run_cli("sweep", MODEL, "--scenarios", "gray_zon", "--out", tmp_path / "t")
    assert code == 2 and "gray_zone" in stderr  # did-you-mean, before any worker starts
    code, _, stderr = run_cli("resilience", MODEL, "--nodes", "busann", "--out", tmp_path / "u")
    assert code == 2 and "busan" in stderr
    assert not (tmp_path / "t").exists() and not (tmp_path / "u").exists()


def test_input_error_survives_pickling():
    """Dask ships a worker's exception to the client by pickling it."""
    import pickle

    from rsoi.errors import InputError, Problem

    error = InputError([Problem("m.yaml", 3, 5, "routes[0].mode", "bad mode", "use sea")])
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems
