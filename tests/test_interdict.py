"""The worst k losses (rsoi interdict): a network worked out by hand where greedy fails."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from rsoi.analysis.interdict import (
    best_hardening,
    interdict,
    load_network,
    worst_by_enumeration,
    worst_by_milp,
)
from tests.helpers import run_cli
from tests.tiny import demand, tiny, write_model


def _port(pid: str, lon: float) -> dict:
    return {"id": pid, "kind": "seaport", "country": "KR", "theater": "korea", "lon": lon,
            "lat": 35.0, "cargo_t_per_day": 1000, "source": "test"}  # fmt: skip


def _road(origin: str, destination: str) -> dict:
    return {"id": f"{origin}-{destination}", "origin": origin, "destination": destination,
            "mode": "road", "capacity_t_per_day": 1000, "transit_periods": 1,
            "distance_km": 100, "source": "test"}  # fmt: skip


def redundant_ports() -> dict:
    """Depot a (150 t) ships through three Korean ports: p1 alone serves c, p2 and p3 both serve b.

    a -> p1 -> c (50 t needed at c), a -> p2 -> b and a -> p3 -> b (100 t needed at b), all
    roads of one period; both demands due in period 3 (EAD = LAD = 3); shortfall costs the
    taiwan_support weight 100 per ton; ports handle 1000 t a day, so only losses bind.
    """
    data = tiny(
        demands=[
            demand(100, 3, 3, place="b", id="need_b"),
            demand(50, 3, 3, place="c", id="need_c"),
        ],
        stocks=[{"place": "a", "commodity": "ammo", "quantity": 150, "source": "test"}],
    )
    data["places"] += [
        _port("p1", 126.0),
        _port("p2", 126.5),
        _port("p3", 127.5),
        {"id": "c", "kind": "seaport", "country": "TW", "theater": "taiwan", "lon": 121.5,
         "lat": 25.0, "source": "test"},
    ]  # fmt: skip
    data["routes"] = [
        _road("a", "p1"),
        _road("p1", "c"),
        _road("a", "p2"),
        _road("p2", "b"),
        _road("a", "p3"),
        _road("p3", "b"),
    ]
    return data


def test_worst_pair_is_not_the_greedy_pair(tmp_path: Path) -> None:
    """Worked by hand (losses from period 1; objective = 100 per ton short):

    - nothing lost: 100 t via p2 (or p3) to b, 50 t via p1 to c, all on time: 0;
    - p1 lost: c gets nothing, 50 t short: 5,000; p2 or p3 lost alone: the other carries b: 0;
    - so greedy ranks p1 first, then p2 (tie with p3, broken by name): greedy pair {p1, p2}
      costs 5,000 (c short; b served via p3);
    - but {p2, p3} cuts b off: 100 t short = 10,000, the worst pair;
    - all three lost: 150 t short = 15,000.
    """
    path = write_model(redundant_ports(), tmp_path)
    net = load_network(path, None, "ports", 1, verify=True)
    assert net.candidates == ["p1", "p2", "p3"]
    assert net.base_objective == pytest.approx(0.0, abs=1e-6)
    assert net.objective(("p1",)) == pytest.approx(5000.0)
    assert net.objective(("p2",)) == pytest.approx(0.0, abs=1e-6)
    for method in (worst_by_milp, worst_by_enumeration):
        worst, value = method(net, 2)
        assert worst == ("p2", "p3") and value == pytest.approx(10000.0)
        worst, value = method(net, 3)
        assert value == pytest.approx(15000.0)
    result = interdict(path, k=2, candidates="ports")
    pair = result.table.set_index("k").loc[2]
    assert pair["worst_set"] == "p2;p3" and pair["objective_increase"] == pytest.approx(10000.0)
    assert pair["greedy_set"] == "p1;p2" and pair["greedy_increase"] == pytest.approx(5000.0)
    assert not pair["greedy_is_worst"]


def test_hardening_by_hand(tmp_path: Path) -> None:
    """Harden one node against the worst pair: hardening p2 (or p3) leaves {p1, p3} = 5,000;
    hardening p1 leaves {p2, p3} = 10,000. Best: p2 (first in order), worst pair then 5,000."""
    path = write_model(redundant_ports(), tmp_path)
    net = load_network(path, None, "ports", 1)
    for method in ("milp", "enumerate"):
        hardened, worst, value = best_hardening(net, 2, 1, method)
        assert hardened == ("p2",) and worst == ("p1", "p3") and value == pytest.approx(5000.0)


def test_milp_agrees_with_enumeration_on_every_k(tmp_path: Path) -> None:
    """Cross-check on a second network: p2 and p3 also carry c (via b is impossible, so add
    roads p2->c and p3->c); the two methods must agree on every k and from-period."""
    data = redundant_ports()
    data["routes"] += [_road("p2", "c"), _road("p3", "c")]
    path = write_model(data, tmp_path)
    for period in (1, 2):
        net = load_network(path, None, "ports", period)
        for k in (1, 2, 3):
            _, a_value = worst_by_milp(net, k)
            _, b_value = worst_by_enumeration(net, k)
            assert a_value == pytest.approx(b_value, rel=1e-7, abs=1e-6)


def test_interdict_cli_writes_csv_and_map_layer(tmp_path: Path) -> None:
    path = write_model(redundant_ports(), tmp_path)
    out = tmp_path / "worst"
    code, stdout, stderr = run_cli(
        "interdict", path, "--k", "2", "--candidates", "ports", "--harden", "1", "--out", out
    )
    assert code == 0, stderr
    assert "k=2  worst: p2 + p3  +10,000.00" in stdout and "greedy misses the worst set" in stdout
    table = pd.read_csv(out / "interdict.csv")
    assert list(table["k"]) == [1, 2]
    assert table.loc[1, "worst_set"] == "p2;p3"
    layer = gpd.read_file(out / "plan.gpkg", layer="worst_losses")
    assert sorted(layer.loc[layer["k"] == 2, "node"]) == ["p2", "p3"]
    assert (out / "hardening.csv").exists()
    code, _, stderr = run_cli("interdict", path, "--k", "2", "--out", out)
    assert code == 2 and "already exists" in stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--k", "4", "--candidates", "ports"], "only 3 candidate nodes"),
        (["--k", "1", "--candidates", "portz"], "'portz' is neither"),
        (["--k", "1", "--from-period", "9"], "outside the horizon"),
    ],
)
def test_interdict_bad_arguments_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    path = write_model(redundant_ports(), tmp_path)
    code, _, stderr = run_cli("interdict", path, *args, "--out", tmp_path / "x")
    assert code == 2 and words in stderr and "Traceback" not in stderr
    assert not (tmp_path / "x").exists()


def test_interdict_outputs_are_reproducible(tmp_path: Path) -> None:
    path = write_model(redundant_ports(), tmp_path)
    for name in ("r1", "r2"):
        code, _, stderr = run_cli("interdict", path, "--k", "2", "--out", tmp_path / name)
        assert code == 0, stderr
    for name in ("interdict.csv", "single_losses.csv", "plan.gpkg"):
        assert (tmp_path / "r1" / name).read_bytes() == (tmp_path / "r2" / name).read_bytes()


def test_loss_rule_is_checked_against_a_rebuild(tmp_path: Path, monkeypatch) -> None:
    """If the rows a loss changes ever drift from what the builder does with an attack, the
    bounds-only model is not used: every set is re-solved on the rebuilt LP instead."""
    import numpy as np

    import rsoi.analysis.interdict as interdict_module
    from rsoi.errors import SolverError
    from rsoi.model.loader import read_yaml

    path = write_model(redundant_ports(), tmp_path)
    monkeypatch.setattr(interdict_module, "lost_rows", lambda lp, node, period: np.zeros(0, int))
    net = load_network(path, None, "ports", 1)
    assert "changes more than its capacity rows" in net.rebuild
    with pytest.raises(SolverError, match="beyond its capacity rows"):  # the rule itself
        interdict_module.verify_loss_rule(net.lp, path, None, net.candidates[0], 1, read_yaml(path))


def stranded_storage() -> dict:
    """Issue 16 item 6, worked by hand (3 one-day periods, 100 per ton short).

    - Depot a (storage 100 t) holds 100 t of cargo A, due at Korean port p (EAD = LAD = 2) by
      road a->p (one period); p handles 100 t a day. In period 2 a line at a makes 100 t of
      cargo B (equipment), due at a itself in period 3 (EAD = LAD = 3): B must spend the end
      of period 2 in a's storage, which is free only once A has left.
    - Depot e holds 150 t of cargo C, due at port q (EAD = LAD = 2) by road e->q; q handles
      150 t a day.
    - Nothing lost: A leaves in period 1, B is stored and delivered, C arrives: 0.
    - q lost: 150 t of C short: +15,000.
    - p lost: A cannot leave, so a's storage stays full: no B can be made; 100 t A and 100 t
      B short: +20,000. One ton of p's lost throughput costs 200 (its dual), twice the
      largest weight per ton (100), the bound the MILP starts from: with it the MILP values p
      at 100 * 100 = 10,000 and would pick q.
    - So k = 1: the worst loss is p, +20,000.
    """
    data = tiny(
        commodities=[
            {"id": c, "name": c, "unit": "short tons", "short_tons_per_unit": 1, "source": "test"}
            for c in ("ammo", "equipment", "fuel")
        ],
        stocks=[
            {"place": "a", "commodity": "ammo", "quantity": 100, "source": "test"},
            {"place": "e", "commodity": "fuel", "quantity": 150, "source": "test"},
        ],
        production=[
            {"place": "a", "commodity": "equipment", "quantity_per_day": 100, "from_period": 2,
             "to_period": 2, "source": "test"},
        ],
        demands=[
            demand(100, 2, 2, place="p", id="need_a"),
            demand(100, 3, 3, place="a", commodity="equipment", id="need_b"),
            demand(150, 2, 2, place="q", commodity="fuel", id="need_c"),
        ],
    )  # fmt: skip
    data["places"][0]["storage_t"] = 100
    p, q = _port("p", 126.0), _port("q", 126.5)
    p["cargo_t_per_day"], q["cargo_t_per_day"] = 100, 150
    data["places"] += [
        p,
        q,
        {"id": "e", "kind": "depot", "country": "KR", "theater": "korea", "lon": 127.5,
         "lat": 36.5, "source": "test"},
    ]  # fmt: skip
    data["routes"] = [_road("a", "p"), _road("e", "q")]
    return data


def test_storage_breaks_the_starting_dual_bound(tmp_path: Path) -> None:
    """The case of stranded_storage: the MILP with the starting bound picks q (+15,000); the
    bound check sees p's dual (200 > 100), raises the bounds and the MILP then picks p:
    +20,000, as enumeration and the single losses say."""
    path = write_model(stranded_storage(), tmp_path)
    net = load_network(path, None, "ports", 1)
    assert net.base_objective == pytest.approx(0.0, abs=1e-6)
    assert net.objective(("q",)) == pytest.approx(15000.0)
    assert net.objective(("p",)) == pytest.approx(20000.0)
    fresh = load_network(path, None, "ports", 1)
    worst, value = worst_by_milp(fresh, 1)
    assert worst == ("p",) and value == pytest.approx(20000.0)
    assert fresh.bound_scale >= 2.0 - 1e-6
    assert worst_by_enumeration(fresh, 1) == (("p",), pytest.approx(20000.0))
    result = interdict(path, k=1, candidates="ports")
    row = result.table.iloc[0]
    assert row["worst_set"] == "p" and row["objective_increase"] == pytest.approx(20000.0)


def test_never_reports_a_set_better_than_one_seen(tmp_path: Path, monkeypatch) -> None:
    """If the attacker's method returns a set milder than one already evaluated (here a MILP
    forced to answer q), the report keeps the worse set seen (p, +20,000, from the single
    losses, which is also the greedy set) and says so in found_by."""
    import rsoi.analysis.interdict as mod

    monkeypatch.setattr(mod, "worst_by_milp", lambda net, k, protected=frozenset(): (("q",), 0))
    result = interdict(write_model(stranded_storage(), tmp_path), k=1, candidates="ports")
    row = result.table.iloc[0]
    assert row["worst_set"] == "p" and row["objective_increase"] == pytest.approx(20000.0)
    assert row["found_by"] == "greedy"


@pytest.mark.parametrize("m", [1, 2, 3])
def test_harden_any_count(tmp_path: Path, m: int) -> None:
    """Issue 16 item 7: --harden M for every M up to the candidate count (it crashed when a
    branch hardened every remaining candidate). Hardening p2 leaves {p1, p3}: 5,000 (see
    test_hardening_by_hand); hardening two or three nodes leaves at most one of p1 to lose
    (p2 and p3 hardened: losing p1 costs 5,000; all three hardened: nothing to lose, 0), so
    with M = 3 the best is all three, 0."""
    path = write_model(redundant_ports(), tmp_path)
    code, _stdout, stderr = run_cli(
        "interdict", path, "--k", "2", "--candidates", "ports", "--harden", str(m),
        "--out", tmp_path / "h",
    )  # fmt: skip
    assert code == 0, stderr
    expected = {1: 5000.0, 2: 0.0, 3: 0.0}[m]
    frame = pd.read_csv(tmp_path / "h" / "hardening.csv")
    assert frame["objective_increase"].iloc[0] == pytest.approx(expected, abs=1e-6)


def test_k_zero_is_accepted_without_candidates(tmp_path: Path) -> None:
    """With no candidate of the kind asked, the message suggests --k 0, and --k 0 runs."""
    path = write_model(redundant_ports(), tmp_path)
    code, _, stderr = run_cli("interdict", path, "--k", "1", "--candidates", "depots",
                              "--out", tmp_path / "x")  # fmt: skip
    assert code == 2 and "--k 0" in stderr
    code, stdout, stderr = run_cli("interdict", path, "--k", "0", "--candidates", "depots",
                                   "--out", tmp_path / "y")  # fmt: skip
    assert code == 0, stderr
    assert "0 candidate nodes" in stdout


def test_certificate_is_exact_when_the_dual_bound_fails(tmp_path: Path, monkeypatch) -> None:
    """Issue 16 item 6, exact by construction: stranded_storage with the proposing MILP held
    to its starting dual bound (one round; the singles are not seen first). That MILP values losing p at
    100 t x 100 = 10,000 < 15,000 and proposes q. The certificate needs no dual bound: its
    cuts are z(S) <= z(T) when S avoids every port T's solution uses, and z(S) <= z({p, q})
    = 35,000 otherwise; after evaluating {p} (20,000) and {q} (15,000) the master's bound is
    max over one-port sets = 20,000, so p is proved worst: +20,000, upper bound 20,000."""
    import rsoi.analysis.interdict as mod
    from rsoi.analysis.interdict import certify, milp_proposal

    path = write_model(stranded_storage(), tmp_path)
    net = load_network(path, None, "ports", 1)
    assert milp_proposal(net, 1, frozenset()) == ("q",)  # the failure mode the certificate catches
    monkeypatch.setattr(mod, "worst_by_milp", lambda net, k, protected=frozenset(): (("q",), 0))
    fresh = load_network(path, None, "ports", 1)
    cert = certify(fresh, 1)
    assert cert.worst == ("p",) and cert.value == pytest.approx(20000.0)
    assert cert.upper_bound == pytest.approx(20000.0) and cert.gap == pytest.approx(0.0)
    result = interdict(path, k=1, candidates="ports")
    row = result.table.iloc[0]
    assert row["worst_set"] == "p" and row["objective_increase"] == pytest.approx(20000.0)
    assert row["upper_bound"] == pytest.approx(row["objective"])


def test_certificate_agrees_with_enumeration_on_redundant_ports(tmp_path: Path) -> None:
    """redundant_ports by hand: singles cost 5,000 (p1: c short 50 t) and 0 (p2 or p3: the
    other serves b); the worst pair is {p2, p3} (b short 100 t: 10,000), not greedy's pair
    with p1. The certificate proves it from cold (no proposal): value = upper bound = 10,000."""
    from rsoi.analysis.interdict import certify

    net = load_network(write_model(redundant_ports(), tmp_path), None, "ports", 1)
    cert = certify(net, 2)
    assert cert.worst == ("p2", "p3") and cert.value == pytest.approx(10000.0)
    assert cert.upper_bound == pytest.approx(10000.0)


def test_losses_that_ground_units_are_enumerated_on_the_rebuilt_lp() -> None:
    """On the shipped model an attack also degrades the units at the base (rules
    .at_attacked_place, `unit_launch`): a loss changes coefficients, not only the capacity
    rows the dualised MILP prices. interdict then says so, enumerates, and each set's value is
    the cold optimum of the model rebuilt with that loss (an independent solve), never the
    capacity-rows-only figure."""
    from rsoi.analysis.warm import solve_variant
    from rsoi.model.variant import Variant
    from tests.helpers import SHIPPED

    result = interdict(SHIPPED, None, k=1, candidates="busan,osan_ab", method="milp")
    assert result.method == "enumerate" and "units" in result.note
    row = result.table.iloc[0]
    for node in ("busan", "osan_ab"):
        cold = solve_variant(
            str(SHIPPED), result.scenario, Variant(node, attacks=((node, 1, 0.0),)), cold=True
        )
        single = result.singles.set_index("node").loc[node, "objective"]
        assert single == pytest.approx(cold.objective, rel=1e-9)
    assert row["objective"] == pytest.approx(result.singles["objective"].max(), rel=1e-12)
