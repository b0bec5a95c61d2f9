"""An article and its byline in, the reflowable body blocks, photo captions and labels out (EPUB and web share them).

A block's text is a plain string, or Markup when the copy has inline marks (epaper.marks): links become
<a href>, ruby real <ruby> with <rp> fallbacks, 着重号 <em class="dots"> (the stylesheets draw text-emphasis),
and the URL print sets after a link's text is left out (the link carries it).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from ..marks import Mark, marks_of
from ..model import Article

# An untitled photo news story is named in contents and link lists by the start of its caption, this many characters
LABEL_CHARS = 24


def _wrap(mark: Mark, inner: str) -> str:
    if mark.kind == "link":
        return f'<a href="{escape(mark.value)}">{inner}</a>'
    if mark.kind == "ruby":
        return f"<ruby>{inner}<rp>（</rp><rt>{escape(mark.value)}</rt><rp>）</rp></ruby>"
    if mark.kind == "dots":
        return f'<em class="dots">{inner}</em>'
    return ""  # print-only text


def _html(text: str, marks: list[Mark], lo: int, hi: int) -> str:
    """text[lo:hi] with the marks inside it (they nest: the parser makes each inside another or beside it)."""
    out, pos = [], lo
    todo = sorted(marks, key=lambda m: (m.start, -m.end))
    while todo:
        m = todo.pop(0)
        inner = [k for k in todo if k.start >= m.start and k.end <= m.end]
        todo = [k for k in todo if k not in inner]
        out.append(str(escape(text[pos:m.start])))
        out.append(_wrap(m, _html(text, inner, m.start, m.end)))
        pos = m.end
    out.append(str(escape(text[pos:hi])))
    return "".join(out)


def marked_text(text: str, marks: tuple[Mark, ...]) -> str:
    """The text as HTML with its marks; the plain string when it has none."""
    return Markup(_html(text, list(marks), 0, len(text))) if marks else text


def body_blocks(article: Article, byline: str) -> list[dict[str, str]]:
    """Paragraphs and subheads; the byline runs in at the start of the first paragraph (本报讯（记者 X）连日来……)."""
    if article.kind == "photo-news":
        return []  # its text is the photo's caption
    blocks: list[dict[str, str]] = []
    for block in article.body:
        lead = ""
        if byline and block.kind == "p":
            lead, byline = byline, ""
        elif byline:  # a subhead before any paragraph: the byline stands alone ahead of it
            blocks.append({"kind": "p", "text": "", "byline": byline})
            byline = ""
        blocks.append({"kind": block.kind, "text": marked_text(block.text, marks_of(block)), "byline": lead})
    return blocks


def caption_snippet(article: Article, limit: int = LABEL_CHARS) -> str:
    """The start of an untitled story's text for its label: its first paragraph, else its first photo caption."""
    text = next((b.text for b in article.body if b.kind == "p"), "") or \
        next((p.caption for p in article.photos if p.caption), "")
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def caption_paragraphs(article: Article, index: int, byline: str, credit: str) -> tuple[list[dict[str, str]], str]:
    """A photo's caption paragraphs (byline run in at the first, credit after the last) and its alt text.

    Photo news has no body of its own: its paragraphs are the caption, led by the byline; other photos carry
    their own caption. Empty paragraphs are left out."""
    photo = article.photos[index]
    if article.kind == "photo-news":
        texts = [b.text for b in article.body if b.kind == "p"] or [photo.caption]
    else:
        texts, byline = [photo.caption], ""
    texts = [t for t in texts if t] or [""]
    paragraphs = [{"byline": byline if i == 0 else "", "text": t, "credit": credit if i == len(texts) - 1 else ""}
                  for i, t in enumerate(texts)]
    paragraphs = [p for p in paragraphs if p["byline"] or p["text"] or p["credit"]]
    alt = photo.alt or photo.caption or article.title or next((t for t in texts if t), "")
    return paragraphs, alt
