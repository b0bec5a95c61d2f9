"""The reader PDF (tagged PDF/UA-1) of every sample, built by the real build: structure, reading order, pdfua."""

from __future__ import annotations

import ctypes
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pdfua
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from epaper.build import BuildResult, prepare
from epaper.paths import FONTS, LAYOUTS
from epaper.layout.types import Module
from epaper.render.print import print_pdf, tagging
from epaper.strings import Strings

from .conftest import MULTI_ISSUE, REPO, SEED_ISSUE

STRESS_ISSUE = REPO / "tests" / "fixtures" / "stress" / "2024-12-21"
PAINT = {"Tj", "TJ", "'", '"', "Do", "f", "F", "f*", "S", "s", "B", "B*", "b", "b*", "sh", "INLINE IMAGE"}


@dataclass
class Reader:
    result: BuildResult
    pdf: Path
    strings: Strings


@pytest.fixture(scope="module", params=["seed", "marks", "multi", "stress", "jump"])
def reader(request, sample_pdf) -> Reader:
    if request.param == "jump":  # the 4-page sample with a story continued from page 2 on page 3
        folder = request.getfixturevalue("jumped_sample")[1]
    else:
        folder = {"seed": SEED_ISSUE, "marks": SEED_ISSUE, "multi": MULTI_ISSUE, "stress": STRESS_ISSUE}[request.param]
    # marks: the seed with bleed and crop marks (epaper build --marks), which must be artifacts too
    if request.param in ("seed", "multi", "stress"):
        result = sample_pdf(request.param)[0]  # built once per run (conftest.py)
    elif request.param == "jump":
        result = request.getfixturevalue("jumped_sample")[0]
    else:
        result = request.getfixturevalue("marked_seed_pdf")[0]  # built once per run (conftest.py)
    if request.param == "jump":
        assert any(m.fragment for p in result.pages for m in p.modules), "the jumping sample no longer jumps"
    return Reader(result, next(p for p in result.outputs if p.suffix == ".pdf"), prepare(folder)[3])


# --- what each module says, from the model -------------------------------------------------------------------

def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def headline(m: Module) -> list[str]:
    a = m.article
    return [a.title] if m.fragment and m.fragment.part == 2 else [a.kicker, a.title, a.subtitle]


def captions(m: Module, strings: Strings) -> list[str]:
    a = m.article
    if m.fragment and m.fragment.part == 2:
        return []
    out = []
    for photo in a.photos[:1]:
        caption = photo.caption if a.kind == "article" else " ".join(a.paragraphs)
        credit = strings.photo_credit(photo.credit)
        out.append(f"{caption}{strings['byline_join']}{credit}" if caption and credit else caption or credit)
    return out


def body(m: Module, strings: Strings) -> list[str]:
    """Subheads and paragraphs in order, the byline run into the first paragraph."""
    if m.article.kind != "article":
        return []
    out, lead = [], strings.byline(m.article)
    for block in m.article.body:
        out.append(lead + block.text if block.kind == "p" and lead else block.text)
        lead = "" if block.kind == "p" else lead
    return out


def jump_text(m: Module, strings: Strings) -> str:
    f = m.fragment
    if f is None:
        return ""
    return strings.fmt("jump_to", page=f.jump_to) if f.part == 1 else strings.fmt("jump_from", page=f.jump_from)


def check_order(reader: Reader, pages: list[str], *, furniture: bool = True) -> None:
    """Each page's text ends with its modules' texts, whole and in plan order: furniture comes first (unless
    `furniture` is False: then the text is the stories' alone), and nothing of another story or another column
    comes between. A story's two parts meet where it jumped."""
    carried: dict[str, str] = {}  # article id → body text still to come on a later page
    for layout_page, text in zip(reader.result.pages, pages):
        text, expected = squeeze(text), []
        for m in layout_page.modules:
            head = squeeze("".join(headline(m) + captions(m, reader.strings)))
            rest = squeeze("".join(body(m, reader.strings)))
            jump = squeeze(jump_text(m, reader.strings))
            if m.fragment and m.fragment.part == 1:
                # where the part ends is the layout's business: whatever stands between headline and jump line
                # must be the body's beginning, and the continuation must hold the rest
                start = text.find(head + rest[:20])
                end = text.find(jump, start)
                assert start >= 0 and end > start, f"page {layout_page.page.number}: '{m.article.id}' not found"
                shown = text[start + len(head):end]
                assert rest.startswith(shown), f"'{m.article.id}': part 1 is not the body's beginning"
                carried[m.article.id] = rest[len(shown):]
                expected.append(head + shown + jump)
            elif m.fragment:
                expected.append(head + jump + carried.pop(m.article.id))
            else:
                expected.append(head + rest)
        joined = "".join(expected)
        assert text.endswith(joined) and (furniture or text == joined), (
            f"page {layout_page.page.number}: the stories are not whole and in plan order; "
            f"first difference at {_first_difference(text, joined)}")
    assert not carried


