"""Load model YAML safely, overlay a scenario, validate, and report every problem with its line.

Data flow: bytes -> YAML events -> (plain data, line map) -> scenario overlay -> pydantic ->
reference checks -> data-file checks.

YAML is read from the parser's event stream by a small builder of our own (no ruamel
constructor runs), so no tag can build an object, nesting depth and alias expansion are
bounded before anything is materialised, and every node keeps its file:line:column.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
)

from rsoi.errors import InputError, Problem, did_you_mean, dotted
from rsoi.model.safeio import FileRefused, read_bounded
from rsoi.model.schema import ModelSpec

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger model files are refused (tables this big belong in CSV)."""
MAX_NODES = 1_000_000
"""Bound on YAML nodes after alias expansion."""
MAX_ALIAS_NODES = 100_000
"""Bound on nodes created by expanding aliases: defeats alias bombs ("billion laughs")."""
MAX_DEPTH = 64
"""Bound on nesting depth of mappings and lists (a model needs about 6)."""
MAX_ABS_NUMBER = 1e15
"""Numbers beyond this magnitude are refused: no logistics quantity is that large, and
products of such numbers overflow or lose all precision in the LP."""
PATH_FIELDS = ("geodata", "sea_lanes")
"""Model fields naming files; they must stay inside the model's tree (docs/reliability.md)."""
ROOT_MARKERS = ("pyproject.toml", ".git")
"""A folder holding one of these is a project root: the tree model paths may point into."""

_ALLOW_OUTSIDE = contextvars.ContextVar("rsoi_allow_outside_paths", default=False)

Path_ = tuple[str | int, ...]
Location = tuple[str, int, int]  # file, line, column (1-based)

_CORE_TAG = "tag:yaml.org,2002:"
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)


class _Snapshot:
    """A frozen path -> location map with a path-prefix index built on first use."""

    def __init__(self, items: dict[Path_, Location]) -> None:
        self.items = items
        self._under: dict[Path_, list[Path_]] | None = None

    def under(self, prefix: Path_) -> list[Path_]:
        if self._under is None:
            index: dict[Path_, list[Path_]] = {}
            for key in self.items:
                for cut in range(len(key) + 1):
                    index.setdefault(key[:cut], []).append(key)
            self._under = index
        return self._under.get(prefix, [])


