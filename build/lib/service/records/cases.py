"""Cases (penerima manfaat), their facility and their aid items. Creating or editing a
case also queues it for the search index (indexing.py)."""

import datetime as dt

from ..clock import now_iso, office_today
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, NotFound
from . import indexing, numbering, office
from . import validate as v
from .formats import nik_mask
from .kinds import AID_KINDS, AID_PHRASES, FUNDS, default_fund
from .nik import check_nik

CASE_FIELDS = ("full_name", "nik", "birth_place", "birth_date", "origin_address",
               "origin_region", "facility", "notes", "release_date", "release_place",
               "paper_notes")

_CHECKS = {
    "full_name": lambda x: v.text(x, max_len=200, required=True),
    "birth_place": lambda x: v.text(x, max_len=100),
    "birth_date": lambda x: v.date(x, not_future=True),
    "origin_address": lambda x: v.text(x, max_len=500, multiline=True),
    "origin_region": lambda x: v.text(x, max_len=100),
    "facility": lambda x: v.text(x, max_len=200, required=True),
    # Internal notes never print; paper_notes is the text meant for her papers (the
    # "Keterangan" of her release report).
    "notes": lambda x: v.text(x, max_len=5000, multiline=True),
    "paper_notes": lambda x: v.text(x, max_len=1000, multiline=True),
    # Her release, when it happens outside a ceremony (a ceremony records its own).
    "release_date": lambda x: v.date(x, earliest=dt.date(2000, 1, 1)),
    "release_place": lambda x: v.text(x, max_len=300),
    "nik": lambda x: v.text(x, max_len=40),
    "allow_duplicate": v.flag,
}


def _clean_case(data: dict, *, partial: bool, current: dict | None = None) -> tuple[dict, list[str]]:
    clean, problems = v.collect(data, _CHECKS)
    if not partial:
        for name in ("full_name", "facility"):
            if name not in data:
                problems.setdefault(name, "is required")
    warnings = []
    if "nik" in clean and "nik" not in problems:
        birth = clean.get("birth_date") or (current and v.date(current.get("birth_date")))
        check = check_nik(clean["nik"], birth or None)
        if check.error:
            problems["nik"] = check.error
        clean["nik"] = check.value
        warnings += check.warnings
    if problems:
        raise InvalidInput("the case has invalid fields", fields=problems)
    for name in ("birth_date", "release_date"):
        if isinstance(clean.get(name), dt.date):
            clean[name] = clean[name].isoformat()
    return clean, warnings


def facility_id(db, name: str) -> int:
    """The facility of that name, created on first use (names compare case-blind)."""
    row = db.execute("SELECT id FROM facilities WHERE name = ?", [name]).fetchone()
    if row:
        return row[0]
    return db["facilities"].insert({"name": name, "created_at": now_iso()}).last_pk


