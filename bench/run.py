"""Benchmark of the build (project issue 6): per stage wall time, CPU time, peak RSS and output sizes, with baselines.

    python bench/run.py            # the 8- and 16-page generated issues, median of 5 runs each
    python bench/run.py --quick    # one run of a 2-page issue (a smoke test: tests/test_bench.py)

Issues come from bench/generate.py (seeded, so every machine builds the same copy). Every run is a fresh
subprocess, so peak RSS is that build's own (os.wait4 gives each child's rusage). In a run the child
  1. builds the issue cold (a new interpreter: imports, fontconfig, WeasyPrint's start, the font-metrics disk
     cache as it is) with epaper.build.build; the stages are cut at the build's progress messages:
     load (prepare: issue folder, layout, palette, environment checks), layout (placement and copyfit, the
     print HTML), pdf (WeasyPrint render, geometry check, PDF write, layout.json), epub;
  2. builds it again in the same process (warm);
  3. renders the same final print HTML with WeasyPrint alone (HTML(...).write_pdf(), no checks), baseline (a);
  4. edits one article (one character of its first paragraph) and rebuilds, baseline (d).
Besides: pandoc (Debian's /usr/bin/pandoc) makes an EPUB from the same articles as Markdown, baseline (b); a
child lays the issue out with the CJK composer and with a trivial one (fixed advances, greedy breaks, no kinsoku or
justification) to show what composition costs; and `epaper build` runs as a user runs it, a new process each time
(cold, again with nothing changed, after a one-character edit), with the resident memory of all its processes
together sampled from /proc (run_cli).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

STAGES = ("load", "layout", "pdf", "epub", "web")
PROGRESS = (("laying out", "layout"), ("rendering the print PDF", "pdf"), ("writing the EPUB", "epub"),
            ("writing the web e-paper", "web"))
MIB = 1024 * 1024


# ---------------------------------------------------------------------------------------------------------------
# In the child process


def _usage() -> tuple[float, float, float]:
    """(wall, CPU seconds of this process, peak RSS in MiB so far)."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


