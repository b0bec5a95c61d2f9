"""A build reads the issue, layouts/ and fonts/ only, never the network; its outputs change all together or not at
all; the same input gives the same bytes.

Sections: the restricted fetcher (direct and through WeasyPrint), the loader's refusals, the audit-hook guard on
the sample builds, publishing (unit), and whole-CLI runs in subprocesses: SIGKILL and SIGINT mid-build,
concurrent builds, reproducibility. Network tests use a sentinel HTTP server on 127.0.0.1 only.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pypdfium2 as pdfium
import pytest

from epaper.build import BuildOptions, build
from epaper.paths import FONTS, LAYOUTS
from epaper.errors import EpaperError, InputError
from epaper.publish import PublishError, build_folders, current_build, published_files, publishing
from epaper.render.print import print_pdf
from epaper.render.fetch import FetchRefused, RestrictedFetcher
from epaper.source.folder import load_issue

from .conftest import LEAD_MD, MULTI_ISSUE, PHOTO_MD, REPO, SEED_ISSUE
from .procs import multiprocessing_children
from .guard import Guard, LoopbackSentinel

PASSWD = Path("/etc/passwd")


@pytest.fixture(scope="module")
def net():
    with LoopbackSentinel() as sentinel:
        yield sentinel


# --- what must never appear in an output ------------------------------------------------------------------------

def passwd_lines() -> list[bytes]:
    """Lines of /etc/passwd long enough not to occur by chance (root:x:0:0:root:/root:/bin/bash…)."""
    if not PASSWD.is_file():
        pytest.skip("no /etc/passwd on this machine")
    lines = [line for line in PASSWD.read_bytes().splitlines() if len(line) >= 12 and line.count(b":") >= 5]
    assert lines, "no usable line in /etc/passwd"
    return lines


def pdf_payloads(path: Path) -> list[bytes]:
    """The file, every stream decompressed, and the extracted text of every page."""
    import pikepdf

    parts = [path.read_bytes()]
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    parts.append(obj.read_bytes())
                except pikepdf.PdfError:
                    parts.append(obj.read_raw_bytes())
    doc = pdfium.PdfDocument(str(path))
    try:
        for page in doc:
            parts.append(page.get_textpage().get_text_bounded().encode("utf-8"))
    finally:
        doc.close()
    return parts


def epub_payloads(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return [path.read_bytes(), *(zf.read(name) for name in zf.namelist())]


def assert_no_passwd(outputs: list[Path]) -> None:
    lines = passwd_lines()
    for out in outputs:
        parts = pdf_payloads(out) if out.suffix == ".pdf" else epub_payloads(out) if out.suffix == ".epub" \
            else [out.read_bytes()]
        for part in parts:
            for line in lines:
                assert line not in part, f"a line of /etc/passwd is in {out}"


# --- the fetcher, directly --------------------------------------------------------------------------------------

PNG_1X1 = LoopbackSentinel.PNG


@pytest.fixture
def fetch_root(tmp_path: Path) -> Path:
    """An issue-like folder with an image, links out of it (file and folder) and a sibling folder beside it."""
    root = tmp_path / "issue"
    (root / "images").mkdir(parents=True)
    (root / "images" / "ok.png").write_bytes(PNG_1X1)
    (root / "inner.png").symlink_to(root / "images" / "ok.png")  # a link that stays inside: allowed
    (root / "link.png").symlink_to(PASSWD)
    (root / "etc").symlink_to("/etc")
    (tmp_path / "sibling").mkdir()
    (tmp_path / "sibling" / "secret.png").write_bytes(PNG_1X1)
    return root


def refused_urls(root: Path, net: LoopbackSentinel) -> dict[str, str]:
    host = f"127.0.0.1:{net.port}"
    return {
        "file-outside": "file:///etc/passwd",
        "file-localhost-outside": "file://localhost/etc/passwd",
        "file-other-host": f"file://127.0.0.1{root / 'images' / 'ok.png'}",
        "dotdot": root.as_uri() + "/../../../../../../../../etc/passwd",
        "dotdot-encoded": root.as_uri() + "/%2e%2e/%2E%2E/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "dotdot-sibling": root.as_uri() + "/../sibling/secret.png",
        "sibling": (root.parent / "sibling" / "secret.png").as_uri(),
        "symlink-file-escape": (root / "link.png").as_uri(),
        "symlink-dir-escape": (root / "etc").as_uri() + "/passwd",
        "directory": root.as_uri() + "/images",
        "missing": root.as_uri() + "/images/missing.png",
        "http": f"http://{host}/x.png",
        "https": f"https://{host}/x.png",
        "ftp": f"ftp://{host}/x.png",
    }


REFUSED_IDS = ["file-outside", "file-localhost-outside", "file-other-host", "dotdot", "dotdot-encoded",
               "dotdot-sibling", "sibling", "symlink-file-escape", "symlink-dir-escape", "directory", "missing",
               "http", "https", "ftp"]


@pytest.mark.parametrize("kind", REFUSED_IDS)
def test_fetcher_refuses_and_records(kind: str, fetch_root: Path, net: LoopbackSentinel):
    urls = refused_urls(fetch_root, net)
    assert sorted(urls) == sorted(REFUSED_IDS)
    url = urls[kind]
    fetcher = RestrictedFetcher([fetch_root, LAYOUTS, FONTS])
    with pytest.raises(FetchRefused) as info:
        fetcher.fetch(url)
    assert isinstance(info.value, EpaperError)
    assert fetcher.refused == [url]
    with pytest.raises(FetchRefused):
        fetcher(url)  # WeasyPrint calls the fetcher object itself
    assert net.requests == []
    assert b"root:" not in str(info.value).encode()


@pytest.mark.parametrize("rel", ["images/ok.png", "inner.png"])
def test_fetcher_serves_files_inside_the_roots(rel: str, fetch_root: Path):
    fetcher = RestrictedFetcher([fetch_root])
    response = fetcher.fetch((fetch_root / rel).as_uri())
    assert response.read() == PNG_1X1
    assert response.headers["Content-Type"] == "image/png"
    assert fetcher.refused == []


def test_fetcher_serves_layout_and_font_roots():
    css = next(LAYOUTS.glob("*/print.css"))
    fetcher = RestrictedFetcher([LAYOUTS, FONTS])
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()


HOSTILE_HTML = """\
<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title>
<link rel="stylesheet" href="{net}/style.css">
<link rel="attachment" href="file:///etc/passwd">
<style>
@import url("file:///etc/passwd");
@import url("{net}/import.css");
@font-face {{ font-family: Evil; src: url("file:///etc/passwd"); }}
@font-face {{ font-family: Net; src: url("{net}/font.woff"); }}
body {{ background: url("{net}/bg.png"); font-family: Evil, Net, serif; }}
ul {{ list-style-image: url("link.png"); }}
</style></head><body>
<img src="file:///etc/passwd"><img src="../../../../../../../../etc/passwd"><img src="link.png">
<img src="etc/passwd"><img src="{net}/img.png"><img src="//127.0.0.1:{port}/scheme-relative.png">
<object data="file:///etc/passwd"></object><embed src="file:///etc/passwd">
<a rel="attachment" href="file:///etc/passwd">attachment</a>
<ul><li>item</li></ul>
<img src="images/ok.png" alt="allowed">
<p>marker text</p>
</body></html>
"""


def test_weasyprint_render_fetches_nothing_outside(fetch_root: Path, tmp_path: Path, net: LoopbackSentinel):
    """The fetcher as WeasyPrint uses it: every hostile reference in the HTML and CSS is refused and recorded,
    the allowed image is drawn, the sentinel server gets no request, and /etc/passwd is not in the PDF."""
    import pikepdf

    html = HOSTILE_HTML.format(net=net.url, port=net.port)
    rendered = print_pdf.render_document(html, fetch_root, [fetch_root, LAYOUTS, FONTS])
    refused = {f.message.removeprefix("refused to fetch ") for f in rendered.findings if f.code == "E501"}
    assert "file:///etc/passwd" in refused
    assert any(url.endswith("/link.png") for url in refused) and any(url.endswith("/etc/passwd") for url in refused)
    assert f"{net.url}/img.png" in refused and f"{net.url}/style.css" in refused
    assert not any("images/ok.png" in url for url in refused)
    target = tmp_path / "hostile.pdf"
    rendered.document.write_pdf(target)  # attachments are fetched now, through the same fetcher
    assert "file:///etc/passwd" in rendered.document.url_fetcher.refused
    assert net.requests == []
    with pikepdf.open(target) as pdf:
        assert len(pdf.attachments) == 0
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
    assert_no_passwd([target])


# --- the loader -------------------------------------------------------------------------------------------------

def _load_error(make_issue, files=None, prep=None) -> InputError:
    issue = make_issue(files)
    if prep:
        prep(issue)
    with pytest.raises(InputError) as info:
        load_issue(issue)
    return info.value


def test_raw_html_img_file_url_is_refused_with_line(make_issue):
    lead = LEAD_MD.replace("第一段正文", '<img src="file:///etc/passwd">第一段正文')
    err = _load_error(make_issue, {"articles/lead.md": lead})
    assert err.file.name == "lead.md" and err.line == 8
    assert str(err).endswith("lead.md:8: raw HTML is not allowed in article text "
                             "(write plain text; the layouts style every part of an article)")


@pytest.mark.parametrize("path", ["../../etc/passwd", "../../../../../../../../etc/passwd", "/etc/passwd"])
def test_photo_path_outside_is_refused(make_issue, path: str):
    err = _load_error(make_issue, {"articles/photo.md": PHOTO_MD.replace("images/p.png", path)})
    assert (err.file.name, err.line, err.key) == ("photo.md", 5, "photos[0].file")
    assert err.message == f"image {path!r} lies outside the issue folder"


def test_photo_symlink_to_passwd_is_refused(make_issue):
    def link(issue: Path) -> None:
        (issue / "images" / "p.png").unlink()
        (issue / "images" / "p.png").symlink_to(PASSWD)
    err = _load_error(make_issue, prep=link)
    assert (err.file.name, err.line, err.key) == ("photo.md", 5, "photos[0].file")
    assert err.message == "image 'images/p.png' lies outside the issue folder"


def test_photo_in_a_linked_folder_is_refused(make_issue):
    def link(issue: Path) -> None:
        (issue / "etc").symlink_to("/etc")
    err = _load_error(make_issue, {"articles/photo.md": PHOTO_MD.replace("images/p.png", "etc/passwd")}, link)
    assert err.message == "image 'etc/passwd' lies outside the issue folder"


def test_article_symlink_to_passwd_is_refused(make_issue):
    """Articles are read like photos: a link out of the issue folder is refused, whatever it points at."""
    def link(issue: Path) -> None:
        (issue / "articles" / "lead.md").unlink()
        (issue / "articles" / "lead.md").symlink_to(PASSWD)
    err = _load_error(make_issue, prep=link)
    assert err.file.name == "lead.md"
    assert "outside the issue folder" in err.message
    assert b"root:" not in str(err).encode()


def test_photo_url_is_not_fetched(make_issue, net: LoopbackSentinel):
    url = f"{net.url}/x.png"
    err = _load_error(make_issue, {"articles/photo.md": PHOTO_MD.replace("images/p.png", url)})
    assert (err.line, err.key) == (5, "photos[0].file")
    assert err.message == f"image {url!r} does not exist"
    assert net.requests == []


def test_text_that_names_files_stays_text(make_issue, tmp_path: Path, net: LoopbackSentinel):
    """Escaped HTML, a bare file URL and Markdown that markdown-it will not link (file: is not a safe scheme) are
    printed as text: the build fetches nothing, reads nothing outside and prints no line of /etc/passwd."""
    lead = LEAD_MD.replace("第一段正文", '&lt;img src="file:///etc/passwd"&gt; file:///etc/passwd '
                                        f'[链接](file:///etc/passwd) {net.url}/x.png 第一段正文')
    issue = make_issue({"articles/lead.md": lead})
    out = tmp_path / "out"
    with Guard(allow=[issue, issue.parent / "paper.toml"], write=[out]) as guard:
        result = build(issue, BuildOptions(out=out))
    assert guard.unexpected() == [], guard.report()
    assert net.requests == []
    epub = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(epub) as zf:
        doc = ElementTree.fromstring(zf.read("EPUB/text/lead.xhtml"))
    assert '<img src="file:///etc/passwd"> file:///etc/passwd [链接](file:///etc/passwd)' in "".join(doc.itertext())
    assert not [e for e in doc.iter() if any(v.startswith("file:") for v in e.attrib.values())]
    assert_no_passwd([p for p in result.outputs])


# --- the guard --------------------------------------------------------------------------------------------------

def test_guard_records_reads_outside_and_is_inert_outside_its_block(tmp_path: Path):
    inside = tmp_path / "issue"
    inside.mkdir()
    (inside / "a.txt").write_text("a")
    (inside / "link").symlink_to(PASSWD)
    with Guard(allow=[inside]) as guard:
        (inside / "a.txt").read_text()
        PASSWD.read_bytes()
        (inside / "link").read_bytes()
        os.close(os.open(PASSWD, os.O_RDONLY))
    PASSWD.read_bytes()  # after the block: not recorded
    bad = guard.unexpected()  # each (name, target) once
    assert sorted((a.path, a.real) for a in bad) == [(str(PASSWD), str(PASSWD)), (str(inside / "link"), str(PASSWD))]
    assert "/etc/passwd (via " in guard.report()
    assert len([a for a in guard.accesses if a.real == str(PASSWD)]) == 3


def test_guard_flags_writes_outside_the_output(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with Guard(allow=[tmp_path], write=[out]) as guard:  # tmp_path may be read, not written
        (out / "ok").write_text("x")
        (tmp_path / "beside-out").write_text("x")
        fd, name = tempfile.mkstemp(dir=tmp_path)  # what the build makes with tempfile is its own
        with os.fdopen(fd, "w") as fh:
            fh.write("x")
        Path(name).read_text()
    assert [Path(a.real).name for a in guard.unexpected()] == ["beside-out"]


@pytest.fixture(scope="module")
def sample_builds(tmp_path_factory: pytest.TempPathFactory):
    """Both sample issues built in this process under one Guard each: (guards, outputs)."""
    out = tmp_path_factory.mktemp("guarded-out")
    guards, outputs = {}, []
    for issue in (SEED_ISSUE, MULTI_ISSUE):
        with Guard(allow=[issue, issue.parent / "paper.toml"], write=[out]) as guard:
            result = build(issue, BuildOptions(out=out))
        guards[issue.name] = guard
        outputs += result.outputs
    return guards, outputs


def test_sample_builds_open_nothing_unexpected(sample_builds):
    guards, _ = sample_builds
    problems = {name: g.report() for name, g in guards.items() if g.unexpected()}
    assert problems == {}, "\n".join(f"{name}: {text}" for name, text in problems.items())
    for guard in guards.values():
        assert any(a.real.endswith(".md") for a in guard.accesses)  # the hook did see the build


def test_sample_outputs_hold_no_line_of_passwd(sample_builds):
    _, outputs = sample_builds
    assert {p.suffix for p in outputs} == {".pdf", ".epub", ".json"}
    assert_no_passwd(outputs)


# --- publishing (unit) -----------------------------------------------------------------------------------------

SLUG = "test-daily-2024-12-19"


def _publish(out: Path, files: dict[str, bytes], slug: str = SLUG, **kw) -> Path:
    with publishing(out, slug, **kw) as staging:
        for name, data in files.items():
            (staging / name).write_bytes(data)
    return staging


def _set(out: Path, slug: str = SLUG) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in published_files(out, slug)}


def test_publish_links_stable_names_through_one_switch(tmp_path: Path):
    out = tmp_path / "out"
    _publish(out, {f"{SLUG}.pdf": b"pdf1", f"{SLUG}.epub": b"epub1"})
    assert os.readlink(out / SLUG) == f".builds/{SLUG}-1"
    assert os.readlink(out / f"{SLUG}.pdf") == f"{SLUG}/{SLUG}.pdf"  # through the switchable link
    assert (out / f"{SLUG}.pdf").read_bytes() == b"pdf1"
    _publish(out, {f"{SLUG}.pdf": b"pdf2", f"{SLUG}.epub": b"epub2"})
    assert (out / f"{SLUG}.pdf").read_bytes() == b"pdf2" and (out / f"{SLUG}.epub").read_bytes() == b"epub2"
    _publish(out, {f"{SLUG}.pdf": b"pdf3", f"{SLUG}.epub": b"epub3"})
    complete, partial = build_folders(out, SLUG)
    assert sorted(complete) == [2, 3] and partial == {}  # the last two kept
    assert current_build(out, SLUG) == out / ".builds" / f"{SLUG}-3"
    names = sorted(p.name for p in out.iterdir())
    assert names == [".builds", f".lock-{SLUG}", SLUG, f"{SLUG}.epub", f"{SLUG}.pdf"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()], ids=["exception", "ctrl-c"])
def test_failed_publish_keeps_the_previous_set(tmp_path: Path, exc: BaseException):
    out = tmp_path / "out"
    _publish(out, {f"{SLUG}.pdf": b"old", f"{SLUG}.epub": b"old-epub"})
    with pytest.raises(type(exc)):
        with publishing(out, SLUG) as staging:
            (staging / f"{SLUG}.pdf").write_bytes(b"half")
            raise exc
    assert _set(out) == {f"{SLUG}.epub": b"old-epub", f"{SLUG}.pdf": b"old"}
    assert build_folders(out, SLUG)[1] == {}  # no partial folder left
    assert sorted(p.name for p in (out / ".builds").iterdir()) == [f"{SLUG}-1"]


def test_leftovers_of_a_killed_build_are_collected(tmp_path: Path):
    out = tmp_path / "out"
    _publish(out, {f"{SLUG}.pdf": b"one"})
    junk = out / ".builds" / f"{SLUG}-9.partial"
    junk.mkdir()
    (junk / f".{SLUG}.pdf.x.tmp").write_bytes(b"half")
    (out / f".{SLUG}.pdf.link-123").symlink_to("nowhere")  # killed between symlink() and rename()
    (out / f".{SLUG}.epub.abc.tmp").write_bytes(b"half")  # killed write of a build from before publishing()
    staging = _publish(out, {f"{SLUG}.pdf": b"two"})
    assert staging.name == f"{SLUG}-10.partial"
    assert not junk.exists() and (out / f"{SLUG}.pdf").read_bytes() == b"two"
    assert sorted(p.name for p in out.iterdir()) == [".builds", f".lock-{SLUG}", SLUG, f"{SLUG}.pdf"]


def test_old_regular_outputs_are_replaced_by_links(tmp_path: Path):
    """An OUT written by the old build (plain files) moves to the published layout without a gap."""
    out = tmp_path / "out"
    out.mkdir()
    for ext in ("pdf", "epub", "layout.json"):
        (out / f"{SLUG}.{ext}").write_bytes(b"plain " + ext.encode())
    _publish(out, {f"{SLUG}.pdf": b"new pdf", f"{SLUG}.epub": b"new epub", f"{SLUG}.layout.json": b"{}"})
    assert all((out / f"{SLUG}.{ext}").is_symlink() for ext in ("pdf", "epub", "layout.json"))
    assert (out / f"{SLUG}.pdf").read_bytes() == b"new pdf"


def test_a_partial_format_build_publishes_only_what_it_made(tmp_path: Path):
    """--format epub after a full build: no older PDF (or link to one) stays beside the new EPUB, looking current
    (issue 18, case 15); carrying files forward is still possible on request."""
    out = tmp_path / "out"
    _publish(out, {f"{SLUG}.pdf": b"pdf1", f"{SLUG}.epub": b"epub1"})
    _publish(out, {f"{SLUG}.epub": b"epub2"})  # --format epub
    assert _set(out) == {f"{SLUG}.epub": b"epub2"}
    assert not os.path.lexists(out / f"{SLUG}.pdf"), "a link to the old PDF was left beside the new EPUB"
    _publish(out, {f"{SLUG}.pdf": b"pdf3"}, carry_forward=True)
    assert _set(out) == {f"{SLUG}.epub": b"epub2", f"{SLUG}.pdf": b"pdf3"}


@pytest.mark.parametrize("slug", ["../escaped", "a/b", ".hidden", "", "x/../../y", "x.pdf"])
def test_publish_refuses_names_that_are_paths(tmp_path: Path, slug: str):
    with pytest.raises(PublishError):
        with publishing(tmp_path / "out", slug):
            pass
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_folder_in_the_way_is_reported_before_building(tmp_path: Path):
    out = tmp_path / "out"
    (out / SLUG).mkdir(parents=True)
    with pytest.raises(PublishError, match="is not epaper's link"):
        with publishing(out, SLUG):
            pytest.fail("the build must not start")


def test_lock_serialises_one_slug_not_others(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out / f".lock-{SLUG}", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # "another build" of SLUG holds the lock
        with pytest.raises(PublishError, match="another build of"):
            _publish(out, {f"{SLUG}.pdf": b"x"}, wait=False)
        _publish(out, {"other-2024-12-19.pdf": b"y"}, slug="other-2024-12-19", wait=False)
        assert (out / "other-2024-12-19.pdf").read_bytes() == b"y"
        told: list[str] = []
        worker = threading.Thread(target=_publish, args=(out, {f"{SLUG}.pdf": b"z"}), kwargs={"on_wait": told.append})
        worker.start()
        deadline = time.monotonic() + 30
        while not told and time.monotonic() < deadline:
            time.sleep(0.01)
        assert told == [f"waiting for another build of {SLUG} to finish"]
        time.sleep(0.2)
        assert worker.is_alive()  # still blocked: nothing published while the lock is held
        assert (out / f"{SLUG}.pdf").exists() is False
    finally:
        os.close(fd)
    worker.join(10)
    assert (out / f"{SLUG}.pdf").read_bytes() == b"z"


PUBLISHER = """\
import sys, time
from pathlib import Path
from epaper.publish import publishing
out, tag, log = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
with publishing(out, "test-daily-2024-12-19") as staging:
    start = time.monotonic()
    for i in range(5):
        with open(staging / "test-daily-2024-12-19.pdf", "ab") as fh:
            fh.write(tag.encode() * 1000)
        time.sleep(0.08)
    (staging / "test-daily-2024-12-19.epub").write_bytes(tag.encode() * 5000)
    end = time.monotonic()
