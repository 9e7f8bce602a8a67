"""Rules that *are* the model's meaning, stated once for the builder and the checker.

The LP builder (``rsoi.lp``) and the independent checker (``rsoi.results.check``) derive their
answers on separate code; where both must agree on a *rule* (when an event starts, how a lag
rounds, which sea path wins a tie, where a unit or a ton may be and whom it may serve), the rule
lives here, once, and both import it. Derivations stay on each side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

# --- events and duties -------------------------------------------------------------------------

# --- units: one asset, one position ----------------------------------------------------------

KOREA = "korea"
"""The theater whose territory and forces the alliance rules protect (``theaters[].id``)."""


def transit_periods(km: float, speed_km_per_day: float, period_days: float) -> int:
    """The transit rule for every unit, force or support provider: floor(tau + 0.5) with
    tau = km / (speed * period_days). A unit counts at its destination in a period when it is
    there for at least half of it: a few km give 0, most of a period or more gives at least 1."""
    return math.floor(km / (speed_km_per_day * period_days) + 0.5)


def outside_korea(place_theater: str | None) -> bool:
    """A place is outside Korea unless it lies in the Korean theater (sea areas of the Korean
    theater, e.g. the Korea Strait, count as Korea)."""
    return place_theater != KOREA


def at_attacked_place(factor: float) -> float:
    """``at_attacked_place``: units present at an attacked place work at its capacity factor.

    While an attack on place p holds (capacity factor phi_p(t) < 1, ``events.attacks``), phi_p(t)
    scales, besides the place's own capacities:
    - a support provider's units there: at most phi_p(t) of the units present at p may work
      (a provider without ``speed_km_per_day`` is present at its home);
    - a force based there: at most phi_p(t) of the share still at home may leave in t (what
      the base can launch), and a share in a theater it reaches with arrival lag 0 still
      operates from the base, so it counts phi_p(t) of its combat power.
    Returns the share of the units present that can work (the factor itself, clipped to [0, 1]).
    """
    return min(1.0, max(0.0, float(factor)))


def operates_from_home(arrival_lag: int) -> bool:
    """A force's share in a theater it reaches with arrival lag 0 has not left its home base:
    it flies or sails from there (``at_attacked_place``)."""
    return arrival_lag == 0


def rok_forces_abroad_cap(max_share_by_level: Mapping[str, float], level: str) -> float:
    """Largest share of each ROK force (its combat share in theaters other than Korea plus its
    support units at places outside Korea) away from Korea at rheostat `level`; levels not
    listed: 0 (000: "few officials or experts advocate a direct South Korean military role in
    or near Taiwan")."""
    return float(max_share_by_level.get(level, 0.0))


def korean_territory_closed(level: str, none_withdraws_flexibility: bool) -> bool:
    """At rheostat level ``none`` (with the 2006 link on, ``none_withdraws_flexibility``) no
    U.S. support unit on Korean territory serves another theater than Korea: the U.S.
    "respects the [South Korean] position that it shall not be involved in a regional conflict
    in Northeast Asia against the will of the Korean people" (000, 2006)."""
    return level == "none" and none_withdraws_flexibility


def on_korean_territory(home_theater: str | None, place_theater: str | None) -> bool:
    """A support unit acts from Korean territory when it is based in Korea (its home lies in
    the Korean theater) or works at a place in the Korean theater."""
    return home_theater == KOREA or place_theater == KOREA


def troops_count_assigned(assignment: str, branch: str, usfk_air_counts_assigned: bool) -> bool:
    """The 28,500 level as *assigned strength* for USFK air units: with
    ``troop_floor.usfk_air_counts_assigned`` a USFK air force counts its troops toward the floor
    wherever it is (it stays assigned to USFK while some airplanes fly for Taiwan, "with the
    possible exception of some airplanes"); every other U.S. force counts by presence in Korea
    (000: "pledged to maintain U.S. forces at the existing 28,500 troop level")."""
    return usfk_air_counts_assigned and assignment == "usfk" and branch == "air"


# --- cargo: owner and purpose ------------------------------------------------------------------
