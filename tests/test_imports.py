"""Light commands stay light: `validate` and `scenarios` never import the map stack.

Run in a fresh interpreter (a subprocess) so modules other tests imported do not count.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

MODEL = Path(__file__).resolve().parents[1] / "models" / "korea_taiwan.yaml"
HEAVY = (
    "matplotlib",
    "geopandas",
    "pyogrio",
    "rsoi.outputs.gis",
    "rsoi.outputs.export",
    "rsoi.outputs.mapping",
    "rsoi.outputs.report",
)
PROBE = """
import json, sys
from rsoi import cli
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("command", ["validate", "scenarios"])
def test_light_commands_do_not_import_the_map_stack(command: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, command, str(MODEL)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["code"] == 0
    loaded = set(result["modules"])
    assert "rsoi.model.loader" in loaded  # the probe did run the command
    assert not [m for m in HEAVY if m in loaded]


def _module_imports(root: Path) -> dict[str, set[str]]:
    """Each rsoi module's module-level imports of other rsoi modules (lazy imports inside
    functions and `if TYPE_CHECKING:` blocks are not edges: they run later, or never)."""
    import ast

    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        body = ast.parse(path.read_text(encoding="utf-8")).body
        statements = []
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            statements += node.body if isinstance(node, ast.If | ast.Try) else [node]
        found = set()
        for node in statements:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_import_cycles() -> None:
    """Data flows one way (model -> lp -> results -> outputs, analysis, cli): no module
    imports, at module level, one that imports it back."""
    graph = _module_imports(MODEL.parents[1] / "src" / "rsoi")
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(name) :], name]))
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
