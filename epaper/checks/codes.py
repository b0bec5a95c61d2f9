"""Every finding code `epaper check` can report, in one table: code → (severity, title, hint).

The letter is the severity (E error, W warning, I info); the hundreds say where the problem lies:
1xx the issue folder and its page plan, 2xx fonts and glyphs, 3xx layout (raised by epaper.layout and
relayed here; E31x by the build's geometry check), 4xx images, 5xx rendering and press files (raised by
epaper.render during a build), 6xx built outputs. `epaper check` reports 1xx, 2xx, 30x, 4xx and 6xx; the
build reports the rest; one table keeps them all.
Codes are stable: a retired code is never reused for another problem.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import Finding


class Code(NamedTuple):
    severity: str
    title: str
    hint: str


CODES: dict[str, Code] = {
    # 1xx: the folder and the page plan
    "E100": Code("error", "the issue folder cannot be read",
                 "fix the file, line and key named; `epaper validate` shows the same message"),
    "W101": Code("warning", "article file is not on any page of the plan",
                 "add its id to a page's articles in issue.toml, or move the file out of articles/"),
    "E102": Code("error", "the page plan names an article that has no file",
                 "write articles/<id>.md or correct the id in issue.toml"),
    "E103": Code("error", "duplicate id",
                 "list each article once in the plan; ids page-1, page-2… are taken by the pages"),
    "E104": Code("error", "empty headline",
                 "every article needs a title (主题); photo news may go without"),
    "W105": Code("warning", "blank headline or caption field",
                 "fill the key or delete it: a blank kicker, subtitle, caption or credit prints nothing"),
    "W106": Code("warning", "unbalanced quotation marks or brackets",
                 "close what is opened (“”, （）, 《》…) in the same paragraph or field"),
    # 2xx: fonts and glyphs
    "E201": Code("error", "a palette font is not installed",
                 "install the Debian package named (apt-get install …), then run fc-cache -f"),
    "E202": Code("error", "missing glyph (缺字)",
                 "the palette font that draws this text lacks the character: replace it, or have the glyph made "
                 "and added to the palette"),
    # 3xx: layout (from epaper.layout)
    "E301": Code("error", "more articles than the template has slots",
                 "choose a template with more slots or move articles to another page"),
    "E302": Code("error", "overset: the copy does not fit",
                 "shorten the copy, give it a larger slot, or move an article to another page"),
    "W303": Code("warning", "underset: a pinned slot has empty lines", "add copy or use a smaller slot"),
    "E304": Code("error", "modules overlap", "give the template's slots distinct rows or columns"),
    "W306": Code("warning", "underset: the page is not filled", "add copy, a larger photo, or another article"),
    "I307": Code("info", "a story continues on the next page (转版)", ""),
    "E308": Code("error", "a story cannot jump to or from a page with pinned slots", "use a template without slots"),
    "E310": Code("error", "a module is missing from the rendered page",
                 "a layout bug: report it with the issue folder"),
    "E311": Code("error", "a module is rendered away from its planned place",
                 "a layout bug: report it with the issue folder"),
    "E312": Code("error", "the rendered page count differs from the plan", "a page box overflowed: a layout bug"),
    # 4xx: images
    "E401": Code("error", "image file is missing", "put the file in the issue folder or correct the path"),
    "E402": Code("error", "image file cannot be read", "re-export the photo as JPEG or PNG"),
    "E403": Code("error", "image file is truncated",
                 "the file ends before its data does (an interrupted copy or upload): copy it again"),
    "W404": Code("warning", "image resolution below 150 ppi where it is placed",
                 "use a larger original, or give the photo fewer columns"),
    "E405": Code("error", "image resolution below 100 ppi where it is placed",
                 "use a larger original, or give the photo fewer columns"),
    "I406": Code("info", "placeholder photo", "replace it with the real photo before the page goes to press"),
    # 5xx: rendering and the press files (from epaper.render)
    "W500": Code("warning", "WeasyPrint warned while rendering", "read the message; it usually names the CSS rule"),
    "E501": Code("error", "the page asked for a file outside the issue, layouts/ and fonts/",
                 "keep images inside the issue folder"),
    "E520": Code("error", "a colour or image of the press file is not CMYK",
                 "give it an opaque device-cmyk() colour in the layout's press.css"),
    "E521": Code("error", "a photo cannot be separated to CMYK", "re-save the image as RGB JPEG or PNG"),
    # 6xx: built outputs
    "E601": Code("error", "output file is missing or cannot be opened", "build again; the file may be cut short"),
    "E602": Code("error", "EPUBCheck reports an error", "see the EPUBCheck message id and location"),
    "W603": Code("warning", "EPUBCheck reports a warning", "see the EPUBCheck message id and location"),
    "W604": Code("warning", "an output could not be checked",
                 "install the checker named (EPUBCheck needs Java: apt-get install default-jre-headless)"),
    "E611": Code("error", "a font of the PDF is not embedded", "printers and archives need every font in the file"),
    "E612": Code("error", "RGB colour in a press PDF", "press files carry CMYK only; see press.css"),
    "E613": Code("error", "a press page lacks a correct TrimBox or BleedBox",
                 "the trim must lie inside the bleed, the bleed inside the media box"),
    "E614": Code("error", "a press PDF lacks its PDF/X identification or output intent",
                 "press files name their output condition (IFRA26) or embed the printer's profile"),
}


def finding(code: str, message: str, where: str = "", hint: str | None = None) -> Finding:
    """A Finding with the table's severity and, unless given, its hint."""
    entry = CODES[code]
    hint = entry.hint if hint is None else hint
    return Finding(code, entry.severity, message, where=where, hint=hint)  # type: ignore[arg-type]


def markdown_table() -> str:
    """The table for README.md."""
    rows = ["| code | severity | problem | what to do |", "| --- | --- | --- | --- |"]
    rows += [f"| {code} | {c.severity} | {c.title} | {c.hint} |" for code, c in CODES.items()]
    return "\n".join(rows)
