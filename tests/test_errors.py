"""rsoi.errors: one constructor for a problem with a whole file or option."""

from __future__ import annotations

from pathlib import Path

from rsoi.errors import InputError, Problem


def test_problem_about_names_file_field_and_fix_without_a_line() -> None:
    exc = Problem.about(Path("runs/r1"), "--out", "run folder already exists", "choose another")
    assert isinstance(exc, InputError)
    assert exc.problems == [Problem("runs/r1", None, None, "--out", "run folder already exists",
                                    "choose another")]  # fmt: skip
    assert str(exc) == "runs/r1: --out: run folder already exists\n    fix: choose another"
