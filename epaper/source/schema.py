"""TOML tables in, checked values out: a tiny schema checker whose errors name file, line, key and what was expected."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, did_you_mean


@dataclass(frozen=True)
class Field:
    """One allowed key: its type (as a checker), whether it is required, and what it means (for messages)."""

    kind: str  # "str", "int", "date", "bool", "float", "list[str]", "table", "list[table]"
    required: bool = False
    what: str = ""


_TYPES: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "table": lambda v: isinstance(v, dict),
    "list[table]": lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v),
}

# Characters XML 1.0 cannot carry (the EPUB and the print HTML would break far from the source): C0 controls
# other than tab and line ends, lone surrogates, U+FFFE and U+FFFF.
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def bad_character(text: str) -> str:
    """'' if text may be printed, else a message naming the first character that may not."""
    m = NOT_TEXT.search(text)
    return f"control character U+{ord(m.group()):04X} is not allowed in text" if m else ""


_EXPECTED = {
    "str": "a string in quotes",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "date": "a date such as 2024-12-19 (no quotes)",
    "list[str]": 'a list of strings such as ["a", "b"]',
    "table": "a table",
    "list[table]": "a list of tables ([[…]])",
}


class TomlSource:
    """A TOML text with its file name; knows on which line a key stands (tomllib does not say)."""

    def __init__(self, file: Path, text: str, first_line: int = 1):
        self.file = file
        self.text = text
        self.first_line = first_line  # for front matter: line of the text's first line in the file

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
            line = int(m.group(1)) + self.first_line - 1 if m else None
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
            raise InputError(self.file, f"not valid TOML: {msg}", line=line,
                             hint="strings need quotes, tables [name], lists [a, b]") from None

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Best-effort line of a key path such as ("pages", 2, "template") or ("date",)."""
        lines = self.text.splitlines()
        key = path[-1] if path and isinstance(path[-1], str) else None
        tables = [p for p in path[:-1] if isinstance(p, str)] if key else [p for p in path if isinstance(p, str)]
        index = next((p for p in path if isinstance(p, int)), None)
        header_name = ".".join(tables)
        start, end = 0, len(lines)
        if header_name:
            seen = -1
            for i, raw in enumerate(lines):
                s = raw.strip()
                if s in (f"[[{header_name}]]", f"[{header_name}]"):
                    seen += 1
                    if index is None or seen == index:
                        start = i
                        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("[")), len(lines))
                        break
            else:
                # an inline table (pins = { a = { … } }) has no header: point at the line of its parent key
                return self.line_of(path[:-1]) if len(path) > 1 else None
            if key is None:
                return start + self.first_line
        else:
            end = next((j for j, raw in enumerate(lines) if raw.strip().startswith("[")), len(lines))
        if key is None:
            return None
        pattern = re.compile(rf"^\s*(\"{re.escape(key)}\"|{re.escape(key)})\s*=")
        for i in range(start, end):
            if pattern.match(lines[i]):
                return i + self.first_line
        return start + self.first_line if header_name else None

    def error(self, path: tuple[str | int, ...], message: str, hint: str = "") -> InputError:
        key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[")
        return InputError(self.file, message, line=self.line_of(path), key=key, hint=hint)


def check_table(src: TomlSource, table: dict[str, Any], fields: dict[str, Field],
                path: tuple[str | int, ...] = ()) -> dict[str, Any]:
    """Every key known and of the right type, every required key present; returns the table unchanged."""
    for key, value in table.items():
        if key not in fields:
            raise src.error((*path, key), f"unknown key '{key}'", hint=did_you_mean(key, fields))
        f = fields[key]
        if not _TYPES[f.kind](value):
            what = f" ({f.what})" if f.what else ""
            raise src.error((*path, key), f"expected {_EXPECTED[f.kind]}{what}, got {value!r}")
        for text in [value] if f.kind == "str" else value if f.kind == "list[str]" else []:
            if problem := bad_character(text):
                raise src.error((*path, key), problem, hint="delete it; it is invisible in most editors")
    for key, f in fields.items():
        if f.required and key not in table:
            where = ".".join(str(p) for p in path) or "the top level"
            what = f" ({f.what})" if f.what else ""
            raise src.error(path, f"missing required key '{key}'{what} in {where}")
    return table
