"""Command line: ``python -m rsoi <command>``, one command a planner, analyst or reviewer runs.

Exit codes: 0 solved (shortfalls are results), 1 internal error (including a plan that fails
the independent check), 2 invalid input, 3 infeasible hard constraints, 4 solver stopped
without a usable solution, 5 an analysis (sweep, resilience, frontier, policies) wrote its
folder but at least one member failed (its row says why), 130/143 interrupted by
SIGINT/SIGTERM (no run folder written).

`parser` only parses (each command's function is its `func` default); `app` runs that
function and turns every failure into its exit code; `console` prints; one module per
command group: `solve`, `model` (validate, scenarios, schema), `runs` (check, map, compare),
`analyses` (sweep, resilience, frontier, policies), `stochastic` (hedge, interdict).
"""

from rsoi.cli.app import entry, main

__all__ = ["entry", "main"]
