"""Backups: one encrypted file that is useless without the key folder.

    pulang backup PATH     a consistent snapshot (safe while the service runs)
    pulang restore PATH    back into an empty archive on a machine with the key folder

The file is an age file (age-encryption.org, by pyrage) encrypted to the key folder's
backup identity (service/keys.py); its plaintext is a tar stream of the database
(SQLite's online backup), the stored PDFs, the scanned pages kept (signed copies and
the review tray, issue 13), the office's settings and templates, the session secret, and last a manifest with the sha256 of every one of those files. The
index is not copied: restore rebuilds it from the database and the PDFs. A backup on a
USB stick without the key folder holds no readable byte; with it, `age -d -i
keys/backup.key` opens it too, without Pulang.

Restore reads the whole stream into a staging folder inside the archive first, taking
only plain files and folders at the places a backup has them (a link, a device or a
path that leaves the archive is refused), and checks every file against the manifest's
sha256 before it moves anything into place; a backup that fails a check changes nothing.
"""

import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import tarfile
import threading
from pathlib import Path, PurePosixPath

import pyrage
from pyrage import x25519

from .. import db as database
from .. import keys
from ..clock import now_iso
from ..errors import Conflict, InvalidInput
from ..records import signed_copies
from ..sealed import FILE_MODE, make_dir
from ..search import archive_index
from .maintenance import reindex

FORMAT = 2  # 1: the unencrypted folder of issue 5
MANIFEST = "manifest.json"
# What a backup holds, at the archive's top level: nothing else is ever restored.
TOP_FILES = {"pulang.db", "secret_key"}
TOP_DIRS = {"documents", "scans", "settings", "templates"}
CHUNK = 1 << 20


def _identity(settings) -> x25519.Identity:
    return x25519.Identity.from_str(keys.read(settings.key_dir, keys.BACKUP))


def _target(path) -> Path:
    """PATH as given, or a dated file inside it when it names a folder."""
    path = Path(path)
    if path.is_dir():
        stamp = now_iso()[:19].replace(":", "").replace("-", "")
        return path / f"pulang-{stamp}.backup"
    return path


def make_backup(settings, target) -> dict:
    """Write the encrypted backup to `target` (a file; in a folder, a dated file in it).
    Returns a summary with the file's path."""
    target = _target(target)
    if target.exists():
        raise Conflict(f"{target} exists; name a new file")
    if not target.parent.is_dir():
        raise InvalidInput(f"{target.parent} is not a folder", fields={"path": "no such folder"})
    recipient = _identity(settings).to_public()
    snapshot = settings.tmp_dir / f"backup-{secrets.token_hex(8)}.db"
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        source = sqlite3.connect(str(settings.db_path))
        dest = sqlite3.connect(str(snapshot))
        with dest:
            source.backup(dest)
        source.close()
        # Documents are written once and never changed, so copying after the database
        # snapshot captures every file the snapshot refers to.
        rows = dest.execute("SELECT path FROM listed_documents WHERE path IS NOT NULL "
                            "AND destroyed_at IS NULL").fetchall()
        scans = signed_copies.stored_files(dest)
        dest.close()
        members = [("pulang.db", snapshot)]
        members += [(rel, settings.archive / rel) for (rel,) in rows]
        # Scanned pages too are written once; a tray page discarded since the snapshot
        # is gone, and left out.
        scans = [(rel, settings.archive / rel) for rel, _sha in scans if (settings.archive / rel).is_file()]
        members += scans
        for extra in ("secret_key", "settings", "templates"):
            src = settings.archive / extra
            if src.is_file():
                members.append((extra, src))
            elif src.is_dir():
                members += [(p.relative_to(settings.archive).as_posix(), p)
                            for p in sorted(src.rglob("*")) if p.is_file() and not p.is_symlink()]
        hashes = _encrypt_tar(members, partial, recipient)
        os.replace(partial, target)
    finally:
        snapshot.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return {"file": str(target), "documents": len(rows), "scanned_pages": len(scans),
            "files": len(hashes), "index": "rebuilt on restore"}


