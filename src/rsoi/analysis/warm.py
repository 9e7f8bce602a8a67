"""The shared warm re-solve engine: one LP build and one HiGHS model per scenario and worker.

A *variant* is the scenario with a few edits to its validated model (a policy setting, an
attack on a node). The engine never repeats the builder's mathematics: it runs the builder on
the edited model in memory (no file read, no hand-over to HiGHS, no solve), lines the
variant's LP up with the live HiGHS model by constraint and variable *names*, and sends only
the differences:

- changed variable bounds and costs (``changeColsBounds``, ``changeColsCost``);
- changed row bounds (``changeRowsBounds``);
- rows or variables that exist only in the variant (``addRows``/``addCols``), and changed
  coefficients (``changeCoeff``);
- rows that exist only in the base are freed, variables that exist only in the base are
  fixed at 0 (an absent variable is a variable held at 0).

If a column the variant lacks ends basic, the live optimum is the variant's but its prices
are not a vertex of the variant's own dual; that variant is then solved on its own LP
(cold, in a HiGHS model of its own), so every member's prices pass the checker's vertex test.

Each variant is solved by the dual/primal simplex from the base optimum's basis (so the result
does not depend on which worker solved which variant before), then everything is restored.
The builder stays the single source of truth, so a warm result equals a cold one by
construction; `solve_variant(..., cold=True)` rebuilds and re-solves from scratch to prove it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import scipy.sparse as sp

from rsoi.errors import InfeasibleError, InputError, SolverError
from rsoi.lp.highs_io import (
    add_cols,
    add_rows,
    any_basic_col,
    change_col_bounds,
    change_col_costs,
    change_row_bounds,
    clean_primal,
    extended_basis,
    is_infeasible,
    is_optimal,
    make_highs,
    read_point,
    row_ranging,
    status_text,
    version,
)
from rsoi.lp.interrupt import run_highs
from rsoi.lp.program import LinearProgram
from rsoi.lp.solve import Solution, objective_parts
from rsoi.model.families import attack_scaled
from rsoi.model.variant import SAME_SCENARIO, Variant, apply_variant, with_solver

if TYPE_CHECKING:  # HiGHS is reached through rsoi.lp.highs_io
    import highspy

OK_STATUSES = ("optimal", "time_limit_feasible")

# --- results ----------------------------------------------------------------------------


@dataclass
class VariantResult:
    """One member of an analysis: its status, and the figures the tables need."""

    name: str
    status: str  # optimal | time_limit_feasible | infeasible | invalid_input | solver_error | error
    error: str = ""
    objective: float = float("nan")
    objective_parts: dict[str, float] = field(default_factory=dict)
    shortfall_by_class: dict[str, float] = field(default_factory=dict)
    lines_short_by_class: dict[str, int] = field(default_factory=dict)
    power_by_theater: dict[str, float] = field(default_factory=dict)
    power_by_group: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    warm: bool = True
    run_dir: str = ""
    checked: str = ""  # "passed", "FAILED: ...", or "" (not checked)

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


ZERO = 1e-9
"""Magnitudes below this are solver round-off and reported as 0 (as in the run tables)."""


def tidy(value: float) -> float:
    return 0.0 if abs(value) < ZERO else float(value)


def figures(lp: LinearProgram, ctx, x: np.ndarray) -> dict[str, dict]:
    """Per-class shortfall penalty and lines short, combat power per theater and force group."""
    spec = ctx.spec
    parts = {p: tidy(np.dot(v, x[c])) for p, (c, v) in lp.objective_parts.items()}
    classes = [c.id for c in spec.settings.priority_classes]
    shortfall = {c: parts.get(f"shortfall:{c}", 0.0) for c in classes}
    lines: dict[str, int] = dict.fromkeys(classes, 0)
    for part, (cols, coefs) in lp.objective_parts.items():
        if part.startswith("shortfall:"):
            lines[part.split(":", 1)[1]] = int(np.count_nonzero(x[cols] * coefs > 1e-6))
    power_theater: dict[str, float] = {t.id: 0.0 for t in spec.theaters}
    power_group: dict[str, float] = {}
    if ctx.share is not None and ctx.share.size:
        idx = ctx.share.index
        forces = {f.id: f for f in spec.forces}
        power = idx["force"].map(lambda f: forces[f].combat_power).to_numpy(float)
        group = idx["force"].map(lambda f: forces[f].assignment.value).to_numpy(object)
        value = power * x[ctx.share.ids]
        theaters = idx["theater"].to_numpy(object)
        for theater in sorted(set(theaters)):
            power_theater[theater] = tidy(value[theaters == theater].sum())
            for g in sorted(set(group)):
                sel = (theaters == theater) & (group == g)
                power_group[f"{g}:{theater}"] = tidy(value[sel].sum())
    return {
        "objective_parts": dict(sorted(parts.items())),
        "shortfall_by_class": shortfall,
        "lines_short_by_class": lines,
        "power_by_theater": power_theater,
        "power_by_group": power_group,
    }


# --- lining up two LPs by name ------------------------------------------------------------


def _align(base: dict, variant: dict, names) -> np.ndarray:
    """For each variant id, the base id with the same name, or -1."""
    n = sum(b.size for b in variant.values())
    out = np.full(n, -1, dtype=np.int64)
    for name, vb in variant.items():
        bb = base.get(name)
        if bb is None or vb.size == 0:
            continue
        v_ids = np.arange(vb.start, vb.start + vb.size)
        if bb.size == vb.size and bb.index.equals(vb.index):
            out[v_ids] = np.arange(bb.start, bb.start + bb.size)
            continue
        where = {key: i for i, key in enumerate(names(bb))}
        found = np.array([where.get(key, -1) for key in names(vb)], dtype=np.int64)
        out[v_ids] = np.where(found >= 0, found + bb.start, -1)
    return out


@dataclass
class _Delta:
    """What was sent to HiGHS for one variant, to map its answer back and undo it."""

    col_live: np.ndarray  # live column of each variant column
    row_live: np.ndarray  # live row of each variant row
    changed_cols: np.ndarray
    changed_rows: np.ndarray
    coeffs: list[tuple[int, int, float]]  # (row, col, base value)
    added_cols: int
    added_rows: int
    base_only_cols: np.ndarray  # live columns the variant lacks (held at 0)


# --- the live model -----------------------------------------------------------------------


class WarmModel:
    """One scenario, loaded, built, handed to HiGHS and solved once; variants re-solve warm."""

    def __init__(
        self, model_path: str | Path, scenario: str | None, method: str | None = None
    ) -> None:
        from rsoi.lp.build import build
        from rsoi.lp.prepare import prepare
        from rsoi.model.loader import load_model

        self.model = with_solver(load_model(model_path, scenario, use_default=False), method)
        self.prep = prepare(self.model)
        self.lp, self.ctx = build(self.prep)
        settings = self.model.spec.settings
        # warm starts need a basis: LPs with the weighted objective only (else: cold)
        self.warmable = settings.objective == "weighted" and not self.lp.integrality().any()
        self.h: highspy.Highs | None = None
        self.basis = None
        if not self.warmable:
            return
        # the base is solved with the chosen method (default: simplex, as every re-solve);
        # re-solves are dual simplex from its basis
        self.h = make_highs(self.lp, None, method or "simplex")
        self.lower, self.upper = self.lp.bounds()
        self.rlo, self.rup = self.lp.row_bounds()
        self.cost = self.lp.cost()
        self.A = self.lp.matrix_csc().tocsr()
        run_highs(self.h)
        self.h.setOptionValue("solver", "simplex")
        if (
            is_optimal(self.h) and not self.h.getBasis().valid
        ):  # a method without crossover (pdlp) leaves no basis: simplex finds one
            run_highs(self.h)
        if not is_optimal(self.h):
            self.warmable = False  # the base itself does not solve: every variant goes cold
            return
        self.basis = self.h.getBasis()

    # -- applying and undoing a variant --

    def _apply(self, lp: LinearProgram) -> _Delta:
        h, base = self.h, self.lp
        cmap = _align(base.variables, lp.variables, base.col_names)
        rmap = _align(base.constraints, lp.constraints, base.row_names)
        nb_c, nb_r = base.n_cols, base.n_rows
        lower, upper = lp.bounds()
        rlo, rup = lp.row_bounds()
        cost = lp.cost()
        # live columns: matched ones take the variant's bounds and cost, the others are 0
        tl, tu, tc = np.zeros(nb_c), np.zeros(nb_c), np.zeros(nb_c)
        m = cmap >= 0
        tl[cmap[m]], tu[cmap[m]], tc[cmap[m]] = lower[m], upper[m], cost[m]
        changed_cols = np.flatnonzero((tl != self.lower) | (tu != self.upper) | (tc != self.cost))
        if len(changed_cols):
            ids = changed_cols.astype(np.int32)
            change_col_bounds(h, ids, tl[ids], tu[ids])
            change_col_costs(h, ids, tc[ids])
        # live rows: matched ones take the variant's bounds, the others are free
        rl, ru = np.full(nb_r, -np.inf), np.full(nb_r, np.inf)
        mr = rmap >= 0
        rl[rmap[mr]], ru[rmap[mr]] = rlo[mr], rup[mr]
        changed_rows = np.flatnonzero((rl != self.rlo) | (ru != self.rup))
        if len(changed_rows):
            ids = changed_rows.astype(np.int32)
            change_row_bounds(h, ids, rl[ids], ru[ids])
        A = lp.matrix_csc()
        col_live = cmap.copy()
        new_cols = np.flatnonzero(~m)
        col_live[new_cols] = nb_c + np.arange(len(new_cols))
        if len(new_cols):  # their entries in matched rows; new rows bring the rest
            sub = A[:, new_cols].tocsc()
            sub = sp.csc_matrix(sub.multiply(mr[:, None]))
            sub.eliminate_zeros()
            add_cols(h, cost[new_cols], lower[new_cols], upper[new_cols], sub, rmap)
        row_live = rmap.copy()
        new_rows = np.flatnonzero(~mr)
        row_live[new_rows] = nb_r + np.arange(len(new_rows))
        if len(new_rows):
            sub = A.tocsr()[new_rows]
            add_rows(h, rlo[new_rows], rup[new_rows], sub, col_live)
        # coefficients of matched rows and columns, in the base's numbering
        coo = A.tocoo()
        keep = mr[coo.row] & m[coo.col]
        mapped = sp.csr_matrix(
            (coo.data[keep], (rmap[coo.row[keep]], cmap[coo.col[keep]])), shape=(nb_r, nb_c)
        )
        row_on = np.zeros(nb_r, bool)
        row_on[rmap[mr]] = True
        col_on = np.zeros(nb_c, bool)
        col_on[cmap[m]] = True
        base_on = sp.csr_matrix(
            sp.diags(row_on.astype(float)) @ self.A @ sp.diags(col_on.astype(float))
        )
        diff = (mapped - base_on).tocoo()
        coeffs = []
        for r, c, d in zip(diff.row, diff.col, diff.data, strict=True):
            if d != 0:
                coeffs.append((int(r), int(c), float(self.A[r, c])))
                h.changeCoeff(int(r), int(c), float(mapped[r, c]))
        return _Delta(
            col_live, row_live, changed_cols, changed_rows, coeffs, len(new_cols), len(new_rows),
            np.flatnonzero(~col_on),
        )  # fmt: skip

    def _restore(self, d: _Delta) -> None:
        h = self.h
        nb_c, nb_r = self.lp.n_cols, self.lp.n_rows
        if d.added_rows:
            h.deleteRows(d.added_rows, np.arange(nb_r, nb_r + d.added_rows, dtype=np.int32))
        if d.added_cols:
            h.deleteCols(d.added_cols, np.arange(nb_c, nb_c + d.added_cols, dtype=np.int32))
        for r, c, value in d.coeffs:
            h.changeCoeff(r, c, value)
        if len(d.changed_cols):
            ids = d.changed_cols.astype(np.int32)
            change_col_bounds(h, ids, self.lower[ids], self.upper[ids])
            change_col_costs(h, ids, self.cost[ids])
        if len(d.changed_rows):
            ids = d.changed_rows.astype(np.int32)
            change_row_bounds(h, ids, self.rlo[ids], self.rup[ids])

    def start_from_base(self, extra_cols: int = 0, extra_rows: int = 0) -> None:
        """Load the base optimum's basis (new columns at their lower bound, new rows basic).

        The solver's other state is cleared first, so a re-solve is a function of the model and
        this basis alone, never of the variants this worker solved before (byte-identical
        results whatever the number of workers).
        """
        self.h.clearSolver()
        if not extra_cols and not extra_rows:
            self.h.setBasis(self.basis)
            return
        self.h.setBasis(extended_basis(self.basis, extra_cols, extra_rows))

    # -- attacks without a rebuild --

    ATTACK_FAMILIES: ClassVar[dict[str, str]] = attack_scaled()
    """Families whose row bounds scale with the attack factor (see rsoi.lp.build docstrings)."""

    fast_attacks: bool | None = None
    """None: not yet verified; True/False: the attack shortcut agreed/disagreed with the builder."""

    def _factor(self, attacks) -> dict[str, np.ndarray]:
        """Remaining capacity share per target and period, composed as rsoi.lp.prepare does."""
        T = self.prep.T
        out: dict[str, np.ndarray] = {}
        for target, period, factor in attacks:
            f = out.setdefault(target, np.ones(T))
            f[period - 1 :] = np.minimum(f[period - 1 :], factor)
        return out

    def attack_rows(self, variant: Variant) -> tuple[np.ndarray, np.ndarray]:
        """Rows whose upper bound an attack-only variant changes, and their new bounds."""
        base = self._factor(
            [(a.target, a.from_period, a.capacity_factor) for a in self.model.spec.events.attacks]
        )
        new = self._factor(
            [(a.target, a.from_period, a.capacity_factor) for a in self.model.spec.events.attacks]
            + list(variant.attacks)
        )
        rows, upper = [], []
        for family, column in self.ATTACK_FAMILIES.items():
            block = self.lp.constraints.get(family)
            if block is None or block.size == 0:
                continue
            idx = block.index
            for target, factor in new.items():
                old = base.get(target, np.ones(self.prep.T))
                if np.array_equal(old, factor):
                    continue
                sel = np.flatnonzero((idx[column] == target).to_numpy())
                if not len(sel):
                    continue
                t = idx["period"].to_numpy()[sel] - 1
                before = old[t]
                # bound = capacity x factor: rescale where the base factor is not 0
                ratio = np.divide(factor[t], before, out=np.zeros(len(t)), where=before > 0)
                bound = block.upper[sel] * ratio
                rows.append(block.start + sel)
                upper.append(bound)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(rows), np.concatenate(upper)

    def solve_attack(
        self, variant: Variant, ranging: bool = False
    ) -> tuple[Solution, LinearProgram]:
        """An attack-only variant by changing row bounds alone (no rebuild).

        Returns the solution and a view of the base LP with the variant's row bounds (what
        the builder would have produced: `verify_attack_shortcut` compared them).
        """
        rows, upper = self.attack_rows(variant)
        view = copy.copy(self.lp)
        view.constraints = dict(self.lp.constraints)
        for name, block in self.lp.constraints.items():
            inside = (rows >= block.start) & (rows < block.start + block.size)
            if inside.any():
                bound = block.upper.copy()
                bound[rows[inside] - block.start] = upper[inside]
                view.constraints[name] = dataclasses.replace(block, upper=bound)
        delta = _Delta(
            np.arange(self.lp.n_cols),
            np.arange(self.lp.n_rows),
            np.zeros(0, np.int64),
            rows,
            [],
            0,
            0,
        )
        t0 = time.perf_counter()
        if len(rows):
            ids = rows.astype(np.int32)
            change_row_bounds(self.h, ids, self.rlo[ids], upper)
        try:
            self.start_from_base()
            run_highs(self.h)
            sol = self._read(view, delta, ranging, 0.0, time.perf_counter() - t0)
            return sol, view
        finally:
            self._restore(delta)

    def verify_attack_shortcut(self, variant: Variant, lp: LinearProgram) -> bool:
        """Does the shortcut send exactly what the builder's LP differs by? (once per model)"""
        rows, upper = self.attack_rows(variant)
        new_lo, new_up = lp.row_bounds()
        same_shape = (
            lp.n_rows == self.lp.n_rows
            and lp.n_cols == self.lp.n_cols
            and all(
                name in self.lp.constraints and self.lp.constraints[name].index.equals(b.index)
                for name, b in lp.constraints.items()
            )
        )
        if not same_shape:
            return False
        expect_up = self.rup.copy()
        expect_up[rows] = upper
        lo, up = lp.bounds()
        return bool(
            np.array_equal(new_lo, self.rlo)
            and np.allclose(new_up, expect_up, rtol=1e-12, atol=0)
            and np.array_equal(lo, self.lower)
            and np.array_equal(up, self.upper)
            and np.array_equal(lp.cost(), self.cost)
            and (lp.matrix_csc() != self.A.tocsc()).nnz == 0
        )

    def solve_lp(self, lp: LinearProgram, ranging: bool = False) -> Solution:
        """Solve `lp` (a variant of the base LP) warm on the live model; restore afterwards."""
        t0 = time.perf_counter()
        delta = self._apply(lp)
        try:
            handover = time.perf_counter() - t0
            self.start_from_base(delta.added_cols, delta.added_rows)
            t1 = time.perf_counter()
            run_highs(self.h)
            solve_seconds = time.perf_counter() - t1
            if self._absent_column_basic(delta):
                return self._solve_alone(lp)
            return self._read(lp, delta, ranging, handover, solve_seconds)
        finally:
            self._restore(delta)

    def _absent_column_basic(self, d: _Delta) -> bool:
        """Is a column the variant lacks (held at 0 on the live model) basic at the optimum?

        Then the live optimum is the variant's optimum, but its prices are not: a basic
        absent column pins a row's price that no column of the variant's own LP supports, so
        the prices are not a vertex of the variant's dual (the checker's shadow_price test)."""
        return is_optimal(self.h) and any_basic_col(self.h, d.base_only_cols)

    def _solve_alone(self, lp: LinearProgram) -> Solution:
        """The variant's own LP in a HiGHS model of its own (cold): a basic solution of it."""
        from rsoi.lp.solve import solve_with_settings

        return solve_with_settings(lp, self.model.spec.settings)

    def _read(
        self, lp: LinearProgram, d: _Delta, ranging: bool, handover: float, seconds: float
    ) -> Solution:
        h = self.h
        name = status_text(h)
        if is_infeasible(h):
            raise InfeasibleError("the hard constraints conflict", [])
        if not is_optimal(h):
            raise SolverError(f"HiGHS stopped with status '{name}' and no usable solution")
        point = read_point(h)
        x = clean_primal(point.col_value[d.col_live])
        row_value = point.row_value[d.row_live]
        row_dual = point.row_dual[d.row_live]
        col_dual = point.col_dual[d.col_live]
        row_range = row_ranging(h, d.row_live) if ranging else None
        return Solution(
            status="optimal",
            model_status=name,
            objective=float(np.dot(lp.cost(), x)) + 0.0,
            x=x,
            row_activity=row_value,
            row_dual=row_dual,
            col_dual=col_dual,
            objective_parts=objective_parts(lp, x),
            solver="HiGHS",
            solver_version=version(h),
            handover_seconds=handover,
            solve_seconds=seconds,
            mip=False,
            row_range=row_range,
        )


