"""Accounts and API tokens.

Passwords are hashed with argon2. API tokens are long random strings shown once and
stored only as a sha256 hash: they carry enough entropy that a slow hash adds nothing,
and a fast one lets every request be checked cheaply.
"""

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


def update_account(db, user_id: int, changes: dict) -> None:
    """Set role, active or locale. Deactivating also stops the user's API tokens (they
    need an active account)."""
    db["users"].update(user_id, changes)


def unlock(db, user_id: int) -> None:
    """Lift a sign-in lock early and forget the failures that led to it."""
    db["users"].update(user_id, {"failed_logins": 0, "locked_until": None})


def reset_password(db, user_id: int) -> str:
    """A new generated password (returned once, to be shown once). It also lifts a lock,
    and ends the user's open sessions (the web session is tied to the password hash)."""
    password = generate_password()
    db["users"].update(user_id, {"password_hash": hash_password(password), "failed_logins": 0,
                                 "locked_until": None})
    return password


def get_user_by_name(db, username: str) -> dict | None:
    rows = list(db["users"].rows_where("username = ? AND active = 1", [username]))
    return rows[0] if rows else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(db, username: str) -> str:
    user = get_user_by_name(db, username)
    if user is None:
        raise NotFound("no such user", fields={"username": "no active user with that name"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db["api_tokens"].insert({
        "user_id": user["id"], "token_hash": _token_hash(token), "prefix": token[:10],
        "created_at": now_iso(),
    })
    return token


def user_for_token(db, token: str) -> dict | None:
    rows = list(db.query(
        "SELECT users.* FROM api_tokens JOIN users ON users.id = api_tokens.user_id "
        "WHERE token_hash = ? AND revoked_at IS NULL AND users.active = 1",
        [_token_hash(token)]))
    return rows[0] if rows else None


def get_token(db, token_id: int) -> dict:
    """The token's row (its hash and prefix, never the token), or NotFound."""
    rows = list(db["api_tokens"].rows_where("id = ?", [token_id]))
    if not rows:
        raise NotFound("no such token")
    return rows[0]


def tokens(db, user_id: int) -> list[dict]:
    """The account's token rows (prefix and dates; never the token), newest first."""
    get_account(db, user_id)
    return list(db["api_tokens"].rows_where("user_id = ?", [user_id], order_by="id DESC"))


def revoke_token(db, token_id: int) -> None:
    db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
               [now_iso(), token_id])
    db.commit()
