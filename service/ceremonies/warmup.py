"""A few invented letters of every print-job kind, made once at start and thrown away, so
the first print job after a start runs as fast as the next (issue 14, item 2).

What a first job would otherwise pay for once, on the clock: each template made ready
and combined (letters/prepare.py and combine.py, cached on disk by hash), docxtpl's and
Jinja's compiled templates (in memory), each LibreOffice worker's first documents (its
fonts, filters and allocator), and the stamping processes' first cut and stamp. Measured
through `pulang serve`, the first job took 1.24–1.28× the steady one without this
(docs/performance.md).

The letters are the invented women of letters/sample.py, built with the office's own
settings by the same functions as real letters, so they have the real letters' context
keys and layout and the real job finds every cached file made. They go through
bulk.make, which touches no database, archive or index; nothing is stored, numbered or
logged but the counts. `pulang serve` starts this in a background thread at the
background priority (letters/priority.py) as it starts listening, which it does not
delay; a print job that comes sooner simply shares the converters with it. A print
worker on another machine does the same at its start with letters the server invents
for it (`GET /api/v1/worker/warm-up`, ceremonies/remote_worker.py): invented women, so
nothing of a real one travels.
"""

import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..letters import bulk, sample
from ..letters.chunk import ChunkInput, LetterInput
from ..letters.priority import lower_this_thread
from ..records import office, templates
from ..records.storage import sha256_file
from ..records.kinds import CEREMONY_KINDS, DOCUMENT_KINDS

log = logging.getLogger(__name__)
LETTERS = 2  # of each case kind: a combined document of more than one letter, cut


def warm_up(runtime) -> None:
    """Make and drop the invented letters here (`pulang serve`)."""
    make_and_drop(runtime.workshop(),
                  lambda: (invented(runtime), runtime.logo(), runtime.unit_logo()))


def make_and_drop(workshop: bulk.Workshop, gather: Callable[[], tuple]) -> None:
    """Make the invented letters `gather()` gives ((template file, ChunkInput) per kind,
    the logo, the unit logo) and drop them; failures are logged, never raised (a
    template that cannot make them will say so again, to its user, in a real job)."""
    lower_this_thread()
    started = time.perf_counter()
    try:
        work, logo, unit_logo = gather()

        def make(item) -> int:
            template, chunk = item
            lower_this_thread()
            return len(bulk.make(workshop, template, chunk, logo=logo, unit_logo=unit_logo))

        with ThreadPoolExecutor(max(1, workshop.converters)) as pool:
            made = sum(pool.map(make, work))
    except Exception as exc:  # noqa: BLE001 - a warm-up never stops the service or a worker
        log.warning("warm-up stopped: %s", type(exc).__name__)
        return
    log.info("warmed up: %d invented letters of %d kinds in %.1f s", made, len(work),
             time.perf_counter() - started)


def invented(runtime) -> list[tuple[Path, ChunkInput]]:
    """(template file, ChunkInput) per kind, from the office's active templates: what
    warm_up makes here, and what a print worker on another machine is handed to make
    (api/workers.py)."""
    db = runtime.db()
    try:
        settings = office.get_all(db)
        active = {kind: templates.active(db, kind) for kind in DOCUMENT_KINDS}
        files = {kind: templates.resolve(runtime.settings, t) for kind, t in active.items()}
    finally:
        db.close()
    base_url = runtime.settings.base_url
    logo, unit_logo = runtime.logo(), runtime.unit_logo()
    logo_sha256 = sha256_file(logo) if logo else None
    unit_logo_sha256 = sha256_file(unit_logo) if unit_logo else None
    people = sample.people()
    work = []
    for kind in DOCUMENT_KINDS:
        # Contexts as real letters have them (not the previews', which carry logo keys of
        # their own): the same keys, so the same combined file.
        if kind in CEREMONY_KINDS:
            contexts = [sample.ceremony_letter(people, number="1/CONTOH", office_settings=settings)]
        else:
            contexts = [sample.case_letter(person, kind, number=f"{i + 1}/CONTOH",
                                           office_settings=settings)
                        for i, person in enumerate(people[:LETTERS])]
        letters = [LetterInput(-(i + 1), context["number"], secrets.token_urlsafe(32), context)
                   for i, context in enumerate(contexts)]
        work.append((files[kind], ChunkInput(
            job_id=0, chunk=f"warm-up-{kind}", kind=kind, template_sha256=active[kind]["sha256"],
            base_url=base_url, letters=letters, template_version=active[kind]["version"],
            logo_sha256=logo_sha256, unit_logo_sha256=unit_logo_sha256)))
    return work
