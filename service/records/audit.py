"""The audit log: append-only and hash-chained.

Each entry's hash is sha256(previous hash + the entry's canonical JSON), so editing or
deleting any row breaks the chain from there on; `pulang audit verify` walks it.
Details hold ids and codes, never a name or a NIK.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from ..clock import OFFICE_TZ, now_iso
from ..db import write_transaction

GENESIS = "0" * 64
_FIELDS = ("at", "user_id", "username", "action", "target_type", "target_id", "detail", "ip")


def _entry_hash(prev_hash: str, entry: dict) -> str:
    canonical = json.dumps({k: entry[k] for k in _FIELDS}, sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def record(db, action: str, *, user=None, target_type: str = "", target_id="",
           detail: dict | None = None, ip: str = "") -> None:
    """Append one entry. Runs in its own write transaction so the chain stays linear
    even with many writers."""
    entry = {
        "at": now_iso(),
        "user_id": user["id"] if user else None,
        "username": user["username"] if user else "",
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
        "ip": ip or "",
    }
    with write_transaction(db):
        row = db.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        entry["prev_hash"] = row[0] if row else GENESIS
        entry["hash"] = _entry_hash(entry["prev_hash"], entry)
        db["audit_log"].insert(entry)


@dataclass
class ChainBreak:
    entry_id: int
    reason: str


def verify(db) -> tuple[int, ChainBreak | None]:
    """Walk the chain; return (entries checked, first break or None)."""
    prev = GENESIS
    count = 0
    for row in db.query("SELECT * FROM audit_log ORDER BY id"):
        count += 1
        if row["prev_hash"] != prev:
            return count, ChainBreak(row["id"], "previous hash does not match (a row before it was removed or changed)")
        if _entry_hash(prev, row) != row["hash"]:
            return count, ChainBreak(row["id"], "entry was changed after it was written")
        prev = row["hash"]
    return count, None


def usernames_and_actions(db) -> tuple[list[str], list[str]]:
    """Who appears in the log, and which actions: what the log's filters offer."""
    who = [r[0] for r in db.execute(
        "SELECT DISTINCT username FROM audit_log WHERE username != '' ORDER BY username")]
    what = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log ORDER BY action")]
    return who, what


def _utc_bound(day: dt.date, *, end: bool) -> str:
    """The office's calendar day as a UTC instant (entries are stored in UTC)."""
    if end:
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(), OFFICE_TZ).astimezone(dt.timezone.utc)
    return moment.isoformat(timespec="microseconds")


def entries(db, *, who: str = "", what: str = "", date_from: dt.date | None = None,
            date_to: dt.date | None = None, limit: int, offset: int = 0) -> tuple[int, list[dict]]:
    """(how many entries match, the page of them newest first). Dates are the office's
    calendar days, both included."""
    where, params = [], []
    if who:
        where.append("username = ?")
        params.append(who)
    if what:
        where.append("action = ?")
        params.append(what)
    if date_from:
        where.append("at >= ?")
        params.append(_utc_bound(date_from, end=False))
    if date_to:
        where.append("at < ?")
        params.append(_utc_bound(date_to, end=True))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    total = db.execute(f"SELECT count(*) FROM audit_log {clause}", params).fetchone()[0]
    rows = list(db.query(f"SELECT * FROM audit_log {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
                         params + [limit, offset]))
    return total, rows
