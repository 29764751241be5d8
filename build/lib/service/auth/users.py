"""Accounts and API tokens.

Passwords are hashed with argon2. API tokens are long random strings shown once and
stored only as a sha256 hash: they carry enough entropy that a slow hash adds nothing,
and a fast one lets every request be checked cheaply.

Issue 10: every account has a session version that its web sessions name; signing out,
a new password, a new role or deactivation bumps it, so every session of that user ends
on the server (not only the browser's cookie). API tokens expire (PULANG_TOKEN_DAYS,
default 90), record when they were last used, and are revoked with a new password, a
new role or deactivation.
"""

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..clock import now_iso
from ..errors import Conflict, InvalidInput, NotFound
from .roles import ROLES

_hasher = PasswordHasher()
TOKEN_PREFIX = "plg_"
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: dict | None, password: str) -> bool:
    if user is None:
        _hasher.hash(password)  # same cost as a real check, so timing doesn't reveal names
        return False
    try:
        return _hasher.verify(user["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(db, username: str, role: str, password: str) -> dict:
    username = (username or "").strip()
    problems = {}
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        problems["username"] = "use 1 to 64 letters, digits, dots, dashes or underscores"
    if role not in ROLES:
        problems["role"] = f"must be one of: {', '.join(ROLES)}"
    if len(password or "") < MIN_PASSWORD:
        problems["password"] = f"must have at least {MIN_PASSWORD} characters"
    if problems:
        raise InvalidInput("the user could not be created", fields=problems)
    if db["users"].count_where("username = ?", [username]):
        raise Conflict("a user with that name exists", fields={"username": "already taken"})
    db["users"].insert({
        "username": username, "password_hash": hash_password(password), "role": role,
        "created_at": now_iso(),
    })
    return get_user_by_name(db, username)


def get_user(db, user_id: int) -> dict | None:
    rows = list(db["users"].rows_where("id = ? AND active = 1", [user_id]))
    return rows[0] if rows else None


def get_account(db, user_id: int) -> dict:
    """Any account, active or not (what an admin manages), or NotFound."""
    rows = list(db["users"].rows_where("id = ?", [user_id]))
    if not rows:
        raise NotFound("no such user")
    return rows[0]


def list_accounts(db) -> list[dict]:
    """Every account, active first, with its count of live API tokens."""
    return list(db.query(
        "SELECT users.*, (SELECT count(*) FROM api_tokens WHERE user_id = users.id "
        "AND revoked_at IS NULL) AS tokens FROM users ORDER BY active DESC, username COLLATE NOCASE"))


def usernames(db) -> dict[int, str]:
    """Every account's name by id (pages show who made or voided a letter)."""
    return {row[0]: row[1] for row in db.execute("SELECT id, username FROM users")}


def update_account(db, user_id: int, changes: dict) -> int:
    """Set role, active or locale. A new role or a deactivation ends the user's sessions
    and revokes their API tokens (a token keeps the rights it was made with otherwise);
    returns how many tokens were revoked."""
    old = get_account(db, user_id)
    db["users"].update(user_id, changes)
    if ("role" in changes and changes["role"] != old["role"]) or \
            ("active" in changes and not changes["active"] and old["active"]):
        end_sessions(db, user_id)
        return revoke_tokens(db, user_id)
    return 0


def end_sessions(db, user_id: int) -> None:
    """Every web session of this user ends at its next request (the user loader compares
    the version the session names with this one)."""
    db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", [user_id])
    db.commit()


def unlock(db, user_id: int) -> int:
    """Lift the sign-in waits on this account, from every address."""
    from .login import clear
    return clear(db, user_id)


def reset_password(db, user_id: int) -> tuple[str, int]:
    """A new generated password (returned once, to be shown once), with the number of API
    tokens revoked. It lifts the sign-in waits, ends the user's sessions and revokes the
    user's tokens: whoever had the old password may have made or seen them."""
    password = generate_password()
    db["users"].update(user_id, {"password_hash": hash_password(password)})
    unlock(db, user_id)
    end_sessions(db, user_id)
    return password, revoke_tokens(db, user_id)


def get_user_by_name(db, username: str) -> dict | None:
    rows = list(db["users"].rows_where("username = ? AND active = 1", [username]))
    return rows[0] if rows else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 90
LAST_USED_EVERY = dt.timedelta(minutes=1)  # last_used_at is written at most this often


def create_token(db, username: str, *, days: int = TOKEN_DAYS) -> str:
    """A new token for the active user `username`, valid for `days`; shown once."""
    user = get_user_by_name(db, username)
    if user is None:
        raise NotFound("no such user", fields={"username": "no active user with that name"})
    if not isinstance(days, int) or not 1 <= days <= 3660:
        raise InvalidInput("a token lives from 1 day to 10 years", fields={"days": "from 1 to 3660"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    made = dt.datetime.now(dt.timezone.utc)
    db["api_tokens"].insert({
        "user_id": user["id"], "token_hash": _token_hash(token), "prefix": token[:10],
        "created_at": made.isoformat(timespec="microseconds"),
        "expires_at": (made + dt.timedelta(days=days)).isoformat(timespec="microseconds"),
    })
    return token


class TokenRefused(Exception):
    """Why a token opens nothing: unknown or revoked, expired, or its account inactive."""


def user_for_token(db, token: str) -> dict:
    """The active user the token belongs to, its use recorded (at most once a minute, so
    a busy script does not write on every request). Raises TokenRefused saying why."""
    row = db.execute("SELECT id, user_id, revoked_at, expires_at, last_used_at FROM api_tokens "
                     "WHERE token_hash = ?", [_token_hash(token)]).fetchone()
    if row is None or row[2]:
        raise TokenRefused("the token is unknown or revoked")
    token_id, user_id, _revoked, expires_at, last_used = row
    now = dt.datetime.now(dt.timezone.utc)
    if expires_at and dt.datetime.fromisoformat(expires_at) <= now:
        raise TokenRefused(f"the token expired on {expires_at[:10]}; ask an admin for a new one")
    user = get_user(db, user_id)
    if user is None:
        raise TokenRefused("the token's account is inactive")
    if last_used is None or now - dt.datetime.fromisoformat(last_used) >= LAST_USED_EVERY:
        db.execute("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", [now_iso(), token_id])
        db.commit()
    return user


def revoke_tokens(db, user_id: int) -> int:
    """Revoke every live token of the user; returns how many."""
    count = db.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
                       [now_iso(), user_id]).rowcount
    db.commit()
    return count


def get_token(db, token_id: int) -> dict:
    """The token's row (its hash and prefix, never the token), or NotFound."""
    rows = list(db["api_tokens"].rows_where("id = ?", [token_id]))
    if not rows:
        raise NotFound("no such token")
    return rows[0]


def tokens(db, user_id: int) -> list[dict]:
    """The account's token rows (prefix and dates; never the token), newest first."""
    get_account(db, user_id)
    now = dt.datetime.now(dt.timezone.utc)
    return [{**row, "expired": bool(row["expires_at"]) and dt.datetime.fromisoformat(row["expires_at"]) <= now}
            for row in db["api_tokens"].rows_where("user_id = ?", [user_id], order_by="id DESC")]


def revoke_token(db, token_id: int) -> None:
    db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
               [now_iso(), token_id])
    db.commit()
