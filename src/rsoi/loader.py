"""Load model YAML safely, overlay a scenario, validate, and report every problem with its line.

Data flow: bytes -> (plain data, line map) -> scenario overlay -> pydantic -> reference checks.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from rsoi.errors import InputError, Problem, did_you_mean, dotted
from rsoi.schema import ModelSpec

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger model files are refused (tables this big belong in CSV)."""
MAX_NODES = 1_000_000
"""Bound on expanded YAML nodes: defeats alias bombs ("billion laughs")."""

Path_ = tuple[str | int, ...]
Location = tuple[str, int, int]  # file, line, column (1-based)


@dataclass
class Document:
    """Plain YAML data with the source location of every node."""

    file: str
    data: Any
    where: dict[Path_, Location]
    sha256: str

    def locate(self, path: Path_) -> Location:
        """Location of the nearest node on `path` that has one."""
        for cut in range(len(path), -1, -1):
            loc = self.where.get(tuple(path[:cut]))
            if loc:
                return loc
        return (self.file, 1, 1)

    def problem(self, path: Path_, message: str, hint: str = "") -> Problem:
        file, line, col = self.locate(path)
        return Problem(file, line, col, dotted(path), message, hint)


def read_yaml(path: Path) -> Document:
    """Read one YAML file into plain data and a line map; refuse anything unsafe."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            [Problem(name, None, None, "", "file not found", "check the path")]
        ) from None
    except OSError as exc:
        raise InputError(
            [Problem(name, None, None, "", f"cannot read: {exc.strerror}", "")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            [
                Problem(
                    name,
                    None,
                    None,
                    "",
                    f"file is {len(raw)} bytes, over the {MAX_FILE_BYTES} byte limit",
                    "move large tables to CSV files",
                )
            ]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [Problem(name, line, col, "", "file is not valid UTF-8 text", "save the file as UTF-8")]
        ) from None
    if not text.strip():
        raise InputError(
            [Problem(name, 1, 1, "", "file is empty", "start from models/korea_taiwan.yaml")]
        )
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = (exc.problem or exc.context or "YAML syntax error").strip()
        raise InputError(
            [Problem(name, line, col, "", f"YAML syntax error: {what}", _syntax_hint(what))]
        ) from None
    except YAMLError as exc:
        raise InputError([Problem(name, None, None, "", f"YAML error: {exc}", "")]) from None
    if not isinstance(tree, CommentedMap):
        kind = type(tree).__name__ if tree is not None else "nothing"
        raise InputError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    f"the document must be a mapping of keys to values, found {kind}",
                    "the file starts with keys such as `name:`, `horizon:`, `places:`",
                )
            ]
        )
    where: dict[Path_, Location] = {(): (name, 1, 1)}
    problems: list[Problem] = []
    data = _plain(tree, (), name, where, problems, [0])
    if problems:
        raise InputError(problems)
    return Document(name, data, where, hashlib.sha256(raw).hexdigest())


def _syntax_hint(what: str) -> str:
    if "tab" in what:
        return "indent with spaces, not tabs"
    if "duplicate" in what:
        return "remove or rename the repeated key"
    if "mapping values" in what:
        return "put a space after ':' and check the indentation"
    return "check indentation and quoting near this line"


def _plain(
    node: Any,
    path: Path_,
    file: str,
    where: dict[Path_, Location],
    problems: list[Problem],
    count: list[int],
) -> Any:
    """Copy a ruamel tree to plain dict/list/scalars, recording locations; reject tags."""
    count[0] += 1
    if count[0] > MAX_NODES:
        if count[0] == MAX_NODES + 1:
            loc = where.get(path) or (file, None, None)
            problems.append(
                Problem(
                    file,
                    loc[1],
                    loc[2],
                    dotted(path),
                    f"document expands to more than {MAX_NODES} nodes (alias bomb?)",
                    "remove deeply nested YAML aliases (&anchor / *alias)",
                )
            )
        return None
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar) or (tag and isinstance(node, CommentedMap | CommentedSeq)):
        loc = where.get(path, (file, None, None))
        problems.append(
            Problem(
                file,
                loc[1],
                loc[2],
                dotted(path),
                f"YAML tag '{tag}' is not allowed",
                "remove the tag; rsoi reads plain YAML only",
            )
        )
        return None
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line, col = node.lc.value(key) if key in node.lc.data else node.lc.key(key)
            sub = (*path, str(key))
            where[sub] = (file, line + 1, col + 1)
            out[str(key)] = _plain(value, sub, file, where, problems, count)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            sub = (*path, index)
            try:
                line, col = node.lc.item(index)
                where[sub] = (file, line + 1, col + 1)
            except (KeyError, IndexError, TypeError):
                pass
            items.append(_plain(value, sub, file, where, problems, count))
        return items
    if isinstance(node, bool | int | str) or node is None:
        return bool(node) if isinstance(node, bool) else node
    if isinstance(node, float):
        value = float(node)
        if not math.isfinite(value):
            loc = where.get(path, (file, None, None))
            problems.append(
                Problem(
                    file,
                    loc[1],
                    loc[2],
                    dotted(path),
                    f"value {value} is not a finite number",
                    "give a finite number",
                )
            )
        return value
    return str(node)


# --- scenario overlay -------------------------------------------------------------


def _expand_dotted(overrides: dict) -> dict:
    """{'a.b': 1} -> {'a': {'b': 1}} (merging siblings)."""
    out: dict = {}
    for key, value in overrides.items():
        parts = str(key).split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        leaf = parts[-1]
        if isinstance(value, dict) and isinstance(node.get(leaf), dict):
            node[leaf].update(_expand_dotted(value))
        else:
            node[leaf] = _expand_dotted(value) if isinstance(value, dict) else value
    return out


def _overlay(
    base: Any,
    patch: Any,
    path: Path_,
    patch_path: Path_,
    doc: Document,
    problems: list[Problem],
) -> Any:
    """Overlay `patch` on `base`: mappings merge, lists of entities merge by id, else replace."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            sub = (*path, key)
            if key not in base:
                if path == ():
                    problems.append(
                        doc.problem(
                            (*patch_path, key),
                            f"override names unknown top-level key '{key}'",
                            did_you_mean(key, base),
                        )
                    )
                    continue
                out[key] = value
                _relocate(doc, (*patch_path, key), sub)
                continue
            out[key] = _overlay(base[key], value, sub, (*patch_path, key), doc, problems)
        return out
    if _is_entity_list(base) and isinstance(patch, dict):
        ids = [item.get("id") for item in base]
        out_list = list(base)
        for entity_id, value in patch.items():
            if entity_id not in ids:
                problems.append(
                    doc.problem(
                        (*patch_path, entity_id),
                        f"no entry with id '{entity_id}' in {dotted(path)}",
                        did_you_mean(entity_id, [i for i in ids if i]),
                    )
                )
                continue
            index = ids.index(entity_id)
            out_list[index] = _overlay(
                base[index], value, (*path, index), (*patch_path, entity_id), doc, problems
            )
        return out_list
    _relocate(doc, patch_path, path)
    return copy.deepcopy(patch)


