"""rsoi's mpi-sppy guest on HiGHS (rsoi.analysis.ph_guest): the proximal term by hand, and
the certified gap it reaches on a shipped set (issue 16)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rsoi.analysis.hedge import hedge, load_members, shared_keys, solve_alone
from rsoi.analysis.ph_guest import PROX_BREAKPOINTS, HighsGuest
from tests.helpers import SHIPPED
from tests.test_hedge import two_ports
from tests.tiny import write_model

KEY = "flow[ab,ammo,rok,1]"


def test_proximal_term_is_the_secant_of_the_quadratic(tmp_path: Path) -> None:
    """Member 'south' of two_ports, the tons x sent a->b in period 1 pinned to v, W = 0,
    rho = 2 on x only and xbar = 0: the optimum rises by P(v), the proximal term alone.
    Alone both members send 100 t, so the flow family's scale is 100 and the breakpoints
    include 25 and 100 (100 * 4^-1, 100 * 4^0). At a breakpoint P is the quadratic,
    rho / 2 * 25^2 = 625; at v = 62.5, between them, it is the secant,
    625 + (62.5 - 25) * (25 + 100) = 5,312.5 (the quadratic would give 3,906.25)."""
    assert {0.25, 1.0} <= set(PROX_BREAKPOINTS.tolist())
    _, _, members = load_members(write_model(two_ports(), tmp_path), "coin")
    keys, missing = shared_keys(members)
    guest = HighsGuest(members, keys, missing, solve_alone(members))
    sub = guest.scenario_creator("south")["scenario"]
    i = keys.index(KEY)
    rho, xbar = np.zeros(len(keys)), np.zeros(len(keys))
    rho[i] = 2.0
    pinned = np.zeros(len(keys), bool)
    pinned[i] = True
    for v, expected in ((25.0, 625.0), (62.5, 5312.5)):
        value = np.zeros(len(keys))
        value[i] = v
        assert sub.solve(None, None, None, pinned, value)[i] == pytest.approx(v)
        without = sub.objective
        sub.solve(None, rho, xbar, pinned, value)
        assert sub.objective - without == pytest.approx(expected, rel=1e-9)


def test_shipped_rheostat_poll_reaches_a_one_percent_gap() -> None:
    """Issue 16, done when: PH on mpi-sppy, through the guest, certifies a relative gap of at
    most 1% on the shipped rheostat_poll set (Pyomo-compiled subproblems reached 7.4% in
    five minutes), and its bounds bracket the extensive form's optimum RP."""
    ef = hedge(SHIPPED, "rheostat_poll")
    ph = hedge(SHIPPED, "rheostat_poll", method="ph", ph_options={"time_limit": 300})
    info = ph.ph_info
    assert info["gap_reached"] and info["rel_gap"] <= 0.01 and info["hedged"]
    assert info["lower_bound"] <= ef.hedged_objective * (1 + 1e-9) <= info["upper_bound"] + 1e-3
    assert info["upper_bound"] - ef.hedged_objective <= 0.01 * info["upper_bound"]
