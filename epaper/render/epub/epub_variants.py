"""Requested e-reader formats, an issue and its cover in; the e-reader editions written into a folder, names out.

    kepub   SLUG.kepub.epub   Kobo: koboSpans and book-columns/book-inner (kepub.py), from the same model
    kindle  SLUG.kindle.epub  Send-to-Kindle: <img> cover page, no embedded fonts (Kindle uses its own CJK fonts)
    azw3    SLUG.azw3         calibre's `ebook-convert` of the Kindle edition, where calibre is installed

The two EPUB editions are byte-identical for the same input, like the EPUB; the AZW3 is calibre's and is not
(calibre stamps its own identifiers), which is why it is an optional extra and never the only Kindle route.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from ...errors import EnvironmentProblem, EpaperError
from ...model import Issue
from ...strings import Strings
from .epub import write_epub

SUFFIXES = {"kepub": ".kepub.epub", "kindle": ".kindle.epub", "azw3": ".azw3"}
CONVERT_SECONDS = 300  # a four-page issue converts in about 10 s; a hung converter must not hang the build


def file_name(slug: str, fmt: str) -> str:
    """SLUG.kepub.epub (the name Kobo needs to open it with its kepub engine), SLUG.kindle.epub, SLUG.azw3."""
    return slug + SUFFIXES[fmt]


def write_variants(formats: Sequence[str], issue: Issue, strings: Strings, folder: Path, *,
                   cover_pdf: Path | bytes | None = None, cover_key: str | None = None, cache: Path | None = None,
                   vertical: bool = False, layout_folders: Sequence[Path] | None = None) -> list[str]:
    """Write each requested edition into folder; returns the file names written, in the order asked."""
    names: list[str] = []
    common = dict(cover_pdf=cover_pdf, cover_key=cover_key, cache=cache, vertical=vertical,
                  layout_folders=layout_folders)
    for fmt in ("kepub", "kindle"):
        if fmt in formats or (fmt == "kindle" and "azw3" in formats):
            write_epub(issue, strings, folder / file_name(issue.slug, fmt), variant=fmt, **common)
            if fmt in formats:
                names.append(file_name(issue.slug, fmt))
    if "azw3" in formats:
        kindle = folder / file_name(issue.slug, "kindle")
        convert_azw3(kindle, folder / file_name(issue.slug, "azw3"))
        if "kindle" not in formats:
            kindle.unlink()
        names.append(file_name(issue.slug, "azw3"))
    return names


def ebook_convert() -> str | None:
    """calibre's converter, if installed (Debian: apt-get install --no-install-recommends calibre)."""
    return shutil.which("ebook-convert")


def convert_azw3(epub: Path, target: Path) -> None:
    """EPUB → AZW3 with calibre; calibre's settings live in a throw-away folder, never the user's."""
    tool = ebook_convert()
    if tool is None:
        raise EnvironmentProblem("--format azw3 needs calibre's ebook-convert: apt-get install --no-install-recommends "
                                 "calibre (or send the .kindle.epub to Kindle instead)")
    with tempfile.TemporaryDirectory(prefix="epaper-calibre-") as home:
        env = {**os.environ, "CALIBRE_CONFIG_DIRECTORY": home, "HOME": home, "QT_QPA_PLATFORM": "offscreen"}
        try:
            run = subprocess.run([tool, str(epub), str(target)], env=env, capture_output=True, text=True,
                                 timeout=CONVERT_SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise EpaperError(f"ebook-convert took more than {CONVERT_SECONDS} s on {epub.name}") from None
    if run.returncode != 0 or not target.is_file():
        last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
        raise EpaperError(f"ebook-convert failed on {epub.name} (exit {run.returncode}): {last[0]}")
