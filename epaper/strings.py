"""layouts/base/strings.toml in, the words printed around the copy (bylines, credits, folios) for a language out."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from .model import Article, Issue


@lru_cache(maxsize=None)
def _load(file: Path) -> dict[str, dict[str, str]]:
    return tomllib.loads(file.read_text(encoding="utf-8"))


def _traditional(language: str) -> bool:
    lang = language.lower()
    return "hant" in lang or lang in ("zh-tw", "zh-hk", "zh-mo")


class Strings:
    """Lookup by the paper's language tag: exact tag, then the primary subtag, then English."""

    def __init__(self, layout_folders: tuple[Path, ...], language: str):
        table: dict[str, str] = {}
        for folder in reversed(layout_folders):  # a paper layout's strings override the base's
            file = folder / "strings.toml"
            if file.is_file():
                data = _load(file)
                primary = language.split("-")[0].lower()
                tags = ["en", primary]
                if primary == "zh" and _traditional(language):
                    tags.append("zh-hant")
                for tag in (*tags, language.lower()):
                    table.update(data.get(tag, {}))
        self.table = table

    def __getitem__(self, key: str) -> str:
        return self.table[key]

    def fmt(self, key: str, **values: object) -> str:
        return self.table[key].format(**values)

    def names(self, names: tuple[str, ...] | list[str]) -> str:
        return self.table["name_join"].join(names)

    def byline(self, article: Article) -> str:
        """The lead-in before the first paragraph: 本报讯（记者　朱梦琪）, or '' when there is nothing to credit."""
        parts = []
        if article.reporters:
            parts.append(self.fmt("byline_reporters", names=self.names(article.reporters)))
        if article.correspondents:
            parts.append(self.fmt("byline_correspondents", names=self.names(article.correspondents)))
        credit = self.fmt("byline_wrap", byline=self.table["byline_join"].join(parts)) if parts else ""
        lead = f"{article.dateline}{credit}".strip()
        return lead + self.table["byline_end"] if lead else ""

    def photo_credit(self, credit: str) -> str:
        names = credit.split()
        return self.fmt("photo_credit", names=self.names(names)) if names else ""

    def date_long(self, issue: Issue) -> str:
        return self.fmt("date_long", date=issue.date)
