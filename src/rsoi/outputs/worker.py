"""Draw a run's maps, GeoPackage and report in another process while the solve and check run.

`rsoi solve` forks an `ExportWorker` as soon as the model is prepared: the child imports the
drawing stack (geopandas, matplotlib, pyogrio) while the parent builds and solves, then waits.
Once the tables are in the temporary run folder, the parent hands it the folder and the
summary, and runs the independent check itself; the child exports meanwhile. The parent waits
for the child before the folder is renamed into place, so the run is still written atomically.

A failure in the child comes back as a value, never as a lost process: an input problem (no
base map, ...) is a warning ("maps not written: ..."), anything else removes what the export
had written and is re-raised in the parent as an `OSError` (the environment) or as an
exception carrying the original type name and message (a bug in rsoi).
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from rsoi.errors import InputError
from rsoi.lp.interrupt import signals_deferred


def problems_text(exc: InputError) -> str:
    """An InputError's problems on one line (field: message; ...)."""
    return "; ".join(f"{p.field}: {p.message}" for p in exc.problems)


@dataclass
class ExportOutcome:
    """What the export did: a warning (maps not written), a failure to re-raise, its timings."""

    warning: str | None = None
    failure: BaseException | None = None
    timings: dict[str, float] = field(default_factory=dict)


def export_into(folder: Path, geojson: bool, prep, summary: dict | None) -> ExportOutcome:
    """Run `rsoi.outputs.export.export_run` on `folder`; failures become an ExportOutcome.

    Files the export wrote before an unexpected failure are removed again (no half maps).
    """
    timings: dict[str, float] = {}
    before = set(folder.iterdir())
    try:
        from rsoi.outputs.export import export_run

        export_run(folder, geojson=geojson, prep=prep, timings=timings, summary=summary)
    except InputError as exc:
        return ExportOutcome(warning=f"maps not written: {problems_text(exc)}", timings=timings)
    except Exception as exc:
        for path in set(folder.iterdir()) - before:  # half-written maps: not part of the run
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return ExportOutcome(failure=exc, timings=timings)
    return ExportOutcome(timings=timings)


def _crash(type_name: str, message: str) -> BaseException:
    """An exception named like the child's (the parent reports its type name and message)."""
    return type(type_name, (RuntimeError,), {})(message)


def _portable(outcome: ExportOutcome) -> tuple:
    """The outcome as plain values (exceptions do not always survive pickling)."""
    exc = outcome.failure
    if exc is None:
        failure = None
    elif isinstance(exc, OSError):
        failure = ("os", exc.errno, exc.strerror, exc.filename, str(exc))
    else:
        failure = ("crash", type(exc).__name__, str(exc))
    return outcome.warning, failure, outcome.timings


def _restore(message: tuple) -> ExportOutcome:
    warning, failure, timings = message
    exc = None
    if failure is not None and failure[0] == "os":
        _, errno, strerror, filename, text = failure
        exc = OSError(errno, strerror, filename) if errno is not None else OSError(text)
    elif failure is not None:
        exc = _crash(failure[1], failure[2])
    return ExportOutcome(warning=warning, failure=exc, timings=timings)


def _serve(conn, parent_end, prep) -> None:
    """The child: import the drawing stack, wait for one folder, export it, report back."""
    # the parent decides when we stop: it terminates us, so SIGTERM must not run a handler
    # inherited from it (the CLI's maps SIGTERM to an exit code and would keep us waiting)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # the parent forked us with both blocked (ExportWorker): one sent before the two lines
    # above is delivered now, to the defaults, not to the parent's handler in our copy
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    # our copy of the parent's end: while it is open, the parent closing its own never
    # reaches us as end-of-file
    parent_end.close()
    try:
        from rsoi.outputs import export

        preload = getattr(export, "preload", None)
        if preload is not None:
            preload()
    except Exception:  # reported when the export itself imports it
        pass
    try:
        request = conn.recv()
    except EOFError:  # the parent gave up (failed solve, interrupt)
        return
    folder, geojson, summary = request
    try:
        outcome = export_into(Path(folder), geojson, prep, summary)
    except BaseException as exc:  # never leave the parent waiting
        outcome = ExportOutcome(failure=exc)
    conn.send(_portable(outcome))
    conn.close()


class ExportWorker:
    """One export in a forked child; `submit` hands it a folder, `result` waits for it."""

    def __init__(self, prep) -> None:
        ctx = mp.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self._conn, prep), daemon=True)
        # fork with SIGINT and SIGTERM blocked: until the child has its own handlers, the
        # parent's would run in it and its copy of the caller would carry on from the fork
        # (seen under pytest-xdist: a child returned exit 143 in the parent's test)
        with signals_deferred():
            self._proc.start()
        child.close()
        self._t0 = 0.0

    def submit(self, folder: Path, geojson: bool, summary: dict) -> None:
        self._t0 = time.perf_counter()
        self._conn.send((str(folder), geojson, summary))

    def result(self) -> ExportOutcome:
        """The child's outcome (a crash of the child itself is a failure too)."""
        try:
            outcome = _restore(self._conn.recv())
        except EOFError:
            code = self._proc.exitcode
            outcome = ExportOutcome(
                failure=_crash("ExportWorkerDied", f"the export process ended (exit {code})")
            )
        self._proc.join()
        outcome.timings["export"] = time.perf_counter() - self._t0
        return outcome

    def close(self) -> None:
        """Stop the child if it still runs (after a failure or an interrupt)."""
        self._conn.close()
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(timeout=5)
        if self._proc.is_alive():  # never hang the parent on a child that does not stop
            self._proc.kill()
            self._proc.join()