def _first_difference(text: str, joined: str) -> str:
    tail = text[len(text) - len(joined):] if len(text) >= len(joined) else text
    for i, (a, b) in enumerate(zip(tail, joined)):
        if a != b:
            return f"…{joined[max(0, i - 15):i]}[{b!r} expected, {a!r} found]"
    return "the end"


def test_pdfium_reads_each_story_whole_in_plan_order(reader):
    doc = pdfium.PdfDocument(reader.pdf)
    try:
        check_order(reader, [doc[i].get_textpage().get_text_range() for i in range(len(doc))])
    finally:
        doc.close()


def test_the_structure_tree_reads_each_story_whole_in_plan_order(reader):
    """What a screen reader reads: the marked content of the tree's elements in tree order (PDFium gives the text
    of each marked-content id), and nothing else: the furniture is not in the tree."""
    doc = pdfium.PdfDocument(reader.pdf)
    try:
        by_mcid: list[dict[int, str]] = []
        for i in range(len(doc)):
            page, texts = doc[i], defaultdict(str)
            textpage = page.get_textpage()
            for obj in page.get_objects(max_depth=1):
                if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                    n = pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, None, 0)
                    buf = ctypes.create_string_buffer(n)
                    utf16 = ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))
                    pdfium_c.FPDFTextObj_GetText(obj.raw, textpage.raw, utf16, n)
                    texts[pdfium_c.FPDFPageObj_GetMarkedContentID(obj.raw)] += buf.raw[:n - 2].decode("utf-16-le")
            by_mcid.append(texts)
    finally:
        doc.close()
    with pikepdf.open(reader.pdf) as pdf:
        index = {p.objgen: n for n, p in enumerate(pdf.pages)}
        pages = [""] * len(pdf.pages)

        def read(elem: pikepdf.Dictionary) -> None:
            for k in kids(elem):
                if isinstance(k, int):
                    n = index[elem.Pg.objgen]
                    pages[n] += by_mcid[n][int(k)]
                elif isinstance(k, pikepdf.Dictionary) and k.get("/Type") != "/OBJR":
                    read(k)

        read(pdf.Root.StructTreeRoot)
    check_order(reader, pages, furniture=False)


