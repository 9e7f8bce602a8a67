"""Run folders: atomic, never overwritten; numbers written reproducibly."""

from __future__ import annotations

import numpy as np
import pytest

from rsoi.errors import InputError
from rsoi.results.tables import (
    RunExists,
    _clean,
    atomic_run_dir,
    default_run_dir,
    write_analysis_marker,
)


def test_atomic_run_dir_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(RuntimeError), atomic_run_dir(target) as tmp:
        (tmp / "half.csv").write_text("x\n")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_run_dir_renames_on_success_and_refuses_existing(tmp_path):
    target = tmp_path / "run"
    with atomic_run_dir(target) as tmp:
        (tmp / "a.csv").write_text("x\n")
        write_analysis_marker(tmp, "test")  # only a marked folder may be replaced
    assert (target / "a.csv").read_text() == "x\n"
    with pytest.raises(RunExists), atomic_run_dir(target):
        pass
    with atomic_run_dir(target, force=True) as tmp:
        (tmp / "b.csv").write_text("y\n")
    assert sorted(p.name for p in target.iterdir()) == ["b.csv"]
    with pytest.raises(InputError, match="not a run folder"), atomic_run_dir(target, force=True):
        pass  # b.csv alone is no rsoi output
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_default_run_dir_never_reuses_a_folder(tmp_path):
    first = default_run_dir(tmp_path, "m", "s")
    first.mkdir()
    second = default_run_dir(tmp_path, "m", "s")
    assert second != first and not second.exists()
    assert first.name.startswith("m-s-")


def test_clean_zeroes_noise_and_negative_zero():
    out = _clean(np.array([1e-12, -0.0, -1e-10, 2.5]))
    assert list(out) == [0.0, 0.0, 0.0, 2.5]
    assert not np.signbit(out[:3]).any()