def _is_entity_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, dict) and "id" in i for i in value)


def _relocate(doc: Document, source: Path_, target: Path_) -> None:
    """Point the locations under `target` at the override that replaced them."""
    for key in [k for k in doc.where if k[: len(target)] == target]:
        del doc.where[key]
    for key, loc in list(doc.where.items()):
        if key[: len(source)] == source:
            doc.where[target + key[len(source) :]] = loc


def scenario_chain(doc: Document, name: str) -> list[str]:
    """Scenario names from the root ancestor down to `name`; errors on unknown ids and cycles."""
    scenarios = doc.data.get("scenarios") or {}
    if not isinstance(scenarios, dict):
        return []
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current not in scenarios:
            where = ("scenarios", chain[-1], "inherits") if chain else ("scenarios",)
            raise InputError(
                [
                    doc.problem(
                        where,
                        f"unknown scenario '{current}'",
                        did_you_mean(current, scenarios)
                        + " (list them with `python -m rsoi scenarios`)",
                    )
                ]
            )
        if current in chain:
            cycle = " -> ".join([*chain, current])
            raise InputError(
                [
                    doc.problem(
                        ("scenarios", current, "inherits"),
                        f"scenario inheritance cycle: {cycle}",
                        "remove one `inherits` link",
                    )
                ]
            )
        chain.append(current)
        entry = scenarios[current]
        current = entry.get("inherits") if isinstance(entry, dict) else None
    return list(reversed(chain))


# --- validation -------------------------------------------------------------------


@dataclass
class LoadedModel:
    """A validated model with one scenario applied."""

    spec: ModelSpec
    document: Document
    scenario: str | None
    path: Path

    @property
    def input_hash(self) -> str:
        """SHA-256 of the model file plus the scenario name."""
        return hashlib.sha256(f"{self.document.sha256}:{self.scenario}".encode()).hexdigest()