def test_poppler_reads_each_story_whole_in_plan_order(reader):
    """pdftotext -raw keeps the content order we wrote; its default mode re-sorts text by position and so
    interleaves the columns of any multi-column page, whatever the file says (see README, Reader PDF)."""
    text = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(reader.pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    check_order(reader, text.split("\f")[:len(reader.result.pages)])


# --- structure ------------------------------------------------------------------------------------------------

def kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    k = elem.get("/K")
    return [] if k is None else list(k) if isinstance(k, pikepdf.Array) else [k]


def elements(elem: pikepdf.Object) -> list[pikepdf.Dictionary]:
    return [k for k in kids(elem) if isinstance(k, pikepdf.Dictionary) and k.get("/Type") not in ("/MCR", "/OBJR")]


def expected_tags(m: Module) -> list[str]:
    """The Art's blocks: 引题 P, 主题 H1, 副题 P, photo Figure, caption Caption, then one P per paragraph (H2 per
    subhead) on this page, and the jump line's P."""
    a, part2 = m.article, bool(m.fragment and m.fragment.part == 2)
    heads = ((a.title, "/H1"),) if part2 else ((a.kicker, "/P"), (a.title, "/H1"), (a.subtitle, "/P"))
    tags = [tag for text, tag in heads if text]
    tags += ["/Figure"] * len(m.photos) + ["/Caption" for b in m.boxes if b.kind == "caption"]
    blocks = range(len(a.body)) if a.kind == "article" and not m.fragment else sorted(
        {sl.para for b in m.boxes if b.kind == "body" for sl in b.lines if not sl.href})
    body = ["/H2" if a.body[i].kind == "h" else "/P" for i in blocks]
    jump = ["/P"] if m.fragment else []
    return tags + (jump + body if part2 else body + jump)


def test_catalog_metadata_and_xmp(reader):
    with pikepdf.open(reader.pdf) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == reader.result.issue.paper.language
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1"
        assert meta["dc:title"] == str(pdf.docinfo.Title)
        assert "/RoleMap" not in pdf.Root.StructTreeRoot  # standard types only


def test_one_article_per_story_in_plan_order_with_its_blocks(reader):
    with pikepdf.open(reader.pdf) as pdf:
        (document,) = elements(pdf.Root.StructTreeRoot)
        assert document.S == "/Document"
        arts = elements(document)
        assert all(a.S == "/Art" for a in arts)
        for p in reader.result.pages:  # the modules are in plan order, the lead first; continuations come last
            own = [m.dom_id for m in p.modules if not (m.fragment and m.fragment.part == 2)]
            assert own == list(p.page.articles)
            assert all(m.fragment and m.fragment.part == 2 for m in p.modules[len(own):])
        modules = [(n, m) for n, p in enumerate(reader.result.pages) for m in p.modules]
        assert len(arts) == len(modules)
        page_index = {p.objgen: n for n, p in enumerate(pdf.pages)}
        for art, (n, m) in zip(arts, modules):
            assert page_index[art.Pg.objgen] == n, m.dom_id
            blocks = elements(art)
            assert [str(b.S) for b in blocks] == expected_tags(m), m.dom_id
            for b in blocks:  # blocks hold content directly: no Span or Div left inside
                assert all(e.S == "/Link" for e in elements(b)), m.dom_id
            for figure, photo in zip((b for b in blocks if b.S == "/Figure"), m.photos):
                fallback = " ".join(m.article.paragraphs) if m.article.kind == "photo-news" else m.article.title
                assert str(figure.Alt) == (photo.photo.alt or fallback) != ""
                r, top = photo.rect, float(pdf.pages[n].TrimBox[3])  # the layout BBox, in user space
                assert [float(v) for v in figure.A.BBox] == pytest.approx([r.x, top - r.y - r.h, r.x + r.w, top - r.y],
                                                                          abs=0.01)


def test_headings_start_at_h1_and_never_skip_a_level(reader):
    with pikepdf.open(reader.pdf) as pdf:
        levels = [int(str(b.S)[2]) for art in elements(elements(pdf.Root.StructTreeRoot)[0]) for b in elements(art)
                  if re.fullmatch(r"/H\d", str(b.S))]
    assert levels and levels[0] == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:]))


def test_every_mark_is_in_the_tree_or_an_artifact(reader):
    """Every painting operator sits in marked content; MCIDs run 0…n-1 in stream order and the ParentTree maps each
    to the element of a story that holds it, all else being artifacts; no marked content is nested (no artifact
    inside tagged content, or the reverse); every link annotation is in the tree with a description."""
    with pikepdf.open(reader.pdf) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = list(root.ParentTree.Nums)
        tree = dict(zip((int(k) for k in nums[::2]), nums[1::2]))
        annots = 0
        for page in pdf.pages:
            parents = tree[int(page.obj.StructParents)]
            depth, mcids, tags = 0, [], 0
            for ins in pikepdf.parse_content_stream(page):
                op = str(ins.operator)
                if op in ("BDC", "BMC"):
                    depth += 1
                    assert depth == 1, "nested marked content"
                    if op == "BDC" and isinstance(ins.operands[1], pikepdf.Dictionary) and "/MCID" in ins.operands[1]:
                        mcids.append(int(ins.operands[1].MCID))
                    else:
                        assert ins.operands[0] == "/Artifact"
                elif op == "EMC":
                    depth -= 1
                elif op in PAINT:
                    assert depth == 1, f"{op} outside marked content"
            assert mcids == list(range(len(parents)))
            for mcid, elem in zip(mcids, parents):
                assert mcid in [int(k) for k in kids(elem) if isinstance(k, int)]
                while elem.get("/Type") == "/StructElem" and elem.S != "/Art":
                    elem = elem.P
                assert elem.get("/S") == "/Art", "content outside the stories (报头, 报眉, zones) is tagged"
            for annot in page.get("/Annots", []):
                annots += 1
                assert page.obj.Tabs == "/S" and annot.Subtype == "/Link" and str(annot.Contents)
                link = tree[int(annot.StructParent)]
                assert link.S == "/Link" and link.P.S == "/P"
                assert any(isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/OBJR"
                           and k.Obj.objgen == annot.objgen for k in kids(link))
        assert int(root.ParentTreeNextKey) == len(pdf.pages) + annots


