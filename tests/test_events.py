"""Duties follow events (issue 15 d): China's action in steps, North Korea's start, attacks.

Hand-worked tiny models (tests/tiny.py: 1-day periods, no transport cost, no providers or
forces unless added), each optimum derived in its docstring, plus the shipped scenarios whose
answers the review found wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsoi.model.loader import load_model
from rsoi.model.schema import SupportLevel, effective_rok_level
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run
from tests.helpers import run_cli
from tests.tiny import demand, solve_dict, tiny, write_model

MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"


def _amp(id: str, place: str, **fields) -> dict:
    line = {
        "id": id,
        "task": "air_maritime_protection",
        "place": place,
        "theater": "korea",
        "amount": 2,
        "relative_to": "attack",
        "priority": "korea_defense",
        "source": "test",
    }
    line.update(fields)
    return line


def _treaty_model(attack_period: int | None) -> dict:
    attacks = []
    if attack_period is not None:
        attacks = [{"target": "a", "from_period": attack_period, "capacity_factor": 0.5}]
    return tiny(
        horizon={"periods": 4, "period_days": 1},
        events={"china_action": "missile_strikes", "attacks": attacks},
        requirements=[_amp("amp-a", "a"), _amp("amp-b", "b")],
    )


def test_treaty_duty_starts_with_the_attack_on_that_base(tmp_path):
    """China hits place `a` from period 3 of 4; nobody can provide protection.

    The duty to defend `a` (2 units/day, class korea_defense W = 1000, task weight 1) holds in
    periods 3 and 4 only: objective = 2 x 2 periods x 1 day x 1000 = 4,000. Place `b` is never
    attacked, so its duty never starts. Without the attack the objective is 0.
    """
    run = solve_dict(_treaty_model(3), tmp_path / "hit")
    assert run.solution.objective == pytest.approx(4000.0)
    windows = {q.id: (q.from_period, q.to_period) for q in run.prep.requirements}
    assert windows == {"amp-a": (3, 4)}
    assert check_run(write_run(run, tmp_path / "hit-run")).ok
    calm = solve_dict(_treaty_model(None), tmp_path / "calm")
    assert calm.solution.objective == pytest.approx(0.0)


def test_checker_catches_a_duty_started_in_the_wrong_period(tmp_path, monkeypatch):
    """A builder that starts the duty one period early (periods 2-4, objective 6,000) is
    caught by the checker, which derives the windows on its own."""
    import rsoi.lp.prepare as prepare_module
    from rsoi.model import rules

    def early(spec):
        timeline = rules.event_timeline(spec)
        shifted = {k: v - 1 for k, v in timeline.attack_start.items()}
        return rules.EventTimeline(
            T=timeline.T,
            rung=timeline.rung,
            korea_start=timeline.korea_start,
            attack_start=shifted,
            attacks=timeline.attacks,
        )

    monkeypatch.setattr(prepare_module, "event_timeline", early)
    run = solve_dict(_treaty_model(3), tmp_path / "m")
    assert run.solution.objective == pytest.approx(6000.0)
    report = check_run(write_run(run, tmp_path / "bad"))
    assert not report.ok
    assert any("amp-a" in v or "task_requirement" in v for v in report.violations)


def test_escalation_from_blockade_to_invasion(tmp_path):
    """China blockades from period 1 and invades from period 3 (of 4).

    Taiwan needs 10 combat power under the blockade and 30 under the invasion, and no force
    exists: shortfall 10, 10, 30, 30 at W = 100 (taiwan_support) x 1 x 1 day = 8,000. A line
    needed only once China invades (min_ladder invasion), counted from that start
    (`relative_to: china_action`, EAD 1, LAD 1), is due in period 3; the 50 t leave `a` in
    period 2 on the 1-period road and arrive on time, so it adds nothing.
    """
    line = demand(50, 1, 1) | {"min_ladder": "invasion", "relative_to": "china_action"}
    data = tiny(
        horizon={"periods": 4, "period_days": 1},
        events={
            "china_action": "blockade",
            "china_escalation": [{"action": "invasion", "from_period": 3}],
        },
        demands=[line],
        combat_requirements=[
            {
                "theater": "taiwan",
                "amount_by_ladder": {"blockade": 10, "invasion": 30},
                "priority": "taiwan_support",
                "source": "test",
            }
        ],
    )
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(8000.0)
    assert [(d.ead, d.lad) for d in run.prep.demands] == [(3, 3)]
    assert check_run(write_run(run, tmp_path / "run")).ok


def test_escalation_that_does_not_climb_is_refused(tmp_path):
    data = tiny(
        events={
            "china_action": "invasion",
            "china_escalation": [{"action": "blockade", "from_period": 2}],
        }
    )
    code, _out, err = run_cli("validate", write_model(data, tmp_path))
    assert code == 2
    assert "china_escalation" in err and "climb" in err
    assert "model.yaml" in err


def test_treaty_response_follows_an_attack_by_china_on_a_korean_place(tmp_path):
    """The rheostat rises to `treaty_level` for an attack by China on a Korean place, whatever
    the rung is called; not for North Korea's attack, nor for an attack outside Korea."""

    def level(attacks: list[dict], name: str) -> SupportLevel:
        data = tiny(events={"china_action": "missile_strikes", "attacks": attacks})
        data["policies"]["rok_support"].pop("level")
        return effective_rok_level(load_model(write_model(data, tmp_path, name)).spec)

    hit_a = {"target": "a", "from_period": 2, "capacity_factor": 0.5}
    assert level([], "none.yaml") == SupportLevel.rear_area_isr_escort
    assert level([hit_a], "china.yaml") == SupportLevel.joint_operations
    assert level([hit_a | {"by": "north_korea"}], "nk.yaml") == SupportLevel.rear_area_isr_escort
    assert level([hit_a | {"target": "b"}], "taiwan.yaml") == SupportLevel.rear_area_isr_escort


