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
from rsoi.lp.highs_io import (
    HIGHS_INF,
    clean_primal,
    make_highs,
    read_point,
    row_ranging,
    version,
)
from rsoi.lp.interrupt import run_highs
from rsoi.lp.program import LinearProgram


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


def objective_parts(lp: LinearProgram, x: np.ndarray) -> dict[str, float]:
    """Each named part of the objective at `x`, sorted by name (no negative zeros)."""
    parts = {
        part: float(np.dot(c, x[cols])) + 0.0 for part, (cols, c) in lp.objective_parts.items()
    }
    return dict(sorted(parts.items()))


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


def solve_with_settings(lp: LinearProgram, settings, time_limit: float | None = None) -> Solution:
    """`solve` with a model's `settings`: objective mode, priority-class order, algorithm and
    lexicographic tolerance (one place for every caller that solves a built model)."""
    return solve(
        lp,
        objective=settings.objective,
        class_order=[c.id for c in settings.priority_classes],
        time_limit=time_limit,
        algorithm=settings.solver,
        lexicographic_tolerance=settings.lexicographic_tolerance,
    )


def solve(
    lp: LinearProgram,
    objective: str = "weighted",
    class_order: list[str] | None = None,
    time_limit: float | None = None,
    algorithm: str = "choose",
    lexicographic_tolerance: float = 1e-6,
) -> Solution:
    """Solve `lp`; lexicographic mode minimises priority classes in order, then lateness, then
    the rest (transport cost, stability). `objective` is the weighted sum of all parts at the
    final plan in both modes; the stages' own optima are in `stages`."""
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
        raise infeasible_error(h, lp, time_limit, algorithm)
    elif status == highspy.HighsModelStatus.kTimeLimit and has_solution:
        state = "time_limit_feasible"
    else:
        raise SolverError(f"HiGHS stopped with status '{name}' and no usable solution")
    point = read_point(h)
    x = clean_primal(point.col_value)
    n = lp.n_rows  # lexicographic stage rows follow the model's own rows
    ranging = None
    if state == "optimal" and not mip and objective != "lexicographic" and point.dual_valid:
        ranging = row_ranging(h, slice(0, n))
    return Solution(
        status=state,
        model_status=name,
        objective=float(np.dot(lp.cost(), x)) + 0.0,
        x=x,
        row_activity=point.row_value[:n],
        row_dual=point.row_dual[:n],
        col_dual=point.col_dual,
        objective_parts=objective_parts(lp, x),
        solver="HiGHS",
        solver_version=version(h),
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
    """Minimise shortfall class by class, then lateness, then the rest (cost, stability).

    Each stage's optimum is kept as a row (objective <= optimum + tol * |optimum|) for the
    later stages.
    """
    all_cols = np.arange(lp.n_cols, dtype=np.int32)
    groups = [[f"shortfall:{c}"] for c in order if f"shortfall:{c}" in lp.objective_parts]
    if "lateness" in lp.objective_parts:
        groups.append(["lateness"])
    rest = [p for p in lp.objective_parts if not any(p in g for g in groups)]
    if rest or not groups:
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
            # relative slack only: an absolute one would let later stages buy a little of
            # an earlier stage back (e.g. 1e-6 t shipped late by a cheaper mode)
            bound = value + tol * abs(value)
            h.addRow(-HIGHS_INF, bound, len(nz), nz.astype(np.int32), c[nz])
    # the reported objective is the weighted one at the final point (computed by the caller);
    # costs are left at the last stage's: changing them would reset HiGHS's model status


ELASTIC_TOL = 1e-6
"""A row counts as relaxed in the elastic re-solve when it needs more slack than this."""


def infeasible_error(
    h: highspy.Highs, lp: LinearProgram, time_limit: float | None, algorithm: str
) -> InfeasibleError:
    """Name the conflicting rows: HiGHS's IIS, else the rows an elastic re-solve relaxes.

    When HiGHS gives no irreducible infeasible subset, the LP is re-solved with every hard
    policy row (families ``policy_*``) made elastic (HiGHS feasibility relaxation: each unit of
    violation costs 1, no other row or bound may move) and the policy rows that need slack are
    reported. If even that is infeasible, every row is made elastic and the rows needing slack
    are reported as a conflict in the data itself.
    """
    rows = iis_rows(h, lp)
    if rows:
        error = InfeasibleError("the hard constraints conflict", rows)
        error.conflict_source = "irreducible infeasible subset from HiGHS"
        return error
    policy = np.zeros(lp.n_rows, bool)
    for block in lp.constraints.values():
        if block.name.startswith("policy_"):
            policy[block.start : block.start + block.size] = True
    for penalties, what in (
        (np.where(policy, 1.0, -1.0), "hard policies"),
        (np.ones(lp.n_rows), "all rows"),
    ):
        relaxed = elastic_rows(lp, penalties, time_limit, algorithm)
        if relaxed:
            if what == "hard policies":
                message = (
                    "the hard constraints conflict; HiGHS gave no conflict set, so the model was "
                    "re-solved with every hard policy made elastic: these policy rows need slack "
                    "(relax one of them, or set its policy `mode: elastic`)"
                )
            else:
                message = (
                    "the model is infeasible even with every hard policy elastic, so the data "
                    "conflict by construction; HiGHS gave no conflict set, and a re-solve with "
                    "every row elastic relaxes these rows (fix the data they name)"
                )
            error = InfeasibleError(message, relaxed)
            error.conflict_source = f"rows an elastic re-solve relaxes ({what} elastic)"
            return error
    error = InfeasibleError(
        "the hard constraints conflict; HiGHS gave no conflict set and the elastic re-solve "
        "found none either: switch hard policies to `mode: elastic` one at a time to find it",
        [],
    )
    error.conflict_source = "none found"
    return error


def elastic_rows(
    lp: LinearProgram, penalties: np.ndarray, time_limit: float | None, algorithm: str
) -> list[str]:
    """Rows that need slack when rows with penalty > 0 may be violated at that cost per unit.

    Rows with penalty < 0 and all variable bounds stay hard (HiGHS feasibilityRelaxation).
    """
    h = make_highs(lp, time_limit, algorithm)
    status = h.feasibilityRelaxation(-1.0, -1.0, 1.0, None, None, penalties.astype(float))
    if status == highspy.HighsStatus.kError or not h.getInfo().primal_solution_status:
        return []
    activity = read_point(h).row_value[: lp.n_rows]
    lower, upper = lp.row_bounds()
    excess = np.maximum(np.maximum(lower - activity, activity - upper), 0.0)
    scale = np.maximum(1.0, np.abs(np.where(np.isfinite(lower), lower, 0.0)))
    names = []
    for row in np.flatnonzero(excess > ELASTIC_TOL * scale):
        block, local = lp.row_block(int(row))
        name = lp.row_names(block)[local] if block.size < 50_000 else f"{block.name}#{local}"
        names.append(f"{name} (needs {excess[row]:.6g} of slack)")
    return names


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
