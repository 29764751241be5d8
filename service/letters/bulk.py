"""Making many letters of one template at once: the bulk version of service/letters/pipeline.py.

    a ChunkInput (numbers already reserved; each letter's context) + the template file
    → render ONE combined .docx (one docxtpl pass) → convert it ONCE (warm pool,
    bookmarks → named destinations) → split and verify → stamp each letter
    (processes.py: split and stamps run in two processes) → MadeLetter per letter

Nothing here touches the database, the archive or the index: the same code runs in
`pulang serve` and in a print worker on another machine (ceremonies/remote_worker.py),
and the server stores and records what comes back (ceremonies/accept.py). A Workshop is
what making needs on this machine: a converter, scratch and cache folders.

LibreOffice's cost is per document, not per page, so one conversion of 100 letters
costs little more than a few single letters. If the template can't be combined, or the
combined PDF fails the check, the group falls back to one conversion per letter (both
pool workers at once) and is stamped the same way.

Nothing here knows about ceremonies; logs carry counts and kinds, never names.
"""

import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from .. import faults
from . import layout, processes
from .chunk import ChunkInput, MadeLetter
from .combine import NotCombinable, combined_template
from .convert import ConversionError, QueueFull
from .prepare import prepared
from .render import About, render_docx
from .sandbox import Limits
from .split import SplitError

log = logging.getLogger(__name__)
# False makes every group take the one-by-one path: bench/ceremony_bench.py measures it.
COMBINE = True
# Combined renders take turns: each holds the GIL anyway, and three at once would hand
# LibreOffice its first document after all three instead of after one.
_RENDER = threading.Lock()


@dataclass
class Workshop:
    """What making letters needs on this machine."""
    convert: Callable[..., None]   # convert(docx, pdf, *, bookmarks=False); may raise QueueFull
    scratch: Path                  # renders and conversions, removed as soon as read
    template_cache: Path           # templates made ready (prepare.py) and combined, by hash
    converters: int = 1            # how many conversions may run at once
    render_seconds: float = 10.0   # a template's time limit per letter (letters/sandbox.py)


def make(workshop: Workshop, template: Path, chunk: ChunkInput, *, logo: Path | None = None,
         unit_logo: Path | None = None, timings: dict | None = None) -> list[MadeLetter]:
    """Make every letter of the chunk (all of one template), stamped, in order. `logo`:
    the lambang daerah, `unit_logo` the office's own logo (letterhead images)."""
    if not chunk.letters:
        return []
    timings = {} if timings is None else timings
    # The office's page layout and page-number rule travel in the letters' contexts.
    page_layout = chunk.letters[0].context.get("layout") or {}
    options = {"first_page_number": layout.first_page_number(chunk.letters[0].context)}
    stamps = [(number, url, options) for number, url in chunk.stamps()]
    images = {"logo": logo, "unit_logo": unit_logo}
    started = time.perf_counter()
    about = About(chunk.kind, chunk.template_version or None,
                  tuple(letter.doc_id for letter in chunk.letters), _office(chunk))
    try:
        made = _combined(workshop, template, chunk, stamps, images, page_layout, timings, about)
        timings["path"] = "combined"
    except (NotCombinable, ConversionError, SplitError) as exc:
        log.warning("%d %s letters: combined conversion not usable (%s: %s); converting "
                    "one by one", len(chunk.letters), chunk.kind, type(exc).__name__, exc)
        made = _one_by_one(workshop, template, chunk, stamps, images, page_layout, about)
        timings["path"] = "one_by_one"
    timings["made_s"] = time.perf_counter() - started
    faults.point("batch_after_stamp")
    return [MadeLetter(letter.doc_id, pdf, pages, text)
            for letter, (pdf, pages, text) in zip(chunk.letters, made)]


def _combined(workshop: Workshop, template: Path, chunk: ChunkInput, stamps, images: dict,
              page_layout: dict, timings: dict, about: About) -> list[tuple]:
    if not COMBINE:
        raise NotCombinable("combining is switched off")
    contexts = [letter.context for letter in chunk.letters]
    keys = sorted(contexts[0])
    if any(sorted(context) != keys for context in contexts):
        raise NotCombinable("the letters' contexts differ in shape")
    started = time.perf_counter()
    ready = prepared(template, page_layout, workshop.template_cache)
    combined = combined_template(ready, keys, workshop.template_cache)
    scratch = workshop.scratch / uuid.uuid4().hex
    docx, pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
    try:
        with _RENDER:
            render_docx(combined, {"records": contexts}, docx, **images, about=about,
                        limits=Limits(seconds=workshop.render_seconds))
        timings["render_s"] = time.perf_counter() - started
        started = time.perf_counter()
        _convert(workshop, docx, pdf, bookmarks=True)
        timings["lo_s"] = time.perf_counter() - started
        started = time.perf_counter()
        pieces = processes.run(processes.cut, pdf.read_bytes(), [number for number, *_ in stamps])
        timings["cut_s"] = time.perf_counter() - started
        started = time.perf_counter()
        made = processes.stamp_all([(piece, number, url, text, options)
                                    for (piece, _, text), (number, url, options) in zip(pieces, stamps)])
        timings["stamp_s"] = time.perf_counter() - started
        return made
    finally:
        docx.unlink(missing_ok=True)
        pdf.unlink(missing_ok=True)


def _one_by_one(workshop: Workshop, template: Path, chunk: ChunkInput, stamps, images: dict,
                page_layout: dict, about: About) -> list[tuple]:
    ready = prepared(template, page_layout, workshop.template_cache)

    def one(letter) -> bytes:
        scratch = workshop.scratch / uuid.uuid4().hex
        docx, pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
        try:
            render_docx(ready, letter.context, docx, **images,
                        about=replace(about, documents=(letter.doc_id,)),
                        limits=Limits(seconds=workshop.render_seconds))
            _convert(workshop, docx, pdf)
            return pdf.read_bytes()
        finally:
            docx.unlink(missing_ok=True)
            pdf.unlink(missing_ok=True)

    with ThreadPoolExecutor(max(1, workshop.converters)) as ex:
        pdfs = list(ex.map(one, chunk.letters))
    return processes.stamp_all([(pdf, number, url, None, options)
                                for pdf, (number, url, options) in zip(pdfs, stamps)])


def _office(chunk: ChunkInput) -> str:
    """The office's name (the documents' author), from the first letter's context."""
    office = chunk.letters[0].context.get("office")
    return office.get("name", "") if isinstance(office, dict) else ""


def _convert(workshop: Workshop, docx, pdf, *, bookmarks: bool = False) -> None:
    """Through the pool; a full queue (429 to a clerk's request) makes a job wait its turn
    instead of failing."""
    for _ in range(120):
        try:
            return workshop.convert(docx, pdf, bookmarks=bookmarks)
        except QueueFull as full:
            time.sleep(min(full.retry_after, 5))
    return workshop.convert(docx, pdf, bookmarks=bookmarks)
