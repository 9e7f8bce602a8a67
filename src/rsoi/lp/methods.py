"""HiGHS methods rsoi accepts (values of HiGHS's ``solver`` option), importable without numpy
so the command-line parser can offer them."""

METHODS = ("choose", "simplex", "ipm", "hipo", "pdlp")
"""``choose``: HiGHS decides; the others run that method (see `rsoi.lp.highs_io.set_method`)."""
