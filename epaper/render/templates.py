"""A folder in (use()), the bytecode cache every Jinja environment of the renderers shares out: each template is
compiled once and kept there, not compiled again by every build process."""

from __future__ import annotations

from pathlib import Path

import jinja2

_folder: Path | None = None


def use(folder: Path | None) -> None:
    """Keep compiled templates in `folder` (a build's cache: OUT/.cache/templates), or only in memory (None)."""
    global _folder
    _folder = folder


class _Shared(jinja2.BytecodeCache):
    # Compiling the web, EPUB and print templates again took 0.2 s of every rebuild (22 templates). Jinja checks
    # each entry against its template's source, so an edited template is compiled again.
    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if _folder is not None:
            jinja2.FileSystemBytecodeCache(str(_folder)).load_bytecode(bucket)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if _folder is None:
            return
        try:
            _folder.mkdir(parents=True, exist_ok=True)
            jinja2.FileSystemBytecodeCache(str(_folder)).dump_bytecode(bucket)  # by rename: never half an entry
        except OSError:
            pass  # a cache that cannot be written costs the next build a compile, nothing more


BYTECODE = _Shared()
