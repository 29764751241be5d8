"""Sign-in attempts against an account: after MAX_FAILURES consecutive wrong passwords
the account is locked for LOCK_MINUTES. The lock is kept in the database, so it survives
a restart; an admin can lift it early (users.unlock). The per-address rate limit is the
sign-in page's (Flask-Limiter, in memory)."""

import datetime as dt

from ..clock import now_iso

MAX_FAILURES = 5
LOCK_MINUTES = 15


def locked(user: dict) -> bool:
    return bool(user["locked_until"]) and user["locked_until"] > now_iso()


def record_failure(db, user: dict) -> None:
    """A wrong password for `user`: count it, and lock the account at MAX_FAILURES."""
    failures = user["failed_logins"] + 1
    lock = None
    if failures >= MAX_FAILURES:
        lock = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=LOCK_MINUTES)).isoformat(
            timespec="microseconds")
    db.execute("UPDATE users SET failed_logins = ?, locked_until = coalesce(?, locked_until) WHERE id = ?",
               [failures, lock, user["id"]])
    db.commit()


def record_success(db, user: dict) -> None:
    """Signed in: the failures are forgotten, and the admin's list shows when."""
    db.execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ? WHERE id = ?",
               [now_iso(), user["id"]])
    db.commit()
