"""The import graph of epaper/: no circle, no module importing from a later stage, no module over ~400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "epaper"

# Stages in the order data flows; a module may import from its own stage or an earlier one, never a later one.
# `ocr` (epaper import-text) writes issue folders like `newsroom` and plans them with the layout: a tool, not a stage
# a build runs. `__main__` is the command line's entry point.
STAGES = [
    {"__init__", "errors", "model", "codes", "strings", "text", "schema", "fonts", "atomic", "digest", "derived_cache",
     "environment", "paths", "marks", "iiif", "cache_layout"},
    {"source"},
    {"layout"},
    {"render"},
    {"checks"},
    {"build", "uptodate", "publish", "serve", "archive", "newsroom", "corrections", "ocr"},
    {"cli", "__main__"},
]
# Modules that cannot be split now, with the reason; keep this list short.
LONG_MODULES: dict[str, str] = {
}
MAX_LINES = 400


def stage_of(module: str) -> int:
    parts = module.split(".")[1:]  # drop "epaper"
    top = parts[0] if parts else "__init__"
    for n, names in enumerate(STAGES):
        if top in names:
            return n
    raise AssertionError(f"module {module} is in no stage of tests/test_structure.py")


def module_name(file: Path) -> str:
    rel = file.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(file: Path, modules: set[str]) -> set[str]:
    """The epaper modules a file imports (at any depth: a function-level import is still an arrow)."""
    name = module_name(file)
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from . import x` imports the module x when it exists
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and target != "epaper":
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, modules) for f in files}


def test_graph_sees_the_known_arrows():
    g = graph()
    assert "epaper.errors" in g["epaper.build"]
    assert "epaper.build" in g["epaper.cli"]


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle a depth-first walk meets, as the path that closes it."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    return cycles


def test_the_checks_catch_what_they_look_for():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []
    assert stage_of("epaper.layout.place") > stage_of("epaper.source.folder")
    assert stage_of("epaper.cli") == len(STAGES) - 1


def test_no_import_cycle():
    # an import of a package (its __init__) from inside that package is not a circle of modules we can break
    edges = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph().items()}
    cycles = find_cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_no_import_from_a_later_stage():
    back = [f"{m} ({stage_of(m)}) imports {t} ({stage_of(t)})"
            for m, ts in sorted(graph().items()) for t in sorted(ts) if stage_of(t) > stage_of(m)]
    assert not back, "back arrows:\n" + "\n".join(back)


def test_no_long_module():
    long = {}
    for file in sorted(PACKAGE.rglob("*.py")):
        lines = len(file.read_text(encoding="utf-8").splitlines())
        name = module_name(file)
        if lines > MAX_LINES and name not in LONG_MODULES:
            long[name] = lines
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    stale = [m for m in LONG_MODULES if len((PACKAGE.parent / (m.replace('.', '/') + '.py')).read_text().splitlines())
             <= MAX_LINES]
    assert not stale, f"no longer long, drop from LONG_MODULES: {stale}"
