"""An issue folder (issue.toml, articles/*.md, images, with paper.toml beside or above it) in, a checked model.Issue out."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from ..errors import InputError, did_you_mean
from ..model import Article, Composition, Issue, Page, Paper, Photo, Pin
from ..schema import Field, TomlSource, check_table, schedule_problem
from ..text import invisible_characters, invisible_message, position
from .images import SCALE_DOWN, ImageProblem, identify
from .markdown import parse_body

PAPER_FIELDS = {
    "name": Field("str", True, "the paper's name as printed in the 报头, e.g. 武进日报"),
    "slug": Field("str", what="ASCII name for output files; default: the folder holding paper.toml"),
    "name_latin": Field("str"),
    "publisher": Field("str"),
    "language": Field("str", True, "a BCP 47 tag such as zh-CN, zh-TW or en"),
    "layout": Field("str", True, "a folder under layouts/, e.g. broadsheet"),
    "cn": Field("str", what="国内统一连续出版物号 such as CN 32-0099"),
    "issn": Field("str"),
    "slogan": Field("str"),
    "address": Field("str"),
    "epub_title": Field("str", what="a pattern with {paper} and {date:%Y年%-m月%-d日}", pattern=("paper", "date")),
    "epub_vertical": Field("bool", what="set the EPUB in vertical writing (vertical-rl, right-to-left pages)"),
    "press_profile": Field("str", what="the printer's CMYK ICC profile, relative to paper.toml; press files become PDF/X-4"),
    "site_url": Field("str", what="the web e-paper's public address, e.g. https://epaper.example.com/; "
                                  "makes canonical links, sitemaps and the feed absolute"),
    "composition": Field("table"),
    "schedule": Field("str", what="publishing days for `epaper new`: daily, weekdays or weekly-<day>"),
    "editions": Field("list[table]", what="editions in the other script, one [[editions]] table each"),
}
COMPOSITION_FIELDS = {
    "kinsoku": Field("str", what="strict, basic or loose"),
    "han_latin_space": Field("float", what="gap between Han and Latin in em, 0 allowed"),
    "compress_punctuation": Field("bool"),
    "half_width_line_end": Field("bool", what="let line-end punctuation be set half-width to fit a line"),
    "hanging_punctuation": Field("bool"),
}
ISSUE_FIELDS = {
    "date": Field("date", True, "the issue date"),
    "number": Field("int", True, "总第N期, the running issue number"),
    "volume_number": Field("int"),
    "edition": Field("str"),
    "lunar": Field("str", what="农历 date as printed, e.g. 甲辰年十一月十九"),
    "weather": Field("str"),
    "jumps": Field("bool", what="let a story too long for its page continue on the next page (转版)"),
    "pages": Field("list[table]", True, "the page plan, one [[pages]] table per 版"),
    "corrections": Field("list[table]", what="更正 after publication, one [[corrections]] table each"),
}
PAGE_FIELDS = {
    "number": Field("int", True, "版次"),
    "name": Field("str", True, "版名, e.g. 要闻"),
    "editor": Field("str", True, "责任编辑"),
    "designer": Field("str", what="美编"),
    "template": Field("str", True, "a page template of the paper's layout"),
    "articles": Field("list[str]", True, "article ids (file names in articles/ without .md), most important first"),
    "pins": Field("table", what="article id = { columns = N, zone = \"side\" | \"below\" }"),
}
PIN_FIELDS = {
    "columns": Field("int", what="the module's width in columns"),
    "zone": Field("str", what='"side" (the strip beside the lead) or "below" (under the lead)'),
}
ARTICLE_FIELDS = {
    "kind": Field("str", what='"article" or "photo-news"'),
    "kicker": Field("str", what="引题"),
    "title": Field("str", what="主题"),
    "subtitle": Field("str", what="副题"),
    "dateline": Field("str", what="本报讯 or a 电头 such as 新华社北京12月18日电"),
    "reporters": Field("list[str]"),
    "correspondents": Field("list[str]", what="通讯员"),
    "photos": Field("list[table]"),
}
PHOTO_FIELDS = {
    "file": Field("str", True, "image path relative to the issue folder"),
    "caption": Field("str"),
    "credit": Field("str", what="photographers, printed as “X 摄”"),
    "alt": Field("str", what="alternative text; defaults to the caption"),
    "placeholder": Field("bool", what="true when the image stands in for a missing photo"),
}
ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SITE_URL = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*)?$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
CN_NUMBER = re.compile(r"^CN \d{2}-\d{4}(/[A-Z0-9]+)?$")
ENTITY = re.compile(r"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")


def read_source(file: Path) -> str:
    """A source file's text. The folder format is UTF-8 (a BOM is allowed); another encoding is refused, not
    guessed (GBK and Big5 bytes can decode as each other), naming the line and the likely encoding."""
    data = file.read_bytes()
    check_nul(file, data)  # before decoding: UTF-16 (a NUL in every other byte) says so, not "not UTF-8"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        from .decode import decode  # the importer's detector, used only to word the message

        try:
            guess = decode(data, file).encoding.upper()
        except InputError:
            guess = ""
        looks = f" (it looks like {guess})" if guess else ""
        raise InputError(file, f"not UTF-8 text{looks}: byte 0x{data[exc.start]:02X} cannot be decoded",
                         line=data[:exc.start].count(b"\n") + 1,
                         hint=f"save it as UTF-8, e.g. iconv -f {guess or 'GB18030'} -t UTF-8; "
                              "epaper import-text converts raw copy") from None
    for offset in invisible_characters(text)[:1]:
        line, column = position(text, offset)
        raise InputError(file, f"column {column}: {invisible_message(text[offset])}", line=line,
                         hint=f"delete it: editors hide it, a search for \\u{ord(text[offset]):04X} finds it")
    return text


def check_nul(file: Path, data: bytes) -> None:
    """Refuse a NUL byte, named by its byte offset (Markdown would turn it into U+FFFD, far from here)."""
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        utf16 = data.count(b"\0") * 3 > len(data)  # every other byte NUL: UTF-16 text
        raise InputError(file, f"NUL byte (0x00) at byte offset {nul} (line {line}, byte {column} of the line): "
                               "expected UTF-8 text", line=line,
                         hint="the file looks like UTF-16: save it as UTF-8" if utf16 else
                         "the file is binary or was damaged in transfer; delete the byte or restore the file")


def check_values(src: TomlSource, value: Any, path: tuple[str | int, ...] = ()) -> None:
    """Invisible characters written as TOML escapes ("\\u202E") in any string value, named by key."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_values(src, item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_values(src, item, (*path, i))
    elif isinstance(value, str):
        for offset in invisible_characters(value)[:1]:
            raise src.error(path, invisible_message(value[offset]), hint=f"delete the \\u{ord(value[offset]):04X}")


