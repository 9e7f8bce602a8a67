"""Commands on run folders: `check`, `map`, `compare`. None of them reads a plan that fails
the independent check."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from rsoi.cli.console import err, notice, out, print_frame
from rsoi.cli.exits import EXIT_OK
from rsoi.cli.folders import refuse_existing


def cmd_check(args: argparse.Namespace) -> int:
    from rsoi.results.check import verify_run
    from rsoi.results.tables import require_readable_run_folder, write_leftovers

    require_readable_run_folder(Path(args.run_dir))  # no FIFO or device among its tables
    report = verify_run(Path(args.run_dir), model_path=args.model)
    for path in write_leftovers(Path(args.run_dir)):  # not part of the run: say so
        err.print(
            f"[yellow]warning:[/] {escape(str(path))}: temporary file of an interrupted `map`, "
            "not part of the run (`rsoi map` removes it)"
        )
    out.print(f"{args.run_dir}: check passed ({len(report.checked)} families)", markup=False)
    for item in report.checked:
        out.print(f"  ok  {item}", markup=False)
    for item in report.unverified:  # named, never counted as passed
        out.print(f"  not verified  {item}", markup=False)
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    from rsoi.outputs.export import export_run
    from rsoi.results.check import load_summary
    from rsoi.results.tables import (
        record_manifest,
        remove_write_leftovers,
        require_readable_run_folder,
    )

    require_readable_run_folder(Path(args.run_dir))  # no FIFO or device among its tables
    load_summary(Path(args.run_dir))  # InputError unless a run folder
    for path in remove_write_leftovers(Path(args.run_dir)):
        notice(f"removed {path}: temporary file of a map that was interrupted")
    from rsoi.results.check import verify_run

    verify_run(Path(args.run_dir))  # never draw a plan that fails the check: CHECK FAILED, exit 1
    written = export_run(Path(args.run_dir), geojson=args.geojson)
    record_manifest(Path(args.run_dir), written)  # `--force` may later replace these too
    for path in written:
        out.print(str(path), markup=False)
    return EXIT_OK


def _verify_for(run_dir: Path, command: str) -> None:
    """CheckError (CHECK FAILED, exit 1) unless `run_dir` passes the independent check."""
    from rsoi.errors import CheckError
    from rsoi.results.check import verify_run
    from rsoi.results.tables import require_readable_run_folder

    require_readable_run_folder(run_dir)
    try:
        verify_run(run_dir)
    except CheckError as exc:
        head = f"{command} refuses {run_dir}: it fails the independent check"
        raise CheckError([head, *exc.violations], exc.folder) from None


def cmd_compare(args: argparse.Namespace) -> int:
    from rsoi.analysis.compare import compare_runs, write_compare
    from rsoi.results.tables import default_run_dir

    if args.out:
        target = Path(args.out)
        refuse_existing(target)
    for run_dir in (args.run_a, args.run_b):  # never compare a plan that fails the check
        _verify_for(Path(run_dir), "compare")
    result = compare_runs(Path(args.run_a), Path(args.run_b))
    if not args.out:
        name = f"{Path(args.run_a).name}-vs-{Path(args.run_b).name}"
        target = default_run_dir(Path("runs"), "compare", name)
    write_compare(result, target)
    parts = result.tables["objective"]
    print_frame(parts, ["part", "a", "b", "change"], "objective parts (b - a)")
    for name, table in result.tables.items():
        if name != "objective":
            out.print(f"{name}: {len(table)} rows differ", markup=False)
    out.print(f"compare folder: [bold]{escape(str(target))}[/]")
    return EXIT_OK
