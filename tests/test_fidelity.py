"""Issue 9 (answers that mean what the sources say) and issue 7 item 3 (force arrival lag)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from rsoi.errors import InputError
from rsoi.lp.build import build
from rsoi.lp.prepare import periods_of_travel, prepare
from rsoi.lp.solve import solve
from rsoi.model.loader import load_model
from rsoi.model.schema import (
    SUPPORT_LEVEL_ORDER,
    ChinaAction,
    SupportLevel,
    SupportPoll,
    effective_rok_level,
)
from tests.helpers import SHIPPED
from tests.tiny import force, solve_dict, tiny, value, write_model

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT.parent / "shared" / "sources"


# --- §1 / issue 7.3: one arrival rule, forces do not teleport -------------------------------


def test_arrival_rule_rounds_at_half_a_period() -> None:
    """C1: lag = floor(km / (speed * days) + 0.5): 0.49 of a period -> 0, 0.5 or more -> 1."""
    assert periods_of_travel(10, 1000, 1) == 0
    assert periods_of_travel(490, 1000, 1) == 0
    assert periods_of_travel(500, 1000, 1) == 1
    assert periods_of_travel(1440, 1000, 1) == 1
    assert periods_of_travel(1600, 500, 2) == 2


def test_home_inside_a_theater_far_from_its_anchor_still_travels(tmp_path: Path) -> None:
    """A force based in the Korean theater 700 km from the anchor `a` (speed 1000 km/day,
    1-day periods): tau = 0.7, lag = floor(1.2) = 1, so it is first present in period 2
    (the old rule gave lag 0 to any home inside the theater). An override sets it back."""
    data = tiny()
    data["places"].append(
        {"id": "far", "kind": "army_base", "country": "KR", "theater": "korea",
         "lon": 127.0, "lat": 36.0 - 700 / 111.0, "source": "test"}
    )  # fmt: skip
    data["forces"] = [force("f", home="far", speed_km_per_day=1000, theaters=["korea"])]
    prep = prepare(load_model(write_model(data, tmp_path)))
    assert prep.force_arrival[("f", "korea")] == 2
    data["forces"][0]["arrival_lag_periods"] = {"korea": 0}
    prep = prepare(load_model(write_model(data, tmp_path, "override.yaml")))
    assert prep.force_arrival[("f", "korea")] == 1


def test_staging_bases_outside_both_theaters(tmp_path: Path) -> None:
    """Guam, Japan and the Philippines belong to neither theater in the shipped model; a force
    based on Guam is not in Korea in period 1 and counts toward nothing before it arrives."""
    spec = load_model(SHIPPED, "invasion").spec
    by_id = {p.id: p for p in spec.places}
    for place in ("apra_harbor", "andersen_afb", "kadena_ab", "sasebo", "yokosuka", "subic_bay"):
        assert by_id[place].theater is None, place
        assert by_id[place].region in {"guam", "japan", "philippines"}
    prep = prepare(load_model(SHIPPED, "invasion"))
    guam_wing = next(f for f in spec.forces if f.home == "andersen_afb" and f.ready_period > 1)
    assert prep.force_arrival[(guam_wing.id, "korea")] > guam_wing.ready_period


def test_route_into_a_staging_base_must_name_its_theater(tmp_path: Path) -> None:
    data = tiny()
    data["places"].append(
        {"id": "guam", "kind": "naval_base", "country": "US", "region": "guam",
         "lon": 144.66, "lat": 13.44, "source": "test"}
    )  # fmt: skip
    data["routes"].append(
        {"id": "a-guam", "origin": "a", "destination": "guam", "mode": "road",
         "capacity_t_per_day": 10, "transit_periods": 1, "source": "test"}
    )  # fmt: skip
    with pytest.raises(InputError, match="outside every theater"):
        load_model(write_model(data, tmp_path))


def _swing_model() -> dict:
    """Tiny sequential scenario: 5 periods of 1 day; one force (power 10, speed 1000 km/day)
    at home in `a` (the Korean anchor); `a`-`b` is ~1,440 km, so home->Taiwan and the swing
    between the anchors both take floor(1.44 + 0.5) = 1 period. Taiwan needs 10 every period
    (weight 100); Korea needs 10 once North Korea attacks in period 4 (weight 1000)."""
    data = tiny(
        horizon={"periods": 5, "period_days": 1},
        forces=[force("f", speed_km_per_day=1000)],
        combat_requirements=[
            {"theater": "taiwan", "amount_by_ladder": {"invasion": 10},
             "priority": "taiwan_support", "source": "test"},
            {"theater": "korea", "korea_conflict_amount": 10, "priority": "korea_defense",
             "source": "test"},
        ],
        events={"china_action": "invasion",
                "korea_conflict": {"timing": "sequential", "delay_periods": 3}},
        stocks=[],
    )  # fmt: skip
    return data


def test_force_swings_back_only_as_fast_as_the_distance_allows(tmp_path: Path) -> None:
    """Hand-worked optimum (whole force moves; shares are linear so mixes cost the average):

    - stay in Korea: Taiwan short 5 periods x 10 x 100 = 5,000;
    - leave home in 1 (in transit 1), Taiwan in 2, leave Taiwan in 3 (in transit 3), Korea in
      4 and 5: Taiwan short in 1, 3, 4, 5 = 4,000, Korea short 0 -> 4,000;
    - Taiwan in 2 and 3, leave in 4, Korea in 5: Taiwan short 3,000 + Korea short in 4
      = 10 x 1000 -> 13,000.

    Optimum 4,000, with the share in transit in periods 1 and 3. A force that could teleport
    would stay in Taiwan 1..3 and be in Korea in 4: 2,000.
    """
    run = solve_dict(_swing_model(), tmp_path)
    assert run.solution.objective == pytest.approx(4000.0)
    assert value(run, "share", force="f", theater="taiwan", period=2) == pytest.approx(1.0)
    assert value(run, "share", force="f", theater="taiwan", period=3) == pytest.approx(0.0)
    assert value(run, "share", force="f", theater="korea", period=4) == pytest.approx(1.0)
    app = run.tables.apportionment
    transit = app[app["theater"] == "in_transit"].set_index("period")["share"]
    assert transit[1] == pytest.approx(1.0)
    assert transit[3] == pytest.approx(1.0)
    assert transit[2] == pytest.approx(0.0)


def test_swing_lag_override_lets_the_force_swap_at_once(tmp_path: Path) -> None:
    """With swing_lag_periods: 0, the force can be in Taiwan 2..3 and swap to Korea in period
    4 without transit: Taiwan short in 1, 4, 5 = 3,000 (it still needs 1 period from home)."""
    data = _swing_model()
    data["forces"][0]["swing_lag_periods"] = 0
    run = solve_dict(data, tmp_path)
    assert run.solution.objective == pytest.approx(3000.0)


def test_troop_floor_counts_troops_physically_in_korea(tmp_path: Path) -> None:
    """A U.S. force of 1,000 troops based in Korea (`a`) with a troop floor of 1,000 (hard):
    the share that leaves for Taiwan is in transit in period 1 and counts nowhere, so the
    floor keeps it home: the Taiwan need (10 per period, weight 100) stays short 3 periods
    = 3,000. With the floor off it reaches Taiwan in period 2: short in period 1 only = 1,000."""
    data = tiny(
        forces=[force("f", speed_km_per_day=1000, troops=1000)],
        combat_requirements=[
            {"theater": "taiwan", "amount_by_ladder": {"invasion": 10},
             "priority": "taiwan_support", "source": "test"},
        ],
        stocks=[],
    )  # fmt: skip
    data["policies"]["troop_floor"] = {"enabled": True, "troops": 1000, "source": "test"}
    assert solve_dict(data, tmp_path).solution.objective == pytest.approx(3000.0)
    data["policies"]["troop_floor"]["enabled"] = False
    assert solve_dict(data, tmp_path / "off").solution.objective == pytest.approx(1000.0)


# --- shipped-model properties: solve every scenario once ------------------------------------


@pytest.fixture(scope="module")
def shipped() -> dict[str, tuple[float, dict]]:
    """Objective and parts of every shipped scenario (LP build and solve only)."""
    spec = load_model(SHIPPED, None).spec
    out = {}
    for name in spec.scenarios:
        prep = prepare(load_model(SHIPPED, name))
        lp, _ = build(prep)
        sol = solve(lp)
        out[name] = (sol.objective, dict(sol.objective_parts), prep)
    return out


def _solve(model_path: Path, scenario: str, **policy: object) -> float:
    model = load_model(model_path, scenario)
    for dotted, val in policy.items():
        target = model.spec
        *path, last = dotted.split("__")
        for part in path:
            target = getattr(target, part)
        setattr(target, last, val)
    lp, _ = build(prepare(model))
    return solve(lp).objective


def test_no_two_shipped_scenarios_give_identical_results(shipped) -> None:
    names = sorted(shipped)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            oa, ob = shipped[a][0], shipped[b][0]
            assert abs(oa - ob) > 1e-6 * max(1.0, abs(oa)), f"{a} and {b}: objective {oa}"


def test_readme_numbers_are_the_shipped_models(shipped) -> None:
    """The README's scenario table ("after" column, rounded) and every printout's baseline
    objective of the default scenario are what the shipped model solves to today
    (regenerate them with scripts/readme_printouts.py)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| [^|]* \| ([\d,]+) \|", readme, re.M)
    assert len(rows) >= len(shipped) - 2
    for name, after in rows:
        assert name in shipped, f"README scenario table: {name} is not shipped"
        assert int(after.replace(",", "")) == round(shipped[name][0]), name
    default = load_model(SHIPPED, None).scenario
    baselines = re.findall(
        r"(?:baseline objective|undamaged objective|baseline \(\w+\): optimal, objective"
        r"|constraints [\d,]+ · objective) ([\d,]+\.\d\d)",
        readme,
    )
    assert len(baselines) >= 4
    for text in baselines:
        assert float(text.replace(",", "")) == pytest.approx(shipped[default][0], abs=0.01)


