"""One place for "now", so stored times are uniform (UTC ISO 8601) and the date of issue
follows the office's own time zone.

The zone is an office setting (service/records/office.py: WIB, WITA or WIT). The record
layer tells this module the zone whenever it reads the settings (set_office_zone), so
every process that makes letters or shows times uses the zone the office chose; a process
that has read no settings yet uses WIB. Pages and exports show stored times with
office_time().
"""

import datetime as dt
from zoneinfo import ZoneInfo

# Indonesia's three zones: WIB (Jambi, Palangka Raya, Sampit), WITA (Kupang, Makassar),
# WIT (Jayapura).
TIME_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
DEFAULT_ZONE = TIME_ZONES[0]

_zone = ZoneInfo(DEFAULT_ZONE)


def set_office_zone(name: str) -> None:
    """Use the office's zone from now on in this process (unknown names are ignored:
    settings are checked when saved)."""
    global _zone
    if name in TIME_ZONES and name != _zone.key:
        _zone = ZoneInfo(name)


def office_zone() -> ZoneInfo:
    return _zone


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def office_today() -> dt.date:
    return dt.datetime.now(_zone).date()


def office_time(value) -> dt.datetime | None:
    """A stored time (a UTC ISO string as now_iso writes it, or an aware datetime) in the
    office's zone; None for an empty value. For pages, exports and the audit log."""
    if value in (None, ""):
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(_zone)


def zone_abbreviation() -> str:
    """WIB, WITA or WIT: what a time shown to a clerk is followed by."""
    return ZONE_NAMES.get(_zone.key, _zone.key)
