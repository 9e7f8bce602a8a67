r"""The Korea-defense / Taiwan-support frontier (``rsoi frontier``), by the ε-constraint method.

The two measures (both in combat-power units summed over the periods, lower is better):

- Korea: $K(x) = \sum e^{\mathrm{korea}}_{ct} + \sum_t e^{\mathrm{floor}}_t$, the combat power
  short of the Korean theater's requirement plus the shortfall of the elastic deterrence floor
  (the combat power kept on the peninsula below the deterrence need);
- Taiwan: $W(x) = \sum e^{\theta}_{ct}$ over every other theater: the combat power short of
  the Taiwan theater's requirement.

Extremes: $K_{\min} = \min K$; $W_{\min} = \min W$ and $K_{\max} = \min\{K : W \le W_{\min}\}$.
For $\varepsilon$ at N evenly spaced values from $K_{\min}$ to $K_{\max}$ (both extremes
included) each point solves

1. $W^\*(\varepsilon) = \min\{W(x) : K(x) \le \varepsilon\}$, then
2. the model's own objective subject to $K(x) \le \varepsilon$, $W(x) \le W^\*(\varepsilon)$
   (the rest of the objective is the tie-breaker: lateness, cost, other shortfalls).

The point the model's current weights pick (the plain solve) is added and marked.
All of it runs on one live HiGHS model: two rows are added once, and each point changes only
their bounds and the costs, continuing from the previous point's basis. `--cold` rebuilds
the LP and solves every point from scratch.
"""

from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

from rsoi.analysis.common import Settings, folder_name, write_summary
from rsoi.analysis.warm import VariantResult, WarmModel, figures
from rsoi.errors import Problem
from rsoi.lp.highs_io import HIGHS_INF
from rsoi.lp.interrupt import new_highs, run_highs
from rsoi.model.variant import BASELINE
from rsoi.results.tables import atomic_run_dir, write_csv

KOREA = "korea"
DUALS_OF_POINT = "the frontier point's epsilon-problem (two more rows: K <= epsilon, W <= W*)"
"""`duals_of` of a point's run folder: its prices are not the model's own."""
REL_TOL = 1e-9
"""Relative slack on the ε and W* bounds (numerical room, far below any reported digit)."""


def measures(lp, ctx) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient vectors of K (Korea-defense shortfall) and W (Taiwan-support shortfall)."""
    k = np.zeros(lp.n_cols)
    w = np.zeros(lp.n_cols)
    short = lp.variables.get("combat_shortfall")
    if short is not None and short.size:
        korea = (short.index["theater"] == KOREA).to_numpy()
        k[short.ids[korea]] = 1.0
        w[short.ids[~korea]] = 1.0
    floor = lp.variables.get("policy_deterrence_floor_shortfall")
    if floor is not None and floor.size:
        k[floor.ids] = 1.0
    return k, w


def trade_off(table: pd.DataFrame) -> str:
    r"""'' when the frontier trades one measure for the other; else why it does not.

    The frontier is degenerate when $K_{\max} - K_{\min}$ is within the numerical slack
    (REL_TOL relative, or 1e-6 absolute) on the optimal grid points: one plan then reaches
    the least Korea measure and the least Taiwan measure together, so no point can buy one
    with the other and every point is the same plan's measures."""
    ok = table[(table["status"] == "optimal") & ~table["current_weights"].astype(bool)]
    if ok.empty:
        return "no frontier point solved"
    k, w = ok["korea_shortfall"], ok["taiwan_shortfall"]

    def flat(v: pd.Series) -> bool:
        return float(v.max() - v.min()) <= max(1e-6, REL_TOL * float(v.abs().max()))

    if flat(k) and flat(w):
        return (
            f"no trade-off: one plan reaches both the least Korea measure ({k.min():,.6g}) "
            f"and the least Taiwan measure ({w.min():,.6g}) at once, so every point is the "
            "same; combat power is not short in one theater because it serves the other"
            + (" (neither theater is short at all)" if k.max() <= 1e-6 and w.max() <= 1e-6 else "")
        )
    return ""


@dataclass
class FrontierResult:
    table: pd.DataFrame
    results: list[VariantResult]
    no_trade_off: str = ""  # why the frontier is degenerate ('' when it has a trade-off)
    korea_label: str = "Korea-defense shortfall (combat power x periods)"
    taiwan_label: str = "Taiwan-support shortfall (combat power x periods)"


