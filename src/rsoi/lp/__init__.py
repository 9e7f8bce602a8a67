"""The linear program: preparation of a validated model, the vectorised builder (one
``define_*`` family per constraint), the HiGHS hand-over and solve, and the Pyomo export."""