def load_model(
    path: str | Path, scenario: str | None = None, use_default: bool = True
) -> LoadedModel:
    """Read, overlay `scenario` (or the default scenario), and validate a model file."""
    path = Path(path)
    doc = read_yaml(path)
    data = doc.data
    if scenario is None and use_default:
        scenario = data.get("default_scenario") if isinstance(data, dict) else None
    if scenario is not None:
        problems: list[Problem] = []
        for step in scenario_chain(doc, scenario):
            entry = data["scenarios"][step]
            overrides = entry.get("overrides") if isinstance(entry, dict) else None
            if overrides:
                if not isinstance(overrides, dict):
                    problems.append(
                        doc.problem(
                            ("scenarios", step, "overrides"),
                            "overrides must be a mapping",
                            "write `overrides: {key: value}`",
                        )
                    )
                    continue
                patch = _expand_dotted(overrides)
                _mirror_dotted(doc, ("scenarios", step, "overrides"), overrides)
                data = _overlay(data, patch, (), ("scenarios", step, "overrides"), doc, problems)
        if problems:
            raise InputError(problems)
    spec = validate_data(doc, data)
    problems = check_references(spec, doc)
    if problems:
        raise InputError(problems)
    return LoadedModel(spec, doc, scenario, path)


def _mirror_dotted(doc: Document, base: Path_, overrides: dict) -> None:
    """Give expanded dotted keys ('a.b') the location of the dotted key."""
    for key in overrides:
        if "." in str(key):
            loc = doc.where.get((*base, key))
            if loc:
                parts = tuple(str(key).split("."))
                for cut in range(1, len(parts) + 1):
                    doc.where.setdefault((*base, *parts[:cut]), loc)
                for sub, sub_loc in list(doc.where.items()):
                    if sub[: len(base) + 1] == (*base, key) and len(sub) > len(base) + 1:
                        doc.where[(*base, *parts, *sub[len(base) + 1 :])] = sub_loc


def validate_data(doc: Document, data: Any) -> ModelSpec:
    """Pydantic validation with every error mapped to file, line and field."""
    try:
        return ModelSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(_problem_from_pydantic(doc, loc, err))
        raise InputError(problems) from None


def _problem_from_pydantic(doc: Document, loc: Path_, err: dict) -> Problem:
    kind = err["type"]
    message = err["msg"]
    hint = ""
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        hint = did_you_mean(str(loc[-1]), known) or "remove the key"
        message = f"unknown key '{loc[-1]}'"
    elif kind == "missing":
        hint = f"add `{loc[-1]}:`"
    elif kind in {"enum", "literal_error"}:
        expected = err.get("ctx", {}).get("expected", "")
        hint = f"use one of {expected}"
    elif kind == "string_pattern_mismatch":
        hint = "use lower-case letters, digits, '_' or '-'"
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal"}:
        hint = "give a value in range"
    elif kind in {"float_parsing", "int_parsing", "float_type", "int_type"}:
        hint = "give a number"
    elif kind == "finite_number":
        hint = "give a finite number"
    return doc.problem(loc, message, hint)


def _known_fields(path: Path_) -> list[str]:
    """Field names the schema allows at `path` (for did-you-mean)."""
    model: Any = ModelSpec
    for part in path:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = _inner_model(field.annotation)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


def _inner_model(annotation: Any) -> Any:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


# --- references -------------------------------------------------------------------


