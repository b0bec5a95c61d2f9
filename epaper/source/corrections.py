"""issue.toml's [[corrections]] in, checked Correction records and the articles with their 更正 notes out."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

from ..errors import did_you_mean
from ..model import Article, Block, Correction, Issue
from ..paths import LAYOUTS
from ..schema import Field, TomlSource, check_table

CORRECTION_FIELDS = {
    "article": Field("str", True, "the id of the corrected article"),
    "note": Field("str", True, "what was wrong and what is right, as printed under the article"),
}
# Characters the body's inline markup reads ({ruby|reading}, [link](…), raw HTML): a note is plain text.
MARKUP = re.compile(r"[{}<>\[\]|]")
# The note's words (【更正】…) by the paper's language: correction_note in the layouts' strings.toml
BASE_STRINGS = (LAYOUTS / "base",)


def read_corrections(src: TomlSource, tables: list[dict[str, Any]], articles: dict[str, Article]) -> tuple[Correction, ...]:
    """The [[corrections]] of issue.toml, checked: a known article, a plain-text note, an offset date-time `when`."""
    out = []
    for i, table in enumerate(tables):
        where = ("corrections", i)
        table = dict(table)
        when = table.pop("when", None)
        check_table(src, table, CORRECTION_FIELDS, where)
        if table["article"] not in articles:
            raise src.error((*where, "article"), f"no article {table['article']!r} in this issue's page plan",
                            hint=did_you_mean(table["article"], list(articles)))
        if not table["note"].strip():
            raise src.error((*where, "note"), "expected the text of the correction, got an empty note")
        if m := MARKUP.search(table["note"]):
            raise src.error((*where, "note"), f"the note is plain text; {m.group()!r} is markup in the copy",
                            hint="write the note without { } [ ] < > |")
        if not isinstance(when, dt.datetime) or when.tzinfo is None:
            raise src.error((*where, "when"), "expected the date and time with its offset, such as "
                                              f"2024-12-20T09:30:00+08:00 (no quotes), got {_shown(when)}")
        out.append(Correction(article=table["article"], note=table["note"].strip(), when=when))
    return tuple(out)


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (the key is missing)"
    return value.isoformat() if isinstance(value, (dt.date, dt.time)) else repr(value)


def with_notes(articles: dict[str, Article], corrections: tuple[Correction, ...], language: str,
               folders: tuple[Path, ...] = BASE_STRINGS) -> dict[str, Article]:
    """Each corrected article with its 更正 notes as final paragraphs: every renderer already draws a paragraph.
    The words come from `folders`' strings.toml (correction_note, correction_date) in the paper's language."""
    from ..strings import Strings

    words = Strings(folders, language) if corrections else None
    out = dict(articles)
    for c in corrections:
        text = words.fmt("correction_note", note=c.note, when=words.fmt("correction_date", date=c.when))
        article = out[c.article]
        out[c.article] = dataclasses.replace(article, body=(*article.body, Block("p", text)))
    return out


def last_correction(issue: Issue, article: str = "") -> dt.datetime | None:
    """When the issue (or one article of it) was last corrected; None if it never was."""
    times = [c.when for c in issue.corrections if not article or c.article == article]
    return max(times) if times else None