def check_entities(file: Path, body: str, first_line: int) -> None:
    """Invisible characters and NUL written as HTML character references (&#x202E;, &#0;) in the body, which
    Markdown decodes: the same refusal as for the raw characters, on the reference's line."""
    for n, line in enumerate(body.splitlines()):
        for m in ENTITY.finditer(line):
            digits = m.group(1)
            nul = int(digits[1:], 16) == 0 if digits[0] in "xX" else int(digits) == 0
            decoded = html.unescape(m.group())
            if nul or invisible_characters(f"a{decoded}a"):
                what = "a NUL character" if nul else invisible_message(decoded)
                raise InputError(file, f"column {m.start() + 1}: character reference {m.group()} is {what}",
                                 line=first_line + n, hint="delete it")


def find_paper_toml(issue_dir: Path) -> Path:
    """paper.toml in the issue folder or the nearest folder above it (papers share one)."""
    for folder in (issue_dir, *issue_dir.parents):
        candidate = folder / "paper.toml"
        if candidate.is_file():
            return candidate
    raise InputError(issue_dir, "no paper.toml found in this folder or above it",
                     hint="write the paper's identity once in paper.toml beside the issue folders")


def load_paper(file: Path) -> Paper:
    src = TomlSource(file, read_source(file))
    data = check_table(src, src.parse(), PAPER_FIELDS)
    check_values(src, data)
    if not ARTICLE_ID.match(data["layout"]):
        raise src.error(("layout",), f"expected the name of a folder under layouts/, got {data['layout']!r}",
                        hint="layouts are looked up by name in epaper's layouts/ folder only")
    if not LANGUAGE.match(data["language"]):
        raise src.error(("language",), f"expected a BCP 47 language tag such as zh-CN, got {data['language']!r}")
    if data.get("cn") and not CN_NUMBER.match(data["cn"]):
        raise src.error(("cn",), f"expected a serial number such as 'CN 32-0099', got {data['cn']!r}")
    comp = check_table(src, data.pop("composition", {}), COMPOSITION_FIELDS, ("composition",))
    if comp.get("kinsoku", "basic") not in ("strict", "basic", "loose"):
        raise src.error(("composition", "kinsoku"), f"expected strict, basic or loose, got {comp['kinsoku']!r}")
    if not 0 <= comp.get("han_latin_space", 0.25) <= 1:
        raise src.error(("composition", "han_latin_space"), "expected an em value from 0 to 1")
    if data.get("press_profile") and not (file.parent / data["press_profile"]).is_file():
        raise src.error(("press_profile",), f"profile {data['press_profile']!r} does not exist beside paper.toml")
    if data.get("site_url"):
        if not SITE_URL.match(data["site_url"]):
            raise src.error(("site_url",), f"expected an http(s) address such as https://epaper.example.com/, "
                                           f"got {data['site_url']!r}")
        data["site_url"] = data["site_url"].rstrip("/") + "/"  # the site root: every URL is joined onto it
    if problem := schedule_problem(data.get("schedule", "daily")):
        raise src.error(("schedule",), problem)
    from .editions import read_editions  # 繁简 editions: their tables are checked with the paper

    data["editions"] = read_editions(src, data.get("editions", []), data["language"])
    slug = data.pop("slug", file.parent.name)
    if not ARTICLE_ID.match(slug):
        raise src.error(("slug",), f"expected lower-case ASCII letters, digits and '-', got {slug!r}",
                        hint="set slug = \"my-paper\" in paper.toml")
    return Paper(**data, slug=slug, composition=Composition(**comp))


