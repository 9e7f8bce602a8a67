"""The Pyomo model is the same LP as the one rsoi hands to HiGHS directly."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from rsoi.lp.build import build
from rsoi.lp.prepare import prepare
from rsoi.lp.program import LinearProgram
from rsoi.lp.pyomo_model import (
    component_names,
    environ_columns,
    kernel_columns,
    solve_pyomo,
    synthetic_lp,
    to_pyomo,
    to_pyomo_environ,
)
from rsoi.lp.solve import Solution, solve
from rsoi.model.loader import load_model

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"


@pytest.fixture(scope="module")
def default_lp() -> tuple[LinearProgram, Solution]:
    lp, _ctx = build(prepare(load_model(DEFAULT_MODEL, "invasion")))
    return lp, solve(lp)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def test_pyomo_objective_matches_highspy(default_lp: tuple[LinearProgram, Solution]) -> None:
    lp, direct = default_lp
    res = solve_pyomo(lp, "highs")
    assert res.termination == str(pyo.TerminationCondition.optimal)
    assert _rel(res.objective, direct.objective) < 1e-6
    # the Pyomo point is feasible for the rsoi LP and has the same cost
    assert _rel(float(lp.cost() @ res.x), direct.objective) < 1e-6
    lo, up = lp.bounds()
    assert np.all(res.x >= lo - 1e-6) and np.all(res.x <= up + 1e-6)
    act = lp.matrix_csc() @ res.x
    rlo, rup = lp.row_bounds()
    assert np.all(act >= rlo - 1e-5) and np.all(act <= rup + 1e-5)
    assert set(res.row_dual) == set(lp.constraints)


def test_families_by_name(default_lp: tuple[LinearProgram, Solution]) -> None:
    lp, _ = default_lp
    kernel, environ = to_pyomo(lp), to_pyomo_environ(lp)
    cap = lp.constraints["route_capacity"]
    assert len(kernel.route_capacity) == cap.size
    assert len(environ.route_capacity) <= cap.size  # rows without terms are skipped
    assert len(kernel.flow) == len(environ.flow) == lp.variables["flow"].size
    for family, block in lp.variables.items():
        assert len(getattr(kernel, family)) == block.size
    assert len(kernel_columns(kernel, lp)) == len(environ_columns(environ, lp)) == lp.n_cols
    # a kernel row is the same row of the rsoi matrix
    A = lp.matrix_csc().tocsr()
    row = A[cap.start].toarray().ravel()
    cols = kernel_columns(kernel, lp)
    ids = {id(v): j for j, v in enumerate(cols)}
    got = np.zeros(lp.n_cols)
    mc = kernel.route_capacity
    k_row = mc.A[0].tocoo()
    for j, v in zip(k_row.col, k_row.data, strict=True):
        got[ids[id(mc.x[j])]] += v
    np.testing.assert_allclose(got, row)
    assert mc.ub[0] == cap.upper[0]


def test_kernel_block_is_the_same_lp(
    default_lp: tuple[LinearProgram, Solution], tmp_path: Path
) -> None:
    """Pyomo's HiGHS interfaces do not take kernel blocks: check it through Pyomo's MPS writer."""
    lp, direct = default_lp
    path = tmp_path / "rsoi.mps"
    to_pyomo(lp).write(str(path))
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert _rel(h.getInfo().objective_function_value, direct.objective) < 1e-6


def _small_lp() -> LinearProgram:
    """Integer columns, an empty row, an equality row and a family-name clash."""
    lp = LinearProgram()
    x = lp.add_variables("demand", pd.DataFrame({"i": range(3)}), upper=[4.0, 4.0, np.inf])
    n = lp.add_variables("n", pd.DataFrame({"i": range(2)}), upper=3.0, integer=True)
    lp.add_constraints(
        "demand",
        pd.DataFrame({"row": range(3)}),
        rows=[0, 0, 0, 2, 2],
        cols=[x.ids[0], x.ids[1], n.ids[0], x.ids[2], n.ids[1]],
        coefs=[1.0, 1.0, 1.5, 1.0, -2.0],
        lower=[2.5, -1.0, -np.inf],
        upper=[2.5, 1.0, 0.5],
    )
    lp.add_objective("cost", np.concatenate([x.ids, n.ids]), [1.0, 2.0, -1.0, 0.3, -0.2])
    return lp


def test_small_mip_clash_and_empty_rows() -> None:
    lp = _small_lp()
    var_names, con_names = component_names(lp)
    assert var_names["demand"] == "demand" and con_names["demand"] == "demand_con"
    res = solve_pyomo(lp, "appsi_highs")
    direct = solve(lp)
    assert _rel(res.objective, direct.objective) < 1e-9
    m = res.model
    assert m.n[0].is_integer() and 1 not in m.demand_con  # empty row skipped
    kernel = to_pyomo(lp)
    assert kernel.demand_con[0].equality and not kernel.demand_con[1].equality


def test_synthetic_lp_materialises() -> None:
    lp = synthetic_lp(2000, 1000)
    kernel, environ = to_pyomo(lp), to_pyomo_environ(lp)
    assert len(kernel.a) + len(kernel.b) == 2000
    assert len(environ.cap) + len(environ.mix) <= 1000
    assert _rel(solve_pyomo(lp).objective, solve(lp).objective) < 1e-6