class LocationMap(MutableMapping):
    """path -> location, layered over a frozen snapshot of the map it was copied from.

    Each scenario overlays a copy of the parsed document's map; the copy keeps only its own
    changes (a dict and the keys it deleted) above a shared snapshot, so copying costs O(1)
    and changing costs the subtree changed: validating N scenarios is linear in N, and
    resolving a chain of scenarios is linear in its depth.
    """

    def __init__(self, items: Any = ()) -> None:
        self._base: _Snapshot | None = None
        self._local: dict[Path_, Location] = dict(items)
        self._gone: set[Path_] = set()  # keys of the base deleted here
        self._under: dict[Path_, set[Path_]] | None = None  # prefix index of _local
        self._frozen: _Snapshot | None = None  # this map as a snapshot, for copies

    def _index(self, key: Path_, add: bool) -> None:
        if self._under is None:
            return
        for cut in range(len(key) + 1):
            bucket = self._under.setdefault(key[:cut], set())
            if add:
                bucket.add(key)
            else:
                bucket.discard(key)

    def __getitem__(self, key: Path_) -> Location:
        if key in self._local:
            return self._local[key]
        if self._base is not None and key not in self._gone:
            return self._base.items[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if key in self._local:
            return True
        return self._base is not None and key not in self._gone and key in self._base.items

    def __setitem__(self, key: Path_, value: Location) -> None:
        self._frozen = None
        if key not in self._local:
            self._index(key, True)
        self._local[key] = value
        self._gone.discard(key)

    def __delitem__(self, key: Path_) -> None:
        if key not in self:
            raise KeyError(key)
        self._frozen = None
        if key in self._local:
            del self._local[key]
            self._index(key, False)
        if self._base is not None and key in self._base.items:
            self._gone.add(key)

    def __iter__(self) -> Iterator[Path_]:
        yield from self._local
        if self._base is not None:
            for key in self._base.items:
                if key not in self._local and key not in self._gone:
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def under(self, prefix: Path_) -> list[Path_]:
        """Every key that starts with `prefix` (the prefix itself included)."""
        prefix = tuple(prefix)
        if self._under is None:
            self._under = {}
            for key in self._local:
                self._index(key, True)
        found = set(self._under.get(prefix, ()))
        if self._base is not None:
            found.update(k for k in self._base.under(prefix) if k not in self._gone)
        return list(found)

    def copy(self) -> LocationMap:
        """A copy sharing a frozen snapshot of this map (made once until this map changes)."""
        if self._frozen is None:
            self._frozen = _Snapshot(dict(self.items()))
        twin = LocationMap()
        twin._base = self._frozen
        return twin


@dataclass
class Document:
    """Plain YAML data with the source location of every node."""

    file: str
    data: Any
    where: dict[Path_, Location]
    sha256: str
    keys: dict[Path_, Location] = field(default_factory=dict)
    """Location of the key of each mapping entry (for unknown-key errors)."""

    def locate(self, path: Path_) -> Location:
        """Location of the nearest node on `path` that has one."""
        for cut in range(len(path), -1, -1):
            loc = self.where.get(tuple(path[:cut]))
            if loc:
                return loc
        return (self.file, 1, 1)

    def problem(self, path: Path_, message: str, hint: str = "", at_key: bool = False) -> Problem:
        """A Problem located at `path` (at its key with `at_key`)."""
        loc = self.keys.get(tuple(path)) if at_key else None
        file, line, col = loc or self.locate(path)
        return Problem(file, line, col, dotted(path), message, hint)

    def copy(self) -> Document:
        """A copy whose line map can be changed by a scenario overlay (data is shared)."""
        return dataclasses.replace(self, where=self.where.copy())  # keys: never changed

    def __post_init__(self) -> None:
        if not isinstance(self.where, LocationMap):
            self.where = LocationMap(self.where)


def read_yaml(path: Path) -> Document:
    """Read one YAML file into plain data and a line map; refuse anything unsafe."""
    name = str(path)
    try:  # regular files only, size checked before reading (no FIFO hang, no /dev/zero)
        raw = read_bounded(path, MAX_FILE_BYTES)
    except FileRefused as exc:
        hint = "move large tables to CSV files" if "limit" in exc.message else exc.hint
        raise Problem.about(name, "", exc.message, hint) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(
            [
                Problem(
                    name,
                    line,
                    col,
                    "",
                    f"file is not valid UTF-8 text (byte 0x{raw[exc.start]:02x})",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    if not text.strip() or all(
        not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()
    ):
        raise InputError(
            [Problem(name, 1, 1, "", "file is empty", "start from models/korea_taiwan.yaml")]
        )
    builder = _Builder(name)
    try:
        data = builder.build(YAML(typ="safe", pure=True).parse(text))
    except _Abort:
        raise InputError(builder.problems) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        what = (exc.problem or exc.context or "YAML syntax error").strip()
        raise InputError(
            [Problem(name, line, col, "", f"YAML syntax error: {what}", _syntax_hint(what))]
        ) from None
    except YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Problem.about(name, "", f"YAML error: {first}", "check the file's text") from None
    except RecursionError:  # defensive: the builder itself never recurses deeply
        raise Problem.about(name, "", "YAML nesting is too deep", "flatten the document") from None
    if builder.problems:
        raise InputError(builder.problems)
    if not isinstance(data, dict):
        kind = {list: "a list", type(None): "nothing"}.get(type(data), f"a single value {data!r}")
        raise InputError(
            [
                Problem(
                    name,
                    1,
                    1,
                    "",
                    f"the document must be a mapping of keys to values, found {kind}"[:200],
                    "the file starts with keys such as `name:`, `horizon:`, `places:`",
                )
            ]
        )
    return Document(
        name, data, builder.where, hashlib.sha256(raw).hexdigest(), keys=builder.key_where
    )


def _syntax_hint(what: str) -> str:
    if "tab" in what or "\\t" in what:
        return "indent with spaces, not tabs"
    if "mapping values" in what:
        return "put a space after ':' and check the indentation"
    if "another document" in what:
        return "a model file holds one YAML document: remove the extra '---'"
    return "check indentation and quoting near this line"


class _Abort(Exception):
    """Stop building: the problem is already recorded."""


@dataclass
class _Frame:
    """An open mapping or sequence while building."""

    value: dict | list
    path: Path_
    anchor: str | None
    size: int = 1
    key: str | None = None  # mapping: key waiting for its value
    key_line: int = 0
    merges: list = field(default_factory=list)


class _Builder:
    """Plain data from YAML events: core-schema scalars only, bounded depth and aliases."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.where: dict[Path_, Location] = {(): (file, 1, 1)}
        self.key_where: dict[Path_, Location] = {}
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.alias_nodes = 0

    def fail(self, event: Any, path: Path_, message: str, hint: str) -> None:
        mark = event.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, dotted(path), message, hint)
        )

    def abort(self, event: Any, path: Path_, message: str, hint: str) -> _Abort:
        self.fail(event, path, message, hint)
        return _Abort()

    def build(self, events: Iterable[Any]) -> Any:
        stack: list[_Frame] = []
        root: Any = None
        documents = 0
        for event in events:
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise self.abort(
                        event,
                        (),
                        "the file holds more than one YAML document",
                        "a model file holds one YAML document: remove the extra '---'",
                    )
                continue
            if isinstance(event, MappingEndEvent | SequenceEndEvent):
                frame = stack.pop()
                if frame.merges:
                    self._merge(frame)
                if frame.anchor:
                    self.open_anchors.discard(frame.anchor)
                    self.anchors[frame.anchor] = (frame.value, frame.size)
                if stack:
                    self._add(stack, frame.value, frame.size, event)
                else:
                    root = frame.value
                continue
            if not isinstance(event, ScalarEvent | AliasEvent | CollectionStartEvent):
                continue  # stream and document boundaries
            path = self._path(stack, event)
            if stack and isinstance(stack[-1].value, dict) and stack[-1].key is None:
                self._key(stack[-1], event)
                continue
            mark = event.start_mark
            self.where[path] = (self.file, mark.line + 1, mark.column + 1)
            if isinstance(event, AliasEvent):
                value, size = self._alias(event, path)
                if stack:
                    self._add(stack, value, size, event)
                else:
                    root = value
                continue
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise self.abort(
                    event, path, f"the document has more than {MAX_NODES} nodes", "split the model"
                )
            if isinstance(event, ScalarEvent):
                value = self._scalar(event, path)
                if event.anchor:
                    self.anchors[event.anchor] = (value, 1)
                if stack:
                    self._add(stack, value, 1, event)
                else:
                    root = value
                continue
            # a mapping or sequence starts
            if len(stack) >= MAX_DEPTH:
                raise self.abort(
                    event,
                    path,
                    f"YAML nesting deeper than {MAX_DEPTH} levels",
                    "flatten the document; a model needs only a few levels",
                )
            tag = event.tag
            is_map = isinstance(event, MappingStartEvent)
            allowed = {None, "!", _CORE_TAG + ("map" if is_map else "seq")}
            if tag not in allowed:
                self.fail(event, path, f"YAML tag '{tag}' is not allowed", _TAG_HINT)
            if event.anchor:
                self.open_anchors.add(event.anchor)
            stack.append(_Frame({} if is_map else [], path, event.anchor))
        return root

    def _path(self, stack: list[_Frame], event: Any) -> Path_:
        if not stack:
            return ()
        top = stack[-1]
        if isinstance(top.value, list):
            return (*top.path, len(top.value))
        if top.key is None:
            return top.path
        return (*top.path, top.key)

    def _key(self, frame: _Frame, event: Any) -> None:
        """The next event of a mapping is its key: a plain or quoted scalar."""
        if not isinstance(event, ScalarEvent):
            raise self.abort(
                event,
                frame.path,
                "a mapping key must be a plain word, not a list, mapping or alias",
                "write keys as `name: value`",
            )
        if event.tag not in (None, "!", _CORE_TAG + "str"):
            self.fail(event, frame.path, f"YAML tag '{event.tag}' is not allowed", _TAG_HINT)
        key = event.value
        mark = event.start_mark
        if key == "<<" and event.style is None:
            frame.key = key
            frame.key_line = mark.line + 1
            return
        sub = (*frame.path, key)
        if key in frame.value:
            first = self.key_where.get(sub, (self.file, 0, 0))[1]
            self.fail(
                event,
                sub,
                f"duplicate key '{key}' (first at line {first})",
                "remove or rename the repeated key",
            )
        self.key_where[sub] = (self.file, mark.line + 1, mark.column + 1)
        frame.key = key
        frame.key_line = mark.line + 1

    def _add(self, stack: list[_Frame], value: Any, size: int, event: Any) -> None:
        top = stack[-1]
        top.size += size
        if isinstance(top.value, list):
            top.value.append(value)
            return
        key, top.key = top.key, None
        if key == "<<" and top.key_line:
            top.merges.append((value, event))
        else:
            top.value[key] = value

    def _merge(self, frame: _Frame) -> None:
        """YAML merge keys (`<<: *defaults`): keys not given explicitly come from the sources."""
        target = frame.value
        assert isinstance(target, dict)
        for value, event in frame.merges:
            sources = value if isinstance(value, list) else [value]
            for source in sources:
                if not isinstance(source, dict):
                    self.fail(
                        event,
                        frame.path,
                        "a merge key `<<` needs a mapping or a list of mappings",
                        "write `<<: *anchor` with an anchored mapping",
                    )
                    continue
                for key, item in source.items():
                    if key not in target:
                        target[key] = copy.deepcopy(item)
                        mark = event.start_mark
                        self.where.setdefault(
                            (*frame.path, key), (self.file, mark.line + 1, mark.column + 1)
                        )

    def _alias(self, event: AliasEvent, path: Path_) -> tuple[Any, int]:
        name = event.anchor
        if name in self.open_anchors:
            raise self.abort(
                event,
                path,
                f"alias '*{name}' refers to its own enclosing node (recursive alias)",
                "remove the recursive alias",
            )
        if name not in self.anchors:
            raise self.abort(
                event,
                path,
                f"alias '*{name}' refers to no anchor defined before it",
                f"define `&{name}` before using `*{name}`",
            )
        value, size = self.anchors[name]
        self.alias_nodes += size
        self.nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES or self.nodes > MAX_NODES:
            raise self.abort(
                event,
                path,
                f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)",
                "remove nested YAML aliases (&anchor / *alias); write the values out",
            )
        return copy.deepcopy(value), size

    def _scalar(self, event: ScalarEvent, path: Path_) -> Any:
        """YAML 1.2 core schema: null, bool, int, float, str. Timestamps stay text."""
        text = event.value
        tag = event.tag
        if tag in (None, "!") and event.style is None and event.implicit[0]:
            kind = _resolve_plain(text)
        elif tag in (None, "!"):
            return text
        elif tag.startswith(_CORE_TAG) and tag[len(_CORE_TAG) :] in _CORE_SCALARS:
            kind = tag[len(_CORE_TAG) :]
        else:
            self.fail(event, path, f"YAML tag '{tag}' is not allowed", _TAG_HINT)
            return None
        try:
            value = _convert(kind, text)
        except ValueError:
            self.fail(event, path, f"'{text[:40]}' is not a valid {kind}", f"give a {kind}")
            return None
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(event, path, f"value {text} is not a finite number", "give a finite number")
        elif (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and abs(value) > MAX_ABS_NUMBER
        ):
            self.fail(
                event,
                path,
                f"number {text[:40]} is larger than {MAX_ABS_NUMBER:g} in magnitude",
                "use a realistic value (check the units)",
            )
        return value


_TAG_HINT = "remove the tag; rsoi reads plain YAML only (no tags that build objects)"
_CORE_SCALARS = {"str", "int", "float", "bool", "null"}


def _resolve_plain(text: str) -> str:
    if _NULL.match(text):
        return "null"
    if _BOOL.match(text):
        return "bool"
    if _INT.match(text):
        return "int"
    if _FLOAT.match(text):
        return "float"
    return "str"


def _convert(kind: str, text: str) -> Any:
    if kind == "str":
        return text
    if kind == "null":
        if not _NULL.match(text):
            raise ValueError(text)
        return None
    if kind == "bool":
        if not _BOOL.match(text):
            raise ValueError(text)
        return text.lower() == "true"
    clean = text.replace("_", "")
    if kind == "int":
        if clean[:2] in ("0o", "0x"):
            return int(clean, 0)
        return int(clean, 10)
    lowered = clean.lower()
    if lowered.lstrip("+-") == ".inf":
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(clean)


# --- scenario overlay -------------------------------------------------------------


def _expand_dotted(overrides: dict, doc: Document, where: Path_, problems: list[Problem]) -> dict:
    """{'a.b': 1} -> {'a': {'b': 1}} (merging siblings); conflicting keys are problems."""
    out: dict = {}
    for key, value in overrides.items():
        parts = str(key).split(".")
        if any(not part for part in parts):
            problems.append(
                doc.problem(
                    (*where, key),
                    f"override key '{key}' has an empty part",
                    "write dotted keys like `policies.troop_floor.troops`",
                    at_key=True,
                )
            )
            continue
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        leaf = parts[-1]
        if not isinstance(node, dict) or (
            leaf in node and not (isinstance(value, dict) and isinstance(node[leaf], dict))
        ):
            problems.append(
                doc.problem(
                    (*where, key),
                    f"override '{key}' conflicts with another override of the same setting",
                    "give each setting once",
                    at_key=True,
                )
            )
            continue
        expanded = (
            _expand_dotted(value, doc, (*where, key), problems)
            if isinstance(value, dict)
            else value
        )
        if isinstance(expanded, dict) and isinstance(node.get(leaf), dict):
            node[leaf].update(expanded)
        else:
            node[leaf] = expanded
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
                out[key] = copy.deepcopy(value)
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
                        did_you_mean(entity_id, [i for i in ids if isinstance(i, str)]),
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
    for key in doc.where.under(target):
        del doc.where[key]
    for key in doc.where.under(source):
        doc.where[target + key[len(source) :]] = doc.where[key]


def _scenarios(doc: Document) -> dict:
    scenarios = doc.data.get("scenarios") if isinstance(doc.data, dict) else None
    return scenarios if isinstance(scenarios, dict) else {}


def scenario_chain(doc: Document, name: str) -> list[str]:
    """Scenario names from the root ancestor down to `name`; errors on unknown ids and cycles."""
    scenarios = _scenarios(doc)
    chain: list[str] = []
    current: Any = name
    while current is not None:
        where = ("scenarios", chain[-1], "inherits") if chain else ("scenarios",)
        if not isinstance(current, str):
            raise InputError(
                [doc.problem(where, "a scenario name must be text", "write `inherits: <name>`")]
            )
        if current not in scenarios:
            raise InputError(
                [
                    doc.problem(
                        where,
                        f"unknown scenario '{current}'",
                        (
                            did_you_mean(current, scenarios) + " (list them with `rsoi scenarios`)"
                        ).strip(),
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
    variant: dict | None = None
    """An analysis variant's recorded edits (``Variant.to_json``), applied to `spec`."""

    def input_files(self) -> list[Path]:
        """Every file besides the YAML (and its CSV tables) that a run reads: the places
        GeoJSON, the sea lanes, and the base map of the maps (``basemap.gpkg`` in
        `geodata_dir`), those that exist."""
        files = [
            (self.path.parent / name).resolve()
            for name in (self.spec.geodata, self.spec.sea_lanes)
            if name
        ]
        files.append(geodata_dir(self.path, self.spec) / "basemap.gpkg")
        return [f for f in dict.fromkeys(files) if f.is_file()]

    @property
    def input_hash(self) -> str:
        """SHA-256 of everything the run read: the model file with its CSV tables, the
        scenario name, the GeoJSON and base-map files (`input_files`, by name and content) and
        the analysis variant's edits. A file changed after the run, or a variant block added
        to summary.json, gives another hash."""
        digest = hashlib.sha256(f"{self.document.sha256}:{self.scenario}".encode())
        for path in self.input_files():
            digest.update(f"\0{path.name}\0{_file_sha256(path)}".encode())
        if self.variant:
            digest.update(b"\0variant\0" + json.dumps(self.variant, sort_keys=True).encode())
        return digest.hexdigest()


def geodata_dir(model_path: Path, spec: ModelSpec) -> Path:
    """The folder of a model's geodata (sea lanes, places, base map).

    A model naming neither `sea_lanes` nor `geodata` has its base map in `geodata/` beside
    the model file: never in a folder above it, which may belong to another project.
    """
    name = spec.sea_lanes or spec.geodata
    if not name:
        return Path(model_path).parent / "geodata"
    return (Path(model_path).parent / name).resolve().parent


def _file_sha256(path: Path) -> str:
    stat = path.stat()
    return _file_sha256_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _file_sha256_cached(path: Path, _mtime_ns: int, _size: int) -> str:
    """SHA-256 of one version of a file (a run and its check hash the base map once)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def outside_paths_allowed(allowed: bool = True) -> Iterator[None]:
    """Within the block, model paths may leave the model's tree (`--allow-outside-paths`)."""
    token = _ALLOW_OUTSIDE.set(allowed)
    try:
        yield
    finally:
        _ALLOW_OUTSIDE.reset(token)


def load_model(
    path: str | Path,
    scenario: str | None = None,
    use_default: bool = True,
    allow_outside_paths: bool | None = None,
    document: Document | None = None,
    base: ModelSpec | None = None,
) -> LoadedModel:
    """Read, overlay `scenario` (or the default scenario), and validate a model file.

    `document` reuses an already parsed file (validating many scenarios parses once);
    `allow_outside_paths` None follows `outside_paths_allowed()` (default: refuse).
    `base` is the same document's base model, already validated (`load_model(...,
    use_default=False, document=document)`): the scenario's model then takes its
    `SCENARIO_SECTIONS` from `base` instead of validating them again, so validating N scenarios
    costs N times one scenario, not N times N (a scenario cannot override those sections).
    """
    path = Path(path)
    doc = (document or read_yaml(path)).copy()
    allow = _ALLOW_OUTSIDE.get() if allow_outside_paths is None else allow_outside_paths
    data = _with_csv_tables(doc, path, allow)
    if scenario is None and use_default:
        scenario = data.get("default_scenario")
        if scenario is not None and not isinstance(scenario, str):
            raise InputError(
                [doc.problem(("default_scenario",), "must be a scenario name", "give a name")]
            )
    if scenario is not None:
        problems: list[Problem] = []
        for step in scenario_chain(doc, scenario):
            entry = data["scenarios"][step]
            overrides = entry.get("overrides") if isinstance(entry, dict) else None
            if not overrides:
                continue
            where = ("scenarios", step, "overrides")
            if not isinstance(overrides, dict):
                problems.append(
                    doc.problem(where, "overrides must be a mapping", "write `overrides: {k: v}`")
                )
                continue
            patch = _expand_dotted(overrides, doc, where, problems)
            _mirror_dotted(doc, where, overrides)
            data = _overlay(data, patch, (), where, doc, problems)
        if problems:
            raise InputError(problems)
    shared = base is not None and scenario is not None and isinstance(data, dict)
    if shared:
        data = {k: v for k, v in data.items() if k not in SCENARIO_SECTIONS}
    try:
        spec = validate_data(doc, data)
    except InputError as exc:  # add id problems, so a typo is not hidden behind a type error
        fields = {p.field for p in exc.problems}
        extra = check_ids(data, doc) if isinstance(data, dict) else []
        raise InputError(exc.problems + [p for p in extra if p.field not in fields]) from None
    problems = check_references(spec, doc)
    problems += check_data_files(spec, doc, path, allow)
    if problems:
        raise InputError(problems)
    if shared:
        assert base is not None
        spec = spec.model_copy(update={k: getattr(base, k) for k in SCENARIO_SECTIONS})
    return LoadedModel(spec, doc, scenario, path)


SCENARIO_SECTIONS = ("scenarios", "default_scenario", "scenario_sets")
"""Top-level keys that describe the scenarios rather than the model a scenario applies."""


def _with_csv_tables(doc: Document, model_path: Path, allow_outside: bool) -> Any:
    """The document's data with `section: {csv: file}` sections read in (rsoi.model.csv_tables).

    The CSV files' contents are folded into the document hash, so the run's input hash
    changes when a table changes.
    """
    from rsoi.model.csv_tables import expand_csv_sections

    if not isinstance(doc.data, dict):
        return doc.data
    data = dict(doc.data)  # the parsed document may be shared between scenarios
    root = model_root(model_path)
    read: list[Path] = []

    def resolve(relative: str, where: Path_) -> Path:
        target = (model_path.parent / relative).resolve()
        if not allow_outside and not target.is_relative_to(root):
            raise InputError(
                [
                    doc.problem(
                        where,
                        f"path '{relative}' leads outside the model's folder tree ({root})",
                        "move the file inside the project, or pass --allow-outside-paths",
                    )
                ]
            )
        read.append(target)
        return target

    expand_csv_sections(data, doc.where, resolve)
    if read:
        digest = hashlib.sha256(doc.sha256.encode())
        for table in read:
            digest.update(table.read_bytes())
        doc.sha256 = digest.hexdigest()
    return data


def _mirror_dotted(doc: Document, base: Path_, overrides: dict) -> None:
    """Give expanded dotted keys ('a.b') the location of the dotted key."""
    for key in overrides:
        if "." in str(key):
            loc = doc.where.get((*base, key))
            if loc:
                parts = tuple(str(key).split("."))
                for cut in range(1, len(parts) + 1):
                    doc.where.setdefault((*base, *parts[:cut]), loc)
                for sub in doc.where.under((*base, key)):
                    if len(sub) > len(base) + 1:
                        doc.where[(*base, *parts, *sub[len(base) + 1 :])] = doc.where[sub]


# --- files named by the model -----------------------------------------------------


def model_root(model_path: Path) -> Path:
    """The tree a model's paths may point into.

    The nearest ancestor of the model file holding `pyproject.toml` or `.git` (the project
    root, so the shipped `models/x.yaml` may use `../geodata/`), else the model's own folder.
    """
    folder = Path(model_path).resolve().parent
    for candidate in (folder, *folder.parents):
        if any((candidate / marker).exists() for marker in ROOT_MARKERS):
            return candidate
    return folder


def check_data_files(
    spec: ModelSpec, doc: Document, model_path: Path, allow_outside: bool = False
) -> list[Problem]:
    """Files named by the model exist, are GeoJSON, and stay inside the model's tree."""
    problems: list[Problem] = []
    root = model_root(model_path)
    for name in PATH_FIELDS:
        relative = getattr(spec, name)
        if relative is None:
            continue
        target = (Path(model_path).parent / relative).resolve()
        if not allow_outside and not target.is_relative_to(root):
            problems.append(
                doc.problem(
                    (name,),
                    f"path '{relative}' leads outside the model's folder tree ({root})",
                    "move the file inside the project, or pass --allow-outside-paths",
                )
            )
            continue
        if not target.is_file():
            problems.append(
                doc.problem(
                    (name,),
                    f"file not found: {target}",
                    "fix the path (relative to the model file)",
                )
            )
            continue
        message = _geojson_problem(target, name)
        if message:
            problems.append(doc.problem((name,), message, "regenerate or fix the GeoJSON file"))
    return problems


def _geojson_problem(path: Path, kind: str) -> str:
    """Why `path` is not a usable places / sea-lanes GeoJSON file ('' if it is)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return f"{path.name} is not readable: {exc.strerror or exc}"
    return _geojson_problem_cached(path, kind, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _geojson_problem_cached(path: Path, kind: str, _mtime_ns: int, _size: int) -> str:
    """`_geojson_problem` for one version of a file (validating scenarios reads it once)."""
    try:
        text = read_bounded(path, MAX_FILE_BYTES, path.name).decode("utf-8")
        data = json.loads(text)
    except FileRefused as exc:
        return exc.message
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return f"{path.name} is not readable JSON: {str(exc)[:120]}"
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        return f"{path.name} is not a GeoJSON FeatureCollection"
    first: dict[str, int] = {}  # a repeated id would silently replace the earlier point
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        point_id = props.get("id") if isinstance(props, dict) else None
        if isinstance(point_id, str) and props.get("feature") in (None, "waypoint"):
            if point_id in first:
                return (
                    f"{path.name}:{_json_line(text, point_id, 2)}: features[{i}].properties.id: "
                    f"duplicate id '{point_id}' (first at features[{first[point_id]}])"
                )
            first[point_id] = i
    for i, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, dict) else None
        if not isinstance(props, dict):
            return f"{path.name}: features[{i}] has no properties"
        is_point = kind == "geodata" or props.get("feature") == "waypoint"
        if kind == "geodata" and not isinstance(props.get("id"), str):
            return f"{path.name}: features[{i}] needs a text properties.id"
        role = props.get("feature") if kind == "sea_lanes" else None
        if role == "edge" and not all(isinstance(props.get(k), str) for k in ("from", "to")):
            return f"{path.name}: features[{i}] (edge) needs text 'from' and 'to'"
        if role == "waypoint" and not isinstance(props.get("id"), str):
            return f"{path.name}: features[{i}] (waypoint) needs a text id"
        if is_point and not _point(feature.get("geometry")):
            return f"{path.name}: features[{i}] needs Point coordinates [lon, lat]"
    return ""


def _json_line(text: str, value: str, occurrence: int) -> int:
    """Line of the `occurrence`-th `"id": "<value>"` in a JSON text (1 if not found)."""
    pattern = re.compile(r'"id"\s*:\s*' + re.escape(json.dumps(value)))
    for n, match in enumerate(pattern.finditer(text), start=1):
        if n == occurrence:
            return text.count("\n", 0, match.start()) + 1
    return 1


def _point(geometry: Any) -> bool:
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    return (
        isinstance(coords, list)
        and len(coords) >= 2
        and all(isinstance(c, int | float) and math.isfinite(c) for c in coords[:2])
        and -180 <= coords[0] <= 180
        and -90 <= coords[1] <= 90
    )


def validate_data(doc: Document, data: Any) -> ModelSpec:
    """Pydantic validation with every error mapped to file, line and field."""
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            problems.append(_problem_from_pydantic(doc, loc, err))
        raise InputError(problems) from None
    problems = check_numbers(spec, data, doc)
    if problems:
        raise InputError(problems)
    return spec


_MISSING = object()


def check_numbers(spec: Any, data: Any, doc: Document) -> list[Problem]:
    """Every number the model holds, checked against the value it was written as.

    Pydantic turns `true` into 1.0 and the text "1e300" (quoted YAML, every CSV cell) into a
    float; the YAML reader's own limit sees only unquoted numbers. Walking the validated model
    beside the raw data catches both at their source location: a true/false where a number
    belongs, a non-finite number, or one beyond MAX_ABS_NUMBER.
    """
    from enum import Enum

    from pydantic import BaseModel

    problems: list[Problem] = []

    def walk(value: Any, raw: Any, path: Path_) -> None:
        if raw is _MISSING:
            return  # a default: not written by the user
        if isinstance(value, BaseModel):
            for name in type(value).model_fields:
                if not path and name == "scenarios":
                    continue  # raw overrides: checked once applied, in the fields they set
                sub = raw.get(name, _MISSING) if isinstance(raw, dict) else _MISSING
                walk(getattr(value, name), sub, (*path, name))
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                sub = raw[i] if isinstance(raw, list) and i < len(raw) else _MISSING
                walk(item, sub, (*path, i))
        elif isinstance(value, dict):
            for key, item in value.items():
                name = key.value if isinstance(key, Enum) else key
                sub = raw.get(name, _MISSING) if isinstance(raw, dict) else _MISSING
                walk(item, sub, (*path, name))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(raw, bool):
                problems.append(
                    doc.problem(path, f"{str(raw).lower()} is not a number", "give a number")
                )
            elif not math.isfinite(value):
                problems.append(
                    doc.problem(path, f"value {raw} is not a finite number", "give a finite number")
                )
            elif abs(value) > MAX_ABS_NUMBER:
                problems.append(
                    doc.problem(
                        path,
                        f"number {str(raw)[:40]} is larger than {MAX_ABS_NUMBER:g} in magnitude",
                        "use a realistic value (check the units)",
                    )
                )

    walk(spec, data, ())
    return problems


def _problem_from_pydantic(doc: Document, loc: Path_, err: dict) -> Problem:
    kind = err["type"]
    message = err["msg"]
    hint = ""
    at_key = False
    if loc and loc[-1] == "[key]":  # a dict key (e.g. a task name under `capability`)
        loc = loc[:-1]
        message = f"key '{loc[-1]}': {message}"
        at_key = True
    if kind == "extra_forbidden":
        known = _known_fields(loc[:-1])
        hint = did_you_mean(str(loc[-1]), known) or "remove the key"
        message = f"unknown key '{loc[-1]}'"
        at_key = True
    elif kind == "missing":
        hint = f"add `{loc[-1]}:`"
    elif kind in {"enum", "literal_error"}:
        expected = err.get("ctx", {}).get("expected", "")
        got = err.get("input")
        close = did_you_mean(got, _enum_words(expected)) if isinstance(got, str) else ""
        hint = close or f"use one of {expected}"
    elif kind == "string_pattern_mismatch":
        hint = "use lower-case letters, digits, '_' or '-'"
    elif kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        ctx = err.get("ctx", {})
        bounds = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
        hint = "give a value " + " and ".join(
            f"{op} {ctx[k]}" for k, op in bounds.items() if k in ctx
        )
    elif kind in {"float_parsing", "int_parsing", "float_type", "int_type", "int_from_float"}:
        hint = "give a number"
    elif kind == "finite_number":
        hint = "give a finite number"
    elif kind in {"model_type", "model_attributes_type", "dict_type"}:
        hint = "give a mapping of keys to values (`key: value`)"
    elif kind == "list_type":
        hint = "give a list (`- item` lines or `[a, b]`)"
    elif kind in {"string_type", "bool_type", "bool_parsing"}:
        hint = "check the value's type"
    return doc.problem(loc, message, hint, at_key=at_key)


def _enum_words(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


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


REFERENCES: list[tuple[Path_, str, str]] = [
    (("theaters",), "anchor", "place"),
    (("places",), "theater", "theater"),
    (("routes",), "origin", "place"),
    (("routes",), "destination", "place"),
    (("routes",), "lanes", "lane"),
    (("routes",), "theater", "theater"),
    (("lanes",), "escort_place", "place"),
    (("stocks",), "place", "place"),
    (("stocks",), "commodity", "commodity"),
    (("production",), "place", "place"),
    (("production",), "commodity", "commodity"),
    (("demands",), "place", "place"),
    (("demands",), "commodity", "commodity"),
    (("demands",), "priority", "priority class"),
    (("demands",), "theater", "theater"),
    (("requirements",), "place", "place"),
    (("requirements",), "theater", "theater"),
    (("requirements",), "priority", "priority class"),
    (("requirements",), "task", "task"),
    (("providers",), "home", "place"),
    (("providers",), "capability", "task"),
    (("providers",), "serves", "place or country"),
    (("providers",), "part_of", "force"),
    (("forces",), "home", "place"),
    (("forces",), "theaters", "theater"),
    (("combat_requirements",), "theater", "theater"),
    (("combat_requirements",), "priority", "priority class"),
    (("events", "attacks"), "target", "place or route"),
]
"""(list, field, kind of id it names): every reference the model may make."""
UNIQUE = [
    ("places",),
    ("routes",),
    ("commodities",),
    ("theaters",),
    ("lanes",),
    ("demands",),
    ("requirements",),
    ("providers",),
    ("forces",),
    ("tasks",),
    ("settings", "priority_classes"),
]
"""Lists whose entries carry an `id` that must be unique."""
_HINT_SUFFIX = {"task": " (define it under `tasks`)"}


def _entries(data: Any, path: Path_) -> list:
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, list) else []


def check_ids(data: dict, doc: Document) -> list[Problem]:
    """Duplicate ids and references to unknown ids, on plain (possibly invalid) model data.

    Works before schema validation succeeds, so a typo in an id is reported together with
    schema errors; values of the wrong type are skipped (the schema reports them).
    """
    problems: list[Problem] = []
    known: dict[str, set[str]] = {}
    for path in UNIQUE:
        seen: dict[str, int] = {}
        for index, item in enumerate(_entries(data, path)):
            entity_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(entity_id, str):
                continue
            if entity_id in seen:
                problems.append(
                    doc.problem(
                        (*path, index, "id"),
                        f"duplicate id '{entity_id}' (first at {dotted((*path, seen[entity_id]))})",
                        "give each entry its own id",
                    )
                )
            else:
                seen[entity_id] = index
        known[path[-1]] = set(seen)
    countries = {
        p["country"]
        for p in _entries(data, ("places",))
        if isinstance(p, dict) and p.get("country")
    }
    targets = {
        "place": known["places"],
        "theater": known["theaters"],
        "commodity": known["commodities"],
        "lane": known["lanes"],
        "priority class": known["priority_classes"],
        "task": known["tasks"],
        "place or route": known["places"] | known["routes"],
        "force": known["forces"],
        "place or country": known["places"] | {c for c in countries if isinstance(c, str)},
    }

    def ref(path: Path_, value: Any, what: str) -> None:
        if isinstance(value, str) and value not in targets[what]:
            problems.append(
                doc.problem(
                    path,
                    f"unknown {what} '{value}'",
                    (did_you_mean(value, targets[what]) or f"no {what} is defined")
                    + _HINT_SUFFIX.get(what, ""),
                )
            )

    for section, name, what in REFERENCES:
        for i, item in enumerate(_entries(data, section)):
            value = item.get(name) if isinstance(item, dict) else None
            if isinstance(value, list | dict):
                for j, sub in enumerate(value):
                    ref((*section, i, name, sub if isinstance(value, dict) else j), sub, what)
            else:
                ref((*section, i, name), value, what)
    policies = data.get("policies")
    for name in ("deterrence_floor", "troop_floor"):
        policy = policies.get(name) if isinstance(policies, dict) else None
        if isinstance(policy, dict):
            ref(("policies", name, "priority"), policy.get("priority"), "priority class")
    return problems


def check_references(spec: ModelSpec, doc: Document) -> list[Problem]:
    """Duplicate ids, unknown references, periods outside the horizon, windows, calendar."""
    problems = check_ids(spec.model_dump(mode="json"), doc)
    horizon = spec.horizon.periods

    def period(path: Path_, value: int | None) -> None:
        if value is not None and value > horizon:
            problems.append(
                doc.problem(
                    path,
                    f"period {value} is outside the horizon (1..{horizon})",
                    f"use a period from 1 to {horizon}, or lengthen horizon.periods",
                )
            )

    for i, r in enumerate(spec.routes):
        if r.origin == r.destination:
            problems.append(
                doc.problem(
                    ("routes", i, "destination"),
                    "route starts and ends at the same place",
                    "give a different destination",
                )
            )
        if r.mode not in spec.modes:
            problems.append(
                doc.problem(
                    ("routes", i, "mode"),
                    f"mode '{r.mode.value}' has no entry in `modes`",
                    f"add `modes: {{{r.mode.value}: ...}}`",
                )
            )
    for i, p in enumerate(spec.production):
        period(("production", i, "from_period"), p.from_period)
        period(("production", i, "to_period"), p.to_period)
    for i, d in enumerate(spec.demands):
        period(("demands", i, "ead"), d.ead)
        period(("demands", i, "lad"), d.lad)
    for i, q in enumerate(spec.requirements):
        period(("requirements", i, "from_period"), q.from_period)
        period(("requirements", i, "to_period"), q.to_period)
    for i, u in enumerate(spec.providers):
        period(("providers", i, "available_from"), u.available_from)
        period(("providers", i, "available_to"), u.available_to)
    for i, f in enumerate(spec.forces):
        period(("forces", i, "ready_period"), f.ready_period)
    for i, a in enumerate(spec.events.attacks):
        period(("events", "attacks", i, "from_period"), a.from_period)
    if "korea" not in {t.id for t in spec.theaters}:
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
    _check_windows(spec, doc, problems)
    _check_satisfiable(spec, doc, problems)
    _check_geography(spec, doc, problems)
    _check_calendar(spec, doc, problems)
    _check_scenario_links(spec, doc, problems)
    _check_scenario_sets(spec, doc, problems)
    return problems


def _check_satisfiable(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """Refuse input that no plan can satisfy whatever the policies ("only hard policies can
    make a model infeasible"): the C-day stocks at a place must fit in its `storage_t`.

    Every other family is satisfiable by construction: requirements are elastic, capacities
    and bounds are upper limits on non-negative variables, and stocks may stay where they are.
    """
    tons = {c.id: c.short_tons_per_unit for c in spec.commodities}
    place_index = {p.id: i for i, p in enumerate(spec.places)}
    held: dict[str, float] = {}
    first: dict[str, int] = {}
    for i, stock in enumerate(spec.stocks):
        if stock.commodity in tons and stock.place in place_index:
            held[stock.place] = held.get(stock.place, 0.0) + stock.quantity * tons[stock.commodity]
            first.setdefault(stock.place, i)
    for place, total in held.items():
        j = place_index[place]
        cap = spec.places[j].storage_t
        if cap is not None and total > cap * (1 + 1e-9):
            problems.append(
                doc.problem(
                    ("stocks", first[place], "quantity"),
                    f"the C-day stocks at '{place}' weigh {total:,.6g} short tons, above its "
                    f"storage_t of {cap:,.6g}: no plan can hold them, whatever the policies",
                    f"raise places[{j}].storage_t to at least {total:,.6g}, or lower the stocks",
                )
            )


def _check_windows(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """Period windows run forwards; force theaters are listed once."""
    windows = [
        ("production", i, "from_period", x.from_period, "to_period", x.to_period)
        for i, x in enumerate(spec.production)
    ]
    windows += [
        ("requirements", i, "from_period", x.from_period, "to_period", x.to_period)
        for i, x in enumerate(spec.requirements)
    ]
    windows += [
        ("providers", i, "available_from", x.available_from, "available_to", x.available_to)
        for i, x in enumerate(spec.providers)
    ]
    for section, i, first_name, first, last_name, last in windows:
        if last is not None and last < first:
            problems.append(
                doc.problem(
                    (section, i, last_name),
                    f"{last_name} ({last}) is before {first_name} ({first})",
                    f"set {last_name} >= {first_name}",
                )
            )
    for i, f in enumerate(spec.forces):
        for j, theater in enumerate(f.theaters):
            if theater in f.theaters[:j]:
                problems.append(
                    doc.problem(
                        ("forces", i, "theaters", j),
                        f"theater '{theater}' is listed twice",
                        "list each theater once",
                    )
                )


def _check_geography(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """Flows into places outside every theater name their theater; lag overrides name theaters
    the force is apportioned to."""
    theater_of = {p.id: p.theater for p in spec.places}
    for section, items, end in (
        ("routes", spec.routes, "destination"),
        ("demands", spec.demands, "place"),
    ):
        for i, item in enumerate(items):
            place = getattr(item, end)
            if item.theater is None and place in theater_of and theater_of[place] is None:
                problems.append(
                    doc.problem(
                        (section, i, end),
                        f"'{place}' lies outside every theater, so {section[:-1]} "
                        f"'{item.id}' cannot take its theater from it",
                        "add `theater:` (the theater this flow serves)",
                    )
                )
    for i, f in enumerate(spec.forces):
        for theater in f.arrival_lag_periods:
            if theater not in f.theaters:
                problems.append(
                    doc.problem(
                        ("forces", i, "arrival_lag_periods", theater),
                        f"force '{f.id}' is not apportioned to theater '{theater}'",
                        f"use one of {sorted(f.theaters)} or add it to `theaters`",
                    )
                )


def _check_calendar(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """C-day is an ISO date and the horizon ends before the year 10000."""
    try:
        c_day = dt.date.fromisoformat(spec.horizon.c_day)
    except ValueError:
        problems.append(
            doc.problem(
                ("horizon", "c_day"),
                f"'{spec.horizon.c_day}' is not a date",
                'write an ISO 8601 date such as "2030-01-01"',
            )
        )
        return
    try:
        c_day + dt.timedelta(days=spec.horizon.periods * spec.horizon.period_days)
    except OverflowError:
        problems.append(
            doc.problem(
                ("horizon", "period_days"),
                "the horizon runs past the year 9999",
                "shorten horizon.periods or horizon.period_days",
            )
        )


def _check_scenario_links(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """Every `inherits` names a scenario and no chain loops."""
    for name, scenario in spec.scenarios.items():
        parent = scenario.inherits
        if parent is not None and parent not in spec.scenarios:
            problems.append(
                doc.problem(
                    ("scenarios", name, "inherits"),
                    f"unknown scenario '{parent}'",
                    did_you_mean(parent, spec.scenarios),
                )
            )
    done: set[str] = set()  # scenarios whose chain is known to end: each link walked once
    for name in spec.scenarios:
        chain, current = [name], spec.scenarios[name].inherits
        on_chain = {name}
        while current in spec.scenarios and current not in on_chain and current not in done:
            chain.append(current)
            on_chain.add(current)
            current = spec.scenarios[current].inherits
        if current not in on_chain:
            done.update(on_chain)
        if current == name:
            problems.append(
                doc.problem(
                    ("scenarios", name, "inherits"),
                    "scenario inheritance cycle: " + " -> ".join([*chain, name]),
                    "remove one `inherits` link",
                )
            )


def _check_scenario_sets(spec: ModelSpec, doc: Document, problems: list[Problem]) -> None:
    """Every scenario-set member names a scenario; K lies inside the horizon."""
    for name, group in spec.scenario_sets.items():
        for i, member in enumerate(group.members):
            if member.scenario not in spec.scenarios:
                problems.append(
                    doc.problem(
                        ("scenario_sets", name, "members", i, "scenario"),
                        f"unknown scenario '{member.scenario}'",
                        did_you_mean(member.scenario, spec.scenarios)
                        or "name a scenario listed under `scenarios`",
                    )
                )
        if group.here_and_now_periods >= spec.horizon.periods:
            problems.append(
                doc.problem(
                    ("scenario_sets", name, "here_and_now_periods"),
                    f"here_and_now_periods {group.here_and_now_periods} leaves no second stage "
                    f"(the horizon has {spec.horizon.periods} periods)",
                    f"use a value from 1 to {spec.horizon.periods - 1}",
                )
            )
