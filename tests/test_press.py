"""Press files (PDF/X for newsprint): structure read back with pikepdf, opened by poppler and PDFium.

Two renders keep it fast: the one-page sample (2024-12-19, the front page with the red 报头) as PDF/X-1a naming
IFRA26, and one inside page of 2024-12-20 as PDF/X-4 with a synthetic CMYK profile (no freely licensed
newsprint profile exists to ship, so the test makes a small, valid one).
"""

from __future__ import annotations

import dataclasses
import io
import re
import struct
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
import tinycss2
from PIL import Image, ImageCms

from epaper.build import prepare
from epaper.paths import FONTS, LAYOUTS
from epaper.checks.outputs import check_pdf
from epaper.errors import InputError
from epaper.layout.grid import MM
from epaper.layout.place import layout_issue
from epaper.render.print import press, press_audit, press_marks, press_options, press_photos, print_pdf

from .conftest import MULTI_ISSUE, REPO, SEED_ISSUE

CMYK_BLACK = (0.0, 0.0, 0.0, 1.0)


def pixels(image: Image.Image) -> list:
    """Pixel values (Pillow 12.1 renamed getdata to get_flattened_data)."""
    return list(getattr(image, "get_flattened_data", image.getdata)())
MAST_RED = (0.0, 1.0, 0.9, 0.05)


# --- a synthetic CMYK output profile (ICC v2, lut8 A2B0/B2A0 on 2-point grids) -------------------------------

