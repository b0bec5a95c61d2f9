"""The OPDS 1.2 catalog: a real build's site served by `epaper serve`'s server, the feed valid against the OPDS 1.2
RELAX NG grammar (tests/schemas/opds), every acquisition and cover link answered with the built file; paging."""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
from pathlib import Path
from xml.etree import ElementTree

import pytest
from lxml import etree
from PIL import Image

from epaper.build import BuildOptions, build
from epaper.render.web import opds
from epaper.serve import SiteServer

from .test_epub import SAMPLE_1

SCHEMA = Path(__file__).resolve().parent / "schemas" / "opds" / "opds.rng"
ATOM = "{http://www.w3.org/2005/Atom}"
ACQUIRE = "http://opds-spec.org/acquisition"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """The one-page sample built with its Kobo edition into a site, served as `epaper serve` serves it."""
    out = tmp_path_factory.mktemp("opds")
    options = BuildOptions(out=out, formats=("pdf", "epub", "web", "kepub"), site=out / "site", workers=1)
    server = SiteServer(SAMPLE_1, out / "site", lambda: build(SAMPLE_1, options))
    server.start()
    try:
        assert server.failures == 0
        yield server, out
    finally:
        server.stop()


def fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback only: the test's own server
        return response.read(), response.headers.get("Content-Type", "")


def valid(doc: bytes) -> list[str]:
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    ok = schema.validate(etree.fromstring(doc))
    return [] if ok else [str(e) for e in schema.error_log]


def test_the_schema_refuses_what_opds_forbids() -> None:
    """The vendored grammar is not a pass-everything: a buy link without a price and a bare feed fail."""
    base = ('<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x:1</id><title>t</title>'
            '<updated>2024-12-19T00:00:00Z</updated><author><name>a</name></author>{}</feed>')
    assert valid(base.format("").encode()) == []
    assert valid(base.format('<link rel="http://opds-spec.org/acquisition/buy" href="b.epub"/>').encode())
    assert valid(base.format('<link href="a b.epub"/>').encode())  # a space is no IRI
    assert valid(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>')


def test_served_catalog_is_valid_opds(served) -> None:
    server, _ = served
    body, content_type = fetch(server.url + "opds.xml")
    assert content_type.startswith("application/atom+xml") and "profile=opds-catalog" in content_type
    assert valid(body) == []
    feed = ElementTree.fromstring(body)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and entries[0].findtext(f"{ATOM}title") == "武进日报 2024年12月19日"
    assert feed.findtext(f"{ATOM}updated") == "2024-12-19T00:00:00Z"  # the date, no wall clock


def test_every_link_is_served_with_the_built_file(served) -> None:
    server, out = served
    entry = ElementTree.fromstring(fetch(server.url + "opds.xml")[0]).find(f"{ATOM}entry")
    links = {link.get("rel"): [] for link in entry.findall(f"{ATOM}link")}
    for link in entry.findall(f"{ATOM}link"):
        links[link.get("rel")].append(link)
    acquired = {}
    for link in links[ACQUIRE]:
        data, content_type = fetch(server.url + link.get("href"))
        assert int(link.get("length")) == len(data)
        acquired[link.get("type")] = (Path(link.get("href")).name, data, content_type)
    slug = "wujin-daily-2024-12-19"
    assert acquired["application/kepub+zip"][1] == (out / f"{slug}.kepub.epub").read_bytes()
    assert acquired["application/epub+zip"][1] == (out / f"{slug}.epub").read_bytes()
    assert acquired["application/pdf"][1] == (out / f"{slug}.pdf").read_bytes()
    assert acquired["application/epub+zip"][2] == "application/epub+zip"
    for rel in ("http://opds-spec.org/image", "http://opds-spec.org/image/thumbnail"):
        data, content_type = fetch(server.url + links[rel][0].get("href"))
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "JPEG" and content_type == "image/jpeg"
            assert im.height == (opds.COVER_HEIGHT if rel.endswith("image") else opds.THUMB_HEIGHT)
    page, _ = fetch(server.url + links["alternate"][0].get("href"))
    assert b"<html" in page


def test_paged_newest_first_and_reproducible(served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = served
    site = tmp_path / "site"
    shutil.copytree(out / "site", site)
    manifest = json.loads((site / "2024-12" / "19" / "issue.json").read_text(encoding="utf-8"))
    for day in (15, 16, 17, 18):  # four more issues of the month, as the web writer would leave them
        folder = site / "2024-12" / f"{day}"
        folder.mkdir()
        (folder / "issue.json").write_text(json.dumps({**manifest, "date": f"2024-12-{day}",
                                                       "number": manifest["number"] - 19 + day}), encoding="utf-8")
    monkeypatch.setattr(opds, "PAGE_SIZE", 2)
    pages = opds.write_catalog(site)
    assert [p.name for p in pages] == ["opds.xml", "opds-2.xml", "opds-3.xml"]
    dates, href = [], "opds.xml"
    while href:
        body = (site / href).read_bytes()
        assert valid(body) == [], href
        feed = ElementTree.fromstring(body)
        dates += [e.findtext("{http://purl.org/dc/terms/}issued") for e in feed.findall(f"{ATOM}entry")]
        rels = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
        assert rels["self"] == href and rels["last"] == "opds-3.xml" and rels["start"] == "opds.xml"
        href = rels.get("next", "")
    assert dates == [f"2024-12-{d}" for d in (19, 18, 17, 16, 15)]
    before = [p.read_bytes() for p in pages]
    assert [p.read_bytes() for p in opds.write_catalog(site)] == before
    shutil.rmtree(site / "2024-12" / "15")  # one issue fewer: the third page goes
    assert [p.name for p in opds.write_catalog(site)] == ["opds.xml", "opds-2.xml"]
    assert not (site / "opds-3.xml").exists()


def test_a_feed_client_reads_the_catalog(served) -> None:
    """feedparser (the Atom parser Python OPDS clients build on) reads the served feed without complaint."""
    import feedparser

    server, _ = served
    body, _ = fetch(server.url + "opds.xml")
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "武进日报" and len(feed.entries) == 1
    entry = feed.entries[0]
    types = {link.type for link in entry.links if link.rel == ACQUIRE}
    assert types == {"application/epub+zip", "application/kepub+zip", "application/pdf"}
    assert tuple(entry.published_parsed[:3]) == (2024, 12, 19) and entry.updated.startswith("2024-12-19")
    thumbs = [link.href for link in entry.links if link.rel.endswith("image/thumbnail")]
    assert thumbs == ["2024-12/19/files/cover-thumb.jpg"]
