"""Layout folders (the `extends` chain) and a language in; the web's templates, stylesheet, scripts and words out.

Everything the web e-paper takes from `<layout>/web/`: the issue's pages (web_issue) and the site-wide files
(web_archive) are rendered with the same templates and words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2

from ...errors import EpaperError
from ...layout.types import Module
from ...model import Article, Issue, Page
from ...strings import Strings
from ..blocks import caption_snippet
from ..templates import BYTECODE

CSS = "web.css"
ZOOM_JS = "zoom.js"


def web_strings(folders: Sequence[Path], language: str) -> Strings:
    """The web's own words (往期, 版面导航, 标题导航…) from <layout>/web/strings.toml along the layout chain."""
    return Strings(tuple(f / "web" for f in folders), language)


def template_env(folders: Sequence[Path]) -> jinja2.Environment:
    """Templates are looked up in <layout>/web/ along the `extends` chain: a paper's layout overrides file by file."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader([str(f / "web") for f in folders]),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, bytecode_cache=BYTECODE)


def stylesheet(folders: Sequence[Path]) -> str:
    """web.css of the base first, the paper's layout last, concatenated in cascade order."""
    sheets = [f / "web" / CSS for f in reversed(folders) if (f / "web" / CSS).is_file()]
    return "\n".join(s.read_text(encoding="utf-8") for s in sheets)


def asset(folders: Sequence[Path], name: str) -> str:
    """A web asset (zoom.js, search.js) from <layout>/web/, the paper's layout first."""
    for folder in folders:
        file = folder / "web" / name
        if file.is_file():
            return file.read_text(encoding="utf-8")
    raise EpaperError(f"web/{name} is missing from the layouts {', '.join(str(f) for f in folders)}")


@dataclass(frozen=True)
class Words:
    """The web strings with the print strings they build on (page labels, dates, bylines)."""

    web: Strings
    base: Strings  # layouts/base/strings.toml: 第1版, 总第N期, bylines, dates

    def page_label(self, page: Page) -> str:
        return self.base.fmt("page_label", number=page.number)

    def page_heading(self, page: Page) -> str:
        return self.web.fmt("page_heading", page_label=self.page_label(page), name=page.name)

    def date_full(self, issue: Issue) -> str:
        weekday = self.web["weekdays"].split()[issue.date.weekday()]
        return self.web.fmt("date_full", date_long=self.base.date_long(issue), weekday=weekday)

    def heading(self, article: Article) -> str:
        """The article page's <h1>: the title, or 图片新闻 for photo news without one."""
        return article.title or self.web["photo_news"]

    def label(self, article: Article) -> str:
        """The article in lists and link areas: its title, or 图片新闻 with the start of the caption."""
        if article.title:
            return article.title
        snippet = caption_snippet(article)  # the same start of the caption as the EPUB's contents show
        return self.web["photo_news"] + (self.web["label_join"] + snippet if snippet else "")

    def module_label(self, module: Module) -> str:
        """A module's link text: a continuation (转版) adds （上接第X版） to the article's label."""
        fragment = module.fragment
        if fragment is not None and fragment.jump_from:
            return self.label(module.article) + self.base.fmt("jump_from", page=fragment.jump_from)
        return self.label(module.article)
