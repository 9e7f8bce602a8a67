"""Synthetic benchmark theaters: valid, sized as predicted, and the same LP as the linopy baseline."""

from __future__ import annotations

import pytest

from rsoi.bench.synthetic import parse_size, size_for, synthetic_model, write_model
from rsoi.lp.build import build
from rsoi.lp.highs_io import make_highs
from rsoi.lp.prepare import prepare
from rsoi.model.loader import load_model
from rsoi.pipeline import run_model

TINY = {"n_places": 14, "n_routes": 30, "n_commodities": 3, "n_periods": 8}


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    return write_model(tmp_path_factory.mktemp("syn") / "tiny.yaml", synthetic_model(**TINY))


def test_tiny_model_validates_and_solves(tiny_path):
    run = run_model(tiny_path)
    assert run.solution.status == "optimal"
    expected = {
        "flow_balance", "demand", "route_capacity", "place_throughput", "airfield_mog",
        "storage_capacity", "provider_availability", "task_requirement", "force_home", "force_position",
        "combat_power", "policy_deterrence_floor", "policy_troop_floor",
    }  # fmt: skip
    assert expected <= set(run.lp.constraints)
    # flows dominate the rest; at this tiny size the force movements (home shares, deploys,
    # swings of five forces over every period) are a large block of their own
    moves = sum(run.lp.variables[v].size for v in ("force_home", "deploy", "swing"))
    assert run.lp.variables["flow"].size > (run.lp.n_cols - moves) / 2


def test_deterministic():
    assert synthetic_model(**TINY, seed=3) == synthetic_model(**TINY, seed=3)
    assert synthetic_model(**TINY, seed=3) != synthetic_model(**TINY, seed=4)


@pytest.mark.parametrize("label", ["10k", "100k"])
def test_variable_count_matches_size_for(tmp_path, label):
    target = parse_size(label)
    params = size_for(target)
    path = write_model(tmp_path / "m.yaml", synthetic_model(**params, seed=0))
    lp, _ = build(prepare(load_model(path)))
    assert abs(lp.n_cols - target) <= 0.2 * target


def test_size_for_tiers():
    for label in ("10k", "100k", "300k", "1M"):
        assert size_for(parse_size(label))["n_routes"] > 0


@pytest.mark.xfail(
    strict=True,
    reason="the linopy reference model predates the cargo ledger and the unit families "
    "(issue 15); it builds a different LP until it carries them (closing note, stop 22)",
)
def test_same_objective_as_linopy(tiny_path):
    from rsoi.bench.linopy_model import build_linopy, to_highs

    prep = prepare(load_model(tiny_path))
    lp, _ = build(prep)
    h = make_highs(lp, None, "choose")
    h.run()
    ours = h.getInfo().objective_function_value
    h2 = to_highs(build_linopy(prep))
    h2.run()
    theirs = h2.getInfo().objective_function_value
    assert h2.getNumCol() == lp.n_cols
    assert theirs == pytest.approx(ours, rel=1e-6)