def test_full_scenario_grid_is_shipped(shipped) -> None:
    rungs = ["gray_zone", "blockade", "missile_strikes", "invasion", "invasion_base_attacks"]
    wanted = {f"{r}{s}" for r in rungs for s in ("", "_korea_simultaneous", "_korea_sequential")}
    wanted |= {"korea_alone", "korea_first_then_taiwan", "invasion_guam_attacks"}
    assert wanted <= set(shipped)
    assert shipped["korea_alone"][2].spec.events.china_action == ChinaAction.none


def test_rheostat_escalates_with_the_ladder(shipped) -> None:
    """000: "a graduated and escalating response": the default level never falls as China
    climbs the ladder, and the shipped rungs cost more the higher they are."""
    levels = [
        SUPPORT_LEVEL_ORDER.index(shipped[name][2].rok_level)
        for name in ("korea_alone", "gray_zone", "blockade", "missile_strikes", "invasion")
    ]
    assert levels == sorted(levels) and levels[0] < levels[-1]
    cost = [shipped[r][0] for r in ("gray_zone", "blockade", "missile_strikes", "invasion")]
    assert cost == sorted(cost)
    base_attacks = shipped["invasion_base_attacks"][2]
    assert base_attacks.rok_level == SupportLevel.joint_operations


def test_explicit_level_overrides_the_ladder(shipped) -> None:
    assert shipped["invasion"][2].rok_level == SupportLevel.rear_area_isr_escort
    assert shipped["invasion_rok_rear_area"][2].rok_level == SupportLevel.rear_area
    assert shipped["invasion_rok_none"][2].rok_level == SupportLevel.none
    # less ROK support costs more (000: the rheostat)
    assert shipped["invasion_rok_none"][0] > shipped["invasion_rok_rear_area"][0]
    assert shipped["invasion_rok_rear_area"][0] > shipped["invasion"][0]
    assert shipped["invasion"][0] > shipped["invasion_joint_operations"][0]


