"""The e-reader editions: the Kobo kepub and the Kindle-safe EPUB from the same model (EPUBCheck-clean, spans around
every sentence, reproducible), calibre reading the series and converting to AZW3, DAISY Ace finding no violation."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from epaper.render.epub.epub import write_epub
from epaper.render.epub.epub_variants import convert_azw3, file_name, write_variants
from epaper.render.epub.kepub import kepubify
from epaper.source.folder import load_issue

from .test_epub import NS, SAMPLE_1, cover_png, epubcheck_messages, needs_java, read, strings_for

REPO = Path(__file__).resolve().parents[1]
ACE = REPO / "tests" / "reader" / "node_modules" / ".bin" / "ace-cli"
X = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The one-page sample (five stories, a photo) as EPUB, kepub and Kindle EPUB, with a cover; built once."""
    issue = load_issue(SAMPLE_1)
    folder = tmp_path_factory.mktemp("editions")
    out = {"epub": folder / f"{issue.slug}.epub"}
    write_epub(issue, strings_for(issue), out["epub"], cover_png=cover_png())
    for fmt in ("kepub", "kindle"):
        out[fmt] = folder / file_name(issue.slug, fmt)
        write_epub(issue, strings_for(issue), out[fmt], cover_png=cover_png(), variant=fmt)
    return out


def documents(book: Path) -> dict[str, ElementTree.Element]:
    with zipfile.ZipFile(book) as zf:
        return {n: ElementTree.fromstring(zf.read(n)) for n in zf.namelist() if n.startswith("EPUB/text/")}


def body_text(el: ElementTree.Element) -> str:
    return "".join(el.find(f"{X}body").itertext())


@pytest.mark.slow  # EPUBCheck: a JVM per book
@needs_java
def test_kepub_and_kindle_editions_pass_epubcheck(books: dict[str, Path]) -> None:
    # The Kobo additions (span ids, two divs) are plain XHTML: nothing needs filtering out. One JVM per book,
    # side by side.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        kepub, kindle = pool.map(epubcheck_messages, (books["kepub"], books["kindle"]))
    assert kepub == [] and kindle == []


def test_kepub_spans_every_sentence_and_keeps_the_text(books: dict[str, Path]) -> None:
    plain, kobo = documents(books["epub"]), documents(books["kepub"])
    assert plain.keys() == kobo.keys() and len(kobo) == 5
    for name, root in kobo.items():
        body = root.find(f"{X}body")
        columns = body.find(f"{X}div")
        assert columns is not None and columns.get("id") == "book-columns", name
        assert [c.get("id") for c in columns] == ["book-inner"], name
        # the reader sees exactly the same text, now inside spans
        assert re.sub(r"\s", "", body_text(root)) == re.sub(r"\s", "", body_text(plain[name])), name
        spans = [s for s in body.iter(f"{X}span") if s.get("class") == "koboSpan"]
        ids = [s.get("id") for s in spans]
        assert len(ids) == len(set(ids)) and all(re.fullmatch(r"kobo\.\d+\.\d+", i) for i in ids), name
        # every non-blank character of every paragraph and heading lies inside a koboSpan
        for block in body.iter():
            if block.tag in (f"{X}p", f"{X}h1", f"{X}h2"):
                inside = "".join(t for s in block.iter(f"{X}span") if s.get("class") == "koboSpan"
                                 for t in s.itertext())
                assert re.sub(r"\s", "", inside) == re.sub(r"\s", "", "".join(block.itertext())), (name, block.text)
    # sentences, not paragraphs: a paragraph of several sentences has several spans, each ending at 。！？
    lead = next(r for n, r in kobo.items() if len([p for p in r.iter(f"{X}p")]) > 3)
    para = max((p for p in lead.iter(f"{X}p")), key=lambda p: len("".join(p.itertext())))
    parts = ["".join(s.itertext()) for s in para.iter(f"{X}span") if s.get("class") == "koboSpan"]
    assert len(parts) > 1 and all(p.rstrip("”’」』）)")[-1] in "。！？!?…" for p in parts[:-1]), parts


def test_kepub_images_sit_in_spans_of_their_own(books: dict[str, Path]) -> None:
    kobo = documents(books["kepub"])
    images = 0
    for root in kobo.values():
        parents = {c: p for p in root.iter() for c in p}
        for img in root.iter(f"{X}img"):
            images += 1
            span = parents[img]
            assert span.tag == f"{X}span" and span.get("class") == "koboSpan" and list(span) == [img]
    assert images > 0


def test_kepubify_is_plain_xhtml_and_idempotent_on_blank_text() -> None:
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml">'
           '<head><title>t</title></head><body><p>第一句。第二句！<b>第三</b>句？尾巴</p><p> </p><div></div></body></html>')
    out = kepubify(doc.encode("utf-8")).decode("utf-8")
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n')
    assert 'id="kobo.1.1">第一句。</span><span class="koboSpan" id="kobo.1.2">第二句！</span>' in out
    assert '<b><span class="koboSpan" id="kobo.1.3">第三</span></b>' in out
    assert 'id="kobo.1.4">句？</span><span class="koboSpan" id="kobo.1.5">尾巴</span>' in out
    assert "<div></div>" in out and "kobo.2." not in out  # a blank paragraph gets no span


