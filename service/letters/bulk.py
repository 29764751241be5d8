"""Making many letters of one template at once: the bulk version of service/letters/pipeline.py.

    (numbers already reserved: pending rows) → render ONE combined .docx (one docxtpl pass)
    → convert it ONCE (warm pool, bookmarks → named destinations) → split and verify
    → stamp each letter (processes.py: split and stamps run in two processes)
    → store each file → mark all valid in ONE transaction (which queues them, with their
    texts, for the index: ONE commit, or held for the print job's one commit at its end)

LibreOffice's cost is per document, not per page, so one conversion of 100 letters
costs little more than a few single letters. If the template can't be combined, or the
combined PDF fails the check, the group falls back to one conversion per letter (both
pool workers at once) and is stamped, stored and recorded the same way.

Nothing here knows about ceremonies; logs carry counts and kinds, never names.
"""

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .. import faults
from ..db import write_transaction
from ..records import templates
from ..records.documents import get_document, mark_valid
from ..records.storage import relative_path, sha256_bytes
from . import pipeline, processes
from .combine import NotCombinable, combined_template
from .convert import ConversionError, QueueFull
from .render import render_docx
from .split import SplitError

log = logging.getLogger(__name__)
# False makes every group take the one-by-one path: bench/ceremony_bench.py measures it.
COMBINE = True
# Combined renders take turns: each holds the GIL anyway, and three at once would hand
# LibreOffice its first document after all three instead of after one.
_RENDER = threading.Lock()


@dataclass
class Letter:
    doc: dict            # its pending documents row (number and token reserved)
    context: dict        # what its template sees
    case: dict | None    # its case; None for a ceremony document


def make(runtime, db, template: dict, letters: list[Letter], *, base_url: str,
         held: str | None = None, timings: dict | None = None) -> list[dict]:
    """Make every letter (all of one template) and return their valid rows. `held`: the
    index entries wait for the caller's own index commit (a print job's, once, for all
    its letters; service/records/indexing.py)."""
    if not letters:
        return []
    timings = {} if timings is None else timings
    source = templates.resolve(runtime.settings, template)
    stamps = [(letter.doc["number"], f"{base_url}/v/{letter.doc['token']}") for letter in letters]
    started = time.perf_counter()
    try:
        made = _combined(runtime, source, letters, stamps, timings)
        timings["path"] = "combined"
    except (NotCombinable, ConversionError, SplitError) as exc:
        log.warning("%d %s letters: combined conversion not usable (%s: %s); converting "
                    "one by one", len(letters), template["kind"], type(exc).__name__, exc)
        made = _one_by_one(runtime, source, letters, stamps)
        timings["path"] = "one_by_one"
    timings["made_s"] = time.perf_counter() - started
    faults.point("batch_after_stamp")

    started = time.perf_counter()
    archive = runtime.settings.archive
    paths = []
    for (pdf, _, _), letter in zip(made, letters):
        # A pending row's file can only be left by an attempt killed before it recorded
        # the row valid: nothing refers to it, so it is replaced, not trusted.
        (archive / relative_path(letter.doc["id"])).unlink(missing_ok=True)
        paths.append(pipeline.store(letter.doc, pdf, archive))
    faults.point("batch_after_write")
    with write_transaction(db):
        for (pdf, pages, text), letter, path in zip(made, letters, paths):
            mark_valid(db, letter.doc, sha256=sha256_bytes(pdf), pages=pages, path=path,
                       text=text, held=held)
    faults.point("batch_after_commit")
    timings["store_s"] = time.perf_counter() - started
    return [get_document(db, letter.doc["id"]) for letter in letters]


def _combined(runtime, source, letters: list[Letter], stamps, timings: dict) -> list[tuple]:
    if not COMBINE:
        raise NotCombinable("combining is switched off")
    keys = sorted(letters[0].context)
    if any(sorted(letter.context) != keys for letter in letters):
        raise NotCombinable("the letters' contexts differ in shape")
    started = time.perf_counter()
    combined = combined_template(source, keys, runtime.settings.run_dir / "combined")
    scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
    docx, pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
    try:
        with _RENDER:
            render_docx(combined, {"records": [letter.context for letter in letters]}, docx,
                        logo=_logo(runtime))
        timings["render_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _convert(runtime, docx, pdf, bookmarks=True)
        timings["lo_s"] = time.perf_counter() - started
        started = time.perf_counter()
        pieces = processes.run(processes.cut, pdf.read_bytes(), [number for number, _ in stamps])
        timings["cut_s"] = time.perf_counter() - started
        started = time.perf_counter()
        made = processes.stamp_all([(piece, number, url, text)
                              for (piece, _, text), (number, url) in zip(pieces, stamps)])
        timings["stamp_s"] = time.perf_counter() - started
        return made
    finally:
        docx.unlink(missing_ok=True)
        pdf.unlink(missing_ok=True)


def _one_by_one(runtime, source, letters: list[Letter], stamps) -> list[tuple]:
    def one(letter: Letter) -> bytes:
        scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
        docx, pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
        try:
            render_docx(source, letter.context, docx, logo=_logo(runtime))
            _convert(runtime, docx, pdf)
            return pdf.read_bytes()
        finally:
            docx.unlink(missing_ok=True)
            pdf.unlink(missing_ok=True)

    workers = runtime.pool.size if runtime.pool is not None else 1
    with ThreadPoolExecutor(workers) as ex:
        pdfs = list(ex.map(one, letters))
    return processes.stamp_all([(pdf, number, url, None) for pdf, (number, url) in zip(pdfs, stamps)])


def _convert(runtime, docx, pdf, *, bookmarks: bool = False) -> None:
    """Through the pool; a full queue (429 to a clerk's request) makes a job wait its turn
    instead of failing."""
    for _ in range(120):
        try:
            return runtime.convert(docx, pdf, bookmarks=bookmarks)
        except QueueFull as full:
            time.sleep(min(full.retry_after, 5))
    return runtime.convert(docx, pdf, bookmarks=bookmarks)


def _logo(runtime):
    logo = runtime.settings.logo_path
    return logo if logo.exists() else None
