"""`epaper archive build` on Dask: five tiny issues (one broken) built on a LocalCluster of two worker processes,
rerun (nothing built), one story changed (one issue built); the report, the PDFs, the site and the IIIF files they
leave are read back. The IIIF manifests' article rectangles are compared with the web page's link areas."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import lxml.html
import pypdfium2
import pytest
from PIL import Image
from typer.testing import CliRunner

from epaper.archive.run import REPORT, STATE, ArchiveOptions, ArchiveReport, run_archive
from epaper.cli import app

from .conftest import write_issue

SCHEMA = Path(__file__).parent / "schemas" / "iiif" / "presentation-3.json"
BASE = "http://archive.example.org/paper/"
DAYS = (15, 16, 17, 18, 19)
BROKEN = 17  # its issue.toml has a misspelt key
ISSUE_TOML = """\
date = 2024-12-{day}
number = {number}

[[pages]]
number = 1
name = "要闻"
editor = "王编辑"
template = "front"
articles = ["lead", "photo"]
"""
NEW_TEXT = "改过的第一段正文，记者今天补充了新的情况。"


def make_archive(root: Path) -> Path:
    """root/test-daily/paper.toml with five issue folders 2024-12-15 … 19, the 17th broken."""
    for day in DAYS:
        toml = ISSUE_TOML.format(day=day, number=100 + day)
        if day == BROKEN:
            toml = toml.replace("number = 1\n", "numbr = 1\n")
        issue = write_issue(root / f"tmp{day}", {"issue.toml": toml})
        paper = root / "test-daily"
        paper.mkdir(exist_ok=True)
        if not (paper / "paper.toml").exists():
            shutil.move(issue.parent / "paper.toml", paper / "paper.toml")
        shutil.move(issue, paper / f"2024-12-{day}")
        shutil.rmtree(root / f"tmp{day}")
    return root


@dataclass
class Runs:
    root: Path
    out: Path
    first: ArchiveReport
    again: ArchiveReport
    edited: ArchiveReport


@pytest.fixture(scope="module")
def cluster():
    """An in-process LocalCluster of two worker processes (one thread each), as `--scheduler` would reach."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.fixture(scope="module")
def runs(tmp_path_factory, cluster) -> Runs:
    # The code version is computed once for the module's runs: epaper's source does not change during a CI run,
    # but in a working tree being edited it would, and every issue would rightly be rebuilt.
    from epaper.archive import run as archive_run

    version = archive_run.code_version(archive_run.LAYOUTS, archive_run.FONTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive_run, "code_version", lambda *_: version)
        yield _runs(tmp_path_factory, cluster)


def _runs(tmp_path_factory, cluster) -> Runs:
    root = make_archive(tmp_path_factory.mktemp("archive"))
    out = tmp_path_factory.mktemp("archive-out")
    options = ArchiveOptions(out=out, formats=("pdf", "web"), scheduler=cluster.scheduler_address, base_url=BASE)
    lines: list[str] = []
    first = run_archive(root, options, lines.append)
    assert lines[-1].startswith("archive: 5/5 done — built 4, failed 1, skipped 0, remaining 0"), lines
    again = run_archive(root, options)
    lead = root / "test-daily" / "2024-12-16" / "articles" / "lead.md"
    lead.write_text(lead.read_text(encoding="utf-8").replace("第一段正文，讲述昨天发生的事情。", NEW_TEXT),
                    encoding="utf-8")
    # and a story renamed: its old page must redirect to the new one
    issue = lead.parent.parent
    (issue / "articles" / "photo.md").rename(issue / "articles" / "picture.md")
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    (issue / "issue.toml").write_text(toml.replace('"photo"]', '"picture"]'), encoding="utf-8")
    edited = run_archive(root, options)
    return Runs(root, out, first, again, edited)


def statuses(report: ArchiveReport) -> dict[str, str]:
    return {r["issue"]: r["status"] for r in report.issues}