def load_issue(issue_dir: Path | str) -> Issue:
    """Read and check the whole folder; the first problem raises InputError naming file, line and key."""
    root = Path(issue_dir).resolve()
    issue_file = root / "issue.toml"
    if not issue_file.is_file():
        raise InputError(root, "not an issue folder: issue.toml is missing",
                         hint="an issue folder holds issue.toml and articles/*.md")
    paper = load_paper(find_paper_toml(root))
    src = TomlSource(issue_file, read_source(issue_file))
    data = check_table(src, src.parse(), ISSUE_FIELDS)
    check_values(src, data)
    if data["number"] < 1:
        raise src.error(("number",), f"expected a positive issue number, got {data['number']}")
    if "edition" in data and not ARTICLE_ID.match(data["edition"]):
        raise src.error(("edition",), f"expected lower-case ASCII letters, digits and '-', got {data['edition']!r}",
                        hint="the edition is part of every output file name")
    if not data["pages"]:
        raise src.error(("pages",), "an issue needs at least one page", hint="add one [[pages]] table per 版")
    pages: list[Page] = []
    placed: dict[str, int] = {}
    for i, table in enumerate(data["pages"]):
        check_table(src, table, PAGE_FIELDS, ("pages", i))
        if table["number"] != i + 1:
            raise src.error(("pages", i, "number"), f"expected page number {i + 1} (pages in order 1, 2, 3…), "
                                                    f"got {table['number']}")
        if not table["articles"]:
            raise src.error(("pages", i, "articles"), "a page needs at least one article")
        for art in table["articles"]:
            if art in placed:
                raise src.error(("pages", i, "articles"), f"article '{art}' is already on page {placed[art]}")
            placed[art] = table["number"]
        pins = {}
        for art, pin in table.get("pins", {}).items():
            where = ("pages", i, "pins", art)
            if art not in table["articles"]:
                raise src.error(where, f"pin for '{art}', which is not on this page",
                                hint=did_you_mean(art, table["articles"]))
            if not isinstance(pin, dict):
                raise src.error(where, "expected a table such as { columns = 3, zone = \"side\" }")
            check_table(src, pin, PIN_FIELDS, where)
            if pin.get("zone", "") not in ("", "side", "below"):
                raise src.error(where, f"expected zone \"side\" or \"below\", got {pin['zone']!r}")
            if not 0 <= pin.get("columns", 0) <= 12:
                raise src.error(where, f"expected a column count, got {pin['columns']}")
            pins[art] = Pin(columns=pin.get("columns", 0), zone=pin.get("zone", ""))
        pages.append(Page(number=table["number"], name=table["name"], editor=table["editor"],
                          template=table["template"], articles=tuple(table["articles"]),
                          designer=table.get("designer", ""), pins=pins))
    articles_dir = root / "articles"
    available = sorted(p.stem for p in articles_dir.glob("*.md")) if articles_dir.is_dir() else []
    articles: dict[str, Article] = {}
    for art_id, page_no in placed.items():
        file = articles_dir / f"{art_id}.md"
        if not file.is_file():
            raise src.error(("pages", page_no - 1, "articles"), f"article '{art_id}' has no file articles/{art_id}.md",
                            hint=did_you_mean(art_id, available) if available else "articles/ is empty")
        articles[art_id] = load_article(file, root)
    from .corrections import read_corrections, with_notes  # [[corrections]]: 更正 recorded by `epaper correct`

    corrections = read_corrections(src, data.get("corrections", []), articles)
    articles = with_notes(articles, corrections, paper.language)  # the note ends the article in every output
    return Issue(paper=paper, date=data["date"], number=data["number"], pages=tuple(pages), articles=articles,
                 root=root, edition=data.get("edition", ""), volume_number=data.get("volume_number", 0),
                 lunar=data.get("lunar", ""), weather=data.get("weather", ""), jumps=data.get("jumps", False),
                 corrections=corrections)


