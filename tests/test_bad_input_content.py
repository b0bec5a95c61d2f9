"""Issue 18, bad content: images known by their bytes (6), invisible characters (11), NUL bytes (12), giant
images (13), and the press PDF's fonts against the PDF/X standard it declares (18).

Each refusal goes through the CLI as a user meets it: exit 2, one `error:` line naming file, line and what was
expected, no traceback, nothing written. Correct output is read back from the built files.
Line numbers refer to conftest's texts: LEAD_MD (3 title, 8 first paragraph), PHOTO_MD (5 file).
"""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops
from typer.testing import CliRunner

from epaper.build import prepare
from epaper.paths import FONTS, LAYOUTS
from epaper import text as textcheck
from epaper.checks.outputs import check_pdf
from epaper.checks.preflight import preflight
from epaper.cli import app
from epaper.errors import EpaperError, InputError
from epaper.layout.place import layout_issue
from epaper.model import Photo
from epaper.render.epub import epub_images
from epaper.render.print import press, press_finish, press_photos, print_pdf
from epaper.render.web import web_images, web_photos
from epaper.source import images
from epaper.source.folder import load_issue

from .conftest import LEAD_MD, PHOTO_MD, write_issue

runner = CliRunner()
RED_CMYK = (0, 200, 200, 0)  # device CMYK that any conversion turns into a clear red