log.write_text(f"{start} {end}")
"""


def test_concurrent_publishers_are_serialised(tmp_path: Path):
    """Two processes publish the same slug at once: the lock makes their build blocks disjoint in time, both
    succeed, and the published set is one process's complete output."""
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-c", PUBLISHER, str(out), tag, str(tmp_path / f"{tag}.log")],
                              cwd=REPO, env=_env()) for tag in "AB"]
    assert [p.wait(60) for p in procs] == [0, 0]
    (a0, a1), (b0, b1) = [map(float, (tmp_path / f"{t}.log").read_text().split()) for t in "AB"]
    assert a1 <= b0 or b1 <= a0, "the two build blocks overlapped"
    published = _set(out)
    tag = published[f"{SLUG}.epub"][:1]
    assert published == {f"{SLUG}.pdf": tag * 5000, f"{SLUG}.epub": tag * 5000}


# --- the CLI in subprocesses: kill, Ctrl-C, concurrency, reproducibility -------------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONHASHSEED")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONIOENCODING"] = "utf-8"  # the messages hold “…” and Chinese whatever the machine's locale
    return {**env, **extra}


PRINT_AND_EPUB = ("pdf", "epub")  # what these tests check; the web e-paper would only add time


def _cli(issue: Path, out: Path, formats: tuple[str, ...] = (), options: tuple[str, ...] = (),
         **env: str) -> subprocess.Popen:
    args = [sys.executable, "-m", "epaper", "build", str(issue), "--out", str(out), *options]
    args += [a for f in formats for a in ("--format", f)]
    return subprocess.Popen(args, cwd=REPO, env=_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            encoding="utf-8")


