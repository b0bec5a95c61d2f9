"""A tagged PDF from WeasyPrint's pdf/ua-1 variant in, its structure tree cut down to the stories out (in place).

WeasyPrint 70 tags every box: the page's <section> becomes a Sect, every column box a Div, every line and text
run a Span, and the masthead's text is tagged like a story's. tag_stories() keeps what a reader needs:

    StructTreeRoot → Document → Art (one per <article>, in document order)
                                 → H1 | H2 | P | Figure | Caption (in document order)
                                    → marked-content ids, and in a P a Link (its ids and its annotations' OBJRs)

What it assumes (all true of WeasyPrint 70's output for epaper's print HTML, one page or many, and of a file
joined from such pages by appending their Art elements to one Document):
- every marked-content sequence with an MCID is `/Tag <</MCID n>> BDC … EMC` in a page's content stream (not in a
  form XObject; no property-list names), and its struct element, or an MCR, names the page with /Pg;
- a story's content is inside an Art element; anything outside every Art is page furniture (报头, 报眉, zones);
- inside an Art, content that is in no H1–H6, P, Figure or Caption continues the block before it: that is how
  print.html.jinja writes the part of a paragraph that the composer carried into the next column (a <div>);
- the only annotations in the structure are links, inside Link elements (an OBJR among the Link's kids).

What it guarantees:
- MCIDs are renumbered per page from 0 in content-stream order; furniture becomes `/Artifact BMC … EMC`;
- the annotations of one Link that lead to the same place on one page become one (see _absorbed);
- the ParentTree is rebuilt (rebuild_parent_tree) as one flat /Nums array: key i is the i-th page (its
  /StructParents set to i), then one key per link annotation in reading order (its /StructParent), and
  ParentTreeNextKey follows the last;
- a Figure's layout BBox is in user space (WeasyPrint writes CSS px from the top), with /Placement /Block;
- the tree holds standard PDF 1.7 types only: no RoleMap, ClassMap or IDTree is written (one left by an input is
  dropped), and each element has /P and /Pg;
- running it again, or on a file joined from pages it has already processed, changes nothing but the ParentTree
  keys (a page's content stream is rewritten only when its marks change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import pikepdf
from pikepdf import Array, Dictionary, Name

BLOCKS = frozenset({"/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/P", "/Figure", "/Caption"})

MarkRef = tuple[tuple[int, int], int]  # (the page's objgen, the MCID it had)
_BDC, _BMC = pikepdf.Operator("BDC"), pikepdf.Operator("BMC")


@dataclass
class _Node:
    """A struct element that stays, with its new kids: child nodes, marked content refs and OBJRs."""

    elem: pikepdf.Dictionary
    kids: list[_Node | MarkRef | pikepdf.Dictionary] = field(default_factory=list)


def _kids(elem: pikepdf.Object) -> list[pikepdf.Object]:
    k = elem.get("/K")
    return [] if k is None else list(k) if isinstance(k, Array) else [k]


def _is(obj: pikepdf.Object, kind: str) -> bool:
    return isinstance(obj, Dictionary) and obj.get("/Type") == kind


class _Collect:
    """Walks WeasyPrint's tree and records which kept element each marked-content sequence belongs to."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.stories: list[_Node] = []
        self.owner: dict[MarkRef, _Node | None] = {}  # None: furniture, made an artifact

    def walk(self, elem: pikepdf.Dictionary, story: _Node | None, block: _Node | None,
             last: list[_Node | None]) -> None:
        """`block`: the kept element receiving content here; `last`: the story's latest block, for continuations."""
        kind = str(elem.get("/S"))
        if kind == "/Art" and story is None:
            story, block, last = _Node(elem), None, [None]
            self.stories.append(story)
        elif story is not None and kind in BLOCKS and block is None:
            block = _Node(elem)
            story.kids.append(block)
            last[0] = block
        elif story is not None and kind == "/Link" and block is not None:
            link = _Node(elem)
            block.kids.append(link)
            block = link
        page = elem.get("/Pg")
        for kid in _kids(elem):
            if isinstance(kid, int) or _is(kid, "/MCR"):
                mcid, pg = (int(kid), page) if isinstance(kid, int) else (int(kid.MCID), kid.get("/Pg", page))
                target = (block or last[0]) if story is not None else None
                if story is not None and target is None:  # a story's content before any block: a paragraph
                    target = last[0] = _Node(self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P,
                                                                               Pg=page)))
                    story.kids.append(target)
                self.owner[(pg.objgen, mcid)] = target
                if target is not None:
                    target.kids.append((pg.objgen, mcid))
            elif _is(kid, "/OBJR"):
                if block is None or str(block.elem.get("/S")) != "/Link":
                    raise ValueError("an annotation outside a story's Link element: the reader PDF cannot tag it")
                block.kids.append(kid)
            elif isinstance(kid, Dictionary):
                self.walk(kid, story, block, last)


