"""What of a ceremony's papers came back signed: per kind, how many of its valid
documents are signed, and whose are still missing ("Tanda terima: 97/100 kembali;
belum: …"). The documents are those the ceremony's print jobs made (ceremony_documents);
a woman's letters made outside the ceremony do not count here."""

from ..records import signed_copies
from ..records.kinds import DOCUMENT_KINDS, KIND_LABELS, LISTS_ANONYMISED


def valid_documents(db, ceremony_id: int, *, kept: bool = False) -> list[dict]:
    """The valid documents the ceremony's print jobs made, with the case each belongs to
    (None for the roster and the ceremony report) and her name. Those kept for the
    auditors after an anonymisation (her receipts, papers that list her) only with
    `kept` (the evidence pack, for the auditor)."""
    hide = "" if kept else (
        f"AND (cases.id IS NULL OR cases.status != 'anonymised') AND NOT {LISTS_ANONYMISED} ")
    return list(db.query(
        "SELECT documents.*, ceremony_documents.case_id AS for_case, cases.full_name, "
        "cases.case_number FROM ceremony_documents JOIN listed_documents AS documents "
        "ON documents.id = ceremony_documents.document_id LEFT JOIN cases "
        "ON cases.id = ceremony_documents.case_id WHERE ceremony_documents.ceremony_id = ? "
        f"AND documents.status = 'valid' {hide}"
        "ORDER BY cases.full_name COLLATE NOCASE, documents.id", [ceremony_id]))


def lists_anonymised(db, ceremony_id: int) -> bool:
    """Whether a woman of the ceremony has had her case anonymised."""
    return db.execute("SELECT 1 FROM ceremony_cases JOIN cases ON cases.id = ceremony_cases.case_id "
                      "WHERE ceremony_cases.ceremony_id = ? AND cases.status = 'anonymised'",
                      [ceremony_id]).fetchone() is not None


def returns(db, ceremony_id: int) -> list[dict]:
    """Per kind printed, in the usual order: {kind, label, total, signed, missing}, where
    `missing` lists the documents not (wholly) back: {document_id, number, case_id,
    full_name, signed_pages, pages}."""
    docs = valid_documents(db, ceremony_id)
    states = signed_copies.statuses(db, docs)
    out = []
    for kind in DOCUMENT_KINDS:
        mine = [d for d in docs if d["kind"] == kind]
        if not mine:
            continue
        missing = [{"document_id": d["id"], "number": d["number"], "case_id": d["for_case"],
                    "full_name": d["full_name"] or "", "signed_pages": states[d["id"]]["signed_pages"],
                    "pages": d["pages"] or 0} for d in mine if not states[d["id"]]["signed"]]
        out.append({"kind": kind, "label": KIND_LABELS.get(kind, kind), "total": len(mine),
                    "signed": len(mine) - len(missing), "missing": missing})
    return out
