"""`epaper check`'s library part: one fixture folder per finding code (tests/fixtures/preflight/<CODE>/, made by
make_fixtures.py there), the sample issues clean, and a broken issue that reports every planted fault."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import ImageFile

from epaper.build import prepare
from epaper.checks import outputs
from epaper import text as textcheck
from epaper.codes import CODES, markdown_table
from epaper.checks.preflight import BODY_ROLES, CAPTION_ROLE, HEADLINE_ROLES, exit_code, preflight
from epaper.errors import Finding
from epaper.layout.place import layout_issue
from epaper.layout.types import LEAD_ROLE

from .conftest import MULTI_ISSUE, SEED_ISSUE

FIX = Path(__file__).resolve().parent / "fixtures" / "preflight"

# code → where the finding must point (the end of its `where`); each folder plants that fault and nothing else
ISSUE_FAULTS = {
    "E100": "E100/articles/lead.md:5",  # unknown key 'author'
    "W101": "W101/articles/extra.md",
    "E102": "E102/issue.toml:9",
    "E103": "E103/issue.toml:9",
    "E104": "E104/articles/lead.md:3",
    "W105": "W105/articles/lead.md:2",
    "W106": "W106/articles/lead.md:10:26",  # the （ that is never closed
    "E202": "E202/articles/lead.md:5:16",  # U+2A6D6 in a reporter's name
    "E302": "page 1, article 'lead', slot 'lead'",
    "W306": "page 1",
    "E401": "E401/articles/photo.md:6",
    "E402": "E402/articles/photo.md:6",
    "E403": "E403/articles/photo.md:6",
    "W404": "page 1, article 'photo'",
    "E405": "page 1, article 'photo'",
    "I406": "page 1, article 'photo'",
}
OUTPUT_FAULTS = {  # code → (file in the fixture folder, where)
    "E601": ("E601/cut.pdf", "E601/cut.pdf"),
    "E602": ("E602/broken.epub", "E602/broken.epub/OEBPS/content.opf:8:14"),
    "W603": ("W603/baddate.epub", "W603/baddate.epub/OEBPS/content.opf:6:34"),
    "E611": ("E611/nofont.pdf", "E611/nofont.pdf page 1"),
    "E612": ("E612/rgb.press.pdf", "E612/rgb.press.pdf page 1"),
    "E613": ("E613/notrim.press.pdf", "E613/notrim.press.pdf page 1"),
    "E614": ("E614/nointent.press.pdf", "E614/nointent.press.pdf"),
}
BROKEN = [  # the broken issue: every fault planted in it, once
    ("E103", "broken/issue.toml:9"),
    ("E102", "broken/issue.toml:9"),
    ("W101", "broken/articles/stray.md"),
    ("E403", "broken/articles/cut.md:6"),
    ("E401", "broken/articles/photo.md:6"),
    ("W105", "broken/articles/lead.md:2"),
    ("E104", "broken/articles/notitle.md:3"),
    ("W106", "broken/articles/notitle.md:10:26"),
    ("E202", "broken/articles/lead.md:5:16"),
    ("E302", "page 2, article 'long', slot 'side'"),
    ("E405", "page 1, article 'lowres'"),
]


def codes(findings: list[Finding]) -> list[str]:
    return sorted(f.code for f in findings)


def has(findings: list[Finding], code: str, where: str) -> bool:
    return any(f.code == code and f.where.endswith(where) for f in findings)


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return h.hexdigest()


@pytest.mark.parametrize("code", sorted(ISSUE_FAULTS))
def test_each_planted_fault_is_found_where_it_is(code):
    findings = preflight(FIX / code)
    assert has(findings, code, ISSUE_FAULTS[code]), "\n".join(map(str, findings))
    assert codes(findings) == [code], "\n".join(map(str, findings))  # and nothing else
    for f in findings:
        assert f.severity == CODES[f.code].severity and f.hint


def test_e201_palette_font_not_installed_names_the_package():
    findings = preflight(FIX / "E201", fonts_dir=FIX / "E201" / "fonts")
    assert codes(findings) == ["E201"], findings
    f = findings[0]
    assert f.where.endswith("E201/fonts/palette.toml:40") and "/usr/share/fonts/truetype/missing/ukai.ttc" in f.message
    assert "apt-get install fonts-arphic-ukai" in f.hint


@pytest.fixture(scope="module")
def output_findings() -> list[Finding]:
    """All output fixtures checked in one call beside the clean issue (EPUBCheck runs the books in parallel)."""
    return preflight(FIX / "clean", built_outputs=[FIX / f for f, _ in OUTPUT_FAULTS.values()]
                     + [FIX / "E601" / "never-built.pdf"])


@pytest.mark.parametrize("code", sorted(OUTPUT_FAULTS))
def test_each_output_fault_is_found(output_findings, code):
    assert has(output_findings, code, OUTPUT_FAULTS[code][1]), "\n".join(map(str, output_findings))


def test_output_faults_and_nothing_else(output_findings):
    assert has(output_findings, "E601", "E601/never-built.pdf")
    expected = sorted([*OUTPUT_FAULTS, "E601", "E614"])  # E614 twice: neither output intent nor version
    assert codes(output_findings) == expected, "\n".join(map(str, output_findings))


def test_w604_epub_not_checked_without_java(monkeypatch):
    monkeypatch.setattr(outputs.shutil, "which", lambda name: None)
    findings = outputs.check_outputs([FIX / "W604" / "book.epub"])
    assert codes(findings) == ["W604"] and "Java" in findings[0].message
    assert findings[0].where.endswith("W604/book.epub")


def test_clean_fixture_has_no_findings():
    assert preflight(FIX / "clean") == []


@pytest.mark.parametrize("issue_dir", [SEED_ISSUE, MULTI_ISSUE], ids=["2024-12-19", "2024-12-20"])
def test_sample_issues_preflight_clean(issue_dir):
    """No errors and no warnings; the only notes are the placeholder photos the samples declare (I406)."""
    findings = preflight(issue_dir)
    assert exit_code(findings, strict=True) == 0, "\n".join(map(str, findings))
    issue = prepare(issue_dir)[0]
    placeholders = sum(1 for a in issue.articles.values() for p in a.photos[:1] if p.placeholder)
    assert codes(findings) == ["I406"] * placeholders


def test_broken_issue_lists_every_planted_fault():
    before = tree_digest(FIX / "broken")
    findings = preflight(FIX / "broken")
    missing = [(c, w) for c, w in BROKEN if not has(findings, c, w)]
    assert not missing, "\n".join(map(str, findings))
    assert codes(findings) == sorted(c for c, _ in BROKEN), "\n".join(map(str, findings))
    assert exit_code(findings) == 1
    assert tree_digest(FIX / "broken") == before  # the repaired copy never writes into the folder


def test_truncated_images_are_caught_although_weasyprint_lets_pillow_load_them():
    import weasyprint  # noqa: F401 - importing it turns LOAD_TRUNCATED_IMAGES on for the whole process

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    assert codes(preflight(FIX / "E403")) == ["E403"]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for the build that may follow


def test_exit_code():
    err, warn, info = (Finding("E102", "error", "x"), Finding("W101", "warning", "x"), Finding("I406", "info", "x"))
    assert exit_code([]) == 0 and exit_code([info], strict=True) == 0
    assert exit_code([warn]) == 0 and exit_code([warn], strict=True) == 1
    assert exit_code([err, info]) == 1


def test_codes_table():
    letters = {"E": "error", "W": "warning", "I": "info"}
    for code, entry in CODES.items():
        assert len(code) == 4 and letters[code[0]] == entry.severity and entry.title
    table = markdown_table()
    assert all(f"| {code} |" in table for code in CODES)


def test_font_roles_match_the_layout():
    """HEADLINE_ROLES, BODY_ROLES and CAPTION_ROLE say which face draws what; the layout must agree."""
    issue, layout, palette, strings = prepare(SEED_ISSUE)
    seen: dict[str, set[str]] = {}
    for page in layout_issue(issue, layout, palette, strings):
        for module in page.modules:
            for box in module.boxes:
                for line in box.lines:
                    seen.setdefault(box.kind, set()).add(line.role)
                    if line.lead_chars:
                        seen.setdefault("lead", set()).add(line.lead_role)
    for kind, role in HEADLINE_ROLES.items():
        assert seen.get(kind, {role}) == {role}, (kind, seen.get(kind))
    assert seen["body"] <= set(BODY_ROLES.values())
    assert seen["caption"] == {CAPTION_ROLE} and seen["lead"] == {LEAD_ROLE}


@pytest.mark.parametrize("text, problems", [
    ("他说：“好。”", []),
    ("（一）加强管理", []),
    ("1）加强管理；2）落实责任", []),
    ("It’s fine", []),
    ("括号（没有关上", [("（", "never closed")]),
    ("多了一个）括号", [("）", "never opened")]),
    ("《书名〈篇名》", [("〈", "never closed")]),
    ('a "quoted word', [('"', "never closed")]),
])
def test_unbalanced(text, problems):
    assert [(u.char, u.problem) for u in textcheck.unbalanced(text)] == problems


def test_a_quotation_over_several_paragraphs_reopens_each():
    paragraphs = ["他说：“第一段。", "“第二段。", "“第三段。”"]
    assert textcheck.paragraph_unbalanced(paragraphs) == []
    assert [n for n, _ in textcheck.paragraph_unbalanced(["他说：“第一段。", "第二段。"])] == [0]
