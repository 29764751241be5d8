"""The key folder: the secrets that make what is in the archive useless or unforgeable to
whoever carries the archive off without them (issue 10, items 7 and 8).

    <key folder>/           PULANG_KEY_DIR, default keys/ beside the archive folder, 0700
        audit.key           HMAC key of the audit log's chain (records/audit.py)
        nik.key             HMAC key of the search index's blind NIK terms (search/)
        backup.key          age identity that backups are encrypted to (ops/backup.py)
        audit-legacy        "HASH:COUNT" of an audit chain made before audit.key existed

The folder lives outside the archive, so a copy of the archive (a backup on a USB stick,
a stolen disk image of the data folder) does not carry it. The admin is told once, when
the keys are made, to keep a copy elsewhere: without backup.key no backup can be read.

The database records each key's fingerprint the first time it is used. A key folder
that is missing or holds other keys is then a clear refusal at start, never a silent new
key (which would make every backup unreadable and the audit chain unverifiable).
"""

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from .errors import PulangError
from .sealed import FILE_MODE, make_dir

AUDIT, NIK, BACKUP = "audit", "nik", "backup"
NAMES = (AUDIT, NIK, BACKUP)
LEGACY_AUDIT = "audit-legacy"

_registry: dict[str, Path] = {}  # database file → its key folder, for who has only a db
_cache: dict[tuple[str, str], bytes | str] = {}
_lock = threading.Lock()


class KeyFolderError(PulangError):
    """The key folder lacks a key the archive was made with, or holds another one."""

    code = "keys"


def _file(key_dir: Path, name: str) -> Path:
    return Path(key_dir) / f"{name}.key"


def _new(name: str) -> str:
    if name == BACKUP:
        from pyrage import x25519
        return str(x25519.Identity.generate())
    return secrets.token_hex(32)


def _write_new(path: Path, text: str) -> bool:
    """Create `path` holding `text`, unless it exists (another process made it first)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


def read(key_dir: Path, name: str) -> str:
    """The key as stored (hex, or the age identity). Raises KeyFolderError."""
    cache_key = (str(key_dir), name)
    with _lock:
        if cache_key in _cache:
            return _cache[cache_key]
    try:
        text = _file(key_dir, name).read_text().strip()
    except FileNotFoundError:
        raise KeyFolderError(f"the key folder {key_dir} has no {name}.key; put back the copy "
                             "of the key folder kept when the archive was made") from None
    with _lock:
        _cache[cache_key] = text
    return text


def secret(key_dir: Path, name: str) -> bytes:
    """A symmetric key (audit, nik) as bytes."""
    return bytes.fromhex(read(key_dir, name))


def fingerprint(name: str, text: str) -> str:
    """Names a key without revealing it: the public recipient of the age identity, or a
    keyed hash of a fixed string for the HMAC keys."""
    if name == BACKUP:
        from pyrage import x25519
        return str(x25519.Identity.from_str(text).to_public())
    return hmac.new(bytes.fromhex(text), b"pulang key fingerprint", hashlib.sha256).hexdigest()[:32]


@contextlib.contextmanager
def _folder_lock(key_dir: Path):
    with open(Path(key_dir) / ".lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def prepare(settings, db) -> list[str]:
    """Make the key folder and any key this archive has never had; refuse a key folder
    that lacks or replaced a key the archive was made with. Returns the names of keys
    made now (the caller tells the admin to keep a copy). Call after migrating `db`."""
    key_dir = Path(settings.key_dir)
    make_dir(key_dir)
    known = {row["name"]: row["fingerprint"] for row in db.query("SELECT * FROM key_fingerprints")}
    made = []
    with _folder_lock(key_dir):
        for name in NAMES:
            path = _file(key_dir, name)
            if not path.exists():
                if name in known:
                    raise KeyFolderError(
                        f"the key folder {key_dir} has no {name}.key, but this archive was "
                        f"made with one; put back the copy of the key folder kept when the "
                        f"archive was made (PULANG_KEY_DIR names where it is looked for)")
                if name == AUDIT:
                    _mark_legacy_audit(key_dir, db)
                if _write_new(path, _new(name)):
                    made.append(name)
            text = read(key_dir, name)
            mark = fingerprint(name, text)
            if name in known and known[name] != mark:
                raise KeyFolderError(
                    f"{path} is not the {name} key this archive was made with; put back the "
                    f"key folder kept when the archive was made")
            if name not in known:
                db.execute("INSERT OR IGNORE INTO key_fingerprints (name, fingerprint) "
                           "VALUES (?, ?)", [name, mark])
        db.commit()
    register(settings.db_path, key_dir)
    return made


def _mark_legacy_audit(key_dir: Path, db) -> None:
    """An archive whose audit log was chained with plain sha256 (before issue 10) gets its
    HMAC key now. The rows written so far stay as they are; their head and count go into
    the key folder, where whoever holds the database cannot move the boundary, and every
    row after it is chained with the key (records/audit.py)."""
    row = db.execute("SELECT count(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) "
                     "FROM audit_log").fetchone()
    if row[0]:
        _write_new(key_dir / LEGACY_AUDIT, f"{row[1]}:{row[0]}")


def legacy_audit(key_dir: Path) -> tuple[str, int] | None:
    """(head hash, count) of the plain-sha256 part of the audit chain, if it has one."""
    try:
        text = (Path(key_dir) / LEGACY_AUDIT).read_text().strip()
    except FileNotFoundError:
        return None
    head, _, count = text.partition(":")
    return head, int(count)


def register(db_path, key_dir: Path) -> None:
    """Remember which key folder belongs to the database at `db_path` (for code that is
    handed only a database connection, such as the audit log)."""
    _registry[os.path.realpath(db_path)] = Path(key_dir)


def folder_of(db) -> Path:
    """The key folder of the archive `db` belongs to: the one registered by prepare(),
    else where the settings would look for it."""
    path = getattr(db, "_pulang_path", None)
    if path is None:
        path = os.path.realpath(db.execute("PRAGMA database_list").fetchone()[2])
        try:
            db._pulang_path = path
        except AttributeError:
            pass
    if path in _registry:
        return _registry[path]
    from .config import default_key_dir
    return default_key_dir(Path(path).parent)
