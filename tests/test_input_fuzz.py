"""Property-based: random mutations of the shipped model give `validate` exit 0, or exit 2 with
a message. Never a traceback, never a hang, never a file written."""

from __future__ import annotations

import contextlib
import copy
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rsoi.model.loader import read_yaml
from tests.helpers import run_cli, shipped_project, write_yaml

TIME_LIMIT_S = 30
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["busan", "korea", "fuel", "invasion", "2030-02-30", "", "-1", "1e999"]),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(["id", "x", "source"]), st.integers(0, 3), max_size=2),
)
snippets = st.sampled_from(
    [":", "- ", "[", "]", "{", "}", "&a ", "*a", "!!python/object:os.system ", "\t", "#", '"',
     "'", "\x00", "\ufeff", "<<: ", "---\n", "\n  x: 1\n", "? ", "%YAML 1.1\n", ": : :", "é"]
)  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model and its geodata in a scratch project folder."""
    return shipped_project(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="module")
def data(project: Path) -> dict[str, Any]:
    return read_yaml(project).data


def paths(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into a plain data tree."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from paths(value, (*prefix, i))


def get(node: Any, path: tuple) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def tree_mutations(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """1-3 edits of the data tree: replace, delete, duplicate an entry, add a key, rename an id."""
    out = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        candidates = [p for p in paths(out) if p]
        path = draw(st.sampled_from(candidates))
        parent, leaf = get(out, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "delete", "duplicate", "add_key", "rename"]))
        if action == "replace":
            parent[leaf] = draw(values)
        elif action == "delete":
            del parent[leaf]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[leaf]))
        elif action == "add_key" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["sourse", "capacity", "id", "x"]))] = draw(values)
        elif action == "rename" and isinstance(parent[leaf], str):
            parent[leaf] = parent[leaf][: draw(st.integers(0, 5))] + draw(st.text(max_size=3))
    return out


@st.composite
def text_mutations(draw: st.DrawFn, text: str) -> bytes:
    """Line deletions/duplications, inserted YAML punctuation, truncation or stray bytes."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "insert", "truncate"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "insert":
            j = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + draw(snippets) + lines[i][j:]
        else:
            lines = lines[:i]
        if not lines:
            break
    raw = "".join(lines).encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        k = draw(st.integers(0, len(raw)))
        raw = raw[:k] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80"])) + raw[k:]
    return raw


@contextlib.contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def hang(signum, frame):
        raise TimeoutError(f"validate took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def validate_never_crashes(model: Path) -> None:
    before = sorted(model.parent.parent.rglob("*"))
    with time_limit(TIME_LIMIT_S):
        code, stdout, stderr = run_cli("validate", model)
    assert "Traceback" not in stderr + stdout
    assert "internal error" not in stderr, stderr
    assert code in (0, 2), (code, stderr)
    if code == 2:
        assert "invalid input" in stderr and f"{model}" in stderr
    else:
        assert "valid" in stdout
    assert sorted(model.parent.parent.rglob("*")) == before  # nothing written


@FUZZ
@given(st.data())
def test_tree_mutations(project: Path, data: dict[str, Any], draws: st.DataObject) -> None:
    mutated = draws.draw(tree_mutations(data))
    model = write_yaml(project.parent / "mutated.yaml", mutated)
    try:
        validate_never_crashes(model)
    finally:
        model.unlink()


@FUZZ
@given(st.data())
def test_text_mutations(project: Path, draws: st.DataObject) -> None:
    raw = draws.draw(text_mutations(project.read_text(encoding="utf-8")))
    model = project.parent / "mutated.yaml"
    model.write_bytes(raw)
    try:
        validate_never_crashes(model)
    finally:
        model.unlink()