def test_poll_figures_are_shipped_and_validated() -> None:
    poll = load_model(SHIPPED, None).spec.policies.rok_support.poll
    assert poll is not None and poll.year == 2022
    assert poll.shares[SupportLevel.rear_area] == pytest.approx(0.42)
    assert poll.shares[SupportLevel.joint_operations] == pytest.approx(0.225)
    assert poll.shares[SupportLevel.none] == pytest.approx(0.18)
    some_role = poll.shares[SupportLevel.rear_area] + poll.shares[SupportLevel.joint_operations]
    assert some_role == pytest.approx(0.645)
    with pytest.raises(ValidationError, match="sum to"):
        SupportPoll(year=2022, shares={"none": 0.5}, no_stated_view=0.1, source="test")


def test_stipulated_response_raises_the_level_only_after_attacks_outside_korea() -> None:
    spec = load_model(SHIPPED, "invasion_guam_attacks").spec
    assert effective_rok_level(spec) == SupportLevel.rear_area_isr_escort
    spec.policies.rok_support.stipulated_response = True
    spec.policies.rok_support.stipulated_level = SupportLevel.joint_operations
    assert effective_rok_level(spec) == SupportLevel.joint_operations
    spec = load_model(SHIPPED, "invasion").spec  # no attack outside Korea and Taiwan
    spec.policies.rok_support.stipulated_response = True
    spec.policies.rok_support.stipulated_level = SupportLevel.joint_operations
    assert effective_rok_level(spec) == SupportLevel.rear_area_isr_escort


