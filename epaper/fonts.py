"""fonts/palette.toml in, the font roles (family, weight, metrics file) for a paper's script out; checks the machine has them."""

from __future__ import annotations

import ctypes.util
import shutil
import subprocess
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


def _fc_match_command(family: str, weight: int) -> list[str]:
    fc_weight = {400: "regular", 700: "bold", 900: "black"}.get(weight, str(weight))
    return ["fc-match", "-f", "%{file}", f"{family}:weight={fc_weight}"]


def fc_match_file(family: str, weight: int) -> str:
    """The file fontconfig picks for a family at a weight (what WeasyPrint will draw with)."""
    if (family, weight) not in _MATCHED:
        out = subprocess.run(_fc_match_command(family, weight), capture_output=True, text=True, check=False)
        _MATCHED[family, weight] = out.stdout.strip()
    return _MATCHED[family, weight]


def fc_match_files(faces: list[tuple[str, int]]) -> None:
    """Ask fontconfig about several faces at once (one fc-match each, run side by side: a process start is most
    of the cost of each); fc_match_file then answers from what they said."""
    procs = {face: subprocess.Popen(_fc_match_command(*face), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                    text=True) for face in dict.fromkeys(faces) if face not in _MATCHED}
    for face, proc in procs.items():
        out, _ = proc.communicate()
        _MATCHED[face] = out.strip()


def check_environment(palette: Palette) -> None:
    """Stop early when fonts or HarfBuzz's subsetter are missing: both make output wrong or 50× slower."""
    if ctypes.util.find_library("harfbuzz-subset") is None:
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
