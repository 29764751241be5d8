"""Print-worker tokens: what a `pulang worker --server URL --token TOKEN` on another
machine authenticates with.

A kind of token of its own, not a user's API token: it belongs to no user and has no
role, so it opens none of the API's other routes; and a user's token opens none of the
worker routes (api/workers.py): fetch a chunk's inputs, a template or the logo by hash,
renew a lease, return a chunk's letters. Stored, like API tokens, only as a sha256.
"""

import hashlib
import re
import secrets

from ..clock import now_iso
from ..errors import InvalidInput, NotFound

PREFIX = "pulw_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(db, name: str) -> str:
    """A new token for the worker machine called `name`; returned once, kept as a hash."""
    if not _NAME.fullmatch(name or ""):
        raise InvalidInput("a worker name is letters, digits, dot, dash or underscore",
                           fields={"name": "1-64 of A-Z a-z 0-9 . _ -, not starting with . _ -"})
    token = PREFIX + secrets.token_urlsafe(32)
    db["worker_tokens"].insert({"name": name, "token_hash": _hash(token), "prefix": token[:10],
                                "created_at": now_iso()})
    return token


def check(db, token: str) -> dict | None:
    """The live token's row, or None."""
    if not token.startswith(PREFIX):
        return None
    rows = list(db["worker_tokens"].rows_where("token_hash = ? AND revoked_at IS NULL",
                                               [_hash(token)]))
    return rows[0] if rows else None


def listing(db) -> list[dict]:
    return list(db["worker_tokens"].rows_where(order_by="id"))


def revoke(db, name: str) -> int:
    """Revoke every live token of the worker `name`; returns how many."""
    count = db.execute("UPDATE worker_tokens SET revoked_at = ? WHERE name = ? AND revoked_at "
                       "IS NULL", [now_iso(), name]).rowcount
    db.commit()
    if not count:
        raise NotFound("no such worker token", fields={"name": "no live token of that name"})
    return count
