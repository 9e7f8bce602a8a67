"""Rules that *are* the model's meaning, stated once for the builder and the checker.

The LP builder (``rsoi.lp``) and the independent checker (``rsoi.results.check``) derive their
answers on separate code; where both must agree on a *rule* (when an event starts, how a lag
rounds, which sea path wins a tie, where a unit or a ton may be and whom it may serve), the rule
lives here, once, and both import it. Derivations stay on each side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from rsoi.model.schema import LADDER_ORDER, ChinaAction, Owner

if TYPE_CHECKING:
    from rsoi.model.schema import Events, ModelSpec

# --- events and duties -------------------------------------------------------------------------


@dataclass(frozen=True)
class EventTimeline:
    """When each scenario event is in force, period by period (periods 1..T).

    000 has the contingencies "occurring singly, sequentially, and simultaneously", so each
    event has its own start:

    - **China's action** climbs the ladder in steps: `events.china_action` from
      `events.china_from_period`, then each `events.china_escalation` step from its own period
      (a blockade that becomes an invasion). Before the first step the rung is `none`.
      `rung[t-1]` is the rung in force in period t; a combat requirement asks for
      `amount_by_ladder` of that rung in that period.
    - **North Korea's attack** starts in period 1 (`simultaneous`), `1 + delay_periods`
      (`sequential`) or never (`none`, or a start past the horizon).
    - **An attack** starts at its `from_period`, counted from C-day or, with
      `relative_to: china_action`, from the first period of China's action.
    - **A line's window** (a demand's EAD..LAD, a requirement's periods) is counted from C-day,
      from the start of the Korean conflict, from the first period China's action reaches the
      line's `min_ladder`, or from the first attack on the line's place (`relative_to`), then
      cut to the horizon and to the periods in which China's rung is at or above the line's
      `min_ladder`. A line whose reference event never happens, or whose window is empty, is
      dropped.
    - **The treaty duty** is such a line: protection of a base, `relative_to: attack`, starts
      with the first attack on that base and covers that base only (000: "If Beijing attacked
      U.S. bases in South Korea, Seoul would be obligated under the bilateral defense treaty to
      respond against China"); a base never attacked brings no duty.
    """

    T: int
    rung: tuple[ChinaAction, ...]
    korea_start: int | None
    attack_start: dict[str, int]  # target id -> first period of its first attack
    attacks: tuple[tuple[str, int, float], ...] = ()  # (target, first period, factor), in order

    def china_start(self, min_ladder: ChinaAction) -> int | None:
        """First period whose rung is at or above `min_ladder` (None: never in the horizon)."""
        from rsoi.model.schema import LADDER_ORDER

        need = LADDER_ORDER.index(min_ladder)
        for t, rung in enumerate(self.rung, start=1):
            if LADDER_ORDER.index(rung) >= need:
                return t
        return None

    def highest_rung(self) -> ChinaAction:
        """The highest rung China's action reaches within the horizon."""
        from rsoi.model.schema import LADDER_ORDER

        return max(self.rung, key=LADDER_ORDER.index)

    def window(
        self,
        first: int,
        last: int | None,
        relative_to: str,
        min_ladder: ChinaAction,
        place: str | None = None,
    ) -> tuple[int, int] | None:
        """The periods (first, last) of a line after the shift and the ladder cut, or None."""
        last = self.T if last is None else last
        on_ladder = self.china_start(min_ladder)
        if on_ladder is None:
            return None
        reference = {
            "c_day": 1,
            "korea_conflict": self.korea_start,
            "china_action": on_ladder,
            "attack": self.attack_start.get(place) if place is not None else None,
        }[relative_to]
        if reference is None:
            return None
        first, last = first + reference - 1, min(last + reference - 1, self.T)
        first = max(first, on_ladder)  # escalation only climbs: the rung holds from then on
        return None if first > last else (first, last)


def china_steps(events: Events) -> list[dict[str, object]]:
    """China's rungs with their first periods, in order (summary.json `china_steps`)."""
    steps = [{"action": events.china_action.value, "from_period": events.china_from_period}]
    steps += [
        {"action": s.action.value, "from_period": s.from_period} for s in events.china_escalation
    ]
    return steps


def event_timeline(spec: ModelSpec) -> EventTimeline:
    """The timeline of the validated spec's events (one rule for builder and checker)."""
    T = spec.horizon.periods
    return _timeline(spec.events, T)


def _timeline(events: Events, T: int) -> EventTimeline:
    from rsoi.model.schema import ChinaAction, KoreaTiming

    steps = [(events.china_from_period, events.china_action)]
    steps += [(s.from_period, s.action) for s in events.china_escalation]
    rung = []
    for t in range(1, T + 1):
        now = ChinaAction.none
        for start, action in steps:
            if start <= t:
                now = action
        rung.append(now)
    timing = events.korea_conflict.timing
    korea_start = {
        KoreaTiming.none: None,
        KoreaTiming.simultaneous: 1,
        KoreaTiming.sequential: 1 + events.korea_conflict.delay_periods,
    }[timing]
    if korea_start is not None and korea_start > T:
        korea_start = None
    china_first = events.china_from_period if events.china_action != ChinaAction.none else None
    attack_start: dict[str, int] = {}
    attacks = []
    for a in events.attacks:
        start = attack_period(a.from_period, a.relative_to, china_first)
        if start is None or start > T:
            continue
        attacks.append((a.target, start, a.capacity_factor))
        if a.capacity_factor < 1:
            attack_start[a.target] = min(attack_start.get(a.target, start), start)
    return EventTimeline(
        T=T,
        rung=tuple(rung),
        korea_start=korea_start,
        attack_start=attack_start,
        attacks=tuple(attacks),
    )


def attack_period(from_period: int, relative_to: str, china_first: int | None) -> int | None:
    """The first period of an attack: `from_period` counted from C-day, or from China's first
    step with `relative_to: china_action` (None when China takes no action)."""
    if relative_to == "china_action":
        return None if china_first is None else from_period + china_first - 1
    return from_period


# --- sea paths ----------------------------------------------------------------------------------

SEA_PATH_TIE_KM = 1e-6
"""Two sea paths whose lengths differ by no more than this many km are equally long."""


def sea_path_better(
    km: float, nodes: tuple[str, ...], best_km: float, best_nodes: tuple[str, ...] | None
) -> bool:
    """Whether a sea path (length `km`, waypoint ids from the origin) beats the best one known
    to the same waypoint: shorter; at equal length (`SEA_PATH_TIE_KM`), fewer waypoints; then
    the smaller sequence of waypoint ids. The order is kept when both are extended by the same
    edge, so a label-setting search (Dijkstra) that compares labels by it finds the best path.
    """
    if best_nodes is None or km < best_km - SEA_PATH_TIE_KM:
        return True
    if km > best_km + SEA_PATH_TIE_KM:
        return False
    return (len(nodes), nodes) < (len(best_nodes), best_nodes)


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

KOREA = "korea"
"""Theater id of the Korean peninsula; a place with this theater is a Korean place."""


class CargoClass(StrEnum):
    """What a ton is, for whom it may serve: its owner and the places it has passed.

    A ton's class is set at its source (owner of the stock or production line, and whether the
    source lies at a Korean place) and changes only one way: U.S. cargo that arrives at a Korean
    place becomes `us_via_korea` for the rest of its way. Routes carry cargo; they never decide
    whom it serves.
    """

    us_clean = "us_clean"
    """U.S.-owned (or other non-Korean) cargo that never passed or was stored at a Korean place."""
    us_via_korea = "us_via_korea"
    """U.S.-owned cargo that passed or was stored at a Korean place (e.g. the 500,000 loan
    shells at Camp Carroll)."""
    rok = "rok"
    """Korean-owned cargo: ROK war reserve and Korean industry's output."""


ANY_CLASS = "any"
"""Class label of a commodity no demand tells apart by class (one column, no ledger rows)."""

ARMED_CONFLICT_MIN_RUNG = ChinaAction.blockade
"""China's lowest rung that is an armed conflict in the theaters outside Korea (a blockade is
an act of force; gray-zone operations are not). Used by the export law (003)."""


def default_owner(at_korean_place: bool) -> Owner:
    """Owner of a stock or production line that names none: Korean at a Korean place."""
    return Owner.rok if at_korean_place else Owner.us


def source_class(owner: Owner, at_korean_place: bool) -> CargoClass:
    """Class of a ton at its source: Korean-owned is `rok`; U.S.-owned stored in Korea is
    `us_via_korea` (the 500,000 loan shells at Camp Carroll, 003); else `us_clean`."""
    if owner == Owner.rok:
        return CargoClass.rok
    return CargoClass.us_via_korea if at_korean_place else CargoClass.us_clean


def class_on_arrival(cargo_class: str, at_korean_place: bool) -> str:
    """Class of a ton once it arrives at a place: U.S. cargo that reaches a Korean place has
    passed Korea for good (`us_clean` becomes `us_via_korea`); every other class is kept."""
    if cargo_class == CargoClass.us_clean and at_korean_place:
        return CargoClass.us_via_korea.value
    return str(cargo_class)


def class_may_be_at(cargo_class: str, at_korean_place: bool) -> bool:
    """A `us_clean` ton is never at a Korean place (arriving there makes it `us_via_korea`)."""
    return not (cargo_class == CargoClass.us_clean and at_korean_place)


def theater_in_armed_conflict(theater: str, china_action: ChinaAction) -> bool:
    """Is a theater other than Korea a conflict zone under China's action (export law, 003)?"""
    rank = LADDER_ORDER.index
    return theater != KOREA and rank(china_action) >= rank(ARMED_CONFLICT_MIN_RUNG)


def accepted_classes(
    *,
    theater: str,
    export_to: str | None,
    arms: bool,
    korea_serves_others: bool,
    conflict: bool,
    arms_export_to_conflict: bool,
) -> frozenset[CargoClass]:
    """Classes of cargo that may meet a demand line (the rheostat, the national-resources rule,
    the 2006 link and the export law, acting on owner, purpose and places passed).

    - Korea's own lines (theater `korea`) take every class (000: "defending [South Korea] has
      to be the first task").
    - An export line (`export_to`) takes Korean-owned cargo only (003: "opportunities for South
      Korea to export").
    - A line of another theater takes Korean-owned cargo and U.S. cargo that passed Korea only
      when `korea_serves_others` (level at or above `national_resources_min_level`; 000:
      "providing munitions, ammunition, and military-grade fuel"; below it the 2006 statement:
      "it shall not be involved in a regional conflict in Northeast Asia against the will of
      the Korean people").
    - Korean-owned arms go to a theater in armed conflict only with `arms_export_to_conflict`
      (003: "legal restrictions that prevent the export of arms to conflict zones").

    U.S.-owned arms stored in Korea (the 500,000 loan shells) are not Korean-owned: the export
    law does not govern them, the national-resources rule does (they are `us_via_korea`).
    """
    law_blocks = arms and conflict and not arms_export_to_conflict
    if export_to is not None:
        return frozenset() if law_blocks else frozenset({CargoClass.rok})
    if theater == KOREA:
        return frozenset(CargoClass)
    if not korea_serves_others:
        return frozenset({CargoClass.us_clean})
    out = {CargoClass.us_clean, CargoClass.us_via_korea}
    if not law_blocks:
        out.add(CargoClass.rok)
    return frozenset(out)


def possible_accepted(theater: str | None, export_to: str | None, arms: bool) -> list[frozenset]:
    """Every class set a demand line may accept under some scenario (any rheostat level,
    China's action and export law): the ledger's classes are cut by these, not by one
    scenario's, so a model's flow columns carry the same names in every scenario (``hedge``
    ties first-stage flows across scenarios by name)."""
    return [
        accepted_classes(
            theater=str(theater), export_to=export_to, arms=arms, korea_serves_others=serves,
            conflict=conflict, arms_export_to_conflict=law,
        )
        for serves in (False, True)
        for conflict in (False, True)
        for law in (False, True)
    ]  # fmt: skip


def class_label(classes: Iterable[str]) -> str:
    """Label of a group of classes no demand line tells apart: `+`-joined in CargoClass order."""
    given = {str(c) for c in classes}
    return "+".join(c.value for c in CargoClass if c.value in given)


def classes_of(label: str) -> frozenset[CargoClass]:
    """The classes a label stands for (`any`: every class)."""
    if label == ANY_CLASS:
        return frozenset(CargoClass)
    return frozenset(CargoClass(c) for c in label.split("+"))


def ledger_classes(
    source_classes: Iterable[CargoClass], any_korean_place: bool, accepted: Iterable[frozenset]
) -> tuple[str, ...]:
    """Class groups a commodity is tracked in (labels, see `class_label`).

    The classes a commodity can be in (its sources' classes, plus `us_via_korea` whenever U.S.
    cargo exists and there is a Korean place to pass) are split into the coarsest groups that
    no demand line's accepted set cuts and that arrival at a Korean place maps into one group
    each. One group that every line accepts whole is (`any`,): the class cannot matter, one
    column per flow suffices.
    """
    accepted = [frozenset(a) for a in accepted]
    present = set(source_classes)
    if CargoClass.us_clean in present and any_korean_place:
        present.add(CargoClass.us_via_korea)
    if all(present <= a for a in accepted):
        return (ANY_CLASS,)
    order = [c for c in CargoClass if c in present]
    # coarsest partition: classes with the same membership in every accepted set
    groups: dict[tuple, list[CargoClass]] = {}
    for c in order:
        groups.setdefault(tuple(c in a for a in accepted), []).append(c)
    parts = [frozenset(g) for g in groups.values()]
    while True:  # close under arrival: a group's images must lie in one group
        group_of = {c: i for i, g in enumerate(parts) for c in g}
        split = []
        for g in parts:
            by_image: dict[int, set] = {}
            for c in g:
                image = CargoClass(class_on_arrival(c, any_korean_place))
                by_image.setdefault(group_of[image], set()).add(c)
            split.extend(frozenset(v) for v in by_image.values())
        if len(split) == len(parts):
            break
        parts = split
    parts.sort(key=lambda g: min(order.index(c) for c in g))
    return tuple(class_label(g) for g in parts)
