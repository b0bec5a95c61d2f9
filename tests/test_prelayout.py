"""What a rebuild does before layout, made cheap without changing an answer: fontconfig asked in-process (the
same file as fc-match names), libharfbuzz-subset found without ldconfig, font metrics read back from fonts/.cache
equal to the font's own, the up-to-date check re-reading only an edited file, and the Markdown and invisible
character scans' fast paths giving what the character-by-character scans give."""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import pickle
import subprocess
from pathlib import Path

import pytest

from epaper import fonts, uptodate
from epaper.build import BuildOptions
from epaper.errors import EnvironmentProblem
from epaper.layout import fontmetrics
from epaper.paths import FONTS, LAYOUTS
from epaper.source.markdown import parse_body
from epaper.text import invisible_characters

PALETTE = fonts.load_palette(FONTS)


def _fc_match(family: str, weight: int) -> str:
    return subprocess.run(fonts._fc_match_command(family, weight), capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def fresh_fontconfig(monkeypatch: pytest.MonkeyPatch):
    """No answer remembered by this process, so fc_match_file asks again."""
    monkeypatch.setattr(fonts, "_MATCHED", {})


def test_in_process_fontconfig_names_the_files_fc_match_names(fresh_fontconfig):
    faces = {(r.family, r.weight) for r in PALETTE.roles.values()}
    faces |= {(r.family, r.weight) for r in fonts.load_palette(FONTS, traditional=True).roles.values()}
    faces |= {("No Such Family", 400), ("serif", 700), ("Noto Sans CJK SC", 300)}  # fallbacks and other weights
    assert fonts._fontconfig() is not None
    fonts.fc_match_files(sorted(faces))
    for face in sorted(faces):
        got = fonts.fc_match_file(*face)
        assert got == _fc_match(*face), face
        assert Path(got).is_file(), face
    for role in PALETTE.roles.values():  # and the palette's own files are those fontconfig draws with
        assert Path(fonts.fc_match_file(role.family, role.weight)).name == role.file.name, role


def test_without_libfontconfig_fc_match_answers(fresh_fontconfig, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fonts, "_FONTCONFIG", [None])
    role = PALETTE["kai"]
    fonts.fc_match_files([(role.family, role.weight)])
    assert fonts._MATCHED == {(role.family, role.weight): _fc_match(role.family, role.weight)}
    assert fonts.fc_match_file("No Such Family", 400) == _fc_match("No Such Family", 400)
    fonts.check_environment(PALETTE)


def _refuse_harfbuzz_subset(monkeypatch: pytest.MonkeyPatch, found_by_ldconfig: str | None) -> None:
    real = ctypes.CDLL

    def cdll(name, *args, **kwargs):
        if "harfbuzz-subset" in str(name):
            raise OSError(f"{name}: cannot open shared object file")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(fonts.ctypes, "CDLL", cdll)
    monkeypatch.setattr(ctypes.util, "find_library",
                        lambda name: found_by_ldconfig if name == "harfbuzz-subset" else None)


def test_missing_harfbuzz_subset_stops_the_build_with_the_package_to_install(monkeypatch: pytest.MonkeyPatch):
    _refuse_harfbuzz_subset(monkeypatch, None)
    with pytest.raises(EnvironmentProblem, match="libharfbuzz-subset0 is not installed.*"
                                                 "apt-get install libharfbuzz-subset0"):
        fonts.check_environment(PALETTE)


def test_harfbuzz_subset_under_another_name_is_found_as_before(monkeypatch: pytest.MonkeyPatch):
    _refuse_harfbuzz_subset(monkeypatch, "libharfbuzz-subset.so.0")
    fonts.check_environment(PALETTE)  # find_library still decides when the soname does not load


def test_cached_metrics_equal_the_fonts_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Written to the disk cache and read back (another process would read it so): every advance, blank,
    contextual and Latin-run advance is the one parsed from the font, also through a pickle (the layout cache
    keeps composed lines); a damaged cache file is parsed again."""
    role = PALETTE["serif"]
    load = fontmetrics._load.__wrapped__  # past the process's lru_cache (its instances are compared by identity)
    parsed = fontmetrics._parse(str(role.file), role.family, "zh-CN")
    monkeypatch.setattr(fontmetrics, "CACHE_DIR", tmp_path)
    load(str(role.file), role.family, "zh-CN")  # parses and writes the file
    (file,) = tmp_path.glob("metrics-*.json")
    cached = load(str(role.file), role.family, "zh-CN")
    assert "_advance" not in vars(cached)  # kept as runs until asked: most faces are not, in a rebuild
    assert cached.has("中") and "_advance" in vars(cached)
    assert cached.units_per_em == parsed.units_per_em
    assert dict(cached._advance) == dict(parsed._advance) and len(cached._advance) > 40_000
    assert dict(cached._blanks) == dict(parsed._blanks) and cached._blanks  # halt: full-width punctuation
    assert cached._contextual == parsed._contextual
    assert dict(cached._latin) == dict(parsed._latin) and cached._latin
    assert [cached.advance(c) for c in "中，A1—"] == [parsed.advance(c) for c in "中，A1—"]
    unpickled = pickle.loads(pickle.dumps(load(str(role.file), role.family, "zh-CN")))
    assert dict(unpickled._advance) == dict(parsed._advance)
    with pytest.raises(AttributeError):
        cached.no_such_attribute
    data = json.loads(file.read_text(encoding="utf-8"))
    data["advance"][0][1] = "many"  # damaged: not a run of three integers
    file.write_text(json.dumps(data), encoding="utf-8")
    again = load(str(role.file), role.family, "zh-CN")
    assert dict(again._advance) == dict(parsed._advance)
    assert json.loads(file.read_text(encoding="utf-8"))["advance"][0][1] != "many"  # and written again


def test_an_edit_rereads_only_the_edited_file(tiny_issue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    options = BuildOptions(out=tmp_path / "out", skip_unchanged=True)
    stamp = uptodate.stamp_path(options.out, None, tiny_issue, "")
    _, first = uptodate.look(tiny_issue, options, LAYOUTS, FONTS)
    stamp.parent.mkdir(parents=True)
    stamp.write_text(json.dumps(first), encoding="utf-8")  # as write() records it (no outputs to check here)
    assert uptodate.check(tiny_issue, options, LAYOUTS, FONTS) is not None
    article = tiny_issue / "articles" / "lead.md"
    article.write_text(article.read_text(encoding="utf-8").replace("第一段", "第1段"), encoding="utf-8")
    read: list[Path] = []
    real_sha256 = uptodate.file_sha256
    monkeypatch.setattr(uptodate, "file_sha256", lambda path: read.append(path) or real_sha256(path))
    held, now = uptodate.look(tiny_issue, options, LAYOUTS, FONTS)
    assert held is None and read == [article]
    assert now["hashes"][str(article)] == real_sha256(article) != first["hashes"][str(article)]
    stamp.unlink()  # from nothing: every file read, the same digest
    read.clear()
    _, scratch = uptodate.look(tiny_issue, options, LAYOUTS, FONTS)
    assert scratch["digest"] == now["digest"] and len(read) == len(now["hashes"]) > 100


def _scan_by_character(text: str) -> list[int]:
    """The definition: every Cf character, but a joiner between two joinable neighbours."""
    import unicodedata

    from epaper.text import JOINERS, _joinable

    return [i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cf"
            and not (ch in JOINERS and 0 < i < len(text) - 1 and _joinable(text[i - 1]) and _joinable(text[i + 1]))]


@pytest.mark.parametrize("text", [
    "", "正文\n第二行", "a\u200bb\n\u202e倒\n", "\u3000首行缩进\u200d\n\r\nएक\u200dदो\n👩\u200d💻",
    "\ufeff开头\n\n\u00ad", "行尾\u200d\nx", "\u200d", "tab\there\u2060\n"])
def test_invisible_characters_skips_printable_lines_only(text: str):
    assert invisible_characters(text) == _scan_by_character(text)


@pytest.mark.parametrize("body, text, marks", [
    ("长文本没有标记，" * 40, "长文本没有标记，" * 40, []),
    ("前{{着重}}后{汉字|hàn zì}尾", "前着重后汉字尾", [("dots", 1, 3, ""), ("ruby", 4, 6, "hàn zì")]),
    ("a\\{b\\}c {{x}y}} z}", "a{b}c x}y z}", [("dots", 6, 9, "")]),
    ("见[链接](https://example.com/)。", "见链接（https://example.com/）。",
     [("link", 1, 3, "https://example.com/"), ("print", 3, 25, "")]),
    ("{{a[b](https://x.y/)c}}d", "ab (https://x.y/)cd", [("dots", 0, 18, ""), ("link", 1, 2, "https://x.y/"), ("print", 2, 17, "")]),
])
def test_markup_runs_copy_plain_text_whole(body: str, text: str, marks: list[tuple[str, int, int, str]]):
    (block,) = parse_body(Path("a.md"), body, 1)
    assert block.text == text
    assert [(m.kind, m.start, m.end, m.value) for m in getattr(block, "marks", ())] == marks


def test_a_link_inside_a_link_is_refused_with_its_line():
    """markdown-it nests an autolink inside a link's text; that was an IndexError traceback."""
    from epaper.errors import InputError

    with pytest.raises(InputError, match="a.md:3: the text of the link to 'https://a.b/' holds another link"):
        parse_body(Path("a.md"), "见[<https://z.y/>](https://a.b/)", 3)


def test_identify_remembers_a_content_that_decoded_and_never_a_broken_one(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    from PIL import Image

    from epaper.source import images

    photo = tmp_path / "a.png"
    Image.new("RGB", (300, 200), (200, 30, 30)).save(photo)
    expected = images.identify(photo)  # no cache
    monkeypatch.setattr(images, "CACHE_DIR", tmp_path / "cache")
    assert images.identify(photo) == expected == images.ImageInfo("PNG", "RGB", 300, 200)
    assert len(list((tmp_path / "cache").glob("identify/*.bin"))) == 1
    real = images._identify
    monkeypatch.setattr(images, "_identify", lambda source: pytest.fail("decoded again"))
    copy = tmp_path / "same-bytes.png"
    copy.write_bytes(photo.read_bytes())
    assert images.identify(copy) == expected  # by content, not by name
    monkeypatch.setattr(images, "_identify", real)
    truncated = tmp_path / "t.png"
    truncated.write_bytes(photo.read_bytes()[:-120])
    for _ in range(2):
        with pytest.raises(images.ImageProblem, match="ends before its data does") as problem:
            images.identify(truncated)
        assert problem.value.kind == "truncated"
    assert len(list((tmp_path / "cache").glob("identify/*.bin"))) == 1
    Image.new("RGB", (30, 20)).save(photo)  # new content under the old name: decoded, and its own size
    assert images.identify(photo) == images.ImageInfo("PNG", "RGB", 30, 20)


def test_the_check_sees_each_librarys_version_without_importlib_metadata():
    from epaper.digest import LIBRARIES, installed_versions, library_versions

    listed, read = installed_versions(), library_versions()
    assert listed["epaper"] == read["epaper"]
    for name in LIBRARIES:
        assert read[name] and listed[name].lower().replace("_", "-").startswith(f"{name}-{read[name]}".lower()), name
