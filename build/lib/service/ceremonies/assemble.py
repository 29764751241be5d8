"""The print job's result: one PDF to send to the office printer.

    cover sheet (ceremony, date, counts, contents with page numbers)
    then per woman, in the job's order: her letters, each kind as many copies as asked
    then the ceremony's roster and report

Every letter is its archived, stamped file, unchanged. With duplex on, a blank page goes
in wherever a letter would otherwise start on the back of a sheet. Bookmarks: one per
woman (her name) with one per letter beneath, and one per ceremony document. The file is
named by the job's id, under prints/ in the archive.
"""

import hashlib
from pathlib import Path

from ..letters.stamp import page_count
from ..records import audit, office
from ..records.kinds import CASE_KINDS, CEREMONY_KINDS, KIND_LABELS
from ..records.storage import write_atomic
from . import cover, printjobs, records
from .merge import Merger


def result_path(job_id: int) -> str:
    return f"prints/{job_id}.pdf"


def assemble(runtime, db, job: dict) -> tuple[str, int, str]:
    """Write the merged PDF; returns (path in the archive, pages, sha256)."""
    options = job["options"]
    docs = {(i["case_id"], i["kind"]): i["doc"] for i in printjobs.letters(db, job["id"])}
    cases = printjobs.job_cases(db, job)
    people = []
    for no, case_id in enumerate(options["case_ids"], start=1):
        case = cases[case_id]
        letters = [docs[(case_id, k)] for k in CASE_KINDS if (case_id, k) in docs]
        people.append({"no": no, "name": case["full_name"], "letters": letters,
                       "destination": case.get("destination") or case["origin_region"]})
    ceremony_docs = [docs[(0, k)] for k in CEREMONY_KINDS if (0, k) in docs]
    archive = runtime.settings.archive
    files = {d["id"]: (archive / d["path"]).read_bytes() for d in docs.values()}
    ceremony = records.get(db, job["ceremony_id"])
    settings = office.get_all(db)
    anchor = audit.format_anchor(*audit.anchor(db))
    merger = Merger()
    try:
        data, pages = _merge(merger, files, people, ceremony_docs, ceremony, job, settings, anchor)
    finally:
        merger.close()
    path = result_path(job["id"])
    target = archive / path
    target.unlink(missing_ok=True)  # only an attempt that died before recording it left one
    write_atomic(target, data)
    return path, pages, hashlib.sha256(data).hexdigest()


def _merge(merger, files, people, ceremony_docs, ceremony, job, settings,
           anchor: str = "") -> tuple[bytes, int]:
    options = job["options"]
    sources = {doc_id: merger.open(data) for doc_id, data in files.items()}

    plan = _layout(people, ceremony_docs, options, {k: len(v) for k, v in sources.items()})
    # The cover's own length moves every page number after it: lay it out once to count
    # its pages, then draw it with the final numbers.
    draft = cover.draw(ceremony, job, settings, plan, offset=0, audit_anchor=anchor)
    merger.add(cover.draw(ceremony, job, settings, plan, offset=_cover_span(draft, options),
                          audit_anchor=anchor))
    merger.mark("Sampul dan daftar isi", 0)
    parent = None
    for entry in plan:
        if options["duplex"] and merger.pages % 2:
            merger.blank()
        start = merger.add(sources[entry["doc"]["id"]])
        if entry["first_of_person"]:
            parent = merger.mark(entry["person"], start)
        title = f"{KIND_LABELS[entry['doc']['kind']]} {entry['doc']['number']}"
        if entry["copies"] > 1:
            title += f" (salinan {entry['copy']}/{entry['copies']})"
        merger.mark(title, start, parent if entry["person"] else None)
    pages = merger.pages
    return merger.write(), pages


def _layout(people, ceremony_docs, options, lengths: dict[int, int]) -> list[dict]:
    """Every letter copy in print order, with the page it starts on counted from the
    first page after the cover (blank pages for duplex included)."""
    plan, page = [], 0
    entries = [(p["no"], f"{p['no']}. {p['name']}", p["destination"], d)
               for p in people for d in p["letters"]]
    entries += [(None, None, None, d) for d in ceremony_docs]
    seen = set()
    for no, person, destination, doc in entries:
        copies = options["copies"].get(doc["kind"], 1)
        for copy in range(1, copies + 1):
            if options["duplex"] and page % 2:
                page += 1
            plan.append({"person": person, "no": no, "destination": destination, "doc": doc,
                         "copy": copy, "copies": copies,
                         "first_of_person": person is not None and no not in seen,
                         "page": page, "pages": lengths[doc["id"]]})
            seen.add(no)
            page += lengths[doc["id"]]
    return plan


def _cover_span(draft: bytes, options) -> int:
    pages = page_count(draft)
    return pages + (pages % 2 if options["duplex"] else 0)


def read_result(runtime, job: dict) -> bytes:
    path = Path(runtime.settings.archive) / job["result_path"]
    return path.read_bytes()

