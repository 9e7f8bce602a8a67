"""Rules that *are* the model's meaning, stated once for the builder and the checker.

The LP builder (``rsoi.lp``) and the independent checker (``rsoi.results.check``) derive their
answers on separate code; where both must agree on a *rule* (when an event starts, how a lag
rounds, which sea path wins a tie, where a unit or a ton may be and whom it may serve), the rule
lives here, once, and both import it. Derivations stay on each side.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from rsoi.model.schema import LADDER_ORDER, ChinaAction, Owner

# --- events and duties -------------------------------------------------------------------------

# --- units: one asset, one position ----------------------------------------------------------

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