def unplaced_articles(issue: Issue) -> list[Path]:
    """Article files in the folder that no page names: reported, never silently dropped."""
    files = sorted((issue.root / "articles").glob("*.md"))
    return [f for f in files if f.stem not in issue.articles]


def split_front_matter(file: Path, text: str) -> tuple[TomlSource, str, int]:
    """'+++' TOML front matter, then the Markdown body; returns the body's first line number too."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "+++":
        hint = "YAML front matter (---) is not supported; use TOML" if lines and lines[0].strip() == "---" else \
            "start the file with a line '+++', then title = \"…\", then '+++'"
        raise InputError(file, "expected TOML front matter between '+++' lines", line=1, hint=hint)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "+++")
    except StopIteration:
        raise InputError(file, "front matter is not closed: no second '+++' line", line=1) from None
    return TomlSource(file, "\n".join(lines[1:end]), first_line=2), "\n".join(lines[end + 1:]), end + 2


def load_article(file: Path, root: Path) -> Article:
    art_id = file.stem
    if not ARTICLE_ID.match(art_id):
        raise InputError(file, f"article file name '{art_id}' must be lower-case ASCII letters, digits and '-'",
                         hint="the name is the article's id in issue.toml and in URLs")
    real = file.resolve()
    if not real.is_relative_to(root):
        raise InputError(file, f"the article file is a link to {real}, outside the issue folder",
                         hint="copy the article into articles/")
    text = read_source(file)
    src, body_text, body_line = split_front_matter(file, text)
    meta = check_table(src, src.parse(), ARTICLE_FIELDS)
    check_values(src, meta)
    kind = meta.get("kind", "article")
    if kind not in ("article", "photo-news"):
        raise src.error(("kind",), f"expected \"article\" or \"photo-news\", got {kind!r}")
    photos = tuple(load_photo(src, i, t, root) for i, t in enumerate(meta.get("photos", [])))
    check_entities(file, body_text, body_line)
    body = parse_body(file, body_text, body_line)
    if kind == "article":
        if not meta.get("title", "").strip():
            raise src.error(("title",), "an article needs a title (主题)")
        if not body:
            raise InputError(file, "the article has no body text", line=body_line)
    else:
        if len(photos) != 1:
            raise src.error(("photos",), f"photo news needs exactly one [[photos]] table, got {len(photos)}")
        if not body:
            raise InputError(file, "photo news needs its caption as the body text", line=body_line)
    for key in ("kicker", "title", "subtitle", "dateline"):
        if key in meta and meta[key] != meta[key].strip():
            raise src.error((key,), "leading or trailing spaces")
    return Article(id=art_id, kind=kind, title=meta.get("title", ""), kicker=meta.get("kicker", ""),
                   subtitle=meta.get("subtitle", ""), dateline=meta.get("dateline", ""),
                   reporters=tuple(meta.get("reporters", ())), correspondents=tuple(meta.get("correspondents", ())),
                   photos=photos, body=body, source=file)


def load_photo(src: TomlSource, index: int, table: dict[str, Any], root: Path) -> Photo:
    path = ("photos", index)
    check_table(src, table, PHOTO_FIELDS, path)
    rel = table["file"]
    target = (root / rel).resolve()
    if not target.is_relative_to(root):
        raise src.error((*path, "file"), f"image {rel!r} lies outside the issue folder",
                        hint="copy the image into the issue folder")
    if not target.is_file():
        raise src.error((*path, "file"), f"image {rel!r} does not exist")
    try:
        info = identify(target)  # by content: a TIFF named .png is a TIFF
    except ImageProblem as exc:
        what = "is truncated" if exc.kind == "truncated" else "cannot be read"
        raise src.error((*path, "file"), f"image {rel!r} {what}: {exc}",
                        hint=SCALE_DOWN if exc.kind == "too-large" else "") from None
    width, height = info.width, info.height
    caption = table.get("caption", "")
    return Photo(path=target, caption=caption, credit=table.get("credit", ""), alt=table.get("alt", caption),
                 width_px=width, height_px=height, placeholder=table.get("placeholder", False))
