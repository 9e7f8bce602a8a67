"""Hand the LP to HiGHS in memory (highspy ``passModel`` on CSC arrays) and read the answer back.

No LP files: the matrix goes straight from numpy to HiGHS. Duals, basis status and IIS come
from highspy and map back to named constraints through the LP's blocks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np

from rsoi.errors import InfeasibleError, SolverError
from rsoi.interrupt import new_highs, run_highs
from rsoi.lp import LinearProgram

HIGHS_INF = highspy.kHighsInf


@dataclass
class Solution:
    """What HiGHS returned, as arrays over the LP's columns and rows."""

    status: str  # optimal | time_limit_feasible
    model_status: str
    objective: float
    x: np.ndarray
    row_activity: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    objective_parts: dict[str, float]
    solver: str
    solver_version: str
    handover_seconds: float
    solve_seconds: float
    mip: bool
    stages: list[dict] = field(default_factory=list)
    solver_messages: list[str] = field(default_factory=list)
    row_range: tuple[np.ndarray, np.ndarray] | None = None
    """Bound values between which each row's shadow price holds (HiGHS ranging), or None."""


RANGING_MAX_ROWS = 200_000
"""Ranging needs extra basis solves per row; above this size it is skipped."""


def _row_ranging(h: highspy.Highs, n_rows: int) -> tuple[np.ndarray, np.ndarray] | None:
    """HiGHS's right-hand-side ranging for the model's own rows (LPs with a basis only)."""
    if n_rows == 0 or n_rows > RANGING_MAX_ROWS:
        return None
    status, ranging = h.getRanging()
    if status != highspy.HighsStatus.kOk or not ranging.valid:
        return None
    down = np.asarray(ranging.row_bound_dn.value_, dtype=float)[:n_rows]
    up = np.asarray(ranging.row_bound_up.value_, dtype=float)[:n_rows]
    return np.where(np.abs(down) >= HIGHS_INF, -np.inf, down), np.where(
        np.abs(up) >= HIGHS_INF, np.inf, up
    )


def _numpy_inf(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64)
    out[np.isposinf(out)] = HIGHS_INF
    out[np.isneginf(out)] = -HIGHS_INF
    return out