def test_editions_are_byte_identical_across_builds(books: dict[str, Path], tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    for fmt in ("kepub", "kindle"):
        again = tmp_path / books[fmt].name
        write_epub(issue, strings_for(issue), again, cover_png=cover_png(), variant=fmt)
        assert again.read_bytes() == books[fmt].read_bytes(), fmt


def test_kindle_edition_has_an_img_cover_and_no_fonts(tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    fonts = [("DejaVu Sans", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), "400")]
    book = tmp_path / file_name(issue.slug, "kindle")
    write_epub(issue, strings_for(issue), book, cover_png=cover_png(), variant="kindle", embed_fonts=True,
               fonts=fonts, vertical=True)
    with zipfile.ZipFile(book) as zf:
        names = zf.namelist()
    assert not any("/fonts/" in n for n in names) and "META-INF/com.apple.ibooks.display-options.xml" not in names
    cover = ElementTree.fromstring(read(book, "EPUB/cover.xhtml"))
    assert cover.find(f".//{X}img") is not None and cover.find(".//{http://www.w3.org/2000/svg}svg") is None
    opf = ElementTree.fromstring(read(book, "EPUB/package.opf"))
    named = {m.get("name"): m.get("content") for m in opf.findall("opf:metadata/opf:meta", NS) if m.get("name")}
    assert named["primary-writing-mode"] == "vertical-rl" and named["cover"] == "cover-image"
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"


def test_periodical_metadata_and_pagination_source(books: dict[str, Path]) -> None:
    issue = load_issue(SAMPLE_1)
    opf = ElementTree.fromstring(read(books["epub"], "EPUB/package.opf"))
    meta = opf.find("opf:metadata", NS)
    by_prop = {(m.get("property"), m.get("refines")): (m.text or "") for m in meta.findall("opf:meta", NS)}
    named = {m.get("name"): m.get("content") for m in meta.findall("opf:meta", NS) if m.get("name")}
    assert by_prop[("belongs-to-collection", None)] == issue.paper.name == named["calibre:series"]
    assert by_prop[("collection-type", "#series")] == "series"
    assert by_prop[("group-position", "#series")] == str(issue.number) == named["calibre:series_index"]
    assert meta.find("dc:date", NS).text == issue.date.isoformat()
    assert by_prop[("dcterms:modified", None)] == f"{issue.date.isoformat()}T00:00:00Z"
    # Issue 18 case 19 (Ace epub-pagesource): the page-list's print source is declared as such
    source = meta.find("dc:source", NS)
    assert by_prop[("source-of", "#" + source.get("id"))] == "pagination"


needs_calibre = pytest.mark.skipif(shutil.which("ebook-meta") is None,
                                   reason="calibre missing (scripts/run.sh installs Debian's calibre)")


@needs_calibre
def test_calibre_reads_series_position_cover_and_date(books: dict[str, Path], tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(tmp_path), "HOME": str(tmp_path)}
    for fmt in ("epub", "kepub"):
        cover = tmp_path / f"cover-{fmt}.jpg"
        run = subprocess.run(["ebook-meta", str(books[fmt]), f"--get-cover={cover}"], capture_output=True,
                             text=True, env=env, timeout=120, check=True)
        fields = dict(re.findall(r"^(\w[\w ()]*?)\s*: (.*)$", run.stdout, re.M))
        assert fields["Series"] == f"{issue.paper.name} #{issue.number}", run.stdout
        assert fields["Published"].startswith(issue.date.isoformat()), run.stdout
        with Image.open(cover) as im:  # the front page the book carries, as calibre extracts it
            assert im.size == Image.open(io.BytesIO(cover_png())).size or im.height == 1600, (im.size, run.stdout)


@needs_calibre
def test_azw3_from_the_kindle_edition(tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    names = write_variants(["azw3"], issue, strings_for(issue), tmp_path, cover_pdf=None)
    assert names == [file_name(issue.slug, "azw3")] and not (tmp_path / file_name(issue.slug, "kindle")).exists()
    azw3 = tmp_path / names[0]
    assert azw3.read_bytes()[60:68] == b"BOOKMOBI"  # the PalmDB type/creator of a MOBI/KF8 book
    env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": str(tmp_path), "HOME": str(tmp_path)}
    run = subprocess.run(["ebook-meta", str(azw3)], capture_output=True, text=True, env=env, timeout=120, check=True)
    # KF8 has no series field; calibre reads the title and the description the OPF gave it
    assert re.search(rf"^Title\s+: {issue.paper.name} 2024年12月19日$", run.stdout, re.M), run.stdout
    assert f"总第{issue.number}期" in run.stdout, run.stdout


def test_azw3_without_calibre_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from epaper.errors import EnvironmentProblem

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(EnvironmentProblem, match="apt-get install --no-install-recommends calibre"):
        convert_azw3(tmp_path / "x.kindle.epub", tmp_path / "x.azw3")


@pytest.mark.skipif(not ACE.is_file() or not Path("/usr/bin/chromium").is_file(),
                    reason="DAISY Ace missing: bash scripts/setup_browser.sh installs it into tests/reader")
def test_daisy_ace_finds_no_violation(books: dict[str, Path], tmp_path: Path) -> None:
    """Issue 18 case 19: Ace reported epub-pagesource (serious) on every EPUB; now the report is clean."""
    for fmt in ("epub",):  # the kepub shares the package document; Ace takes ~13 s a book
        report = tmp_path / fmt
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": "/usr/bin/chromium", "HOME": str(tmp_path)}
        run = subprocess.run([str(ACE), "--force", "--silent", "--outdir", str(report), str(books[fmt])],
                             capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr[-2000:]
        data = json.loads((report / "report.json").read_text(encoding="utf-8"))
        violations = [(a["earl:testSubject"]["url"], x["earl:test"]["dct:title"], x["earl:test"]["earl:impact"])
                      for a in data["assertions"] for x in a.get("assertions", [])]
        assert violations == [] and data["earl:result"]["earl:outcome"] == "pass", (fmt, violations)