def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _tag_desc(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    return b"desc\0\0\0\0" + struct.pack(">I", len(ascii_)) + ascii_ + b"\0" * 8 + b"\0\0\0" + b"\0" * 67


def _lut8(inputs: int, outputs: int, table) -> bytes:
    identity = b"".join(_s15(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    ramp = bytes(range(256))
    clut = b""
    for index in range(2 ** inputs):
        corner = [(index >> (inputs - 1 - i)) & 1 for i in range(inputs)]
        clut += bytes(table(corner))
    return (b"mft1\0\0\0\0" + bytes([inputs, outputs, 2, 0]) + identity + ramp * inputs + clut + ramp * outputs)


def synthetic_cmyk_profile(description: str = "epaper test CMYK") -> bytes:
    """A small but valid CMYK output profile; its colours are crude, which is all a structure test needs."""
    def a2b(cmyk):  # device corner → Lab (lut8 encoding: L 0..255 = 0..100, a/b offset 128)
        c, m, y, k = cmyk
        lightness = max(0.0, 95 - 25 * (c + m + y) - 65 * k)
        return [round(lightness * 2.55), 128 - 40 * c + 60 * m, 128 + 50 * y - 40 * c]

    def b2a(lab):  # Lab corner → device
        light, a, b = lab
        return [255 * (1 - a), 255 * a, 255 * b, 255 * (1 - light)]

    tags = [(b"desc", _tag_desc(description)), (b"cprt", b"text\0\0\0\0public domain test data\0"),
            (b"wtpt", b"XYZ \0\0\0\0" + _s15(0.9642) + _s15(1.0) + _s15(0.8249)),
            (b"A2B0", _lut8(4, 3, a2b)), (b"B2A0", _lut8(3, 4, b2a))]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\0" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + bytes([2, 0x10, 0, 0]) + b"prtrCMYKLab "
              + struct.pack(">6H", 2024, 12, 19, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


@pytest.fixture(scope="module")
def profile_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("icc") / "test-cmyk.icc"
    path.write_bytes(synthetic_cmyk_profile())
    assert ImageCms.ImageCmsProfile(str(path)).profile.xcolor_space.strip() == "CMYK"
    return path


# --- the two renders -----------------------------------------------------------------------------------------

def _press(issue_dir: Path, out: Path, *, page_index: int | None = None, **options):
    issue, layout, palette, strings = prepare(issue_dir)
    pages = layout_issue(issue, layout, palette, strings)
    if page_index is not None:
        issue = dataclasses.replace(issue, pages=(issue.pages[page_index],))
        pages = [pages[page_index]]
    html = print_pdf.render_html(issue, pages, layout, palette, strings, title=f"{issue.slug} press", marks=True)
    job = press.render_press(html, issue, layout, pages=pages, options=press.PressOptions(**options),
                             roots=[LAYOUTS, FONTS])
    try:
        result = press.write_press(job, out, issue, layout)
    finally:
        job.close()
    return issue, job, result


@pytest.fixture(scope="module")
def x1a(tmp_path_factory):
    return _press(SEED_ISSUE, tmp_path_factory.mktemp("press-x1a"))


@pytest.fixture(scope="module")
def x4(tmp_path_factory, profile_file):
    return _press(MULTI_ISSUE, tmp_path_factory.mktemp("press-x4"), page_index=1, profile=profile_file)


@pytest.fixture(scope="module", params=["x1a", "x4"])
def made(request):
    return request.getfixturevalue(request.param)


def press_files(result) -> list[Path]:
    return [result.issue_pdf, *result.page_pdfs]


# --- structure -----------------------------------------------------------------------------------------------

def test_render_has_no_findings(made):
    _, job, result = made
    assert job.findings == [] and result.findings == []


def test_one_file_per_page_and_the_issue(made):
    issue, _, result = made
    assert len(result.page_pdfs) == len(issue.pages)
    with pikepdf.open(result.issue_pdf) as whole:
        assert len(whole.pages) == len(issue.pages)
    for page, path in zip(issue.pages, result.page_pdfs):
        assert path.name == f"{issue.slug}.p{page.number:02d}.press.pdf"
        with pikepdf.open(path) as one:
            assert len(one.pages) == 1


def test_pdfx_1a_output_intent_names_ifra26(x1a):
    _, _, result = x1a
    for path in press_files(result):
        with pikepdf.open(path) as pdf:
            assert pdf.pdf_version == "1.4"
            intents = pdf.Root.OutputIntents
            assert len(intents) == 1
            intent = intents[0]
            assert intent.S == "/GTS_PDFX" and intent.Type == "/OutputIntent"
            assert str(intent.OutputConditionIdentifier) == "IFRA26"
            assert str(intent.RegistryName) == "http://www.color.org"
            assert "/DestOutputProfile" not in intent
            assert "12647-3" in str(intent.OutputCondition)
            info = pdf.docinfo
            assert str(info.GTS_PDFXVersion) == "PDF/X-1:2003"
            assert str(info.GTS_PDFXConformance) == "PDF/X-1a:2003"
            assert info.Trapped == "/False" and str(info.Title)
            assert "/ID" in pdf.trailer
            xmp = pdf.Root.Metadata.read_bytes()
            assert b"<pdfx:GTS_PDFXVersion>PDF/X-1:2003<" in xmp


def test_pdfx_4_embeds_the_papers_profile(x4, profile_file):
    _, _, result = x4
    for path in press_files(result):
        with pikepdf.open(path) as pdf:
            assert pdf.pdf_version == "1.6"
            intent = pdf.Root.OutputIntents[0]
            assert intent.S == "/GTS_PDFX"
            assert str(intent.OutputConditionIdentifier) == "epaper test CMYK"
            profile = intent.DestOutputProfile
            assert int(profile.N) == 4 and profile.read_bytes() == profile_file.read_bytes()
            assert "/GTS_PDFXVersion" not in pdf.docinfo  # X-4 identifies itself in XMP only
            xmp = pdf.Root.Metadata.read_bytes()
            assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4<" in xmp
            assert re.search(rb"xmpMM:DocumentID>xmp\.did:[0-9a-f-]{36}<", xmp)
            assert b"<xmpMM:RenditionClass>default<" in xmp


def test_document_id_is_reproducible(x4, tmp_path, profile_file):
    """The XMP DocumentID WeasyPrint makes random (uuid4) is derived from the file's name instead."""
    _, _, result = x4
    with pikepdf.open(result.page_pdfs[0]) as pdf:
        first = re.search(rb"xmp\.did:[0-9a-f-]{36}", pdf.Root.Metadata.read_bytes()).group()
    _, _, again = _press(MULTI_ISSUE, tmp_path, page_index=1, profile=profile_file)
    assert again.page_pdfs[0].read_bytes() == result.page_pdfs[0].read_bytes()
    with pikepdf.open(again.page_pdfs[0]) as pdf:
        assert re.search(rb"xmp\.did:[0-9a-f-]{36}", pdf.Root.Metadata.read_bytes()).group() == first


def test_press_files_do_not_depend_on_the_issue_folders_path(x1a, sample_copy, tmp_path):
    """The sample copied elsewhere presses to the same bytes (image names come from paths inside the issue)."""
    _, _, result = x1a
    _, _, moved = _press(sample_copy / SEED_ISSUE.name, tmp_path)
    assert moved.issue_pdf.read_bytes() == result.issue_pdf.read_bytes()


def test_a_failed_write_leaves_every_press_file_as_it_was(tmp_path, monkeypatch):
    """The issue's press PDF and its page PDFs change together (epaper.atomic.write_atomic_all): when a page file
    fails to write, the issue's file written before it is not moved in either, and no temporary is left."""
    issue, layout, palette, strings = prepare(SEED_ISSUE)
    pages = layout_issue(issue, layout, palette, strings)
    html = print_pdf.render_html(issue, pages, layout, palette, strings, title=f"{issue.slug} press", marks=True)
    job = press.render_press(html, issue, layout, pages=pages, roots=[LAYOUTS, FONTS])
    real = press._write_one

    def full_disk_on_page_files(job, document, target, doc_id, versions=(), page_file=False):
        if page_file:
            raise OSError(28, "No space left on device")
        real(job, document, target, doc_id, versions, page_file)

    try:
        first = press.write_press(job, tmp_path, issue, layout)
        # the inode tells a file left alone from one replaced by the same bytes
        before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()}
        monkeypatch.setattr(press, "_write_one", full_disk_on_page_files)
        with pytest.raises(OSError) as failed:
            press.write_press(job, tmp_path, issue, layout)
    finally:
        job.close()
    assert sorted(before) == sorted(p.name for p in first.outputs) and len(before) == 2
    assert failed.value.filename == str(first.page_pdfs[0])  # the error names the file that could not be written
    assert {p.name: (p.stat().st_ino, p.read_bytes()) for p in tmp_path.iterdir()} == before


def _box(page, name):
    return [float(v) for v in page.obj[name]]


def test_trim_and_bleed_boxes_on_every_page(made):
    _, _, result = made
    bleed = 3 * MM
    for path in press_files(result):
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                trim, box, media = _box(page, "/TrimBox"), _box(page, "/BleedBox"), _box(page, "/MediaBox")
                assert abs(trim[2] - trim[0] - 390 * MM) < 0.05 and abs(trim[3] - trim[1] - 545 * MM) < 0.05
                grown = [round(t + d, 2) for t, d in zip(trim, (-bleed, -bleed, bleed, bleed))]
                assert [round(v, 2) for v in box] == grown
                assert media[0] < box[0] and media[1] < box[1] and media[2] > box[2] and media[3] > box[3]
                assert "/Annots" not in page.obj  # PDF/X: no annotations on the printed area


def _operations(pdf, page):
    """(operator, operands, fill colour space, stroke colour space, in text) for a page and its form XObjects."""
    def walk(owner, resources):
        fill = stroke = "/DeviceGray"
        in_text = False
        for item in pikepdf.parse_content_stream(owner):
            if isinstance(item, pikepdf.ContentStreamInlineImage):
                yield "INLINE", [item.iimage.obj.get("/ColorSpace", item.iimage.obj.get("/CS"))], fill, stroke, in_text
                continue
            op, operands = str(item.operator), list(item.operands)
            if op == "BT":
                in_text = True
            elif op == "ET":
                in_text = False
            elif op == "cs":
                fill = str(operands[0])
            elif op == "CS":
                stroke = str(operands[0])
            elif op == "Do":
                xobj = resources.XObject[operands[0]]
                if xobj.Subtype == "/Form":
                    yield from walk(xobj, xobj.get("/Resources", resources))
            yield op, operands, fill, stroke, in_text

    yield from walk(page, page.Resources)


def test_no_rgb_anywhere(made):
    _, _, result = made
    for path in press_files(result):
        assert check_pdf(path) == [], path  # the preflight checker agrees with the scan below
        with pikepdf.open(path) as pdf:
            for page in pdf.pages:
                for op, operands, fill, stroke, _ in _operations(pdf, page):
                    assert op not in ("rg", "RG"), f"{path.name}: {operands} {op}"
                    if op in ("sc", "scn", "SC", "SCN"):
                        numbers = [v for v in operands if not isinstance(v, pikepdf.Name)]
                        assert len(numbers) != 3, f"{path.name}: {operands} {op}"
                    if op == "INLINE":
                        assert str(operands[0]) not in ("/DeviceRGB", "/RGB")
                spaces = page.Resources.get("/ColorSpace", {})
                for name, space in spaces.items():
                    family = str(space[0]) if isinstance(space, pikepdf.Array) else str(space)
                    assert family in ("/Separation", "/ICCBased"), name
                    assert family != "/ICCBased" or int(space[1].N) == 4, name
                for name, xobj in page.Resources.get("/XObject", {}).items():
                    if xobj.Subtype == "/Image":
                        assert xobj.ColorSpace == "/DeviceCMYK", name
                        assert xobj.Filter == "/DCTDecode", name
            assert b"/DeviceRGB" not in path.read_bytes()


def test_text_is_black_only_and_the_masthead_red(x1a):
    """Every glyph is drawn in 100 % K, but the 报头's red and the ad placeholder's 50 % K."""
    _, _, result = x1a
    text_colours, all_colours = set(), set()
    fill, saved = None, []
    with pikepdf.open(result.issue_pdf) as pdf:
        for op, operands, space, _, _ in _operations(pdf, pdf.pages[0]):
            if op == "q":
                saved.append(fill)
            elif op == "Q":
                fill = saved.pop()
            elif op == "scn" and space == "/DeviceCMYK":
                fill = tuple(round(float(v), 3) for v in operands)
                all_colours.add(fill)
            elif op in ("Tj", "TJ", "'", '"'):
                text_colours.add(fill)
    assert text_colours <= {CMYK_BLACK, MAST_RED, (0.0, 0.0, 0.0, 0.5)}, text_colours
    assert CMYK_BLACK in text_colours and MAST_RED in text_colours
    assert all(sum(c) <= 2.4 for c in all_colours)


def test_crop_marks_in_registration_colour_outside_the_bleed(made):
    _, _, result = made
    with pikepdf.open(result.issue_pdf) as pdf:
        page = pdf.pages[0]
        trim, box = _box(page, "/TrimBox"), _box(page, "/BleedBox")
        spaces = page.Resources.ColorSpace
        registration = [n for n, s in spaces.items() if isinstance(s, pikepdf.Array) and str(s[1]) == "/All"]
        assert len(registration) == 1 and str(spaces[registration[0]][0]) == "/Separation"
        points, stroke_space = [], None
        for op, operands, _, stroke, _ in _operations(pdf, page):
            if op in ("m", "l") and stroke == registration[0]:
                points.append(tuple(float(v) for v in operands))
                stroke_space = stroke
        assert stroke_space and len(points) == 16  # 8 marks, 2 points each
        for x, y in points:  # every point lies outside the BleedBox, on the line of a trim edge
            assert not (box[0] < x < box[2] and box[1] < y < box[3])
            on_edge_x = any(abs(x - v) < 0.01 for v in (trim[0], trim[2]))
            assert on_edge_x or any(abs(y - v) < 0.01 for v in (trim[1], trim[3]))


def test_fonts_embedded_as_the_declared_standard_allows(made):
    """Every font embedded, and in a form PDF 1.4 knows (PDF/X-1a:2003 and X-3 are PDF 1.4): CFF bare as
    FontFile3 /CIDFontType0C, a CID-keyed CFF that fontTools parses, TrueType as FontFile2; never /OpenType
    (PDF 1.6). The same for the PDF/X-4 files, which carry the same programs. `epaper check --output` agrees."""
    from fontTools.cffLib import CFFFontSet

    _, _, result = made
    for path in press_files(result):
        with pikepdf.open(path) as pdf:
            fonts = [f for page in pdf.pages for _, f in page.Resources.Font.items()]
            assert fonts
            kinds = set()
            for font in fonts:
                descendant = font.DescendantFonts[0] if font.Subtype == "/Type0" else font
                descriptor = descendant.FontDescriptor
                if descendant.Subtype == "/CIDFontType0":
                    program = descriptor.FontFile3
                    assert program.Subtype == "/CIDFontType0C", (font.BaseFont, program.get("/Subtype"))
                    cff = CFFFontSet()
                    cff.decompile(io.BytesIO(program.read_bytes()), None)
                    assert hasattr(cff.topDictIndex[0], "ROS"), font.BaseFont  # CID-keyed
                    kinds.add("cff")
                else:
                    assert descendant.Subtype == "/CIDFontType2" and "/FontFile2" in descriptor, font.BaseFont
                    kinds.add("truetype")
            assert kinds == {"cff", "truetype"}  # Noto CJK (CFF) and AR PL UKai (TrueType) are both exercised
        assert not [f for f in check_pdf(path) if f.code in ("E611", "E615")]


def test_poppler_reads_and_renders(made, tmp_path):
    issue, _, result = made
    for path in press_files(result):
        info = subprocess.run(["pdfinfo", "-box", str(path)], capture_output=True, text=True, check=True)
        assert info.stderr == "", info.stderr
        pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
        assert pages == (len(issue.pages) if path == result.issue_pdf else 1)
        assert re.search(r"^TrimBox:", info.stdout, re.M) and re.search(r"^BleedBox:", info.stdout, re.M)
        if result.variant == "pdf/x-1a":
            assert re.search(r"^PDF subtype:\s+PDF/X-1:2003", info.stdout, re.M), info.stdout
    raster = subprocess.run(["pdftoppm", "-r", "20", "-f", "1", "-l", "1", "-png", str(result.page_pdfs[0]),
                             str(tmp_path / "p")], capture_output=True, text=True, check=True)
    assert raster.stderr == ""
    png = next(tmp_path.glob("p*.png"))
    with Image.open(png) as im:
        assert im.size[0] > 250  # 390 mm + slug at 20 dpi


def test_pdfium_opens_and_renders(made):
    issue, _, result = made
    doc = pdfium.PdfDocument(result.issue_pdf)
    try:
        assert len(doc) == len(issue.pages)
        image = doc[0].render(scale=0.1).to_pil()
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255))
    finally:
        doc.close()


def test_masthead_prints_red_and_body_black(x1a, tmp_path):
    """Rasterised by poppler: the 报头 is red, body text is neutral."""
    _, _, result = x1a
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(result.issue_pdf), str(tmp_path / "r")], check=True)
    with Image.open(next(tmp_path.glob("r*.png"))) as im:
        im = im.convert("RGB")
        slug = round(press_marks.SLUG / 72 * 30)
        masthead = im.crop((slug + 20, slug + 30, slug + 200, slug + 90))
        reds = [px for px in pixels(masthead) if px[0] > 150 and px[1] < 100]
        assert len(reds) > 200
        body = im.crop((slug + 20, slug + 200, slug + 120, slug + 300))
        darks = [px for px in pixels(body) if sum(px) < 300]
        assert darks and all(max(px) - min(px) < 40 for px in darks)


