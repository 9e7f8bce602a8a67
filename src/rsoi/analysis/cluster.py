"""Dask for analyses: a local cluster, or a named scheduler reached within a bounded time."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from rsoi.errors import Problem

SCHEDULER_TIMEOUT_S = 10.0
"""How long `--scheduler ADDR` may take to answer before the command gives up (exit 2)."""


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int | None = None,
    processes: bool = True,
    timeout: float | None = None,
) -> Iterator[Any]:
    """A Client on `scheduler`, or on a new LocalCluster (threads when `processes` is false).

    The warm path uses threads locally: the workers share this process's imports and each
    thread keeps its own built model (a Highs object is never shared between threads).
    """
    import logging

    from dask.distributed import Client, LocalCluster

    if scheduler:
        timeout = SCHEDULER_TIMEOUT_S if timeout is None else timeout
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # its own retry messages would repeat ours
        try:
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise Problem.about(
                "--scheduler",
                "--scheduler",
                f"cannot reach the Dask scheduler at '{scheduler}' within {timeout:g} s ({reason})",
                "check the address (e.g. tcp://host:8786) and that the scheduler runs, "
                "or omit --scheduler to use a local cluster",
            ) from None
        finally:
            quiet.setLevel(level)
        with client:
            yield client
        return
    from rsoi.lp.interrupt import workers_ignore_ctrl_c

    n = workers or (default_workers() if processes else 1)
    with workers_ignore_ctrl_c():  # Ctrl-C stops the command, which stops its workers
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=processes,
            dashboard_address="127.0.0.1:0",  # a free port: no clash, no warning
        )
    with cluster, Client(cluster, set_as_default=False) as client:
        yield client


def map_tasks(client: Any, fn: Callable, *iterables: list) -> list:
    """`fn` over the argument lists on the cluster; results in the order given."""
    if not iterables or not iterables[0]:
        return []
    futures = client.map(fn, *iterables, pure=False)
    return client.gather(futures)


@contextlib.contextmanager
def task_runner(
    scheduler: str | None, workers: int | None, processes: bool, timeout: float | None = None
) -> Iterator[Callable[..., list]]:
    """A `map(fn, *lists) -> results` over Dask, or in this process for one local worker.

    One local worker on the warm path needs no cluster: the tasks run here, in order, on the
    one live model (saving the cluster's start-up); any other case goes through Dask.
    """
    if scheduler is None and not processes and (workers or 1) == 1:
        yield lambda fn, *lists: [fn(*args) for args in zip(*lists, strict=True)]
        return
    with dask_client(scheduler, workers, processes=processes, timeout=timeout) as client:
        yield lambda fn, *lists: map_tasks(client, fn, *lists)
