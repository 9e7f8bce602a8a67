"""List sections read from CSV files referenced by the model YAML (`routes: {csv: ...}`)."""

from __future__ import annotations

import pytest

from rsoi.errors import InputError
from rsoi.model.loader import load_model
from rsoi.pipeline import run_model
from tests.tiny import demand, tiny, write_model

HEADER = "id,origin,destination,mode,capacity_t_per_day,transit_periods,distance_km,onward,source\n"


def _model_with_csv_routes(tmp_path, rows: str):
    (tmp_path / "tables").mkdir(exist_ok=True)
    (tmp_path / "tables" / "routes.csv").write_text(HEADER + rows, encoding="utf-8")
    data = tiny(demands=[demand(80, ead=2, lad=3)])
    data["routes"] = {"csv": "tables/routes.csv"}
    return write_model(data, tmp_path)


def test_routes_from_csv_solve_like_yaml_routes(tmp_path):
    """Same bottleneck as test_build.test_route_capacity_bottleneck: 20 t short x 100."""
    path = _model_with_csv_routes(tmp_path, "ab,a,b,road,30,1,100,false,test\n")
    run = run_model(path)
    assert run.solution.objective == pytest.approx(2000.0)
    assert run.prep.routes[0].capacity_t_per_period[0] == 30


def test_csv_errors_name_the_csv_file_line_and_column(tmp_path):
    path = _model_with_csv_routes(
        tmp_path, "ab,a,b,road,30,1,100,false,test\nac,a,zz,road,lots,1,100,false,t\n"
    )
    with pytest.raises(InputError) as info:
        load_model(path)
    problems = {p.field: p for p in info.value.problems}
    cap = problems["routes[1].capacity_t_per_day"]
    assert cap.file.endswith("routes.csv") and (cap.line, cap.column) == (3, 5)
    dest = problems["routes[1].destination"]
    assert dest.file.endswith("routes.csv") and dest.line == 3 and "zz" in dest.message


def test_unknown_csv_column_gets_did_you_mean(tmp_path):
    (tmp_path / "routes.csv").write_text(
        "id,origin,destination,mode,capacty_t_per_day,source\nab,a,b,road,30,test\n",
        encoding="utf-8",
    )
    data = tiny()
    data["routes"] = {"csv": "routes.csv"}
    with pytest.raises(InputError) as info:
        load_model(write_model(data, tmp_path))
    problem = next(p for p in info.value.problems if "capacty" in p.field)
    assert problem.file.endswith("routes.csv") and problem.line == 2
    assert "capacity_t_per_day" in problem.hint


def test_nested_and_list_columns(tmp_path):
    (tmp_path / "providers.csv").write_text(
        "id,name,nation,home,count,capability.port_access,serves,source\n"
        "p1,port unit,ROK,a,2,500,KR;b,test\n",
        encoding="utf-8",
    )
    data = tiny()
    data["providers"] = {"csv": "providers.csv"}
    provider = load_model(write_model(data, tmp_path)).spec.providers[0]
    assert provider.capability == {"port_access": 500.0}
    assert provider.serves == ["KR", "b"]


def test_csv_outside_the_model_tree_is_refused(tmp_path):
    inner = tmp_path / "project"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("")
    (tmp_path / "routes.csv").write_text(HEADER + "ab,a,b,road,30,1,100,false,test\n")
    data = tiny()
    data["routes"] = {"csv": "../routes.csv"}
    with pytest.raises(InputError, match="outside"):
        load_model(write_model(data, inner))
    assert load_model(write_model(data, inner), allow_outside_paths=True).spec.routes[0].id == "ab"


def test_csv_contents_change_the_input_hash(tmp_path):
    path = _model_with_csv_routes(tmp_path, "ab,a,b,road,30,1,100,false,test\n")
    before = load_model(path).input_hash
    _model_with_csv_routes(tmp_path, "ab,a,b,road,31,1,100,false,test\n")
    assert load_model(path).input_hash != before


def test_write_json_is_strict_json(tmp_path) -> None:
    """RFC 8259 has no NaN or Infinity (browsers' JSON.parse and jq refuse them): PH's lower
    bound is -inf when every Lagrangian check was unbounded, and it must still be readable."""
    import json
    import math

    from rsoi.results.tables import write_json

    def refuse(name):
        raise ValueError(f"non-strict JSON constant {name}")

    write_json(tmp_path / "s.json", {"lower": -math.inf, "upper": math.inf, "gap": math.nan,
                                     "history": [[5, -math.inf, 1.0]], "ok": 2.5})  # fmt: skip
    data = json.loads((tmp_path / "s.json").read_text(), parse_constant=refuse)
    assert data == {"lower": "-infinite", "upper": "infinite", "gap": None,
                    "history": [[5, "-infinite", 1.0]], "ok": 2.5}  # fmt: skip