def _renumber(pdf: pikepdf.Pdf, page: pikepdf.Page, owner: dict[MarkRef, _Node | None],
              new_ids: dict[MarkRef, int]) -> None:
    """Rewrite one page's marked content: story content gets MCIDs 0, 1, … in stream order, furniture becomes
    artifacts. The stream is written again only if something changed."""
    out: list[pikepdf.ContentStreamInstruction] = []
    key, count, changed = page.obj.objgen, 0, False
    for ins in pikepdf.parse_content_stream(page):
        if ins.operator == _BDC:
            tag, props = ins.operands
            if isinstance(props, Dictionary) and "/MCID" in props:
                ref = (key, int(props.MCID))
                if owner.get(ref) is None:  # furniture, or content WeasyPrint left out of its tree (margin boxes)
                    ins, changed = pikepdf.ContentStreamInstruction([Name.Artifact], _BMC), True
                else:
                    new_ids[ref], count, changed = count, count + 1, changed or count != ref[1]
                    ins = pikepdf.ContentStreamInstruction([tag, Dictionary(MCID=new_ids[ref])], _BDC)
        out.append(ins)
    if changed:
        page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(out))


def _absorbed(kids: Array, objr: pikepdf.Dictionary) -> bool:
    """WeasyPrint 70 gives every inline box inside an <a> an annotation of its own (a jump line's three pieces
    make three links). An annotation on the page of the Link's first one and to the same place is merged into
    that one (whose Rect grows to cover both) and removed from the page; False if it goes elsewhere."""
    first = next((k for k in kids if _is(k, "/OBJR")), None)
    if first is None:
        return False
    a, b = first.Obj, objr.Obj
    if first.Pg.objgen != objr.Pg.objgen or repr(a.get("/Dest")) != repr(b.get("/Dest")) \
            or repr(a.get("/A")) != repr(b.get("/A")):
        return False
    r, q = [float(v) for v in a.Rect], [float(v) for v in b.Rect]
    a.Rect = Array([min(r[0], q[0]), min(r[1], q[1]), max(r[2], q[2]), max(r[3], q[3])])
    objr.Pg.Annots = Array([x for x in objr.Pg.Annots if x.objgen != b.objgen])
    return True


def _fix_bbox(figure: pikepdf.Dictionary) -> None:
    """WeasyPrint 70 writes a Figure's layout BBox in CSS px from the page's top-left corner; PDF wants points in
    user space, from the bottom. Placement /Block (true of our photos) marks a BBox already converted."""
    attrs = figure.get("/A")
    if not isinstance(attrs, Dictionary) or "/BBox" not in attrs or "/Placement" in attrs:
        return
    x1, y1, x2, y2 = (float(v) * 0.75 for v in attrs.BBox)  # 96 CSS px to 72 pt
    top = float(figure.Pg.get("/TrimBox", figure.Pg.MediaBox)[3])  # WeasyPrint's user space: y up from the trim's foot
    attrs.BBox = Array([round(v, 3) for v in (x1, top - y2, x2, top - y1)])
    attrs.Placement = Name.Block


