"""A web e-paper issue folder in (issue.json and its page images); IIIF out: static Image API 3.0 level-0 tiles per page,
a Presentation API 3.0 manifest per issue, and a collection of every issue in a site root.

    SITE/2024-12/19/iiif/manifest.json             one Canvas per page; the articles as annotations on it
    SITE/2024-12/19/iiif/p01/info.json             the page image's level-0 service
    SITE/2024-12/19/iiif/p01/0,0,512,512/512,512/0/default.jpg    its tiles (and full/W,H/0/default.jpg sizes)
    SITE/iiif/collection.json                      every issue of the site root, newest first

A page's canvas has the size in pixels of the largest web image of the page (`img/page-NN@zoom.jpg`, which is the
painted image and the tiles' source). Each article's annotation targets `canvas#xywh=` the rectangle the web page
links (issue.json's `rect_mm`, the layout's module rectangle), scaled from the page's trim size in mm to the canvas.
IIIF ids are absolute http(s) URLs: the caller passes the address the site is published at.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

from PIL import Image

from .atomic import write_atomic
from .strings import Strings

TILE = 512  # px: OpenSeadragon's (Mirador's, Universal Viewer's) default tile size
MEDIA_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg"}  # of the web page images
JPEG = {"quality": 82, "optimize": True}  # tiles as JPEG: every IIIF viewer decodes it; level 0 lists one format
THUMB_MAX = 1000  # px: whole-image sizes listed in info.json (thumbnails, the overview) are at most this wide
PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
FOLDER = "iiif"  # under the issue folder and under the site root
MANIFEST = "manifest.json"
COLLECTION = "collection.json"


def iiif_strings(folders: Sequence[Path], language: str) -> Strings:
    """The manifests' words from <layout>/iiif/strings.toml along the layout chain."""
    return Strings(tuple(Path(f) / FOLDER for f in folders), language)


