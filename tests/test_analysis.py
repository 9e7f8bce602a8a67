"""The analysis package: sweep, resilience, frontier, policies, compare, and the warm engine.

Every LP number asserted here is worked out by hand in the test's docstring, on tiny models
(tests/tiny.py: periods of 1 day, forces with no arrival lag, no transport cost).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

from rsoi.analysis.common import Settings
from rsoi.analysis.warm import clear_cache, solve_variant
from rsoi.model.variant import BASELINE, Variant
from tests.helpers import run_cli
from tests.tiny import force, tiny, write_model

W_KOREA, W_TAIWAN = 1000.0, 100.0  # priority class weights of tests/helpers.SMALL


def fc(id: str, **fields) -> dict:
    """A force at `a` (Korea's anchor) moving 2,000 km/day: b, Taiwan's anchor ~1,440 km away,
    is 0.72 periods off, so the force can count in Taiwan from period 2 on (under both the
    ceiling and the half-period arrival rules) and in Korea from period 1."""
    return force(id, speed_km_per_day=2000, **fields)


def korea_taiwan(korea: float, taiwan: float) -> list[dict]:
    return [
        {"theater": "korea", "amount_by_ladder": {"invasion": korea},
         "priority": "korea_defense", "source": "test"},
        {"theater": "taiwan", "amount_by_ladder": {"invasion": taiwan},
         "priority": "taiwan_support", "source": "test"},
    ]  # fmt: skip


def two_theater_model() -> dict:
    """One follow-on force (combat power 10) that Korea and Taiwan each want whole (10/period)."""
    return tiny(forces=[fc("f1")], combat_requirements=korea_taiwan(10, 10))


def air_share_model(max_share: float = 0.5) -> dict:
    """A USFK air wing (60 aircraft, power 20); Taiwan needs 100/period; the air share binds."""
    data = tiny(
        forces=[fc("wing", assignment="usfk", aircraft=60, combat_power=20)],
        combat_requirements=korea_taiwan(0, 100),
    )
    data["policies"]["usfk_air_share"] = {"enabled": True, "max_share": max_share, "source": "t"}
    return data


def rich_model() -> dict:
    """Forces of every assignment, elastic deterrence floor, hard troop floor, ROK providers:
    every policy setting changes the LP's numbers or its rows and columns."""
    data = tiny(
        forces=[
            fc("f1", troops=10_000),
            fc("wing", assignment="usfk", aircraft=60, combat_power=20, troops=5_000),
            fc("rok1", nation="ROK", assignment="rok", combat_power=15),
        ],
        combat_requirements=korea_taiwan(30, 40),
        demands=[{"id": "d1", "place": "b", "commodity": "ammo", "quantity": 90, "ead": 2,
                  "lad": 3, "priority": "sustainment", "source": "t"}],
    )  # fmt: skip
    data["places"][0]["cargo_t_per_day"] = 50  # `a` limits what leaves: a node loss bites
    p = data["policies"]
    p["deterrence_floor"] = {"enabled": True, "mode": "elastic", "combat_power": 20,
                             "opportunistic_combat_power": 35, "source": "t"}  # fmt: skip
    p["troop_floor"] = {"enabled": True, "mode": "hard", "troops": 8_000, "source": "t"}
    p["usfk_air_share"] = {"enabled": True, "max_share": 0.5, "source": "t"}
    p["rok_support"] = {
        "level": "rear_area",
        "source": "t",
        "poll": {
            "year": 2022,
            "shares": {"none": 0.18, "rear_area": 0.42, "joint_operations": 0.225},
            "no_stated_view": 0.175,
            "source": "000",
        },
    }
    return data


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


# --- frontier ----------------------------------------------------------------------------


def test_two_point_frontier(tmp_path: Path) -> None:
    """One force of power 10 based at Korea's anchor; Korea and Taiwan each need 10 in each of
    3 periods; reaching Taiwan (from home or from Korea) takes one period in transit.

    Korea best: all in Korea, (K, W) = (0, 30), objective 30 x 100 = 3,000. Taiwan best: leave
    home for Taiwan at once (in transit in period 1, in Taiwan in periods 2-3), W = 10, K = 30;
    staying in Korea for period 1 and then swinging would reach Taiwan only in period 3
    (W = 20). So (K, W) = (30, 10), objective 30 x 1,000 + 10 x 100 = 31,000. The weights
    (Korea 1,000 > Taiwan 100) pick (0, 30), the first point. Combat power sent: 30 to Korea at
    point 1; 0 to Korea and 20 to Taiwan at point 2.
    """
    from rsoi.analysis.frontier import frontier

    model = write_model(two_theater_model(), tmp_path)
    result = frontier(model, None, tmp_path / "f", points=2, settings=Settings(check="all"))
    t = result.table.set_index("point")
    assert list(t.index) == ["1", "2", "current weights"]
    assert t.loc["1", "korea_shortfall"] == pytest.approx(0, abs=1e-6)
    assert t.loc["1", "taiwan_shortfall"] == pytest.approx(30)
    assert t.loc["1", "objective"] == pytest.approx(30 * W_TAIWAN)
    assert t.loc["2", "korea_shortfall"] == pytest.approx(30)
    assert t.loc["2", "taiwan_shortfall"] == pytest.approx(10)
    assert t.loc["2", "objective"] == pytest.approx(30 * W_KOREA + 10 * W_TAIWAN)
    assert t.loc["1", "combat_power:follow_on:korea"] == pytest.approx(30)
    assert t.loc["2", "combat_power:follow_on:korea"] == pytest.approx(0, abs=1e-6)
    assert t.loc["2", "combat_power:follow_on:taiwan"] == pytest.approx(20)
    assert bool(t.loc["current weights", "current_weights"])
    assert t.loc["current weights", "nearest_point"] == "1"
    assert set(t["check"]) == {"passed"}
    out = tmp_path / "f"
    for name in ("frontier.csv", "frontier.png", "frontier.svg", "report.html"):
        assert (out / name).stat().st_size > 0
    assert "<svg" in (out / "report.html").read_text()
    page = (out / "report.html").read_text()
    for fetch in ('src="http', 'href="http', "<script", "<link", "url(http"):
        assert fetch not in page  # self-contained: nothing to fetch


def test_frontier_warm_equals_cold_and_three_points(tmp_path: Path) -> None:
    """The middle point of three: ε = 15, midway between the extremes K = 0 and K = 30. With a
    share a leaving for Taiwan at once and b after one period in Korea: K = 30a + 20b and
    W = 30 - 20a - 10b; `a` buys 2/3 of Taiwan per unit of Korea, `b` only 1/2, so a = 0.5:
    W = 20, K = 15, objective 15 x 1,000 + 20 x 100 = 17,000. Warm and cold give the same
    points."""
    from rsoi.analysis.frontier import trace

    model = str(write_model(two_theater_model(), tmp_path))
    warm = trace(model, None, 3, cold=False)
    cold = trace(model, None, 3, cold=True)
    assert warm[1]["taiwan_shortfall"] == pytest.approx(20)
    assert warm[1]["objective"] == pytest.approx(15 * W_KOREA + 20 * W_TAIWAN)
    for a, b in zip(warm, cold, strict=True):
        assert a["objective"] == pytest.approx(b["objective"], rel=1e-9)


def test_frontier_without_a_trade_off_is_an_input_error(tmp_path: Path) -> None:
    model = write_model(tiny(forces=[fc("f1")], combat_requirements=korea_taiwan(0, 10)),
                        tmp_path)  # fmt: skip
    code, _, stderr = run_cli("frontier", model, "--out", tmp_path / "f")
    assert code == 2 and "no trade-off" in stderr
    assert not (tmp_path / "f").exists()


def test_frontier_without_a_trade_off_says_so(tmp_path: Path) -> None:
    """Issue 16 item 8: two follow-on forces of power 10 where Korea and Taiwan each need 10
    a period (3 periods). f1 stays in Korea (K = 0); f2 leaves for Taiwan at once (in transit
    in period 1, there in periods 2-3: W = 10, the least possible). One plan reaches both
    K_min = 0 and W_min = 10, so K_max = K_min and every point is (0, 10): the output, the
    summary and the report say there is no trade-off, and why."""
    data = tiny(forces=[fc("f1"), fc("f2")], combat_requirements=korea_taiwan(10, 10))
    model = write_model(data, tmp_path)
    code, stdout, stderr = run_cli("frontier", model, "--points", "3", "--out", tmp_path / "f")
    assert code == 0, stderr
    assert "degenerate frontier" in stdout and "no trade-off" in stdout
    table = pd.read_csv(tmp_path / "f" / "frontier.csv")
    assert table["korea_shortfall"].max() == pytest.approx(0.0, abs=1e-6)
    assert table["taiwan_shortfall"].min() == pytest.approx(10.0)
    summary = json.loads((tmp_path / "f" / "summary.json").read_text())
    assert summary["trade_off"] is False and "no trade-off" in summary["no_trade_off_reason"]
    assert "degenerate" in (tmp_path / "f" / "report.html").read_text()


def test_frontier_with_a_trade_off_says_nothing_of_degeneracy(tmp_path: Path) -> None:
    """The two-point case of test_two_point_frontier ((0, 30) to (30, 10)) has a trade-off."""
    model = write_model(two_theater_model(), tmp_path)
    code, stdout, stderr = run_cli("frontier", model, "--points", "2", "--out", tmp_path / "f")
    assert code == 0, stderr
    assert "degenerate" not in stdout
    assert json.loads((tmp_path / "f" / "summary.json").read_text())["trade_off"] is True


# --- policies ----------------------------------------------------------------------------


def test_policy_price_is_shadow_price_times_step(tmp_path: Path) -> None:
    """USFK air share 0.5 -> 0.25: the wing's share in Taiwan (periods 2 and 3) falls by 0.25,
    i.e. 0.25 x 20 = 5 combat power more short per period at weight 100: 2 x 500 = +1,000.

    The baseline's shadow price of policy_usfk_air_share[t] (t = 2, 3) is -100 x 20 / 60 per
    aircraft; the step of its bound is (0.25 - 0.5) x 60 = -15 aircraft:
    2 x (-33.3) x (-15) = 1,000. Share 1 gains 2 x 0.5 x 20 x 100 = 2,000; strategic
    flexibility off (no USFK force for Taiwan) costs 2,000; the shipped setting costs 0.
    """
    from rsoi.analysis.policies import policies
    from rsoi.pipeline import run_model

    model = write_model(air_share_model(0.5), tmp_path)
    base = run_model(model)
    duals = base.tables.duals.set_index("constraint")
    price = sum(
        duals.loc[f"policy_usfk_air_share[{t}]", "shadow_price"] * (0.25 - 0.5) * 60
        for t in (1, 2, 3)
    )
    assert price == pytest.approx(1000)
    result = policies(model, None, tmp_path / "p", Settings(check="none"))
    t = result.table.set_index(["policy", "setting"])
    assert t.loc[("usfk_air_share", "0.25"), "objective_change"] == pytest.approx(price)
    assert t.loc[("usfk_air_share", "1"), "objective_change"] == pytest.approx(-2000)
    assert t.loc[("strategic_flexibility", "off"), "objective_change"] == pytest.approx(2000)
    assert t.loc[("usfk_air_share", "0.5"), "objective_change"] == pytest.approx(0, abs=1e-9)
    assert bool(t.loc[("usfk_air_share", "0.5"), "shipped"])
    assert t.loc[("usfk_air_share", "0.25"), "combat_power_change:taiwan"] == pytest.approx(-10)
    assert t.loc[("usfk_air_share", "0.25"), "shortfall_change:taiwan_support"] == pytest.approx(
        1000
    )
    ranked = result.table["objective_change"].tolist()
    assert ranked == sorted(ranked, reverse=True)  # costliest first
    assert result.poll is None  # no poll data in this model
    assert not [p for p in (tmp_path / "p").iterdir() if p.is_dir()]  # --check none: tables only
    assert (tmp_path / "p" / "policies.csv").exists() and (tmp_path / "p" / "report.html").exists()


def test_poll_weighted_expectation(tmp_path: Path) -> None:
    """Expected figures are the poll-weighted averages of the rheostat rows: renormalised over
    the 82.5 % with a view, and a bound with the 17.5 % without one at `none`."""
    from rsoi.analysis.policies import policies

    model = write_model(rich_model(), tmp_path)
    result = policies(model, None, tmp_path / "p", Settings(check="none"))
    t = result.table.set_index(["policy", "setting"])
    at = {lv: t.loc[("rok_support", lv), "objective"] for lv in
          ("none", "rear_area", "rear_area_isr_escort", "joint_operations")}  # fmt: skip
    row = result.poll.set_index("measure").loc["objective"]
    renorm = (0.18 * at["none"] + 0.42 * at["rear_area"] + 0.225 * at["joint_operations"]) / 0.825
    assert row["expected_renormalised"] == pytest.approx(renorm)
    bound = 0.18 * at["none"] + 0.42 * at["rear_area"] + 0.225 * at["joint_operations"]
    assert row["expected_no_view_at_none"] == pytest.approx(bound + 0.175 * at["none"])
    assert at["joint_operations"] < at["none"]  # the ROK force can help Taiwan only then
    assert (tmp_path / "p" / "poll.csv").exists()


def test_warm_equals_cold_on_every_policy_variant(tmp_path: Path) -> None:
    """Every policies variant of a model where settings add and drop rows and columns (elastic
    troop floor, strategic flexibility, rheostat rows) and one node loss: the warm re-solve
    on the live model gives the cold solve's objective."""
    from rsoi.analysis.policies import policy_settings

    model = str(write_model(rich_model(), tmp_path))
    variants = [BASELINE, Variant("loss-a", attacks=(("a", 2, 0.0),))] + [
        Variant(f"{p}={s}", settings=edits) for p, s, edits in policy_settings()
    ]
    distinct = set()
    for v in [*variants, Variant("loss-a-again", attacks=(("a", 3, 0.5),))]:
        warm = solve_variant(model, None, v)
        cold = solve_variant(model, None, v, cold=True)
        assert warm.status == cold.status == "optimal", (v.name, warm.error, cold.error)
        assert warm.warm and not cold.warm
        assert warm.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-9), v.name
        distinct.add(round(cold.objective, 6))
    assert len(distinct) >= 5  # the settings really change the optimum
    from rsoi.analysis.warm import warm_model

    # an attack on `a` also grounds what `a` launches (rules.at_attacked_place, `unit_launch`: a coefficient, not a
    # bound), so the bounds-only shortcut fails its verification on the first loss and every
    # loss is re-solved in full: warm still equals cold above
    assert warm_model(model, None).fast_attacks is False


