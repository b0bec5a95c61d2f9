"""繁简 editions: the Simplified sample with a Traditional (Taiwan) edition in paper.toml builds both, side by side;
the edition's PDF is Traditional text in the TC fonts, re-composed and clean by the yardstick; pinned terms stay."""

from __future__ import annotations

import shutil
from pathlib import Path

import opencc
import pdfplumber
import pytest
from typer.testing import CliRunner

from epaper.build import BuildOptions, build
from epaper.cli import app
from epaper.source.editions import Converter
from epaper.errors import InputError
from epaper.model import Edition
from epaper.source.folder import load_issue

from .conftest import SAMPLES, SEED_ISSUE
from .typeset import measure_pdf

EDITION = """
[[editions]]
language = "zh-TW"
exceptions = ["朱梦琪"]   # the reporter's name as she writes it
"""


def paper_with(tmp: Path, editions: str) -> Path:
    """A copy of the first sample issue under a paper.toml that asks for `editions`."""
    shutil.copytree(SEED_ISSUE, tmp / SEED_ISSUE.name)
    (tmp / "paper.toml").write_text((SAMPLES / "paper.toml").read_text(encoding="utf-8") + editions, encoding="utf-8")
    return tmp / SEED_ISSUE.name


def pdf_text(pdf: Path) -> tuple[str, list[dict]]:
    with pdfplumber.open(pdf) as doc:
        chars = [c for page in doc.pages for c in page.chars]
        return "".join(page.extract_text() for page in doc.pages).replace("\n", ""), chars


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    issue_dir = paper_with(tmp_path_factory.mktemp("paper"), EDITION)
    out = tmp_path_factory.mktemp("out")
    return build(issue_dir, BuildOptions(out=out, formats=("pdf",), workers=1)), out


def test_the_edition_is_written_beside_the_main_issue(built):
    result, out = built
    names = sorted(p.name for p in result.outputs)
    stem = f"{result.issue.paper.slug}-2024-12-19"
    assert names == [f"{stem}-tw.layout.json", f"{stem}-tw.pdf", f"{stem}.layout.json", f"{stem}.pdf"]
    assert all((out / n).is_file() for n in names)
    [edition] = result.editions
    assert edition.issue.edition == "tw" and edition.issue.paper.language == "zh-TW"


def test_the_edition_pdf_is_traditional_and_the_main_one_simplified(built):
    result, out = built
    main, _ = pdf_text(next(p for p in result.outputs if p.name.endswith("19.pdf")))
    text, chars = pdf_text(next(p for p in result.outputs if p.name.endswith("-tw.pdf")))
    assert "全区党建引领基层治理" in main and "全区党建" not in text
    assert "全區黨建引領基層治理" in text  # the lead's headline
    assert "武進日報" in text and "總第14321期" in text and "農曆甲辰年十一月十九" in text
    assert "記者" in text and "責任編輯：周曉嵐" in text
    # every character is in its Traditional form; 准 stays in 准入 (Taiwan usage: the conversion is by phrase)
    s2tw = opencc.OpenCC("s2tw")
    simplified = {c["text"] for c in chars if s2tw.convert(c["text"]) != c["text"]}
    assert simplified <= set("朱梦琪") | {"准"}, simplified
    t2s = opencc.OpenCC("t2s")
    assert len({c["text"] for c in chars if t2s.convert(c["text"]) != c["text"]}) > 200
    # drawn with the TC faces, the main issue with the SC ones
    fonts = {c["fontname"].split("+")[-1] for c in chars}
    assert fonts and all("TC" in f or "UKai-TW" in f for f in fonts), fonts


def test_a_pinned_term_stays_as_written(built):
    result, _ = built
    text, _ = pdf_text(next(p for p in result.outputs if p.name.endswith("-tw.pdf")))
    assert "朱梦琪" in text and "朱夢琪" not in text
    lead = result.editions[0].issue.articles["jiceng-zhili-huiyi"]
    assert lead.reporters == ("朱梦琪",) and lead.title.startswith("全區黨建")


def test_the_edition_is_recomposed_and_set_clean(built):
    result, _ = built
    edition = result.editions[0]
    pdf = next(p for p in edition.outputs if p.suffix == ".pdf")
    counts = measure_pdf(pdf, edition.pages)
    assert counts.lines > 150
    assert counts.faults() == (0, 0, 0, 0), counts.examples


def test_the_variant_named_in_config_converts_phrases():
    tw = Converter(Edition("tw", "zh-TW", "s2twp"))
    hk = Converter(Edition("hk", "zh-HK", "s2hk"))
    assert tw("鼠标和软件的信息") == "滑鼠和軟體的資訊"  # Taiwan's words, not only its characters
    assert hk("里面的面条") == "裏面的麪條"  # Hong Kong's character forms
    kept = Converter(Edition("tw", "zh-TW", "s2twp", ("于敏", "软件园")))
    assert kept("于敏在软件园发表讲话") == "于敏在软件园發表講話"


@pytest.mark.parametrize("table, message", [
    ('language = "zh-CN"', "expected a Traditional edition language"),
    ('language = "zh-TW"\nname = "TW"', "expected lower-case ASCII"),
    ('language = "zh-TW"\nexceptions = "于敏"', "expected a list of strings"),
    ('lang = "zh-TW"', "unknown key 'lang'"),
])
def test_a_bad_edition_table_is_named(tmp_path, table, message):
    issue_dir = paper_with(tmp_path, f"\n[[editions]]\n{table}\n")
    with pytest.raises(InputError) as err:
        load_issue(issue_dir)
    assert err.value.file.name == "paper.toml" and err.value.line and message in str(err.value)
    run = CliRunner().invoke(app, ["validate", str(issue_dir)])
    assert run.exit_code == 2 and "paper.toml:" in run.output and message in run.output
    assert "Traceback" not in run.output