def _encrypt_tar(members: list[tuple[str, Path]], out: Path, recipient) -> dict[str, str]:
    """Stream a tar of `members` (and the manifest last) through age into `out`, never
    holding a file whole in memory or writing the tar in plaintext anywhere."""
    hashes: dict[str, str] = {}
    failure: list[BaseException] = []
    read_fd, write_fd = os.pipe()

    def produce():
        try:
            with os.fdopen(write_fd, "wb") as pipe, tarfile.open(fileobj=pipe, mode="w|") as tar:
                for name, path in members:
                    digest = hashlib.sha256()
                    with open(path, "rb") as fh:
                        size = os.fstat(fh.fileno()).st_size
                        info = tarfile.TarInfo(name)
                        info.size, info.mode, info.mtime = size, FILE_MODE, int(os.path.getmtime(path))
                        tar.addfile(info, _Hashing(fh, digest))
                    hashes[name] = digest.hexdigest()
                manifest = json.dumps({"format": FORMAT, "made_at": now_iso(),
                                       "files": hashes}, indent=1).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(manifest), FILE_MODE
                tar.addfile(info, io.BytesIO(manifest))
        except BaseException as exc:  # reported by the caller; the age stream ends short
            failure.append(exc)

    thread = threading.Thread(target=produce, name="backup-tar", daemon=True)
    thread.start()
    try:
        with os.fdopen(read_fd, "rb") as plain, open(out, "wb") as sealed:
            pyrage.encrypt_io(plain, sealed, [recipient])
            sealed.flush()
            os.fsync(sealed.fileno())
    finally:
        thread.join()
    if failure:
        raise failure[0]
    return hashes


class _Hashing:
    """A file read through, hashing what passes."""

    def __init__(self, fh, digest):
        self.fh, self.digest = fh, digest

    def read(self, size=-1):
        data = self.fh.read(size)
        self.digest.update(data)
        return data


# -- restore ----------------------------------------------------------------------------

class BadBackup(InvalidInput):
    """The file is not a backup this archive can take, or it failed a check."""


def restore_backup(settings, source) -> dict:
    source = Path(source)
    if source.is_dir():
        raise BadBackup(f"{source} is a folder: backups are single encrypted files since "
                        "issue 10; restore a folder backup with the release that made it",
                        fields={"path": "a folder, not a backup file"})
    if settings.db_path.exists():
        db = database.connect(settings.db_path)
        has_data = db["cases"].exists() and db["cases"].count > 0
        db.close()
        if has_data:
            raise Conflict(f"{settings.archive} already holds cases; restore into an empty archive")
    identity = _identity(settings)
    settings.ensure_dirs()
    staging = settings.tmp_dir / f"restore-{secrets.token_hex(8)}"
    make_dir(staging)
    try:
        found = _decrypt_tar(source, identity, staging)
        _check_manifest(staging, found)
        _move_into_place(staging, settings.archive, found)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for leftover in ("pulang.db-wal", "pulang.db-shm"):
        (settings.archive / leftover).unlink(missing_ok=True)
    db = database.connect(settings.db_path)
    database.migrate(db)
    keys.prepare(settings, db)
    index = archive_index(settings)
    count = reindex(db, index, settings.archive)
    index.close()
    db.close()
    return {"files": len(found) - 1, "index_entries": count}


def _member_path(member: tarfile.TarInfo) -> PurePosixPath:
    """The member's place in the archive, or BadBackup: plain files and folders only, at
    the places a backup puts them, never outside the archive."""
    name = PurePosixPath(member.name)
    if not (member.isreg() or member.isdir()):
        raise BadBackup(f"the backup holds {member.name!r}, which is not a plain file "
                        "(a link or a device): refused", fields={"path": "unsafe entry"})
    parts = name.parts
    if not parts or name.is_absolute() or any(p in ("", ".", "..") for p in parts) \
            or "\\" in member.name or "\x00" in member.name:
        raise BadBackup(f"the backup holds a path that leaves the archive ({member.name!r}): refused",
                        fields={"path": "unsafe entry"})
    top = parts[0]
    allowed = (len(parts) == 1 and (top in TOP_FILES or top == MANIFEST or top in TOP_DIRS)) or \
        (len(parts) > 1 and top in TOP_DIRS)
    if not allowed:
        raise BadBackup(f"the backup holds {member.name!r}, which no backup has: refused",
                        fields={"path": "unexpected entry"})
    return name


