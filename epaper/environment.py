"""The process environment a build reads (SOURCE_DATE_EPOCH) in; checked values out, or an OptionError naming it."""

from __future__ import annotations

import datetime as dt
import os
import re

from .errors import OptionError

# The last second strftime and PDF dates can write (9999-12-31 23:59:59 UTC).
_LAST_SECOND = 253402300799


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC datetime, None when unset or empty (reproducible-builds.org: an integer number of
    seconds since 1970-01-01 00:00 UTC; a malformed value must stop the build, not be ignored)."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]+", value) or int(value) > _LAST_SECOND:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise OptionError("SOURCE_DATE_EPOCH", "expected whole seconds since 1970-01-01 00:00 UTC "
                                               f"(0 to {_LAST_SECOND}, e.g. 1734566400), got {shown!r}")
    return dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
