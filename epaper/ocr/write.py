"""Finished articles and a page plan in, the issue folder out: issue.toml, articles/*.md, images, paper.toml."""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from .assemble import Article
from .clean import Removed
from .text import Traced

PLACEHOLDER_SIZE = (600, 400)  # 3:2, the commonest news photo shape; small, since it only stands in
PLACEHOLDER_ALT = {"simplified": "图片占位：原图未随 OCR 文本提供", "traditional": "圖片佔位：原圖未隨 OCR 文本提供"}
PAPER_NAME_PLACEHOLDER = {"simplified": "报名待定", "traditional": "報名待定"}
UNPLACED_ID = "unplaced"
REMOVED_FILE = "removed.txt"
UNPLACED_TITLE = "未归入稿件的文字（导入时无法归位，请编辑处理）"
# Markdown would read these as markup (emphasis, code, links, HTML, entities anywhere; headings, quotes, lists
# and fences at the start of a paragraph): a backslash keeps them literal.
MD_INLINE = re.compile(r"([\\`*_\[\]<&])")
MD_START = re.compile(r"^([#>+=~-])|^(\d+)([.)])")


@dataclass
class PlacedArticle:
    id: str
    page: int
    article: Article


@dataclass(frozen=True)
class IssueMeta:
    """What issue.toml and the placeholders say besides the articles."""

    sources: list[str]  # input file names, one page each
    script: str  # "simplified" or "traditional": the words of placeholders
    date: dt.date
    number: int
    number_given: bool
    page_name: str
    editor: str


def toml_str(s: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(s, ensure_ascii=False)


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(toml_str(s) for s in items) + "]"


def md_text(s: str) -> str:
    """Body text as Markdown that parses back to exactly this text."""
    s = MD_INLINE.sub(r"\\\1", s)
    return MD_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else f"{m.group(2)}\\{m.group(3)}", s)


def placeholder_png(path: Path) -> None:
    """A neutral grey picture with a frame and the usual “no picture” cross; no text, so no font is needed."""
    path.write_bytes(_placeholder_bytes())


@functools.lru_cache(maxsize=1)
def _placeholder_bytes() -> bytes:
    """Drawn and encoded once per process: an import of a long text may need a thousand of them."""
    w, h = PLACEHOLDER_SIZE
    img = Image.new("RGB", (w, h), (200, 200, 200))
    draw = ImageDraw.Draw(img)
    draw.rectangle([8, 8, w - 9, h - 9], outline=(130, 130, 130), width=3)
    draw.line([8, 8, w - 9, h - 9], fill=(150, 150, 150), width=2)
    draw.line([8, h - 9, w - 9, 8], fill=(150, 150, 150), width=2)
    buf = io.BytesIO()
    img.quantize(colors=4).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def article_md(placed: PlacedArticle, source: str, script: str) -> tuple[str, list[str]]:
    """The article file's text and the image files it needs."""
    art = placed.article
    head = [f"# Imported by epaper import-text from {source}, lines {art.first_line}-{art.last_line}; "
            "see REVIEW.md."]
    images: list[str] = []
    if art.kind == "photo-news":
        head.append('kind = "photo-news"')
    for key in ("kicker", "title", "subtitle", "dateline"):
        value: Traced | None = getattr(art, key)
        if value is not None and value.text:
            head.append(f"{key} = {toml_str(value.text)}")
    if art.reporters:
        head.append(f"reporters = {toml_list([n.text for n in art.reporters])}")
    if art.correspondents:
        head.append(f"correspondents = {toml_list([n.text for n in art.correspondents])}")
    for k, photo in enumerate(art.photos, 1):
        name = f"images/{placed.id}.png" if len(art.photos) == 1 else f"images/{placed.id}-{k}.png"
        images.append(name)
        head += ["", "[[photos]]", f"file = {toml_str(name)}"]
        if photo.caption is not None and photo.caption.text:
            head.append(f"caption = {toml_str(photo.caption.text)}")
        if photo.credit:
            head.append(f"credit = {toml_str(' '.join(n.text for n in photo.credit))}")
        head += [f"alt = {toml_str(PLACEHOLDER_ALT.get(script, PLACEHOLDER_ALT['simplified']))}", "placeholder = true"]
    blocks = [("## " if kind == "h" else "") + md_text(t.text) for kind, t in art.body]
    return "+++\n" + "\n".join(head) + "\n+++\n\n" + "\n\n".join(blocks) + "\n", images


def unplaced_md(fragments: list[tuple[str, int, Traced]]) -> str:
    """Every fragment under a subhead naming its input file and line; not on the page plan, so the build warns."""
    body = []
    for name, line, text in fragments:
        body += [f"## {md_text(name)}:{line}", md_text(text.text)]
    return (f"+++\n# Text epaper import-text could not place in an article. Move it where it belongs, or delete it.\n"
            f"title = {toml_str(UNPLACED_TITLE)}\n+++\n\n" + "\n\n".join(body) + "\n")


def paper_toml(script: str, slug: str) -> str:
    language = "zh-TW" if script == "traditional" else "zh-CN"
    name = PAPER_NAME_PLACEHOLDER.get(script, PAPER_NAME_PLACEHOLDER["simplified"])
    return ("# Written by epaper import-text because no paper.toml was given or found above the issue folder.\n"
            "# A minimal paper so the issue loads: put the paper's real identity here (see README, paper.toml).\n"
            f"name = {toml_str(name)}  # placeholder: the paper's name as printed in the 报头\n"
            f'language = "{language}"\n'
            'layout = "broadsheet"\n'
            f'slug = "{slug}"\n')


def write_folder(folder: Path, meta: IssueMeta, pages: list[list[PlacedArticle]],
                 unplaced: list[tuple[str, int, Traced]], paper_text: str | None, paper_copy: Path | None) -> None:
    """Everything but issue.toml into `folder` (a fresh temporary folder: the caller writes issue.toml with
    plan.issue_toml, which lays these files out, and moves the folder into place)."""
    (folder / "articles").mkdir(parents=True)
    for page in pages:
        for placed in page:
            text, images = article_md(placed, meta.sources[placed.article.file], meta.script)
            (folder / "articles" / f"{placed.id}.md").write_text(text, encoding="utf-8")
            for image in images:
                (folder / image).parent.mkdir(exist_ok=True)
                placeholder_png(folder / image)
    if unplaced:
        (folder / "articles" / f"{UNPLACED_ID}.md").write_text(unplaced_md(unplaced), encoding="utf-8")
    if paper_copy is not None:
        shutil.copyfile(paper_copy, folder / "paper.toml")
    elif paper_text is not None:
        (folder / "paper.toml").write_text(paper_text, encoding="utf-8")


def write_removed(folder: Path, removed: list[tuple[str, int, Removed]]) -> None:
    """removed.txt beside issue.toml: every passage taken out of the copy, each under a `# reason` line naming its
    input file and line, so that nothing is dropped unseen. No file when nothing was removed."""
    if not removed:
        return
    blocks = [f"# {r.reason} ({name}:{line})\n{r.text.text}" for name, line, r in removed]
    head = "# Text epaper import-text took out of the copy, each passage under its reason. Not printed.\n\n"
    (folder / REMOVED_FILE).write_text(head + "\n\n".join(blocks) + "\n", encoding="utf-8")
