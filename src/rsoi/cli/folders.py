"""Output folders of the commands: never an existing one, refused before any solve."""

from __future__ import annotations

import argparse
from pathlib import Path

from rsoi.errors import InputError, Problem


def run_exists(target: Path) -> InputError:
    return Problem.about(
        target,
        "--out",
        "run folder already exists",
        "choose another --out, or pass --force to replace it",
    )


def refuse_existing(target: Path) -> None:
    """InputError unless `target` is free and writable (a link, a long name: exit 2 now)."""
    from rsoi.results.tables import preflight_out

    if target.exists() or target.is_symlink():
        raise run_exists(target)
    preflight_out(target)


def analysis_folder(args: argparse.Namespace, model: str, analysis: str) -> Path:
    """`--out`, checked before the solves; else a new runs/<model>-<analysis>-<time>-<pid>/."""
    from rsoi.model.loader import load_model
    from rsoi.results.tables import default_run_dir

    if args.out:
        target = Path(args.out)
        refuse_existing(target)
        return target
    name = load_model(model, use_default=False).spec.name
    return default_run_dir(Path("runs"), name, analysis)  # never an existing folder
