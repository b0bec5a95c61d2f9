"""The issue manifests of a site root in; a static search index out (SITE/search/), read by search.js in the browser.

Chinese has no spaces between words, and a segmenter's dictionary at indexing and another at query time disagree
(Pagefind's jieba index against the browser's Intl.Segmenter query missed 龙城芯谷 in a story that contains it).
So text is indexed the way CJK search engines have long done it: every run of Han (or kana/hangul) characters as
its overlapping two-character pieces (龙城芯谷 → 龙城 城芯 芯谷), Latin words and numbers whole and lower-cased. A
query is cut the same way and a story matches when it holds every piece, so any substring of two or more
characters is found and no dictionary is involved; a single character is looked up as the start of a piece.

    SITE/search/docs.json     [[title, url, where, page url, date, summary], ...]: urls from the site root
    SITE/search/NN.json       {piece: [doc index, ...]} for the pieces whose first character falls in shard NN

Shards keep a query's download small: it fetches docs.json and one shard per distinct first character.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

SEARCH_DIR = "search"
SHARDS = 64
INDEX_FORMAT = "epaper-search/1"
# Han (with extensions A and compatibility), kana, hangul: scripts written without spaces
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
TOKEN = re.compile(f"[{CJK}]+|[0-9A-Za-z\u00c0-\u024f]+")


def pieces(text: str) -> list[str]:
    """The index terms of a text: overlapping pairs of each CJK run (a lone character stays single), Latin words
    and numbers lower-cased. search.js cuts queries with the same rule."""
    out: list[str] = []
    for run in TOKEN.findall(text):
        if re.match(f"[{CJK}]", run):
            out.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
        else:
            out.append(run.lower())
    return out


def shard_of(piece: str) -> int:
    """The shard of a piece: by its first character, so a one-character query needs one shard."""
    return ord(piece[0]) % SHARDS


def write_search_index(site_root: Path, issues: list[dict[str, Any]]) -> Path:
    """Index every article of the manifests (newest issue first) into SITE/search/, replaced as a whole."""
    docs: list[list[str]] = []
    postings: dict[str, list[int]] = {}
    for d in issues:
        for a in d.get("articles", []):
            n = len(docs)
            page = next((p for p in d["pages"] if p["href"] == a.get("page")), None)
            where = f"{d['date_full']} {page['label']} {page['name']}" if page else d["date_full"]
            docs.append([a["title"], d["path"] + a["href"], where, d["path"] + a.get("page", "index.html"),
                         d["date"], a.get("summary", "")])
            for piece in set(pieces(a["title"] + "\n" + a.get("text", ""))):
                postings.setdefault(piece, []).append(n)
    shards: list[dict[str, list[int]]] = [{} for _ in range(SHARDS)]
    for piece in sorted(postings):
        shards[shard_of(piece)][piece] = postings[piece]
    target = site_root / SEARCH_DIR
    staging = Path(tempfile.mkdtemp(prefix=f".{SEARCH_DIR}.new-", dir=site_root))
    try:
        dump = {"ensure_ascii": False, "separators": (",", ":")}
        (staging / "docs.json").write_text(json.dumps({"format": INDEX_FORMAT, "shards": SHARDS, "docs": docs},
                                                      **dump), encoding="utf-8")
        for i, shard in enumerate(shards):
            (staging / f"{i:02d}.json").write_text(json.dumps(shard, **dump), encoding="utf-8")
        staging.chmod(0o755)
        old = site_root / f".{SEARCH_DIR}.old"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
