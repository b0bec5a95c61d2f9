"""The print PDF and the page renderers in (the build's page workers, idle once the PDF is joined); the web page
images and the front page's logo drawn there into the images cache out, for rasterise() and logo() to find."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from pathlib import Path

from ...derived_cache import DerivedCache
from ..print.pdf_pages import describe_pages
from .web_images import SCREEN_WIDTH, THUMB_WIDTH, logo_key, page_image_keys, page_files


def prefetch(pdf: bytes, page_keys: Sequence[str], cache: Path, executor: Executor, *, zoom: int,
             width: int = SCREEN_WIDTH, thumb_width: int = THUMB_WIDTH,
             logo_zone: tuple[float, float, float, float] | None = None) -> list[Future[None]]:
    """Start drawing the page images that `cache` lacks in `executor`'s processes (the build's page renderers,
    warm and otherwise idle once the PDF is joined), each stored in the cache when done; rasterise() with the
    same arguments then finds every page there. The caller waits for the futures before it calls rasterise();
    meanwhile it writes the EPUB. The files are the same bytes as rasterise() makes itself. logo_zone: the front
    page's masthead (x, y, w, h in pt), whose logo (web_images.logo()) is cut from the 2× pixels while they are
    at hand."""
    from ..print.page_pdfs import wake  # here: page_pdfs is the print stage's, loaded only by a build

    store = DerivedCache(cache)
    infos = describe_pages(pdf, content=False)
    keys = page_image_keys(infos, page_keys, width, thumb_width, zoom)
    wake()  # every page renderer draws images, also one that was kept back for a second page
    jobs = []
    for i, key in enumerate(keys):
        if store.has("web-page", key):
            continue
        front_logo = None
        if i == 0 and logo_zone is not None:
            key_of_logo = logo_key(page_keys[0], infos[0].geometry, width, logo_zone)
            front_logo = None if store.has("web-logo", key_of_logo) else (logo_zone, key_of_logo)
        jobs.append(executor.submit(_cached_page_task, pdf, i, width, thumb_width, zoom, str(cache), key, front_logo))
    return jobs


def _cached_page_task(pdf: bytes, index: int, width: int, thumb_width: int, zoom: int, cache: str, key: str,
                      front_logo: tuple | None = None) -> None:
    _trim()  # the worker drew pages before: what WeasyPrint left freed goes back to the system first
    store = DerivedCache(cache)
    store.put("web-page", key, page_files(pdf, index, width, thumb_width, zoom, front_logo=front_logo, store=store))
    _trim()  # and the page's pixels (about 70 MB), before the next task


def _trim() -> None:
    """Collect garbage and hand the freed heap back to the system (glibc keeps it otherwise): the workers live on
    from drawing pages into drawing images, and all processes of a build count towards its memory."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
