"""The docs are generated from the code and cannot drift from it."""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import rsoi.lp.build as build_mod
from rsoi.lp.build import FAMILIES, build
from rsoi.lp.prepare import prepare
from rsoi.model.loader import load_model
from rsoi.model.schema import ModelSpec

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "korea_taiwan.yaml"
TRACE_SCENARIOS = ["invasion", "invasion_no_flexibility", "invasion_strait_closed"]


@pytest.fixture(scope="module")
def make_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_docs", ROOT / "scripts" / "make_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["model.md", "schema.md", "model.schema.json"])
def test_committed_docs_are_current(make_docs: ModuleType, name: str) -> None:
    path = ROOT / "docs" / name
    assert path.exists(), f"docs/{name} missing: run `make docs`"
    assert path.read_text(encoding="utf-8") == make_docs.RENDERERS[name](), (
        f"docs/{name} is out of date with the code: run `make docs`"
    )


def test_renderers_exposed(make_docs: ModuleType) -> None:
    assert set(make_docs.RENDERERS) == {"model.md", "schema.md", "model.schema.json"}
    assert make_docs.render_model_md().startswith("# The rsoi model")
    assert "### ModelSpec" in make_docs.render_schema_md()
    assert '"$defs"' in make_docs.render_schema_json()


def test_every_define_is_registered() -> None:
    defined = {
        n for n, f in inspect.getmembers(build_mod, inspect.isfunction) if n[:7] == "define_"
    }
    assert defined == {f.__name__ for f in FAMILIES}


@pytest.mark.parametrize("define", FAMILIES, ids=lambda f: f.__name__)
def test_family_docstring_has_math(define: Callable[..., None]) -> None:
    doc = inspect.getdoc(define) or ""
    assert doc.strip(), f"{define.__name__} has no docstring"
    assert "$" in doc, f"{define.__name__}: no $...$ or $$...$$ math in the docstring"
    assert doc.count("$") % 2 == 0, f"{define.__name__}: unbalanced $ in the docstring"


@pytest.fixture(scope="module")
def created() -> dict[str, tuple[set[str], set[str]]]:
    """Variable and constraint families each define_* creates, over a few scenarios."""
    out: dict[str, tuple[set[str], set[str]]] = {f.__name__: (set(), set()) for f in FAMILIES}

    def traced(define: Callable[..., None]) -> Callable[..., None]:
        def run(ctx: Any) -> None:
            v0, c0 = set(ctx.lp.variables), set(ctx.lp.constraints)
            define(ctx)
            out[define.__name__][0].update(set(ctx.lp.variables) - v0)
            out[define.__name__][1].update(set(ctx.lp.constraints) - c0)

        return run

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(build_mod, "FAMILIES", [traced(f) for f in FAMILIES])
        for scenario in TRACE_SCENARIOS:
            build(prepare(load_model(MODEL, scenario)))
    return out


@pytest.mark.parametrize("define", FAMILIES, ids=lambda f: f.__name__)
def test_family_docstring_names_its_families(
    define: Callable[..., None],
    created: dict[str, tuple[set[str], set[str]]],
    make_docs: ModuleType,
) -> None:
    doc = inspect.getdoc(define) or ""
    declared = {label.split("[")[0] for label in make_docs.families_in(doc)}
    variables, constraints = created[define.__name__]
    missing = constraints - declared
    assert not missing, (
        f"{define.__name__} creates {missing}; its docstring must say family ``name[keys]``"
    )
    if not declared:  # a variables-only builder names what it creates
        assert variables, f"{define.__name__} declares no family and created nothing"
        assert any(v.replace("_", " ") in doc.lower() for v in variables), (
            f"{define.__name__}: docstring mentions none of {variables}"
        )


def _fields(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(model, field, property) for the root model and every model in $defs."""
    models = {schema.get("title", "ModelSpec"): schema, **schema.get("$defs", {})}
    for model, node in models.items():
        for field, prop in node.get("properties", {}).items():
            yield model, field, prop


def test_every_schema_field_has_a_description() -> None:
    schema = ModelSpec.model_json_schema()
    fields = list(_fields(schema))
    assert len(fields) > 50
    missing = [f"{m}.{f}" for m, f, p in fields if not str(p.get("description", "")).strip()]
    assert not missing, f"schema fields without a description (add a docstring): {missing}"