def check_references(spec: ModelSpec, doc: Document) -> list[Problem]:
    """Duplicate ids, unknown references and periods outside the horizon."""
    problems: list[Problem] = []
    horizon = spec.horizon.periods

    def unique(section: str, items: list) -> set[str]:
        seen: dict[str, int] = {}
        for index, item in enumerate(items):
            if item.id in seen:
                problems.append(
                    doc.problem(
                        (section, index, "id"),
                        f"duplicate id '{item.id}' (first at {section}[{seen[item.id]}])",
                        "give each entry its own id",
                    )
                )
            else:
                seen[item.id] = index
        return set(seen)

    places = unique("places", spec.places)
    routes = unique("routes", spec.routes)
    commodities = unique("commodities", spec.commodities)
    theaters = unique("theaters", spec.theaters)
    lanes = unique("lanes", spec.lanes)
    unique("demands", spec.demands)
    unique("requirements", spec.requirements)
    unique("providers", spec.providers)
    unique("forces", spec.forces)
    classes = {c.id for c in spec.settings.priority_classes}
    tasks = {t.id for t in spec.tasks}

    def ref(path: Path_, value: str, known: set[str], what: str) -> None:
        if value not in known:
            problems.append(
                doc.problem(path, f"unknown {what} '{value}'", did_you_mean(value, known))
            )

    def period(path: Path_, value: int | None) -> None:
        if value is not None and value > horizon:
            problems.append(
                doc.problem(
                    path,
                    f"period {value} is outside the horizon (1..{horizon})",
                    f"use a period from 1 to {horizon}, or lengthen horizon.periods",
                )
            )

    for i, t in enumerate(spec.theaters):
        ref(("theaters", i, "anchor"), t.anchor, places, "place")
    for i, p in enumerate(spec.places):
        ref(("places", i, "theater"), p.theater, theaters, "theater")
    for i, r in enumerate(spec.routes):
        ref(("routes", i, "origin"), r.origin, places, "place")
        ref(("routes", i, "destination"), r.destination, places, "place")
        if r.origin == r.destination:
            problems.append(
                doc.problem(
                    ("routes", i, "destination"), "route starts and ends at the same place", ""
                )
            )
        if r.mode not in spec.modes:
            problems.append(
                doc.problem(
                    ("routes", i, "mode"),
                    f"mode '{r.mode}' has no entry in `modes`",
                    f"add `modes: {{{r.mode}: ...}}`",
                )
            )
        for j, lane in enumerate(r.lanes):
            ref(("routes", i, "lanes", j), lane, lanes, "lane")
        if r.theater:
            ref(("routes", i, "theater"), r.theater, theaters, "theater")
    for i, lane in enumerate(spec.lanes):
        ref(("lanes", i, "escort_place"), lane.escort_place, places, "place")
    for section, items in (("stocks", spec.stocks), ("production", spec.production)):
        for i, s in enumerate(items):
            ref((section, i, "place"), s.place, places, "place")
            ref((section, i, "commodity"), s.commodity, commodities, "commodity")
    for i, p in enumerate(spec.production):
        period((("production"), i, "from_period"), p.from_period)
        period(("production", i, "to_period"), p.to_period)
    for i, d in enumerate(spec.demands):
        ref(("demands", i, "place"), d.place, places, "place")
        ref(("demands", i, "commodity"), d.commodity, commodities, "commodity")
        ref(("demands", i, "priority"), d.priority, classes, "priority class")
        period(("demands", i, "ead"), d.ead)
        period(("demands", i, "lad"), d.lad)
    for i, q in enumerate(spec.requirements):
        ref(("requirements", i, "place"), q.place, places, "place")
        ref(("requirements", i, "theater"), q.theater, theaters, "theater")
        ref(("requirements", i, "priority"), q.priority, classes, "priority class")
        ref(("requirements", i, "task"), q.task, tasks, "task (define it under `tasks`)")
        period(("requirements", i, "from_period"), q.from_period)
        period(("requirements", i, "to_period"), q.to_period)
    for i, u in enumerate(spec.providers):
        ref(("providers", i, "home"), u.home, places, "place")
        for task in u.capability:
            ref(("providers", i, "capability", task), task, tasks, "task (define it under `tasks`)")
        countries = {p.country for p in spec.places if p.country}
        for j, target in enumerate(u.serves):
            ref(("providers", i, "serves", j), target, places | countries, "place or country")
        period(("providers", i, "available_from"), u.available_from)
        period(("providers", i, "available_to"), u.available_to)
    for i, f in enumerate(spec.forces):
        ref(("forces", i, "home"), f.home, places, "place")
        for j, t in enumerate(f.theaters):
            ref(("forces", i, "theaters", j), t, theaters, "theater")
        period(("forces", i, "ready_period"), f.ready_period)
    for i, c in enumerate(spec.combat_requirements):
        ref(("combat_requirements", i, "theater"), c.theater, theaters, "theater")
        ref(("combat_requirements", i, "priority"), c.priority, classes, "priority class")
    for name in ("deterrence_floor", "troop_floor"):
        ref(
            ("policies", name, "priority"),
            getattr(spec.policies, name).priority,
            classes,
            "priority class",
        )
    for i, a in enumerate(spec.events.attacks):
        ref(("events", "attacks", i, "target"), a.target, places | routes, "place or route")
        period(("events", "attacks", i, "from_period"), a.from_period)
    if "korea" not in theaters:
        problems.append(
            doc.problem(
                ("theaters",),
                "a theater with id 'korea' is required",
                "add `- {id: korea, ...}` to theaters",
            )
        )
    if spec.default_scenario and spec.default_scenario not in spec.scenarios:
        problems.append(
            doc.problem(
                ("default_scenario",),
                f"unknown scenario '{spec.default_scenario}'",
                did_you_mean(spec.default_scenario, spec.scenarios),
            )
        )
    if len({c.id for c in spec.settings.priority_classes}) != len(spec.settings.priority_classes):
        problems.append(
            doc.problem(
                ("settings", "priority_classes"),
                "duplicate priority class id",
                "give each class its own id",
            )
        )
    return problems


def model_summary_json(spec: ModelSpec) -> str:
    """Canonical JSON of a validated model (for hashing and tests)."""
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True)
