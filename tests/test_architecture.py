"""The dependency rule (model <- runtime <- calibration <- experiments) and no import cycles, read from the source."""

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"model": "actlocally.model", "calibration": "actlocally.calibration",
            "experiments": "actlocally.experiments", "actlocally_pkg": "actlocally"}
LAYER = {"actlocally.model": 0, "actlocally.runtime": 1, "actlocally.calibration": 2, "actlocally.experiments": 3}


def _modules() -> dict[str, Path]:
    """Every module of the package by its import name."""
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that `name` imports anywhere in its file (inside functions too)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from pkg import module` names a module too
                if f"{target}.{alias.name}" in known:
                    out.add(f"{target}.{alias.name}")
            if target in known:
                out.add(target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
    return out


def _layer(module: str) -> int | None:
    return next((v for k, v in LAYER.items() if module == k or module.startswith(k + ".")), None)


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    modules = _modules()
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name)
        for target in _imports(name, path, set(modules)):
            if target != name and not name.startswith(target + "."):  # a module importing its own package
                g.add_edge(name, target)
    return g


def test_imports_run_one_way(graph):
    upward = [(a, b) for a, b in graph.edges if _layer(a) is not None and _layer(b) is not None
              and _layer(b) > _layer(a)]
    assert upward == []


def test_no_import_cycles(graph):
    assert list(nx.simple_cycles(graph)) == []


def test_no_module_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in _modules().values()
            if (n := len(p.read_text().splitlines())) > 400}
    assert long == {}
