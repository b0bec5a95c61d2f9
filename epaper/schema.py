"""TOML tables in, checked values out: a tiny schema checker whose errors name file, line, key and what was expected."""

from __future__ import annotations

import datetime as dt
import re
import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import InputError, did_you_mean


@dataclass(frozen=True)
class Field:
    """One allowed key: its type (as a checker), whether it is required, and what it means (for messages)."""

    kind: str  # "str", "int", "date", "bool", "float", "list[str]", "table", "list[table]"
    required: bool = False
    what: str = ""
    # a "str" that is a format pattern: the only {fields} it may name ("date" takes a strftime format)
    pattern: tuple[str, ...] = ()


# Dates outside these become paths such as site/1-01 (strftime does not pad years below 1000) and are typos in
# any case; TOML ints are unbounded, and a 21-digit 总第N期 is one too.
DATE_RANGE = (dt.date(1800, 1, 1), dt.date(2999, 12, 31))
INT_LIMIT = 999_999_999
# The date formats a pattern may use: year, month, day, names of month and weekday (strftime; %-m drops the 0).
DATE_FORMAT = re.compile(r"%(-?[Yymdej]|[BbAa%])")


# A paper's publishing days (paper.toml `schedule`, read by `epaper new`): every day, Monday to Friday, or one
# day a week.
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SCHEDULES = ("daily", "weekdays", *(f"weekly-{day}" for day in WEEKDAY_NAMES))


def schedule_problem(value: str) -> str:
    """'' if `value` is a publishing schedule, else what was expected."""
    if value in SCHEDULES:
        return ""
    return f"expected daily, weekdays or weekly-<day> (weekly-monday … weekly-sunday), got {value!r}"


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


def toml_value(value: Any) -> str:
    """A value as it would be written in TOML (messages quote the file, not Python's repr of a datetime)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    return str(value)


def pattern_problem(pattern: str, fields: tuple[str, ...]) -> str:
    """'' if `pattern` names only `fields` ({paper}, {date:%Y年%-m月%-d日}), else what is wrong with it.

    str.format would otherwise reach attributes and items ({paper.__class__}, {0}, {date.max}) at build time."""
    allowed = ", ".join(f"{{{f}}}" for f in fields)
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:  # a lone { or }
        return f"not a valid pattern ({exc}); write {{{{ and }}}} for literal braces"
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields or conversion:
            shown = name + (f"!{conversion}" if conversion else "")
            return f"{{{shown}}} is not allowed in the pattern; expected only {allowed}"
        if name == "date":
            rest = DATE_FORMAT.sub("", spec or "")
            if "%" in rest or "{" in rest or "}" in rest:
                return (f"date format '{spec}' is not allowed; expected strftime codes %Y %y %m %-m %d %-d %e %j "
                        "%B %b %A %a and text, e.g. {date:%Y年%-m月%-d日}")
        elif spec:
            return f"{{{name}:{spec}}}: {{{name}}} takes no format; expected only {allowed}"
    return ""


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
            raise src.error((*path, key), f"expected {_EXPECTED[f.kind]}{what}, got {toml_value(value)}")
        if f.kind == "date" and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
            raise src.error((*path, key), f"expected a date from {DATE_RANGE[0]} to {DATE_RANGE[1]}, got {value}")
        if f.kind == "int" and abs(value) > INT_LIMIT:
            raise src.error((*path, key), f"expected a whole number of at most 9 digits, got {value}")
        if f.pattern and (problem := pattern_problem(value, f.pattern)):
            raise src.error((*path, key), problem)
        for text in [value] if f.kind == "str" else value if f.kind == "list[str]" else []:
            if problem := bad_character(text):
                raise src.error((*path, key), problem, hint="delete it; it is invisible in most editors")
    for key, f in fields.items():
        if f.required and key not in table:
            where = ".".join(str(p) for p in path) or "the top level"
            what = f" ({f.what})" if f.what else ""
            raise src.error(path, f"missing required key '{key}'{what} in {where}")
    return table
