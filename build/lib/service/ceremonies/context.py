"""What the Word templates see for a ceremony's documents (names per docs/templates.md,
shapes as in service/letters/sample.py), and the fingerprint that decides whether a reprint may
reuse a document made before."""

import datetime as dt
import hashlib
import json

from ..clock import office_today
from ..letters.context import ceremony_document_context, document_context, receipt_kinds
from ..records.cases import aid_items
from ..records.formats import as_date

ORDERS = ("name", "destination")


def issue_date(ceremony: dict) -> dt.date:
    """A letter's number and date are its day of issue (tata naskah dinas): papers of a
    past ceremony printed today are dated today and numbered after the letters already
    issued. The ceremony's own date stays in the text (`ceremony.date`, `release.date`)."""
    return office_today()


def ordered(cases: list[dict], order: str) -> list[dict]:
    def by_name(case):
        return (case["full_name"].casefold(), case["id"])
    if order == "destination":
        return sorted(cases, key=lambda c: (_destination(c).casefold(), *by_name(c)))
    return sorted(cases, key=by_name)


def _destination(case: dict) -> str:
    return case.get("destination") or case["origin_region"] or ""


def release(case: dict, ceremony: dict) -> dict:
    return {"date": as_date(ceremony["date"]), "place": ceremony["place"],
            "destination": _destination(case)}


def case_document(db, case: dict, ceremony: dict, settings: dict, *, kind: str,
                  number: str) -> dict:
    """A pledge, receipt or release report of one woman released at this ceremony."""
    return document_context(db, case, settings, kind=kind, number=number,
                            issued_on=issue_date(ceremony), release=release(case, ceremony))


def needs(db, case: dict, kind: str, settings: dict) -> bool:
    """Whether a ceremony print makes this kind of letter for her: receipts only for the
    money each receipts (a case without APBN aid gets no transfer receipt)."""
    if kind in ("aid_receipt", "transfer_receipt"):
        return kind in receipt_kinds(settings, aid_items(db, case["id"]))
    return True


def ceremony_document(db, cases: list[dict], ceremony: dict, settings: dict, *,
                      number: str) -> dict:
    """The roster or the ceremony's release report: everyone, in print order."""
    people = [(case, aid_items(db, case["id"]), _destination(case)) for case in cases]
    return ceremony_document_context(people, ceremony, settings, number=number,
                                     issued_on=issue_date(ceremony))


def fingerprint(context: dict, template: dict) -> str:
    """The data a document was made from, without its own number and date of issue:
    equal fingerprints mean a reprint would put the same facts on paper, so it reuses
    the letter already issued (with its number and date) instead of issuing a new one."""
    data = {k: val for k, val in context.items() if k not in ("number", "date")}
    blob = json.dumps([template["sha256"], data], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()
