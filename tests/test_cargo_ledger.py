"""Issue 15 (a), findings 1 and 9: cargo has an owner and a purpose.

Every ton moves as (commodity, class) from its source to the demand it meets; the rheostat, the
national-resources rule, the 2006 link and the export law act on the owner, the demand's
purpose and the places a ton passes, never on a route's label. The tests assert outcomes:
what reaches a Taiwan demand, from which owner and source place, and that the checker derives
the same ledger on its own code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import rsoi.lp.build.cargo
from rsoi.model import rules
from rsoi.model.loader import load_model
from rsoi.model.schema import SupportLevel
from rsoi.pipeline import run_model, write_run
from rsoi.results.check import check_run
from tests.helpers import SHIPPED
from tests.test_check import random_models
from tests.tiny import demand, tiny, value, write_model

TAIWAN = 100.0  # taiwan_support weight per short ton short (tests/helpers.py)


def _place(id: str, lon: float, lat: float, theater: str | None, country: str) -> dict:
    return {"id": id, "kind": "seaport", "country": country, "theater": theater, "lon": lon,
            "lat": lat, "source": "test"}  # fmt: skip


def _road(id: str, origin: str, dest: str, capacity: float = 1000, **kw) -> dict:
    return {"id": id, "origin": origin, "destination": dest, "mode": "sea",
            "capacity_t_per_day": capacity, "transit_periods": 1, "distance_km": 100,
            "source": "test", **kw}  # fmt: skip


def third_country(level: str, *, arms: bool = False, law: bool = False) -> dict:
    r"""a (Korea), j (Japan, no theater), g (Guam, no theater), b (Taiwan); 3 one-day periods.

    Stocks: 100 at a, Korean-owned (the default at a Korean place); 50 at a, U.S.-owned (the
    loan-stock pattern); 30 at g, U.S.-owned. Routes (lag 1, 1000 t/day unless said): a->j
    (labelled ``korea``, like the old export route: the label decides nothing), j->b, a->b,
    g->a and g->j (10 t/day). Demand: 200 at b (Taiwan), EAD 1, LAD 3.

    Hand optimum (every path takes two legs: depart 1, arrive 3 = LAD, so no lateness):

    - level ``none``: only U.S. cargo that never touches a Korean place meets b: g->j->b,
      capped at 10. The 100 Korean-owned units may not go a->j->b (the path through a third
      country), the 50 U.S. units stored at a may not either, and g's other 20 may not go
      g->a->b. Shortfall 190, objective 190 x 100 = 19,000.
    - level ``rear_area``, no arms: all 180 reach b; shortfall 20, objective 2,000.
    - level ``rear_area``, ``arms: true``, China's invasion (a conflict zone), today's law: the
      100 Korean-owned units are barred (003), the U.S.-owned 50 + 30 go; shortfall 120,
      objective 12,000. With ``arms_export_to_conflict`` the law allows them: 2,000.
    """
    data = tiny(
        places=[
            _place("a", 127.0, 36.0, "korea", "KR"),
            _place("j", 129.7, 33.2, None, "JP"),
            _place("g", 144.8, 13.4, None, "US"),
            _place("b", 121.0, 24.0, "taiwan", "TW"),
        ],
        routes=[
            _road("aj", "a", "j", theater="korea"), _road("jb", "j", "b"), _road("ab", "a", "b"),
            _road("ga", "g", "a"), _road("gj", "g", "j", capacity=10, theater="taiwan"),
        ],
        stocks=[
            {"place": "a", "commodity": "ammo", "quantity": 100, "source": "test"},
            {"place": "a", "commodity": "ammo", "quantity": 50, "owner": "us", "source": "test"},
            {"place": "g", "commodity": "ammo", "quantity": 30, "source": "test"},
        ],
        demands=[demand(200, 1, 3)],
    )  # fmt: skip
    data["commodities"][0]["arms"] = arms
    data["theaters"] = [t for t in data["theaters"] if t["id"] in ("korea", "taiwan")]
    data["policies"]["rok_support"].update(level=level, arms_export_to_conflict=law)
    return data


@pytest.mark.parametrize(
    ("level", "arms", "law", "objective", "delivered"),
    [
        ("none", False, False, 19_000.0, 10.0),
        ("rear_area", False, False, 2_000.0, 180.0),
        ("rear_area", True, False, 12_000.0, 80.0),
        ("rear_area", True, True, 2_000.0, 180.0),
    ],
)
def test_third_country_path_hand_optimum(
    tmp_path: Path, level: str, arms: bool, law: bool, objective: float, delivered: float
) -> None:
    run = run_model(write_model(third_country(level, arms=arms, law=law), tmp_path))
    assert run.solution.objective == pytest.approx(objective)
    assert value(run, "delivery", demand="d1") == pytest.approx(delivered)
    ledger = run.tables.cargo_ledger
    if level == "none":
        # nothing Korean-owned, nothing from a Korean place, nothing that passed one
        assert set(ledger["owner"]) == {"us"} and set(ledger["source_place"]) == {"g"}
        assert set(ledger["cargo_class"]) == {rules.CargoClass.us_clean.value}
        # Korean tons may still move (cost is 0 here), but none arrives at b
        flows = run.tables.flows
        assert flows[flows["destination"] == "b"]["quantity"].sum() == pytest.approx(10.0)
    if arms and not law:
        assert "rok" not in set(ledger["owner"])
    report = check_run(write_run(run, tmp_path / "run"))
    assert report.ok, report.violations


def test_export_line_is_met_by_korean_owned_cargo_only(tmp_path: Path) -> None:
    """An export line (``export_to``) at j wants 40; U.S. stock sits at g (30) and a (50, U.S.-
    owned): owner matters, so none meets it (shortfall 40 x 100 = 4,000). Add 100 Korean-owned
    units at a and all 40 go a->j: objective 0."""
    data = third_country("rear_area")
    data["stocks"] = [s for s in data["stocks"] if s.get("owner") == "us" or s["place"] == "g"]
    line = demand(40, 1, 3, place="j", id="e1")
    line.update(theater="korea", export_to="philippines")
    data["demands"] = [line]
    run = run_model(write_model(data, tmp_path / "a"))
    assert run.solution.objective == pytest.approx(40 * TAIWAN)
    data["stocks"].append({"place": "a", "commodity": "ammo", "quantity": 100, "source": "test"})
    run = run_model(write_model(data, tmp_path / "b"))
    assert run.solution.objective == pytest.approx(0.0)
    assert set(run.tables.cargo_ledger["owner"]) == {"rok"}
    assert check_run(write_run(run, tmp_path / "run")).ok


def test_checker_catches_korean_cargo_let_into_taiwan(tmp_path: Path, monkeypatch) -> None:
    """The builder 'forgets' the national-resources rule (every class meets every line): at
    level none Korean-owned units reach b. The checker derives the rule itself and names it."""
    monkeypatch.setattr(
        rsoi.lp.build.cargo, "accepted_for", lambda prep, d: frozenset(rules.CargoClass)
    )
    run = run_model(write_model(third_country("none"), tmp_path))
    assert run.solution.objective == pytest.approx(2_000.0)  # the wrong plan
    report = check_run(write_run(run, tmp_path / "run"))
    text = "\n".join(report.violations)
    assert not report.ok
    assert "below the level that admits Korean national resources" in text
    assert "may not meet this line (it accepts ['us_clean'])" in text


def test_checker_catches_an_edited_owner(tmp_path: Path) -> None:
    run = run_model(write_model(third_country("none"), tmp_path))
    folder = write_run(run, tmp_path / "run")
    path = folder / "cargo_ledger.csv"
    frame = pd.read_csv(path)
    frame.loc[0, "owner"] = "rok"
    frame.to_csv(path, index=False)
    report = check_run(folder)
    assert not report.ok
    assert any("cargo_ledger" in v for v in report.violations)


# --- every shipped scenario at level none ---------------------------------------------------


def _korean(model) -> set[str]:
    return {p.id for p in model.spec.places if p.theater == rules.KOREA}


def _assert_taiwan_clean(run, model) -> None:
    """No Korean-owned ton, none from a Korean place, none that passed a Korean place meets a
    demand outside Korea; and per commodity, what such lines get is at most what U.S. sources
    outside Korea hold or make."""
    korean = _korean(model)
    ledger = run.tables.cargo_ledger
    away = ledger[ledger["theater"] != rules.KOREA]
    assert set(away["owner"]) <= {"us"}
    assert not set(away["source_place"]) & korean
    assert set(away["cargo_class"]) <= {rules.CargoClass.us_clean.value, rules.ANY_CLASS}
    if (away["cargo_class"] == rules.ANY_CLASS).any():  # only if no class can be Korean
        assert not any(s.place in korean for s in model.spec.stocks + model.spec.production)
    supply: dict[str, float] = {}
    T = run.prep.T
    for s in model.spec.stocks:
        if s.place not in korean and (s.owner or rules.Owner.us) == rules.Owner.us:
            supply[s.commodity] = supply.get(s.commodity, 0.0) + s.quantity
    for g in model.spec.production:
        if g.place not in korean and (g.owner or rules.Owner.us) == rules.Owner.us:
            n = min(g.to_period or T, T) - g.from_period + 1
            supply[g.commodity] = (
                supply.get(g.commodity, 0.0) + g.quantity_per_day * run.prep.days * n
            )
    got = away.groupby("commodity")["quantity"].sum()
    for k, q in got.items():
        assert q <= supply.get(k, 0.0) + 1e-6, k


def _shipped_scenarios() -> list[str]:
    return sorted(load_model(SHIPPED).spec.scenarios)


@pytest.mark.parametrize("scenario", _shipped_scenarios())
def test_every_shipped_scenario_at_level_none_keeps_korea_out_of_taiwan(
    scenario: str, tmp_path: Path
) -> None:
    model = load_model(SHIPPED, scenario)
    pol = model.spec.policies.rok_support
    pol.level, pol.level_by_ladder, pol.stipulated_response = SupportLevel.none, {}, False
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.lp.solve import solve
    from rsoi.results.tables import make_tables

    prep = prepare(model)
    assert prep.rok_level_allows(pol.national_resources_min_level) is False
    lp, ctx = build(prep)
    sol = solve(lp)

    class _Run:  # the two attributes _assert_taiwan_clean reads
        pass

    run = _Run()
    run.prep, run.tables = prep, make_tables(lp, ctx, sol)
    _assert_taiwan_clean(run, model)


def test_invasion_rok_none_ships_no_rounds_busan_to_subic() -> None:
    """Finding 1: today 200,000 rounds went Busan -> Subic -> Kaohsiung at level none."""
    run = run_model(SHIPPED, "invasion_rok_none")
    flows = run.tables.flows
    korean = _korean(run.model)
    out = flows[flows["origin"].isin(korean) & ~flows["destination"].isin(korean)]
    assert out.empty, out
    _assert_taiwan_clean(run, run.model)


def test_loan_shells_serve_taiwan_only_with_national_resources() -> None:
    """The 500,000 shells at Camp Carroll are U.S.-owned loan stock stored in Korea: the
    national-resources rule governs them (not the export law). At rear_area some reach a
    Taiwan line; at none none do (test above)."""
    run = run_model(SHIPPED, "invasion_rok_rear_area")
    ledger = run.tables.cargo_ledger
    shells = ledger[
        (ledger["source"] == "stock:camp_carroll") & (ledger["commodity"] == "ammo_155mm")
    ]
    assert set(shells["owner"]) == {"us"}
    assert (shells["theater"] == "taiwan").any()


def test_philippines_export_line_not_met_from_guam() -> None:
    """Finding 9: in invasion_exports the Philippines export line took U.S. stock from Guam."""
    run = run_model(SHIPPED, "invasion_exports")
    ledger = run.tables.cargo_ledger
    line = ledger[ledger["demand"] == "exp-philippines-air-defense"]
    assert set(line["owner"]) <= {"rok"}
    assert not (line["source_place"] == "apra_harbor").any()
    # Korean-made arms do not go to the Taiwan theater under today's law (003)
    away = ledger[(ledger["theater"] == "taiwan") & ledger["commodity"].isin(["ammo_155mm", "pgm"])]
    assert set(away["owner"]) <= {"us"}


# --- random small models at level none -------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=random_models())
def test_random_models_at_level_none_keep_korea_out_of_taiwan(data: dict[str, Any]) -> None:
    data["policies"]["rok_support"]["level"] = "none"
    with tempfile.TemporaryDirectory() as tmp:
        path = write_model(data, Path(tmp))
        run = run_model(path)
        _assert_taiwan_clean(run, run.model)
        report = check_run(write_run(run, Path(tmp) / "run"))
        assert report.ok, report.violations


def test_checker_catches_korean_arms_let_into_a_conflict(tmp_path: Path, monkeypatch) -> None:
    """The builder 'forgets' the export law: at rear_area with arms, the 100 Korean-owned units
    reach b (objective 2,000 instead of 12,000); the checker names the law."""
    real = rules.accepted_classes
    monkeypatch.setattr(
        rsoi.lp.build.cargo.rules,
        "accepted_classes",
        lambda **kw: real(**{**kw, "arms_export_to_conflict": True}),
    )
    run = run_model(write_model(third_country("rear_area", arms=True), tmp_path))
    monkeypatch.undo()
    assert run.solution.objective == pytest.approx(2_000.0)
    report = check_run(write_run(run, tmp_path / "run"))
    assert "which Korea's export law bars (003)" in "\n".join(report.violations)


def test_flow_columns_carry_the_same_names_in_every_scenario() -> None:
    """hedge ties first-stage flows across scenarios by name: the cargo classes are cut by
    every scenario's rules at once, so gray zone (Korean arms may go to Taiwan) and invasion
    (they may not) name the same flow columns."""
    from rsoi.lp.build import build
    from rsoi.lp.prepare import prepare
    from rsoi.lp.program import _names

    def names(scenario: str) -> set[str]:
        lp, _ctx = build(prepare(load_model(SHIPPED, scenario)))
        block = lp.variables["flow"]
        return set(_names("flow", block.index))

    assert names("gray_zone") == names("invasion") == names("invasion_rok_none")
