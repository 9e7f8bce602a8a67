"""The one hand-over between numpy and HiGHS: pass a model, change it, read a solution back.

Every caller that talks to highspy directly (the solve, warm re-solves, the interdiction MILP,
the hedge's extensive form, the frontier) goes through these functions, so infinite bounds,
index types, option defaults and the solver method are handled in one place.

Methods (``--solver``, ``settings.solver``): ``simplex`` (dual simplex), ``ipm`` (interior
point; HiGHS picks IPX or HiPO), ``hipo`` (HiGHS's newer interior point, where the installed
HiGHS was built with it), ``pdlp`` (first-order), ``choose`` (HiGHS decides). Interior-point
methods run crossover, so the solution always has a basis and exact duals (the duals table,
ranging and warm starts need them); PDLP has no crossover in HiGHS and its duals are only as
exact as its tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from rsoi.errors import SolverError
from rsoi.lp.interrupt import new_highs
from rsoi.lp.methods import METHODS
from rsoi.lp.program import LinearProgram

HIGHS_INF = highspy.kHighsInf

PRIMAL_ZERO = 1e-7
"""Column values with |x| below this are reported as exact 0 (HiGHS's default primal feasibility
tolerance: smaller values are solver noise, e.g. stray flows left by a lexicographic stage)."""

SIMPLEX_SCALE_STRATEGY = 4
"""HiGHS ``simplex_scale_strategy`` rsoi sets (4: scale rows and columns by their largest
value, no equilibration; HiGHS's default is 1, choose). Picked from the scale curve of
``scripts/bench_scale.py`` (issue 19): on the shipped model the default scaling makes each
dual simplex iteration about 4x dearer at 240 periods, so HiGHS(240)/HiGHS(30) was 60-80x with
it and 15-25x with 4; at 30 periods 4 is no slower on any shipped scenario and reaches the same
optima (on ``invasion_base_attacks`` a slightly lower one, within HiGHS's tolerances)."""

RANGING_MAX_ROWS = 200_000
"""Ranging needs extra basis solves per row; above this size it is skipped."""


def highs_inf(a) -> np.ndarray:
    """`a` as float64 with numpy's +-inf replaced by HiGHS's infinity."""
    out = np.array(a, dtype=np.float64)
    out[np.isposinf(out)] = HIGHS_INF
    out[np.isneginf(out)] = -HIGHS_INF
    return out


def configured_highs(
    time_limit: float | None = None, method: str = "choose", threads: int | None = None
) -> highspy.Highs:
    """A silent, seeded Highs instance using `method` (one of METHODS), with rsoi's simplex
    scaling (SIMPLEX_SCALE_STRATEGY)."""
    h = new_highs()  # no banner on stdout
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("simplex_scale_strategy", SIMPLEX_SCALE_STRATEGY)
    if threads:
        h.setOptionValue("threads", threads)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    set_method(h, method)
    return h


def set_method(h: highspy.Highs, method: str) -> None:
    """Use HiGHS method `method`; crossover stays on so duals and a basis are exact.

    Raises SolverError when this HiGHS build lacks the method (HiPO needs optional libraries).
    """
    if method == "choose":
        return
    if method not in METHODS:
        raise SolverError(f"unknown HiGHS method {method!r} (one of {', '.join(METHODS)})")
    if h.setOptionValue("solver", method) == highspy.HighsStatus.kError:
        raise SolverError(
            f"this HiGHS build ({h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}) "
            f"cannot run method {method!r}; fix: choose another --solver (simplex or ipm)"
        )
    if method in ("ipm", "hipo"):
        h.setOptionValue("run_crossover", "on")


def pass_arrays(
    h: highspy.Highs,
    cost: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    matrix: sp.spmatrix,
    integrality: np.ndarray | None = None,
    what: str = "the model",
) -> None:
    """Hand a minimisation ``row_lower <= matrix x <= row_upper`` to `h` (CSC, in memory)."""
    A = sp.csc_matrix(matrix)
    n_rows, n_cols = A.shape
    if integrality is None:
        integrality = np.zeros(n_cols, dtype=np.int32)
    status = h.passModel(
        n_cols,
        n_rows,
        int(A.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        np.asarray(cost, dtype=np.float64),
        highs_inf(col_lower),
        highs_inf(col_upper),
        highs_inf(row_lower),
        highs_inf(row_upper),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(np.float64),
        np.asarray(integrality, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected {what} (passModel failed)")


def make_highs(
    lp: LinearProgram, time_limit: float | None, algorithm: str, threads: int | None = None
) -> highspy.Highs:
    """A Highs instance holding `lp` (objective: all parts)."""
    h = configured_highs(time_limit, algorithm, threads)
    lower, upper = lp.bounds()
    rlo, rup = lp.row_bounds()
    pass_arrays(h, lp.cost(), lower, upper, rlo, rup, lp.matrix_csc(), lp.integrality())
    return h


def change_col_bounds(h: highspy.Highs, ids, lower, upper) -> None:
    """Set the bounds of columns `ids` (numpy infinities allowed)."""
    ids = np.asarray(ids, dtype=np.int32)
    h.changeColsBounds(len(ids), ids, highs_inf(lower), highs_inf(upper))


def change_row_bounds(h: highspy.Highs, ids, lower, upper) -> None:
    """Set the bounds of rows `ids` (numpy infinities allowed)."""
    ids = np.asarray(ids, dtype=np.int32)
    h.changeRowsBounds(len(ids), ids, highs_inf(lower), highs_inf(upper))


def change_col_costs(h: highspy.Highs, ids, cost) -> None:
    """Set the objective coefficients of columns `ids`."""
    ids = np.asarray(ids, dtype=np.int32)
    h.changeColsCost(len(ids), ids, np.asarray(cost, dtype=np.float64))


def extended_basis(basis: highspy.HighsBasis, extra_cols: int, extra_rows: int):
    """`basis` for a model grown by `extra_cols` columns (at their lower bound) and
    `extra_rows` rows (basic): a valid warm start for the grown model."""
    grown = highspy.HighsBasis()
    grown.col_status = list(basis.col_status) + [highspy.HighsBasisStatus.kLower] * extra_cols
    grown.row_status = list(basis.row_status) + [highspy.HighsBasisStatus.kBasic] * extra_rows
    grown.valid = True
    return grown


def add_cols(h: highspy.Highs, cost, lower, upper, columns: sp.csc_matrix, row_ids) -> None:
    """Append the columns of `columns` whose row k is HiGHS row ``row_ids[k]``."""
    n = columns.shape[1]
    h.addCols(
        n,
        np.asarray(cost, dtype=np.float64),
        highs_inf(lower),
        highs_inf(upper),
        int(columns.nnz),
        columns.indptr[:-1].astype(np.int32),
        np.asarray(row_ids)[columns.indices].astype(np.int32),
        columns.data.astype(np.float64),
    )


def add_rows(h: highspy.Highs, lower, upper, rows: sp.csr_matrix, col_ids) -> None:
    """Append the rows of `rows` whose column k is HiGHS column ``col_ids[k]``."""
    n = rows.shape[0]
    h.addRows(
        n,
        highs_inf(lower),
        highs_inf(upper),
        int(rows.nnz),
        rows.indptr[:-1].astype(np.int32),
        np.asarray(col_ids)[rows.indices].astype(np.int32),
        rows.data.astype(np.float64),
    )


@dataclass
class Point:
    """HiGHS's solution as arrays (duals NaN when HiGHS has none)."""

    col_value: np.ndarray
    row_value: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    dual_valid: bool


def read_point(h: highspy.Highs) -> Point:
    """The current solution of `h` as float arrays over all its columns and rows."""
    sol = h.getSolution()
    col_value = np.asarray(sol.col_value, dtype=float)
    row_value = np.asarray(sol.row_value, dtype=float)
    if sol.dual_valid:
        row_dual = np.asarray(sol.row_dual, dtype=float)
        col_dual = np.asarray(sol.col_dual, dtype=float)
    else:
        row_dual, col_dual = np.full(len(row_value), np.nan), np.full(len(col_value), np.nan)
    return Point(col_value, row_value, row_dual, col_dual, bool(sol.dual_valid))


def any_basic_col(h: highspy.Highs, cols: np.ndarray) -> bool:
    """Is any of the columns `cols` basic in `h`'s current basis (False without a basis)?"""
    basis = h.getBasis()
    if not basis.valid or not len(cols):
        return False
    basic = highspy.HighsBasisStatus.kBasic
    status = basis.col_status
    return any(status[int(j)] == basic for j in cols)


def is_optimal(h: highspy.Highs) -> bool:
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def is_infeasible(h: highspy.Highs) -> bool:
    return h.getModelStatus() == highspy.HighsModelStatus.kInfeasible


def status_text(h: highspy.Highs) -> str:
    return h.modelStatusToString(h.getModelStatus())


def objective_value(h: highspy.Highs) -> float:
    return float(h.getInfo().objective_function_value)


def version(h: highspy.Highs) -> str:
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def row_ranging(h: highspy.Highs, rows: slice | np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """HiGHS's right-hand-side ranging for the model's own `rows` (LPs with a basis only)."""
    n_rows = len(np.arange(h.getNumRow())[rows])
    if n_rows == 0 or n_rows > RANGING_MAX_ROWS:
        return None
    status, ranging = h.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return None
    down = np.asarray(ranging.row_bound_dn.value_, dtype=float)[rows]
    up = np.asarray(ranging.row_bound_up.value_, dtype=float)[rows]
    return np.where(np.abs(down) >= HIGHS_INF, -np.inf, down), np.where(
        np.abs(up) >= HIGHS_INF, np.inf, up
    )


def clean_primal(values) -> np.ndarray:
    """Column values with solver noise below PRIMAL_ZERO set to 0, and no negative zeros."""
    x = np.asarray(values, dtype=float)
    return np.where(np.abs(x) < PRIMAL_ZERO, 0.0, x) + 0.0
