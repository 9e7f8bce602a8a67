"""Stop within a second on Ctrl-C or SIGTERM, at any stage, including inside HiGHS.

- `Terminated`: SIGTERM delivered like Ctrl-C (a KeyboardInterrupt), so every `finally`
  (temporary folders, Dask clusters) runs; the CLI maps it to exit 143, Ctrl-C to 130.
- `run_highs`: `Highs.run()` is C++ code that holds no Python frame a signal handler could
  interrupt, so it runs in highspy's solver thread while the main thread waits in short,
  interruptible steps; on an interrupt it cancels the solve through HiGHS's interrupt
  callbacks (simplex, IPM, MIP), waits briefly for the thread to stop, and re-raises.
- `new_highs`: a Highs instance without the copyright banner HiGHS prints on stdout the first
  time one is made (`--quiet` prints only the run folder).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

import highspy

TEST_ANNOUNCE_ENV = "RSOI_TEST_ANNOUNCE_SOLVE"
"""Test-only: print a line on stderr once HiGHS runs (lets a test interrupt it mid-solve)."""
WAIT_STEP_S = 0.05
CANCEL_WAIT_S = 0.5
"""After an interrupt, how long to wait for HiGHS to notice the cancellation."""
"""How long the main thread blocks at a time while HiGHS runs (bounds the reaction time)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, delivered like Ctrl-C so every `finally` (temporary folders) runs."""


def _on_term(signum, frame) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` for the duration of a command (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


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


_banner_shown = False


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


def run_highs(h: highspy.Highs) -> None:
    """`h.run()`, but interruptible: Ctrl-C / SIGTERM cancel the solve and propagate."""
    if threading.current_thread() is not threading.main_thread():
        h.run()  # signals reach only the main thread: nothing to wait for here
        return
    h.HandleUserInterrupt = True  # cancelSolve() answers HiGHS's interrupt callbacks
    h.startSolve()
    if os.environ.get(TEST_ANNOUNCE_ENV):
        print(f"{TEST_ANNOUNCE_ENV}: solver running", file=sys.stderr, flush=True)
    try:
        while not h.wait(WAIT_STEP_S)[0]:
            pass
    except KeyboardInterrupt:
        with signals_deferred():  # a second Ctrl-C must not interrupt the cancellation
            h.cancelSolve()
            # HiGHS stops at its next interrupt check; presolve has none, so do not wait for
            # it longer than this (the solver thread is a daemon and holds its own reference)
            h.wait(CANCEL_WAIT_S)
        raise