class StageClock:
    """Cuts a build into stages at its progress messages; per stage wall, CPU and the peak RSS at its end."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, tuple[float, float, float]]] = [("load", _usage())]

    def __call__(self, message: str) -> None:
        for prefix, stage in PROGRESS:
            if message.startswith(prefix):
                self.marks.append((stage, _usage()))
                return

    def finish(self) -> dict[str, dict[str, float]]:
        self.marks.append(("end", _usage()))
        out = {}
        for (stage, a), (_, b) in zip(self.marks, self.marks[1:]):
            out[stage] = {"wall": b[0] - a[0], "cpu": b[1] - a[1], "rss": b[2]}
        return out


def child_build(issue_dir: Path, work: Path) -> dict:
    t0 = _usage()
    from epaper.build import BuildOptions, build, prepare
    from epaper.render.registry import FORMATS
    from epaper.render.print import page_pdfs, print_pdf
    t1 = _usage()
    record: dict = {"import": {"wall": t1[0] - t0[0], "cpu": t1[1] - t0[1], "rss": t1[2]}}
    # the issue is copied so that the edit of (d) happens in place, as an editor's would
    folder = work / "issue" / issue_dir.name
    shutil.copytree(issue_dir, folder)
    shutil.copy(issue_dir.parent / "paper.toml", folder.parent / "paper.toml")
    out = work / "out"

    def staged() -> tuple[dict, object]:
        clock = StageClock()
        result = build(folder, BuildOptions(out=out, formats=FORMATS), progress=clock)
        stages = clock.finish()
        stages["workers"] = {"wall": 0.0, "cpu": result.render_cpu, "rss": result.render_rss,
                             "pages": len(result.rendered_pages)}
        return stages, result

    # cold: a new interpreter, nothing cached; warm: the same process and output folder, nothing changed
    record["cold"], result = staged()
    record["sizes"] = {p.suffix.lstrip(".") if not p.name.endswith(".layout.json") else "layout.json": p.stat().st_size
                       for p in result.outputs if p.suffix in (".pdf", ".epub", ".json")}
    record["pages"] = len(result.pages)
    record["warm"], _ = staged()
    # (a) WeasyPrint alone on the same final HTML, the whole issue as one document
    from weasyprint import HTML
    issue, layout, palette, strings = prepare(folder)
    title = issue.paper.epub_title.format(paper=issue.paper.name, date=issue.date)
    html = print_pdf.render_html(issue, result.pages, layout, palette, strings, title=title)
    a = _usage()
    HTML(string=html, base_url=issue.root.as_uri() + "/").write_pdf(work / "weasyprint-alone.pdf")
    b = _usage()
    record["weasyprint"] = {"wall": b[0] - a[0], "cpu": b[1] - a[1], "rss": b[2],
                            "size": (work / "weasyprint-alone.pdf").stat().st_size}
    # the web page images of the cold build, made again here one page after another: PDFium's drawing and the
    # encoding apart (the build makes them in its page workers, whose CPU the stages above do not show)
    from epaper.render.web.web_images import zoom_width
    record["images"] = image_costs(next(p for p in result.outputs if p.suffix == ".pdf"),
                                   zoom_width(layout.width, layout.body_size)[1])
    # (d) edit one article (one character) and rebuild: only its page is laid out and rendered again
    first = issue.pages[0].articles[0]
    edit_one_character(folder / "articles" / f"{first}.md")
    record["rebuild"], _ = staged()
    # each worker reports its own peak with every page (RUSAGE_CHILDREN would also count what a worker's
    # start inherits from this process before exec)
    # (the cold build's: a rebuild that changes one page draws it in the build process itself, see page_pdfs)
    record["worker_rss"] = record["cold"]["workers"]["rss"]
    page_pdfs.shutdown()
    return record


def image_costs(pdf: Path, zoom: int) -> dict:
    """CPU seconds of a PDF's web page images, made as the build makes them (web_images._page_images draws one
    image at a time, web_images.ENCODERS encode it): PDFium's drawing and resizing apart from the encoding."""
    import pypdfium2 as pdfium
    from epaper.render.web import web_images as wi

    draw = encode = 0.0
    doc = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(doc)):
            page = doc[index]
            images = wi._page_images(page, wi.SCREEN_WIDTH, wi.THUMB_WIDTH, zoom)
            while True:
                a = time.process_time()
                drawn = next(images, None)
                b = time.process_time()
                if drawn is None:
                    break
                slot, im, _ = drawn
                wi.ENCODERS[slot](im)
                draw, encode = draw + b - a, encode + time.process_time() - b
            page.close()
    finally:
        doc.close()
    return {"draw": draw, "encode": encode}


class TrivialComposer:
    """Stands in for epaper.layout.composer.Composer: greedy breaks on fixed advances (Han 1 em, others ½ em), no
    kinsoku, no punctuation compression, no justification. Only its line count matters to placement."""

    @staticmethod
    def make(base):
        from epaper.layout.compose import Line, Piece

        class Trivial(base):
            def lines(self, text, width, size, role, *, indent=None, align="justify", lead=None, **_):
                key = (text, round(width, 3), size, indent)
                cached = self._cache.get(key)
                if cached is not None:
                    return cached
                text = " ".join(text.split())
                first = 2 * size if indent is None else indent
                out, i, n = [], 0, len(text)
                while i < n:
                    avail = width - (first if not out else 0.0)
                    w, j = 0.0, i
                    while j < n:
                        adv = size if ord(text[j]) >= 0x2E80 else size / 2
                        if w + adv > avail + 1e-6 and j > i:
                            break
                        w += adv
                        j += 1
                    values = {"pieces": (Piece(text[i:j]),), "width": avail, "natural": w,
                              "indent": first if not out else 0.0, "last": j >= n}
                    out.append(Line(**values))
                    i = j
                self._cache[key] = out
                return out

        return Trivial


