"""The archive index on Whoosh: writing with lock retry, searching grouped by case, and a
background writer thread that batches commits off the request path.

Privacy: nothing here logs a name, a NIK or a query; log lines carry counts and error
types only.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date
from itertools import chain, islice
from pathlib import Path

from whoosh import index as windex
from whoosh import query as wq
from whoosh.index import LockError
from whoosh.writing import CLEAR

from . import _highlight as hl
from ._engine import Evaluator, Group, Snapshot, _TableCache
from ._model import CaseHit, IndexEntry, SearchResults
from ._query import filters, parse
from ._schema import (
    SCHEMA_VERSION,
    VERSION_FILE,
    blind_nik,
    build_schema,
    case_entry_of,
    to_document,
)

log = logging.getLogger("service.search")

LOCK_WAIT = 30.0          # seconds a writer waits for another writer before giving up
MAX_PAGELEN = 500
BULK_THRESHOLD = 2000     # rebuilds at least this large index with two processes
BULK_PROCS = 2


class IndexBusyError(LockError):
    """Another writer held the index for longer than LOCK_WAIT seconds."""


@contextmanager
def _file_lock(path: Path):
    with open(path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _with_case_entries(entries: Iterable[IndexEntry]):
    """The entries, plus a case entry (from its case fields) for each document whose case
    has none among them: a case is then findable by name as soon as one letter is in."""
    pending: dict[int, IndexEntry] = {}
    seen: set[int] = set()
    for entry in entries:
        if entry.doc_id is None:
            seen.add(entry.case_id)
            pending.pop(entry.case_id, None)
        elif isinstance(entry.case_id, int) and entry.case_id > 0 and entry.case_id not in seen:
            pending[entry.case_id] = entry
        yield entry
    for entry in pending.values():
        yield case_entry_of(entry)


def _dedupe(entries: Iterable[IndexEntry], nik_key: bytes | None) -> list[dict]:
    """Whoosh documents for the entries, the last one winning for a repeated key (a
    writer does not see its own buffered documents when it updates)."""
    docs: dict[str, dict] = {}
    for entry in _with_case_entries(entries):
        doc = to_document(entry, nik_key)
        docs.pop(doc["key"], None)
        docs[doc["key"]] = doc
    return list(docs.values())


class SearchIndex:
    """The archive index in one folder. Safe to share between threads; several processes
    may open the same folder and write to it (writes wait for each other)."""

    def __init__(self, index_dir: Path, *, nik_key: bytes | None = None):
        """`nik_key`: the blind-index key (service/keys.py); without one, NIKs are not
        indexed at all and a NIK finds nothing."""
        self._nik_key = nik_key
        self._dir = Path(index_dir)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._write_lock = threading.RLock()
        self._local = threading.local()
        self._searchers: set = set()
        self._searchers_lock = threading.Lock()
        self._tables = _TableCache()
        self._epoch = 0
        self._closed = False
        self._ix = self._open_or_create()

    # --- opening ---------------------------------------------------------------------

    def _version_ok(self) -> bool:
        try:
            return (self._dir / VERSION_FILE).read_text().strip() == str(SCHEMA_VERSION)
        except FileNotFoundError:
            return False

    def _create(self):
        ix = windex.create_in(str(self._dir), build_schema())
        tmp = self._dir / f".{VERSION_FILE}.{os.getpid()}"
        tmp.write_text(f"{SCHEMA_VERSION}\n")
        os.replace(tmp, self._dir / VERSION_FILE)
        return ix

    def _stored_version(self) -> str:
        try:
            return (self._dir / VERSION_FILE).read_text().strip()
        except FileNotFoundError:
            return ""

    def _upgrade_4_to_5(self):
        """Schema 5 (issue 13) only adds the documents' `signed` field: an index of
        version 4 gains it in place (none of its letters was signed then) instead of
        being recreated empty until someone rebuilds it."""
        ix = windex.open_dir(str(self._dir))
        writer = ix.writer()
        try:
            writer.add_field("signed", build_schema()["signed"])
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        tmp = self._dir / f".{VERSION_FILE}.{os.getpid()}"
        tmp.write_text(f"{SCHEMA_VERSION}\n")
        os.replace(tmp, self._dir / VERSION_FILE)
        return windex.open_dir(str(self._dir))

    def _open_or_create(self):
        with _file_lock(self._dir / ".pulang-open.lock"):
            if windex.exists_in(str(self._dir)):
                if self._version_ok():
                    return windex.open_dir(str(self._dir))
                if self._stored_version() == "4" and SCHEMA_VERSION == 5:
                    return self._upgrade_4_to_5()
                log.warning("search index was written by another schema version; "
                            "recreating it empty (rebuild it from the database)")
            return self._create()

    # --- writing ---------------------------------------------------------------------

    def _writer(self, **kwargs):
        """A Whoosh writer, waiting with exponential backoff while another holds the lock."""
        deadline = time.monotonic() + LOCK_WAIT
        delay = 0.02
        waited = False
        while True:
            try:
                writer = self._ix.writer(**kwargs)
                if waited:
                    log.debug("index lock acquired after waiting")
                return writer
            except LockError as exc:
                now = time.monotonic()
                if now >= deadline:
                    raise IndexBusyError(
                        f"the search index stayed locked for {LOCK_WAIT:.0f} s") from exc
                waited = True
                time.sleep(min(delay * (0.5 + random.random()), max(0.0, deadline - now)))
                delay = min(delay * 2, 2.0)

    @contextmanager
    def _writing(self, **kwargs):
        self._check_open()
        with self._write_lock:
            writer = self._writer(**kwargs)
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise

    def add(self, entries: Iterable[IndexEntry]) -> None:
        """Add or replace (by key) the entries, in one commit."""
        entries = list(entries)
        if entries:
            self.update(lambda: (entries, (), ()))

    def update(self, changes: Callable[[], tuple]) -> None:
        """Hold the write lock, ask `changes()` for (entries to add or replace, document
        ids to delete, case ids to delete) and write them in one commit. What `changes`
        reads (the database) while the lock is held cannot be overtaken by another
        writer's older view of it. Case ids delete the case's documents too."""
        with self._writing() as writer:
            entries, doc_ids, case_ids = changes()
            if not (entries or doc_ids or case_ids):
                writer.cancel()
                return
            for case_id in case_ids:
                writer.delete_by_query(wq.NumericRange("case_id", int(case_id), int(case_id)))
            for doc_id in doc_ids:
                writer.delete_by_term("key", f"d:{int(doc_id)}")
            for doc in _dedupe(self._with_kept_text(entries), self._nik_key):
                writer.update_document(**doc)
            # A case deleted (anonymised): rewrite the segments, so her stored name and
            # letter text leave the files on disk, not only the index's view of them.
            writer.commit(optimize=bool(case_ids))

    def _with_kept_text(self, entries: list[IndexEntry]) -> list[IndexEntry]:
        """Document entries without text take the text the index holds ("" if none)."""
        keep = {e.key for e in entries if e.doc_id is not None and e.text is None}
        if not keep:
            return entries
        with self._ix.searcher() as s:
            held = {key: (s.document(key=key) or {}).get("text", "") for key in keep}
        return [dataclasses.replace(e, text=held[e.key]) if e.key in keep and e.text is None else e
                for e in entries]

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        keys = [f"d:{int(d)}" for d in doc_ids]
        if not keys:
            return
        with self._writing() as writer:
            for key in keys:
                writer.delete_by_term("key", key)
            writer.commit()

    def delete_case(self, case_id: int) -> None:
        """The case entry and every document entry of the case."""
        with self._writing() as writer:
            writer.delete_by_query(wq.NumericRange("case_id", int(case_id), int(case_id)))
            writer.commit(optimize=True)  # as in update(): gone from the files too

    def rebuild(self, entries: Iterable[IndexEntry]) -> int:
        """Replace the whole index with these entries; returns how many entries were
        indexed (with the case entries made for documents whose case had none). Large
        rebuilds index in two processes into several segments."""
        self._check_open()
        it = iter(entries)
        head = list(islice(it, BULK_THRESHOLD))
        bulk = len(head) >= BULK_THRESHOLD
        with self._write_lock:
            if not self._version_ok():
                with _file_lock(self._dir / ".pulang-open.lock"):
                    self._ix = self._create()
                self._drop_searchers()
            kwargs = {"procs": BULK_PROCS, "multisegment": True, "limitmb": 128} if bulk else {}
            seen: set[str] = set()
            with self._writing(**kwargs) as writer:
                for entry in _with_case_entries(chain(head, it)):
                    doc = to_document(entry, self._nik_key)
                    if doc["key"] in seen:
                        raise ValueError("rebuild got the same entry key twice")
                    seen.add(doc["key"])
                    writer.add_document(**doc)
                writer.commit(mergetype=CLEAR)
        count = len(seen)
        # Whoosh's multi-process writer can drop a failed sub-writer's segment without an
        # error; check that every entry landed (another process may have added more since).
        with self._ix.searcher() as s:
            landed = s.doc_count()
        if landed < count:
            raise RuntimeError(f"rebuild indexed {landed} of {count} entries")
        log.info("search index rebuilt: %d entries", count)
        return count

    # --- reading ---------------------------------------------------------------------

    def _snapshot(self) -> Snapshot:
        """This thread's view of the index, brought up to date with the last commit."""
        self._check_open()
        local = self._local
        snap = getattr(local, "snapshot", None)
        if snap is not None and (getattr(local, "epoch", None) != self._epoch
                                 or not snap.searcher.up_to_date()):
            # Not Searcher.refresh(): whoosh-reloaded 2.7.5 reuses the old segment
            # readers there, so deletions committed since stay invisible.
            self._forget(snap.searcher)
            snap = None
        if snap is None:
            s = self._ix.searcher()
            with self._searchers_lock:
                self._searchers.add(s)
            snap = Snapshot(s, self._tables)
            self._tables.keep_only({seg.reader.segment().segment_id() for seg in snap.segs}
                                   | self._segments_in_use())
            local.snapshot, local.epoch = snap, self._epoch
        return snap

    def _segments_in_use(self) -> set[str]:
        ids: set[str] = set()
        with self._searchers_lock:
            searchers = list(self._searchers)
        for s in searchers:
            try:
                for reader, _ in s.reader().leaf_readers():
                    if reader.segment() is not None:
                        ids.add(reader.segment().segment_id())
            except Exception:       # a searcher closed meanwhile holds nothing
                continue
        return ids

    def _forget(self, s) -> None:
        with self._searchers_lock:
            self._searchers.discard(s)
        s.close()

    def _drop_searchers(self) -> None:
        self._epoch += 1
        with self._searchers_lock:
            old, self._searchers = self._searchers, set()
        for s in old:
            s.close()

    def keys(self) -> set[str]:
        """Every key in the index ("d:<doc_id>", "c:<case_id>")."""
        reader = self._snapshot().searcher.reader()
        if reader.doc_count() == 0:
            return set()        # an index with no segments has no columns
        col = reader.column_reader("key")
        return {col[d] for d in reader.all_doc_ids()}

    def search(self, q: str | None = None, *, facility: str | None = None, kind: str | None = None,
               date_from: date | None = None, date_to: date | None = None, page: int = 1,
               pagelen: int = 20, unsigned: bool = False) -> SearchResults:
        if not isinstance(page, int) or page < 1:
            raise ValueError("page must be a whole number from 1")
        if not isinstance(pagelen, int) or not 1 <= pagelen <= MAX_PAGELEN:
            raise ValueError(f"pagelen must be from 1 to {MAX_PAGELEN}")
        plan = parse(q, nik_term=lambda digits: blind_nik(self._nik_key, digits)) \
            if q and q.strip() else None
        flt = filters(facility=facility, kind=kind, date_from=date_from, date_to=date_to,
                      unsigned=unsigned)
        snap = self._snapshot()
        ev = Evaluator(snap, plan, flt)
        start = (page - 1) * pagelen
        total, groups = ev.page(start, start + pagelen)
        parsed = plan.parsed if plan is not None else None
        results = [self._hit(snap, ev, g, parsed) for g in groups]
        return SearchResults(total_cases=total, page=page, pagelen=pagelen, results=results,
                             total_papers=ev.papers)

    @staticmethod
    def _hit(snap: Snapshot, ev: Evaluator, group: Group, parsed) -> CaseHit:
        s = snap.searcher
        docs = [(d, s.stored_fields(d)) for d in ev.documents(group)]
        case = s.stored_fields(group.entry) if group.entry is not None else {}
        documents = [
            {"id": f["doc_id"], "kind": f.get("kind", ""), "number": f.get("number", ""),
             "created_at": f.get("created_at"), "status": f.get("status", "valid"),
             "signed": f.get("signed") == "yes"}
            for _, f in docs
        ]
        highlights: dict[str, str] = {}
        if parsed is not None:
            found = {
                "full_name": hl.name(case.get("full_name", ""), parsed),
                "case_number": hl.exact(case.get("case_number", ""), parsed),
                "facility": hl.words(case.get("facility", ""), parsed.places),
                "origin_region": hl.words(case.get("origin", ""), parsed.places),
                "nik": hl.nik(parsed, group.entry is not None and any(
                    group.entry in snap.term_docs("nik", t) for t in parsed.nik_terms.values())),
            }
            for _, f in docs:
                found["number"] = hl.exact(f.get("number", ""), parsed)
                if found["number"]:
                    break
            for _, f in docs[:5]:
                found["text"] = hl.text(f.get("text", ""), parsed)
                if found["text"]:
                    break
            highlights = {k: v for k, v in found.items() if v}
        return CaseHit(
            case_id=group.case_id,
            case_number=case.get("case_number", ""),
            full_name=case.get("full_name", ""),
            facility=case.get("facility", ""),
            score=round(float(group.score), 4),
            documents=documents,
            highlights=highlights,
        )

    # --- lifetime --------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the search index is closed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._drop_searchers()
        self._ix.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class IndexWriterThread:
    """Takes entries from request handlers and commits them in batches, one commit per
    `interval` at most. A failed commit keeps its entries and is retried; `flush` raises
    the failure to whoever waits for those entries.

    With `drain`, the thread also writes what waits elsewhere (the service's outbox in
    the database): it calls drain() after each poke(), and every `poll` seconds for what
    other processes left. drain must be safe to repeat; a failed one is retried."""

    RETRY_MAX = 30.0

    def __init__(self, index: SearchIndex, *, interval: float = 0.5,
                 drain: Callable[[], object] | None = None, poll: float = 5.0):
        self._index = index
        self._interval = interval
        self._drain = drain
        self._poll = poll
        self._cond = threading.Condition()
        self._pending: list[IndexEntry] = []
        self._poked = False       # a drain is wanted
        self._submitted = 0       # submit() and poke() calls so far
        self._committed = 0       # of those, the ones whose entries are committed
        self._flush_wanted = 0
        self._error: BaseException | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="pulang-index-writer", daemon=True)
        self._thread.start()

    def submit(self, entries: list[IndexEntry]) -> None:
        entries = list(entries)
        for entry in entries:
            to_document(entry)        # a malformed entry fails here, in the caller
        with self._cond:
            if self._closing:
                raise RuntimeError("the index writer is closed")
            self._pending.extend(entries)
            self._submitted += 1
            self._cond.notify_all()

    def poke(self) -> None:
        """Something waits to be drained; flush() waits for that drain like for a submit."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the index writer is closed")
            self._poked = True
            self._submitted += 1
            self._cond.notify_all()

    def flush(self, timeout: float = 10) -> None:
        """Block until everything submitted so far is committed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            self._flush_wanted += 1
            self._cond.notify_all()
            try:
                while self._committed < target:
                    if self._error is not None:
                        raise self._error
                    if not self._thread.is_alive():
                        raise RuntimeError("the index writer thread has stopped")
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError("the search index did not commit in time")
                    self._cond.wait(left)
            finally:
                self._flush_wanted -= 1

    def _idle(self) -> None:
        """Wait for work; with a drain, look for rows left by others every `poll` s."""
        while not self._pending and not self._poked and not self._closing:
            if self._drain is None:
                self._cond.wait()
            elif not self._cond.wait(self._poll):
                self._poked = True

    def _run(self) -> None:
        retry_delay = self._interval
        while True:
            with self._cond:
                self._idle()
                if not self._pending and not self._poked:
                    return                                      # closing, nothing left
                # Let more entries gather, unless someone is waiting for them.
                self._cond.wait_for(lambda: self._flush_wanted or self._closing,
                                    timeout=self._interval)
                batch, self._pending = self._pending, []
                poked, self._poked = self._poked, False
                upto = self._submitted
            try:
                if batch:
                    self._index.add(batch)
                if poked and self._drain is not None:
                    self._drain()
            except BaseException as exc:              # kept, retried and raised by flush()
                log.error("search index write of %d entries failed (%s); will retry",
                          len(batch), type(exc).__name__)
                with self._cond:
                    self._pending = batch + self._pending
                    self._poked = self._poked or poked
                    self._error = exc
                    self._cond.notify_all()
                    if self._closing and not self._flush_wanted:
                        return
                    self._cond.wait(retry_delay)
                retry_delay = min(retry_delay * 2, self.RETRY_MAX)
                continue
            retry_delay = self._interval
            with self._cond:
                self._committed = upto
                self._error = None
                self._cond.notify_all()

    def close(self, timeout: float = 30) -> None:
        """Commit what is pending, then stop the thread. Raises if that fails."""
        with self._cond:
            if self._closing and not self._thread.is_alive():
                return
        try:
            self.flush(timeout)
        finally:
            with self._cond:
                self._closing = True
                self._cond.notify_all()
            self._thread.join(timeout=5)
