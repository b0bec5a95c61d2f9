"""An issue in, nothing out or an InputError (E110): text `epaper import-text` could not place must not be built past.

The importer puts every passage it cannot place in an article into `articles/unplaced.md`, off the page plan.
A build that only warned about it printed a green result while that text was missing from the PDF; so the
build stops (exit 2) until the editor moves each passage where it belongs, or deletes it.
"""

from __future__ import annotations

import re

from ..errors import InputError
from ..model import Issue
from ..source.folder import load_article

UNPLACED_FILE = "unplaced.md"  # under articles/; the name epaper.ocr.write gives it
LOCATOR = re.compile(r"\S+:\d+")  # the importer's `## file:line` subheads say where a passage came from


def unplaced_chars(issue: Issue) -> int:
    """Characters (not counting white space or the importer's file:line subheads) still in articles/unplaced.md
    when it is not on the page plan; 0 when there is no such file or it was put on a page."""
    file = issue.root / "articles" / UNPLACED_FILE
    if not file.is_file() or file.stem in issue.articles:
        return 0
    article = load_article(file, issue.root)
    texts = [b.text for b in article.body if b.kind == "p" or not LOCATOR.fullmatch(b.text.strip())]
    return sum(len(re.sub(r"\s", "", t)) for t in texts)


def check_unplaced(issue: Issue) -> None:
    """Raise E110 (exit 2) when articles/unplaced.md still holds text."""
    count = unplaced_chars(issue)
    if count:
        raise InputError(issue.root / "articles" / UNPLACED_FILE,
                         f"E110 {count} characters of imported text are still unplaced and would not be printed",
                         hint="move each passage into the article it belongs to, or delete it; "
                              "see REVIEW.md for where it came from")