def body(text: str) -> str:
    """LEAD_MD with `text` as its whole body (line 8 on)."""
    return LEAD_MD.split("+++\n\n")[0] + "+++\n\n" + text + "\n"


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few bytes whose header declares width × height grey pixels (the claim, not the payload)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def cmyk_tiff(size=(300, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("CMYK", size, RED_CMYK).save(buf, format="TIFF", compression="tiff_lzw")
    return buf.getvalue()


def refused(issue: Path, tmp_path: Path) -> str:
    """Build through the CLI, expect a clean exit 2 and no output; return the one-line error."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), "--format", "pdf"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output + result.stderr
    assert result.exit_code == 2, result.stderr
    written = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".lock-")] if out.exists() else []
    assert written == []
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    return last


def is_red(rgb) -> bool:
    r, g, b = rgb[:3]
    return r > 180 and g < 120 and b < 120


# --- 6: images are known by their content ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiff_build(tmp_path_factory):
    """The tiny issue with its photo a CMYK TIFF saved as images/p.png, built as PDF and EPUB once."""
    root = tmp_path_factory.mktemp("tiff")
    issue = write_issue(root)
    (issue / "images" / "p.png").write_bytes(cmyk_tiff())
    out = root / "out"
    result = runner.invoke(app, ["build", str(issue), "--out", str(out), "--format", "pdf", "--format", "epub"])
    return issue, out, result


def test_cmyk_tiff_named_png_builds_with_its_photo(tiff_build):
    issue, out, result = tiff_build
    assert result.exit_code == 0, result.stderr
    assert "W500" not in result.stderr and "Failed to load image" not in result.stderr
    pdf_path = next(out.glob("*.pdf"))
    with pikepdf.open(pdf_path) as pdf:
        photos = [x for page in pdf.pages for _, x in page.Resources.XObject.items()
                  if x.get("/Subtype") == "/Image" and (int(x.Width), int(x.Height)) == (300, 200)]
        assert len(photos) == 1
        assert photos[0].ColorSpace == "/DeviceRGB"  # the reader PDF is for screens: converted to sRGB
    doc = pdfium.PdfDocument(pdf_path)
    try:
        page = doc[0].render(scale=0.25).to_pil().convert("RGB")
    finally:
        doc.close()
    reds = sum(1 for px in page.get_flattened_data() if is_red(px))
    assert reds > 0.05 * page.width * page.height  # the photo is drawn, large, in red


def test_cmyk_tiff_reaches_the_epub_in_srgb(tiff_build):
    _, out, result = tiff_build
    with zipfile.ZipFile(next(out.glob("*.epub"))) as book:
        photos = [n for n in book.namelist() if "/images/" in n or n.startswith("OEBPS/images")]
        decoded = []
        for name in photos:
            with Image.open(io.BytesIO(book.read(name))) as im:
                decoded.append((im.mode, im.size, im.convert("RGB").getpixel((im.width // 2, im.height // 2))))
    assert any(mode == "RGB" and size == (300, 200) and is_red(px) for mode, size, px in decoded), decoded


def test_cmyk_tiff_for_the_web_and_the_press(tmp_path):
    src = tmp_path / "p.png"
    src.write_bytes(cmyk_tiff())
    photo = Photo(path=src, caption="", credit="", alt="", width_px=300, height_px=200)
    rasters = web_photos.write_photo(photo, tmp_path / "web", "p")
    with Image.open(tmp_path / rasters[0].href) as im:
        assert im.format == "WEBP" and im.mode == "RGB" and is_red(im.getpixel((150, 100)))
    press_photos.separate_photo(src, tmp_path / "p.jpg")
    with Image.open(tmp_path / "p.jpg") as im:  # already separated: the press keeps its inks
        assert im.format == "JPEG" and im.mode == "CMYK"
        assert all(abs(a - b) <= 3 for a, b in zip(im.getpixel((150, 100)), RED_CMYK))


def test_jpeg_and_png_reach_the_reader_pdf_unchanged(tmp_path):
    """Only what WeasyPrint cannot draw is converted: outputs of ordinary photos stay byte-identical."""
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (10, 120, 200)).save(buf, fmt)
        assert images.for_screen_pdf(buf.getvalue()) == buf.getvalue()
    tiff = cmyk_tiff((40, 30))
    once = images.for_screen_pdf(tiff)
    assert once == images.for_screen_pdf(tiff)  # deterministic
    with Image.open(io.BytesIO(once)) as im:
        assert (im.format, im.mode) == ("PNG", "RGB")


def test_an_image_of_another_format_is_refused_with_its_format(make_issue, tmp_path):
    issue = make_issue()
    Image.new("RGB", (300, 200), (128, 128, 128)).save(issue / "images" / "p.png", format="BMP")
    last = refused(issue, tmp_path)
    assert "photo.md:5:" in last
    assert "image 'images/p.png' cannot be read: it is a BMP file: expected JPEG, PNG, TIFF, WebP or GIF" in last


def test_preflight_names_format_and_misnamed_file(make_issue):
    issue = make_issue({"articles/lead.md": LEAD_MD.replace("+++\n\n", '\n[[photos]]\nfile = "images/q.png"\n'
                                                                        'caption = "现场。"\n+++\n\n', 1)})
    (issue / "images" / "p.png").write_bytes(cmyk_tiff())
    Image.new("RGB", (30, 20)).save(issue / "images" / "q.png", format="BMP")
    found = {(f.code, f.where.rsplit("/", 1)[-1]): f.message for f in preflight(issue)}
    assert found[("W410", "photo.md:5")] == "image 'images/p.png' is named .png but holds a TIFF image"
    assert "it is a BMP file" in found[("E411", "lead.md:8")]


# --- 11: invisible characters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("files, where, expect", [
    ({"articles/lead.md": LEAD_MD.replace("第一段正文", "第一段\u202e正文")}, "lead.md:8:",
     "column 4: invisible character U+202E (RIGHT-TO-LEFT OVERRIDE): a bidi control"),
    ({"articles/lead.md": LEAD_MD.replace("主题写在", "主题\u2067写在")}, "lead.md:3:",
     "column 12: invisible character U+2067 (RIGHT-TO-LEFT ISOLATE): a bidi control"),
    ({"articles/lead.md": LEAD_MD.replace("主题写在", "主题\u200b写在")}, "lead.md:3:",
     "invisible character U+200B (ZERO WIDTH SPACE): an invisible format character"),
    ({"articles/lead.md": LEAD_MD.replace("第一段正文", "第一段\u200d正文")}, "lead.md:8:",
     "invisible character U+200D (ZERO WIDTH JOINER)"),  # between Han characters it joins nothing
    ({"articles/photo.md": PHOTO_MD.replace('credit = "陆新 钱垒"', 'caption = "说明\\u2066文字"')},
     "photo.md:6: photos[0].caption:", "invisible character U+2066 (LEFT-TO-RIGHT ISOLATE)"),
    ({"articles/lead.md": body("第一段&#x202E;正文。")}, "lead.md:8:",
     "column 4: character reference &#x202E; is invisible character U+202E"),
], ids=["rlo-body", "rli-title", "zwsp-title", "zwj-han", "toml-escape", "html-entity"])
def test_invisible_characters_are_refused(make_issue, tmp_path, files, where, expect):
    last = refused(make_issue(files), tmp_path)
    assert where in last and expect in last, last
    assert "\u202e" not in last and "\u2067" not in last  # the message never carries the control itself


def test_joiners_inside_emoji_and_joining_scripts_are_kept():
    for text in ("👩\u200d💻", "❤\ufe0f\u200d🔥", "می\u200cخواهم", "Auf\u200clage"):
        assert textcheck.invisible_characters(text) == [], text
    assert textcheck.invisible_characters("中\u200d文 a\u200d b\u00ad c\ufeffd\U000e0041") == [1, 5, 8, 11, 13]


def test_preflight_lists_every_invisible_character(make_issue):
    issue = make_issue({"articles/lead.md": LEAD_MD.replace("主题写在", "主题\u200b写在")
                        .replace("第二段正文", "第二段\u202d正文")})
    findings = preflight(issue)
    found = [(f.where.rsplit("/", 1)[-1], f.message) for f in findings if f.code == "E130"]
    assert [w for w, _ in found] == ["lead.md:3", "lead.md:10"]
    assert "U+202D (LEFT-TO-RIGHT OVERRIDE)" in found[1][1]
    assert not [f for f in findings if f.code == "E100" and f.where.endswith("lead.md:3")]  # said once


# --- 12: NUL bytes ----------------------------------------------------------------------------------------------

def test_nul_byte_names_file_line_and_byte_offset(make_issue, tmp_path):
    text = LEAD_MD.replace("第一段正文", "第一段\0正文")
    issue = make_issue({"articles/lead.md": text})
    offset = text.encode("utf-8").index(b"\0")
    last = refused(issue, tmp_path)
    assert f"lead.md:8: NUL byte (0x00) at byte offset {offset} (line 8, byte 10 of the line): expected UTF-8 " \
           "text" in last, last
    assert "U+FFFD" not in last


def test_utf16_is_recognised_by_its_nul_bytes(make_issue, tmp_path):
    issue = make_issue()
    (issue / "issue.toml").write_bytes((issue / "issue.toml").read_text(encoding="utf-8").encode("utf-16-le"))
    last = refused(issue, tmp_path)
    assert "issue.toml:1: NUL byte (0x00) at byte offset 1" in last and "looks like UTF-16" in last


def test_nul_character_reference_is_refused(make_issue, tmp_path):
    last = refused(make_issue({"articles/lead.md": body("第一段&#0;正文。")}), tmp_path)
    assert "lead.md:8: column 4: character reference &#0; is a NUL character" in last


def test_preflight_reports_the_nul_byte(make_issue):
    issue = make_issue({"articles/lead.md": LEAD_MD.replace("第二段正文", "第二段\0正文")})
    found = [f for f in preflight(issue) if f.code == "E130"]
    assert [(f.where.rsplit("/", 1)[-1], f.message) for f in found] == \
        [("lead.md:10", "NUL byte (0x00) at byte 10 of the line")]


# --- 13: a pixel limit -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("width, height, megapixels", [(12_000, 12_000, 144), (30_000, 30_000, 900)])
def test_giant_image_is_refused_before_decoding(make_issue, tmp_path, width, height, megapixels):
    issue = make_issue()
    (issue / "images" / "p.png").write_bytes(png_declaring(width, height))
    last = refused(issue, tmp_path)
    assert "photo.md:5:" in last and "image 'images/p.png' cannot be read:" in last
    assert f"{megapixels} megapixels" in last and "is more than the limit of 80 megapixels" in last
    assert "DecompressionBomb" not in last


def test_pixel_limit_holds_in_every_output(tmp_path, monkeypatch):
    """The limit is one number in one module: lowered, the loader, the EPUB and the web refuse a 300×200 photo."""
    monkeypatch.setattr(images, "MAX_PIXELS", 50_000)
    issue = write_issue(tmp_path)
    with pytest.raises(InputError, match=r"300 × 200 pixels \(0.06 megapixels\) is more than the limit of 0.05"):
        load_issue(issue)
    photo = issue / "images" / "p.png"
    with pytest.raises(EpaperError, match="more than the limit"):
        epub_images.pack_image(photo)
    with pytest.raises(EpaperError, match="more than the limit"):
        web_photos.write_photo(Photo(path=photo, caption="", credit="", alt="", width_px=300, height_px=200),
                               tmp_path / "web", "p")


def test_preflight_e410_and_a_small_stand_in(make_issue):
    issue = make_issue()
    (issue / "images" / "p.png").write_bytes(png_declaring(12_000, 12_000))
    findings = preflight(issue)
    e410 = [f for f in findings if f.code == "E410"]
    assert len(e410) == 1 and e410[0].where.endswith("photo.md:5") and "144 megapixels" in e410[0].message


# --- 18: the press PDF's fonts against the declared PDF/X ------------------------------------------------------

@pytest.fixture(scope="module")
def press_pair(tmp_path_factory):
    """The tiny issue's press file written twice from one render: as WeasyPrint embeds fonts (FontFile3
    /OpenType) and as press_finish.py now writes them (bare CFF, /CIDFontType0C)."""
    root = tmp_path_factory.mktemp("press")
    issue_dir = write_issue(root)
    issue, layout, palette, strings = prepare(issue_dir)
    pages = layout_issue(issue, layout, palette, strings)
    html = print_pdf.render_html(issue, pages, layout, palette, strings, title="press", marks=True)
    job = press.render_press(html, issue, layout, pages=pages, options=press.PressOptions(per_page=False),
                             roots=[LAYOUTS, FONTS])
    try:
        mp = pytest.MonkeyPatch()
        mp.setattr(press_finish, "_bare_cff", lambda pdf: None)
        opentype = press.write_press(job, root / "opentype", issue, layout).issue_pdf
        mp.undo()
        bare = press.write_press(job, root / "bare", issue, layout).issue_pdf
    finally:
        job.close()
    return opentype, bare


def _fontfile3_kinds(path: Path) -> set[str]:
    with pikepdf.open(path) as pdf:
        kinds = set()
        for page in pdf.pages:
            for _, font in page.Resources.Font.items():
                descriptor = font.DescendantFonts[0].FontDescriptor
                if "/FontFile3" in descriptor:
                    kinds.add(str(descriptor.FontFile3.Subtype))
        return kinds


def test_check_output_catches_opentype_in_pdfx_1a(press_pair):
    opentype, bare = press_pair
    assert _fontfile3_kinds(opentype) == {"/OpenType"}
    e615 = [f for f in check_pdf(opentype) if f.code == "E615"]
    assert e615 and all("FontFile3 /OpenType, which PDF/X-1 does not allow" in f.message for f in e615)
    result = runner.invoke(app, ["check", str(opentype.parent.parent / "paper" / "2024-12-19"),
                                 "--output", str(opentype)])
    assert result.exit_code == 1 and "error E615:" in result.stderr


def test_press_embeds_bare_cff_as_pdfx_1a_allows(press_pair):
    _, bare = press_pair
    assert _fontfile3_kinds(bare) == {"/CIDFontType0C"}
    with pikepdf.open(bare) as pdf:
        assert pdf.pdf_version == "1.4" and str(pdf.docinfo.GTS_PDFXConformance) == "PDF/X-1a:2003"
    assert [f for f in check_pdf(bare) if f.severity == "error"] == []


def _largest_difference(a: Image.Image, b: Image.Image) -> int:
    assert a.size == b.size
    return max(high for _, high in ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getextrema())


def test_bare_cff_draws_the_same_glyphs(press_pair, tmp_path):
    """PDFium and poppler draw the converted file as the OpenType one, and read the same text. The programs are
    the same CFF, but FreeType anti-aliases a bare CFF a shade differently at some glyph edges (up to 9 of 255
    here); a wrong or missing glyph differs by far more than the bound (a stroke is ~200 darker than paper)."""
    renders, texts = [], []
    for path in press_pair:
        doc = pdfium.PdfDocument(path)
        try:
            page = doc[0]
            renders.append(page.render(scale=0.6).to_pil())
            texts.append(page.get_textpage().get_text_range())
        finally:
            doc.close()
    assert texts[0] == texts[1] and "主题写在这里" in texts[1]
    assert _largest_difference(*renders) <= 32
    pngs = []
    for n, path in enumerate(press_pair):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(path), str(tmp_path / f"p{n}")],
                       check=True, capture_output=True)
        pngs.append(Image.open(tmp_path / f"p{n}.png"))
    assert _largest_difference(*pngs) <= 32