# --- photos --------------------------------------------------------------------------------------------------

def test_newsprint_separation_grey_on_black_only_and_ink_limit():
    grad = Image.new("RGB", (64, 64))
    grad.putdata([(x * 4, y * 4, (x * y) % 256) for y in range(64) for x in range(64)])
    grey = Image.linear_gradient("L").resize((64, 64)).convert("RGB")
    for image in (grad, grey):
        out = press_photos.separate_newsprint(image)
        assert out.mode == "CMYK"
        assert max(sum(px) for px in pixels(out)) <= round(press_photos.TOTAL_INK * 255) + 2
    assert all(c == m == y == 0 for c, m, y, _ in pixels(press_photos.separate_newsprint(grey)))
    white, black = press_photos.separate_newsprint(Image.new("RGB", (2, 1), (255, 255, 255))), \
        press_photos.separate_newsprint(Image.new("RGB", (2, 1), (0, 0, 0)))
    assert white.getpixel((0, 0)) == (0, 0, 0, 0) and black.getpixel((0, 0)) == (0, 0, 0, 255)
    red = press_photos.separate_newsprint(Image.new("RGB", (1, 1), (200, 20, 30))).getpixel((0, 0))
    assert red[0] == 0 and red[1] > 150 and red[2] > 130  # magenta and yellow carry the red, no cyan


