"""Making many letters of one template at once: the bulk version of service/letters/pipeline.py.

    (numbers already reserved: pending rows) → render ONE combined .docx (one docxtpl pass)
    → convert it ONCE (warm pool, bookmarks → named destinations) → split and verify
    → stamp each letter (processes.py: split and stamps run in two processes)
    → store each file → mark all valid in ONE transaction → index all in ONE commit

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
from ..records.documents import get_document
from ..records.storage import relative_path, sha256_bytes
from . import pipeline, processes
from .combine import NotCombinable, combined_template
from .convert import ConversionError, QueueFull
from .pdftext import extract_text
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
    case: dict | None    # for its index entry; None for a ceremony document
    text: str | None = None  # its text once made, for the index


def make(runtime, db, template: dict, letters: list[Letter], *, base_url: str,
         index_now: bool = True, timings: dict | None = None) -> list[dict]:
    """Make every letter (all of one template) and return their valid rows. With
    `index_now` false the caller indexes them later (a print job does, once, for all)."""
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
        for (pdf, pages, _), letter, path in zip(made, letters, paths):
            pipeline.mark_valid(db, letter.doc, sha256=sha256_bytes(pdf), pages=pages, path=path)
    faults.point("batch_after_commit")
    timings["store_s"] = time.perf_counter() - started

    docs = [get_document(db, letter.doc["id"]) for letter in letters]
    for letter, (_, _, text) in zip(letters, made):
        letter.text = text
    if index_now:
        started = time.perf_counter()
        index(runtime, db, [(letter.case, doc, letter.text) for letter, doc in zip(letters, docs)])
        timings["index_s"] = time.perf_counter() - started
    return docs


def index(runtime, db, made: list[tuple]) -> None:
    """(case, valid doc, text or None) for each letter → one commit. Direct, not through
    the service's batching thread: a print job is done only when its letters can be found."""
    runtime.index.add(index_entries(runtime, db, made))


def index_entries(runtime, db, made: list[tuple]) -> list:
    """The entries of the letters and of what they superseded; a missing text is read
    from the stored file."""
    archive = runtime.settings.archive
    entries = []
    for case, doc, text in made:
        if text is None:
            text = extract_text((archive / doc["path"]).read_bytes())
        entries += pipeline.index_entries(db, archive, case, doc, text)
    return entries


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
