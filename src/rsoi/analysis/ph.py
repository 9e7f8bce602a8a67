"""Progressive hedging for ``rsoi hedge --method ph``, through mpi-sppy (optional extra).

Each member's LP goes to Pyomo through ``rsoi.lp.pyomo_model.to_pyomo_environ``; its
first-stage columns, in the order of the set's shared names, are the nonanticipative
variables of mpi-sppy's ROOT node. A name a member lacks becomes a variable fixed at 0 there,
and a name that is fixed to 0 in the extensive form (a route or force-theater pair some
member lacks) is fixed to 0 in every member, so both routes solve the same problem.

Serial by default. Across processes, install ``mpi4py`` and start the same command under
MPI, e.g. ``mpiexec -n 3 python -m mpi4py -m rsoi hedge --method ph``: mpi-sppy then spreads
the scenarios over the ranks (every rank runs the command; only rank 0 writes the folder).
Only the serial path is tested here (mpi4py is not installed in the test environment).
"""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING

import numpy as np

from rsoi.errors import SolverError

if TYPE_CHECKING:
    from rsoi.analysis.hedge import Member

DEFAULT_OPTIONS: dict = {
    "PHIterLimit": 500,
    "defaultPHrho": 1.0,
    "convthresh": 1e-6,
    "solver_name": "appsi_highs",
    "linearize_proximal_terms": True,  # the Pyomo HiGHS interface takes no quadratic term
    "proximal_linearization_tolerance": 1e-3,
}
"""PH settings: rho 1 per unit of a first-stage variable; `convthresh` bounds the mean
absolute deviation of the members' first stages from their average at the end."""


def progressive_hedging(
    members: list[Member], keys: list[str], missing: list[str], **options
) -> tuple[dict[str, float], dict]:
    """Run PH; returns the consensus first stage by name and PH's figures."""
    try:
        import pyomo.environ as pyo

        with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy announces itself on import
            from mpisppy.opt.ph import PH
            from mpisppy.utils import sputils
    except ImportError as exc:  # the optional extra is not installed
        raise SolverError(
            f"--method ph needs mpi-sppy (pip install 'rsoi[stochastic]'): {exc}"
        ) from None
    from rsoi.lp.pyomo_model import environ_columns, to_pyomo_environ

    by_name = {m.name: m for m in members}
    fixed_zero = set(missing)

    def scenario_creator(name: str):
        member = by_name[name]
        model = to_pyomo_environ(member.lp)
        columns = environ_columns(model, member.lp)
        lacking = [k for k in keys if k not in member.first_stage]
        model.first_stage_absent = pyo.Var(range(len(lacking)), bounds=(0.0, 0.0))
        absent = iter(model.first_stage_absent.values())
        nonants = []
        for key in keys:
            if key in member.first_stage:
                var = columns[member.first_stage[key]]
                if key in fixed_zero:
                    var.fix(0.0)
                nonants.append(var)
            else:
                nonants.append(next(absent))
        sputils.attach_root_node(model, 0.0, nonants)
        model._mpisppy_probability = member.probability
        return model

    settings = {
        **DEFAULT_OPTIONS,
        "asynchronousPH": False,
        "verbose": False,
        "display_timing": False,
        "display_progress": False,
        "iter0_solver_options": {},
        "iterk_solver_options": {},
        "toc": False,
    }
    settings.update(options)
    with contextlib.redirect_stdout(io.StringIO()):  # mpi-sppy prints progress
        ph = PH(settings, [m.name for m in members], scenario_creator)
        conv, _eobj, trivial_bound = ph.ph_main()
    values = None
    for scenario in ph.local_scenarios.values():
        xbars = scenario._mpisppy_model.xbars
        values = [pyo.value(xbars[("ROOT", i)]) for i in range(len(keys))]
        break
    if values is None:
        raise SolverError("progressive hedging returned no scenario on this rank")
    plan = {k: float(v) for k, v in zip(keys, values, strict=True)}
    info = {
        "iterations": int(ph._PHIter),
        "convergence": float(conv),
        "convthresh": settings["convthresh"],
        "rho": settings["defaultPHrho"],
        "trivial_bound": float(trivial_bound) if trivial_bound is not None else None,
        "solver": settings["solver_name"],
        "rank": int(ph.cylinder_rank) if hasattr(ph, "cylinder_rank") else 0,
    }
    if not np.isfinite(info["convergence"]):
        raise SolverError("progressive hedging did not converge")
    return plan, info
