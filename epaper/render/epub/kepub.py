"""One XHTML content document (bytes) in; the same document with Kobo's kepub markup out (bytes).

Kobo's reader (the ACCESS "kepub" engine) counts pages, turns them quickly and keeps reading statistics only in
books whose text is split into <span class="koboSpan" id="kobo.P.S"> — P the block, S the sentence — and whose
body is wrapped in <div id="book-columns"><div id="book-inner">. kepubify and calibre's Kobo driver add exactly
this to an EPUB on the way to the device; epaper writes it itself from the same model, so the .kepub.epub is
built, not converted, and stays reproducible. Both additions are ordinary XHTML (a span with an id, two divs), so
the book stays valid EPUB 3.
"""

from __future__ import annotations

import re

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
H = f"{{{XHTML_NS}}}"
# Blocks whose text is counted as one Kobo "paragraph" (P in kobo.P.S); inline children stay inside it.
BLOCKS = {f"{H}{n}" for n in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "dt", "dd")}
# Sentences end at a full stop, question or exclamation mark (CJK or Latin) or an ellipsis, with any closing
# quotes or brackets that follow it; the rest of a text node is one last segment.
SENTENCE = re.compile(r"[^。！？!?…]*(?:[。！？!?]|…+)[”’」』）)\]》〉]*|[^。！？!?…]+")
KOBO_CLASS = "koboSpan"


class _Counter:
    """kobo.P.S numbering: P goes up for every block (and image), S for every sentence inside it."""

    def __init__(self) -> None:
        self.para = 0
        self.seg = 0

    def next_block(self) -> None:
        self.para += 1
        self.seg = 0

    def next_id(self) -> str:
        self.seg += 1
        return f"kobo.{self.para}.{self.seg}"


def _span(text: str, counter: _Counter) -> etree._Element:
    span = etree.Element(f"{H}span", {"class": KOBO_CLASS, "id": counter.next_id()})
    span.text = text
    return span


def _segments(text: str) -> list[str]:
    """The sentences of one text node; whitespace-only nodes (indentation between tags) give none."""
    if not text.strip():
        return []
    return [m.group(0) for m in SENTENCE.finditer(text) if m.group(0)]


def _wrap_text(el: etree._Element, counter: _Counter) -> None:
    """Replace the text of el and of its descendants (and their tails) by koboSpans, in document order."""
    if el.get("class") == KOBO_CLASS:
        return
    parts = _segments(el.text or "")
    if parts:
        el.text = None
        for i, part in enumerate(parts):
            el.insert(i, _span(part, counter))
    for child in [c for c in el if c.get("class") != KOBO_CLASS]:
        _wrap_text(child, counter)
        tail = _segments(child.tail or "")
        if tail:
            child.tail = None
            at = el.index(child) + 1
            for i, part in enumerate(tail):
                el.insert(at + i, _span(part, counter))


def _walk(el: etree._Element, counter: _Counter) -> None:
    """Blocks get their sentences spanned; images get a span of their own; everything else is searched."""
    for child in list(el):
        if not isinstance(child.tag, str):
            continue
        if child.tag in BLOCKS:
            counter.next_block()
            _wrap_text(child, counter)
        elif child.tag == f"{H}img":
            counter.next_block()
            span = etree.Element(f"{H}span", {"class": KOBO_CLASS, "id": counter.next_id()})
            child.addprevious(span)
            span.append(child)  # moves the image (with its tail) into the span
            span.tail, child.tail = child.tail, None
        else:
            _walk(child, counter)


def kepubify(xhtml: bytes) -> bytes:
    """The document with koboSpans around every sentence and image and book-columns/book-inner around the body."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    root = etree.fromstring(xhtml, parser)
    body = root.find(f"{H}body")
    if body is None:
        return xhtml
    _walk(body, _Counter())
    columns = etree.Element(f"{H}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{H}div", {"id": "book-inner"})
    inner.text = body.text
    for child in list(body):
        inner.append(child)
    body.text = "\n"
    columns.tail = "\n"
    body.append(columns)
    for el in body.iter(f"{H}span", f"{H}div", f"{H}p", f"{H}a"):
        if el.text is None and len(el) == 0:
            el.text = ""  # <span></span>, as the templates wrote it, not <span/> (which HTML parsers misread)
    text = etree.tostring(root, encoding="unicode")
    # lxml drops the prolog when serialising an element: restore the declaration and the HTML doctype.
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n' + text + "\n").encode("utf-8")