def test_sweep_member_with_fewer_columns_has_vertex_prices(tmp_path: Path) -> None:
    """A sweep member re-solved on the base's live model holds the base's extra columns at 0.
    If one of them stays basic, the optimum is the member's but its prices are not a vertex
    of the member's own dual (the checker's shadow_price test failed on the shipped
    `invasion_rok_none` warm from `invasion`: a ledger row priced -100 by an absent column).
    The member's folder passes the independent check, and its objective is the cold one."""
    from tests.helpers import SHIPPED

    v = Variant("invasion_rok_none", scenario="invasion_rok_none")
    r = solve_variant(str(SHIPPED), "invasion", v, write_to=str(tmp_path / "run"), check=True)
    assert r.status == "optimal" and r.checked == "passed", r.checked
    cold = solve_variant(str(SHIPPED), "invasion", v, cold=True)
    assert r.objective == pytest.approx(cold.objective, rel=1e-9)


def test_variant_run_folder_passes_rsoi_check(tmp_path: Path) -> None:
    """A variant's run folder records its edits; `rsoi check` re-applies them and passes."""
    model = str(write_model(air_share_model(0.5), tmp_path))
    v = Variant("air", settings=(("policies.usfk_air_share.max_share", 1.0),))
    r = solve_variant(model, None, v, write_to=str(tmp_path / "run"), check=True)
    assert r.checked == "passed"
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["variant"]["settings"] == {"policies.usfk_air_share.max_share": 1.0}
    code, stdout, _ = run_cli("check", tmp_path / "run", "--model", model)
    assert code == 0, stdout
    # without its variant record the plan (whole wing in Taiwan) breaks the shipped 0.5 bound
    del summary["variant"]
    (tmp_path / "run" / "summary.json").write_text(json.dumps(summary))
    code, _, _ = run_cli("check", tmp_path / "run", "--model", model)
    assert code == 1