class _Live:
    """A HiGHS model of the LP plus the two measure rows, with helpers to run one stage."""

    def __init__(self, wm: WarmModel) -> None:
        self.wm, self.lp, self.h = wm, wm.lp, wm.h
        self.k, self.w = measures(self.lp, wm.ctx)
        self.c = self.lp.cost()
        n = self.lp.n_rows
        self.rows = np.array([n, n + 1], dtype=np.int32)
        both = np.vstack([self.k, self.w])
        nz = [np.flatnonzero(v) for v in both]
        starts = np.array([0, len(nz[0])], dtype=np.int32)
        index = np.concatenate(nz).astype(np.int32)
        value = np.concatenate([self.k[nz[0]], self.w[nz[1]]])
        self.h.addRows(
            2, np.full(2, -HIGHS_INF), np.full(2, HIGHS_INF), len(index), starts, index, value
        )
        self.cols = np.arange(self.lp.n_cols, dtype=np.int32)
        wm.start_from_base(extra_rows=2)
        self.bases: dict[str, object] = {"c": self.h.getBasis()}

    def stage(
        self, cost: np.ndarray, k_max: float, w_max: float, slot: str | None = None
    ) -> np.ndarray | None:
        """Minimise `cost` subject to K <= k_max, W <= w_max; the optimum x, or None.

        `slot` names a kind of stage: it starts from the basis the last stage of the same kind
        ended with, so consecutive points differ only in a bound (a few dual simplex steps)
        instead of a change of objective (thousands of primal steps).
        """
        h = self.h
        if slot is not None and slot in self.bases:
            h.setBasis(self.bases[slot])
        h.changeColsCost(len(self.cols), self.cols, cost)
        upper = np.array([k_max, w_max])
        upper = np.where(np.isinf(upper), HIGHS_INF, upper)
        h.changeRowsBounds(2, self.rows, np.full(2, -HIGHS_INF), upper)
        run_highs(h)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        if slot is not None:
            self.bases[slot] = h.getBasis()
        sol = h.getSolution()
        # the model's own rows (the two measure rows follow them)
        self.last_dual = np.asarray(sol.row_dual, dtype=float)[: self.lp.n_rows]
        return np.asarray(sol.col_value, dtype=float)[: self.lp.n_cols]


def _slack(v: float) -> float:
    return v + REL_TOL * max(1.0, abs(v))


def _point(live: _Live, eps: float | None, w_bound: float | None = None) -> np.ndarray | None:
    """The frontier point at K <= eps (None: the current weights' plan)."""
    if eps is None:
        return live.stage(live.c, np.inf, np.inf, "c")
    if w_bound is None:
        x = live.stage(live.w, _slack(eps), np.inf, "w")
        if x is None:
            return None
        w_bound = float(live.w @ x)
    return live.stage(live.c, _slack(eps), _slack(w_bound), "c")


def _new_live(model_path: str, scenario: str | None) -> _Live:
    wm = WarmModel(model_path, scenario)
    if not wm.warmable:
        raise Problem.about(
            str(model_path),
            "settings",
            "the frontier needs an LP with the weighted objective that solves",
            "set settings.objective: weighted and integer_units: false",
        )
    return _Live(wm)


def trace(model_path: str, scenario: str | None, points: int, cold: bool) -> list[dict]:
    """Every frontier point (and the current weights' plan) as a row; runs on one worker."""
    live = _new_live(model_path, scenario)
    if not live.k.any() or not live.w.any():
        raise Problem.about(
            str(model_path),
            "combat_requirements",
            "the scenario has no combat-power requirement in both Korea and another "
            "theater: there is no trade-off to trace",
            "choose a scenario in which both theaters need combat power",
        )
    k_min_x = live.stage(live.k, np.inf, np.inf)
    w_min_x = live.stage(live.w, np.inf, np.inf, "w")
    if k_min_x is None or w_min_x is None:
        raise Problem.about(str(model_path), "scenario", "the scenario does not solve", "")
    k_min = float(live.k @ k_min_x)
    w_min = float(live.w @ w_min_x)
    k_max_x = live.stage(live.k, np.inf, _slack(w_min))
    k_max = float(live.k @ k_max_x) if k_max_x is not None else k_min
    grid = np.linspace(k_min, max(k_min, k_max), points)
    plan: list[tuple[str, float | None, float | None]] = [
        (f"{i + 1}", float(e), w_min if i == points - 1 else None) for i, e in enumerate(grid)
    ]
    plan.append(("current weights", None, None))
    rows = []
    for name, eps, w_bound in plan:
        t0 = time.perf_counter()
        if cold and name != plan[0][0]:
            live = _new_live(model_path, scenario)
        x = _point(live, eps, w_bound)
        row: dict = {"point": name, "epsilon": eps if eps is not None else float("nan")}
        if x is None:
            row.update(status="solver_error", error="no optimal solution at this point")
        else:
            f = figures(live.lp, live.wm.ctx, x)
            row.update(
                status="optimal",
                error="",
                korea_shortfall=float(live.k @ x),
                taiwan_shortfall=float(live.w @ x),
                objective=float(live.c @ x),
                **{f"objective:{p}": v for p, v in f["objective_parts"].items()},
                **{f"combat_power:{g}": v for g, v in f["power_by_group"].items()},
            )
            row["_x"] = x
            row["_dual"] = live.last_dual
        row["_seconds"] = time.perf_counter() - t0
        rows.append(row)
    return rows


