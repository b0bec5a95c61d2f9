"""The print PDF, read back as a reader's tools see it: text, fonts, pages, masthead, bookmarks, line positions."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from epaper.build import BuildOptions, build
from epaper.layout.grid import MM

from .conftest import MULTI_ISSUE, SEED_ISSUE, box_line_problems

SAMPLES = {"seed": SEED_ISSUE, "multi": MULTI_ISSUE}


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def built(request, sample_pdf):
    return sample_pdf(request.param)  # built once per run (conftest.py), shared with the other PDF tests


def stream_text(pdf: Path) -> list[str]:
    """Each page's text in content-stream order (PDFium), which follows our module → column → line order."""
    doc = pdfium.PdfDocument(pdf)
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_text_holds_every_headline_and_paragraph(built):
    result, pdf = built
    text = squeeze("".join(stream_text(pdf)))
    for page, article in result.issue.articles_in_order():
        for part in (article.kicker, article.title, article.subtitle, *article.paragraphs):
            assert squeeze(part) in text, f"{article.id}: {part[:30]}"
        for photo in article.photos:
            if photo.caption:
                assert squeeze(photo.caption) in text


def test_every_font_embedded_and_subset(built):
    _, pdf = built
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, "no fonts listed"
    for row in rows:
        cols = row.split()
        # name type… encoding emb sub uni object ID: emb and sub are the 5th and 4th from the end
        assert cols[-5] == "yes" and cols[-4] == "yes", row
    families = " ".join(r.split()[0] for r in rows)
    for face in ("+Noto-Serif-CJK-SC ", "+Noto-Sans-CJK-SC-Bold ", "+AR-PL-UKai-CN", "+Noto-Serif-CJK-SC-Heavy "):
        assert face in families + " ", families


def test_page_count_and_size(built):
    result, pdf = built
    with pdfplumber.open(pdf) as doc:
        assert len(doc.pages) == len(result.issue.pages)
        for page in doc.pages:
            assert abs(page.width / MM - 390) < 0.5 and abs(page.height / MM - 545) < 0.5


def test_masthead_only_on_front_page(built):
    result, pdf = built
    name = result.issue.paper.name
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, 1):
            big = "".join(c["text"] for c in page.chars if c["size"] >= 60)
            if number == 1:
                assert big == name
                text = page.extract_text()
                assert result.issue.paper.cn in text
                assert f"总第{result.issue.number}期" in squeeze(text)
            else:
                assert big == ""
                head = "".join(c["text"] for c in page.chars if c["top"] < 30 * MM)
                assert f"第{number}版" in head and name in head
                assert result.issue.pages[number - 1].editor in head


def test_bookmarks_page_then_article(built):
    result, pdf = built
    doc = pdfium.PdfDocument(pdf)
    try:
        toc = [(item.level, item.get_title()) for item in doc.get_toc()]
    finally:
        doc.close()
    expected = []
    for page in result.issue.pages:
        expected.append((0, f"第{page.number}版 {page.name}"))
        for art in page.articles:
            a = result.issue.articles[art]
            expected.append((1, a.title or a.paragraphs[0][:20]))
    assert toc == expected


def test_metadata(built):
    result, pdf = built
    import pikepdf
    with pikepdf.open(pdf) as doc:
        info = doc.docinfo
        assert str(info["/Title"]) == f"{result.issue.paper.name} 2024年12月{result.issue.date.day}日"
        assert str(doc.Root.Lang) == "zh-CN"
        assert str(info["/CreationDate"]).startswith(f"D:{result.issue.date:%Y%m%d}")


def test_rendered_lines_match_the_plan(built):
    """Every body column shows exactly the lines the composer planned, on the line grid."""
    result, pdf = built
    with pdfplumber.open(pdf) as doc:
        for layout_page, page in zip(result.pages, doc.pages):
            chars = [c for c in page.chars if c["text"].strip()]
            for module in layout_page.modules:
                for box in module.boxes:
                    if box.kind != "body":
                        continue
                    problems = box_line_problems(chars, box)
                    assert not problems, (module.article.id, problems)


def test_two_builds_are_byte_identical(tmp_path):
    a = build(SEED_ISSUE, BuildOptions(out=tmp_path / "a", formats=("pdf",)))
    b = build(SEED_ISSUE, BuildOptions(out=tmp_path / "b", formats=("pdf",)))
    pa = next(p for p in a.outputs if p.suffix == ".pdf")
    pb = next(p for p in b.outputs if p.suffix == ".pdf")
    assert pa.read_bytes() == pb.read_bytes()


def test_crop_marks_option_adds_bleed(marked_seed_pdf):
    pdf = marked_seed_pdf[1]  # built once per run (conftest.py), shared with the web and reader-PDF tests
    import pikepdf
    with pikepdf.open(pdf) as doc:
        page = doc.pages[0]
        media = [float(v) for v in page.MediaBox]
        trim = [float(v) for v in page.TrimBox]
        assert (media[2] - media[0]) > (trim[2] - trim[0]) + 2 * 3 * MM - 0.5
        assert abs((trim[2] - trim[0]) / MM - 390) < 0.5

