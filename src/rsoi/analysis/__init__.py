"""Analyses that need many solves: sweep, resilience, frontier, policies, compare, hedge and
interdict.

One module per analysis, plus the shared machinery:

- `warm`: the warm re-solve engine (one build and one live HiGHS model per scenario and
  worker; each variant is sent as differences and re-solved from the base basis);
- `cluster`: Dask (a local cluster unless ``--scheduler`` names one), with a bounded
  connection timeout;
- `hedge` (two-stage stochastic plan, extensive form or progressive hedging via mpi-sppy)
  and `interdict` (worst k node losses, attacker-defender MILP);
- `common`: members that fail are recorded, not fatal; output folders; the independent check
  of the run folders an analysis writes.

The LP builder (`rsoi.lp.build`) knows nothing of this package.
"""
