"""Press options in, the PDF/X variant, output condition and profile bytes to write out (a bad profile: InputError).

Without a profile: PDF/X-1a:2003 whose output intent names the registered characterization IFRA26 (ISO 12647-3
coldset on newsprint); PDF/X-1a may name a registered condition without embedding its profile. No freely licensed
newsprint CMYK profile exists (Debian's icc-profiles-free, colord-data and argyll-ref hold none; Ghostscript's
default_cmyk.icc is AGPL), so none is shipped. A paper (or its printer) that supplies a CMYK profile gets PDF/X-4
with the profile embedded as the output intent, and photos separated through it. The registered conditions are
data: layouts/base/press/conditions.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageCms

from ...errors import InputError
from ...paths import LAYOUTS
from .press_photos import MAX_PPI, TOTAL_INK

VARIANTS = ("pdf/x-1a", "pdf/x-3", "pdf/x-4")
CONDITIONS = LAYOUTS / "base" / "press" / "conditions.toml"


def _registered(path: Path) -> tuple[str, str, dict[str, tuple[str, str]]]:
    """(RegistryName, default identifier, identifier → (OutputCondition, Info)) from the conditions table."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    table = {name: (entry["condition"], entry["info"]) for name, entry in data["conditions"].items()}
    return data["registry"], data["default"], table


# Registered characterizations (ICC's characterization data registry) for newsprint that a PDF/X-1a or X-3
# file may name without embedding a profile: identifier → (OutputCondition, Info).
REGISTRY, DEFAULT_CONDITION, REGISTERED = _registered(CONDITIONS)


@dataclass(frozen=True)
class PressOptions:
    """How to make the press files. A profile switches to PDF/X-4 with it embedded."""

    profile: Path | None = None  # the paper's CMYK output profile (ICC), e.g. from paper.toml [press] profile
    condition: str | None = None  # output condition identifier; default IFRA26, or the profile's description
    variant: str | None = None  # "pdf/x-1a" or "pdf/x-3" without a profile, "pdf/x-4" with one (the defaults)
    per_page: bool = True  # one PDF per page besides the whole issue
    max_ppi: float = MAX_PPI  # photos are downsampled to this at their placed size (needs `pages`)
    total_ink: float = TOTAL_INK  # photo separation without a profile: total area coverage limit
    jpeg_quality: int = 90


def resolve(options: PressOptions) -> tuple[str, str, bytes | None]:
    """(variant, condition identifier, profile bytes) from the options; a bad profile is an InputError."""
    profile = None
    description = ""
    if options.profile is not None:
        path = Path(options.profile)
        try:
            data = path.read_bytes()
            icc = ImageCms.ImageCmsProfile(path.open("rb"))
        except (OSError, ImageCms.PyCMSError) as exc:
            raise InputError(path, f"the press profile cannot be read as an ICC profile: {exc}",
                             hint="give the CMYK output profile your printer supplies (an .icc file)") from None
        space = icc.profile.xcolor_space.strip()
        if space != "CMYK":
            raise InputError(path, f"the press profile is a {space} profile, not CMYK",
                             hint="a PDF/X output intent for a four-colour press needs a CMYK output profile")
        profile = data
        description = (icc.profile.profile_description or icc.profile.model or path.stem).strip()
    variant = options.variant or ("pdf/x-4" if profile else "pdf/x-1a")
    if variant not in VARIANTS:
        raise InputError(Path("press"), f"unknown PDF/X variant {variant!r}", hint="pdf/x-1a, pdf/x-3 or pdf/x-4")
    if variant == "pdf/x-4" and profile is None:
        raise InputError(Path("press"), "PDF/X-4 needs an embedded CMYK output profile",
                         hint="give the paper's press profile, or use PDF/X-1a naming IFRA26")
    condition = options.condition or (description if profile else DEFAULT_CONDITION)
    if profile is None and condition not in REGISTERED:
        raise InputError(Path("press"), f"output condition {condition!r} is not a registered characterization "
                                        "that a file may name without its profile",
                         hint=f"use one of {', '.join(REGISTERED)} or give the profile")
    return variant, condition, profile