# --- resilience and sweep: members that fail ----------------------------------------------


def infeasible_scenarios() -> dict:
    """`ok` solves; `impossible` asks a hard floor of 1e6 troops of a 10,000-troop force."""
    data = two_theater_model()
    data["forces"][0]["troops"] = 10_000
    data["scenarios"] = {
        "ok": {"description": "as is"},
        "impossible": {
            "description": "hard troop floor no force can meet",
            "overrides": {
                "policies": {"troop_floor": {"enabled": True, "mode": "hard", "troops": 1_000_000}}
            },
        },
    }
    return data


def test_sweep_keeps_members_after_a_failure(tmp_path: Path) -> None:
    model = write_model(infeasible_scenarios(), tmp_path)
    code, _stdout, stderr = run_cli(
        "sweep", model, "--scenarios", "ok,impossible,ok", "--out", tmp_path / "s"
    )
    assert code == 5, stderr
    assert "listed twice" in stderr and "impossible" in stderr
    table = pd.read_csv(tmp_path / "s" / "sweep.csv", keep_default_na=False)
    assert list(table["scenario"]) == ["impossible", "ok"]  # de-duplicated, sorted
    bad = table.set_index("scenario").loc["impossible"]
    assert bad["status"] == "infeasible" and "policy_troop_floor" in bad["error"]
    good = table.set_index("scenario").loc["ok"]
    assert good["status"] == "optimal" and good["check"] == "passed"
    assert (tmp_path / "s" / "ok" / "flows.csv").exists()
    assert not (tmp_path / "s" / "impossible").exists()
    summary = json.loads((tmp_path / "s" / "summary.json").read_text())
    assert summary["format"].startswith("rsoi-analysis") and summary["failed"] == ["impossible"]


