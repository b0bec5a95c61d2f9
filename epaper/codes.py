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

from .errors import Finding


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
    "E110": Code("error", "imported text is still unplaced (articles/unplaced.md)",
                 "move each passage into the article it belongs to, or delete it; REVIEW.md says where it came from"),
    "E130": Code("error", "invisible character or NUL byte in the copy",
                 "delete it: editors hide bidi controls, zero-width spaces and NUL; a search for its code (\\u202E) "
                 "finds it"),
    "E160": Code("error", "a vertical slot cannot hold a photo",
                 "put the story in a horizontal slot, or move its photo to another story"),
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
    "I320": Code("info", "a house-ad slot (公益广告) fills what the copy leaves",
                 "place a 公益广告 or an ad there, or add copy: the slot shrinks to fit"),
    "E308": Code("error", "a story cannot jump to or from a page with pinned slots", "use a template without slots"),
    "E309": Code("error", "the pins leave no arrangement that fits",
                 "loosen or drop a pin; the page fits without them"),
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
    "E410": Code("error", "image has more pixels than the limit (80 megapixels)",
                 "scale it down, e.g. to 8,000 pixels on the long side; no output uses more than 300 ppi"),
    "E411": Code("error", "image format or colour mode not supported",
                 "re-export the photo as JPEG, PNG, TIFF or WebP in RGB, grey or CMYK"),
    "W410": Code("warning", "image file name does not match its content",
                 "rename the file to its format's extension (.jpg, .png, .tif…); it is read by its content"),
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
    "E615": Code("error", "a font is embedded in a form the declared PDF/X standard does not allow",
                 "PDF/X-1a and X-3 (PDF 1.3/1.4) carry CFF as FontFile3 /Type1C or /CIDFontType0C, not /OpenType; "
                 "build the press files again"),
    "E620": Code("error", "a file given to check --output is not a PDF or EPUB",
                 "name the .pdf, .press.pdf or .epub files epaper built"),
    "E621": Code("error", "a PDF given to check --output was not made by epaper",
                 "check the PDF epaper built; its checks do not vouch for other programs' files"),
    # 7xx: the web site
    "I700": Code("info", "no site_url in paper.toml: no sitemaps, relative canonical links",
                 "set site_url = \"https://…/\" in paper.toml to publish sitemap.xml and news-sitemap.xml"),
    # 8xx: e-reader delivery (epaper/checks/readers.py, run on every EPUB given to check --output); each hint
    # names the documented source of the rule
    "W801": Code("warning", "the EPUB is over 50 MB, Send-to-Kindle's e-mail limit",
                 "Amazon help 'Using Your Send to Kindle Email Address': 50 MB in all; use fewer or smaller photos"),
    "E802": Code("error", "dc:language is missing or not a language tag",
                 "EPUB 3.3 requires it; Kindle picks its fonts from it: set paper.toml language (e.g. zh-CN)"),
    "W803": Code("warning", "a Chinese dc:language that does not tell Simplified from Traditional",
                 "Apple Books Asset Guide, Languages, and Kindle (fonts chosen by dc:language): write zh-Hans or "
                 "zh-Hant (epaper writes zh-Hans-CN)"),
    "E804": Code("error", "an image is over 5.6 million pixels",
                 "Apple Books Asset Guide, Images: images 'cannot exceed 5.6 million pixels'; scale it down"),
    "W805": Code("warning", "an image file is over 5 MB",
                 "Kindle Publishing Guidelines (2014.1 on): at most 5 MB per image; re-encode it"),
    "W806": Code("warning", "a content document is over 10 MB",
                 "Kobo EPUB specification, Limitations and Maximums: 10 MB per HTML file; split the article"),
    "E807": Code("error", "a resource is encrypted other than by IDPF font obfuscation, or with another book's key",
                 "EPUB OCF 3.3 font obfuscation, keyed by the book's unique identifier, is the only one readers "
                 "decode (Kobo EPUB specification, Obfuscated Fonts); DRM is refused by Send-to-Kindle: embed the "
                 "font unencrypted, or obfuscate it again after changing the identifier"),
    "W808": Code("warning", "an embedded font is WOFF or its licence forbids embedding",
                 "Kindle Publishing Guidelines, Using Embedded Fonts: OpenType/TrueType only; OpenType OS/2 "
                 "fsType 0x0002 (restricted) forbids embedding: choose another face"),
    "W809": Code("warning", "the cover image is not named where Kindle and Kobo look",
                 "Kobo EPUB specification, Cover Images, and Kindle Publishing Guidelines: <meta name=\"cover\"> "
                 "naming the manifest's cover-image item"),
    "W810": Code("warning", "the cover is a GIF or other format, or its SVG scales it by a transform",
                 "Kobo EPUB specification, Cover Images (no GIF) and SVG (transforms may not display on eInk); "
                 "Apple Books Asset Guide, Images: use JPEG or PNG"),
    "W811": Code("warning", "the table of contents nests more than two levels",
                 "Kindle Publishing Guidelines, NCX Guidelines: two levels of nesting; flatten it"),
    "W812": Code("warning", "fixed-layout flags disagree",
                 "rendition:layout, Apple's and Kobo's display-options fixed-layout and Kindle's "
                 "<meta name=\"fixed-layout\"> must say the same (Kobo EPUB specification, Fixed Layout; "
                 "Apple Books Asset Guide, Fixed-Layout Books; Kindle Publishing Guidelines)"),
    "W813": Code("warning", "series metadata is missing or disagrees",
                 "EPUB 3.3 belongs-to-collection with group-position and calibre:series with series_index must "
                 "name the same series and number (calibre and kepubify's seriesmeta read one or the other)"),
    "W814": Code("warning", "vertical writing that a reader will lose",
                 "Kindle: <meta name=\"primary-writing-mode\" content=\"vertical-rl\"> (Kindle Publishing "
                 "Guidelines); Apple Books: writing-mode on html or body (Asset Guide, Text Directions); "
                 "spine page-progression-direction rtl (Kobo EPUB specification, Right to Left)"),
    "W815": Code("warning", "a .kepub.epub without Kobo's spans or wrappers",
                 "Kobo's kepub engine needs koboSpans and book-columns/book-inner (as kepubify writes): "
                 "build it with --format kepub"),
    # 9xx: archives (epaper archive build, epaper/archive/)
    "E900": Code("error", "an issue of the archive did not build",
                 "fix what the reason names and run the archive build again: only the changed issues are built"),
    "E901": Code("error", "two issues of the archive have the same paper, date and edition",
                 "give one of them an edition in issue.toml, or remove the copy"),
    "W900": Code("warning", "IIIF ids use a stand-in address",
                 "IIIF ids must be absolute: set site_url in paper.toml or pass --base-url with the site's address"),
    "I900": Code("info", "issue skipped: inputs and code unchanged since its recorded build",
                 "pass --force to build it anyway"),
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
