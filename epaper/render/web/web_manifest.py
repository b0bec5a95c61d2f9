"""An issue or a site root in; where the issue lives in the site and the manifests (issue.json) found there out.

Each issue folder of the site holds the manifest its build wrote (web_issue.write_issue): the issue's pages and
articles as the site-wide files need them. The archive page, search, feed, sitemaps, OPDS and IIIF collections
are regenerated from the manifests alone, so separate runs add up.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ...model import Issue

MANIFEST = "issue.json"
MANIFEST_FORMAT = "epaper-web-issue/1"


def issue_path(issue: Issue) -> str:
    """The issue's folder under the site root: `2024-12/19` (an edition adds `-<edition>`)."""
    day = f"{issue.date:%d}" + (f"-{issue.edition}" if issue.edition else "")
    return f"{issue.date:%Y-%m}/{day}"


def read_manifest(path: Path) -> dict[str, Any] | None:
    """One issue's manifest, or None when the file is missing, unreadable or not ours."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT:
        data["path"] = data.get("path", "")
        return data
    return None


def read_manifests(site_root: Path) -> list[dict[str, Any]]:
    """Every issue in the site root (SITE/<YYYY-MM>/<DD>/issue.json), newest first; unreadable ones are skipped."""
    found = []
    for path in site_root.glob(f"*/*/{MANIFEST}"):
        if any(part.startswith(".") for part in path.relative_to(site_root).parts):
            continue  # an issue being written or swapped out
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            dt.date.fromisoformat(data["date"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT:
            data["path"] = path.parent.relative_to(site_root).as_posix() + "/"
            found.append(data)
    found.sort(key=lambda d: (d["date"], d.get("edition", ""), d["paper"]["slug"]), reverse=True)
    return found