def test_separated_photo_is_cmyk_jpeg_resized_and_flattened(tmp_path):
    src = tmp_path / "a.png"
    Image.new("RGBA", (400, 300), (255, 0, 0, 0)).save(src)  # fully transparent: must come out white
    dst = tmp_path / "a.jpg"
    press_photos.separate_photo(src, dst, size=(200, 150))
    with Image.open(dst) as im:
        assert im.format == "JPEG" and im.mode == "CMYK" and im.size == (200, 150)
        assert max(max(px) for px in pixels(im)) < 8


def _images(page) -> list:
    return list(page.images.items()) if not hasattr(page, "get_images") else list(page.get_images().items())


def test_photos_are_downsampled_to_300_ppi(x4):
    """Page 2 of 2024-12-20 places 1,600–1,800 px photos at about 133 mm: 300 ppi needs fewer pixels."""
    issue, _, result = x4
    originals = {p.path.name: p.width_px for a in issue.articles.values() for p in a.photos}
    with pikepdf.open(result.issue_pdf) as pdf:
        widths = [int(image.Width) for _, image in _images(pdf.pages[0])]
    assert widths and all(w < max(originals.values()) for w in widths)
    assert all(w >= 1000 for w in widths)  # 133 mm at 300 ppi is 1,571 px


