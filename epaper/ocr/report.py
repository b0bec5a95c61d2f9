"""An import's results in (files, articles, changes, doubts, the Han check), ImportReport and REVIEW.md out."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .log import DOUBT_KINDS, Doubt


@dataclass(frozen=True)
class SourceFile:
    path: Path
    encoding: str
    how: str  # how the encoding was decided
    bom: bool
    newlines: dict[str, int]
    script: str  # "simplified", "traditional" or "none"
    lines: int
    page: int | None  # the page made from it; None when it gave no article


@dataclass(frozen=True)
class ArticleSummary:
    id: str
    page: int
    kind: str
    kicker: str
    title: str
    subtitle: str
    dateline: str
    reporters: tuple[str, ...]
    correspondents: tuple[str, ...]
    credits: tuple[str, ...]  # one per photo
    paragraphs: int
    subheads: int
    source: Path
    lines: tuple[int, int]


@dataclass(frozen=True)
class Fragment:
    """Text that fits no article, as it stands in articles/unplaced.md or removed.txt (with its reason)."""

    file: Path
    line: int
    text: str
    reason: str = ""


@dataclass(frozen=True)
class HanCheck:
    """Every Han character of the input found again: in article fields on the page plan, in labels the layout
    prints itself (记者, 通讯员, 摄) or drops (□, 文/图, 报道), in unplaced.md, or in removed.txt."""

    input: int
    placed: int
    labels: int
    unplaced: int
    added: int  # Han characters the import wrote that the input lacks (一 fixed from '-', placeholder titles)
    missing: tuple[Doubt, ...]  # characters not found: must be empty
    in_order: bool  # placed text, read in page order, follows input order
    round_trip: tuple[str, ...]  # differences between what was written and what load_issue reads back
    removed: int = 0  # in removed.txt: site chrome, page furniture, a headline with no story

    @property
    def ok(self) -> bool:
        return not self.missing and self.in_order and not self.round_trip


@dataclass
class ImportReport:
    """What import_text did: the folder, the inputs, the articles, counted changes, doubtful spots, unplaced text."""

    issue_dir: Path
    sources: list[SourceFile]
    articles: list[ArticleSummary]
    changes: Counter[str]
    doubts: list[Doubt]
    unplaced: list[Fragment]
    placeholders: list[str]  # what the editor still has to fill in or fix before the issue builds
    check: HanCheck
    review_file: Path = field(default=Path())
    removed: list[Fragment] = field(default_factory=list)  # removed.txt, each with its reason
    date: dt.date | None = None
    date_note: str = ""  # where the issue date came from
    kinds: dict[int, list[str]] = field(default_factory=dict)  # per input file: markup and kind recognised

    def summary(self) -> str:
        """One line for the CLI."""
        kinds = Counter(a.kind for a in self.articles)
        return (f"{self.issue_dir}: {len({a.page for a in self.articles})} pages, {kinds['article']} articles, "
                f"{kinds['photo-news']} photo news, {sum(self.changes.values())} changes, "
                f"{len(self.doubts)} spots to check, {len(self.unplaced)} unplaced, {len(self.removed)} passages "
                f"({self.check.removed} Han characters) in removed.txt; see {self.review_file.name}"
                + (f"\n{self.date_note}" if self.date_note else ""))

    def markdown(self) -> str:
        out = [f"# Import review: {self.issue_dir.name}", "",
               "Written by `epaper import-text`. Everything below refers to the input files by name and line.", ""]
        if self.date_note:
            out += [f"**Date**: {self.date_note}.", ""]
        out += ["## Input files", "", "| file | encoding | BOM | line ends | script | read as | lines | page |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i, s in enumerate(self.sources):
            ends = ", ".join(f"{k} ×{v}" for k, v in s.newlines.items()) or "none"
            kinds = ", ".join(self.kinds.get(i, [])) or "plain text"
            out.append(f"| {s.path.name} | {s.how} | {'yes' if s.bom else 'no'} | {ends} | {s.script} | {kinds} | "
                       f"{s.lines} | {s.page or '—'} |")
        out += ["", "## Articles", "", "| page | file | kind | 引题 / 主题 / 副题 | dateline, byline, credit | "
                "paragraphs | input lines |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for a in self.articles:
            head = " / ".join(x or "—" for x in (a.kicker, a.title, a.subtitle))
            by = a.dateline
            if a.reporters:
                by += f"（记者 {' '.join(a.reporters)}）"
            if a.correspondents:
                by += f"（通讯员 {' '.join(a.correspondents)}）"
            by += "".join(f" {c} 摄" for c in a.credits)
            para = f"{a.paragraphs}" + (f" + {a.subheads} subheads" if a.subheads else "")
            out.append(f"| {a.page} | articles/{a.id}.md | {a.kind} | {head} | {by.strip() or '—'} | {para} | "
                       f"{a.source.name}:{a.lines[0]}-{a.lines[1]} |")
        c = self.check
        out += ["", "## Nothing lost", ""]
        out.append(f"{'OK' if c.ok else 'FAILED'}: {c.input} Han characters in the input; {c.placed} in the articles "
                   f"on the page plan, {c.labels} in byline and credit words the layout prints itself or drops, "
                   f"{c.unplaced} in articles/unplaced.md, {c.removed} in removed.txt; {c.added} added by the "
                   f"import. "
                   f"Placed text {'follows' if c.in_order else 'does NOT follow'} input order.")
        for d in c.missing:
            out.append(f"- missing: {d}")
        for line in c.round_trip:
            out.append(f"- written and read back differ: {line}")
        out += ["", "## Changes", "", "| change | count |", "| --- | --- |"]
        out += [f"| {label} | {n} |" for label, n in sorted(self.changes.items(), key=lambda kv: -kv[1])]
        out += ["", "## To check", ""]
        if not self.doubts:
            out.append("Nothing doubtful was found.")
        by_kind: dict[str, list[Doubt]] = {}
        for d in self.doubts:
            by_kind.setdefault(d.kind, []).append(d)
        for kind, title in DOUBT_KINDS.items():
            found = by_kind.get(kind)
            if found:
                out += [f"### {title} ({len(found)})", ""]
                out += [f"- {d}" for d in sorted(found, key=lambda d: (str(d.file), d.line))]
                out.append("")
        if self.removed:
            reasons = Counter(f.reason for f in self.removed)
            out += [f"## Removed text (removed.txt: {c.removed} Han characters in {len(self.removed)} passages)", "",
                    "| reason | passages |", "| --- | --- |"]
            out += [f"| {r} | {n} |" for r, n in reasons.most_common()]
            out += [""] + [f"- {f.file.name}:{f.line}: {f.text.splitlines()[0][:60]}" for f in self.removed]
            out.append("")
        if self.unplaced:
            out += ["## Unplaced text (articles/unplaced.md, not on the page plan)", ""]
            out += [f"- {f.file.name}:{f.line}: {f.text}" for f in self.unplaced]
            out.append("")
        out += ["## Before building", ""] + [f"- {p}" for p in self.placeholders]
        return "\n".join(out).rstrip() + "\n"
