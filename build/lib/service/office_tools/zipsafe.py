"""Refusing a hostile or broken zip (a .docx or .xlsx is one) from its central directory
alone, before a single member is decompressed: no zip bomb gets to expand, no member name
gets to climb out of a folder.

The limits suit office documents: a letter template or a sheet of a few thousand rows is
well under a megabyte unpacked; the limits leave a hundredfold margin.
"""

import io
import zipfile
from collections import Counter

from .problems import Problem, Refused

MAX_UPLOAD = 10 * 1024 * 1024        # bytes on the wire
MAX_UNPACKED = 100 * 1024 * 1024     # sum of the members' declared sizes
MAX_RATIO = 100                      # declared size / compressed size of any one member
MAX_MEMBERS = 2000
ZIP_MAGIC = b"PK\x03\x04"


def read_upload(stream, limit: int = MAX_UPLOAD) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (never the whole of an
    oversized body into memory)."""
    data = stream.read(limit + 1) if stream else b""
    if len(data) > limit:
        raise Refused([Problem("too_large", args={"mb": limit // (1024 * 1024)})], status=413)
    if not data:
        raise Refused([Problem("empty_file")])
    return data


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (name.startswith(("/", "\\")) or ".." in parts or "\\" in name
            or (len(name) > 1 and name[1] == ":") or "\x00" in name)


def open_zip(data: bytes, *, required: tuple[str, ...], not_a: str) -> tuple[zipfile.ZipFile, list[Problem]]:
    """The archive, once its directory passes; otherwise Refused. `required` members must
    be present (e.g. "[Content_Types].xml"); `not_a` is the problem code when the bytes
    are not such a file at all. Returns also the problems that do not stop the reading
    (a duplicate member name), for the caller to report with its own."""
    if not data.startswith(ZIP_MAGIC):
        raise Refused([Problem(not_a)])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise Refused([Problem(not_a)]) from None
    problems: list[Problem] = []
    if len(infos) > MAX_MEMBERS:
        problems.append(Problem("zip_bomb", args={"why": "members"}))
    total = sum(info.file_size for info in infos)
    if total > MAX_UNPACKED:
        problems.append(Problem("zip_bomb", args={"why": "size"}))
    for info in infos:
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            problems.append(Problem("zip_bomb", where=info.filename, args={"why": "ratio"}))
            break
    for info in infos:
        if _unsafe_name(info.filename):
            problems.append(Problem("unsafe_name", where=info.filename))
    if problems:
        raise Refused(problems, status=413 if any(p.code == "zip_bomb" for p in problems) else 400)
    names = archive.namelist()
    if any(name not in names for name in required):
        raise Refused([Problem(not_a)])
    later = [Problem("duplicate_member", where=name)
             for name, count in Counter(names).items() if count > 1]
    return archive, later
