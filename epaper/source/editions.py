"""繁简 editions: paper.toml's [[editions]] tables in, model.Edition out; an Issue and an edition in, the Issue in the
edition's script out (OpenCC, phrase by phrase, with the editor's exceptions kept as written)."""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any

from ..errors import OptionError, did_you_mean
from ..model import Article, Block, Edition, Issue, Paper
from ..schema import Field, TomlSource, check_table

EDITION_FIELDS = {
    "language": Field("str", True, "the edition's language: zh-TW, zh-HK or zh-Hant from Simplified; zh-CN from "
                                   "Traditional"),
    "name": Field("str", what="the edition in output file names, e.g. tw; default: from the language"),
    "exceptions": Field("list[str]", what="terms printed as written: names and quoted terms an editor pins"),
}
# Which OpenCC conversion makes an edition, by the paper's script and the edition's language. Taiwan's config converts
# phrases too (软件 → 軟體, 鼠标 → 滑鼠), Hong Kong's uses its character forms (裏, 麪); the reverse ones undo them.
FROM_SIMPLIFIED = {"zh-tw": "s2twp", "zh-hk": "s2hk", "zh-mo": "s2hk", "zh-hant": "s2t"}
FROM_TRADITIONAL = {"zh-tw": "tw2sp", "zh-hk": "hk2s", "zh-mo": "hk2s"}  # paper's language → config; others t2s
SIMPLIFIED = ("zh-cn", "zh-sg", "zh-hans", "zh-my")
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def read_editions(src: TomlSource, tables: list[dict[str, Any]], paper_language: str) -> tuple[Edition, ...]:
    """The [[editions]] of paper.toml, checked: a language in the other script, a unique name, exceptions."""
    out: list[Edition] = []
    traditional = paper_language.lower() in ("zh-tw", "zh-hk", "zh-mo") or "hant" in paper_language.lower()
    for i, table in enumerate(tables):
        where = ("editions", i)
        check_table(src, table, EDITION_FIELDS, where)
        language = table["language"]
        key = language.lower()
        if not paper_language.lower().startswith("zh"):
            raise src.error((*where, "language"), "an edition in the other script needs a Chinese paper "
                                                  f"(language zh-…), but the paper is {paper_language!r}")
        if traditional:
            if key not in SIMPLIFIED:
                raise src.error((*where, "language"), f"the paper is Traditional ({paper_language}): expected a "
                                                      f"Simplified edition language ({', '.join(('zh-CN', 'zh-SG', 'zh-Hans'))}), "
                                                      f"got {language!r}")
            config = FROM_TRADITIONAL.get(paper_language.lower(), "t2s")
        else:
            if key not in FROM_SIMPLIFIED:
                raise src.error((*where, "language"), f"the paper is Simplified ({paper_language}): expected a "
                                                      f"Traditional edition language (zh-TW, zh-HK, zh-MO or zh-Hant), "
                                                      f"got {language!r}")
            config = FROM_SIMPLIFIED[key]
        name = table.get("name", key.split("-")[-1])
        if not NAME.match(name):
            raise src.error((*where, "name"), f"expected lower-case ASCII letters, digits and '-', got {name!r}",
                            hint="the edition is part of every output file name")
        if any(e.name == name for e in out):
            raise src.error((*where, "name"), f"edition name {name!r} is used twice",
                            hint="give each [[editions]] table its own name")
        terms = table.get("exceptions", [])
        if "" in terms:
            raise src.error((*where, "exceptions"), "an empty term cannot be kept; expected words such as \"于敏\"")
        out.append(Edition(name=name, language=language, opencc=config, exceptions=tuple(terms)))
    return tuple(out)


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc  # the official OpenCC binding: its dictionaries ship in the wheel, nothing is fetched

    return opencc.OpenCC(config)


class Converter:
    """Text in the paper's script in, text in the edition's out; the edition's exceptions pass unchanged."""

    def __init__(self, edition: Edition):
        self.edition = edition
        self.opencc = _converter(edition.opencc)
        terms = sorted(set(edition.exceptions), key=len, reverse=True)  # the longest pinned term wins
        self.kept = re.compile("(" + "|".join(map(re.escape, terms)) + ")") if terms else None

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self.kept is None:
            return self.opencc.convert(text)
        # split at the pinned terms: the odd pieces are the terms themselves, kept; the rest is converted
        parts = self.kept.split(text)
        return "".join(p if i % 2 else self.opencc.convert(p) for i, p in enumerate(parts))


def edition_of(paper: Paper, name: str) -> Edition:
    """The edition `name` of paper.toml, or an error naming the ones there are."""
    for edition in paper.editions:
        if edition.name == name:
            return edition
    names = [e.name for e in paper.editions]
    raise OptionError("--edition", f"paper.toml has no edition {name!r}; expected one of: {', '.join(names) or 'none'}"
                      + (f" ({did_you_mean(name, names)})" if names else ""))


def convert_issue(issue: Issue, edition: Edition) -> Issue:
    """The whole issue in the edition's script: every word the outputs print, in the paper, the plan and the copy."""
    c = Converter(edition)
    paper = dataclasses.replace(issue.paper, name=c(issue.paper.name), publisher=c(issue.paper.publisher),
                                slogan=c(issue.paper.slogan), address=c(issue.paper.address),
                                epub_title=c(issue.paper.epub_title), language=edition.language, editions=())
    pages = tuple(dataclasses.replace(p, name=c(p.name), editor=c(p.editor), designer=c(p.designer))
                  for p in issue.pages)
    articles = {key: _convert_article(a, c) for key, a in issue.articles.items()}
    corrections = tuple(dataclasses.replace(k, note=c(k.note)) for k in issue.corrections)
    stem = f"{issue.edition}-{edition.name}" if issue.edition else edition.name
    return dataclasses.replace(issue, paper=paper, pages=pages, articles=articles, edition=stem,
                               lunar=c(issue.lunar), weather=c(issue.weather), corrections=corrections)


def _convert_article(article: Article, c: Converter) -> Article:
    photos = tuple(dataclasses.replace(p, caption=c(p.caption), credit=c(p.credit), alt=c(p.alt))
                   for p in article.photos)
    body = tuple(Block(b.kind, c(b.text)) for b in article.body)
    return dataclasses.replace(article, title=c(article.title), kicker=c(article.kicker),
                               subtitle=c(article.subtitle), dateline=c(article.dateline),
                               reporters=tuple(map(c, article.reporters)),
                               correspondents=tuple(map(c, article.correspondents)), photos=photos, body=body)