def pdf_text(path: Path) -> str:
    doc = pypdfium2.PdfDocument(path)
    try:
        return "".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def test_one_broken_issue_is_reported_and_the_others_build(runs: Runs):
    report = runs.first
    assert statuses(report) == {f"test-daily/2024-12-{d}": "failed" if d == BROKEN else "built" for d in DAYS}
    failed = next(r for r in report.issues if r["status"] == "failed")
    # the reason is the build's own one-line message: file, line, key and the nearest valid key
    assert re.search(r"2024-12-17/issue\.toml:\d+: pages\[0\]\.numbr: unknown key 'numbr' \(did you mean 'number'\?\)",
                     failed["reason"]), failed["reason"]
    assert failed["exit_code"] == 2
    on_disk = json.loads((runs.out / REPORT).read_text(encoding="utf-8"))
    assert on_disk["format"] == "epaper-archive-report/1"
    # the JSON report of the last run keeps every issue and the reason of the failed one
    assert any(r["issue"].endswith("2024-12-17") and "numbr" in r["reason"] for r in on_disk["issues"])
    assert [f.code for f in report.findings if f.severity == "error"] == ["E900"]
    for day in set(DAYS) - {BROKEN}:
        text = pdf_text(runs.out / f"test-daily-2024-12-{day}.pdf")
        assert "主题写在这里" in text.replace("\n", "").replace("\r", "")
    assert not (runs.out / f"test-daily-2024-12-{BROKEN}.pdf").exists()
    # the two workers shared the issues: the records name the worker process that built each
    assert len({r["worker"] for r in report.issues if r["status"] == "built"}) == 2
    assert report.workers == 2


def test_the_site_index_is_written_once_with_every_built_issue(runs: Runs):
    site = runs.out / "site"
    index = lxml.html.parse(str(site / "index.html")).getroot()
    hrefs = {a.get("href") for a in index.iter("a")}
    for day in set(DAYS) - {BROKEN}:
        assert f"2024-12/{day}/index.html" in hrefs or f"2024-12/{day}/" in hrefs, hrefs
    assert not any(h and h.startswith(f"2024-12/{BROKEN}") for h in hrefs)
    # the workers wrote their issue folders only: no staging site is left, and the index came from the driver
    assert not any((runs.out / STATE / "stage").glob("*"))