# --- options and the colour audit -----------------------------------------------------------------------------

def test_bad_profiles_are_input_errors(tmp_path, profile_file):
    rgb = tmp_path / "srgb.icc"
    rgb.write_bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    with pytest.raises(InputError, match="not CMYK"):
        press_options.resolve(press_options.PressOptions(profile=rgb))
    with pytest.raises(InputError, match="ICC"):
        press_options.resolve(press_options.PressOptions(profile=tmp_path / "missing.icc"))
    with pytest.raises(InputError, match="PDF/X-4 needs"):
        press_options.resolve(press_options.PressOptions(variant="pdf/x-4"))
    with pytest.raises(InputError, match="registered"):
        press_options.resolve(press_options.PressOptions(condition="FOGRA39"))
    assert press_options.resolve(press_options.PressOptions()) == ("pdf/x-1a", "IFRA26", None)
    assert press_options.resolve(press_options.PressOptions(variant="pdf/x-3"))[0] == "pdf/x-3"
    variant, condition, data = press_options.resolve(press_options.PressOptions(profile=profile_file))
    assert variant == "pdf/x-4" and condition == "epaper test CMYK" and data == profile_file.read_bytes()


def test_colour_audit_names_rgb_left_in_a_layout():
    from weasyprint import HTML

    html = ('<html><body style="color: device-cmyk(0 0 0 1)"><p class="x" style="color: #123456">a</p>'
            '<div class="y" style="border: 1pt solid red; height: 10pt"></div>'
            '<div class="z" style="background: device-cmyk(0 0 0 1 / 0.5); height: 10pt"></div></body></html>')
    findings = press_audit.audit_colours(HTML(string=html).render())
    text = "\n".join(map(str, findings))
    assert {f.code for f in findings} == {"E520"}
    assert "<p class='x'>" in text and "color #123456" in text
    assert "<div class='y'>" in text and "border-top-color #ff0000" in text
    assert "<div class='z'>" in text and "translucent" in text