def make_highs(
    lp: LinearProgram, time_limit: float | None, algorithm: str, threads: int | None = None
) -> highspy.Highs:
    """A Highs instance holding `lp` (objective: all parts)."""
    h = new_highs()  # no banner on stdout
    h.setOptionValue("output_flag", False)
    h.setOptionValue("random_seed", 0)
    if threads:
        h.setOptionValue("threads", threads)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(time_limit))
    if algorithm != "choose":
        h.setOptionValue("solver", algorithm)
    A = lp.matrix_csc()
    lower, upper = lp.bounds()
    rlo, rup = lp.row_bounds()
    integrality = lp.integrality()
    status = h.passModel(
        lp.n_cols,
        lp.n_rows,
        int(A.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        lp.cost(),
        _numpy_inf(lower),
        _numpy_inf(upper),
        _numpy_inf(rlo),
        _numpy_inf(rup),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise SolverError("HiGHS rejected the model (passModel failed)")
    return h


def _collect_log(h: highspy.Highs) -> list[str]:
    messages: list[str] = []

    def on_log(event) -> None:  # numerics warnings reach the user
        text = str(getattr(event, "message", "")).strip()
        if "integrality" in text:  # we always pass an integrality vector; LPs trigger this note
            return
        if text and ("WARNING" in text.upper() or "numerical" in text.lower()):
            messages.append(text)

    try:
        h.cbLogging.subscribe(on_log)
        h.setOptionValue("output_flag", True)
        h.setOptionValue("log_to_console", False)
    except Exception:  # older highspy without event callbacks: no log capture
        pass
    return messages


def solve(
    lp: LinearProgram,
    objective: str = "weighted",
    class_order: list[str] | None = None,
    time_limit: float | None = None,
    algorithm: str = "choose",
    lexicographic_tolerance: float = 1e-6,
) -> Solution:
    """Solve `lp`; lexicographic mode minimises priority classes in order, then the rest."""
    t0 = time.perf_counter()
    h = make_highs(lp, time_limit, algorithm)
    messages = _collect_log(h)
    handover = time.perf_counter() - t0
    mip = bool(lp.integrality().any())
    stages: list[dict] = []
    t1 = time.perf_counter()
    if objective == "lexicographic":
        _lexicographic(h, lp, class_order or [], lexicographic_tolerance, stages)
    else:
        run_highs(h)  # interruptible (Ctrl-C, SIGTERM)
    solve_seconds = time.perf_counter() - t1
    status = h.getModelStatus()
    name = h.modelStatusToString(status)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kOptimal:
        state = "optimal"
    elif status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the hard constraints conflict", iis_rows(h, lp))
    elif status == highspy.HighsModelStatus.kTimeLimit and has_solution:
        state = "time_limit_feasible"
    else:
        raise SolverError(f"HiGHS stopped with status '{name}' and no usable solution")
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float)
    parts = {
        part: float(np.dot(coefs, x[cols])) for part, (cols, coefs) in lp.objective_parts.items()
    }
    n = lp.n_rows  # lexicographic stage rows follow the model's own rows
    row_dual = np.asarray(sol.row_dual, dtype=float)[:n] if sol.dual_valid else np.full(n, np.nan)
    col_dual = (
        np.asarray(sol.col_dual, dtype=float) if sol.dual_valid else np.full(lp.n_cols, np.nan)
    )
    ranging = None
    if state == "optimal" and not mip and objective != "lexicographic" and sol.dual_valid:
        ranging = _row_ranging(h, n)
    return Solution(
        status=state,
        model_status=name,
        objective=float(np.dot(lp.cost(), x)),
        x=x,
        row_activity=np.asarray(sol.row_value, dtype=float)[:n],
        row_dual=row_dual,
        col_dual=col_dual,
        objective_parts=dict(sorted(parts.items())),
        solver="HiGHS",
        solver_version=f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
        handover_seconds=handover,
        solve_seconds=solve_seconds,
        mip=mip,
        stages=stages,
        solver_messages=messages,
        row_range=ranging,
    )


def _lexicographic(
    h: highspy.Highs, lp: LinearProgram, order: list[str], tol: float, stages: list[dict]
) -> None:
    """Minimise shortfall class by class, then lateness + cost; fix each stage's optimum as a row."""
    all_cols = np.arange(lp.n_cols, dtype=np.int32)
    groups = [[f"shortfall:{c}"] for c in order if f"shortfall:{c}" in lp.objective_parts]
    rest = [p for p in lp.objective_parts if not any(p in g for g in groups)]
    groups.append(rest)
    for group in groups:
        c = lp.cost(group)
        h.changeColsCost(lp.n_cols, all_cols, c)
        run_highs(h)  # interruptible (Ctrl-C, SIGTERM)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return
        value = h.getInfo().objective_function_value
        stages.append({"stage": "+".join(group), "objective": value})
        nz = np.flatnonzero(c)
        if group is not groups[-1] and len(nz):
            bound = value + tol * max(1.0, abs(value))
            h.addRow(-HIGHS_INF, bound, len(nz), nz.astype(np.int32), c[nz])
    # the reported objective is the weighted one at the final point (computed by the caller);
    # costs are left at the last stage's: changing them would reset HiGHS's model status


def iis_rows(h: highspy.Highs, lp: LinearProgram) -> list[str]:
    """Names of the constraints in an irreducible infeasible subset (empty if HiGHS has none)."""
    try:
        _status, iis = h.getIis()
        rows = list(getattr(iis, "row_index_", []) or getattr(iis, "row_index", []))
    except Exception:
        return []
    names = []
    for row in sorted(rows):
        if row >= lp.n_rows:
            continue
        block, local = lp.row_block(int(row))
        names.append(lp.row_names(block)[local] if block.size < 50_000 else f"{block.name}#{local}")
    return names
