"""Results: the tidy tables and atomic run folders, and the independent checker (which
imports nothing from ``rsoi.lp``)."""