def test_jump_lines_are_links_to_the_other_part(reader):
    jumps = [(n, m) for n, p in enumerate(reader.result.pages) for m in p.modules if m.fragment]
    with pikepdf.open(reader.pdf) as pdf:
        page_of = {p.objgen: n for n, p in enumerate(pdf.pages)}
        dests = pikepdf.NameTree(pdf.Root.Names.Dests) if "/Names" in pdf.Root else {}
        links = [(n, a) for n, p in enumerate(pdf.pages) for a in p.get("/Annots", []) if a.Subtype == "/Link"]
        assert len(links) == len(jumps)
        for (n, annot), (page, m) in zip(links, jumps):
            dest = annot.Dest
            dest = dests[str(dest)] if isinstance(dest, pikepdf.String) else dest
            other = m.fragment.jump_to if m.fragment.part == 1 else m.fragment.jump_from
            assert n == page and reader.result.pages[page_of[dest[0].objgen]].page.number == other
            assert str(annot.Contents) == jump_text(m, reader.strings)


def test_pdfua_checker_finds_nothing(reader):
    report = pdfua.validate(str(reader.pdf))
    assert not report.findings, [(f.rule_id, f.message) for f in report.findings]


def test_tagging_leaves_every_pixel_where_it_was(tmp_path, sample_pdf):
    """The reader PDF draws exactly what WeasyPrint draws untagged from the same HTML (both rasterised by PDFium)."""
    issue, layout, palette, strings = prepare(SEED_ISSUE)
    result = sample_pdf("seed")[0]  # the seed's build with the default options, once per run (conftest.py)
    html = print_pdf.render_html(issue, result.pages, layout, palette, strings, title="plain")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(print_pdf.pdf_bytes(print_pdf.render_document(html, issue.root, [issue.root, LAYOUTS, FONTS]),
                                          tagged=False))
    images = []
    for pdf in (next(p for p in result.outputs if p.suffix == ".pdf"), plain):
        doc = pdfium.PdfDocument(pdf)
        try:
            images.append([doc[i].render(scale=2).to_pil().tobytes() for i in range(len(doc))])
        finally:
            doc.close()
    assert images[0] == images[1]


def test_tagging_a_tagged_file_again_changes_nothing(reader):
    """The contract assemble.py relies on: tag_stories on its own output (or on joined pages) is a no-op."""
    def dump(elem: pikepdf.Object) -> object:
        if not isinstance(elem, pikepdf.Dictionary):
            return int(elem)
        if elem.get("/Type") == "/OBJR":
            return ("OBJR", elem.Obj.objgen)
        return (str(elem.get("/S")), str(elem.get("/Alt", "")), repr(elem.get("/A")), [dump(k) for k in kids(elem)])

    with pikepdf.open(reader.pdf) as pdf:
        before = (dump(pdf.Root.StructTreeRoot), [p.Contents.read_bytes() for p in pdf.pages],
                  repr(pdf.Root.StructTreeRoot.ParentTree), [repr(p.get("/Annots")) for p in pdf.pages])
        tagging.tag_stories(pdf)
        after = (dump(pdf.Root.StructTreeRoot), [p.Contents.read_bytes() for p in pdf.pages],
                 repr(pdf.Root.StructTreeRoot.ParentTree), [repr(p.get("/Annots")) for p in pdf.pages])
    assert before == after