# --- §2 treaty duty ----------------------------------------------------------------------------


def test_defending_us_bases_in_korea_is_koreas_defense_at_every_level() -> None:
    """000: "If Beijing attacked U.S. bases in South Korea, Seoul would be obligated under the
    bilateral defense treaty to respond against China": with the rheostat at `none`, ROK
    air-defense units still cover the attacked bases (Korea theater, top priority class)."""
    model = load_model(SHIPPED, "invasion_base_attacks")
    duty = [q for q in model.spec.requirements if q.relative_to == "attack"]
    assert duty and all(q.theater == "korea" and q.priority == "korea_defense" for q in duty)
    model.spec.policies.rok_support.level = SupportLevel.none
    prep = prepare(model)
    lp, _ctx = build(prep)
    sol = solve(lp)
    short = lp.variables["task_shortfall"]
    ids = {q.id for q in duty}
    mask = short.index["requirement"].isin(ids).to_numpy()
    assert mask.any()
    assert float(sol.x[short.ids[mask]].sum()) == pytest.approx(0.0, abs=1e-6)


# --- §4 national resources and the 2006 link ------------------------------------------------


def test_level_none_keeps_korean_cargo_out_of_taiwan_by_any_path() -> None:
    """At level none no Korean-owned ton, none from a Korean place and none that passed one
    meets a Taiwan demand, whatever route label it travels on; at rear_area Korean places
    feed Taiwan again (the loan shells at Camp Carroll). Every scenario at level none and
    random models: tests/test_cargo_ledger.py."""
    from rsoi.pipeline import run_model

    korean = {p.id for p in load_model(SHIPPED).spec.places if p.theater == "korea"}
    ledger = run_model(SHIPPED, "invasion_rok_none").tables.cargo_ledger
    away = ledger[ledger["theater"] != "korea"]
    assert not away.empty and set(away["owner"]) == {"us"}
    assert not set(away["source_place"]) & korean
    ledger = run_model(SHIPPED, "invasion_rok_rear_area").tables.cargo_ledger
    away = ledger[ledger["theater"] != "korea"]
    assert set(away["source_place"]) & korean


# --- §5 switches do something, in the direction of the source -------------------------------


