"""One place for "now", so stored times are uniform (UTC ISO 8601) and the date of issue
follows the office's own time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

# Offices in Jambi, Palangka Raya and Sampit are on WIB; Kupang is WITA. A setting later.
OFFICE_TZ = ZoneInfo("Asia/Jakarta")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def office_today() -> dt.date:
    return dt.datetime.now(OFFICE_TZ).date()
