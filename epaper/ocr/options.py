"""The switches of an import (one rule each), shared by the library call and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ImportOptions:
    """Every normalisation rule can be turned off; the defaults follow Chinese news style and clreq."""

    remove_han_spaces: bool = True  # spaces between Chinese characters and punctuation (OCR column breaks) go
    remove_han_latin_spaces: bool = True  # 10 亿元 → 10亿元: the composer sets the ¼-em Han–Latin gap itself
    rejoin_lines: bool = True  # a line that does not end a sentence continues on the next, across blank lines too
    fullwidth_punctuation: bool = True  # ASCII , . ; : ! ? ( ) next to Chinese → ，。；：！？（）
    pair_quotes: bool = True  # straight " ' paired into “” ‘’ (or 「」 『』), nested ones one level down
    quote_style: Literal["auto", "curly", "corner"] = "auto"  # auto: 「」 for Traditional input without “”
    halfwidth_alnum: bool = True  # full-width digits, Latin letters and ％ → ASCII (１５．４ → 15.4)
    fix_dash_yi: bool = True  # lone '-' → 一 before a word such as 把手 (always reported, fixed or not)
    read_markup: bool = True  # Markdown/HTML of OCR exports: headings give the deck, the marks are dropped
    remove_chrome: bool = True  # web-page navigation, share links, copyright and ICP footers → removed.txt
    close_up_spacing: bool = True  # OCR with a space after every character (Tesseract style) closed up
    overwrite: bool = False  # replace an existing, non-empty output folder
    number: int | None = None  # 总第N期 for issue.toml; None writes 1, marked as a placeholder
    editor: str = "待定"  # 责任编辑 of every page: to be filled in
    page_name: str = "待定"  # 版名 of every page: to be filled in
