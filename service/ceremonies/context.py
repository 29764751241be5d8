"""What the Word templates see for a ceremony's documents (names per docs/templates.md,
shapes as in service/letters/sample.py), and the fingerprint that decides whether a reprint may
reuse a document made before."""

import datetime as dt
import hashlib
import json

from ..letters.context import case_context, document_context
from ..records.cases import aid_items
from ..records.formats import as_date
from ..records.kinds import AID_KINDS

ORDERS = ("name", "destination")


def issue_date(ceremony: dict) -> dt.date:
    """A ceremony's papers are dated, and numbered in the month and year of, the day they
    are signed: the ceremony's."""
    return as_date(ceremony["date"])


def ordered(cases: list[dict], order: str) -> list[dict]:
    def by_name(case):
        return (case["full_name"].casefold(), case["id"])
    if order == "destination":
        return sorted(cases, key=lambda c: (_destination(c).casefold(), *by_name(c)))
    return sorted(cases, key=by_name)


def _destination(case: dict) -> str:
    return case.get("destination") or case["origin_region"] or "-"


def _ceremony_view(ceremony: dict) -> dict:
    return {"title": ceremony["title"], "date": as_date(ceremony["date"]),
            "place": ceremony["place"],
            "officials": [dict(person) for person in ceremony["officials"]]}


def case_document(db, case: dict, ceremony: dict, settings: dict, *, number: str) -> dict:
    """A pledge, receipt or release report of one woman released at this ceremony."""
    context = document_context(db, case, settings, number=number, issued_on=issue_date(ceremony))
    context["release"] = {"date": as_date(ceremony["date"]), "place": ceremony["place"],
                          "destination": _destination(case)}
    return context


def ceremony_document(db, cases: list[dict], ceremony: dict, settings: dict, *,
                      number: str) -> dict:
    """The roster or the ceremony's release report: everyone, in print order."""
    rows, totals = [], {kind: 0 for kind in AID_KINDS}
    for no, case in enumerate(cases, start=1):
        items = aid_items(db, case["id"])
        by_kind = {kind: 0 for kind in AID_KINDS}
        for item in items:
            by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + item["amount"]
            totals[item["kind"]] = totals.get(item["kind"], 0) + item["amount"]
        rows.append({**case_context(case, items), "no": no, "destination": _destination(case),
                     "aid_by_kind": by_kind})
    return {
        "ceremony": _ceremony_view(ceremony),
        "cases": rows,
        "aid_columns": [{"kind": k, "label": label} for k, label in AID_KINDS.items() if totals[k]],
        "totals_by_kind": totals,
        "grand_total": sum(totals.values()),
        "number": number,
        "date": issue_date(ceremony),
        "office": settings["office"],
        "officials": settings["officials"],
    }


def fingerprint(context: dict, template: dict) -> str:
    """The data a document was made from, without its own number: equal fingerprints
    mean a reprint would put the same words on paper."""
    data = {k: val for k, val in context.items() if k != "number"}
    blob = json.dumps([template["sha256"], data], sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()
