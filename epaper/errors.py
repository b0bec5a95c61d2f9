"""Two channels for problems: findings (code, location, hint) that a build collects, and one error family that aborts it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One problem a build met: stable code (E101…), severity, where (file:line or page/article) and a hint."""

    code: str
    severity: Severity
    message: str
    where: str = ""
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.severity} {self.brief}"

    @property
    def brief(self) -> str:
        """The finding without its severity (`E302: page 1, …`), for lines that already say "error:"."""
        text = f"{self.where}: {self.message}" if self.where else self.message
        text = f"{self.code}: {text}"
        return f"{text} ({self.hint})" if self.hint else text


class EpaperError(Exception):
    """Aborts a build; the CLI prints str(error) as its one-line reason and exits with exit_code."""

    exit_code = 1


class InputError(EpaperError):
    """Bad input: names the file, the line and the key, and says what was expected."""

    exit_code = 2

    def __init__(self, file: Path | str, message: str, *, line: int | None = None, key: str = "", hint: str = ""):
        self.file = Path(file)
        self.line = line
        self.key = key
        self.message = message
        self.hint = hint
        super().__init__(str(self))

    def __reduce__(self):  # builds of several issues run in worker processes: errors must cross back
        return (_input_error, (self.file, self.message, self.line, self.key, self.hint))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = f" {self.key}:" if self.key else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{key} {self.message}{hint}"


class LayoutError(EpaperError):
    """The page plan cannot be set: overset text, unknown template, a slot too small."""

    exit_code = 3

    def __init__(self, findings: Iterable[Finding]):
        self.findings = tuple(findings)
        super().__init__("; ".join(f.brief for f in self.findings))

    def __reduce__(self):
        return (LayoutError, (self.findings,))


class EnvironmentProblem(EpaperError):
    """The machine lacks something a build needs (a font, libharfbuzz-subset, room on the disk)."""

    exit_code = 4


class OptionError(EpaperError):
    """A bad command-line option or environment variable: names it, says what was expected and what it got."""

    exit_code = 2

    def __init__(self, name: str, message: str):
        self.name = name
        self.message = message
        super().__init__(f"{name}: {message}")

    def __reduce__(self):
        return (OptionError, (self.name, self.message))


def _input_error(file: Path, message: str, line: int | None, key: str, hint: str) -> InputError:
    return InputError(file, message, line=line, key=key, hint=hint)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the nearest valid choice, or listing the valid ones."""
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(choices)
