"""Property test of the layout engine on generated issues (bench/generate.py), and of the page previews.

50 seeded issues (1–2 pages each, 3–12 articles a page, 0–4 photos, articles of 200–3,000 characters) are
generated, merged five at a time into one issue folder (so that one WeasyPrint build renders several issues'
pages and pays its start-up once), built to PDF with `epaper.build.build`, and read back. The groups are checked
by worker processes: one starts with the test run at low priority (tests/conftest.py), so that it uses the CPU the
other tests leave idle, and these tests run last; then two more workers check the groups it has not claimed yet
and, on a machine too busy to give it CPU, the group it is still on. For every seed:
- the build succeeds: no overset (E302), and the rendered module positions equal the planned ones (the build
  compares them with WeasyPrint's anchors and raises on a mismatch);
- modules do not overlap each other or a zone, lie inside the type area, and hold their boxes;
- every paragraph is in the PDF's text (content-stream order, whitespace removed) exactly once, and every
  headline, subhead and caption is there; PDFium's get_text_range() holds the same characters (its reading
  order may move a line level with another module's line: such paragraphs are counted, not failed);
- every body box shows the number of lines the composer planned (pdfplumber, glyph tops within 0.5 pt);
- every page is filled (area_fill × text_fill) to at least 97 %, and the median page to at least 99 %.
Set EPAPER_GENERATED_SEEDS=FIRST-LAST to run other seeds, EPAPER_GENERATED_DUMP=FILE to keep the records as JSON.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

import pytest

from bench.generate import generate_issue, toml_str

from .conftest import box_line_problems

pytestmark = pytest.mark.slow  # 50 issues generated, built and read back: minutes on 2 cores

_first, _, _last = os.environ.get("EPAPER_GENERATED_SEEDS", "1-50").partition("-")
SEEDS = tuple(range(int(_first), int(_last or _first) + 1))
GROUP = 5  # issues per build
PARAMS = dict(articles_per_page=(3, 12), photos_per_page=(0, 4), length_range=(200, 3000))
CHECKS = ("build", "overset", "overlap", "outside", "text", "lines", "reading_order")
MIN_FILL, MEDIAN_FILL = 0.97, 0.99


def pages_of(seed: int) -> int:
    return 1 + seed % 2


def squeeze(text: str) -> str:
    """Whitespace removed; PDFium's marks for a hyphen that ends a line (\\x02 in a text object, U+FFFE on the
    text page: it takes it for a hyphenation point) read as the hyphen they are (Wi-|Fi)."""
    return re.sub(r"\s+", "", text).replace("\x02", "-").replace("\ufffe", "-")


def stream_text(page) -> str:
    """A page's text in content-stream order: its text objects in order, each object's characters in order.

    (PDFium's get_text_range() is the text page's reading order, which moves a text object to an earlier line
    when it shares that line's baseline band, e.g. a headline level with the last line of a module to its right.)
    """
    import ctypes

    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    out = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_TEXT]):
        n = raw.FPDFTextObj_GetText(obj, textpage, None, 0)
        buf = ctypes.create_string_buffer(n)
        raw.FPDFTextObj_GetText(obj, textpage, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort)), n)
        out.append(buf.raw.decode("utf-16-le").rstrip("\x00"))
    return "".join(out)


def merge(issues: list[tuple[int, Path]], out: Path) -> tuple[Path, list[tuple[int, int]]]:
    """Several generated issues as one issue folder (ids and images prefixed by the seed); (seed, page) per page."""
    root = out / "merged"
    (root / "articles").mkdir(parents=True)
    (root / "images").mkdir()
    shutil.copy(issues[0][1].parent / "paper.toml", out / "paper.toml")
    from epaper.source.folder import load_issue

    lines = ["date = 2024-01-01", "number = 1", ""]
    origin = []
    for seed, folder in issues:
        issue = load_issue(folder)
        for page in issue.pages:
            origin.append((seed, page.number))
            ids = [f"s{seed}-{a}" for a in page.articles]
            for old, new in zip(page.articles, ids):
                text = (folder / "articles" / f"{old}.md").read_text(encoding="utf-8")
                text = text.replace('file = "images/', f'file = "images/s{seed}-')
                (root / "articles" / f"{new}.md").write_text(text, encoding="utf-8")
            lines += ["[[pages]]", f"number = {len(origin)}", f"name = {toml_str(page.name)}",
                      f"editor = {toml_str(page.editor)}", f"template = {toml_str(page.template)}",
                      "articles = [" + ", ".join(toml_str(i) for i in ids) + "]", ""]
        for image in sorted((folder / "images").glob("*.png")):
            shutil.copy(image, root / "images" / f"s{seed}-{image.name}")
    (root / "issue.toml").write_text("\n".join(lines), encoding="utf-8")
    return root, origin


def check_pages(result, pdf: Path, origin: list[tuple[int, int]], records: dict[int, dict]) -> None:
    """Read the built PDF back and check every page against its PageLayout; problems go to records[seed]."""
    import pdfplumber
    import pypdfium2 as pdfium

    from epaper.paths import LAYOUTS
    from epaper.layout.grid import load_layout

    layout = load_layout(LAYOUTS, result.issue.paper.layout)
    doc = pdfium.PdfDocument(pdf)
    try:
        stream = [squeeze(stream_text(doc[i])) for i in range(len(doc))]
        reading = [squeeze(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    finally:
        doc.close()
    seed_text: dict[int, str] = {}
    seed_reading: dict[int, str] = {}
    for (seed, number), text, read in zip(origin, stream, reading):
        seed_text[seed] = seed_text.get(seed, "") + text
        seed_reading[seed] = seed_reading.get(seed, "") + read
        if sorted(text) != sorted(read):  # PDFium's text page holds exactly the characters drawn
            records[seed]["text"].append(f"page {number}: get_text_range() and the content stream differ")
    eps = 0.01
    with pdfplumber.open(pdf) as plumbed:
        for page_layout, page, (seed, number) in zip(result.pages, plumbed.pages, origin):
            rec = records[seed]
            where = f"page {number}"
            rec["pages"].append({"page": number, "template": page_layout.template.name,
                                 "fill": page_layout.area_fill * page_layout.text_fill,
                                 "area_fill": page_layout.area_fill, "text_fill": page_layout.text_fill,
                                 "articles": len(page_layout.modules),
                                 "photos": sum(len(m.photos) for m in page_layout.modules)})
            for f in page_layout.findings:
                if f.code == "E302":
                    rec["overset"].append(f"{where}: {f.where}: {f.message}")
            mods = page_layout.modules
            for m in mods:
                name = f"{where}, {m.article.id.split('-', 1)[1]}"
                if m.overset:
                    rec["overset"].append(f"{name}: overset by {m.overset} lines")
                if not (0 <= m.col and m.col + m.span <= layout.columns and 0 <= m.line
                        and m.line + m.lines <= layout.lines):
                    rec["outside"].append(f"{name}: grid {m.col}+{m.span} × {m.line}+{m.lines}")
                r = m.rect
                if (r.x < layout.left - eps or r.x + r.w > layout.left + layout.type_width + eps
                        or r.y < layout.top - eps or r.y + r.h > layout.top + layout.type_height + eps):
                    rec["outside"].append(f"{name}: rect {r} outside the type area")
                for b in [*m.boxes, *m.photos]:
                    br = b.rect
                    if br.x < r.x - eps or br.x + br.w > r.x + r.w + eps or br.y < r.y - eps \
                            or br.y + br.h > r.y + r.h + eps:
                        rec["outside"].append(f"{name}: {getattr(b, 'kind', 'photo')} box {br} outside {r}")
                for zname, z in page_layout.zones.items():
                    if r.x < z.x + z.w - eps and z.x < r.x + r.w - eps and r.y < z.y + z.h - eps \
                            and z.y < r.y + r.h - eps:
                        rec["overlap"].append(f"{name}: overlaps zone {zname}")
            for i, a in enumerate(mods):
                for b in mods[i + 1:]:
                    if a.col < b.col + b.span and b.col < a.col + a.span and a.line < b.line + b.lines \
                            and b.line < a.line + a.lines:
                        rec["overlap"].append(f"{where}: {a.article.id} overlaps {b.article.id}")
            # the text layer: every paragraph exactly once in the seed's pages, headlines and captions present
            text = seed_text[seed]
            for m in mods:
                art = m.article
                for para in art.paragraphs:
                    n = text.count(squeeze(para))
                    if n != 1:
                        rec["text"].append(f"{where}, {art.id}: paragraph found {n} times: {para[:24]}…")
                    elif squeeze(para) not in seed_reading[seed]:
                        # not an error of ours: PDFium's reading order merged another module's line into it
                        rec["reading_order"].append(f"{where}, {art.id}: {para[:24]}…")
                parts = [art.kicker, art.title, art.subtitle, *(b.text for b in art.body if b.kind == "h"),
                         *(p.caption for p in art.photos)]
                for part in parts:
                    if part and squeeze(part) not in text:
                        rec["text"].append(f"{where}, {art.id}: missing {part[:24]}")
            # every body box shows the lines the composer planned (subheads, a size up, are lines too), and the
            # body-size lines sit on the box's line pitch
            chars = [c for c in page.chars if c["text"].strip()]
            for m in mods:
                for box in m.boxes:
                    if box.kind != "body":
                        continue
                    rec["lines"].extend(f"{where}, {m.article.id}: {p}" for p in box_line_problems(chars, box))


def check_group(seeds: tuple[int, ...], work: str) -> dict[int, dict]:
    """Generate, build and check a group of seeds in one process; returns a record per seed."""
    from epaper.build import BuildOptions, build
    from epaper.errors import EpaperError

    work_dir = Path(work)
    records = {s: {"pages": [], **{c: [] for c in CHECKS}, "seconds": {}} for s in seeds}
    issues = []
    t0 = time.perf_counter()
    for seed in seeds:
        try:
            issues.append((seed, generate_issue(work_dir / f"gen-{seed}", seed=seed, pages=pages_of(seed), **PARAMS)))
        except Exception as exc:  # a seed the generator cannot fit is itself a finding
            records[seed]["build"].append(f"generate: {type(exc).__name__}: {exc}")
    t1 = time.perf_counter()
    result = None
    if issues:
        try:
            root, origin = merge(issues, work_dir / "merged")
            # pages render in this process: the groups already run in parallel, and a page pool per build would
            # start two more processes (each loading WeasyPrint and the fonts) for every group
            result = build(root, BuildOptions(out=work_dir / "out", formats=("pdf",), workers=1))
        except EpaperError:
            result = None  # build each issue alone to say which seed failed
    t2 = time.perf_counter()
    if result is not None:
        check_pages(result, next(p for p in result.outputs if p.suffix == ".pdf"), origin, records)
    else:
        for seed, folder in issues:
            try:
                single = build(folder, BuildOptions(out=work_dir / f"out-{seed}", formats=("pdf",), workers=1))
            except EpaperError as exc:
                records[seed]["build"].append(f"build: {exc}")
                continue
            check_pages(single, next(p for p in single.outputs if p.suffix == ".pdf"),
                        [(seed, p.page.number) for p in single.pages], records)
    t3 = time.perf_counter()
    share = 1 / max(1, len(seeds))
    for rec in records.values():
        rec["seconds"] = {"generate": (t1 - t0) * share, "build": (t2 - t1) * share, "check": (t3 - t2) * share}
    return records


GROUPS = tuple(SEEDS[i:i + GROUP] for i in range(0, len(SEEDS), GROUP))


def records_file(work: str, k: int) -> str:
    return os.path.join(work, f"group-{k}.records")


def work_through(work: str, background: bool = False) -> None:
    """Check, in order, every group no other worker has claimed yet (a claim is a file made with O_EXCL in `work`,
    naming the kind of worker), each group's records to a file of its own. A worker of the fixture then checks
    again any group the background worker claimed and has not finished: at the lowest priority, that one may get
    no CPU on a busy machine."""
    for k, seeds in enumerate(GROUPS):
        if _claim(os.path.join(work, f"group-{k}.claim"), b"background" if background else b"fixture"):
            _write_records(work, k, check_group(seeds, os.path.join(work, f"group-{k}")))
    for k, seeds in enumerate(GROUPS) if not background else ():
        with open(os.path.join(work, f"group-{k}.claim"), "rb") as claim:
            starved = claim.read() == b"background"
        if starved and not os.path.exists(records_file(work, k)) and _claim(os.path.join(work, f"group-{k}.again")):
            _write_records(work, k, check_group(seeds, os.path.join(work, f"group-{k}-again")))


def _claim(path: str, kind: bytes = b"") -> bool:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False  # another worker has it
    os.write(fd, kind)
    os.close(fd)
    return True


def _write_records(work: str, k: int, records: dict[int, dict]) -> None:
    part = records_file(work, k) + f".{os.getpid()}"
    with open(part, "wb") as f:
        pickle.dump(records, f)
    os.replace(part, records_file(work, k))  # whole or not at all; the two checks of a group write equal records


def _lowest_priority(parent: int) -> None:
    """A background worker yields the CPU to every other test, and stops when the test run is gone (killed)."""
    os.nice(19)
    try:  # below even a test run started with `nice -n 19`: only the CPU nothing else wants
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class Background:
    """One worker process at the lowest priority, checking the groups from the start of the test run."""

    def __init__(self, work: Path):
        self.work = work
        # spawn, not fork: the test process may already hold Pango and fontconfig state from other tests
        self.pool = multiprocessing.get_context("spawn").Pool(1, initializer=_lowest_priority,
                                                              initargs=(os.getpid(),))
        self.job = self.pool.apply_async(work_through, (str(work), True))

    def stop(self) -> None:
        """At the end of the run; a run stopped early (-x, Ctrl-C) does not wait for the remaining groups."""
        self.pool.terminate()
        self.pool.join()


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory) -> dict:
    """Every seed's record, from the background worker (conftest.py) and two more, which check the groups the
    background one has not claimed yet and then any it is still on (one group of GROUP issues per build)."""
    background = request.getfixturevalue("generated_in_background")
    work = background.work if background else tmp_path_factory.mktemp("generated")
    files = [Path(records_file(str(work), k)) for k in range(len(GROUPS))]
    workers = 0 if all(f.exists() for f in files) else min(2, os.cpu_count() or 1, len(GROUPS))
    start = time.perf_counter()
    pool = multiprocessing.get_context("spawn").Pool(workers) if workers else None
    try:
        jobs = [pool.apply_async(work_through, (str(work),)) for _ in range(workers)]
        jobs += [background.job] if background else []
        while not all(f.exists() for f in files):
            for job in jobs:
                if job.ready():
                    job.get()  # a worker's exception fails the fixture here
            assert not all(job.ready() for job in jobs), "a group was claimed and not checked"
            time.sleep(0.2)
    finally:
        if pool is not None:
            pool.terminate()  # a group checked again while the background worker finished it first
            pool.join()
    records: dict[int, dict] = {}
    for f in files:
        with f.open("rb") as data:
            records.update(pickle.load(data))
    assert sorted(records) == list(SEEDS)
    summary = {"records": records, "seconds": time.perf_counter() - start,
               "workers": f"the background worker and {workers} more" if background else f"{workers} workers"}
    if os.environ.get("EPAPER_GENERATED_DUMP"):  # the records as JSON, for a report
        import json
        Path(os.environ["EPAPER_GENERATED_DUMP"]).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    return summary


@pytest.mark.parametrize("seed", SEEDS)
def test_builds_without_overset(generated, seed):
    rec = generated["records"][seed]
    assert not rec["build"] and not rec["overset"], rec["build"] + rec["overset"]
    assert len(rec["pages"]) == pages_of(seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_modules_tile_the_type_area(generated, seed):
    rec = generated["records"][seed]
    assert not rec["overlap"] and not rec["outside"], rec["overlap"] + rec["outside"]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_paragraph_once_in_the_pdf(generated, seed):
    assert not generated["records"][seed]["text"]


@pytest.mark.parametrize("seed", SEEDS)
def test_rendered_lines_match_the_plan(generated, seed):
    assert not generated["records"][seed]["lines"]


@pytest.mark.parametrize("seed", SEEDS)
def test_page_fill(generated, seed):
    low = [(p["page"], round(p["fill"], 4)) for p in generated["records"][seed]["pages"] if p["fill"] < MIN_FILL]
    assert not low, f"seed {seed}: pages filled below {MIN_FILL:.0%}: {low}"


def test_fill_statistics(generated, capsys):
    fills = [p["fill"] for rec in generated["records"].values() for p in rec["pages"]]
    assert fills, "no page was built"
    median = statistics.median(fills)
    secs = {k: sum(r["seconds"][k] for r in generated["records"].values()) for k in ("generate", "build", "check")}
    reordered = {s: len(r["reading_order"]) for s, r in generated["records"].items() if r["reading_order"]}
    with capsys.disabled():
        print(f"\n{len(generated['records'])} generated issues, {len(fills)} pages: fill min {min(fills):.2%}, "
              f"median {median:.2%}, mean {statistics.fmean(fills):.2%}; waited {generated['seconds']:.0f} s for "
              f"{generated['workers']} (in the workers: generate {secs['generate']:.0f} s, build "
              f"{secs['build']:.0f} s, check {secs['check']:.0f} s); paragraphs split by PDFium's reading "
              f"order, by seed: {reordered or 'none'}")
    assert median >= MEDIAN_FILL, f"median page fill {median:.2%} < {MEDIAN_FILL:.0%}"


# ---------------------------------------------------------------------------------------------------------------
# Previews (epaper.render.preview): PNG thumbnails with the modules outlined


def test_write_previews_outlines_every_module(tmp_path):
    from PIL import Image

    from epaper.build import BuildOptions, build
    from epaper.render.preview import module_colour, outline_width, write_previews

    issue = generate_issue(tmp_path / "paper", seed=7, pages=2, **PARAMS)
    result = build(issue, BuildOptions(out=tmp_path / "out", formats=("pdf",)))
    pdf = next(p for p in result.outputs if p.suffix == ".pdf")
    files = write_previews(pdf, result.pages, tmp_path / "previews", width_px=900)
    assert [f.name for f in files] == [f"{pdf.stem}-p{p.page.number}.png" for p in result.pages]
    for path, page in zip(files, result.pages):
        with Image.open(path) as im:
            image = im.convert("RGB")
        assert image.width == 900
        scale = 900 / result_width(pdf)
        width = outline_width(900)
        assert page.modules
        for index, module in enumerate(page.modules):
            colour = module_colour(index)
            r = module.rect
            x0, y0 = round(r.x * scale), round(r.y * scale)
            x1, y1 = round((r.x + r.w) * scale) - 1, round((r.y + r.h) * scale) - 1
            cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
            # the outline runs along the module's bottom and left edges (labels sit at the top left)
            for x, y in ((cx, y1), (cx, y1 - width + 1), (x0, cy), (x0 + width - 1, cy), (x1, cy)):
                assert image.getpixel((x, y)) == colour, (path.name, module.article.id, (x, y))
            # and not across the module's middle
            assert image.getpixel((cx, cy)) != colour


def result_width(pdf) -> float:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].get_width()
    finally:
        doc.close()
