"""A URL in, its bytes out (an issue photo WeasyPrint cannot draw comes converted) — only for files inside the
allowed folders (issue, layouts/, fonts/); nothing else, no network."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlparse

from weasyprint.urls import URLFetcher, URLFetcherResponse

from ..errors import EpaperError
from ..source.images import for_screen_pdf


class FetchRefused(EpaperError):
    """A document asked for something outside the issue, layouts/ or fonts/."""


class RestrictedFetcher(URLFetcher):
    """WeasyPrint's default fetcher reads any file or URL; ours serves resolved paths under `roots` only.

    WeasyPrint catches fetch errors and only logs them, so every refusal is also recorded in `refused`
    and the build turns it into an error finding.
    """

    def __init__(self, roots: list[Path], mounts: dict[str, Path] | None = None):
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.roots = [r.resolve() for r in roots]
        # URL path prefix -> folder: the document names files by a path that does not depend on where the issue
        # folder lies (WeasyPrint names images in the PDF by a hash of their URL); the fetcher finds them
        self.mounts = {prefix.rstrip("/"): root.resolve() for prefix, root in (mounts or {}).items()}
        self.refused: list[str] = []
        self.fetched: list[Path] = []  # what the document read: a cached page is valid while these are unchanged

    def allowed(self, path: Path) -> bool:
        real = path.resolve()  # follows symlinks, so a link pointing out of a root is refused
        return any(real.is_relative_to(root) for root in self.roots)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        parsed = urlparse(url)
        if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
            self.refused.append(url)
            raise FetchRefused(f"refused to fetch {url}: builds read local files in the issue, layouts/ and fonts/ only")
        path = Path(unquote(parsed.path))
        mounted = False
        for prefix, root in self.mounts.items():
            if path.as_posix().startswith(prefix + "/"):
                path = root / path.as_posix()[len(prefix) + 1:]
                mounted = True
                break
        if not self.allowed(path) or not path.is_file():
            self.refused.append(url)
            raise FetchRefused(f"refused to read {path}: outside the issue, layouts/ and fonts/, or missing")
        mime, _ = mimetypes.guess_type(path.name)
        # read the resolved path that was checked: a link swapped after the check is not followed
        real = path.resolve()
        self.fetched.append(real)
        data = real.read_bytes()
        if mounted and mime != "text/css":
            # a photo of the issue, identified by its content: WeasyPrint draws JPEG and PNG as they are, but
            # drops a CMYK TIFF (named .png or not) without a word; those come converted for the screen
            data = for_screen_pdf(data)
        return URLFetcherResponse(url, data, {"Content-Type": mime or "application/octet-stream"})
