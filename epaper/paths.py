"""Where the data beside the code lives: the repository root in, the layouts/ and fonts/ folders out (defined once)."""

from __future__ import annotations

from pathlib import Path

HOME = Path(__file__).resolve().parent.parent
LAYOUTS = HOME / "layouts"
FONTS = HOME / "fonts"
