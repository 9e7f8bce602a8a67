"""rsoi.pipeline: validate every scenario at once; one solve to one folder, each file once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsoi.errors import InputError
from rsoi.pipeline import solve_to_folder, validate_all
from tests.helpers import small_model, write_model


def test_validate_all_reports_every_scenario_problem_once(tmp_path: Path) -> None:
    data = small_model()
    data["scenarios"] = {
        "ok": {"description": "fine", "overrides": {"settings.lateness_weight": 2.0}},
        "bad1": {"description": "x", "overrides": {"settings.lateness_weight": -1}},
        "bad2": {"description": "y", "overrides": {"settings.lateness_weight": -1}},
    }
    with pytest.raises(InputError) as info:
        validate_all(write_model(tmp_path, data))
    assert len({str(p) for p in info.value.problems}) == len(info.value.problems) >= 1
    del data["scenarios"]["bad1"], data["scenarios"]["bad2"]
    assert validate_all(write_model(tmp_path, data)).scenarios == 1


def test_solve_to_folder_writes_a_checked_run(tmp_path: Path) -> None:
    solved = solve_to_folder(write_model(tmp_path, small_model()), target=tmp_path / "r1")
    assert solved.folder == tmp_path / "r1" and solved.run.solution.status == "optimal"
    summary = json.loads((solved.folder / "summary.json").read_text())
    assert "check" in summary["timings_seconds"]
    assert sorted(summary["files"]) == sorted(
        p.relative_to(solved.folder).as_posix() for p in solved.folder.rglob("*") if p.is_file()
    )
