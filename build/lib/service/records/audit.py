"""The audit log: append-only, and chained with a key the database does not hold.

Each entry's hash is HMAC-SHA256(audit key, previous hash + the entry's canonical JSON).
The key is in the key folder (service/keys.py), outside the database and the archive:
whoever holds the database can drop the append-only triggers and delete rows, but cannot
recompute the chain over what is left, so `pulang audit verify` finds the gap.

What the chain alone cannot show is a cut-off tail (the newest entries removed leave a
shorter chain that is still whole). An anchor shows it: `anchor()` gives the head's hash
and the count of entries ("HASH:COUNT"); it is printed on every print job's cover sheet
and by `pulang audit anchor` (daily, by the office's scheduler), and `verify(anchor=...)`
checks that the entry at that count still has that hash.

An archive made before the key existed keeps its plain-sha256 rows: the key folder
records their head and count when the key is made (keys.LEGACY_AUDIT), the next entry is
chained to that head with the key, and verify checks the old rows with sha256 and the
rest with the key. The old rows are only as safe as before: the first keyed entry pins
their head, so they cannot be rewritten unnoticed after that, but they were forgeable
before it. Details hold ids and codes, never a name or a NIK.
"""

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass

from .. import keys
from ..clock import now_iso, office_zone
from ..db import write_transaction

GENESIS = "0" * 64
_FIELDS = ("at", "user_id", "username", "action", "target_type", "target_id", "detail", "ip")


def _canonical(entry: dict) -> bytes:
    return json.dumps({k: entry[k] for k in _FIELDS}, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def _entry_hash(key: bytes, prev_hash: str, entry: dict) -> str:
    return hmac.new(key, prev_hash.encode() + _canonical(entry), hashlib.sha256).hexdigest()


def _legacy_hash(prev_hash: str, entry: dict) -> str:
    """The chain before issue 10: plain sha256, which anyone can recompute."""
    return hashlib.sha256(prev_hash.encode() + _canonical(entry)).hexdigest()


def record(db, action: str, *, user=None, target_type: str = "", target_id="",
           detail: dict | None = None, ip: str = "") -> None:
    """Append one entry. Runs in its own write transaction so the chain stays linear
    even with many writers."""
    key = keys.secret(keys.folder_of(db), keys.AUDIT)
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
        entry["hash"] = _entry_hash(key, entry["prev_hash"], entry)
        db["audit_log"].insert(entry)


@dataclass
class ChainBreak:
    entry_id: int | None
    reason: str


def anchor(db) -> tuple[str, int]:
    """(the newest entry's hash, how many entries): what an anchor records."""
    row = db.execute("SELECT count(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) "
                     "FROM audit_log").fetchone()
    return (row[1] or GENESIS), row[0]


def format_anchor(head: str, count: int) -> str:
    return f"{head}:{count}"


def parse_anchor(text: str) -> tuple[str, int]:
    """"HASH:COUNT" → (hash, count); ValueError if it is not one."""
    head, sep, count = text.strip().partition(":")
    if not sep or len(head) != 64 or any(c not in "0123456789abcdef" for c in head.lower()) \
            or not count.isdigit():
        raise ValueError("an anchor is HASH:COUNT, as `pulang audit anchor` prints it")
    return head.lower(), int(count)


def verify(db, *, anchor: tuple[str, int] | None = None) -> tuple[int, ChainBreak | None]:
    """Walk the chain; return (entries checked, first break or None). With an `anchor`
    (hash, count), the entry at that count must still carry that hash: nothing up to
    there was removed or rewritten, and the log was not cut back behind it."""
    key_dir = keys.folder_of(db)
    key = keys.secret(key_dir, keys.AUDIT)
    legacy = keys.legacy_audit(key_dir)
    legacy_count = legacy[1] if legacy else 0
    prev = GENESIS
    count = 0
    for row in db.query("SELECT * FROM audit_log ORDER BY id"):
        count += 1
        if row["prev_hash"] != prev:
            return count, ChainBreak(row["id"], "previous hash does not match (a row before it was removed or changed)")
        expected = _legacy_hash(prev, row) if count <= legacy_count else _entry_hash(key, prev, row)
        if expected != row["hash"]:
            return count, ChainBreak(row["id"], "entry was changed after it was written, "
                                                "or its chain was recomputed without the audit key")
        if legacy and count == legacy_count and row["hash"] != legacy[0]:
            return count, ChainBreak(row["id"], "the entries made before the audit key were rewritten "
                                                "(their head no longer matches the key folder's record)")
        if anchor and count == anchor[1] and row["hash"] != anchor[0]:
            return count, ChainBreak(row["id"], f"entry {anchor[1]} no longer has the anchor's hash: "
                                                "the log was rewritten before the anchor")
        prev = row["hash"]
    if legacy and count < legacy_count:
        return count, ChainBreak(None, f"the log has {count} entries, fewer than the "
                                       f"{legacy_count} recorded when the audit key was made")
    if anchor and count < anchor[1]:
        return count, ChainBreak(None, f"the log has {count} entries, fewer than the anchor's "
                                       f"{anchor[1]}: entries were removed")
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
    moment = dt.datetime.combine(day, dt.time(), office_zone()).astimezone(dt.timezone.utc)
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
