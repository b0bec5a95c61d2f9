"""更正 after publication: `epaper correct` appends a [[corrections]] table to issue.toml; a build marks the PDF's
version and keeps the earlier version's files (reading the tables: epaper/source/corrections.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .atomic import write_atomic
from .errors import EnvironmentProblem, InputError, did_you_mean
from .model import Issue
from .source.corrections import MARKUP, last_correction


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
    # by rename: a crash or a full disk while writing leaves the newsroom's issue.toml as it was, never half of it
    mode = file.stat().st_mode & 0o7777  # the file keeps its permissions
    try:
        write_atomic(file, text.rstrip("\n") + "\n" + table, mode=mode)
    except OSError as exc:  # a full disk, a read-only folder: the machine's problem, told in one line (exit 4)
        raise EnvironmentProblem(f"cannot write {file}: {exc.strerror or exc}; issue.toml is as it was, "
                                 "no correction recorded") from exc
    try:
        load_issue(issue_dir)
    except InputError:
        write_atomic(file, text, mode=mode)  # never leave an issue.toml that no longer loads
        raise
    return file


def mark_version(pdf_data: bytes, issue: Issue) -> bytes:
    """A corrected issue's PDF with its version and modification time in the document info and XMP
    (xmpMM:VersionID, xmp:ModifyDate); the first version's bytes are returned untouched."""
    when = last_correction(issue)
    if when is None:
        return pdf_data
    import io

    import pikepdf

    from .render.print.assemble import save

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
            # through the links: the bytes the readers were given; umask permissions like the outputs beside it
            write_atomic(target, source.read_bytes(), mode=None)
            kept.append(target)
    return kept
