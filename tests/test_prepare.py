"""Derived data: lags from distances, attack factors, Korean conflict timing, the ladder."""

from __future__ import annotations

import math

import pytest

from rsoi.lp.prepare import prepare
from rsoi.model.geo import geodesic_km
from rsoi.model.loader import load_model
from tests.tiny import demand, tiny, write_model


def _prep(data, tmp_path, scenario=None):
    return prepare(load_model(write_model(data, tmp_path), scenario))


def test_transit_lag_is_ceil_of_distance_over_speed(tmp_path):
    """a->b is ~1,440 km; road at 500 km/day in 1-day periods -> ceil(2.9) = 3 periods."""
    data = tiny()
    del data["routes"][0]["transit_periods"], data["routes"][0]["distance_km"]
    data["modes"]["road"].update(speed_km_per_day=500, circuity=1.0)
    prep = _prep(data, tmp_path)
    km = geodesic_km(127.0, 36.0, 121.0, 24.0)
    assert prep.routes[0].distance_km == pytest.approx(km)
    assert prep.routes[0].transit_periods == math.ceil(km / 500)


def test_attack_factor_applies_from_its_period(tmp_path):
    data = tiny()
    data["events"]["attacks"] = [
        {"target": "b", "from_period": 2, "capacity_factor": 0.5},
        {"target": "ab", "from_period": 3, "capacity_factor": 0.0},
    ]
    prep = _prep(data, tmp_path)
    assert list(prep.place_factor["b"]) == [1.0, 0.5, 0.5]
    assert list(prep.routes[0].capacity_t_per_period) == [1000.0, 1000.0, 0.0]


@pytest.mark.parametrize(
    ("timing", "delay", "start"),
    [("none", 0, None), ("simultaneous", 0, 1), ("sequential", 1, 2), ("sequential", 5, None)],
)
def test_korea_conflict_start(tmp_path, timing, delay, start):
    data = tiny(demands=[demand(10, ead=1, lad=2, id="k", priority="korea_defense")])
    data["demands"][0]["relative_to"] = "korea_conflict"
    data["events"]["korea_conflict"] = {"timing": timing, "delay_periods": delay}
    prep = _prep(data, tmp_path)
    assert prep.korea_start == start
    if start is None:
        assert prep.demands == []
    else:  # EAD/LAD counted from the conflict's start, clipped to the horizon
        assert (prep.demands[0].ead, prep.demands[0].lad) == (start, min(start + 1, 3))


def test_ladder_switches_demand_lines(tmp_path):
    data = tiny(demands=[demand(10, ead=1, lad=2)])
    data["demands"][0]["min_ladder"] = "invasion"
    data["events"]["china_action"] = "blockade"
    assert _prep(data, tmp_path).demands == []
    data["events"]["china_action"] = "invasion_with_base_attacks"
    assert len(_prep(data, tmp_path).demands) == 1
