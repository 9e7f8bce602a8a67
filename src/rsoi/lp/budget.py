"""Refuse a model whose LP cannot fit in memory, before building it (issue 8 §5).

The estimate uses index counts only (no LP is built): flow columns are routes x commodities x
periods, inventory places x commodities x periods, allocations providers x tasks x periods,
shares forces x theaters x periods; rows are of the same order. BYTES_PER_COLUMN covers the
index frames, the sparse matrix, HiGHS's copy and the result tables (measured on synthetic
theaters and the shipped model: 3.2-3.7 KB of peak memory per estimated column, from the
load to the written run folder).
"""

from __future__ import annotations

from pathlib import Path

from rsoi.errors import Problem

BYTES_PER_COLUMN = 4096
"""Peak memory per LP column, generous (see the module docstring)."""


def available_memory() -> int:
    """MemAvailable from /proc/meminfo, else physical memory via sysconf, else 8 GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import os

        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def estimate_columns(spec) -> int:
    """An upper estimate of the LP's columns from the model's index counts."""
    T = spec.horizon.periods
    K = max(1, len(spec.commodities))
    tasks = max(1, len(spec.tasks))
    theaters = max(1, len(spec.theaters))
    places = len(spec.places)
    return T * (
        len(spec.routes) * K
        + places * K
        + len(spec.providers) * tasks
        + len(spec.forces) * theaters
        + len(spec.demands)
        + len(spec.requirements)
        + len(spec.production)
        + 4 * theaters
    )


def check_fits(spec, file: str, max_memory: int | None = None) -> None:
    """InputError (exit 2) with the numbers when the LP would not fit in `max_memory` bytes."""
    limit = available_memory() if max_memory is None else max_memory
    columns = estimate_columns(spec)
    need = columns * BYTES_PER_COLUMN
    if need > limit:
        raise Problem.about(
            file,
            "horizon.periods",
            f"the LP would have about {columns:,} columns and need about "
            f"{need / 1024**2:,.0f} MiB, over the {limit / 1024**2:,.0f} MiB available",
            "shorten the horizon or aggregate entities, or raise --max-memory",
        )