def frontier(
    model_path: str | Path,
    scenario: str | None,
    target: Path,
    points: int = 11,
    settings: Settings | None = None,
) -> FrontierResult:
    """Trace the frontier; write frontier.csv, frontier.png/svg, report.html and checked runs."""
    settings = settings or Settings()
    path = str(Path(model_path).resolve())
    t0 = time.perf_counter()
    if settings.scheduler:
        from rsoi.analysis.cluster import dask_client

        with dask_client(
            settings.scheduler, settings.workers, timeout=settings.scheduler_timeout
        ) as client:
            rows = client.submit(trace, path, scenario, points, settings.cold, pure=False).result()
    else:
        rows = trace(path, scenario, points, settings.cold)
    settings.timings["trace"] = time.perf_counter() - t0
    ok = [r for r in rows if r["status"] == "optimal"]
    current = rows[-1]
    for r in rows:
        r["current_weights"] = r is current
    if current["status"] == "optimal" and ok:
        grid = [r for r in ok if r is not current]
        nearest = min(
            grid,
            key=lambda r: (
                abs(r["korea_shortfall"] - current["korea_shortfall"])
                + abs(r["taiwan_shortfall"] - current["taiwan_shortfall"])
            ),
        )
        current["epsilon"] = current["korea_shortfall"]
        current["nearest_point"] = nearest["point"]
    results = [VariantResult(str(r["point"]), r["status"], error=r.get("error", "")) for r in rows]
    with atomic_run_dir(target, analysis="frontier") as tmp:
        t1 = time.perf_counter()
        _check_points(path, scenario, rows, tmp, settings, results)
        settings.timings["write_and_check"] = time.perf_counter() - t1
        table = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
        table["run_dir"] = [res.run_dir for res in results]
        table["check"] = [res.checked or "not checked" for res in results]
        write_csv(tmp / "frontier.csv", table)
        why = trade_off(table)
        png, svg = _plot(table, why)
        (tmp / "frontier.png").write_bytes(png)
        (tmp / "frontier.svg").write_text(svg, encoding="utf-8")
        _report(tmp, table, svg, scenario, why)
        write_summary(
            tmp,
            "frontier",
            model_path,
            scenario,
            results,
            settings,
            {
                "points": points,
                "korea_measure": FrontierResult.korea_label,
                "taiwan_measure": FrontierResult.taiwan_label,
                "trade_off": not why,
                "no_trade_off_reason": why,
            },
        )
    return FrontierResult(table, results, no_trade_off=why)


