"""Preparing a chunk of a print job, on the server (the first of a chunk's three parts;
letters/bulk.py makes it, accept.py takes the results back):

    reserve, in one transaction, the numbers of every letter of the chunk's kind in this
    job that has none yet (the job's plan, made with it, already gave each reused or kept
    letter to its item: reuse.py; the item rows record which letter each (case, kind) got) → each pending letter's
    template context → a ChunkInput (ids, numbers, verify tokens, contexts, the template's
    and the logo's sha256, the base URL, the claim's lease)

The caller has claimed the chunk. Every step can be repeated: a letter keeps the number
it was given, whoever makes it and however often.
"""

from pathlib import Path

from ..db import write_transaction
from ..errors import NotFound
from ..letters import facts, pipeline
from ..letters.chunk import ChunkInput, LetterInput
from ..records import office, templates
from ..records.documents import get_document
from ..records.kinds import CEREMONY_KINDS
from ..records.storage import sha256_file
from . import leases, printjobs, records
from .context import case_document, ceremony_document, fingerprint, issue_date


def prepare(runtime, db, job_id: int, chunk: str, *, lease: str) -> ChunkInput:
    """The chunk's inputs: its letters still to make, numbers reserved."""
    job = printjobs.get(db, job_id)
    kind = next(c for c in printjobs.chunks(db, job_id) if c["chunk"] == chunk)["kind"]
    template = templates.active(db, kind)
    letters = reserve(runtime, db, job, kind, chunk)
    logo, unit_logo = runtime.logo(), runtime.unit_logo()
    return ChunkInput(job_id=job_id, chunk=chunk, kind=kind, template_sha256=template["sha256"],
                      base_url=job["options"]["base_url"], letters=letters,
                      logo_sha256=sha256_file(logo) if logo else None,
                      unit_logo_sha256=sha256_file(unit_logo) if unit_logo else None,
                      lease=lease, lease_seconds=leases.LEASE_SECONDS,
                      template_version=template["version"])


def template_file(runtime, db, sha256: str) -> Path:
    """The template file (any version, the product's or the office's) with this hash."""
    rows = list(db["templates"].rows_where("sha256 = ?", [sha256], order_by="id DESC", limit=1))
    if not rows:
        raise NotFound("no template with that hash")
    return templates.resolve(runtime.settings, rows[0])


def reserve(runtime, db, job: dict, kind: str, chunk: str) -> list[LetterInput]:
    """Numbers for the kind's letters in this job (one transaction), then this chunk's
    letters still to make."""
    options = job["options"]
    ceremony = records.get(db, job["ceremony_id"])
    settings = office.get_all(db)
    template = templates.active(db, kind)
    cases = printjobs.job_cases(db, job)
    in_order = [cases[c] for c in options["case_ids"]]

    def context(item, number: str) -> dict:
        if kind in CEREMONY_KINDS:
            return ceremony_document(db, in_order, ceremony, settings, number=number)
        return case_document(db, cases[item["case_id"]], ceremony, settings, kind=kind,
                             number=number)

    def usable(item) -> bool:
        return item["document_id"] is not None and db.execute(
            "SELECT status IN ('pending', 'valid') FROM documents WHERE id = ?",
            [item["document_id"]]).fetchone()[0]

    todo = [i for i in printjobs.items(db, job["id"], kind=kind) if not usable(i)]
    if todo:
        blank = {(i["case_id"], i["kind"]): context(i, "") for i in todo}
        with write_transaction(db):
            for item in printjobs.items(db, job["id"], kind=kind):
                if usable(item):
                    continue  # another chunk of this kind reserved it meanwhile
                made = blank.get((item["case_id"], kind)) or context(item, "")
                _assign(db, job, ceremony, item, template, settings, fingerprint(made, template),
                        facts.dumps(facts.of(made, kind)))

    letters = []
    for item in printjobs.items(db, job["id"], chunk=chunk):
        doc = get_document(db, item["document_id"], include_failed=True)
        if doc["status"] == "pending":
            letters.append(LetterInput(doc["id"], doc["number"], doc["token"],
                                       context(item, doc["number"])))
    return letters


def _assign(db, job, ceremony, item, template, settings, print_: str, stated: str) -> None:
    """Inside a write transaction: a new number for an item the job's plan left without a
    letter (service/ceremonies/reuse.py decided, when the job was made, which letters are
    reused or kept). It replaces the case's valid letter of its kind, or the ceremony's
    previous roster or report."""
    case_id = item["case_id"] or None
    previous = None
    if case_id is None:
        row = db.execute(
            "SELECT documents.id FROM ceremony_documents JOIN documents ON documents.id = "
            "ceremony_documents.document_id WHERE ceremony_documents.ceremony_id = ? AND "
            "ceremony_documents.kind = ? AND ceremony_documents.case_id IS NULL AND "
            "documents.status = 'valid' ORDER BY documents.id DESC",
            [ceremony["id"], item["kind"]]).fetchone()
        previous = row[0] if row else None
    creator = {"id": job["created_by"]} if job["created_by"] else None
    doc_id = pipeline.take_number(db, kind=item["kind"], case_id=case_id, template=template,
                                  settings=settings, user=creator, issued_on=issue_date(ceremony),
                                  supersedes=previous, facts=stated)
    db["ceremony_documents"].insert({"document_id": doc_id, "ceremony_id": ceremony["id"],
                                     "case_id": case_id, "kind": item["kind"],
                                     "context_sha256": print_})
    if case_id is None:
        db["document_cases"].insert_all(
            [{"document_id": doc_id, "case_id": c} for c in job["options"]["case_ids"]])
    db.execute("UPDATE print_job_items SET document_id = ?, reused = 0 WHERE job_id = ? AND "
               "case_id = ? AND kind = ?", [doc_id, job["id"], item["case_id"], item["kind"]])
