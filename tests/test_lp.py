"""The LP container: names, matrix assembly, objective parts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rsoi.lp.program import LinearProgram


def _lp() -> LinearProgram:
    lp = LinearProgram()
    x = lp.add_variables("flow", pd.DataFrame({"route": ["r1", "r2"], "period": [1, 2]}))
    lp.add_constraints(
        "cap",
        pd.DataFrame({"route": ["r1"], "period": [1]}),
        rows=np.array([0, 0]),
        cols=x.ids,
        coefs=np.array([1.0, 2.0]),
        upper=5.0,
        source="s",
    )
    lp.add_objective("cost", x.ids, np.array([3.0, 4.0]))
    lp.add_objective("cost", x.ids[:1], 1.0)
    return lp


def test_names_follow_family_index_scheme():
    lp = _lp()
    assert lp.col_names(lp.variables["flow"]) == ["flow[r1,1]", "flow[r2,2]"]
    assert lp.row_names(lp.constraints["cap"]) == ["cap[r1,1]"]


def test_objective_parts_add_up():
    lp = _lp()
    np.testing.assert_allclose(lp.cost(), [4.0, 4.0])
    np.testing.assert_allclose(lp.cost(["missing"]), [0.0, 0.0])


def test_matrix_sums_duplicate_entries_and_drops_zeros():
    lp = LinearProgram()
    x = lp.add_variables("x", pd.DataFrame({"i": [0, 1]}))
    lp.add_constraints(
        "c",
        pd.DataFrame({"i": [0]}),
        np.array([0, 0, 0]),
        np.array([x.ids[0], x.ids[0], x.ids[1]]),
        np.array([1.0, 2.0, 0.0]),
        upper=1,
    )
    A = lp.matrix_csc().toarray()
    np.testing.assert_allclose(A, [[3.0, 0.0]])
    assert lp.nnz == 2


def test_row_block_maps_global_rows_back():
    lp = _lp()
    block, local = lp.row_block(0)
    assert (block.name, local) == ("cap", 0)
    with pytest.raises(IndexError):
        lp.row_block(5)


def test_local_row_out_of_range_is_refused():
    lp = LinearProgram()
    x = lp.add_variables("x", pd.DataFrame({"i": [0]}))
    with pytest.raises(ValueError, match="out of range"):
        lp.add_constraints("c", pd.DataFrame({"i": [0]}), np.array([1]), x.ids, np.array([1.0]))
