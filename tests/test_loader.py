"""Input checks: every problem with file:line:column, dotted field, what was expected, a fix."""

from __future__ import annotations

from pathlib import Path

import pytest

import rsoi.model.loader
from rsoi.errors import InputError, Problem
from rsoi.model.loader import load_model, model_root, read_yaml
from tests.helpers import ROOT, SHIPPED, run_cli, shipped_project, small_model, write_model


def problems_of(path: Path, scenario: str | None = None, **kwargs) -> list[Problem]:
    """The problems load_model reports (it must refuse the file)."""
    with pytest.raises(InputError) as caught:
        load_model(path, scenario, **kwargs)
    assert caught.value.problems
    return caught.value.problems


def text_model(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pyproject.toml").touch()
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def where(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((i + 1, line.index(needle) + 1) for i, line in enumerate(lines) if needle in line)


def test_shipped_model_is_valid() -> None:
    spec = load_model(SHIPPED).spec
    assert spec.notional and spec.routes


def test_unknown_key_has_line_column_field_and_did_you_mean(tmp_path: Path) -> None:
    model = small_model()
    model["routes"] = [dict(model["routes"][0], id=f"r{i}") for i in range(4)]
    model["routes"][3]["capacity_t_per_dya"] = model["routes"][3].pop("capacity_t_per_day")
    path = write_model(tmp_path, model)
    (problem,) = [p for p in problems_of(path) if "dya" in p.field]
    assert problem.field == "routes[3].capacity_t_per_dya"
    line, column = where(path, "capacity_t_per_dya")
    assert (problem.line, problem.column) == (line, column)
    assert "unknown key" in problem.message
    assert "did you mean 'capacity_t_per_day'" in problem.hint
    missing = [p for p in problems_of(path) if p.field == "routes[3].capacity_t_per_day"]
    assert missing and "add `capacity_t_per_day:`" in missing[0].hint
    assert str(problem).startswith(f"{path}:{line}:{column}: routes[3].capacity_t_per_dya:")


def test_all_errors_are_reported_at_once(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["capacity_t_per_day"] = -5
    model["horizon"]["periods"] = "many"
    model["commodities"][0]["colour"] = "red"
    fields = {p.field for p in problems_of(write_model(tmp_path, model))}
    assert {"routes[0].capacity_t_per_day", "horizon.periods", "commodities[0].colour"} <= fields


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["capacity_t_per_day"] = "lots"
    path = write_model(tmp_path, model)
    (p,) = problems_of(path)
    assert p.field == "routes[0].capacity_t_per_day"
    assert "valid number" in p.message and p.hint == "give a number"
    line, column = where(path, "capacity_t_per_day: lots")
    assert (p.line, p.column) == (line, column + len("capacity_t_per_day: "))


def test_unknown_enum_value_gets_did_you_mean(tmp_path: Path) -> None:
    model = small_model()
    model["routes"][0]["mode"] = "rial"
    (p,) = problems_of(write_model(tmp_path, model))
    assert p.field == "routes[0].mode" and "did you mean 'rail'" in p.hint


@pytest.mark.parametrize(
    ("section", "key", "value", "what", "suggestion"),
    [
        ("routes", "origin", "aa", "unknown place 'aa'", "did you mean 'a'"),
        ("demands", "commodity", "cc", "unknown commodity 'cc'", "did you mean 'c'"),
        ("demands", "priority", "taiwan_suport", "unknown priority class", "'taiwan_support'"),
    ],
)
def test_unknown_references(
    tmp_path: Path, section: str, key: str, value: str, what: str, suggestion: str
) -> None:
    model = small_model()
    model[section][0][key] = value
    (p,) = problems_of(write_model(tmp_path, model))
    assert p.field == f"{section}[0].{key}" and what in p.message and suggestion in p.hint
    assert p.line is not None and p.column is not None


def test_unknown_force_and_theater(tmp_path: Path) -> None:
    model = small_model(
        forces=[
            {"id": "f", "name": "f", "nation": "US", "branch": "air", "assignment": "usfk",
             "home": "a", "theaters": ["korea", "taiwn"], "combat_power": 1, "source": "t"},
        ],
        events={"attacks": [{"target": "ff", "from_period": 1, "capacity_factor": 0.5}]},
    )  # fmt: skip
    found = {p.field: p for p in problems_of(write_model(tmp_path, model))}
    assert "did you mean 'taiwan'" in found["forces[0].theaters[1]"].hint
    assert "unknown place or route 'ff'" in found["events.attacks[0].target"].message


def test_duplicate_ids(tmp_path: Path) -> None:
    model = small_model()
    model["routes"].append(dict(model["routes"][0]))
    model["settings"]["priority_classes"].append({"id": "sustainment", "weight": 1})
    found = {p.field: p for p in problems_of(write_model(tmp_path, model))}
    assert "duplicate id 'a-b' (first at routes[0])" in found["routes[1].id"].message
    assert "duplicate id 'sustainment'" in found["settings.priority_classes[3].id"].message


def test_scenarios_unknown_and_cycles(tmp_path: Path) -> None:
    model = small_model(
        scenarios={
            "x": {"description": "x", "inherits": "y"},
            "y": {"description": "y", "inherits": "x"},
            "z": {"description": "z", "inherits": "nope"},
        }
    )
    path = write_model(tmp_path, model)
    messages = [p.message for p in problems_of(path)]
    assert any("inheritance cycle: x -> y -> x" in m for m in messages)
    assert any("unknown scenario 'nope'" in m for m in messages)
    (p,) = problems_of(path, "xx")
    assert "unknown scenario 'xx'" in p.message and "did you mean 'x'" in p.hint


def test_scenario_override_of_unknown_entity(tmp_path: Path) -> None:
    model = small_model(
        scenarios={
            "s": {"description": "s", "overrides": {"routes": {"a-c": {"capacity_t_per_day": 1}}}}
        }
    )
    (p,) = problems_of(write_model(tmp_path, model), "s")
    assert "no entry with id 'a-c' in routes" in p.message and "did you mean 'a-b'" in p.hint
    assert p.field == "scenarios.s.overrides.routes.a-c"


def test_conflicting_dotted_overrides(tmp_path: Path) -> None:
    overrides = {"horizon": 3, "horizon.periods": 2}
    model = small_model(scenarios={"s": {"description": "s", "overrides": overrides}})
    (p,) = problems_of(write_model(tmp_path, model), "s")
    assert "conflicts with another override" in p.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: .nan\n", "not a finite number"),
        ("a: -.inf\n", "not a finite number"),
        ("a: 1e400\n", "not a finite number"),
        ("a: 123456789012345678901\n", "larger than 1e+15"),
    ],
)
def test_non_finite_and_huge_numbers(tmp_path: Path, text: str, message: str) -> None:
    (p,) = problems_of(text_model(tmp_path, text))
    assert message in p.message and (p.line, p.column, p.field) == (1, 4, "a")


def test_negative_capacity_and_period_outside_horizon(tmp_path: Path) -> None:
    model = small_model()
    model["places"][0]["storage_t"] = -1
    model["demands"][0]["lad"] = 9
    found = {p.field: p for p in problems_of(write_model(tmp_path, model))}
    assert "greater than or equal to 0" in found["places[0].storage_t"].message
    model["places"][0]["storage_t"] = 1
    found = {p.field: p for p in problems_of(write_model(tmp_path, model))}
    assert "outside the horizon (1..4)" in found["demands[0].lad"].message


def test_windows_and_calendar(tmp_path: Path) -> None:
    model = small_model(
        production=[{"place": "a", "commodity": "c", "quantity_per_day": 1, "from_period": 3,
                     "to_period": 2, "source": "t"}]
    )  # fmt: skip
    model["horizon"]["c_day"] = "2030-13-01"
    found = {p.field: p for p in problems_of(write_model(tmp_path, model))}
    assert "to_period (2) is before from_period (3)" in found["production[0].to_period"].message
    assert "is not a date" in found["horizon.c_day"].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "file is empty"),
        ("# only a comment\n\n", "file is empty"),
        ("- a\n- b\n", "must be a mapping"),
        ("just text\n", "must be a mapping"),
        ("a: 1\n---\nb: 2\n", "more than one YAML document"),
        ("a: 1\na: 2\n", "duplicate key 'a' (first at line 1)"),
        ("a: [1, 2\n", "YAML syntax error"),
        ("a:\n\tb: 1\n", "YAML syntax error"),
        ("? [a, b]\n: 1\n", "mapping key must be a plain word"),
    ],
)
def test_documents_that_are_not_models(tmp_path: Path, text: str, message: str) -> None:
    (p,) = problems_of(text_model(tmp_path, text))
    assert message in p.message and p.hint