def _dump(target: Path, data: dict[str, Any]) -> None:
    """Write JSON beside the target and move it into place (a viewer never reads half a manifest)."""
    write_atomic(target, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def scale_factors(width: int, height: int, tile: int = TILE) -> list[int]:
    """1, 2, 4… until one tile holds the whole image."""
    factors = [1]
    while max(math.ceil(width / factors[-1]), math.ceil(height / factors[-1])) > tile:
        factors.append(factors[-1] * 2)
    return factors


def write_tiles(source: Path, dest: Path, service_id: str, tile: int = TILE) -> tuple[int, int]:
    """Cut `source` into the static files of a level-0 Image API 3.0 service at `dest` (info.json + tiles).
    Returns the full image's (width, height)."""
    with Image.open(source) as opened:
        im = opened.convert("RGB")
    width, height = im.size
    factors = scale_factors(width, height, tile)
    sizes = []
    for s in factors:
        level_w, level_h = math.ceil(width / s), math.ceil(height / s)
        level = im if s == 1 else im.resize((level_w, level_h), Image.Resampling.LANCZOS)
        step = tile * s  # a tile's region in full-image pixels
        for y0 in range(0, height, step):
            for x0 in range(0, width, step):
                rw, rh = min(step, width - x0), min(step, height - y0)
                w, h = math.ceil(rw / s), math.ceil(rh / s)
                crop = level.crop((x0 // s, y0 // s, x0 // s + w, y0 // s + h))
                names = [f"{x0},{y0},{rw},{rh}"]
                if (rw, rh) == (width, height):
                    names.append("full")  # the canonical form viewers ask for when one tile is the whole image
                for region in names:
                    target = dest / region / f"{w},{h}" / "0" / "default.jpg"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    crop.save(target, "JPEG", **JPEG)
        if level_w <= THUMB_MAX:
            # a whole-image size a viewer may ask for by name (thumbnails, the first paint)
            target = dest / "full" / f"{level_w},{level_h}" / "0" / "default.jpg"
            if not target.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                level.save(target, "JPEG", **JPEG)
            sizes.append({"width": level_w, "height": level_h})
    info = {"@context": IMAGE_CONTEXT, "id": service_id, "type": "ImageService3",
            "protocol": "http://iiif.io/api/image", "profile": "level0", "width": width, "height": height,
            "sizes": sorted(sizes, key=lambda d: d["width"]),
            "tiles": [{"width": tile, "height": tile, "scaleFactors": factors}]}
    _dump(dest / "info.json", info)
    return width, height


def _lang(language: str, text: str) -> dict[str, list[str]]:
    return {language: [text]}


def _largest_image(issue_dir: Path, stem: str) -> Path:
    for suffix in ("@zoom", "@2x", ""):  # the zoom image, else the 2×, else the screen image (whatever its type)
        for ext in MEDIA_TYPES:
            path = issue_dir / "img" / f"{stem}{suffix}{ext}"
            if path.is_file():
                return path
    raise FileNotFoundError(issue_dir / "img" / f"{stem}.webp")


def canvas_rect(rect_mm: dict[str, float], page_mm: tuple[float, float],
                canvas: tuple[int, int]) -> tuple[int, int, int, int]:
    """A module's rectangle in mm from the trim's top-left, in whole canvas pixels (media fragments take integers).
    Each axis has its own scale, as the web's link areas do: the image's height in whole pixels is rounded."""
    kx, ky = canvas[0] / page_mm[0], canvas[1] / page_mm[1]
    x, y = round(rect_mm["x"] * kx), round(rect_mm["y"] * ky)
    return x, y, round((rect_mm["x"] + rect_mm["w"]) * kx) - x, round((rect_mm["y"] + rect_mm["h"]) * ky) - y


def write_issue(issue_dir: Path, issue_url: str, page_size_mm: tuple[float, float],
                folders: Sequence[Path], tile: int = TILE) -> Path:
    """Tiles for every page and the manifest of one web issue folder (SITE/<YYYY-MM>/<DD>/, holding issue.json).

    issue_url: the folder's absolute address, ending in '/'. page_size_mm: the trim (width, height) the module
    rectangles are measured in. Returns the manifest's path."""
    issue_dir = Path(issue_dir)
    data = json.loads((issue_dir / "issue.json").read_text(encoding="utf-8"))
    language = data["paper"]["language"]
    words = iiif_strings(folders, language)
    base = f"{issue_url}{FOLDER}/"
    canvases = []
    for page in data["pages"]:
        stem = page["href"].removesuffix(".html")
        key = f"p{page['number']:02d}"
        service = f"{base}{key}"
        source = _largest_image(issue_dir, stem)
        width, height = write_tiles(source, issue_dir / FOLDER / key, service, tile)
        canvas_id = f"{base}canvas/{key}"
        regions = []
        for article in page["articles"]:
            x, y, w, h = canvas_rect(article["rect_mm"], page_size_mm, (width, height))
            regions.append({
                "id": f"{base}canvas/{key}/article/{article['id']}", "type": "Annotation",
                "motivation": "commenting",  # what Mirador and Universal Viewer list and draw by default
                "label": _lang(language, article["title"]),
                "body": [{"type": "TextualBody", "value": article["title"], "language": language,
                          "format": "text/plain"},
                         {"id": f"{issue_url}a/{article['article']}.html", "type": "Text", "format": "text/html",
                          "label": _lang(language, article["title"]), "language": [language]}],
                "target": f"{canvas_id}#xywh={x},{y},{w},{h}"})
        label = _lang(language, words.fmt("canvas_label", page_label=page["label"], name=page["name"]))
        canvases.append({
            "id": canvas_id, "type": "Canvas", "label": label, "width": width, "height": height,
            "items": [{"id": f"{canvas_id}/paint", "type": "AnnotationPage", "items": [{
                "id": f"{canvas_id}/paint/image", "type": "Annotation", "motivation": "painting",
                "body": {"id": f"{issue_url}img/{source.name}", "type": "Image", "format": MEDIA_TYPES[source.suffix],
                         "width": width, "height": height,
                         "service": [{"id": service, "type": "ImageService3", "profile": "level0"}]},
                "target": canvas_id}]}],
            "annotations": [{"id": f"{canvas_id}/articles", "type": "AnnotationPage", "items": regions}],
            "thumbnail": [{"id": f"{issue_url}{page['thumb']['href']}", "type": "Image", "format": "image/webp",
                           "width": page["thumb"]["width"], "height": page["thumb"]["height"]}]})
    paper = data["paper"]["name"]
    manifest = {
        "@context": PRESENTATION_CONTEXT, "id": f"{base}{MANIFEST}", "type": "Manifest",
        "label": _lang(language, words.fmt("manifest_label", paper=paper, date_full=data["date_full"],
                                           issue_number=data["issue_number"])),
        "metadata": [{"label": _lang(language, words["date"]), "value": _lang(language, data["date_full"])},
                     {"label": _lang(language, words["number"]), "value": _lang(language, data["issue_number"])},
                     {"label": _lang(language, words["pages"]), "value": _lang(language, data["page_count"])}],
        "navDate": f"{data['date']}T00:00:00Z",
        "behavior": ["individuals"],
        "homepage": [{"id": f"{issue_url}index.html", "type": "Text", "format": "text/html",
                      "label": _lang(language, words["issue_page"]), "language": [language]}],
        "items": canvases,
    }
    pdf = issue_dir / "files" / f"{data['paper']['slug']}-{data['date']}.pdf"
    pdfs = sorted((issue_dir / "files").glob("*.pdf"))
    whole = pdf if pdf.is_file() else (min(pdfs, key=lambda p: len(p.name)) if pdfs else None)
    if whole is not None:
        manifest["rendering"] = [{"id": f"{issue_url}files/{whole.name}", "type": "Text", "format": "application/pdf",
                                  "label": _lang(language, words["download_pdf"])}]
    target = issue_dir / FOLDER / MANIFEST
    _dump(target, manifest)
    return target


def write_collection(site_root: Path, site_url: str, issues: list[dict[str, Any]], folders: Sequence[Path],
                     language: str) -> Path:
    """SITE/iiif/collection.json: a reference to every issue manifest of the site root (`issues`: the web's
    manifests, newest first, each with its `path`), labelled in the paper's language."""
    site_root = Path(site_root)
    words = iiif_strings(folders, language)
    items = []
    for d in issues:
        if not (site_root / d["path"] / FOLDER / MANIFEST).is_file():
            continue  # built without IIIF: not in the collection
        items.append({"id": f"{site_url}{d['path']}{FOLDER}/{MANIFEST}", "type": "Manifest",
                      "label": _lang(language, words.fmt("manifest_label", paper=d["paper"]["name"],
                                                         date_full=d["date_full"],
                                                         issue_number=d["issue_number"]))})
    papers = list(dict.fromkeys(d["paper"]["name"] for d in issues))
    label = (words.fmt("collection_label", paper=papers[0]) if len(papers) == 1 else words["collection_label_many"])
    collection = {"@context": PRESENTATION_CONTEXT, "id": f"{site_url}{FOLDER}/{COLLECTION}", "type": "Collection",
                  "label": _lang(language, label), "items": items}
    target = site_root / FOLDER / COLLECTION
    _dump(target, collection)
    return target
