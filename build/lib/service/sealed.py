"""The archive on disk is the service's alone: whatever the service, its converters and
its commands write is readable by its own user only (umask 077: folders 0700, files
0600), and an archive made before this rule is brought to it once.

Who else may sit at the server: other accounts of the office's machine, a backup agent,
an IT contractor with a login. The database, the index, the PDFs and the logs hold the
women's names and NIKs; 0644 in a 0755 folder (what a default umask gives) let any of
them read the lot.
"""

import os
import stat
from pathlib import Path

UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def set_umask() -> None:
    """For this process and everything it starts (LibreOffice, the stamping processes,
    SQLite's -wal and -shm files, Whoosh's segments)."""
    os.umask(UMASK)


def make_dir(path: Path) -> None:
    """A folder that exists afterwards with mode 0700 (however it was made before)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    if stat.S_IMODE(path.stat().st_mode) != DIR_MODE:
        path.chmod(DIR_MODE)


def seal(root: Path) -> int:
    """Bring every folder under `root` to 0700 and every file to 0600 (symlinks are left
    alone, and never followed). Returns how many modes changed. Cheap once done: an
    archive whose root is already 0700 was sealed before and is not walked again."""
    root = Path(root)
    if not root.is_dir():
        return 0
    changed = 0
    if stat.S_IMODE(root.lstat().st_mode) == DIR_MODE:
        return 0
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                continue
            want = DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE
            if stat.S_IMODE(st.st_mode) != want:
                os.chmod(path, want)
                changed += 1
    # The root last: its mode is what says the walk was done.
    os.chmod(root, DIR_MODE)
    return changed + 1