def child_compose(issue_dir: Path) -> dict:
    from epaper.build import prepare
    from epaper.errors import LayoutError
    from epaper.layout import composer, place, searchmemo
    from epaper.layout.place import layout_issue

    issue, layout, palette, strings = prepare(issue_dir)
    for role in palette.roles.values():  # metrics loaded before either run
        composer.load_metrics(role.file, role.family)
    place.MEMO_PAGES = 0  # every run below lays out every page: no page is taken from an earlier run
    searchmemo.MEMO_KEYS = 0  # and searches every page: no arrangement is taken from an earlier run
    composer.COMPOSER_LINES = -1  # and with a new Composer (of the class patched in below), as a new process would
    spent = [0.0]
    real_compose = composer.compose_paragraph

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real_compose(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t

    composer.compose_paragraph = timed
    # the placement search's own CPU: searchmemo.search less the stories it measures meanwhile (composition and
    # module building, which the layout needs whatever arrangement is chosen)
    from epaper.layout import autosearch
    searching = {"search": 0.0, "measuring": 0.0, "depth": 0, "measure_depth": 0}
    real_search = searchmemo.search
    real_measures = {n: getattr(autosearch.Measurer, n) for n in ("_natural", "_closable", "module")}

    def search(*args, **kwargs):
        t = time.process_time()
        searching["depth"] += 1
        try:
            return real_search(*args, **kwargs)
        finally:
            searching["depth"] -= 1
            searching["search"] += time.process_time() - t

    def measured(real_measure):
        def measure(*args, **kwargs):
            t = time.process_time()
            searching["measure_depth"] += 1  # a module measures its story's height too: count the outer call
            try:
                return real_measure(*args, **kwargs)
            finally:
                searching["measure_depth"] -= 1
                if searching["depth"] and not searching["measure_depth"]:
                    searching["measuring"] += time.process_time() - t
        return measure

    searchmemo.search = search
    for name, real_measure in real_measures.items():
        setattr(autosearch.Measurer, name, measured(real_measure))
    try:
        a = _usage()
        pages = layout_issue(issue, layout, palette, strings)
        b = _usage()
    finally:
        composer.compose_paragraph = real_compose
        searchmemo.search = real_search
        for name, real_measure in real_measures.items():
            setattr(autosearch.Measurer, name, real_measure)
    record = {"cjk": {"wall": b[0] - a[0], "cpu": b[1] - a[1], "compose": spent[0],
                      "search": searching["search"] - searching["measuring"],
                      "fill": statistics.fmean(p.area_fill * p.text_fill for p in pages)}}
    real = composer.Composer
    # Baseline: composition for free. A first run fills a Composer's caches; the timed run replays them, so
    # placement makes the same decisions on the same line counts and only the composer's work is gone.
    seen: list = []

    class Recording(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)

    class Replaying(real):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for name, value in vars(seen[0]).items():
                if isinstance(value, dict):
                    setattr(self, name, dict(value))

    try:
        composer.Composer = Recording
        layout_issue(issue, layout, palette, strings)
        composer.Composer = Replaying
        a = _usage()
        layout_issue(issue, layout, palette, strings)
        b = _usage()
    finally:
        composer.Composer = real
    record["replay"] = {"wall": b[0] - a[0], "cpu": b[1] - a[1]}
    composer.Composer = TrivialComposer.make(real)
    try:
        a = _usage()
        try:
            pages = layout_issue(issue, layout, palette, strings)
            note = ""
        except LayoutError as exc:  # the trivial line counts may not fit: the search ran all the same
            pages, note = [], f"{len(exc.findings) if hasattr(exc, 'findings') else ''} overset"
        b = _usage()
    finally:
        composer.Composer = real
    record["trivial"] = {"wall": b[0] - a[0], "cpu": b[1] - a[1], "note": note}
    return record


# ---------------------------------------------------------------------------------------------------------------
# In the parent


def run_child(args: list[str]) -> tuple[dict, dict]:
    """Run `bench/run.py --child …` and return its JSON and its own rusage (wall, CPU, peak RSS in MiB)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(HERE / "run.py"), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=REPO, env={**os.environ, "PYTHONHASHSEED": "0"})
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-3000:]
        raise RuntimeError(f"child {' '.join(args)} failed ({proc.returncode}):\n{tail}")
    usage = {"wall": time.perf_counter() - start, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss / 1024}
    return json.loads(out.decode().strip().splitlines()[-1]), usage


EPAPER_CLI = [sys.executable, "-c", "import sys; from epaper.cli import app; sys.argv[0] = 'epaper'; sys.exit(app())"]


def _tree(pid: int) -> set[int]:
    """`pid` and all its descendants now, found through each thread's children list in /proc."""
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except (OSError, ValueError):
                continue
            frontier += sorted(children - tree)
            tree |= children
    return tree


def tree_rss(pid: int) -> tuple[float, set[int]]:
    """MiB resident in `pid` and all its descendants now (the sum of their VmRSS, from statm), and their pids."""
    page = os.sysconf("SC_PAGE_SIZE")
    tree, rss = _tree(pid), 0
    for p in tree:
        try:
            rss += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * page
        except (OSError, ValueError, IndexError):
            pass
    return rss / MIB, tree


def tree_pss(pids: set[int]) -> float:
    """MiB of the processes' proportional set size (a page shared by n processes, such as a font file, the
    interpreter or what a forked worker still shares with its parent, counts 1/n), from smaps_rollup. Reading it
    walks a process's page tables, about 3.5 ms for 300 MB: read every 50 ms for three such processes, it would
    take a fifth of a core from the build it measures."""
    kib = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    kib += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return kib / 1024


def run_tracked(command: list[str]) -> dict:
    """Run a command; its wall time, CPU (its own and its reaped children's: the page workers) and the peak of
    the resident memory of it and all its descendants together, sampled every 50 ms (PSS at each new peak of the
    RSS and every 250 ms)."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    peak = peak_pss = 0.0
    samples = 0
    while proc.poll() is None:
        samples += 1
        rss, pids = tree_rss(proc.pid)
        if rss > peak or samples % 5 == 0:  # PSS at every new peak of RSS, else every 250 ms (see tree_pss)
            peak_pss = max(peak_pss, tree_pss(pids))
        peak = max(peak, rss)
        time.sleep(0.05)
    err = proc.stderr.read()
    # poll() reaped the child; its rusage (children included) comes from RUSAGE_CHILDREN's growth instead
    return {"wall": time.perf_counter() - start, "rss_all": peak, "pss_all": peak_pss, "returncode": proc.returncode,
            "stderr": err.decode(errors="replace")[-2000:]}


def run_cli(issue_dir: Path, work: Path) -> dict:
    """`epaper build` (PDF + EPUB + web) as a user runs it, a new process each time: cold (empty OUT), again with
    nothing changed (the stamp answers), again without the stamp (the stage caches answer), and after a
    one-character edit of page 1's first article."""
    from epaper.source.folder import load_issue

    folder = work / "cli-issue" / issue_dir.name
    shutil.copytree(issue_dir, folder)
    shutil.copy(issue_dir.parent / "paper.toml", folder.parent / "paper.toml")
    out = work / "cli-out"
    command = [*EPAPER_CLI, "build", str(folder), "-o", str(out)]
    record = {}
    for case in ("cold", "nochange", "stages", "edit"):
        if case == "stages":  # the stamp gone (epaper/uptodate.py): every stage runs, from its cache
            shutil.rmtree(out / ".cache" / "stamps")
        if case == "edit":
            edit_one_character(folder / "articles" / f"{load_issue(folder).pages[0].articles[0]}.md")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = run_tracked(command)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result["returncode"] != 0:
            raise RuntimeError(f"epaper build ({case}) failed:\n{result['stderr']}")
        result["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        record[case] = result
    return record


def edit_one_character(md: Path) -> None:
    """Change one character of an article's body in place, as an editor would."""
    text = md.read_text(encoding="utf-8")
    head, sep, body = text.partition("+++\n\n")
    for old, new in (("的", "之"), ("，", "；"), ("是", "系")):
        if old in body:
            body = body.replace(old, new, 1)
            break
    else:  # an issue edited this often has none left: a rebuild would find nothing changed and time nothing
        raise RuntimeError(f"{md}: no 的, ， or 是 left to edit")
    md.write_text(head + sep + body, encoding="utf-8")


def run_pandoc(issue_dir: Path, work: Path) -> dict | None:
    """Baseline (b): Debian's pandoc makes an EPUB from the same articles (title, headlines, body, photos)."""
    pandoc = shutil.which("pandoc") or "/usr/bin/pandoc"
    if not Path(pandoc).exists():
        return None
    from epaper.source.folder import load_issue

    issue = load_issue(issue_dir)
    title = issue.paper.epub_title.format(paper=issue.paper.name, date=issue.date)
    md = [f"% {title}", ""]
    for page in issue.pages:
        md += [f"# 第{page.number}版 {page.name}", ""]
        for art_id in page.articles:
            a = issue.articles[art_id]
            md += [f"## {a.title or a.paragraphs[0][:20]}", ""]
            md += [f"*{part}*\n" for part in (a.kicker, a.subtitle) if part]
            for photo in a.photos:
                md += [f"![{photo.caption or photo.alt}]({photo.path})", ""]
            for block in a.body:
                md += [("### " if block.kind == "h" else "") + block.text, ""]
    src = work / "pandoc.md"
    src.write_text("\n".join(md), encoding="utf-8")
    target = work / "pandoc.epub"
    start = time.perf_counter()
    proc = subprocess.Popen([pandoc, str(src), "-o", str(target), "--metadata", "lang=zh-CN"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=issue_dir)
    err = proc.stderr.read()
    _, status, ru = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"pandoc failed: {err.decode(errors='replace')[-2000:]}")
    return {"wall": time.perf_counter() - start, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss / 1024,
            "size": target.stat().st_size}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    import weasyprint

    pandoc = "absent"
    if shutil.which("pandoc"):
        pandoc = subprocess.run(["pandoc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "weasyprint": weasyprint.__version__, "pandoc": pandoc, "os": platform.platform(), "load": load}


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def report(results: dict, info: dict, runs: int) -> str:
    lines = [f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['ram']} RAM; Python {info['python']}, "
             f"WeasyPrint {info['weasyprint']}, {info['pandoc']}; load average at start {info['load']}.",
             f"Median of {runs} run{'s' if runs > 1 else ''}; every run a fresh process; times in seconds. "
             f"CPU = the build process's own, except the row of the page workers; RSS = peak resident set of the "
             f"build process at the end of the stage (of the largest worker in the workers' row).", ""]
    lines += ["| issue | stage | wall s | CPU s | peak RSS MiB |", "| --- | --- | ---: | ---: | ---: |"]

    def med(rows: list[dict], get) -> float:
        return median([get(r) for r in rows])

    for name, res in results.items():
        rows = res["runs"]
        for stage in ("import", *STAGES):
            get = (lambda r, k: r["import"][k]) if stage == "import" else (lambda r, k, s=stage: r["cold"][s][k])
            try:
                wall, cpu, rss = (med(rows, lambda r, k=k: get(r, k)) for k in ("wall", "cpu", "rss"))
            except KeyError:
                continue
            lines.append(f"| {name} | {stage} | {wall:.2f} | {cpu:.2f} | {rss:.0f} |")
        pages = med(rows, lambda r: r["cold"]["workers"]["pages"])
        lines.append(f"| {name} | page workers ({pages:.0f} pages rendered, in parallel with layout and pdf) | | "
                     f"{med(rows, lambda r: r['cold']['workers']['cpu']):.2f} | {med(rows, lambda r: r['cold']['workers']['rss']):.0f} |")
        lines.append(f"| {name} | **cold build, total** | **{med(rows, lambda r: total(r['cold'], r['import'])['wall']):.2f}** | "
                     f"**{med(rows, lambda r: total(r['cold'], r['import'])['cpu']):.2f}** | "
                     f"{med(rows, lambda r: max(v['rss'] for v in r['cold'].values())):.0f} |")
    lines += ["", "| issue | output | size |", "| --- | --- | ---: |"]
    for name, res in results.items():
        sizes = res["runs"][0]["sizes"]
        for kind, size in sizes.items():
            lines.append(f"| {name} | {kind} | {size / 1024:.0f} KiB |")
        if res.get("pandoc"):
            lines.append(f"| {name} | pandoc EPUB (baseline b) | {res['pandoc'][0]['size'] / 1024:.0f} KiB |")
        lines.append(f"| {name} | WeasyPrint-alone PDF (baseline a) | "
                     f"{res['runs'][0]['weasyprint']['size'] / 1024:.0f} KiB |")
    lines += ["", "Comparisons (medians; wall time is what a user waits for, CPU time is steadier on a busy machine; "
              "CPU of a build includes its page workers):", "",
              "| issue | comparison | ours wall s | baseline wall s | ratio | ours CPU s | baseline CPU s | ratio |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]

    def row(name: str, what: str, ours: list[dict], theirs: list[dict]) -> str:
        ow, tw = median([o["wall"] for o in ours]), median([t["wall"] for t in theirs])
        oc, tc = median([o["cpu"] for o in ours]), median([t["cpu"] for t in theirs])
        return (f"| {name} | {what} | {ow:.2f} | {tw:.2f} | {fmt_ratio(ow, tw)} | {oc:.2f} | {tc:.2f} | "
                f"{fmt_ratio(oc, tc)} |")

    for name, res in results.items():
        rows = res["runs"]
        lines.append(row(name, "(a) cold build, PDF + EPUB + web, imports included / WeasyPrint alone, PDF only",
                         [total(r["cold"], r["import"]) for r in rows], [r["weasyprint"] for r in rows]))
        lines.append(row(name, "(a) layout and PDF stages, cold / WeasyPrint alone on the same HTML",
                         [total({s: r["cold"][s] for s in ("layout", "pdf", "workers")}) for r in rows],
                         [r["weasyprint"] for r in rows]))
        if res.get("pandoc"):
            lines.append(row(name, "(b) EPUB stage / pandoc on the same articles (its process start included)",
                             [r["cold"]["epub"] for r in rows], res["pandoc"]))
        else:
            lines.append(f"| {name} | (b) EPUB stage / pandoc: pandoc is not installed (apt-get install pandoc) "
                         f"| | | n/a | | | n/a |")
        lines.append(row(name, "(c) cold build (new process, empty caches) / warm build (same process, nothing changed)",
                         [total(r["cold"], r["import"]) for r in rows], [total(r["warm"]) for r in rows]))
        lines.append(row(name, "(d) rebuild after editing one article / cold build",
                         [total(r["rebuild"]) for r in rows], [total(r["cold"], r["import"]) for r in rows]))
        comp = res.get("compose")
        if comp:
            note = comp[0]["trivial"].get("note")
            if all("replay" in c for c in comp):
                lines.append(row(name, "layout stage: CJK composer / composition for free (cached lines replayed)",
                                 [c["cjk"] for c in comp], [c["replay"] for c in comp]))
            lines.append(row(name, "layout stage: CJK composer / trivial greedy composer"
                             + (f" (which leaves {note}: it lays out another issue)" if note else ""),
                             [c["cjk"] for c in comp], [c["trivial"] for c in comp]))
            share = median([c["cjk"]["compose"] / c["cjk"]["wall"] for c in comp])
            lines.append(f"| {name} | layout stage: share of its wall time inside compose_paragraph | | | "
                         f"{share:.0%} | | | |")
    if any(res.get("cli") for res in results.values()):
        lines += ["", "The command line, as a user runs it (`epaper build ISSUE -o OUT`: PDF + EPUB + web, a new process "
                  "each time, page workers included; RSS and PSS = the peak of all its processes together, sampled "
                  "every 50 ms, PSS counting a shared page once); ratio = wall time against WeasyPrint alone in the same run (baseline a):", "",
                  "| issue | case | wall s | CPU s | peak RSS, all processes, MiB | peak PSS, all processes, MiB "
                  "| wall / WeasyPrint alone |",
                  "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        labels = {"cold": "cold build (empty OUT)", "nochange": "rebuild, nothing changed",
                  "stages": "rebuild, nothing changed, its stamp removed (every stage from its cache)",
                  "edit": "rebuild after a one-character edit (page 1)"}
        for name, res in results.items():
            if not res.get("cli"):
                continue
            alone = median([r["weasyprint"]["wall"] for r in res["runs"]])
            for case, label in labels.items():
                rows = [c[case] for c in res["cli"]]
                wall = median([r["wall"] for r in rows])
                lines.append(f"| {name} | {label} | {wall:.2f} | {median([r['cpu'] for r in rows]):.2f} | "
                             f"{median([r['rss_all'] for r in rows]):.0f} | "
                             f"{median([r.get('pss_all', float('nan')) for r in rows]):.0f} | {fmt_ratio(wall, alone)} |")
    if any(res.get("cli") and "images" in res["runs"][0] for res in results.values()):
        lines += ["", "Web page images of the cold build (four a page: PDFium draws three sizes, the thumbnail is "
                  "resized; made again one by one after the run) and the placement search (its own CPU, without the "
                  "stories it measures: composition and modules, which any arrangement needs) against the cold "
                  "build's CPU from the command line (all its processes):", "",
                  "| issue | drawing CPU s | encoding CPU s | cold build CPU s | encoding share | images share | "
                  "placement search CPU s | search share |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for name, res in results.items():
            if not res.get("cli") or "images" not in res["runs"][0]:
                continue
            draw = median([r["images"]["draw"] for r in res["runs"]])
            encode = median([r["images"]["encode"] for r in res["runs"]])
            cold = median([c["cold"]["cpu"] for c in res["cli"]])
            search = median([c["cjk"]["search"] for c in res.get("compose") or [] if "search" in c["cjk"]] or [0.0])
            lines.append(f"| {name} | {draw:.2f} | {encode:.2f} | {cold:.2f} | {encode / cold:.1%} | "
                         f"{(draw + encode) / cold:.1%} | {search:.2f} | {search / cold:.1%} |")
    names = list(results)
    if len(names) == 2:
        small, large = (results[n]["runs"] for n in names)
        lines.append(row(f"{names[1]} / {names[0]}", "cold build, total", [total(r["cold"], r["import"]) for r in large],
                         [total(r["cold"], r["import"]) for r in small]))
    return "\n".join(lines)


def total(stages: dict, extra: dict | None = None) -> dict:
    """Wall and CPU of stages added up (the workers' row adds CPU only)."""
    out = {k: sum(v[k] for v in stages.values()) for k in ("wall", "cpu")}
    if extra:
        out = {k: out[k] + extra[k] for k in out}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one run of a 2-page issue")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pages", default="8,16", help="issue sizes, comma-separated (default 8,16)")
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--work", type=Path, help="keep issues and outputs here (default: a temporary folder)")
    ap.add_argument("--json", type=Path, help="also write every measurement as JSON")
    ap.add_argument("--report", type=Path, nargs="+", help="print the tables of JSON files written by --json, and exit")
    ap.add_argument("--child", choices=("build", "compose"), help=argparse.SUPPRESS)
    ap.add_argument("--issue", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        work = args.work or Path(tempfile.mkdtemp(prefix="epaper-bench-"))
        record = child_build(args.issue, work) if args.child == "build" else child_compose(args.issue)
        print(json.dumps(record))
        return 0

    if args.report:
        saved = [json.loads(f.read_text(encoding="utf-8")) for f in args.report]
        merged = {name: res for data in saved for name, res in data["results"].items()}
        print(report(merged, saved[0]["machine"], min(data["runs"] for data in saved)))
        return 0

    from bench.generate import generate_issue

    runs = 1 if args.quick else args.runs
    sizes = [2] if args.quick else [int(p) for p in args.pages.split(",")]
    info = machine()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="epaper-bench-") as tmp:
        work = args.work or Path(tmp)
        for pages in sizes:
            name = f"{pages} pages"
            issue = generate_issue(work / f"issues-{pages}", seed=args.seed + pages, pages=pages)
            res: dict = {"runs": [], "usage": [], "pandoc": [], "compose": []}
            for k in range(runs):
                out = work / f"out-{pages}-{k}"
                if out.exists():
                    shutil.rmtree(out)
                out.mkdir(parents=True)
                record, usage = run_child(["--child", "build", "--issue", str(issue), "--work", str(out)])
                res["runs"].append(record)
                res["usage"].append(usage)
                pandoc = run_pandoc(issue, out)
                if pandoc:
                    res["pandoc"].append(pandoc)
                compose, _ = run_child(["--child", "compose", "--issue", str(issue)])
                res["compose"].append(compose)
                res.setdefault("cli", []).append(run_cli(issue, out))
                print(f"{name}: run {k + 1}/{runs} done", file=sys.stderr, flush=True)
            results[name] = res
            if args.json:  # after each issue, so that a long run that is stopped keeps what it measured
                args.json.write_text(json.dumps({"machine": info, "runs": runs, "results": results},
                                                ensure_ascii=False, indent=1))
    table = report(results, info, runs)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
