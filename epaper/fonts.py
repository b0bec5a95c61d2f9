"""fonts/palette.toml in, the font roles (family, weight, metrics file) for a paper's script out; checks the machine has them."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import EnvironmentProblem
from .schema import Field, TomlSource, check_table

ROLE_FIELDS = {
    "family": Field("str", True),
    "family_hant": Field("str"),
    "weight": Field("int"),
    "file": Field("str", True, "the font file fontconfig resolves the family to"),
    "package": Field("str", what="the Debian package that ships the file"),
}
REQUIRED_ROLES = ("serif", "serif-bold", "sans", "sans-regular", "kai")


@dataclass(frozen=True)
class FontRole:
    """One role of the palette (serif body, sans headline, kai caption…) for one script."""

    role: str
    family: str
    weight: int
    file: Path
    package: str

    @property
    def css_class(self) -> str:
        return f"f-{self.role}"


@dataclass(frozen=True)
class Palette:
    roles: dict[str, FontRole]

    def __getitem__(self, role: str) -> FontRole:
        return self.roles[role]


def load_palette(fonts_dir: Path, traditional: bool = False) -> Palette:
    file = fonts_dir / "palette.toml"
    src = TomlSource(file, file.read_text(encoding="utf-8"))
    data = src.parse()
    roles = data.get("roles", {})
    missing = [r for r in REQUIRED_ROLES if r not in roles]
    if missing:
        raise src.error(("roles",), f"the palette lacks the roles {', '.join(missing)}")
    out = {}
    for name, table in roles.items():
        check_table(src, table, ROLE_FIELDS, ("roles", name))
        family = table.get("family_hant", table["family"]) if traditional else table["family"]
        out[name] = FontRole(name, family, table.get("weight", 400), Path(table["file"]), table.get("package", ""))
    return Palette(out)


_MATCHED: dict[tuple[str, int], str] = {}
_LOCK = threading.Lock()


def _fc_pattern(family: str, weight: int) -> str:
    fc_weight = {400: "regular", 700: "bold", 900: "black"}.get(weight, str(weight))
    return f"{family}:weight={fc_weight}"


def _fc_match_command(family: str, weight: int) -> list[str]:
    return ["fc-match", "-f", "%{file}", _fc_pattern(family, weight)]


class _Fontconfig:
    """libfontconfig called in this process, as fc-match calls it (parse the pattern, substitute, match, the
    match's file): the same answer without a process start per face (~15 ms each, most of check_environment)."""

    def __init__(self, lib: ctypes.CDLL):
        p, s = ctypes.c_void_p, ctypes.c_char_p
        for name, restype, argtypes in (
                ("FcNameParse", p, [s]), ("FcConfigSubstitute", ctypes.c_int, [p, p, ctypes.c_int]),
                ("FcDefaultSubstitute", None, [p]), ("FcFontMatch", p, [p, p, ctypes.POINTER(ctypes.c_int)]),
                ("FcPatternGetString", ctypes.c_int, [p, s, ctypes.c_int, ctypes.POINTER(s)]),
                ("FcPatternDestroy", None, [p])):
            getattr(lib, name).restype, getattr(lib, name).argtypes = restype, argtypes
        self.lib = lib

    def match_file(self, family: str, weight: int) -> str:
        lib = self.lib
        pattern = lib.FcNameParse(_fc_pattern(family, weight).encode("utf-8"))
        if not pattern:
            return ""
        try:
            lib.FcConfigSubstitute(None, pattern, 0)  # FcMatchPattern, the current configuration
            lib.FcDefaultSubstitute(pattern)
            result = ctypes.c_int()
            match = lib.FcFontMatch(None, pattern, ctypes.byref(result))
        finally:
            lib.FcPatternDestroy(pattern)
        if not match:
            return ""
        try:
            file = ctypes.c_char_p()
            found = lib.FcPatternGetString(match, b"file", 0, ctypes.byref(file)) == 0 and file.value
            return os.fsdecode(file.value) if found else ""
        finally:
            lib.FcPatternDestroy(match)


_FONTCONFIG: list[_Fontconfig | None] = []  # loaded once; [None]: no libfontconfig, ask fc-match instead


def _fontconfig() -> _Fontconfig | None:
    """libfontconfig, loaded on the first call (hold _LOCK)."""
    if not _FONTCONFIG:
        try:
            _FONTCONFIG.append(_Fontconfig(ctypes.CDLL("libfontconfig.so.1")))
        except (OSError, AttributeError):
            _FONTCONFIG.append(None)
    return _FONTCONFIG[0]


def fc_match_file(family: str, weight: int) -> str:
    """The file fontconfig picks for a family at a weight (what WeasyPrint will draw with)."""
    with _LOCK:
        if (family, weight) not in _MATCHED:
            fontconfig = _fontconfig()
            if fontconfig is not None:
                _MATCHED[family, weight] = fontconfig.match_file(family, weight)
            else:
                out = subprocess.run(_fc_match_command(family, weight), capture_output=True, text=True, check=False)
                _MATCHED[family, weight] = out.stdout.strip()
        return _MATCHED[family, weight]


def fc_match_files(faces: list[tuple[str, int]]) -> None:
    """Ask fontconfig about several faces at once: in this process through libfontconfig, else one fc-match
    each, run side by side (a process start is most of the cost of each); fc_match_file then answers from what
    they said."""
    with _LOCK:
        in_process = _fontconfig() is not None
    if in_process:
        for face in dict.fromkeys(faces):
            fc_match_file(*face)
        return
    procs = {face: subprocess.Popen(_fc_match_command(*face), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True) for face in dict.fromkeys(faces) if face not in _MATCHED}
    for face, proc in procs.items():
        out, _ = proc.communicate()
        with _LOCK:
            _MATCHED[face] = out.strip()


def _has_harfbuzz_subset() -> bool:
    """Whether libharfbuzz-subset loads: first by the name epaper.render.print.font_subset opens (a dlopen, no
    process), then as ctypes finds it (ldconfig and gcc run: slow, only where the soname differs)."""
    try:
        ctypes.CDLL("libharfbuzz-subset.so.0")
        return True
    except OSError:
        from ctypes.util import find_library

        return find_library("harfbuzz-subset") is not None


def check_environment(palette: Palette) -> None:
    """Stop early when fonts or HarfBuzz's subsetter are missing: both make output wrong or 50× slower."""
    if not _has_harfbuzz_subset():
        raise EnvironmentProblem(
            "libharfbuzz-subset0 is not installed: WeasyPrint would subset CJK fonts with fontTools "
            "(about 50× slower per page); install it with: apt-get install libharfbuzz-subset0")
    if shutil.which("fc-match") is None:
        raise EnvironmentProblem("fontconfig's fc-match is missing: apt-get install fontconfig")
    fc_match_files([(role.family, role.weight) for role in palette.roles.values()])
    for role in palette.roles.values():
        if not role.file.is_file():
            raise EnvironmentProblem(f"font role '{role.role}' needs {role.file}"
                                     + (f": apt-get install {role.package}" if role.package else ""))
        got = fc_match_file(role.family, role.weight)
        if Path(got).name != role.file.name:
            raise EnvironmentProblem(f"fontconfig draws '{role.family}' from {got or 'nothing'}, "
                                     f"but the palette measures with {role.file}"
                                     + (f": apt-get install {role.package}" if role.package else ""))
