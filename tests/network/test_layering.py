"""The network layer imports nothing above it: no allocation, orchestration, routing, simulator, ... module."""

from __future__ import annotations

import ast
from pathlib import Path

import mcfn.network

#: What ``mcfn.network`` may import of mcfn: itself and the layer-free helpers.
ALLOWED = ("mcfn.network", "mcfn.compute.ids", "mcfn.validation")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name == "mcfn" or name.startswith("mcfn.")}


def test_the_network_layer_imports_only_downward():
    root = Path(mcfn.network.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert files
    for path in files:
        for name in _imports(path):
            assert name.startswith(ALLOWED), f"{path.relative_to(root)} imports {name}"