# --- the worker-local cache and the task function ---------------------------------------------

_CACHE = threading.local()
"""Per worker thread: {key: WarmModel}. A Highs object is not shared between threads."""


def model_key(model_path: str | Path, scenario: str | None, method: str | None = None) -> str:
    """Cache key: the model file's bytes (so an edited file is rebuilt), the scenario and the
    HiGHS method."""
    digest = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()
    return f"{digest}:{Path(model_path).resolve()}:{scenario}:{method}"


def warm_model(
    model_path: str | Path, scenario: str | None, method: str | None = None
) -> WarmModel:
    """This worker's built model for (file, scenario), building it on first use."""
    cache = getattr(_CACHE, "models", None)
    if cache is None:
        cache = _CACHE.models = {}
    key = model_key(model_path, scenario, method)
    if key not in cache:
        if len(cache) >= 4:  # a worker that saw many scenarios keeps only the latest few
            cache.pop(next(iter(cache)))
        cache[key] = WarmModel(model_path, scenario, method)
    return cache[key]


def clear_cache() -> None:
    _CACHE.models = {}


def cold_solve(model, time_limit: float | None = None):
    """Prepare, build and solve `model` from scratch; returns (prep, lp, ctx, solution)."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.lp.solve import solve_with_settings

    prep = prepare(model)
    lp, ctx = build(prep)
    sol = solve_with_settings(lp, model.spec.settings, time_limit)
    return prep, lp, ctx, sol


def _describe(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, InfeasibleError):
        rows = ", ".join(exc.conflicting[:5])
        return "infeasible", str(exc) + (f" (conflicting: {rows})" if rows else "")
    if isinstance(exc, InputError):
        return "invalid_input", "; ".join(f"{p.field}: {p.message}" for p in exc.problems)[:500]
    if isinstance(exc, SolverError):
        return "solver_error", str(exc)
    return "error", f"{type(exc).__name__}: {exc}"[:500]


def solve_variant(
    model_path: str,
    scenario: str | None,
    variant: Variant,
    cold: bool = False,
    write_to: str | None = None,
    check: bool = False,
    method: str | None = None,
) -> VariantResult:
    """Solve one variant (warm unless `cold`) with HiGHS method `method` (None: the model's
    ``settings.solver``); never raises for a bad member.

    With `write_to`, the variant's run folder is written there (tables, summary.json with the
    variant recorded) and, with `check`, verified by the independent checker.
    """
    t0 = time.perf_counter()
    try:
        from rsoi.model.loader import load_model

        own = variant.scenario if variant.scenario != SAME_SCENARIO else scenario
        if cold:
            model = apply_variant(
                with_solver(load_model(model_path, own, use_default=False), method), variant
            )
            prep, lp, ctx, sol = cold_solve(model)
            warm_used = False
        else:
            wm = warm_model(model_path, scenario, method)
            start = (
                wm.model
                if own == scenario
                else with_solver(load_model(model_path, own, use_default=False), method)
            )
            model = apply_variant(start, variant)
            attack_only = variant.attacks and not variant.settings and own == scenario
            if wm.warmable and attack_only and wm.fast_attacks:
                # bounds only: no rebuild (the shortcut was checked against the builder)
                prep, ctx = wm.prep, wm.ctx
                sol, lp = wm.solve_attack(variant, ranging=write_to is not None)
                warm_used = True
            elif wm.warmable:
                from rsoi.lp.build import build
                from rsoi.lp.prepare import prepare

                if model is wm.model:
                    prep, lp, ctx = wm.prep, wm.lp, wm.ctx
                else:
                    prep = prepare(model)
                    lp, ctx = build(prep)
                if attack_only and wm.fast_attacks is None:
                    wm.fast_attacks = wm.verify_attack_shortcut(variant, lp)
                sol = wm.solve_lp(lp, ranging=write_to is not None)
                warm_used = True
            else:
                prep, lp, ctx, sol = cold_solve(model)
                warm_used = False
        result = VariantResult(
            variant.name,
            sol.status,
            objective=float(sol.objective),
            warm=warm_used,
            **figures(lp, ctx, sol.x),
        )
        if write_to is not None:
            result.run_dir = write_to
            result.checked = write_variant_run(model, prep, lp, ctx, sol, variant, write_to, check)
    except InfeasibleError as infeasible:
        reason = infeasible
        if not cold and "wm" in locals() and getattr(wm, "warmable", False):
            # name the conflicting rows: HiGHS's IIS needs the variant on its own
            try:
                cold_solve(model)
            except InfeasibleError as again:
                reason = again
            except Exception:
                pass
        status, message = _describe(reason)
        result = VariantResult(variant.name, status, error=message, warm=not cold)
    except Exception as exc:  # a bad member is a row of the table, never the end of the analysis
        status, message = _describe(exc)
        result = VariantResult(variant.name, status, error=message, warm=not cold)
    result.seconds = time.perf_counter() - t0
    return result


def write_variant_run(
    model,
    prep,
    lp,
    ctx,
    sol,
    variant: Variant,
    folder: str,
    check: bool,
    duals_of: str | None = None,
) -> str:
    """Write a normal run folder for one variant; verify it with rsoi.results.check when asked.

    `duals_of` names the problem the shadow prices belong to when it is not the model itself
    (a frontier point's ε-problem): summary.json records it as `duals_of`, and the checker then
    verifies the prices' signs and slackness only, naming the rest as not verified.
    """
    from rsoi.pipeline import Run
    from rsoi.results.tables import make_tables, write_json, write_tables

    run = Run(model, prep, lp, ctx, sol, make_tables(lp, ctx, sol))
    summary = run.summary()
    if variant.has_edits:  # rsoi.results.check applies the same edits before checking
        summary["variant"] = variant.to_json()
    if duals_of is not None:
        summary["duals_of"] = duals_of
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=False)
    write_tables(path, run.tables)
    write_json(path / "summary.json", summary)
    if not check:
        return ""
    from rsoi.results.check import check_run

    report = check_run(path, summary=summary, model_path=model.path)
    if report.violations:
        return f"FAILED: {report.violations[0]}"
    return "passed"
