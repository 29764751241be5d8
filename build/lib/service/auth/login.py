"""Sign-in throttling an office can live with (issue 10, item 11).

Failed sign-ins are counted per (address, name typed): after FREE_FAILURES wrong
passwords for one name from one address, that pair waits before its next try, the wait
doubling with each further failure (FIRST_WAIT, 2×, 4×, … up to MAX_WAIT); a success,
or FORGET_AFTER without failures, clears it. Nothing else waits: another clerk behind the
same office router (one address for everybody) signs in as usual, and the same name
from another computer is not held back by what was typed here.

Before issue 10, twenty failures from one address blocked every sign-in from it for 15
minutes, and five failures locked any account: anyone could lock the auditor out.

The name is kept as a hash, never as typed (people type their password into the name
box); the account's id is kept when the name is one. Admins see the accounts under
attack (`under_attack`) and can clear an account's waits (`clear`).
"""

import datetime as dt
import hashlib

from ..clock import now_iso

FREE_FAILURES = 3
FIRST_WAIT = 2.0          # seconds, after the free failures
MAX_WAIT = 15 * 60.0
FORGET_AFTER = dt.timedelta(hours=24)
UNDER_ATTACK_AFTER = FREE_FAILURES  # failures in FORGET_AFTER that make an account listed


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def name_key(username: str) -> str:
    return hashlib.sha256((username or "").strip().casefold().encode()).hexdigest()[:32]


def wait_for(failures: int) -> float:
    """Seconds to wait after `failures` consecutive failures of one (address, name)."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(MAX_WAIT, FIRST_WAIT * 2 ** (failures - FREE_FAILURES))


def _row(db, address: str, username: str):
    return db.execute("SELECT failures, last_at, wait_until FROM login_failures "
                      "WHERE address = ? AND name_key = ?", [address, name_key(username)]).fetchone()


def wait_left(db, address: str, username: str) -> float:
    """Seconds before this address may try this name again (0: now)."""
    row = _row(db, address, username)
    if row is None or not row[2]:
        return 0.0
    left = (dt.datetime.fromisoformat(row[2]) - _now()).total_seconds()
    return max(0.0, left)


def record_failure(db, address: str, username: str, user_id: int | None) -> float:
    """A wrong password (or an unknown name) from `address`: count it; returns the wait
    the next try from there has."""
    now = _now()
    row = _row(db, address, username)
    fresh = row is None or now - dt.datetime.fromisoformat(row[1]) > FORGET_AFTER
    failures = 1 if fresh else row[0] + 1
    wait = wait_for(failures)
    until = _iso(now + dt.timedelta(seconds=wait)) if wait else None
    db.execute(
        "INSERT INTO login_failures (address, name_key, user_id, failures, first_at, last_at, "
        "wait_until) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (address, name_key) DO UPDATE SET "
        "user_id = excluded.user_id, failures = excluded.failures, last_at = excluded.last_at, "
        "wait_until = excluded.wait_until, first_at = CASE WHEN ? THEN excluded.first_at "
        "ELSE first_at END",
        [address, name_key(username), user_id, failures, _iso(now), _iso(now), until, fresh])
    db.commit()
    return wait


def record_success(db, address: str, username: str, user: dict) -> None:
    """Signed in: this address's failures for this name are forgotten (others' stay: an
    attack from elsewhere goes on being counted), and the admin's list shows when."""
    db.execute("DELETE FROM login_failures WHERE address = ? AND name_key = ?",
               [address, name_key(username)])
    db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [now_iso(), user["id"]])
    db.commit()


def clear(db, user_id: int) -> int:
    """An admin lifts every wait on an account (from any address). Returns how many
    addresses were waiting."""
    count = db.execute("DELETE FROM login_failures WHERE user_id = ?", [user_id]).rowcount
    db.commit()
    return count


def under_attack(db) -> list[dict]:
    """Accounts with UNDER_ATTACK_AFTER or more failed sign-ins in the last FORGET_AFTER,
    most failures first: how many, from how many addresses (and which), when last, and
    until when the busiest address waits."""
    since = _iso(_now() - FORGET_AFTER)
    rows = db.execute(
        "SELECT users.id, users.username, sum(failures), count(*), max(last_at), max(wait_until), "
        "group_concat(address, ' ') FROM login_failures JOIN users ON users.id = login_failures.user_id "
        "WHERE last_at >= ? GROUP BY users.id HAVING sum(failures) >= ? ORDER BY sum(failures) DESC",
        [since, UNDER_ATTACK_AFTER]).fetchall()
    return [{"user_id": r[0], "username": r[1], "failures": r[2], "addresses": r[3], "last_at": r[4],
             "wait_until": r[5] if r[5] and r[5] > now_iso() else None,
             "from": sorted(set(r[6].split()))[:5]} for r in rows]


def unknown_names(db) -> tuple[int, int]:
    """(failed sign-ins, addresses) at names that are no account, in FORGET_AFTER."""
    row = db.execute("SELECT coalesce(sum(failures), 0), count(DISTINCT address) FROM login_failures "
                     "WHERE user_id IS NULL AND last_at >= ?", [_iso(_now() - FORGET_AFTER)]).fetchone()
    return row[0], row[1]


def account_failures(db, user_id: int) -> dict:
    """For the admin's page of one account: failures in FORGET_AFTER, addresses, the
    latest wait."""
    row = db.execute("SELECT coalesce(sum(failures), 0), count(*), max(wait_until) FROM login_failures "
                     "WHERE user_id = ? AND last_at >= ?", [user_id, _iso(_now() - FORGET_AFTER)]).fetchone()
    return {"failures": row[0], "addresses": row[1],
            "wait_until": row[2] if row[2] and row[2] > now_iso() else None}
