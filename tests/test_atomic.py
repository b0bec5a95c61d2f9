"""One atomic-write routine: no module of epaper/ but epaper/atomic.py makes its own temporary file and renames it
over a target; the modules that rename are the ones that switch a whole folder (or a link) in, each for a reason."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "epaper"

# module → what it renames; a file is written with epaper.atomic.write_atomic (or write_atomic_all for a set)
RENAMES_ALLOWED = {
    "atomic.py": "the one routine: a temporary file renamed over its target",
    "publish.py": "a build folder renamed in, and the output names switched to it as symbolic links",
    "render/web/web.py": "the issue's web folder swapped in whole",
    "render/web/web_search.py": "the site's search index folder swapped in whole",
    "archive/task.py": "a built issue's site folder swapped in whole",
    "ocr/importer.py": "an imported issue folder renamed into place whole",
}
TEMPORARY_FILES = {"mkstemp", "NamedTemporaryFile"}


def _own_writes(tree: ast.AST) -> list[str]:
    """Calls that make a temporary file or rename one path over another, as `line: call`."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        name, owner = node.func.attr, node.func.value
        if name in TEMPORARY_FILES:
            found.append(f"{node.lineno}: {name}")
        elif isinstance(owner, ast.Name) and owner.id == "os" and name in ("replace", "rename"):
            found.append(f"{node.lineno}: os.{name}")
        elif name == "rename" or (name == "replace" and len(node.args) == 1 and not node.keywords):
            found.append(f"{node.lineno}: .{name}")  # Path.replace(target) takes one argument, str.replace two
    return found


def test_files_are_written_atomically_in_one_place() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        writes = _own_writes(ast.parse(path.read_text(encoding="utf-8")))
        if writes and module not in RENAMES_ALLOWED:
            offenders[module] = writes
    assert not offenders, f"write files with epaper.atomic.write_atomic, not a routine of their own: {offenders}"
    unused = [m for m in RENAMES_ALLOWED if not _own_writes(ast.parse((PACKAGE / m).read_text(encoding="utf-8")))]
    assert not unused, f"no longer renames anything, drop from RENAMES_ALLOWED: {unused}"