def _decrypt_tar(source: Path, identity, staging: Path) -> dict[str, str]:
    """Decrypt and unpack into `staging`; returns {path: sha256} of every file unpacked."""
    found: dict[str, str] = {}
    failure: list[BaseException] = []
    read_fd, write_fd = os.pipe()

    def consume():
        try:
            with os.fdopen(read_fd, "rb") as pipe, tarfile.open(fileobj=pipe, mode="r|") as tar:
                for member in tar:
                    rel = _member_path(member)
                    dest = staging.joinpath(*rel.parts)
                    if member.isdir():
                        make_dir(dest)
                        continue
                    if rel.as_posix() in found:
                        raise BadBackup(f"the backup holds {member.name!r} twice: refused",
                                        fields={"path": "duplicate entry"})
                    make_dir(dest.parent)
                    digest = hashlib.sha256()
                    data = tar.extractfile(member)
                    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
                    with os.fdopen(fd, "wb") as out:
                        while chunk := data.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                    found[rel.as_posix()] = digest.hexdigest()
                # Read to the end, so the decrypting side is never left writing to nobody.
                while pipe.read(CHUNK):
                    pass
        except BaseException as exc:  # leaving the `with` closed the pipe: decryption stops
            failure.append(exc)

    thread = threading.Thread(target=consume, name="restore-tar", daemon=True)
    thread.start()
    try:
        with open(source, "rb") as sealed, os.fdopen(write_fd, "wb") as plain:
            try:
                pyrage.decrypt_io(sealed, plain, [identity])
            except pyrage.DecryptError as exc:
                failure.append(BadBackup(
                    f"{source} cannot be decrypted with this key folder's backup key "
                    f"({exc}): it is not a Pulang backup, it is damaged, or it was made with "
                    "another key folder", fields={"path": "cannot be decrypted"}))
            except Exception as exc:
                if not failure:  # else the unpacking side stopped first; its reason wins
                    failure.append(exc)
    finally:
        thread.join()
    if failure:
        first = next((f for f in failure if isinstance(f, BadBackup)), failure[0])
        if isinstance(first, tarfile.TarError):
            raise BadBackup(f"{source} is not a complete backup ({first})",
                            fields={"path": "damaged"}) from first
        raise first
    return found


def _check_manifest(staging: Path, found: dict[str, str]) -> None:
    if MANIFEST not in found:
        raise BadBackup("the backup has no manifest: refused", fields={"path": "no manifest"})
    try:
        manifest = json.loads((staging / MANIFEST).read_text())
        listed = manifest["files"]
    except (ValueError, KeyError, TypeError):
        raise BadBackup("the backup's manifest cannot be read: refused",
                        fields={"path": "bad manifest"}) from None
    files = {k: v for k, v in found.items() if k != MANIFEST}
    if set(listed) != set(files):
        odd = sorted(set(listed) ^ set(files))[0]
        raise BadBackup(f"the backup's files and its manifest disagree ({odd}): refused",
                        fields={"path": "manifest mismatch"})
    for name, digest in files.items():
        if listed[name] != digest:
            raise BadBackup(f"{name} in the backup does not match the manifest's sha256: "
                            "refused, nothing was restored", fields={"path": "checksum mismatch"})
    if "pulang.db" not in files:
        raise BadBackup("the backup has no database: refused", fields={"path": "no database"})


def _move_into_place(staging: Path, archive: Path, found: dict[str, str]) -> None:
    """Every file checked: now each goes to its place (a rename within one file system)."""
    for name in sorted(found):
        if name == MANIFEST:
            continue
        dest = archive.joinpath(*PurePosixPath(name).parts)
        make_dir(dest.parent)
        os.replace(staging.joinpath(*PurePosixPath(name).parts), dest)
