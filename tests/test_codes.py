"""Every finding code the code uses is in the one table (epaper/codes.py) and in the README's codes table."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from epaper.codes import CODES, markdown_table

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"[EWI][0-9]{3}")


def _sources() -> list[Path]:
    return sorted((ROOT / "epaper").rglob("*.py"))


def _codes_used() -> dict[str, list[str]]:
    """Every string literal of epaper/ that is a finding code (outside the table itself) -> where it occurs."""
    used: dict[str, list[str]] = {}
    for path in _sources():
        if path == ROOT / "epaper" / "checks" / "codes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.fullmatch(node.value):
                used.setdefault(node.value, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return used


def test_scan_finds_the_codes_the_build_raises():
    """The scan itself works: codes raised in layout, render and checks are seen (a scan finding nothing passes all)."""
    used = _codes_used()
    assert {"E302", "E309", "E501", "E602", "W101", "I307"} <= set(used), sorted(used)


def test_every_code_used_is_in_the_table():
    missing = {code: where for code, where in _codes_used().items() if code not in CODES}
    assert not missing, f"codes used but not in epaper/codes.py CODES: {missing}"


def test_findings_take_their_severity_from_the_table():
    """No `Finding("E302", "error", …)` built inline: `finding(code, …)` looks the severity up in CODES."""
    inline = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Finding" \
                    and node.args and isinstance(node.args[0], ast.Constant):
                inline.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not inline, f"Finding built with a literal code; use codes.finding: {inline}"


def test_severity_letter_matches_and_every_code_has_a_title():
    letters = {"E": "error", "W": "warning", "I": "info"}
    for code, entry in CODES.items():
        assert CODE.fullmatch(code) and letters[code[0]] == entry.severity and entry.title, code


def test_readme_documents_every_code_as_the_table_says():
    """The README's codes table is markdown_table(), row for row: each code documented, none extra."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if re.match(r"\| [EWI][0-9]{3} \|", line)]
    expected = markdown_table().splitlines()[2:]
    assert rows == expected, (f"README rows missing: {[r for r in expected if r not in rows]}; "
                              f"README rows not in the table: {[r for r in rows if r not in expected]}")
    documented = {row.split(" | ")[0][2:] for row in rows}
    assert set(_codes_used()) <= documented