def test_a_colour_missing_from_press_css_is_an_error(tmp_path):
    """A paper layout that adds an RGB colour without its press.css line: the render audit names it (E520)."""
    issue, layout, palette, strings = prepare(SEED_ISSUE)
    pages = layout_issue(issue, layout, palette, strings)
    html = print_pdf.render_html(issue, pages, layout, palette, strings, title="t")
    html = html.replace("</body>", "<style>.rule-h { background: #555 }</style></body>")
    job = press.render_press(html, issue, layout, pages=pages, roots=[LAYOUTS, FONTS])
    job.close()
    assert [(f.code, f.where) for f in job.findings] == [("E520", "page 1, <div class='rule-h'>")]
    assert "background-color #555555" in job.findings[0].message


def test_press_css_restates_every_colour_of_print_css():
    """Static twin of the render audit: each print.css rule that sets a colour has its selector in press.css."""
    def colour_rules(path: Path) -> dict[str, set[str]]:
        rules = tinycss2.parse_stylesheet(path.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True)
        out: dict[str, set[str]] = {}
        for rule in rules:
            if rule.type != "qualified-rule":
                continue
            selectors = [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
            for decl in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True):
                if decl.type != "declaration":
                    continue
                value = tinycss2.serialize(decl.value)
                if re.search(r"#[0-9a-fA-F]{3,6}\b|\b(rgb|hsl)a?\(|\b(red|black|white|gr[ae]y)\b|device-cmyk|inherit",
                             value):
                    for s in selectors:
                        out.setdefault(s, set()).add(decl.lower_name)
        return out

    printed = colour_rules(REPO / "layouts" / "base" / "print.css")
    pressed = colour_rules(REPO / "layouts" / "base" / "press.css")
    assert printed
    for selector, props in printed.items():
        assert selector in pressed, f"press.css has no colour for {selector}"
