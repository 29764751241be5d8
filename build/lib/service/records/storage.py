"""Stored PDFs: written once, atomically, named by document id (never by a person)."""

import hashlib
import os
import tempfile
from pathlib import Path


def relative_path(doc_id: int) -> str:
    """documents/000/123.pdf: a thousand files a folder keeps listings quick."""
    return f"documents/{doc_id // 1000:03d}/{doc_id}.pdf"


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename, fsync the folder: after a crash the
    file is either whole or absent. Refuses to replace an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise FileExistsError(f"{path.name} already stored; stored documents are never overwritten")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # unlike rename, fails if the target appeared meanwhile
    finally:
        os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
