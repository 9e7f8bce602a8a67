"""The HiGHS hand-over: infinities, every method on a hand-solved LP, `--solver` end to end."""

from __future__ import annotations

import typing
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest

from rsoi.errors import SolverError
from rsoi.lp.highs_io import HIGHS_INF, highs_inf
from rsoi.lp.methods import METHODS
from rsoi.lp.program import LinearProgram
from rsoi.lp.solve import solve
from rsoi.model.schema import Settings
from tests.helpers import SHIPPED, run_cli, small_model, write_model


def _hand_lp() -> LinearProgram:
    """min 3x + 2y  s.t.  x + y >= 4 (row `need`),  y <= 3 (row `cap`),  x, y >= 0.

    y is cheaper, so it takes its cap: y = 3, x = 1, objective 3 + 6 = 9. Duals: one more ton
    needed costs an x (3); one more unit of cap saves 3 - 2 = 1 (dual -1).
    """
    lp = LinearProgram()
    v = lp.add_variables("v", pd.DataFrame({"name": ["x", "y"]}))
    lp.add_constraints(
        "need", pd.DataFrame({"k": [0]}), rows=[0, 0], cols=v.ids, coefs=[1.0, 1.0], lower=4.0
    )
    lp.add_constraints(
        "cap", pd.DataFrame({"k": [0]}), rows=[0], cols=v.ids[1:], coefs=[1.0], upper=3.0
    )
    lp.add_objective("cost", v.ids, np.array([3.0, 2.0]))
    return lp


def _has(method: str) -> bool:
    """Whether the installed HiGHS accepts `method` (HiPO needs optional libraries)."""
    return highspy.Highs().setOptionValue("solver", method) != highspy.HighsStatus.kError


def test_infinities_become_highs_infinity() -> None:
    out = highs_inf([np.inf, -np.inf, 2.5])
    assert out.tolist() == [HIGHS_INF, -HIGHS_INF, 2.5]


def test_schema_offers_exactly_the_methods() -> None:
    field = Settings.model_fields["solver"].annotation
    assert set(typing.get_args(field)) == set(METHODS)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_finds_the_hand_optimum(method: str) -> None:
    if not _has(method):  # this HiGHS build lacks it: refused with a fix, never ignored
        with pytest.raises(SolverError, match=f"cannot run method '{method}'.*fix"):
            solve(_hand_lp(), algorithm=method)
        return
    sol = solve(_hand_lp(), algorithm=method)
    assert sol.objective == pytest.approx(9.0, abs=1e-5)
    assert sol.x == pytest.approx([1.0, 3.0], abs=1e-4)
    if method != "pdlp":  # crossover: exact duals
        assert sol.row_dual == pytest.approx([3.0, -1.0], abs=1e-7)


def test_cli_solver_flag_reaches_highs_and_the_summary(tmp_path: Path) -> None:
    import json

    model = write_model(tmp_path / "project", small_model())
    objectives = {}
    for method in ("simplex", "ipm"):
        out = tmp_path / method
        code, _, err = run_cli("solve", str(model), "--out", str(out), "--quiet",
                               "--solver", method, "--no-check")  # fmt: skip
        assert code == 0, err
        summary = json.loads((out / "summary.json").read_text())
        assert summary["solver_method"] == method
        objectives[method] = summary["objective"]
    assert objectives["ipm"] == pytest.approx(objectives["simplex"], rel=1e-7)
    with pytest.raises(SystemExit) as refused:  # argparse: usage error, exit 2
        run_cli("solve", str(model), "--solver", "barrier")
    assert refused.value.code == 2


def test_rsoi_scaling_is_set_and_keeps_the_shipped_optima() -> None:
    """rsoi's ``simplex_scale_strategy`` (picked from scripts/bench_scale.py's curve, issue 19)
    reaches HiGHS's default-scaling optimum on shipped scenarios (no timing here)."""
    from rsoi.lp.build import build
    from rsoi.lp.highs_io import (
        SIMPLEX_SCALE_STRATEGY,
        configured_highs,
        is_optimal,
        make_highs,
        objective_value,
    )
    from rsoi.lp.prepare import prepare
    from rsoi.model.loader import load_model

    _status, scale = configured_highs().getOptionValue("simplex_scale_strategy")
    assert scale == SIMPLEX_SCALE_STRATEGY
    model = SHIPPED
    for scenario in ("invasion", "invasion_base_attacks", "korea_first_then_taiwan"):
        lp, _ctx = build(prepare(load_model(model, scenario)))
        values = []
        for scale in (SIMPLEX_SCALE_STRATEGY, 1):  # 1: HiGHS's default
            h = make_highs(lp, None, "simplex")
            h.setOptionValue("simplex_scale_strategy", scale)
            h.run()
            assert is_optimal(h), scenario
            values.append(objective_value(h))
        assert values[0] == pytest.approx(values[1], rel=1e-8), scenario