def _walk(out: Path) -> list[Path]:
    return [Path(root) / name for root, dirs, files in os.walk(out) for name in files + dirs]


def _valid_set(out: Path, slug: str, pages: int | None = None) -> dict[str, str]:
    """The published PDF, EPUB and layout.json open and check out; returns their sha256 by suffix."""
    pdf, epub, record = (out / f"{slug}{ext}" for ext in (".pdf", ".epub", ".layout.json"))
    doc = pdfium.PdfDocument(str(pdf))
    try:
        assert pages is None or len(doc) == pages
    finally:
        doc.close()
    with zipfile.ZipFile(epub) as zf:
        assert zf.testzip() is None
        assert zf.namelist()[0] == "mimetype" and zf.read("mimetype") == b"application/epub+zip"
    json.loads(record.read_text(encoding="utf-8"))
    return {p.suffix: hashlib.sha256(p.read_bytes()).hexdigest() for p in (pdf, epub, record)}


def _until(pred, proc: subprocess.Popen, timeout: float = 120) -> bool:
    """Poll pred every 5 ms while proc runs (proc None: until the timeout); True when pred held in time."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and (proc is None or proc.poll() is None):
        if pred():
            return True
        time.sleep(0.005)
    return False


@pytest.fixture(scope="module")
def four_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """The 4-page sample built once by the CLI into OUT (the 'previous outputs'), then edited (a new 总第N期),
    so that any later build that got published would change every file. Returns (issue, OUT, hashes)."""
    root = tmp_path_factory.mktemp("killed") / "wujin-daily"
    shutil.copytree(MULTI_ISSUE.parent, root, ignore=shutil.ignore_patterns("2024-12-19", "tools"))
    issue, out = root / MULTI_ISSUE.name, root.parent / "out"
    proc = _cli(issue, out, PRINT_AND_EPUB)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    hashes = _valid_set(out, "wujin-daily-2024-12-20", pages=4)
    toml = (issue / "issue.toml").read_text(encoding="utf-8")
    (issue / "issue.toml").write_text(toml.replace("number = 14322", "number = 14323"), encoding="utf-8")
    return issue, out, hashes


SLUG4 = "wujin-daily-2024-12-20"


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"  # a zombie has stopped
    except (OSError, IndexError):
        return False


def _new_pdf_exists(out: Path, old: set[int]) -> bool:
    return any(p.name == f"{SLUG4}.pdf" and not p.is_symlink() and p.stat().st_ino not in old
               for p in _walk(out) if p.exists())


@pytest.mark.slow  # a whole CLI build in a subprocess per case
@pytest.mark.parametrize("when", ["after-1.0s", "after-2.0s", "during-rendering", "after-pdf-before-epub"])
def test_sigkill_mid_build_leaves_previous_outputs(four_pages, when: str, tmp_path: Path):
    issue, baseline_out, hashes = four_pages
    out = tmp_path / "out"
    shutil.copytree(baseline_out, out, symlinks=True)
    old_inodes = {p.stat().st_ino for p in _walk(out) if p.name == f"{SLUG4}.pdf" and p.exists()}
    # --no-cache: every page is drawn again, by the page workers, so each kill point falls inside the build (with the
    # copied cache only the edited page would be, in the build's own process, in about a second)
    proc = _cli(issue, out, PRINT_AND_EPUB, options=("--no-cache",))
    try:
        if when.startswith("after-") and when.endswith("s"):
            time.sleep(float(when[6:-1]))
            hit = proc.poll() is None
        elif when == "during-rendering":
            hit = _until(lambda: len(_page_workers(proc)) > 0, proc)
            workers = _children(proc)
        else:
            hit = _until(lambda: _new_pdf_exists(out, old_inodes), proc)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    assert hit, f"the build ended before the kill point {when!r}"
    assert proc.returncode == -signal.SIGKILL
    if when == "during-rendering":  # the page workers notice their parent is gone and stop
        assert _until(lambda: not any(_alive(pid) for pid in workers), None, timeout=5)
    # the previous outputs, all three, exactly as they were, and readable
    assert _valid_set(out, SLUG4, pages=4) == hashes, "a killed build changed the published outputs"


@pytest.mark.parametrize("when", ["staging", "rendering"])
def test_ctrl_c_leaves_no_temporary_files(tiny_issue: Path, tmp_path: Path, when: str):
    """Ctrl-C while the build stages its files, or once page workers run: nothing half-made is left (the page
    cache keeps only complete entries), no worker prints a traceback, and no worker outlives the build."""
    out = tmp_path / "out"
    # two page workers asked for: the signal must land while they render, whatever the machine's core count
    proc = _cli(tiny_issue, out, options=("--workers", "2") if when == "rendering" else ())
    try:
        if when == "staging":
            hit = _until(lambda: out.exists() and any(p.name.endswith(".partial") for p in _walk(out)), proc)
        else:
            # the page workers themselves: ctypes' short-lived gcc/ldconfig children are not a sign of rendering
            hit = _until(lambda: len(_page_workers(proc)) > 0, proc)
        workers = _children(proc)
        hit = hit and _alive(proc.pid)  # still building when the signal goes (not a finished, unreaped process)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert hit, f"the build ended before {when}"
    assert proc.returncode != 0
    assert "Traceback" not in err
    # kept by design: the lock file, complete cache entries, and the site root's marker (a build claims the
    # site folder before it starts, so that a folder of someone else's files is refused before any work)
    # The build cache (OUT/.cache: rendered pages, composed lines, placed pages) keeps complete entries only.
    # The derived-image store's entries (.bin: photo checks, page images) count only when they unpack whole.
    cache = out / ".cache"
    left = [p for p in _walk(out) if not (p.is_dir() and not any(p.iterdir())) and p.name != f".lock-{SLUG}"
            and not (cache in (p, *p.parents) and (p.is_dir() or p.suffix in (".pdf", ".json", ".pickle")
                                                   or (p.suffix == ".bin" and _complete_entry(p))))
            and p != out / "site" / ".epaper-site" and not (p == out / "site" and _only_marker(p))]
    assert left == [], f"left behind: {left}"
    assert not any(p.name.endswith(".tmp") for p in _walk(out))
    assert _until(lambda: not any(_alive(pid) for pid in workers), None, timeout=5), "a worker lives on"


def _complete_entry(path: Path) -> bool:
    """A DerivedCache entry whose magic, length and hash check out (a torn write would not)."""
    from epaper.derived_cache import _unpack

    return _unpack(path.read_bytes()) is not None


def _only_marker(site: Path) -> bool:
    return [p.name for p in site.iterdir()] == [".epaper-site"]


def _children(proc: subprocess.Popen) -> list[int]:
    """The process's children, made by any of its threads, from /proc."""
    pids = []
    for task in Path(f"/proc/{proc.pid}/task").glob("*"):
        try:
            pids += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            pass
    return pids


