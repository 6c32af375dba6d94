"""convlab's modules import each other one way only: no import circles."""

import ast
from pathlib import Path

import convlab

PACKAGE = Path(convlab.__file__).parent


def internal_imports(path):
    """The convlab modules that ``path`` imports (relative or absolute), anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module is None:  # from . import a, b
                found.update(alias.name for alias in node.names)
            elif node.level == 1:  # from .a import b
                found.add(node.module.split(".")[0])
            elif node.module and node.module.split(".")[0] == "convlab":
                parts = node.module.split(".")
                found.update([parts[1]] if len(parts) > 1 else (a.name for a in node.names))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "convlab" and len(parts) > 1:
                    found.add(parts[1])
    return found


def import_graph():
    modules = {path.stem: path for path in PACKAGE.glob("*.py")}
    return {name: internal_imports(path) & set(modules) - {name} for name, path in modules.items()}


def find_cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for child in sorted(graph[node]):
            if state.get(child) == "open":
                return path[path.index(child) :] + [child]
            if child not in state and (cycle := visit(child, path + [child])):
                return cycle
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [start])):
            return cycle
    return None


def test_the_package_has_no_import_cycle():
    graph = {name: deps - {"__init__", "__main__"} for name, deps in import_graph().items()}
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_shapes_is_the_bottom_layer_and_checks_builds_on_it():
    graph = import_graph()
    assert graph["shapes"] == set()
    assert graph["_checks"] == {"shapes"}


def test_the_cycle_finder_finds_a_cycle():
    # The helper must be able to fail: the old shapes <-> _checks pair is a cycle.
    assert find_cycle({"shapes": {"_checks"}, "_checks": {"shapes"}}) == [
        "_checks",
        "shapes",
        "_checks",
    ]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
