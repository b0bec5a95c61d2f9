"""The repository alone in, its import and typography tests run out: nothing may depend on a folder beside it.

A user clones the project from its public home with nothing next to it. The developers' machines and CI have more
beside the checkout, so a test that quietly reads a sibling folder passes there and fails for every user. This copies
the project's files (what git tracks, plus new files it does not ignore) into an empty temporary folder and runs the
tests that once depended on such a folder there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO

SKIP_DIRS = {".git", ".venv", "node_modules", "out", "build", "__pycache__", ".pytest_cache", ".cache"}
# Paths that name something outside the repository (a sibling folder, or a developer's machine).
OUTSIDE_PATH = re.compile(r"\.\./shared\b|/work/shared\b|(parents\[2\]|parent)\s*/\s*[\"']shared")
# The one allowed mention: the optional outside yardstick, used only where it exists.
ALLOWED = {"tests/test_typography.py", "tests/test_compose.py", "tests/test_standalone.py"}


def project_files() -> list[Path]:
    """The files a clone would have: tracked or new and not ignored; without git, the tree minus build output."""
    if (REPO / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                             capture_output=True, check=True).stdout.decode()
        return [Path(p) for p in out.split("\0") if p and (REPO / p).is_file()]
    return [p.relative_to(REPO) for p in REPO.rglob("*")
            if p.is_file() and not SKIP_DIRS & set(p.relative_to(REPO).parts)]


def test_no_file_names_a_path_outside_the_repository():
    offenders = []
    for rel in project_files():
        if rel.suffix not in {".py", ".md", ".toml", ".sh", ".txt", ".jinja", ".css", ".cfg"} and rel.name != "run":
            continue
        text = (REPO / rel).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            optional = str(rel) in ALLOWED and re.match(r"\s*(OUTSIDE|TYPOCHECK|OUTSIDE_PATH) = ", line)
            if OUTSIDE_PATH.search(line) and not optional:
                offenders.append(f"{rel}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def test_import_and_typography_tests_pass_in_a_lone_copy(tmp_path):
    lone = tmp_path / "lonely" / "epaper"
    for rel in project_files():
        (lone / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, lone / rel)
    assert sorted(p.name for p in lone.parent.iterdir()) == ["epaper"]  # nothing beside the copy
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOURCE_DATE_EPOCH")}
    where = subprocess.run([sys.executable, "-c", "import epaper, pathlib; print(pathlib.Path(epaper.__file__))"],
                           cwd=lone, env=env, capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(lone), f"the copy imported epaper from {where}"
    runs = [["tests/test_typeset.py", "tests/test_typography.py"],
            ["tests/test_import.py", "-k", "seed", "tests/test_cli.py::test_seed_imports_and_builds_in_one_go"]]
    for args in runs:
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *args],
                             cwd=lone, env=env, capture_output=True, text=True, timeout=1200)
        tail = "\n".join(run.stdout.splitlines()[-15:])
        assert run.returncode == 0, tail
        assert re.search(r"\d+ passed", tail) and "skipped" not in tail and "error" not in tail.lower(), tail
        assert "outside_yardstick" not in run.stdout  # not even collected without the folder beside the repository