def test_syntax_error_location(tmp_path: Path) -> None:
    (p,) = problems_of(text_model(tmp_path, "name: x\nhorizon:\n  periods: [1, 2\nother: 1\n"))
    assert p.line in (3, 4) and p.column is not None and "YAML syntax error" in p.message


def test_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    (p,) = problems_of(path)
    assert "not valid UTF-8" in p.message and (p.line, p.column) == (2, 17)
    assert p.hint == "save the file as UTF-8"


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo pwned']\n",
        "a: !!python/name:os.system\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x, y}\n",
        "a: !custom {x: 1}\n",
    ],
)
def test_object_building_tags_are_refused(tmp_path: Path, text: str) -> None:
    (p,) = problems_of(text_model(tmp_path, text))
    assert "is not allowed" in p.message and "no tags that build objects" in p.hint


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    path = text_model(tmp_path, "\n".join(lines) + "\n")
    (p,) = problems_of(path)  # refused before expansion: an expanded bomb would not fit in memory
    assert "alias bomb" in p.message and p.line is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, *x]\n", "recursive alias"),
        ("a: *nowhere\n", "no anchor defined"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nesting deeper than 64"),
    ],
)
def test_alias_and_depth_limits(tmp_path: Path, text: str, message: str) -> None:
    (p,) = problems_of(text_model(tmp_path, text))
    assert message in p.message


