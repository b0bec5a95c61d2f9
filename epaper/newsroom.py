"""A paper folder (paper.toml and its issue folders) in, the next issue folder out: the next publishing day by the
paper's schedule, 总第N期 + 1, the 农历 of that day, the page plan with empty article lists, and a checklist."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, OptionError
from .paths import LAYOUTS
from .schema import DATE_RANGE, WEEKDAY_NAMES, TomlSource, check_table
from .source.folder import ISSUE_FIELDS, PAGE_FIELDS, load_paper, read_source

CHECKLIST = LAYOUTS / "base" / "newsroom" / "checklist.txt"
# 农历 months as papers print them: 正月 for the first, 十一月 and 十二月 (not 冬月, 腊月) as in the sample issue
LUNAR_MONTHS = ("正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


@dataclass(frozen=True)
class LastIssue:
    """The newest issue folder beside paper.toml, as far as `epaper new` reads it."""

    folder: Path
    date: dt.date
    number: int
    data: dict[str, Any]  # its issue.toml, checked


@dataclass(frozen=True)
class NewIssue:
    """What `epaper new` wrote: the folder, its date and number, and the checklist to print."""

    folder: Path
    date: dt.date
    number: int
    lunar: str
    checklist: str


def publishing_days(schedule: str) -> frozenset[int]:
    """Weekday numbers (Monday 0) a schedule publishes on (schedule_problem has checked it)."""
    if schedule == "daily":
        return frozenset(range(7))
    if schedule == "weekdays":
        return frozenset(range(5))
    return frozenset({WEEKDAY_NAMES.index(schedule.removeprefix("weekly-"))})


def next_publishing_day(after: dt.date, schedule: str) -> dt.date:
    """The first day after `after` the paper appears."""
    days = publishing_days(schedule)
    day = after + dt.timedelta(days=1)
    while day.weekday() not in days:
        day += dt.timedelta(days=1)
    return day


def lunar_date(day: dt.date) -> str:
    """农历 as printed in the 报眉, e.g. 甲辰年十一月十九 for 2024-12-19 (the lunar year changes at 春节)."""
    from lunar_python import Solar  # a maintained port of 6tail's lunar calendar (no hand table here)

    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    month = lunar.getMonth()  # negative in a leap month (闰月)
    name = ("闰" if month < 0 else "") + LUNAR_MONTHS[abs(month) - 1]
    return f"{lunar.getYearInGanZhi()}年{name}月{lunar.getDayInChinese()}"


def find_last_issue(paper_dir: Path) -> LastIssue:
    """The issue folder beside paper.toml with the latest date (its issue.toml checked, not its articles)."""
    found: list[LastIssue] = []
    for file in sorted(paper_dir.glob("*/issue.toml")):
        src = TomlSource(file, read_source(file))
        data = check_table(src, src.parse(), ISSUE_FIELDS)
        for i, page in enumerate(data["pages"]):
            check_table(src, page, PAGE_FIELDS, ("pages", i))
        found.append(LastIssue(file.parent, data["date"], data["number"], data))
    if not found:
        raise InputError(paper_dir, "no issue folder beside paper.toml to continue from",
                         hint="make the first issue by hand or with epaper import-text; epaper new copies the last one")
    return max(found, key=lambda f: (f.date, f.number))


def _toml(value: Any) -> str:
    # JSON strings are TOML basic strings (same escapes); ensure_ascii off keeps 版名 and names readable
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, (bool, int)):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def issue_toml(paper_name: str, last: LastIssue, date: dt.date, number: int, lunar: str) -> str:
    """The new issue.toml: the last issue's plan with empty article lists and no pins; the day's fields fresh."""
    data = last.data
    lines = [f"# {paper_name} {date.year}年{date.month}月{date.day}日, made by `epaper new` from {last.folder.name}: "
             "write the articles, then list them on their pages.",
             f"date = {date.isoformat()}", f"number = {number}", f"lunar = {_toml(lunar)}"]
    if "volume_number" in data:  # 当年期号: counts from 1 again in a new year
        volume = 1 if date.year != last.date.year else data["volume_number"] + 1
        lines.append(f"volume_number = {volume}")
    if "edition" in data:
        lines.append(f"edition = {_toml(data['edition'])}")
    if data.get("jumps"):
        lines.append("jumps = true")
    lines.append('weather = ""  # e.g. "多云 2℃～9℃"; delete the line if the paper prints none')
    for page in data["pages"]:
        lines += ["", "[[pages]]", f"number = {page['number']}", f"name = {_toml(page['name'])}",
                  f"editor = {_toml(page['editor'])}"]
        if page.get("designer"):
            lines.append(f"designer = {_toml(page['designer'])}")
        lines += [f"template = {_toml(page['template'])}", "articles = []"]
    return "\n".join(lines) + "\n"


def new_issue(paper_dir: Path | str, date: dt.date | None = None) -> NewIssue:
    """Write the next issue folder of the paper in `paper_dir`; refuses to touch an existing one."""
    paper_dir = Path(paper_dir)
    paper_file = paper_dir / "paper.toml"
    if not paper_file.is_file():
        raise InputError(paper_dir, "no paper.toml in this folder",
                         hint="epaper new takes the paper's folder, the one holding paper.toml and its issue folders")
    paper = load_paper(paper_file)
    last = find_last_issue(paper_dir)
    date = date or next_publishing_day(last.date, paper.schedule)
    folder = paper_dir / date.isoformat()
    if folder.exists():
        raise InputError(folder, "the issue folder already exists; epaper new never overwrites an issue",
                         hint="edit it, or move it away first")
    if date <= last.date:
        raise OptionError("--date", f"expected a date after the last issue ({last.folder.name}), got {date}")
    if date > DATE_RANGE[1]:
        raise OptionError("--date", f"expected a date up to {DATE_RANGE[1]}, got {date}")
    number = last.number + 1  # 总第N期 counts the issues that appeared: a day skipped with --date is no issue
    lunar = lunar_date(date)
    text = issue_toml(paper.name, last, date, number, lunar)
    folder.mkdir()
    (folder / "articles").mkdir()
    (folder / "images").mkdir()
    (folder / "issue.toml").write_text(text, encoding="utf-8")
    pages = "\n".join(f"  {p['number']} {p['name']} ({p['template']}, 责任编辑 {p['editor']})"
                      for p in last.data["pages"])
    checklist = CHECKLIST.read_text(encoding="utf-8").format(
        folder=folder, date=date.isoformat(), number=number, lunar=lunar, last=last.folder.name, pages=pages,
        weekday="一二三四五六日"[date.weekday()])
    return NewIssue(folder, date, number, lunar, checklist)
