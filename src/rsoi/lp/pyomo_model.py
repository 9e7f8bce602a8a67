"""The rsoi LP as a Pyomo model: inspect it by family name, solve it through Pyomo.

rsoi builds its LP with numpy and hands it to HiGHS in memory (``rsoi.lp.solve``); this module
makes the *same* LP available as a Pyomo model, one Pyomo component per family:

- :func:`to_pyomo` returns a ``pyomo.kernel`` block: a ``variable_list`` per variable family
  (``m.flow[i]`` is column ``lp.variables["flow"].start + i``), a ``matrix_constraint`` per
  constraint family (``m.route_capacity``, CSR rows of that family; its ``x`` lists the
  variables its matrix uses, in global column order), the objective ``m.objective`` and an
  import suffix ``m.dual`` (environ: continuous LPs only).
- :func:`to_pyomo_environ` returns a ``ConcreteModel`` with the same names: an integer-indexed
  ``Var`` per variable family and an integer-indexed ``Constraint`` per constraint family
  (index = local row, so ``m.route_capacity[i]`` is row ``i`` of
  ``lp.row_names(lp.constraints["route_capacity"])``). Rows are built from precomputed CSR
  slices with ``LinearExpression``; no rule scans a set. A row without terms is skipped if it
  always holds (and kept as infeasible if it cannot).
- :func:`solve_pyomo` solves the environ model with a Pyomo HiGHS interface in memory
  (``highs`` from ``pyomo.contrib.solver`` by default, or ``appsi_highs``); no LP file.

Pyomo's in-memory HiGHS interfaces do not accept ``pyomo.kernel`` blocks (Pyomo issues #3480
and #3998: "property 'domain' of 'variable' object has no getter"), so the kernel block is for
inspection and file writers (``m.write("model.lp")``); solving goes through the environ model.

A family name that clashes with another family or with ``objective`` / ``dual`` gets a
``_var`` / ``_con`` suffix. Only the weighted objective (all parts) is modelled; the
lexicographic mode of ``rsoi.lp.solve`` is not. Timings: ``python -m rsoi.lp.pyomo_model --cols N``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import pyomo.kernel as pmo
import scipy.sparse as sp
from pyomo.core.expr.numeric_expr import LinearExpression

from rsoi.errors import SolverError
from rsoi.lp.program import LinearProgram

RESERVED = frozenset({"objective", "dual"})


def component_names(lp: LinearProgram) -> tuple[dict[str, str], dict[str, str]]:
    """Pyomo attribute name per variable family and per constraint family (clashes suffixed)."""
    taken: set[str] = set(RESERVED)
    var_names: dict[str, str] = {}
    con_names: dict[str, str] = {}
    for family in lp.variables:
        name = family if family not in taken else f"{family}_var"
        var_names[family] = name
        taken.add(name)
    for family in lp.constraints:
        name = family if family not in taken else f"{family}_con"
        con_names[family] = name
        taken.add(name)
    return var_names, con_names


def _bound(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def _uniform(a: np.ndarray) -> bool:
    return bool((a == a[0]).all())


def _bound_lists(a: np.ndarray) -> list[float | None]:
    """Floats with infinities as None (Pyomo's 'no bound')."""
    out: list[float | None] = a.tolist()
    for i in np.flatnonzero(~np.isfinite(a)).tolist():
        out[i] = None
    return out


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic collector: millions of small acyclic objects, it only costs time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _objective_terms(lp: LinearProgram) -> tuple[list[int], list[float]]:
    c = lp.cost()
    nz = np.flatnonzero(c)
    return nz.tolist(), c[nz].tolist()


# --- pyomo.kernel ------------------------------------------------------------------------


def to_pyomo(lp: LinearProgram) -> pmo.block:
    """The LP as a ``pyomo.kernel`` block with one component per family (see module doc)."""
    with _no_gc():
        return _kernel(lp)


def _kernel(lp: LinearProgram) -> pmo.block:
    var_names, con_names = component_names(lp)
    m = pmo.block()
    columns: list[pmo.variable] = []
    for family, block in lp.variables.items():
        domain = pmo.IntegerSet if block.integer else pmo.RealSet
        lows, ups = _bound_lists(block.lower), _bound_lists(block.upper)
        vl = pmo.variable_list(
            pmo.variable(domain_type=domain, lb=lo, ub=up) for lo, up in zip(lows, ups, strict=True)
        )
        setattr(m, var_names[family], vl)
        columns.extend(vl)
    A = lp.matrix_csc().tocsr()
    for family, block in lp.constraints.items():
        if block.size == 0 or lp.n_cols == 0:  # matrix_constraint needs a non-empty matrix
            setattr(m, con_names[family], pmo.constraint_list())
            continue
        lo, hi = block.start, block.start + block.size
        s, e = int(A.indptr[lo]), int(A.indptr[hi])
        indices = A.indices[s:e]
        used = np.unique(indices)
        if used.size == 0:  # rows without terms: keep them, over one (zero) column
            used = np.zeros(1, dtype=np.int64)
        sub = sp.csr_matrix(
            (A.data[s:e], np.searchsorted(used, indices), A.indptr[lo : hi + 1] - s),
            shape=(block.size, used.size),
        )
        x = [columns[j] for j in used.tolist()]
        eq = block.lower == block.upper
        if eq.all():
            mc = pmo.matrix_constraint(sub, rhs=block.lower.copy(), x=x)
        else:
            mc = pmo.matrix_constraint(sub, lb=block.lower.copy(), ub=block.upper.copy(), x=x)
            for i in np.flatnonzero(eq).tolist():
                mc[i].rhs = float(block.lower[i])
        setattr(m, con_names[family], mc)
    cols, coefs = _objective_terms(lp)
    m.objective = pmo.objective(
        LinearExpression(constant=0.0, linear_coefs=coefs, linear_vars=[columns[j] for j in cols]),
        sense=pmo.minimize,
    )
    m.dual = pmo.suffix(direction=pmo.suffix.IMPORT)
    return m


def kernel_columns(m: pmo.block, lp: LinearProgram) -> list[pmo.variable]:
    """The kernel block's variables in global column order."""
    var_names, _ = component_names(lp)
    return [v for family in lp.variables for v in getattr(m, var_names[family])]


# --- pyomo.environ -----------------------------------------------------------------------


def to_pyomo_environ(lp: LinearProgram) -> pyo.ConcreteModel:
    """The LP as a ``ConcreteModel``: integer-indexed Var / Constraint per family."""
    with _no_gc():
        return _environ(lp)


def _environ(lp: LinearProgram) -> pyo.ConcreteModel:
    var_names, con_names = component_names(lp)
    m = pyo.ConcreteModel(name="rsoi")
    columns: list = []
    for family, block in lp.variables.items():
        bounds: tuple | object
        if block.size and _uniform(block.lower) and _uniform(block.upper):
            bounds = (_bound(block.lower[0]), _bound(block.upper[0]))  # uniform: no rule
        else:
            lows, ups = _bound_lists(block.lower), _bound_lists(block.upper)
            bounds = lambda _m, i, lows=lows, ups=ups: (lows[i], ups[i])  # noqa: E731
        var = pyo.Var(
            range(block.size),
            domain=pyo.Integers if block.integer else pyo.Reals,
            bounds=bounds,
            doc=block.doc,
        )
        m.add_component(var_names[family], var)
        columns.extend(var.values())
    A = lp.matrix_csc().tocsr()
    indptr = A.indptr.tolist()
    indices = A.indices.tolist()
    data = A.data.tolist()
    for family, block in lp.constraints.items():
        lows, ups = _bound_lists(block.lower), _bound_lists(block.upper)
        start = block.start

        def rule(_m, i, lows=lows, ups=ups, start=start):
            s, e = indptr[start + i], indptr[start + i + 1]
            lo, up = lows[i], ups[i]
            if s == e:  # no terms: drop a row that always holds, keep one that cannot
                ok = (lo is None or lo <= 0.0) and (up is None or up >= 0.0)
                return pyo.Constraint.Skip if ok else pyo.Constraint.Infeasible
            body = LinearExpression(
                constant=0.0,
                linear_coefs=data[s:e],
                linear_vars=[columns[j] for j in indices[s:e]],
            )
            if lo is not None and lo == up:
                return body == lo
            return (lo, body, up)

        m.add_component(
            con_names[family], pyo.Constraint(range(block.size), rule=rule, doc=block.doc)
        )
    cols, coefs = _objective_terms(lp)
    m.objective = pyo.Objective(
        expr=LinearExpression(
            constant=0.0, linear_coefs=coefs, linear_vars=[columns[j] for j in cols]
        ),
        sense=pyo.minimize,
    )
    if not lp.integrality().any():  # a MIP has no duals to import
        m.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    return m


def environ_columns(m: pyo.ConcreteModel, lp: LinearProgram) -> list:
    """The environ model's variables in global column order."""
    var_names, _ = component_names(lp)
    return [v for family in lp.variables for v in m.component(var_names[family]).values()]


@dataclass
class PyomoSolution:
    """Result of :func:`solve_pyomo`."""

    objective: float
    x: np.ndarray
    termination: str
    solver: str
    model_seconds: float
    solve_seconds: float
    row_dual: dict[str, np.ndarray] = field(default_factory=dict)  # by constraint family
    model: pyo.ConcreteModel | None = None


def solve_pyomo(
    lp: LinearProgram, solver: str = "highs", time_limit: float | None = None
) -> PyomoSolution:
    """Build the environ model and solve it in memory with a Pyomo HiGHS interface.

    `solver` is a ``pyo.SolverFactory`` name: ``highs`` (``pyomo.contrib.solver``, the
    recommended interface) or ``appsi_highs``. Raises SolverError without an optimal solution.
    """
    t0 = time.perf_counter()
    m = to_pyomo_environ(lp)
    model_seconds = time.perf_counter() - t0
    opt = pyo.SolverFactory(solver)
    if not opt.available():
        raise SolverError(f"Pyomo solver '{solver}' is not available")
    kwargs: dict = {} if time_limit is None else {"timelimit": time_limit}
    t1 = time.perf_counter()
    try:
        result = opt.solve(m, **kwargs)
    except Exception as exc:  # no optimal solution to load
        raise SolverError(f"Pyomo/{solver} failed: {exc}") from exc
    termination = str(result.solver.termination_condition)
    if result.solver.termination_condition != pyo.TerminationCondition.optimal:
        raise SolverError(f"Pyomo/{solver} stopped with '{termination}'")
    solve_seconds = time.perf_counter() - t1
    x = np.array([v.value if v.value is not None else 0.0 for v in environ_columns(m, lp)])
    _, con_names = component_names(lp)
    duals = {
        family: _duals(m, m.component(con_names[family]), block.size)
        for family, block in lp.constraints.items()
    }
    return PyomoSolution(
        objective=float(pyo.value(m.objective)),
        x=x,
        termination=termination,
        solver=solver,
        model_seconds=model_seconds,
        solve_seconds=solve_seconds,
        row_dual=duals,
        model=m,
    )


def _duals(m: pyo.ConcreteModel, con: pyo.Constraint, n: int) -> np.ndarray:
    """Dual per local row (NaN for rows skipped as empty)."""
    out = np.full(n, np.nan)
    if not hasattr(m, "dual"):
        return out
    for i, data in con.items():
        out[i] = m.dual.get(data, np.nan)
    return out


# --- timing ------------------------------------------------------------------------------


def synthetic_lp(n_cols: int, n_rows: int, per_col: int = 3, seed: int = 0) -> LinearProgram:
    """A random sparse LP (two variable and two constraint families) for timing the builders."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    lp = LinearProgram()
    half = n_cols // 2
    a = lp.add_variables("a", pd.DataFrame({"i": np.arange(half)}), upper=10.0)
    b = lp.add_variables("b", pd.DataFrame({"i": np.arange(n_cols - half)}), upper=5.0)
    cols = np.concatenate([a.ids, b.ids])
    lp.add_objective("cost", cols, -rng.random(n_cols))
    r1 = n_rows // 2
    for name, n, lo, up in (("cap", r1, -np.inf, 100.0), ("mix", n_rows - r1, -50.0, 50.0)):
        nnz = n_cols * per_col // 2
        lp.add_constraints(
            name,
            pd.DataFrame({"row": np.arange(n)}),
            rng.integers(0, n, nnz),
            rng.integers(0, n_cols, nnz),
            rng.random(nnz) + 0.1,
            lower=lo,
            upper=up,
        )
    return lp


def _main() -> None:
    """``python -m rsoi.lp.pyomo_model [--cols N]``: time the Pyomo route against highspy."""
    import argparse

    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.lp.solve import solve
    from rsoi.model.loader import load_model

    parser = argparse.ArgumentParser(description=_main.__doc__)
    parser.add_argument("--model", default="models/korea_taiwan.yaml")
    parser.add_argument("--scenario", default="invasion")
    parser.add_argument("--cols", type=int, default=0, help="also time a synthetic LP")
    args = parser.parse_args()

    def clock(label: str, fn):
        t = time.perf_counter()
        out = fn()
        print(f"{label:<44} {time.perf_counter() - t:8.3f} s")
        return out

    lp, _ctx = build(prepare(load_model(args.model, args.scenario)))
    print(f"{args.model} [{args.scenario}]: {lp.n_cols} cols, {lp.n_rows} rows, {lp.nnz} nnz")
    direct = clock("rsoi.lp.solve (highspy, in memory)", lambda: solve(lp))
    clock("to_pyomo (kernel block)", lambda: to_pyomo(lp))
    clock("to_pyomo_environ (ConcreteModel)", lambda: to_pyomo_environ(lp))
    for name in ("highs", "appsi_highs"):
        res = clock(f"solve_pyomo(solver={name!r}) total", lambda n=name: solve_pyomo(lp, n))
        rel = abs(res.objective - direct.objective) / max(1.0, abs(direct.objective))
        print(
            f"  model {res.model_seconds:.3f} s, solver call {res.solve_seconds:.3f} s, "
            f"objective {res.objective:.6f} vs {direct.objective:.6f} (rel {rel:.1e})"
        )
    if args.cols:
        big = clock(f"synthetic_lp({args.cols})", lambda: synthetic_lp(args.cols, args.cols // 2))
        print(f"synthetic: {big.n_cols} cols, {big.n_rows} rows, {big.nnz} nnz")
        clock("rsoi.lp.solve handover (make_highs)", lambda: _handover(big))
        clock("to_pyomo (kernel block)", lambda: to_pyomo(big))
        clock("to_pyomo_environ (ConcreteModel)", lambda: to_pyomo_environ(big))


def _handover(lp: LinearProgram) -> None:
    from rsoi.lp.highs_io import make_highs

    make_highs(lp, None, "choose")


if __name__ == "__main__":
    _main()
