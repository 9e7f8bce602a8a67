r"""Independent solution checker: re-read a run folder and verify the plan against the model.

This package deliberately does not import ``rsoi.lp.prepare``, ``rsoi.lp.build``, ``rsoi.lp.program``,
``rsoi.lp.solve``, ``rsoi.results.tables`` or ``rsoi.pipeline``: from the validated model (``rsoi.model.loader``)
and the geometry files it derives, in its own plain loops (``derive``), the capacities after
attacks, the routes' distances, sea lanes (own Dijkstra on the sea-lane graph) and transit lags,
the force arrival periods (the arrival rule, ``force_arrival``), the active demand and requirement
lines and the access caps that apply (``access_task``); then it re-checks every constraint and
the objective against the CSV tables, following the math in the ``define_*`` docstrings of
``rsoi.lp.build``. A bug in the preparation or the LP builder therefore shows up here as a named
violation instead of a silently wrong plan.

Tables omit zero rows (flows, inventory, allocations, deliveries, production); values carry
9 significant digits, so comparisons use a relative tolerance (``REL_TOL``).
"""

from __future__ import annotations

from rsoi.results.check.base import TABLES, CheckReport
from rsoi.results.check.derive import (
    access_task,
    attack_factors,
    derive,
    derive_force_lags,
    derive_routes,
    force_arrival,
)
from rsoi.results.check.io import load_summary, read_tables
from rsoi.results.check.run import check_run, verify_run

__all__ = [
    "TABLES",
    "CheckReport",
    "access_task",
    "attack_factors",
    "check_run",
    "derive",
    "derive_force_lags",
    "derive_routes",
    "force_arrival",
    "load_summary",
    "read_tables",
    "verify_run",
]