def test_every_switch_changes_an_answer_in_its_direction(shipped) -> None:
    # North Korea opportunistic raises the floor: never cheaper, dearer in invasion_korea_sequential
    base = shipped["invasion_korea_sequential"][0]
    calm = _solve(SHIPPED, "invasion_korea_sequential",
                  policies__deterrence_floor__north_korea_opportunistic=False)  # fmt: skip
    assert base > calm + 1e-6
    # ... and in the simultaneous war of finding 10 (the floor counts before the requirement)
    calm = _solve(SHIPPED, "invasion_korea_simultaneous",
                  policies__deterrence_floor__north_korea_opportunistic=False)  # fmt: skip
    assert shipped["invasion_korea_simultaneous"][0] > calm + 1e-6
    # a closed strait lengthens voyages and closes the path to Taichung
    assert shipped["invasion_strait_closed"][0] > shipped["invasion"][0] + 1e-6
    # the 2006 link: at level none USFK stays; without the link it may leave, which helps Taiwan
    assert shipped["invasion_rok_none"][0] > shipped["invasion_rok_none_flexibility_kept"][0]
    # strategic flexibility withheld costs Taiwan support
    assert shipped["invasion_no_flexibility"][0] > shipped["invasion"][0]
    # Washington's stipulation after attacks on Guam raises the ROK level and helps Taiwan
    assert shipped["invasion_guam_attacks_stipulated"][0] < shipped["invasion_guam_attacks"][0]
    # attacks on Guam cost something
    assert shipped["invasion_guam_attacks"][0] > shipped["invasion"][0]
    # export commitments (003) compete with Taiwan support for Korean production
    assert shipped["invasion_exports"][0] > shipped["invasion"][0]


def test_closing_the_strait_alone_bites_in_a_blockade() -> None:
    """Finding 10: a blockade with only `taiwan_strait` turned from contested to closed, and
    nothing else edited (no escort requirement raised by hand), costs more than the blockade:
    the Busan-Taichung voyage loses its path and Korea's own trade detours east of Taiwan, so
    its escort need grows with the voyage (Requirement.trade_path)."""
    base = load_model(SHIPPED, "blockade")
    closed = load_model(SHIPPED, "blockade")
    strait = next(lane for lane in closed.spec.lanes if lane.id == "taiwan_strait")
    assert strait.contested and not strait.closed
    strait.closed = True
    parts = {}
    for name, model in (("blockade", base), ("closed", closed)):
        lp, _ = build(prepare(model))
        sol = solve(lp)
        parts[name] = (sol.objective, sol.objective_parts)
    assert parts["closed"][0] > parts["blockade"][0] + 1.0
    trade = "shortfall:korea_trade"
    assert parts["closed"][1].get(trade, 0.0) > parts["blockade"][1].get(trade, 0.0) + 1e-3


def test_loaned_shells_are_us_held_and_separate_from_rok_war_stock() -> None:
    """003: "lend up to 500,000 155mm artillery shells to the United States": a U.S.-held
    stock of at most 500,000 at the U.S. depot, beside a ROK-held war reserve."""
    spec = load_model(SHIPPED, None).spec
    shells = [s for s in spec.stocks if s.commodity == "ammo_155mm"]
    loan = [s for s in shells if "003" in s.source]
    assert len(loan) == 1 and loan[0].quantity <= 500_000 and "U.S.-held" in loan[0].source
    rok = [s for s in shells if s is not loan[0]]
    assert rok and all(s.place != loan[0].place for s in rok)


# --- §7 data hygiene -----------------------------------------------------------------------------


def test_sea_areas_lie_at_sea() -> None:
    """Every `sea_area` of the shipped model is off land in geodata/basemap.gpkg."""
    pyogrio = pytest.importorskip("pyogrio")
    import shapely
    from shapely.geometry import Point

    land = shapely.union_all(
        pyogrio.read_dataframe(ROOT / "geodata" / "basemap.gpkg", layer="land").geometry.values
    )
    prep = prepare(load_model(SHIPPED, "invasion"))
    areas = [p for p in prep.spec.places if p.kind == "sea_area"]
    assert any(p.id == "taiwan_waters" for p in areas)
    for p in areas:
        assert not land.contains(Point(*prep.coords[p.id])), f"{p.id} lies on land"


def _source_fields(node, path: str = "") -> list[tuple[str, str]]:
    out = []
    if isinstance(node, dict):
        for key, val in node.items():
            if key == "source" and isinstance(val, str):
                out.append((f"{path}.source", val))
            else:
                out += _source_fields(val, f"{path}.{key}")
    elif isinstance(node, list):
        for i, val in enumerate(node):
            out += _source_fields(val, f"{path}[{i}]")
    return out


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"-\s*\n\s*", "", text)  # words hyphenated across lines
    return re.sub(r"\s+", " ", text).lower()


