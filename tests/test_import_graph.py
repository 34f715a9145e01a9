"""The package's import graph, read from the source with ``ast``: no cycle between subpackages, and
every import points down the layer order that docs/architecture.md draws (its ``layers`` block).

Every import statement counts, at module top or inside a function, absolute or relative: a
function-level import is still a dependency, only a later one.
"""

from __future__ import annotations

import ast
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGE = "rashrisk"
BASE = "base"  # the layer of the package's top-level modules (errors, units, findings, ...)


def source_modules(src: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of the package (symlinks not followed)."""
    modules = {}
    for folder, _, files in os.walk(src / PACKAGE):
        for file in files:
            if file.endswith(".py"):
                path = Path(folder) / file
                parts = list(path.relative_to(src).with_suffix("").parts)
                if parts[-1] == "__init__":
                    parts.pop()
                modules[".".join(parts)] = path
    return modules


def imported_modules(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement of the module, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((target, node.lineno))
    return found


def layer_of(module: str, subpackages: set[str]) -> str:
    """``rashrisk`` for the package's own ``__init__``, the subpackage's name, or ``base``."""
    parts = module.split(".")
    if len(parts) == 1:
        return PACKAGE
    return parts[1] if parts[1] in subpackages else BASE


def import_graph(src: Path) -> dict[str, dict[str, list[str]]]:
    """Layer -> imported layer -> where ('module:line'), for imports between different layers."""
    modules = source_modules(src)
    subpackages = {name.split(".")[1] for name, path in modules.items()
                   if path.name == "__init__.py" and name.count(".") == 1}
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, path in modules.items():
        source = layer_of(name, subpackages)
        graph[source]  # every layer is a node, even one that imports nothing
        for target, line in imported_modules(name, path):
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                imported = layer_of(target, subpackages)
                if imported != source:
                    graph[source][imported].append(f"{name}:{line}")
    return graph


def find_cycle(graph) -> list[str] | None:
    """One cycle of the graph as a closed path [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" once fully explored
    path: list[str] = []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def layer_order(markdown: str) -> list[str]:
    """The layers of the fenced ``layers`` block, low to high (first word of each line; '#' comments)."""
    blocks = re.findall(r"^```layers\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, "docs/architecture.md must have exactly one ```layers block"
    lines = (line.split("#")[0].strip() for line in blocks[0].splitlines())
    return [line.split()[0] for line in lines if line]


def upward_imports(graph, order: list[str]) -> list[str]:
    """Every import from a layer into a higher one (a layer may import only lower layers), and every
    import from or into a layer the order does not name."""
    rank = {layer: k for k, layer in enumerate(order)}
    found = []
    for source, targets in sorted(graph.items()):
        for target, places in sorted(targets.items()):
            if source not in rank or target not in rank:
                why = ", ".join(f"{x} is not in the layer order" for x in (source, target) if x not in rank)
            elif rank[target] > rank[source]:
                why = f"{source} is below {target}"
            else:
                continue
            found += [f"{where} imports {target} ({why})" for where in places]
    return found


def _describe(graph, cycle: list[str]) -> str:
    return "\n".join(f"{a} -> {b}: {', '.join(graph[a][b])}" for a, b in zip(cycle, cycle[1:]))


GRAPH = import_graph(SRC)


def test_no_import_cycle_between_subpackages():
    cycle = find_cycle(GRAPH)
    assert cycle is None, f"import cycle {' -> '.join(cycle)}:\n{_describe(GRAPH, cycle)}"


def test_the_layer_order_names_every_subpackage_once():
    order = layer_order(ARCHITECTURE.read_text(encoding="utf-8"))
    assert len(order) == len(set(order)), f"a layer is listed twice: {order}"
    assert set(order) == set(GRAPH), (f"not in docs/architecture.md: {sorted(set(GRAPH) - set(order))}; "
                                      f"no such layer: {sorted(set(order) - set(GRAPH))}")


def test_every_import_points_down_the_layer_order_of_docs_architecture():
    order = layer_order(ARCHITECTURE.read_text(encoding="utf-8"))
    against = upward_imports(GRAPH, order)
    assert not against, "imports against the layer order of docs/architecture.md:\n" + "\n".join(against)


# --- the checks themselves can fail ------------------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / PACKAGE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_cycle_through_a_function_level_relative_import_is_found(tmp_path):
    src = _write(tmp_path, {
        "__init__.py": "",
        "errors.py": "",
        "contract/__init__.py": "",
        "contract/loader.py": "from rashrisk.errors import RashriskError\nfrom rashrisk.genotype import vcf\n",
        "genotype/__init__.py": "",
        "genotype/vcf.py": "def read():\n    from ..contract.loader import load\n",
    })
    graph = import_graph(src)
    assert graph["genotype"]["contract"] == ["rashrisk.genotype.vcf:2"]
    assert graph["contract"][BASE] == ["rashrisk.contract.loader:1"]
    cycle = find_cycle(graph)
    assert cycle is not None and set(cycle) == {"contract", "genotype"} and cycle[0] == cycle[-1]
    assert find_cycle({"base": {}, "genotype": {"base": ["x"]}, "contract": {"genotype": ["y"]}}) is None


def test_an_import_against_the_order_is_reported_with_its_place():
    graph = {"base": {}, "contract": {"base": ["rashrisk.contract.rules:3"], "models": ["rashrisk.contract.docs:9"]},
             "models": {"contract": ["rashrisk.models.train:5"]}}
    assert upward_imports(graph, ["base", "contract", "models"]) == [
        "rashrisk.contract.docs:9 imports models (contract is below models)"]
    assert upward_imports(graph, ["base", "contract"]) == [
        "rashrisk.contract.docs:9 imports models (models is not in the layer order)",
        "rashrisk.models.train:5 imports contract (models is not in the layer order)"]


def test_the_layers_block_is_read_low_to_high_without_comments():
    markdown = "text\n```layers\n# low to high\nbase      top-level modules\n\ngenotype  # variants\n```\n"
    assert layer_order(markdown) == ["base", "genotype"]
    with pytest.raises(AssertionError, match="exactly one"):
        layer_order("no block here")
