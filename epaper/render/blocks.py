"""An article and its byline in, the reflowable body blocks out (EPUB and web article pages share them)."""

from __future__ import annotations

from ..model import Article


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
        blocks.append({"kind": block.kind, "text": block.text, "byline": lead})
    return blocks