def _quotes(source: str) -> list[str]:
    """Quoted passages of a `source:`: '...' or "..." spans; '...' elisions split them."""
    found = re.findall(r"'([^']{6,})'", source) + re.findall(r'"([^"]{6,})"', source)
    parts = []
    for q in found:
        parts += [p.strip(" .[]") for p in re.split(r"\.\.\.|…|\[[^\]]*\]", q)]
    return [p for p in parts if len(p) >= 6]


def test_every_quoted_source_phrase_is_in_the_papers() -> None:
    """Each quoted phrase in a `source:` citing 000 or 003 occurs in that paper's text
    (../shared/sources beside the checkout, as in CI)."""
    papers = {
        tag: _normalise(next(SOURCES.glob(f"{tag}_*.txt")).read_text(encoding="utf-8"))
        for tag in ("000", "003")
        if SOURCES.is_dir() and any(SOURCES.glob(f"{tag}_*.txt"))
    }
    assert set(papers) == {"000", "003"}, f"source texts not found in {SOURCES}"
    data = load_model(SHIPPED, None).document.data
    checked = 0
    for where, source in _source_fields(data):
        tags = [t for t in ("000", "003") if t in source]
        if not tags:
            continue
        for phrase in _quotes(source):
            text = _normalise(phrase)
            assert any(text in papers[t] for t in tags), f"{where}: '{phrase}' not in {tags}"
            checked += 1
    assert checked >= 20


def test_figures_the_papers_do_not_contain_are_marked_notional() -> None:
    """A `source:` citing 000/003 next to a number the paper does not contain says notional."""
    spec = load_model(SHIPPED, None).spec
    policies = spec.policies
    for label, source in (
        ("deterrence_floor", policies.deterrence_floor.source),
        ("usfk_air_share", policies.usfk_air_share.source),
    ):
        assert "notional" in source, label
    for q in spec.requirements:
        if q.task.value in ("isr", "air_maritime_protection", "base_security"):
            assert "notional" in q.source, q.id
    naval = next(f for f in spec.forces if f.id == "usfk-naval-marine")
    assert "notional" in naval.source and "negligible" in naval.source


# --- the checker derives lags itself -------------------------------------------------------------


def test_checker_catches_a_shortened_lag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inject an error into the preparation (every travel takes 0 periods): the LP then lets
    the force of the sequential swing model be in Taiwan in 1..3 and in Korea in 4. The checker
    derives the C1 lags from the coordinates itself and reports the arrival and the swing."""
    from rsoi.lp import prepare as prepare_module
    from rsoi.pipeline import run_model, write_run
    from rsoi.results.check import check_run

    path = write_model(_swing_model(), tmp_path)
    good = check_run(write_run(run_model(path), tmp_path / "good"))
    assert good.ok, good.violations
    monkeypatch.setattr(prepare_module, "periods_of_travel", lambda *_args: 0)
    run = run_model(path)
    assert run.solution.objective == pytest.approx(2000.0)  # the teleporting optimum
    report = check_run(write_run(run, tmp_path / "bad"))
    text = "\n".join(report.violations)
    assert "before the force can arrive" in text
    assert "force_position[f,korea,4]" in text


def test_scenarios_json_shows_the_grid() -> None:
    import json

    from tests.helpers import run_cli

    code, stdout, _ = run_cli("scenarios", SHIPPED, "--json")
    assert code == 0
    grid = {row["name"]: row for row in json.loads(stdout)}
    assert grid["korea_alone"]["china_action"] == "none"
    assert grid["invasion_korea_sequential"]["korea_timing"] == "sequential"
    assert grid["invasion_korea_sequential"]["korea_delay_periods"] == 10
    assert grid["blockade"]["rok_support_level"] == "rear_area_isr_escort"
    assert grid["invasion_rok_none"]["rok_support_level"] == "none"