# --- the shipped scenarios the review found wrong ---------------------------------------------


def test_shipped_base_attacks_duties_cover_the_bases_hit_from_their_attack():
    """invasion_base_attacks: Osan is hit from period 3, Busan from 5, Humphreys never."""
    run = run_model(MODEL, "invasion_base_attacks")
    duty = {q.id: q.from_period for q in run.prep.requirements if q.id.endswith("-attack")}
    assert duty == {"amp-osan-attack": 3, "amp-busan-attack": 5}


def test_shipped_attack_on_osan_brings_the_treaty_duty_and_changes_the_answer():
    plain = run_model(MODEL, "missile_strikes")
    hit = run_model(MODEL, "missile_strikes_osan_attacked")
    assert "amp-osan-attack" not in {q.id for q in plain.prep.requirements}
    assert {q.id: q.from_period for q in hit.prep.requirements}["amp-osan-attack"] == 3
    assert hit.prep.rok_level == SupportLevel.joint_operations
    assert hit.solution.objective != pytest.approx(plain.solution.objective, rel=1e-6)


def test_shipped_korea_first_then_taiwan_is_sequential():
    """No Taiwan line, Taiwan combat requirement or Taiwan attack before China acts (period 11)."""
    run = run_model(MODEL, "korea_first_then_taiwan")
    spec = run.prep.spec
    assert run.prep.timeline.china_start(spec.events.china_action) == 11
    theater_of = {p.id: p.theater for p in spec.places}
    for d in run.prep.demands:
        if (d.theater or theater_of[d.place]) == "taiwan":
            assert d.ead >= 11, d.id
    for q in run.prep.requirements:
        if q.theater == "taiwan":
            assert q.from_period >= 11, q.id
    rows = run.lp.constraints["combat_power"].index
    taiwan_periods = rows.loc[rows["theater"] == "taiwan", "period"]
    assert taiwan_periods.min() == 11
    simultaneous = run_model(MODEL, "invasion_korea_simultaneous")
    assert run.solution.objective < simultaneous.solution.objective


# --- the sea-path tie-break is one rule (rsoi.model.rules.sea_path_better) ----------------------


def _diamond(tmp_path: Path, names: tuple[str, str]) -> Path:
    """o at (0, 0), d at (2, 0); two waypoints at (1, +1) and (1, -1) named `names`: the two
    paths o-w-d are exactly as long (mirror images) and pass straits 'north' and 'south'."""
    (up, down) = names
    feats = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": c},
         "properties": {"feature": "waypoint", "id": i}}
        for i, c in ((up, [1.0, 1.0]), (down, [1.0, -1.0]))
    ]  # fmt: skip
    for a, b, strait in (
        ("o", up, "north"),
        (up, "d", None),
        ("o", down, "south"),
        (down, "d", None),
    ):
        feats.append(
            {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
             "properties": {"feature": "edge", "from": a, "to": b, "strait": strait}}
        )  # fmt: skip
    path = tmp_path / f"lanes-{up}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


@pytest.mark.parametrize("names", [("wa", "wb"), ("wb", "wa")])
def test_builder_and_checker_break_a_sea_path_tie_the_same_way(tmp_path, names):
    """Equal length and hops: the smaller waypoint-id sequence wins, o-wa-d, on both sides."""
    from rsoi.model.geo import SeaLaneGraph
    from rsoi.results.check.derive import _SeaGraph

    lanes = _diamond(tmp_path, names)
    ends = {"o": (0.0, 0.0), "d": (2.0, 0.0)}
    built = SeaLaneGraph.from_file(lanes, ends).path("o", "d")
    checked = _SeaGraph(lanes, ends).path("o", "d", frozenset())
    winner = "north" if names[0] == "wa" else "south"
    assert list(built.straits) == [winner]
    assert checked[1] == [winner]
    assert built.distance_km == pytest.approx(checked[0])


def test_trade_escort_grows_with_the_voyage_when_a_strait_closes():
    """Requirement.trade_path: Korea's trade escort is scaled by the shortest open sea path
    from Busan to its far end over the same with every strait open (the README's promise)."""
    from rsoi.model.geo import SeaLaneGraph

    def amount(scenario: str) -> float:
        run_prep = run_model(MODEL, scenario).prep
        return next(q.amount for q in run_prep.requirements if q.id == "esc-korea-trade")

    spec = load_model(MODEL).spec
    trade = next(q for q in spec.requirements if q.id == "esc-korea-trade").trade_path
    coords = run_model(MODEL, "invasion").prep.coords
    graph = SeaLaneGraph.from_file(MODEL.parent / spec.sea_lanes, coords)
    ratio = (
        graph.path(trade.origin, trade.destination, frozenset({"taiwan_strait"})).distance_km
        / graph.path(trade.origin, trade.destination).distance_km
    )
    assert ratio > 1
    assert amount("invasion_strait_closed") == pytest.approx(amount("invasion") * ratio)