def _check_points(path, scenario, rows, folder: Path, settings: Settings, results) -> None:
    """Write run folders for the current weights' plan and both extremes (all: every point).

    The plans of the ε-points satisfy every constraint of the model, so the checker verifies
    them like any run; their shadow prices are those of the ε-problem (see frontier.csv).
    """
    from rsoi.analysis.warm import write_variant_run
    from rsoi.lp.solve import Solution

    if settings.check == "none":
        return
    if settings.check == "all":
        chosen = list(range(len(rows)))
    else:
        chosen = sorted({0, len(rows) - 2, len(rows) - 1})
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model

    model = load_model(path, scenario, use_default=False)
    prep = prepare(model)
    lp, ctx = build(prep)
    version = new_highs()
    version = f"{version.versionMajor()}.{version.versionMinor()}.{version.versionPatch()}"
    for i in chosen:
        row = rows[i]
        if row["status"] != "optimal":
            continue
        x = row["_x"]
        parts = {p: float(np.dot(c, x[cols])) for p, (cols, c) in lp.objective_parts.items()}
        # shadow prices of the model's rows in the point's own (ε-bounded) problem; for the
        # current weights' plan they are the plain model's
        activity = lp.matrix_csc() @ x
        sol = Solution(
            status="optimal",
            model_status="Optimal",
            objective=float(lp.cost() @ x),
            x=x,
            row_activity=activity,
            row_dual=row["_dual"],
            col_dual=np.zeros(lp.n_cols),
            objective_parts=dict(sorted(parts.items())),
            solver="HiGHS",
            solver_version=version,
            handover_seconds=0.0,
            solve_seconds=0.0,
            mip=False,
        )
        name = "point-" + folder_name(str(row["point"]))
        results[i].run_dir = name
        checked = write_variant_run(
            model,
            prep,
            lp,
            ctx,
            sol,
            BASELINE,
            str(folder / name),
            settings.check != "none",
            duals_of=None if row.get("current_weights") else DUALS_OF_POINT,
        )
        results[i].checked = checked


def _plot(table: pd.DataFrame, why: str = "") -> tuple[bytes, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "rsoi-frontier"
    ok = table[table["status"] == "optimal"]
    grid = ok[~ok["current_weights"]]
    cur = ok[ok["current_weights"]]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=110)
    ax.plot(grid["korea_shortfall"], grid["taiwan_shortfall"], "-o", color="#1f5fa8", ms=4,
            label="frontier (ε-constraint)")  # fmt: skip
    if len(cur):
        ax.plot(cur["korea_shortfall"], cur["taiwan_shortfall"], "*", color="#c0392b", ms=14,
                label="current weights")  # fmt: skip
    ax.set_xlabel(FrontierResult.korea_label)
    ax.set_ylabel(FrontierResult.taiwan_label)
    ax.set_title("Korea defense vs Taiwan support (notional data)")
    if why and len(ok):  # one point: an axis from 0 with room, and the reason on the chart
        for setter, column in ((ax.set_xlim, "korea_shortfall"), (ax.set_ylim, "taiwan_shortfall")):
            top = float(ok[column].max())
            setter(min(0.0, float(ok[column].min())), max(1.0, 1.2 * top))
        ax.text(0.5, 0.5, "no trade-off: a single point", transform=ax.transAxes,
                ha="center", va="center", color="#555")  # fmt: skip
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    png, svg = io.BytesIO(), io.StringIO()
    fig.savefig(png, format="png", metadata={"Software": None})
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return png.getvalue(), svg.getvalue()


def _report(folder: Path, table: pd.DataFrame, svg: str, scenario, why: str = "") -> None:
    from rsoi.outputs.html import frame_table, page

    svg_body = svg[svg.index("<svg") :]
    headers = {
        "point": "point",
        "epsilon": "ε: Korea measure at most (combat power × periods)",
        "status": "solver status",
        "korea_shortfall": FrontierResult.korea_label,
        "taiwan_shortfall": FrontierResult.taiwan_label,
        "objective": "model objective (penalty units)",
        "current_weights": "the current weights' plan?",
        "nearest_point": "nearest point",
        "check": "independent check",
    }
    headers.update(
        {
            c: f"combat power in {c.split(':', 1)[1]} (combat power × periods)"
            for c in table.columns
            if c.startswith("combat_power:")
        }
    )
    note = (
        f"Scenario {html.escape(str(scenario or 'base'))}. Korea measure: "
        f"{html.escape(FrontierResult.korea_label)}; Taiwan measure: "
        f"{html.escape(FrontierResult.taiwan_label)}. Each point minimises the Taiwan measure "
        "with the Korea measure bounded by ε, then the model's own objective as tie-breaker. "
        "The star is the plan the current weights pick. Notional data."
    )
    lead = (
        f"<p><strong>This scenario's frontier is degenerate</strong> — {html.escape(why)}.</p>"
        if why
        else "<p>Lower shortfall is better on both measures; along the frontier one is "
        "bought with the other.</p>"
    )
    points = lead + frame_table(table, headers)
    sections = [
        ("frontier", "Frontier", f'<div class="figure">{svg_body}</div>'),
        ("points", "Points", points),
    ]
    (folder / "report.html").write_text(
        page("rsoi frontier: Korea defense vs Taiwan support", sections, note=note),
        encoding="utf-8",
    )