def test_sweep_of_a_model_without_scenarios(tmp_path: Path) -> None:
    model = write_model(two_theater_model(), tmp_path)
    code, _stdout, stderr = run_cli("sweep", model, "--out", tmp_path / "s")
    assert code == 0, stderr
    table = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert list(table["scenario"]) == ["base"] and table["objective"].item() == pytest.approx(3000)


def test_sweep_warm_matches_cold_and_single_runs(tmp_path: Path) -> None:
    """Scenarios with different rows and columns (an elastic floor adds both) solve warm from
    the first one's live LP and agree with plain solves; the baseline columns are B - A."""
    from rsoi.analysis.sweep import sweep
    from rsoi.pipeline import run_model

    data = infeasible_scenarios()
    data["scenarios"]["floor"] = {
        "description": "elastic deterrence floor",
        "overrides": {"policies": {"deterrence_floor": {
            "enabled": True, "mode": "elastic", "combat_power": 5,
            "opportunistic_combat_power": 8}}},
    }  # fmt: skip
    model = write_model(data, tmp_path)
    names = ["ok", "floor"]
    warm = sweep(model, names, tmp_path / "w", Settings(check="none"), baseline="ok")
    for name in names:
        single = run_model(model, name).solution.objective
        got = warm.loc[warm["scenario"] == name, "objective"].item()
        assert got == pytest.approx(single, rel=1e-9)
    row = warm.set_index("scenario").loc["floor"]
    assert row["change:objective"] == pytest.approx(row["objective"] - warm.iloc[-1]["objective"])
    assert (tmp_path / "w" / "compare-floor" / "objective.csv").exists()


