"""Stop within a second on Ctrl-C or SIGTERM, at any stage, including inside HiGHS.

- `Terminated`: SIGTERM delivered like Ctrl-C (a KeyboardInterrupt), so every `finally`
  (temporary folders, Dask clusters) runs; the CLI maps it to exit 143, Ctrl-C to 130.
- `run_highs`: `Highs.run()` is C++ code that holds no Python frame a signal handler could
  interrupt, so it runs in highspy's solver thread while the main thread waits in short,
  interruptible steps; on an interrupt it cancels the solve through HiGHS's interrupt
  callbacks (simplex, IPM, MIP), waits briefly for the thread to stop, and re-raises.
- `new_highs`: a Highs instance without the copyright banner HiGHS prints on stdout the first
  time one is made (`--quiet` prints only the run folder).
- Dask: on a signal, logging is silenced and worker processes are killed at once;
  `workers_ignore_ctrl_c` starts workers with SIGINT blocked (a terminal's Ctrl-C reaches the
  whole process group) and `close_dask_clusters` closes what is left without output.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator

import highspy

TEST_ANNOUNCE_ENV = "RSOI_TEST_ANNOUNCE_SOLVE"
"""Test-only: print a line on stderr once HiGHS runs (lets a test interrupt it mid-solve)."""
DASK_CLOSE_TIMEOUT_S = 2.0
"""How long an interrupted command waits for a Dask cluster to close before terminating it."""
WAIT_STEP_S = 0.05
"""How long the main thread blocks at a time while HiGHS runs (bounds the reaction time)."""
CANCEL_WAIT_S = 0.5
"""After an interrupt, how long to wait for HiGHS to notice the cancellation."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered like Ctrl-C so every `finally` (temporary folders) runs."""


def _stop_quietly() -> None:
    """From here on the process only cleans up: libraries' log records (Dask's "connection
    closed" errors and tracebacks while its cluster shuts down) would bury the one line the
    user should see."""
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    # worker processes (Dask's) may be deep in a solve: stop them now rather than wait for a
    # graceful close that needs them to answer
    for child in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            child.kill()


def _on_int(signum, frame) -> None:
    _stop_quietly()
    raise KeyboardInterrupt


def _on_term(signum, frame) -> None:
    _stop_quietly()
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """For a command: SIGTERM raises `Terminated`, SIGINT KeyboardInterrupt (main thread only).

    Both silence logging first. A SIGINT the parent set to be ignored stays ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous_term = signal.signal(signal.SIGTERM, _on_term)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _on_int)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def close_dask_clusters() -> None:
    """After an interrupt: close every Dask cluster this process started, without output.

    A cluster interrupted while starting is left half-built; Dask's own exit hook would then
    fail on it with a traceback. Closing it here (errors suppressed) and marking it closed
    shuts its worker processes down and leaves the hook nothing to do.
    """
    spec = sys.modules.get("distributed.deploy.spec")
    if spec is None:
        return
    from distributed.core import Status

    for cluster in list(spec.SpecCluster._instances):
        with contextlib.suppress(BaseException):
            cluster.close(timeout=DASK_CLOSE_TIMEOUT_S)
        with contextlib.suppress(BaseException):
            for worker in list(getattr(cluster, "workers", {}).values()):
                process = getattr(getattr(worker, "process", None), "process", None)
                if process is not None and process.is_alive():
                    process.terminate()
        cluster.status = Status.closed


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during cleanup; they are delivered when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def workers_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes (a Dask LocalCluster) inside this block.

    Ctrl-C in a terminal reaches the whole process group. Worker processes started here
    inherit a blocked SIGINT, so only the command itself reacts (it stops them); otherwise
    each worker logs its own cancellation. A Ctrl-C meanwhile is delivered after the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_banner_shown = False
solve_interrupted = False
"""Set once a HiGHS solve was cancelled: the process should then end with `os._exit`, since
HiGHS's native worker threads, stopped mid-solve, can abort the interpreter's teardown
("terminate called without an active exception")."""


def new_highs() -> highspy.Highs:
    """A Highs instance; the banner HiGHS writes to stdout on the first one is discarded."""
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    _banner_shown = True
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all
        return highspy.Highs()
    try:
        with open(os.devnull, "wb") as sink:
            os.dup2(sink.fileno(), 1)
            h = highspy.Highs()
            _flush_c_stdout()  # the banner may sit in C's buffer (stdout is a pipe)
            return h
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _flush_c_stdout() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C library to flush: nothing buffered there
        pass


def _announce() -> None:
    if os.environ.get(TEST_ANNOUNCE_ENV):
        print(f"{TEST_ANNOUNCE_ENV}: solver running", file=sys.stderr, flush=True)


def run_highs(h: highspy.Highs) -> None:
    """`h.run()`, but interruptible: Ctrl-C / SIGTERM cancel the solve and propagate."""
    if threading.current_thread() is not threading.main_thread():
        _announce()
        h.run()  # signals reach only the main thread: nothing to wait for here
        return
    h.HandleUserInterrupt = True  # cancelSolve() answers HiGHS's interrupt callbacks
    try:  # from the start: a signal right after startSolve must still mark the cancel
        h.startSolve()
        _announce()
        while not h.wait(WAIT_STEP_S)[0]:
            pass
    except KeyboardInterrupt:
        global solve_interrupted
        solve_interrupted = True
        with signals_deferred():  # a second Ctrl-C must not interrupt the cancellation
            h.cancelSolve()
            # HiGHS stops at its next interrupt check; presolve has none, so do not wait for
            # it longer than this (the solver thread is a daemon and holds its own reference)
            h.wait(CANCEL_WAIT_S)
        raise
