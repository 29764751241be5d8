"""What a Word template sees: the names are part of the public contract (API.md), so an
office's own templates keep working from one version of the product to the next."""

import datetime as dt

from ..records.cases import aid_items
from ..records.formats import as_date, nik_mask


def case_context(case: dict, items: list[dict]) -> dict:
    return {
        "full_name": case["full_name"],
        "nik": case["nik"] or "",
        "nik_masked": nik_mask(case["nik"]) if case["nik"] else "-",
        "birth_place": case["birth_place"],
        "birth_date": as_date(case["birth_date"]),
        "origin_address": case["origin_address"],
        "origin_region": case["origin_region"],
        "facility": case["facility"],
        "case_number": case["case_number"],
        "notes": case["notes"],
        "aid_items": [{k: item[k] for k in ("kind", "label", "amount", "source", "description")}
                      for item in items],
        "aid_total": sum(item["amount"] for item in items),
    }


def document_context(db, case: dict, settings: dict, *, number: str, issued_on: dt.date) -> dict:
    context = case_context(case, aid_items(db, case["id"]))
    context.update(
        number=number,
        date=issued_on,
        office=settings["office"],
        officials=settings["officials"],
        release={"date": issued_on, "place": settings["office"]["city"],
                 "destination": case["origin_region"] or "-"},
    )
    return context