def facility_names(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM facilities ORDER BY name COLLATE NOCASE")]


def nik_owner(db, nik: str, except_id: int | None = None) -> int | None:
    """The id of another case (not `except_id`, not anonymised) with this NIK, if any."""
    row = db.execute("SELECT id FROM cases WHERE nik = ? AND id IS NOT ? AND status != 'anonymised'",
                     [nik, except_id]).fetchone()
    return row[0] if row else None


def _refuse_taken_nik(db, clean: dict, except_id: int | None = None) -> None:
    """Conflict when the NIK is already on another case, unless `allow_duplicate` says
    the clerk knows (the one rule for the form, the API and updates)."""
    allow_duplicate = clean.pop("allow_duplicate", False)
    owner = nik_owner(db, clean["nik"], except_id) if clean.get("nik") and not allow_duplicate else None
    if owner:
        raise Conflict("this NIK is already on another case",
                       fields={"nik": "already recorded on another case"}, existing_case_id=owner)


def masked_niks(db, case_ids: list[int]) -> dict[int, str]:
    """The cases' NIKs masked as lists show them ('' for a case without one)."""
    if not case_ids:
        return {}
    marks = ",".join("?" * len(case_ids))
    rows = db.execute(f"SELECT id, nik FROM cases WHERE id IN ({marks})", case_ids)
    return {row[0]: nik_mask(row[1]) if row[1] else "" for row in rows}


def check_new_case(data: dict) -> tuple[dict, list[str]]:
    """The clean fields of a new case and its warnings, or InvalidInput: the one set of
    rules for the form, the API and imports."""
    return _clean_case(data, partial=False)


def insert_case(db, clean: dict, user: dict | None) -> int:
    """Inside a write transaction: record an already checked case; returns its id.
    Imports call this many times in one transaction."""
    now = now_iso()
    year = office_today().year
    prefix = office.get_all(db)["case_prefix"]
    seq = numbering.next_value(db, f"case:{prefix}", year)
    row = {k: clean.get(k, "") for k in CASE_FIELDS if k != "facility"}
    row.update(
        nik=clean.get("nik"), birth_date=clean.get("birth_date"),
        release_date=clean.get("release_date"),
        facility_id=facility_id(db, clean["facility"]),
        case_number=numbering.case_number(prefix, year, seq),
        created_by=user["id"] if user else None, created_at=now, updated_at=now)
    case_id = db["cases"].insert(row).last_pk
    indexing.queue(db, cases=[case_id])
    return case_id


def create_case(db, data: dict, user: dict | None) -> tuple[dict, list[str]]:
    clean, warnings = _clean_case(data, partial=False)
    with write_transaction(db):
        _refuse_taken_nik(db, clean)
        case_id = insert_case(db, clean, user)
    return get_case(db, case_id), warnings


def update_case(db, case_id: int, data: dict) -> tuple[dict, list[str]]:
    current = get_case(db, case_id)
    clean, warnings = _clean_case(data, partial=True, current=current)
    with write_transaction(db):
        _refuse_taken_nik(db, clean, except_id=case_id)
        if "facility" in clean:
            clean["facility_id"] = facility_id(db, clean.pop("facility"))
        if clean:
            clean["updated_at"] = now_iso()
            db["cases"].update(case_id, clean)
            # Documents keep the identity they were made with; only the case entry changes.
            indexing.queue(db, cases=[case_id])
    return get_case(db, case_id), warnings


def get_case(db, case_id) -> dict:
    """The case with its facility name, or NotFound (also for anonymised ids: an id
    alone reveals nothing)."""
    rows = list(db.query(
        "SELECT cases.*, facilities.name AS facility FROM cases "
        "JOIN facilities ON facilities.id = cases.facility_id "
        "WHERE cases.id = ? AND cases.status != 'anonymised'", [case_id]))
    if not rows:
        raise NotFound("no such case")
    return rows[0]


def recorded_release(db, case: dict) -> dict | None:
    """Her release as recorded: {date, place, destination} from the case's own fields,
    else from the ceremony she belongs to; None when neither says when and where."""
    if case.get("release_date") and case.get("release_place"):
        return {"date": case["release_date"], "place": case["release_place"], "destination": ""}
    row = db.execute(
        "SELECT ceremonies.date, ceremonies.place, ceremony_cases.destination FROM ceremony_cases "
        "JOIN ceremonies ON ceremonies.id = ceremony_cases.ceremony_id WHERE ceremony_cases.case_id = ?",
        [case["id"]]).fetchone()
    if row:
        return {"date": row[0], "place": row[1], "destination": row[2]}
    return None


def aid_items(db, case_id: int) -> list[dict]:
    items = list(db["aid_items"].rows_where("case_id = ?", [case_id], order_by="id"))
    for item in items:
        _labels(item)
    return items


def _labels(item: dict) -> dict:
    item["label"] = AID_KINDS.get(item["kind"], item["kind"])
    item["label_lower"] = AID_PHRASES.get(item["kind"], item["label"].lower())
    return item


def _aid_checks(ceiling: int) -> dict:
    return {
        "kind": lambda x: v.choice(x, tuple(AID_KINDS)),
        "amount": lambda x: v.whole_number(x, minimum=1, maximum=ceiling),
        "source": lambda x: v.text(x, max_len=200),
        # What a receipt's "Keterangan" cell holds: longer, two rows of a list could no
        # longer share a page with the signatures (docs/templates.md, layout rules).
        "description": lambda x: v.text(x, max_len=200),
        "fund": lambda x: v.choice(x, tuple(FUNDS)),
    }


def add_aid(db, case_id: int, data: dict, user: dict | None, ceiling: int) -> dict:
    get_case(db, case_id)
    clean, problems = v.collect(data, _aid_checks(ceiling))
    for name in ("kind", "amount"):
        if name not in data:
            problems.setdefault(name, "is required")
    if "kind" in clean and "fund" not in problems:
        clean.setdefault("fund", default_fund(clean["kind"], clean.get("source", "")))
        if clean["kind"] == "kemensos_transfer" and clean["fund"] != "apbn":
            problems["fund"] = "Kemensos money is central government money: apbn"
    if problems:
        raise InvalidInput("the aid item has invalid fields", fields=problems)
    clean.setdefault("source", "")
    clean.setdefault("description", "")
    item_id = db["aid_items"].insert(dict(
        clean, case_id=case_id, created_by=user["id"] if user else None,
        created_at=now_iso())).last_pk
    return _labels(db["aid_items"].get(item_id))


def get_aid(db, case_id: int, aid_id: int) -> dict:
    """One of the case's aid items, or NotFound."""
    get_case(db, case_id)
    rows = list(db["aid_items"].rows_where("id = ? AND case_id = ?", [aid_id, case_id]))
    if not rows:
        raise NotFound("no such aid item on this case")
    return _labels(rows[0])


def update_aid(db, case_id: int, aid_id: int, data: dict, ceiling: int) -> tuple[dict, dict]:
    """Correct an aid item (any of its fields). Returns (before, after): the caller audits
    both. A receipt already issued for it keeps what it said and is then flagged as holding
    old data (service/ceremonies/reuse.py stale_letters)."""
    before = get_aid(db, case_id, aid_id)
    clean, problems = v.collect(data, _aid_checks(ceiling))
    unknown = set(data) - set(_aid_checks(ceiling))
    if unknown:
        problems["fields"] = f"unknown fields: {', '.join(sorted(unknown))}"
    if "fund" not in problems and dict(before, **clean)["kind"] == "kemensos_transfer":
        if clean.get("kind") == "kemensos_transfer" and "fund" not in clean:
            clean["fund"] = "apbn"
        if dict(before, **clean)["fund"] != "apbn":
            problems["fund"] = "Kemensos money is central government money: apbn"
    if problems:
        raise InvalidInput("the aid item has invalid fields", fields=problems)
    if clean:
        db["aid_items"].update(aid_id, clean)
        db.conn.commit()
    return before, get_aid(db, case_id, aid_id)


def delete_aid(db, case_id: int, aid_id: int) -> dict:
    """Remove an aid item recorded by mistake; returns what it was (for the audit log)."""
    item = get_aid(db, case_id, aid_id)
    with write_transaction(db):
        db.execute("DELETE FROM aid_items WHERE id = ? AND case_id = ?", [aid_id, case_id])
    return item
