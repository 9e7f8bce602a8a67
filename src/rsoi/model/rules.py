"""Rules that *are* the model's meaning, stated once for the builder and the checker.

The LP builder (``rsoi.lp``) and the independent checker (``rsoi.results.check``) derive their
answers on separate code; where both must agree on a *rule* (when an event starts, how a lag
rounds, which sea path wins a tie, where a unit or a ton may be and whom it may serve), the rule
lives here, once, and both import it. Derivations stay on each side.
"""

from __future__ import annotations

# --- events and duties -------------------------------------------------------------------------

# --- units: one asset, one position ----------------------------------------------------------

# --- cargo: owner and purpose ------------------------------------------------------------------