def test_resilience_ranks_and_survives(tmp_path: Path) -> None:
    """60 t are wanted at b by period 3 (class sustainment, weight 10 per ton short); the
    only stock is at `a`, which handles 1,000 t/day. Losing `a` from period 1: nothing leaves,
    +60 x 10 = +600, and the air force based at `a` (power 10, which held Korea's 10/period
    at W = 1000) is grounded (`unit_launch`, rules.at_attacked_place): +10 x 3 x 1000 = +30,000; +30,600 in
    all. Losing b (no handling limit of its own): +0. One row per node, the baseline's
    figures in summary.json, and every reported row checked."""
    from rsoi.analysis.resilience import resilience

    data = two_theater_model()
    data["places"][0]["cargo_t_per_day"] = 1000
    data["demands"] = [{"id": "d1", "place": "b", "commodity": "ammo", "quantity": 60,
                        "ead": 2, "lad": 3, "priority": "sustainment", "source": "t"}]  # fmt: skip
    model = write_model(data, tmp_path)
    table, base = resilience(model, None, tmp_path / "r", ["a", "b"], 1, Settings())
    assert base.ok and base.checked == "passed"
    rows = table.set_index("node")
    # losing a: the 60 t never leave (10 per ton short in class sustainment) -> +600
    assert rows.loc["a", "objective_increase"] == pytest.approx(60 * 10 + 30_000)
    assert list(table["node"]) == ["a", "b"]
    assert set(table["check"]) == {"passed"}


