"""Run the parsed command; every failure becomes its exit code and a message, never a traceback."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback

from rich.markup import escape

from rsoi.cli.console import err, print_check_failure, print_problems
from rsoi.cli.exits import (
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_SIGINT,
    EXIT_SIGTERM,
    EXIT_SOLVER,
)
from rsoi.cli.parser import build_parser
from rsoi.errors import CheckError, InfeasibleError, InputError, SolverError, environment_error
from rsoi.lp.interrupt import (
    Terminated,
    close_dask_clusters,
    signals_deferred,
    sigterm_as_interrupt,
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rsoi.model.loader import outside_paths_allowed

    try:
        with (
            sigterm_as_interrupt(),
            outside_paths_allowed(getattr(args, "allow_outside_paths", False)),
        ):
            return args.func(args)
    except InputError as exc:
        print_problems(exc.problems)
        return EXIT_INPUT
    except InfeasibleError as exc:
        err.print(f"[bold red]infeasible:[/] {escape(str(exc))}")
        if exc.conflicting:
            source = getattr(exc, "conflict_source", "irreducible infeasible subset")
            err.print(f"conflicting constraints ({escape(source)}):")
            for name in exc.conflicting:
                err.print(f"  - {escape(name)}")
        err.print("fix: relax one of them, or set its policy `mode: elastic`")
        return EXIT_INFEASIBLE
    except SolverError as exc:
        err.print(f"[bold red]solver:[/] {escape(str(exc))}")
        if hasattr(args, "time_limit"):
            err.print("fix: raise --time-limit, or simplify the model")
        else:  # hedge, interdict, ...: no time limit to raise
            err.print(f"fix: simplify the model or the {args.command} inputs (smaller set or k)")
        return EXIT_SOLVER
    except CheckError as exc:
        print_check_failure(exc)
        return EXIT_INTERNAL
    except OSError as exc:  # the environment failed (disk full, read-only, permissions, ...)
        print_problems(environment_error(exc).problems)
        return EXIT_INPUT
    except RecursionError:  # a document nested beyond any reader (e.g. a hand-edited JSON)
        err.print(
            "[bold red]invalid input:[/] a file is nested too deeply to read "
            "(summary.json or a table edited by hand?); fix: restore the file rsoi wrote"
        )
        return EXIT_INPUT
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        with signals_deferred():  # the cleanup runs to its end, then the one line
            close_dask_clusters()
            err.print(f"{'terminated' if terminated else 'interrupted'}: no run folder written")
        return EXIT_SIGTERM if terminated else EXIT_SIGINT
    except Exception as exc:  # the last line of defence: no traceback unless RSOI_DEBUG=1
        if os.environ.get("RSOI_DEBUG") == "1":
            traceback.print_exc()
        err.print(
            f"[bold red]internal error:[/] {escape(type(exc).__name__)}: "
            f"{escape(str(exc).splitlines()[0] if str(exc) else '')}"
        )
        err.print(
            "this is a bug in rsoi, not in your input: please report it on the project's issue "
            "tracker with the command line (rerun with RSOI_DEBUG=1 for a traceback)"
        )
        return EXIT_INTERNAL


def entry() -> None:
    """Console entry point: `main`, and after an interrupt a prompt exit.

    By the time `main` returns 130/143 every `finally` has run (temporary folder removed, Dask
    cluster closed). If a HiGHS solve was cancelled, the interpreter's own teardown is skipped:
    native solver threads stopped mid-solve can abort it ("terminate called ..."), turning
    exit 130 into a crash.
    """
    import rsoi.lp.interrupt

    code = main()
    if code in (EXIT_SIGINT, EXIT_SIGTERM) and rsoi.lp.interrupt.solve_interrupted:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    raise SystemExit(code)