def _page_workers(proc: subprocess.Popen) -> set[int]:
    """The children that are multiprocessing workers (the page renderers once rendering has started)."""
    return multiprocessing_children(_children(proc))


def test_concurrent_cli_builds_of_one_issue(tiny_issue: Path, tmp_path: Path):
    """Two CLI builds of one issue at once, all formats (the web e-paper too: its writer clears other runs'
    staging folders, so it must run under the issue's lock as well)."""
    out = tmp_path / "out"
    procs = [_cli(tiny_issue, out) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    _valid_set(out, SLUG, pages=1)
    assert (out / "site" / "2024-12" / "19" / "index.html").is_file()
    assert (out / SLUG).is_symlink(), "builds are not published through OUT/<slug> (see epaper/publish.py)"
    complete, partial = build_folders(out, SLUG)
    assert len(complete) == 2 and partial == {}
    assert not [p for p in _walk(out) if p.name.endswith(".tmp")]


@pytest.fixture(scope="module")
def seed_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The seed sample built by three processes at once, each with its own OUT: 'plain' (no SOURCE_DATE_EPOCH,
    UTC, hash seed 1), 'sde' (same folder, SOURCE_DATE_EPOCH = the issue date 00:00 UTC, Asia/Shanghai, hash seed
    2) and 'moved' (as plain, from a copy of the paper folder elsewhere)."""
    base = tmp_path_factory.mktemp("repro")
    folders = {}
    for name in ("here", "elsewhere/deeper"):
        paper = base / name / "wujin-daily"
        shutil.copytree(SEED_ISSUE.parent, paper, ignore=shutil.ignore_patterns("2024-12-20", "tools"))
        folders[name] = paper / SEED_ISSUE.name
    runs = {"plain": (folders["here"], {"TZ": "UTC", "PYTHONHASHSEED": "1"}),
            "sde": (folders["here"], {"TZ": "Asia/Shanghai", "PYTHONHASHSEED": "2", "SOURCE_DATE_EPOCH": "1734566400"}),
            "moved": (folders["elsewhere/deeper"], {"TZ": "UTC", "PYTHONHASHSEED": "1"})}
    procs = {name: _cli(issue, base / f"out-{name}", PRINT_AND_EPUB, **env) for name, (issue, env) in runs.items()}
    for proc in procs.values():
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    return {name: base / f"out-{name}" for name in runs}


REPRO_FILES = [f"wujin-daily-2024-12-19{ext}" for ext in (".pdf", ".epub", ".layout.json")]


@pytest.mark.parametrize("name", REPRO_FILES)
def test_builds_are_reproducible_across_processes(seed_builds: dict[str, Path], name: str):
    """Two processes, two time zones, two hash seeds, with and without SOURCE_DATE_EPOCH (set to the issue date,
    the default timestamp): the same bytes."""
    assert (seed_builds["plain"] / name).read_bytes() == (seed_builds["sde"] / name).read_bytes()


def test_source_date_epoch_is_the_epub_timestamp(seed_builds: dict[str, Path]):
    with zipfile.ZipFile(seed_builds["sde"] / "wujin-daily-2024-12-19.epub") as zf:
        opf = zf.read("EPUB/package.opf").decode("utf-8")
    assert '<meta property="dcterms:modified">2024-12-19T00:00:00Z</meta>' in opf


@pytest.mark.parametrize("name", REPRO_FILES)
def test_builds_do_not_depend_on_the_issue_folders_path(seed_builds: dict[str, Path], name: str):
    """The same issue copied to another folder builds to the same bytes (WeasyPrint names each image in the PDF by
    the md5 of its URL, so an absolute file: URL puts the folder's path into the PDF)."""
    assert (seed_builds["plain"] / name).read_bytes() == (seed_builds["moved"] / name).read_bytes()