def test_cli_resilience_input_errors(tmp_path: Path) -> None:
    model = write_model(two_theater_model(), tmp_path)
    code, _, stderr = run_cli("resilience", model, "--nodes", "aa", "--out", tmp_path / "u")
    assert code == 2 and "'a'" in stderr
    code, _, stderr = run_cli("resilience", model, "--from-period", "99", "--out", tmp_path / "v")
    assert code == 2 and "outside the horizon (1..3)" in stderr
    assert not (tmp_path / "u").exists() and not (tmp_path / "v").exists()


def test_unreachable_scheduler_is_exit_2_with_the_address(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = write_model(two_theater_model(), tmp_path)
    address = f"tcp://127.0.0.1:{port}"
    t0 = time.perf_counter()
    code, _, stderr = run_cli(
        "resilience", model, "--scheduler", address, "--scheduler-timeout", "1",
        "--out", tmp_path / "r",
    )  # fmt: skip
    assert code == 2 and address in stderr and "bug" not in stderr
    assert time.perf_counter() - t0 < 30
    assert not (tmp_path / "r").exists()


def test_default_run_folder_names_never_collide(tmp_path: Path, monkeypatch) -> None:
    """Parallel processes asking for a default folder in the same second get different names
    (the process id is part of the name); one process asking twice gets a numbered one."""
    import rsoi.results.tables as results

    names = set()
    for pid in (101, 102, 103, 104):
        monkeypatch.setattr(results.os, "getpid", lambda pid=pid: pid)
        names.add(results.default_run_dir(tmp_path, "m", "s").name)
    assert len(names) == 4
    first = results.default_run_dir(tmp_path, "m", "s")
    first.mkdir()
    assert results.default_run_dir(tmp_path, "m", "s") != first


# --- compare -----------------------------------------------------------------------------


def test_compare_two_runs_differing_in_one_place(tmp_path: Path) -> None:
    """Run B has Taiwan's requirement raised from 10 to 12 in scenario `more`.

    The force goes to Korea (weight 1,000) in both, so B is 2 more short in Taiwan in each of
    3 periods: shortfall:taiwan_support +2 x 3 x 100 = +600; nothing else changes.
    """
    data = two_theater_model()
    data["scenarios"] = {
        "more": {"description": "Taiwan needs 12",
                 "overrides": {"combat_requirements": [
                     *korea_taiwan(10, 12)]}},
    }  # fmt: skip
    model = write_model(data, tmp_path)
    for name, extra in (("a", []), ("b", ["--scenario", "more"])):
        code, _, err = run_cli("solve", model, "--out", tmp_path / name, "--quiet", *extra)
        assert code == 0, err
    code, _stdout, stderr = run_cli("compare", tmp_path / "a", tmp_path / "b", "--out",
                                   tmp_path / "c")  # fmt: skip
    assert code == 0, stderr
    obj = pd.read_csv(tmp_path / "c" / "objective.csv").set_index("part")
    assert obj.loc["shortfall:taiwan_support", "change"] == pytest.approx(600)
    assert obj.loc["total", "change"] == pytest.approx(600)
    assert (obj.drop(index=["shortfall:taiwan_support", "total"])["change"].abs() < 1e-9).all()
    short = pd.read_csv(tmp_path / "c" / "shortfalls.csv")
    assert len(short) == 3 and set(short["theater"]) == {"taiwan"}
    assert short["change"].tolist() == pytest.approx([2, 2, 2])
    assert len(pd.read_csv(tmp_path / "c" / "apportionment.csv")) == 0
    html = (tmp_path / "c" / "compare.html").read_text()
    assert "Shortfalls (3 rows)" in html and "<script" not in html


def test_compare_refuses_runs_of_different_models(tmp_path: Path) -> None:
    one = write_model(two_theater_model(), tmp_path / "m1")
    other = two_theater_model()
    other["name"] = "other"
    two = write_model(other, tmp_path / "m2")
    for name, model in (("a", one), ("b", two)):
        assert run_cli("solve", model, "--out", tmp_path / name, "--quiet")[0] == 0
    code, _, stderr = run_cli("compare", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "c")
    assert code == 2 and "different models" in stderr and "'other'" in stderr
    assert not (tmp_path / "c").exists()


def test_binding_changes_are_listed(tmp_path: Path) -> None:
    """Scenario `all` switches the USFK air-share bound off: in run A its rows for periods 2
    and 3 bind at -100 x 20 / 60 per aircraft; in run B they are gone (stopped binding)."""
    data = air_share_model(0.5)
    data["scenarios"] = {"all": {"description": "no air-share limit",
                                 "overrides": {"policies": {"usfk_air_share": {
                                     "enabled": False}}}}}  # fmt: skip
    model = write_model(data, tmp_path)
    for name, extra in (("a", []), ("b", ["--scenario", "all"])):
        assert run_cli("solve", model, "--out", tmp_path / name, "--quiet", *extra)[0] == 0
    from rsoi.analysis.compare import compare_runs

    binding = compare_runs(tmp_path / "a", tmp_path / "b").tables["binding"]
    stopped = binding[binding["change"] == "stopped binding"]
    assert {f"policy_usfk_air_share[{t}]" for t in (2, 3)} <= set(stopped["constraint"])
    row = stopped.set_index("constraint").loc["policy_usfk_air_share[2]"]
    assert row["shadow_price_a"] == pytest.approx(-W_TAIWAN * 20 / 60)


def test_analysis_folders_never_overwrite_and_a_failed_check_is_exit_1(
    tmp_path: Path, monkeypatch
) -> None:
    model = write_model(two_theater_model(), tmp_path)
    (tmp_path / "taken").mkdir()
    code, _, stderr = run_cli("resilience", model, "--nodes", "a", "--out", tmp_path / "taken")
    assert code == 2 and "already exists" in stderr
    assert not any((tmp_path / "taken").iterdir())

    import rsoi.results.check
    from rsoi.results.check import CheckReport

    def failing(folder, **kwargs):
        report = CheckReport(str(folder))
        report.violations.append("flows: planted violation")
        return report

    monkeypatch.setattr(rsoi.results.check, "check_run", failing)
    code, _, stderr = run_cli("sweep", model, "--out", tmp_path / "s")
    assert code == 1 and "CHECK FAILED" in stderr and "planted violation" in stderr
    table = pd.read_csv(tmp_path / "s" / "sweep.csv")
    assert table["check"].str.startswith("FAILED").all()


def test_results_do_not_depend_on_the_number_of_workers(tmp_path: Path) -> None:
    """Each warm re-solve starts from the base basis with the solver state cleared."""
    from rsoi.analysis.policies import policies

    model = write_model(rich_model(), tmp_path)
    one = policies(model, None, tmp_path / "one", Settings(check="none", workers=1))
    two = policies(model, None, tmp_path / "two", Settings(check="none", workers=2))
    assert one.table.equals(two.table)
    assert (tmp_path / "one" / "policies.csv").read_bytes() == (
        tmp_path / "two" / "policies.csv"
    ).read_bytes()


@pytest.mark.parametrize("cold", [False, True])
def test_member_solver_method_reaches_the_run_and_keeps_the_optimum(
    tmp_path: Path, cold: bool
) -> None:
    """`--solver ipm` on an analysis: the member's run records ipm, same optimum as simplex."""
    clear_cache()
    model = str(write_model(air_share_model(0.5), tmp_path))
    runs = {}
    for method in ("simplex", "ipm"):
        folder = tmp_path / f"{method}-{cold}"
        r = solve_variant(model, None, BASELINE, cold, str(folder), False, method)
        assert r.status == "optimal", r.error
        runs[method] = (r.objective, json.loads((folder / "summary.json").read_text()))
    assert runs["ipm"][0] == pytest.approx(runs["simplex"][0], rel=1e-9, abs=1e-9)
    assert runs["ipm"][1]["solver_method"] == "ipm"
    assert runs["simplex"][1]["solver_method"] == "simplex"