def tag_stories(pdf: pikepdf.Pdf) -> None:
    """Reduce the structure tree to stories, make furniture artifacts and rebuild the ParentTree; see the module."""
    root = pdf.Root.StructTreeRoot
    collect = _Collect(pdf)
    for kid in _kids(root):
        collect.walk(kid, None, None, [None])
    new_ids: dict[MarkRef, int] = {}
    for page in pdf.pages:
        _renumber(pdf, page, collect.owner, new_ids)

    def write(node: _Node, parent: pikepdf.Dictionary) -> bool:
        """Give the element its new kids; False when it has none (an empty line's block is dropped)."""
        node.elem.P = parent
        page = node.elem.get("/Pg")
        kids = Array()
        for kid in node.kids:
            if isinstance(kid, _Node):
                if write(kid, node.elem):
                    kids.append(kid.elem)
            elif isinstance(kid, tuple):
                if kid not in new_ids:
                    continue  # a sequence the tree names but no content stream has
                if page is not None and page.objgen == kid[0]:
                    kids.append(new_ids[kid])
                else:
                    kids.append(Dictionary(Type=Name.MCR, Pg=pdf.get_object(kid[0]), MCID=new_ids[kid]))
            elif not _absorbed(kids, kid):
                kids.append(kid)
        node.elem.K = kids
        return len(kids) > 0

    for story in collect.stories:
        for block in story.kids:
            if isinstance(block, _Node) and block.elem.get("/S") == "/Figure":
                _fix_bbox(block.elem)
    document = next((k for k in _kids(root) if k.get("/S") == "/Document"), None)
    if document is None:
        document = pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
    document.P = root
    document.K = Array([s.elem for s in collect.stories if write(s, document)])
    root.K = Array([document])
    for stale in ("/RoleMap", "/ClassMap", "/IDTree"):
        if stale in root:
            del root[stale]
    rebuild_parent_tree(pdf)


def rebuild_parent_tree(pdf: pikepdf.Pdf) -> None:
    """The ParentTree from the structure tree as it stands: page i (/StructParents i) maps its MCIDs, which must
    run 0…n-1 (tag_stories makes them so), to their elements; then a key per annotation OBJR in tree order
    (/StructParent). For a file joined from tagged pages, after links were added: the keys of each page count
    from 0, so the joined file needs new ones."""
    index = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
    marks: list[dict[int, pikepdf.Dictionary]] = [{} for _ in pdf.pages]
    links: list[tuple[pikepdf.Dictionary, pikepdf.Dictionary]] = []

    def walk(elem: pikepdf.Dictionary) -> None:
        for kid in _kids(elem):
            if isinstance(kid, int):
                marks[index[elem.Pg.objgen]][int(kid)] = elem
            elif _is(kid, "/MCR"):
                marks[index[kid.get("/Pg", elem.get("/Pg")).objgen]][int(kid.MCID)] = elem
            elif _is(kid, "/OBJR"):
                links.append((kid.Obj, elem))
            elif isinstance(kid, Dictionary):
                walk(kid)

    root = pdf.Root.StructTreeRoot
    for kid in _kids(root):
        walk(kid)
    nums = Array()
    for i, (page, page_marks) in enumerate(zip(pdf.pages, marks)):
        if sorted(page_marks) != list(range(len(page_marks))):
            raise ValueError(f"page {i + 1}: MCIDs do not run from 0 without gaps; run tag_stories first")
        page.obj.StructParents = i
        nums.extend([i, Array([page_marks[m] for m in range(len(page_marks))])])
    for key, (annot, elem) in enumerate(links, start=len(marks)):
        annot.StructParent = key
        nums.extend([key, elem])
    root.ParentTree = pdf.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = len(marks) + len(links)


def link_elements(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """The Link elements of a tagged reader PDF in reading order (a jump line's link: one per continued story
    part, in plan order), where the join adds the OBJR of each jump line's annotation."""
    def walk(elem: pikepdf.Dictionary) -> Iterator[pikepdf.Dictionary]:
        if elem.get("/S") == "/Link":
            yield elem
        for kid in _kids(elem):
            if isinstance(kid, Dictionary) and not _is(kid, "/MCR") and not _is(kid, "/OBJR"):
                yield from walk(kid)

    for kid in _kids(pdf.Root.StructTreeRoot):
        yield from walk(kid)
