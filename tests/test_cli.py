"""The CLI as a user drives it: exit codes, one-line reasons, what it prints and writes."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from epaper.cli import app

from .conftest import ISSUE_TOML, LEAD_MD

runner = CliRunner()


def test_help_documents_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "validate", "import-text", "serve", "check", "preview", "version"):
        assert command in result.output
    build_help = runner.invoke(app, ["build", "--help"]).output
    for flag in ("--out", "--format", "--marks", "--strict", "--embed-fonts"):
        assert flag in build_help


def test_build_writes_pdf_epub_and_layout(tiny_issue, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(tiny_issue), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["site", "test-daily-2024-12-19", "test-daily-2024-12-19.epub", "test-daily-2024-12-19.layout.json",
                     "test-daily-2024-12-19.pdf"]
    assert (out / "test-daily-2024-12-19").is_symlink() and (out / "test-daily-2024-12-19.pdf").is_symlink()
    assert (out / "site" / "index.html").is_file() and (out / "site" / "2024-12" / "19" / "page-01.html").is_file()
    assert f"wrote {out / 'test-daily-2024-12-19.pdf'}" in result.stdout
    assert "laying out 1 pages" in result.stderr


def test_bad_input_exits_2_with_one_line(make_issue, tmp_path):
    issue = make_issue({"issue.toml": ISSUE_TOML.replace("number = 100", "numbr = 100")})
    result = runner.invoke(app, ["build", str(issue), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "issue.toml:2: numbr: unknown key 'numbr'" in lines[-1]
    assert not (tmp_path / "out").exists()


def test_overset_exits_3_naming_page_article_and_lines(make_issue, tmp_path):
    long_body = "\n\n".join(["这是一段很长的正文，用来测试超版。" * 12] * 80)
    issue = make_issue({"articles/lead.md": LEAD_MD.split("+++\n\n")[0] + "+++\n\n" + long_body + "\n",
                        "issue.toml": ISSUE_TOML.replace('["lead", "photo"]', '["lead"]'),
                        "articles/photo.md": None})
    result = runner.invoke(app, ["build", str(issue), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    last = result.stderr.strip().splitlines()[-1]
    assert re.search(r"page 1, article 'lead': overset by \d+ lines", last), last


def test_failed_build_keeps_previous_outputs(make_issue, tmp_path):
    out = tmp_path / "out"
    good = make_issue()
    assert runner.invoke(app, ["build", str(good), "--out", str(out)]).exit_code == 0
    before = snapshot(out)
    (good / "articles" / "lead.md").write_text(LEAD_MD.replace("title =", "titel ="), encoding="utf-8")
    assert runner.invoke(app, ["build", str(good), "--out", str(out)]).exit_code == 2
    assert snapshot(out) == before


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_validate(tiny_issue):
    result = runner.invoke(app, ["validate", str(tiny_issue)])
    assert result.exit_code == 0
    assert "1 pages, 2 articles, OK" in result.stdout


def test_unknown_format(tiny_issue, tmp_path):
    result = runner.invoke(app, ["build", str(tiny_issue), "--format", "docx", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "error: --format: unknown output format 'docx'; expected one of: pdf, epub, web" in result.stderr


def test_seed_imports_and_builds_in_one_go(tmp_path):
    """The OCR page becomes an issue folder and then a PDF and an EPUB, as a new user would run it."""
    from .conftest import SEED_PAGE

    seed = SEED_PAGE
    assert seed.is_file(), f"{seed} is missing from the repository"
    issue = tmp_path / "import" / "2024-12-19"
    imported = runner.invoke(app, ["import-text", str(seed), "--out", str(issue)])
    assert imported.exit_code == 0, imported.output
    assert (issue / "REVIEW.md").is_file()
    built = runner.invoke(app, ["build", str(issue), "--out", str(tmp_path / "out"), "-f", "pdf", "-f", "epub"])
    assert built.exit_code == 0, built.output
    import pypdfium2 as pdfium
    pdf = next((tmp_path / "out").glob("*.pdf"))
    doc = pdfium.PdfDocument(pdf)
    try:
        text = re.sub(r"\s+", "", doc[0].get_textpage().get_text_range())
    finally:
        doc.close()
    for headline in ("全区党建引领基层治理领导协调机制第二次全体会议召开", "校地统战工作联盟成立", "健全社会大救助体系"):
        assert headline in text
    assert next((tmp_path / "out").glob("*.epub")).stat().st_size > 10_000


def test_preview_draws_every_page(tiny_issue, tmp_path):
    result = runner.invoke(app, ["preview", str(tiny_issue), "--out", str(tmp_path / "pv"), "--width", "400"])
    assert result.exit_code == 0, result.output
    from PIL import Image
    pngs = sorted((tmp_path / "pv").glob("*.png"))
    assert len(pngs) == 1 and Image.open(pngs[0]).width == 400