def test_a_rerun_builds_nothing(runs: Runs):
    assert runs.again.count("built") == 0, [r.get("why") for r in runs.again.issues]  # e.g. epaper/ edited meanwhile
    assert runs.again.count("skipped") == 4
    failed = [r for r in runs.again.issues if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["unchanged"] and "numbr" in failed[0]["reason"]


def test_a_changed_story_rebuilds_its_issue_only(runs: Runs):
    assert statuses(runs.edited)["test-daily/2024-12-16"] == "built"
    assert next(r for r in runs.edited.issues if r["status"] == "built")["why"] == "inputs changed"
    assert runs.edited.count("built") == 1 and runs.edited.count("skipped") == 3
    assert NEW_TEXT in pdf_text(runs.out / "test-daily-2024-12-16.pdf").replace("\n", "").replace("\r", "")
    article = (runs.out / "site" / "2024-12" / "16" / "a" / "lead.html").read_text(encoding="utf-8")
    assert NEW_TEXT in article
    # the renamed story: its old address redirects to the new page (SITE/redirects.json and a redirect page)
    site = runs.out / "site"
    redirects = json.loads((site / "redirects.json").read_text(encoding="utf-8"))
    assert redirects["2024-12/16/a/photo.html"] == "2024-12/16/a/picture.html", redirects
    assert 'href="picture.html"' in (site / "2024-12" / "16" / "a" / "photo.html").read_text(encoding="utf-8")
    assert (site / "2024-12" / "16" / "a" / "picture.html").is_file()


def web_regions(page_html: Path) -> tuple[tuple[float, float], dict[str, tuple[float, float, float, float]]]:
    """The page view's link areas: the SVG's viewBox size and each region's rectangle in its units."""
    doc = lxml.html.parse(str(page_html)).getroot()
    svg = next(e for e in doc.iter() if e.tag == "svg" and "regions" in (e.get("class") or ""))
    box = [float(v) for v in svg.get("viewbox", svg.get("viewBox")).split()]
    regions = {}
    for a in svg.iter("a"):
        rect = next(a.iter("rect"))
        regions[a.get("data-module")] = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
    return (box[2], box[3]), regions


def test_iiif_article_rectangles_are_the_web_regions(runs: Runs):
    site = runs.out / "site"
    checked = 0
    for day in set(DAYS) - {BROKEN}:
        manifest = json.loads((site / "2024-12" / str(day) / "iiif" / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["id"] == f"{BASE}2024-12/{day}/iiif/manifest.json"
        weekday = "一二三四五六日"[dt.date(2024, 12, day).weekday()]
        assert manifest["label"] == {"zh-CN": [f"测试日报 2024年12月{day}日 星期{weekday} 总第{100 + day}期"]}
        for n, canvas in enumerate(manifest["items"], 1):
            assert canvas["label"] == {"zh-CN": ["第1版 要闻"]}
            view, regions = web_regions(site / "2024-12" / str(day) / f"page-{n:02d}.html")
            kx, ky = canvas["width"] / view[0], canvas["height"] / view[1]
            annotations = canvas["annotations"][0]["items"]
            assert len(annotations) == len(regions) == 2
            for a in annotations:
                module = a["id"].rsplit("/", 1)[1]
                frag = a["target"].split("#xywh=")
                assert frag[0] == canvas["id"]
                x, y, w, h = (int(v) for v in frag[1].split(","))
                rx, ry, rw, rh = regions[module]
                # the same rectangle: the web's in 1× image px, the canvas's in its own (larger) whole px
                # (half a canvas px of rounding, plus the web's 0.01 px and rect_mm's 0.005 mm)
                for got, want, k in ((x, rx, kx), (y, ry, ky), (x + w, rx + rw, kx), (y + h, ry + rh, ky)):
                    assert abs(got / k - want) <= 0.5 / k + 0.02, (day, module, got / k, want)
                assert 0 <= x and x + w <= canvas["width"] and 0 <= y and y + h <= canvas["height"]
                checked += 1
    assert checked == 8


def test_iiif_manifests_and_collection_validate(runs: Runs):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)  # a manifest or a collection
    # the manifest's own definition, so that every error is reported where it is
    manifest_validator = jsonschema.Draft202012Validator(
        {k: v for k, v in schema.items() if k != "oneOf"} | {"$ref": "#/$defs/manifest"})
    site = runs.out / "site"
    collection = json.loads((site / "iiif" / "collection.json").read_text(encoding="utf-8"))
    assert not list(validator.iter_errors(collection))
    assert collection["label"] == {"zh-CN": ["测试日报 往期"]}
    ids = [m["id"] for m in collection["items"]]
    assert ids == [f"{BASE}2024-12/{d}/iiif/manifest.json" for d in (19, 18, 16, 15)]  # newest first, no 17th
    for manifest_id in ids:
        path = site / manifest_id.removeprefix(BASE)
        manifest = json.loads(path.read_text(encoding="utf-8"))
        assert validator.is_valid(manifest)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in manifest_validator.iter_errors(manifest)]
        assert not errors, errors
        # every id that names a file of the site names one that is there
        for url in re.findall(r'"id": "([^"#]+)"', path.read_text(encoding="utf-8")):
            if "/canvas/" not in url:
                rel = url.removeprefix(BASE)
                assert (site / rel).is_file() or (site / rel / "info.json").is_file(), url
    # a broken manifest fails: the schema can fail
    broken = json.loads((site / "2024-12" / "15" / "iiif" / "manifest.json").read_text(encoding="utf-8"))
    broken["items"][0]["annotations"][0]["items"][0]["target"] += "x"
    del broken["items"][0]["width"]
    errors = sorted(list(e.absolute_path) for e in manifest_validator.iter_errors(broken))
    assert errors == [["items", 0], ["items", 0, "annotations", 0, "items", 0, "target"]], errors
    assert not validator.is_valid(broken)


def test_iiif_level0_tiles_are_all_there(runs: Runs):
    """Every tile a viewer computes from info.json (OpenSeadragon's arithmetic) exists at its pixel size."""
    service = runs.out / "site" / "2024-12" / "15" / "iiif" / "p01"
    info = json.loads((service / "info.json").read_text(encoding="utf-8"))
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["type"] == "ImageService3" and info["profile"] == "level0"
    assert info["id"] == f"{BASE}2024-12/15/iiif/p01"
    W, H = info["width"], info["height"]
    with Image.open(service.parent.parent / "img" / "page-01@zoom.jpg") as zoom:
        assert (W, H) == zoom.size
    tile = info["tiles"][0]["width"]
    count = 0
    for s in info["tiles"][0]["scaleFactors"]:
        for y in range(0, H, tile * s):
            for x in range(0, W, tile * s):
                rw, rh = min(tile * s, W - x), min(tile * s, H - y)
                region = "full" if (rw, rh) == (W, H) else f"{x},{y},{rw},{rh}"
                size = (math.ceil(rw / s), math.ceil(rh / s))
                with Image.open(service / region / f"{size[0]},{size[1]}" / "0" / "default.jpg") as im:
                    assert im.format == "JPEG" and im.size == size
                count += 1
    assert count > 20
    assert max(info["tiles"][0]["scaleFactors"]) * tile >= max(W, H)
    for size in info["sizes"]:
        with Image.open(service / "full" / f"{size['width']},{size['height']}" / "0" / "default.jpg") as im:
            assert im.size == (size["width"], size["height"])


def test_duplicate_issues_and_a_missing_address_are_reported(tmp_path: Path, cluster):
    """Two folders of the same paper and date: the second is refused before building (E901); without --base-url or
    site_url the IIIF ids fall back to localhost, said once (W900)."""
    first = make_archive(tmp_path / "root")
    shutil.copytree(first / "test-daily" / f"2024-12-{BROKEN}", first / "test-daily" / "copy-of-17")
    for day in set(DAYS) - {BROKEN}:
        shutil.rmtree(first / "test-daily" / f"2024-12-{day}")
    report = run_archive(first, ArchiveOptions(out=tmp_path / "out", formats=("pdf", "web"),
                                               scheduler=cluster.scheduler_address))
    codes = sorted((f.code, f.where) for f in report.findings if f.code != "I700")
    assert codes == [("E900", "test-daily/2024-12-17"), ("E901", "test-daily/copy-of-17"),
                     ("W900", str(first / "test-daily" / "paper.toml"))], codes
    duplicate = next(r for r in report.issues if r["issue"] == "test-daily/copy-of-17")
    assert "the same paper, date and edition as test-daily/2024-12-17" in duplicate["reason"]


def test_the_inputs_hash_and_its_shortcut(tmp_path: Path):
    """Any change of content changes the hash; with the last run's record, files of unchanged size and time are
    not read again (so an edit that keeps both is seen only without it, as with --force)."""
    from epaper.archive.discover import find_issues, issue_digest

    issue = write_issue(tmp_path / "root")
    found = find_issues(tmp_path / "root")
    assert [f.rel for f in found] == ["paper/2024-12-19"] and found[0].slug == "test-daily-2024-12-19"
    first = issue_digest(found[0])
    lead = issue / "articles" / "lead.md"
    st = lead.stat()
    lead.write_text(lead.read_text(encoding="utf-8").replace("第一段", "第二段"), encoding="utf-8")  # same size
    os.utime(lead, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert issue_digest(found[0], first) == first  # size and time unchanged: the recorded hash stands
    assert issue_digest(found[0])["digest"] != first["digest"]  # read again: the change is seen
    (issue / "images" / "new.png").write_bytes(b"x")
    assert issue_digest(found[0], first)["digest"] != first["digest"]  # a file added


def test_cli_on_its_own_local_cluster(tmp_path: Path):
    """No --scheduler: the command starts a LocalCluster (one worker), prints the table and the report."""
    root = tmp_path / "root"
    write_issue(root)
    result = CliRunner().invoke(app, ["archive", "build", str(root), "--out", str(tmp_path / "out"), "--workers", "1",
                                      "-f", "pdf", "--no-iiif"])
    assert result.exit_code == 0, result.output
    assert re.search(r"paper/2024-12-19\s+built", result.stdout)
    assert "1 built, 0 unchanged, 0 failed" in result.stdout
    assert "archive: 1/1 done — built 1, failed 0, skipped 0, remaining 0" in result.stderr
    assert (tmp_path / "out" / "test-daily-2024-12-19.pdf").is_file()


@pytest.mark.parametrize("args, message", [
    (["--cache", "s3://bucket/cache"], "error: --cache: 's3://bucket/cache' is an object-store URL"),
    (["--base-url", "ftp://x/"], "error: --base-url: expected an http:// or https:// address, got 'ftp://x/'"),
    (["-f", "docx"], "error: --format: unknown output format 'docx'; expected one of: pdf, epub, web"),
])
def test_bad_options_exit_2_with_one_line(tmp_path: Path, args: list[str], message: str):
    result = CliRunner().invoke(app, ["archive", "build", str(tmp_path), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and result.stderr.startswith(message), result.output
    assert "Traceback" not in result.output


# --- a IIIF viewer ---------------------------------------------------------------------------------------------

READER = Path(__file__).parent / "reader"
MIRADOR = READER / "node_modules" / "mirador" / "dist" / "mirador.min.js"
CHROMIUM = Path("/usr/bin/chromium")
VIEWER = "http://viewer.invalid/"  # the test page and Mirador, served by the route below like the site


def colour_boxes(png: bytes) -> dict[str, tuple[int, int, int, int]]:
    """Bounding boxes (x0, y0, x1, y1) of the pixels in Mirador's two annotation outline colours (cyan for an
    annotation, magenta for the one in focus): what it drew over the page."""
    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
    found: dict[str, list[tuple[int, int]]] = {"cyan": [], "magenta": []}
    px = rgb.load()
    for y in range(rgb.height):
        for x in range(rgb.width):
            r, g, b = px[x, y]
            if r < 90 and 150 < g < 230 and b > 200:
                found["cyan"].append((x, y))
            elif r > 150 and g < 90 and b > 150:
                found["magenta"].append((x, y))
    return {k: (min(x for x, _ in v), min(y for _, y in v), max(x for x, _ in v), max(y for _, y in v))
            for k, v in found.items() if len(v) > 50}


def test_the_collections_issue_opens_in_mirador_with_the_articles_over_page_1(runs: Runs, tmp_path: Path):
    missing = [f"{p} is missing" for p in (CHROMIUM, MIRADOR) if not p.is_file()]
    if missing:  # a failure, not a skip, as in tests/test_epub_reader.py
        pytest.fail(f"cannot open the IIIF collection in Mirador: {'; '.join(missing)}. Run `bash "
                    "scripts/setup_browser.sh` (as root): Debian's chromium, and npm ci in tests/reader.", pytrace=False)
    from playwright.sync_api import sync_playwright

    site = runs.out / "site"
    collection = json.loads((site / "iiif" / "collection.json").read_text(encoding="utf-8"))
    manifest_url = collection["items"][-1]["id"]  # the oldest issue, 2024-12-15
    manifest = json.loads((site / manifest_url.removeprefix(BASE)).read_text(encoding="utf-8"))
    articles = {a["id"].rsplit("/", 1)[1]: [int(v) for v in a["target"].split("#xywh=")[1].split(",")]
                for a in manifest["items"][0]["annotations"][0]["items"]}
    served, refused = [], []

    def route(r):
        url = r.request.url.split("?")[0]
        if url.startswith(BASE) and (site / url.removeprefix(BASE)).is_file():
            served.append(url)
            return r.fulfill(path=str(site / url.removeprefix(BASE)))
        if url.startswith(VIEWER) and (READER / url.removeprefix(VIEWER)).is_file():
            return r.fulfill(path=str(READER / url.removeprefix(VIEWER)))
        refused.append(r.request.url)
        return r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", route)
            page.goto(f"{VIEWER}mirador.html?manifest={manifest_url}")
            panel = page.get_by_text("主题写在这里")
            panel.wait_for(timeout=60_000)  # the annotations panel lists each article's headline
            assert page.get_by_text("图片新闻：这是一张图片新闻的说明文字。").count() == 1
            assert page.get_by_text("第1版 要闻").count() >= 1  # the canvas label, in the paper's language
            # the tiles arrive, then OpenSeadragon draws the outlines over them
            page.wait_for_function("document.querySelectorAll('canvas').length > 0")
            deadline = 60
            boxes = {}
            while deadline > 0:
                page.wait_for_timeout(1000)
                deadline -= 1
                png = page.screenshot()
                boxes = colour_boxes(png)
                if len(boxes) == 2 and any("/0/default.jpg" in u for u in served):
                    break
            (tmp_path / "mirador.png").write_bytes(png)
            print(f"screenshot: {tmp_path / 'mirador.png'}")
        finally:
            browser.close()
    assert not refused, refused  # nothing outside the site and the viewer was asked for
    assert not errors, errors
    assert any(u.endswith("/iiif/p01/info.json") for u in served) and any(u.endswith("/default.jpg") for u in served)
    assert len(boxes) == 2, boxes
    # Which outline is which: the lead is the short one across the top, the photo news the tall one below.
    drawn = sorted(boxes.values(), key=lambda b: b[1])
    lead, photo = articles["lead"], articles["photo"]
    # One scale and offset (from the lead's outline) must put the photo's outline where its xywh says.
    k = (drawn[0][2] - drawn[0][0]) / lead[2]
    x0, y0 = drawn[0][0] - lead[0] * k, drawn[0][1] - lead[1] * k
    assert abs(x0 + photo[0] * k - drawn[1][0]) <= 3
    assert abs(x0 + (photo[0] + photo[2]) * k - drawn[1][2]) <= 3
    assert abs(y0 + photo[1] * k - drawn[1][1]) <= 3
    assert abs(y0 + (lead[1] + lead[3]) * k - drawn[0][3]) <= 3
