"""The e-reader preflight (8xx): the books epaper writes give no finding; a book broken the way Send-to-Kindle, Kobo
or Apple Books are documented to refuse gives the rule's code, through `epaper check --output` too."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image
from typer.testing import CliRunner

from epaper.checks import readers
from epaper.codes import CODES
from epaper.checks.readers import check_reader_quirks
from epaper.render.epub.epub import write_epub
from epaper.render.epub.epub_variants import file_name
from epaper.render.epub.epub_zip import zip_bytes
from epaper.source.folder import load_issue

from .test_epub import FONTS, SAMPLE_1, cover_png, needs_fonts, strings_for

Change = Callable[[bytes], bytes] | bytes | None


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    issue = load_issue(SAMPLE_1)
    folder = tmp_path_factory.mktemp("readers")
    out = {}
    for fmt in ("epub", "kepub", "kindle"):
        out[fmt] = folder / (f"{issue.slug}.epub" if fmt == "epub" else file_name(issue.slug, fmt))
        write_epub(issue, strings_for(issue), out[fmt], cover_png=cover_png(), variant=fmt)
    out["vertical"] = folder / "vertical.epub"
    write_epub(issue, strings_for(issue), out["vertical"], cover_png=cover_png(), vertical=True)
    return out


def mutate(book: Path, target: Path, changes: dict[str, Change]) -> Path:
    """A copy of book with parts replaced (bytes), edited (a function of the old bytes) or removed (None)."""
    with zipfile.ZipFile(book) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    for name, change in changes.items():
        if change is None:
            entries.pop(name, None)
        elif callable(change):
            entries[name] = change(entries[name])
        else:
            entries[name] = change
    target.write_bytes(zip_bytes(entries, dt.datetime(2024, 12, 19, tzinfo=dt.timezone.utc)))
    return target


def opf_edit(old: str, new: str) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        text = data.decode("utf-8")
        assert old in text, old
        return text.replace(old, new, 1).encode("utf-8")
    return edit


def codes(book: Path) -> list[str]:
    return sorted(f.code for f in check_reader_quirks(book))


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 200).save(buf, "PNG")
    return buf.getvalue()


def test_the_books_epaper_writes_have_no_finding(books: dict[str, Path]) -> None:
    for name, book in books.items():
        assert check_reader_quirks(book) == [], name


def test_ebooklib_reads_the_books_back_in_reading_order(books: dict[str, Path]) -> None:
    """ebooklib, the library reading apps and converters build on, opens every variant: title, language, and a
    spine of the cover, the contents and each article in page order, every item with its XHTML."""
    from ebooklib import epub

    from epaper.checks.outputs import check_package

    issue = load_issue(SAMPLE_1)
    order = [f"x-{article.id}" for _, article in issue.articles_in_order()]
    for name, path in books.items():
        assert check_package(path) == [], name
        book = epub.read_epub(str(path), options={"ignore_ncx": True})
        assert [idref for idref, _ in book.spine] == ["cover", "nav", *order], name
        assert book.get_metadata("DC", "language")[0][0] == "zh-Hans-CN"
        assert issue.paper.name in book.get_metadata("DC", "title")[0][0]
        for idref in order:
            html = book.get_item_with_id(idref).get_content().decode("utf-8")
            assert issue.articles[idref[2:]].title in html, (name, idref)


def test_a_book_ebooklib_cannot_open_is_e601(books: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    from epaper.checks import outputs

    monkeypatch.setattr(outputs, "check_epub", lambda path: [])  # EPUBCheck stubbed out: test_kepub runs it

    issue = load_issue(SAMPLE_1)
    first = next(article for _, article in issue.articles_in_order())
    gone = mutate(books["epub"], tmp_path / "gone.epub", {f"EPUB/text/{first.id}.xhtml": None})
    cut = tmp_path / "cut.epub"
    cut.write_bytes(books["epub"].read_bytes()[:4000])  # an interrupted copy
    for path in (gone, cut):
        found = [f for f in outputs.check_outputs([path]) if f.code == "E601"]
        assert [f.where for f in found] == [str(path)] and "cannot be opened" in found[0].message, found


@needs_fonts
def test_a_book_with_embedded_fonts_has_no_finding(tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    book = tmp_path / "fonts.epub"
    write_epub(issue, strings_for(issue), book, cover_png=cover_png(), embed_fonts=True, fonts=FONTS)
    assert check_reader_quirks(book) == []


OPF = "EPUB/package.opf"
CASES: dict[str, tuple[str, dict[str, Change]]] = {
    "no language": ("E802", {OPF: opf_edit("<dc:language>zh-Hans-CN</dc:language>", "")}),
    "bad language": ("E802", {OPF: opf_edit("<dc:language>zh-Hans-CN</dc:language>",
                                            "<dc:language>chinese simplified</dc:language>")}),
    "no script": ("W803", {OPF: opf_edit("<dc:language>zh-Hans-CN</dc:language>", "<dc:language>zh</dc:language>")}),
    "6 MP image": ("E804", {"EPUB/images/cover.png": png(2000, 3000)}),
    "GIF cover": ("W810", {OPF: opf_edit('id="cover-image" href="images/cover.png" media-type="image/png"',
                                         'id="cover-image" href="images/cover.png" media-type="image/gif"')}),
    "cover not named": ("W809", {OPF: opf_edit('<meta name="cover" content="cover-image"/>', "")}),
    "svg transform": ("W810", {"EPUB/cover.xhtml": opf_edit("<image ", '<image transform="scale(2)" ')}),
    "obfuscation by another algorithm": ("E807", {"META-INF/encryption.xml": (
        b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
        b'Algorithm="http://ns.adobe.com/pdf/enc#RC"/><enc:CipherData><enc:CipherReference URI="EPUB/fonts/a.otf"/>'
        b'</enc:CipherData></enc:EncryptedData></encryption>')}),
    "three-level contents": ("W811", {"EPUB/nav.xhtml": opf_edit("<li><a href=", "<li><ol><li><ol><li>x</li></ol></li></ol><a href=")}),
    "fixed-layout flags disagree": ("W812", {"META-INF/com.kobobooks.display-options.xml": (
        b'<display_options><platform name="*"><option name="fixed-layout">true</option></platform></display_options>')}),
    "series disagree": ("W813", {OPF: opf_edit('<meta name="calibre:series_index" content="14321"/>',
                                               '<meta name="calibre:series_index" content="14322"/>')}),
    "no calibre series": ("W813", {OPF: opf_edit('<meta name="calibre:series" content="武进日报"/>', "")}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_rule_fires_on_its_defect(books: dict[str, Path], tmp_path: Path, case: str) -> None:
    code, changes = CASES[case]
    broken = mutate(books["epub"], tmp_path / "broken.epub", changes)
    found = check_reader_quirks(broken)
    assert [f.code for f in found] == [code], (case, [str(f) for f in found])
    assert found[0].where.startswith(str(broken)) and found[0].hint == CODES[code].hint


def test_size_limits(books: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The limits themselves (50 MB, 5 MB, 10 MB) are constants; a tiny book crosses scaled-down ones.
    monkeypatch.setattr(readers, "KINDLE_MAIL_BYTES", 10_000)
    monkeypatch.setattr(readers, "KINDLE_IMAGE_BYTES", 10_000)
    monkeypatch.setattr(readers, "KOBO_DOCUMENT_BYTES", 1_000)
    found = codes(books["epub"])
    assert found[0] == "W801" and "W805" in found and "W806" in found, found
    assert (readers.KINDLE_MAIL_BYTES, readers.KINDLE_IMAGE_BYTES) == (10_000, 10_000)
    monkeypatch.undo()
    assert (readers.KINDLE_MAIL_BYTES, readers.KINDLE_IMAGE_BYTES, readers.KOBO_DOCUMENT_BYTES, readers.APPLE_MAX_PIXELS) \
        == (50 * 2**20, 5 * 2**20, 10 * 2**20, 5_600_000)


def test_fonts_that_kindle_or_the_licence_refuse(books: dict[str, Path], tmp_path: Path) -> None:
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").read_bytes()
    offset = next(int.from_bytes(font[12 + 16 * i + 8: 12 + 16 * i + 12], "big")
                  for i in range(int.from_bytes(font[4:6], "big")) if font[12 + 16 * i: 16 + 16 * i] == b"OS/2")
    restricted = font[:offset + 8] + (2).to_bytes(2, "big") + font[offset + 10:]
    item = '<item id="font-x" href="fonts/x.ttf" media-type="font/ttf"/>'
    add = opf_edit("<manifest>", "<manifest>\n    " + item)
    assert codes(mutate(books["epub"], tmp_path / "ok.epub", {OPF: add, "EPUB/fonts/x.ttf": font})) == []
    assert codes(mutate(books["epub"], tmp_path / "r.epub", {OPF: add, "EPUB/fonts/x.ttf": restricted})) == ["W808"]
    assert codes(mutate(books["epub"], tmp_path / "w.epub", {OPF: add, "EPUB/fonts/x.ttf": b"wOFF" + font[4:]})) \
        == ["W808"]


def test_vertical_writing_per_reader(books: dict[str, Path], tmp_path: Path) -> None:
    vertical = books["vertical"]
    no_kindle_meta = mutate(vertical, tmp_path / "k.epub",
                            {OPF: opf_edit('<meta name="primary-writing-mode" content="vertical-rl"/>', "")})
    inner_only = mutate(vertical, tmp_path / "a.epub", {"EPUB/css/epub.css": opf_edit("html {\n  -epub-writing-mode",
                                                                                       "article {\n  -epub-writing-mode")})
    ltr = mutate(vertical, tmp_path / "l.epub", {OPF: opf_edit(' page-progression-direction="rtl"', "")})
    for book, words in ((no_kindle_meta, "Kindle"), (inner_only, "Apple Books"), (ltr, "page-progression")):
        found = check_reader_quirks(book)
        assert [f.code for f in found] == ["W814"] and words in found[0].message, [str(f) for f in found]


def test_a_kepub_without_spans_is_reported(books: dict[str, Path], tmp_path: Path) -> None:
    issue = load_issue(SAMPLE_1)
    plain_named_kepub = tmp_path / file_name(issue.slug, "kepub")
    plain_named_kepub.write_bytes(books["epub"].read_bytes())
    found = codes(plain_named_kepub)
    assert found and set(found) == {"W815"}


def test_check_output_lists_reader_findings(books: dict[str, Path], tmp_path: Path, monkeypatch) -> None:
    """`epaper check --output` runs the 8xx rules on each EPUB (EPUBCheck stubbed out: test_kepub runs it)."""
    from epaper.checks import outputs
    from epaper.cli import app

    monkeypatch.setattr(outputs, "check_epub", lambda path: [])
    broken = mutate(books["epub"], tmp_path / "nolang.epub",
                    {OPF: opf_edit("<dc:language>zh-Hans-CN</dc:language>", "")})
    run = CliRunner().invoke(app, ["check", str(SAMPLE_1), "--json", "--output", str(broken),
                                   "--output", str(books["kepub"])])
    import json

    findings = json.loads(run.stdout)
    eight = [f for f in findings if f["code"][1] == "8"]
    assert [(f["code"], f["where"]) for f in eight] == [("E802", f"{broken}/EPUB/package.opf")], eight
    assert run.exit_code == 1


def test_font_obfuscation_must_use_the_books_own_key(books: dict[str, Path], tmp_path: Path) -> None:
    """IDPF obfuscation with the package's unique identifier is fine; another key leaves a font no reader decodes."""
    import hashlib

    from lxml import etree

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").read_bytes()
    opf = etree.fromstring(zipfile.ZipFile(books["epub"]).read(OPF))
    uid = opf.xpath("//dc:identifier/text()", namespaces={"dc": "http://purl.org/dc/elements/1.1/"})[0]

    def obfuscate(key_source: str) -> bytes:
        key = hashlib.sha1(key_source.encode()).digest()
        return bytes(b ^ key[i % 20] for i, b in enumerate(font[:1040])) + font[1040:]

    encryption = (b'<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                  b'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod '
                  b'Algorithm="http://www.idpf.org/2008/embedding"/><enc:CipherData><enc:CipherReference '
                  b'URI="EPUB/fonts/x.ttf"/></enc:CipherData></enc:EncryptedData></encryption>')
    add = opf_edit("<manifest>", '<manifest>\n    <item id="font-x" href="fonts/x.ttf" media-type="font/ttf"/>')
    right = mutate(books["epub"], tmp_path / "right.epub",
                   {OPF: add, "EPUB/fonts/x.ttf": obfuscate(uid), "META-INF/encryption.xml": encryption})
    wrong = mutate(books["epub"], tmp_path / "wrong.epub",
                   {OPF: add, "EPUB/fonts/x.ttf": obfuscate("urn:uuid:another-book"),
                    "META-INF/encryption.xml": encryption})
    assert codes(right) == []
    found = check_reader_quirks(wrong)
    assert [f.code for f in found] == ["E807"] and "key" in found[0].message
