"""更正 after publication: issue.toml's [[corrections]] tables in, model.Correction out, and the visible note each
corrected article ends with; `epaper correct` appends one table to issue.toml."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from .errors import InputError, did_you_mean
from .model import Article, Block, Correction, Issue
from .source.schema import Field, TomlSource, check_table

CORRECTION_FIELDS = {
    "article": Field("str", True, "the id of the corrected article"),
    "note": Field("str", True, "what was wrong and what is right, as printed under the article"),
}
# Characters the body's inline markup reads ({ruby|reading}, [link](…), raw HTML): a note is plain text.
MARKUP = re.compile(r"[{}<>\[\]|]")
# The note's words (【更正】…) by the paper's language: correction_note in the layouts' strings.toml
BASE_STRINGS = (Path(__file__).resolve().parent.parent / "layouts" / "base",)


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
    from .strings import Strings

    words = Strings(folders, language) if corrections else None
    out = dict(articles)
    for c in corrections:
        text = words.fmt("correction_note", note=c.note, when=words.fmt("correction_date", date=c.when))
        article = out[c.article]
        out[c.article] = dataclasses.replace(article, body=(*article.body, Block("p", text)))
    return out


def append_correction(issue_dir: Path, article: str, note: str, when: dt.datetime) -> Path:
    """Append a [[corrections]] table to ISSUE_DIR/issue.toml (the rest of the file as written) and check the result."""
    from .source.folder import load_issue

    issue = load_issue(issue_dir)  # the folder as it stands must be valid, and the article on its plan
    if article not in issue.articles:
        raise InputError(issue.root / "issue.toml", f"no article {article!r} in the page plan",
                         key="ARTICLE", hint=did_you_mean(article, list(issue.articles)))
    if not note.strip() or MARKUP.search(note):
        raise InputError(issue.root / "issue.toml", "--note: expected the text of the correction, plain text without "
                                                    "{ } [ ] < > |", key="note")
    file = issue.root / "issue.toml"
    text = file.read_text(encoding="utf-8")
    table = (f"\n[[corrections]]\narticle = {json.dumps(article)}\nnote = {json.dumps(note.strip(), ensure_ascii=False)}\n"
             f"when = {when.isoformat(timespec='seconds')}\n")
    file.write_text(text.rstrip("\n") + "\n" + table, encoding="utf-8")
    try:
        load_issue(issue_dir)
    except InputError:
        file.write_text(text, encoding="utf-8")  # never leave an issue.toml that no longer loads
        raise
    return file


def last_correction(issue: Issue, article: str = "") -> dt.datetime | None:
    """When the issue (or one article of it) was last corrected; None if it never was."""
    times = [c.when for c in issue.corrections if not article or c.article == article]
    return max(times) if times else None


def mark_version(pdf_data: bytes, issue: Issue) -> bytes:
    """A corrected issue's PDF with its version and modification time in the document info and XMP
    (xmpMM:VersionID, xmp:ModifyDate); the first version's bytes are returned untouched."""
    when = last_correction(issue)
    if when is None:
        return pdf_data
    import io

    import pikepdf

    from .render.assemble import save

    pdf = pikepdf.open(io.BytesIO(pdf_data))
    utc = when.astimezone(dt.timezone.utc)
    # set_pikepdf_as_editor off: it would stamp the wall clock, and the same input must give the same bytes
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["xmpMM:VersionID"] = str(issue.version)
        meta["xmp:ModifyDate"] = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    pdf.docinfo["/ModDate"] = utc.strftime("D:%Y%m%d%H%M%SZ")
    pdf.docinfo["/IssueVersion"] = str(issue.version)
    return save(pdf)


def keep_previous(out: Path, issue: Issue) -> list[Path]:
    """Before a corrected issue is published, the outputs now in OUT (an earlier version) are copied to stable
    names of their own, OUT/<slug>.v<N>.pdf (.epub, .layout.json), which no later build replaces. The version
    of what is published is read from its layout.json (1 when it predates versions)."""
    record = out / f"{issue.slug}.layout.json"
    if issue.version == 1 or not record.is_file():
        return []
    try:
        published = json.loads(record.read_text(encoding="utf-8"))["issue"].get("version", 1)
    except (ValueError, KeyError, TypeError):
        return []  # not a layout.json of ours: nothing is known to keep
    if not isinstance(published, int) or published >= issue.version:
        return []
    kept = []
    for suffix in (".pdf", ".epub", ".layout.json"):
        source, target = out / f"{issue.slug}{suffix}", out / f"{issue.slug}.v{published}{suffix}"
        if source.is_file() and not target.exists():
            tmp = target.with_name(f".{target.name}.tmp")
            tmp.write_bytes(source.read_bytes())  # through the links: the bytes the readers were given
            tmp.replace(target)
            kept.append(target)
    return kept
