"""The exit codes of every command (see `rsoi.cli`)."""

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER = 0, 1, 2, 3, 4
EXIT_PARTIAL = 5
"""An analysis folder was written, but at least one member failed (see its status column)."""
EXIT_SIGINT, EXIT_SIGTERM = 130, 143