def test_plain_yaml_features_still_work(tmp_path: Path) -> None:
    path = text_model(
        tmp_path,
        "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nd: 2030-01-01\ne: 1_000\nf: 0x10\ng: ~\n",
    )
    data = read_yaml(path).data
    assert data["c"] == {"x": 1, "y": 3} and data["d"] == "2030-01-01"
    assert (data["e"], data["f"], data["g"]) == (1000, 16, None)


def test_model_root_is_the_project(tmp_path: Path) -> None:
    assert model_root(SHIPPED) == ROOT
    bare = tmp_path / "bare" / "sub"
    bare.mkdir(parents=True)
    assert model_root(bare / "m.yaml") == bare.resolve()


def test_paths_must_stay_inside_the_model_tree(tmp_path: Path) -> None:
    project = tmp_path / "project"
    outside = tmp_path / "elsewhere" / "places.geojson"
    outside.parent.mkdir()
    outside.write_text((ROOT / "geodata" / "places.geojson").read_text())
    model = small_model(geodata="../elsewhere/places.geojson")
    path = write_model(project, model)
    (p,) = problems_of(path)
    assert p.field == "geodata" and "outside the model's folder tree" in p.message
    assert "--allow-outside-paths" in p.hint
    assert load_model(path, allow_outside_paths=True).spec.geodata
    assert run_cli("validate", path)[0] == 2
    assert run_cli("validate", path, "--allow-outside-paths")[0] == 0


def test_bad_geodata_file_is_input_not_crash(tmp_path: Path) -> None:
    for content, message in (("{not json", "not readable JSON"), ("[]", "FeatureCollection")):
        (tmp_path / "g.geojson").write_text(content)
        path = write_model(tmp_path, small_model(geodata="g.geojson"))
        (p,) = problems_of(path)
        assert message in p.message and p.field == "geodata"
    path = write_model(tmp_path, small_model(sea_lanes="."))
    (p,) = problems_of(path)
    assert "file not found" in p.message


def test_shipped_layout_with_geodata(tmp_path: Path) -> None:
    model = shipped_project(tmp_path)
    assert load_model(model).spec.geodata == "../geodata/places.geojson"


def test_size_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = text_model(tmp_path, "a: [1, 2, 3, 4, 5, 6]\n")
    monkeypatch.setattr(rsoi.model.loader, "MAX_NODES", 5)
    (p,) = problems_of(path)
    assert "more than 5 nodes" in p.message
    monkeypatch.setattr(rsoi.model.loader, "MAX_FILE_BYTES", 10)
    (p,) = problems_of(path)
    assert "over the 10 byte limit" in p.message
