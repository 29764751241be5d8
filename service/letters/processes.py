"""The CPU-heavy steps after conversion (cut, check, stamp, read text) and the print
job's index commit, run in a small pool of processes.

In one process they would hold the GIL for about 10 ms a letter while the other threads
wait to render or to hand LibreOffice its next document; in two processes they use the
second core whenever LibreOffice leaves it free. The pool starts on first use (its
processes come from a forkserver, not forked from a process full of threads) and lives
as long as the process. If it breaks (a child killed), the work is done here instead.
Its processes watch the service's pid and end with it, however it ends: multiprocessing
alone would leave them (and the forkserver) behind after a SIGKILL. As with
any multiprocessing start method but fork, a script that prints ceremonies must keep its
top level under `if __name__ == "__main__":` (the children import the main module).
"""

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from .. import db as database
from ..records import indexing
from ..search import SearchIndex
from .pdftext import extract_text, page_texts
from .priority import lower_this_thread
from .split import split
from .stamp import stamp_many


def start_time(pid: int) -> str | None:
    """When the process started (clock ticks since boot), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


log = logging.getLogger(__name__)
PROCESSES = 2
_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def cut(pdf: bytes, numbers: list[str]) -> list[tuple[bytes, int, str]]:
    """Split a combined PDF into letters (split.py checks each piece): (PDF, pages, text)."""
    return [(piece.pdf, piece.pages, piece.text) for piece in split(pdf, numbers)]


def stamp_each(letters: list[tuple]) -> list[tuple[bytes, int, str]]:
    """(PDF, number, verify URL, text or None[, stamp_pdf options]) per letter →
    (stamped, pages, text)."""
    stamped = stamp_many([(pdf, {"number": number, "verify_url": url, **(options[0] if options else {})})
                          for pdf, number, url, _, *options in letters])
    return [(pdf, pages, text if text is not None else extract_text(original))
            for (pdf, pages), (original, _, _, text, *_) in zip(stamped, letters)]


def read_each(pdfs: list[bytes]) -> list[tuple[int, str]]:
    """(pages, text) of each PDF, as pdfium reads it: what the server checks and indexes
    in letters a print worker returns."""
    out = []
    for pdf in pdfs:
        texts = page_texts(pdf)
        out.append((len(texts), "\n".join(texts)))
    return out


def stamp_all(letters: list[tuple]) -> list[tuple[bytes, int, str]]:
    """stamp_each over both processes, half each: the last chunk of a job is stamped
    while LibreOffice has nothing left to do."""
    half = (len(letters) + 1) // 2
    parts = [part for part in (letters[:half], letters[half:]) if part]
    return [m for done in run_many([(stamp_each, (part,)) for part in parts]) for m in done]


def index(db_path, index_dir, held: str, key_dir=None) -> int:
    """Drain what the index outbox holds for `held` (a print job's letters, with their
    texts) into the archive's index in one commit: the name analysis is the cost.
    `key_dir`: the archive's key folder (the blind NIK index's key)."""
    from .. import keys
    db = database.connect(db_path)
    try:
        nik_key = keys.secret(key_dir or keys.folder_of(db), keys.NIK)
        with SearchIndex(index_dir, nik_key=nik_key) as search_index:
            return indexing.drain(db, search_index, held=held)
    finally:
        db.close()


def run(fn, *args):
    """fn(*args) in the pool (fn must be a module-level function, so it can be pickled)."""
    return run_many([(fn, args)])[0]


def run_many(calls: list[tuple]) -> list:
    """[(fn, args), …] all at once in the pool; their results in order."""
    pool = _executor()
    try:
        futures = [pool.submit(fn, *args) for fn, args in calls]
        return [f.result() for f in futures]
    except BrokenProcessPool:
        log.warning("the stamping processes died; doing their work in this process")
        _forget(pool)
        return [fn(*args) for fn, args in calls]


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["service.letters.processes"])
            me = os.getpid()
            _pool = ProcessPoolExecutor(PROCESSES, mp_context=context, initializer=_watch,
                                        initargs=(me, start_time(me)))
        return _pool


def _watch(parent: int, started: str | None) -> None:
    """In each child: a lower CPU priority than the web's (priority.py), and exit when the
    process that made the pool is gone."""
    lower_this_thread()  # the child's main thread, where its work runs

    def watch():
        while start_time(parent) == started:
            time.sleep(1)
        os._exit(0)
    threading.Thread(target=watch, daemon=True, name="pulang-parent-watch").start()


def _forget(pool) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def warm() -> None:
    """Nothing: run(warm) starts the pool ahead of the first job."""
