"""Analyses that need many solves of the rsoi LP (hedged plans, worst-case losses, ...).

The LP builder (``rsoi.build``) knows nothing of them: each module builds the scenario LPs it
needs and changes them only through their bounds, costs or by stacking them.
"""
