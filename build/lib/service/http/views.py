"""The shapes of a case, a ceremony, a print job and an import's analysis as the API
returns them and the pages show them (contract: ../shared/API.md). Built from record
functions; nothing here reads the database itself."""

from ..ceremonies import printer, printjobs
from ..ceremonies import records as ceremonies
from ..ceremonies.returns import returns
from ..office_tools.imports import Preview
from ..records import cases, signed_copies
from ..records.documents import case_documents, public_view
from ..records.formats import nik_mask
from .messages import describe
from .support import public_base_url, runtime

_CASE_FIELDS = ("id", "case_number", "full_name", "nik", "birth_place", "birth_date",
                "origin_address", "origin_region", "facility", "notes", "paper_notes",
                "release_date", "release_place", "status", "created_at", "updated_at")
_AID_FIELDS = ("id", "kind", "label", "amount", "fund", "source", "description", "created_at")
_CEREMONY_FIELDS = ("id", "title", "date", "place", "officials", "created_at", "updated_at")


def case_view(db, case: dict, warnings=()) -> dict:
    view = {k: case[k] for k in _CASE_FIELDS}
    items = cases.aid_items(db, case["id"])
    view["aid_items"] = [{k: i[k] for k in _AID_FIELDS} for i in items]
    view["aid_total"] = sum(i["amount"] for i in items)
    view["documents"] = documents_view(db, case_documents(db, case["id"]))
    view["warnings"] = list(warnings)
    return view


def documents_view(db, docs: list[dict]) -> list[dict]:
    """Documents as the API shows them, each with whether it came back signed (issue 13):
    signed, signed_pages, pages, signed_at."""
    base = public_base_url()
    states = signed_copies.statuses(db, docs)
    return [{**public_view(d, base), **states[d["id"]]} for d in docs]


def ceremony_view(db, ceremony: dict) -> dict:
    totals = ceremonies.aid_totals(db, ceremony["id"])
    return {
        **{k: ceremony[k] for k in _CEREMONY_FIELDS},
        "cases": [{"case_id": c["id"], "case_number": c["case_number"],
                   "full_name": c["full_name"], "nik_masked": nik_mask(c["nik"]) if c["nik"] else "-",
                   "origin_region": c["origin_region"], "destination": c["destination"],
                   "facility": c["facility"], "status": c["status"],
                   "aid_total": totals.get(c["id"], 0)} for c in ceremonies.cases(db, ceremony["id"])],
        "documents": documents_view(db, ceremonies.documents(db, ceremony["id"])),
        # What came back signed, per kind (issue 13).
        "returns": returns(db, ceremony["id"]),
        "jobs": [printjobs.view(j) for j in printjobs.for_ceremony(db, ceremony["id"])],
    }


def job_options(job: dict) -> dict:
    """What was asked of a print job, for its audit entry."""
    return {k: job["options"][k] for k in ("kinds", "copies", "duplex", "order")}


def job_view(job: dict) -> dict:
    """A print job's progress and result, with the printer's state of it."""
    settings = runtime().settings
    view = printjobs.view(job)
    view["printer"] = {**printer.availability(settings), "request_id": job["printer_job"],
                       "state": printer.state(settings, job["printer_job"])}
    return view


def import_summary(preview: Preview, headers: list[str], mapping: dict) -> dict:
    """The API's answer (and the page's data): every problem and duplicate, by row."""
    problems = []
    for row in preview.rows:
        for problem, severity in [(p, "error") for p in row.errors] + [(p, "warning") for p in row.warnings]:
            problems.append({"row": row.number, "field": problem.where, "code": problem.code,
                             "message": describe(problem), "severity": severity})
    duplicates = [row.duplicate for row in preview.rows if row.duplicate]
    return {"rows": len(preview.rows), "importable": len(preview.good), "problems": problems,
            "duplicates": duplicates, "mapping": mapping, "headers": headers,
            "unknown_facilities": preview.unknown_facilities}


def aid_change(before: dict, after: dict | None) -> dict:
    """What the audit log keeps of an aid item's correction or removal: codes and amounts."""
    detail = {"aid_id": before["id"], "kind": before["kind"], "amount": before["amount"]}
    if after is not None:
        detail.update(new_kind=after["kind"], new_amount=after["amount"],
                      fields=sorted(k for k in ("kind", "amount", "source", "description")
                                    if before[k] != after[k]))
    return detail
