"""One `soffice --convert-to` per document: slow (a cold start each time) but needs nothing
running. For scripts and tests; the service uses the pool. Like the pool's workers, it
runs with the profile settings and in the network namespace of isolation.py."""

import ctypes.util
import fcntl
import functools
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import (
    ConversionError,
    ConversionTimeout,
    ConverterUnavailable,
    looks_like_pdf,
    pdf_filter_data,
)
from .isolation import network_prefix, write_profile_settings

log = logging.getLogger(__name__)


def _group(pgid: int) -> list[tuple[int, int, str]]:
    """(pid, ppid, state) of the processes in a process group, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    state, ppid, pgrp = f.read().rsplit(")", 1)[1].split()[:3]
            except (OSError, ValueError):
                continue
            if int(pgrp) == pgid:
                members.append((int(entry), int(ppid), state))
    return members


def kill_process_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process and its whole group, reap it, and wait until the group is gone.

    Orphaned soffice processes go to init, or to us when we are PID 1 (a container without
    an init) or a subreaper: those we reap too, so no zombie stays behind.
    """
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # while the leader is unreaped, its pgid is ours
    except ProcessLookupError:
        pass
    proc.wait()
    me, deadline = os.getpid(), time.monotonic() + 5
    while time.monotonic() < deadline:  # SIGKILL is asynchronous
        pending = False
        for pid, ppid, state in _group(proc.pid):
            if state != "Z":
                pending = True
            elif ppid == me:
                pending = True
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        if not pending:
            return
        time.sleep(0.02)


def soffice_env(**extra: str) -> dict[str, str]:
    """The environment a LibreOffice we start gets: ours, `extra`, and jemalloc preloaded.

    soffice spends about an eighth of its time in glibc's malloc and free; on jemalloc the
    same letters convert about 15 % quicker and soffice stays smaller (docs/decisions.md,
    "LibreOffice on jemalloc"). PULANG_LIBREOFFICE_MALLOC=system keeps glibc's allocator."""
    env = {**os.environ, **extra}
    preload = _jemalloc()
    if preload:
        env["LD_PRELOAD"] = " ".join(filter(None, (preload, env.get("LD_PRELOAD"))))
    return env


@functools.cache
def _jemalloc() -> str | None:
    if os.environ.get("PULANG_LIBREOFFICE_MALLOC", "jemalloc") == "system":
        return None
    found = ctypes.util.find_library("jemalloc")  # its soname, which the loader finds
    if found is None:
        log.warning("jemalloc is not installed (Debian: libjemalloc2): LibreOffice runs "
                    "on glibc's allocator, about 15 %% slower")
    return found


def soffice_path() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        raise ConverterUnavailable("LibreOffice is not installed: no soffice on PATH")
    return path


def _filter_json(bookmarks: bool) -> str:
    # LibreOffice ≥ 7.4 takes FilterData as JSON after the filter name.
    typed = {
        name: {"type": "boolean", "value": "true" if value else "false"}
        if isinstance(value, bool)
        else {"type": "long", "value": str(value)}
        for name, value in pdf_filter_data(bookmarks).items()
    }
    return json.dumps(typed, separators=(",", ":"))


def convert_cli(docx: Path, pdf: Path, *, timeout: float = 120, bookmarks: bool = False,
                profile_dir: Path | None = None) -> None:
    docx, pdf = Path(docx).resolve(), Path(pdf)
    if not docx.is_file():
        raise ConversionError(f"cannot convert {docx}: no such file")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pulang-soffice-") as scratch, \
            tempfile.TemporaryDirectory(dir=pdf.parent, prefix=f".{pdf.name}.") as outdir:
        profile = Path(profile_dir).resolve() if profile_dir else Path(scratch) / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        # Two soffice processes on one profile would hand the document to each other
        # (LibreOffice is single-instance per profile): take turns, across processes too.
        with open(profile.parent / f".{profile.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # A killed soffice leaves its lock file; we hold the only right to use it now.
            (profile / ".lock").unlink(missing_ok=True)
            write_profile_settings(profile)
            cmd = [*network_prefix(), soffice_path(), "--headless", "--norestore", "--nologo",
                   "--nodefault",
                   f"-env:UserInstallation={profile.as_uri()}",
                   "--convert-to", f"pdf:writer_pdf_Export:{_filter_json(bookmarks)}",
                   "--outdir", outdir, str(docx)]
            # TMPDIR: LibreOffice's own lu*.tmp scratch goes away with ours.
            env = soffice_env(TMPDIR=scratch)
            # Own process group, so a timeout kills oosplash and soffice.bin together.
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env=env, start_new_session=True)
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_process_group(proc)
                proc.communicate()
                if profile_dir:  # a killed soffice may leave the profile half-written
                    shutil.rmtree(profile, ignore_errors=True)
                raise ConversionTimeout(
                    f"converting {docx.name} took longer than {timeout:g} s; soffice was killed")
        result = Path(outdir) / f"{docx.stem}.pdf"
        if proc.returncode != 0 or not looks_like_pdf(result):
            tail = output.decode(errors="replace").strip()[-500:]
            raise ConversionError(
                f"soffice could not convert {docx.name} (exit {proc.returncode}): {tail}")
        os.replace(result, pdf)
