"""Ceremonies (pelepasan): their details, officials present, and the cases released there,
each with a destination. A case is in one ceremony at a time (the schema enforces it)."""

import datetime as dt
import json
import sqlite3

from ..clock import now_iso
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, NotFound
from ..records import office
from ..records import validate as v
from ..records.formats import nik_mask
from ..records.kinds import LISTS_ANONYMISED

MAX_CASES = 500  # a ceremony releases 13 to 70 women; this only stops runaway requests
_DETAILS = ("title", "date", "place", "officials")


def _official(value) -> dict:
    """{name, title, rank, nip}: a signature block prints all four (Permendagri 1/2023
    Pasal 44); the NIP is checked as the office's officials' are."""
    if not isinstance(value, dict):
        raise v.FieldError("each official must be an object with name, title, rank and nip")
    official = office.check_official(value, where=" in an official")
    if not official["name"]:
        raise v.FieldError("each official needs a name")
    return official


def _officials(value) -> list[dict]:
    if not isinstance(value, list):
        raise v.FieldError("must be a list of {name, title, rank, nip}")
    if len(value) > 20:
        raise v.FieldError("at most 20 officials")
    return [_official(item) for item in value]


def _case_ids(value) -> list[int]:
    if not isinstance(value, list) or not all(
            isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value):
        raise v.FieldError("must be a list of case ids")
    if len(set(value)) != len(value):
        raise v.FieldError("a case is listed twice")
    if len(value) > MAX_CASES:
        raise v.FieldError(f"at most {MAX_CASES} cases")
    return value


def _destinations(value) -> dict[int, str]:
    if not isinstance(value, dict):
        raise v.FieldError("must be an object {case_id: destination}")
    clean = {}
    for key, text in value.items():
        if not str(key).isdigit():
            raise v.FieldError(f"{key!r} is not a case id")
        clean[int(key)] = v.text(text, max_len=200)
    return clean


_CHECKS = {
    "title": lambda x: v.text(x, max_len=300, required=True),
    "date": lambda x: v.date(x, required=True, earliest=dt.date(2000, 1, 1)),
    "place": lambda x: v.text(x, max_len=300, required=True),
    "officials": _officials,
    "case_ids": _case_ids,
    "destinations": _destinations,
}


def _clean(data: dict, allowed: tuple, required: tuple = ()) -> dict:
    clean, problems = v.collect(data, {k: _CHECKS[k] for k in allowed})
    for name in required:
        if name not in data:
            problems.setdefault(name, "is required")
    if problems:
        raise InvalidInput("the ceremony has invalid fields", fields=problems)
    if "date" in clean:
        clean["date"] = clean["date"].isoformat()
    stray = set(clean.get("destinations", {})) - set(clean.get("case_ids", []))
    if stray and "case_ids" in allowed:
        raise InvalidInput("a destination is given for a case not being added",
                           fields={"destinations": f"case {min(stray)} is not in case_ids"})
    return clean


def create(db, data: dict, user: dict | None) -> dict:
    clean = _clean(data, ("title", "date", "place", "officials", "case_ids", "destinations"),
                   required=("title", "date", "place"))
    now = now_iso()
    with write_transaction(db):
        ceremony_id = db["ceremonies"].insert({
            "title": clean["title"], "date": clean["date"], "place": clean["place"],
            "officials": json.dumps(clean.get("officials", []), ensure_ascii=False),
            "created_by": user["id"] if user else None, "created_at": now, "updated_at": now,
        }).last_pk
        _add(db, ceremony_id, clean.get("case_ids", []), clean.get("destinations", {}))
    return get(db, ceremony_id)


def update(db, ceremony_id: int, data: dict) -> dict:
    get(db, ceremony_id)
    clean = _clean(data, _DETAILS)
    if "officials" in clean:
        clean["officials"] = json.dumps(clean["officials"], ensure_ascii=False)
    if clean:
        db["ceremonies"].update(ceremony_id, dict(clean, updated_at=now_iso()))
    return get(db, ceremony_id)


def add_cases(db, ceremony_id: int, data: dict) -> dict:
    clean = _clean(data, ("case_ids", "destinations"), required=("case_ids",))
    with write_transaction(db):
        get(db, ceremony_id)
        _add(db, ceremony_id, clean["case_ids"], clean.get("destinations", {}))
    return get(db, ceremony_id)


def set_destination(db, ceremony_id: int, case_id: int, data: dict) -> dict:
    clean, problems = v.collect(data, {"destination": lambda x: v.text(x, max_len=200)})
    if "destination" not in data:
        problems.setdefault("destination", "is required")
    if problems:
        raise InvalidInput("invalid destination", fields=problems)
    changed = db.execute("UPDATE ceremony_cases SET destination = ? WHERE ceremony_id = ? "
                         "AND case_id = ?", [clean["destination"], ceremony_id, case_id]).rowcount
    db.commit()
    if not changed:
        raise NotFound("that case is not in this ceremony")
    return get(db, ceremony_id)


def remove_case(db, ceremony_id: int, case_id: int) -> dict:
    """The case leaves the ceremony (and may join another). Documents already made for
    her stay valid; the next print makes a new roster and report without her."""
    with write_transaction(db):
        gone = db.execute("DELETE FROM ceremony_cases WHERE ceremony_id = ? AND case_id = ?",
                          [ceremony_id, case_id]).rowcount
    if not gone:
        raise NotFound("that case is not in this ceremony")
    return get(db, ceremony_id)


def release(db, ceremony_id: int, today) -> list[int]:
    """After the ceremony: its women still open are released (sent home). Returns their
    case ids; Conflict before the ceremony's day."""
    ceremony = get(db, ceremony_id)
    if ceremony["date"] > today.isoformat():
        raise Conflict("the ceremony has not taken place yet",
                       fields={"date": f"the ceremony is on {ceremony['date']}"})
    with write_transaction(db):
        ids = [r[0] for r in db.execute(
            "SELECT cases.id FROM ceremony_cases JOIN cases ON cases.id = ceremony_cases.case_id "
            "WHERE ceremony_cases.ceremony_id = ? AND cases.status = 'open'", [ceremony_id])]
        if ids:
            marks = ",".join("?" * len(ids))
            db.execute(f"UPDATE cases SET status = 'released', updated_at = ? WHERE id IN ({marks})",
                       [now_iso(), *ids])
    return ids


def _add(db, ceremony_id: int, case_ids: list[int], destinations: dict[int, str]) -> None:
    """Inside a write transaction. Every case must exist, be open and in no ceremony."""
    if not case_ids:
        return
    marks = ",".join("?" * len(case_ids))
    found = {r["id"]: r for r in db.query(
        f"SELECT cases.id, cases.status, cases.origin_region, ceremony_cases.ceremony_id "
        f"FROM cases LEFT JOIN ceremony_cases ON ceremony_cases.case_id = cases.id "
        f"WHERE cases.id IN ({marks}) AND cases.status != 'anonymised'", case_ids)}
    missing = [c for c in case_ids if c not in found]
    if missing:
        raise InvalidInput("unknown cases", fields={"case_ids": f"no such case: {missing[0]}"})
    closed = [c for c in case_ids if found[c]["status"] != "open"]
    if closed:
        raise InvalidInput("only open cases can be released",
                           fields={"case_ids": f"case {closed[0]} is {found[closed[0]]['status']}"},
                           case_id=closed[0])
    taken = [(c, found[c]["ceremony_id"]) for c in case_ids if found[c]["ceremony_id"]]
    if taken:
        raise Conflict("a case is already in a ceremony",
                       fields={"case_ids": f"case {taken[0][0]} is in ceremony {taken[0][1]}"},
                       conflicts=[{"case_id": c, "ceremony_id": cer} for c, cer in taken])
    now = now_iso()
    try:
        db["ceremony_cases"].insert_all([{
            "ceremony_id": ceremony_id, "case_id": c, "added_at": now,
            "destination": destinations.get(c) or found[c]["origin_region"] or "",
        } for c in case_ids])
    except sqlite3.IntegrityError:  # a concurrent request took the case first
        raise Conflict("a case is already in a ceremony",
                       fields={"case_ids": "a case was just added to another ceremony"}) from None


def get(db, ceremony_id) -> dict:
    rows = list(db["ceremonies"].rows_where("id = ?", [ceremony_id]))
    if not rows:
        raise NotFound("no such ceremony")
    ceremony = rows[0]
    ceremony["officials"] = json.loads(ceremony["officials"])
    return ceremony


def cases(db, ceremony_id: int) -> list[dict]:
    """The ceremony's cases with what a list shows (NIK masked), in the order added."""
    rows = db.query(
        "SELECT cases.*, facilities.name AS facility, ceremony_cases.destination "
        "FROM ceremony_cases JOIN cases ON cases.id = ceremony_cases.case_id "
        "JOIN facilities ON facilities.id = cases.facility_id "
        "WHERE ceremony_cases.ceremony_id = ? AND cases.status != 'anonymised' "
        "ORDER BY ceremony_cases.added_at, cases.id", [ceremony_id])
    return list(rows)


def aid_totals(db, ceremony_id: int) -> dict[int, int]:
    """Each of the ceremony's cases' aid in rupiah, by case id (cases with none are absent)."""
    return dict(db.execute(
        "SELECT case_id, SUM(amount) FROM aid_items WHERE case_id IN "
        "(SELECT case_id FROM ceremony_cases WHERE ceremony_id = ?) GROUP BY case_id",
        [ceremony_id]).fetchall())


def documents(db, ceremony_id: int) -> list[dict]:
    """The ceremony's own documents (rosters, reports; not the women's letters), newest
    first; not those listing an anonymised woman (kept for the auditors)."""
    return list(db.query(
        "SELECT documents.* FROM ceremony_documents JOIN listed_documents AS documents "
        "ON documents.id = ceremony_documents.document_id WHERE ceremony_documents.ceremony_id = ? "
        f"AND ceremony_documents.case_id IS NULL AND NOT {LISTS_ANONYMISED} "
        "ORDER BY documents.id DESC", [ceremony_id]))


def listing(db, limit: int = 100) -> list[dict]:
    return list(db.query(
        "SELECT ceremonies.id, title, date, place, COUNT(ceremony_cases.case_id) AS cases "
        "FROM ceremonies LEFT JOIN ceremony_cases ON ceremony_cases.ceremony_id = ceremonies.id "
        "GROUP BY ceremonies.id ORDER BY date DESC, ceremonies.id DESC LIMIT ?", [limit]))


def ready_cases(db, *, facility: str | None = None, limit: int = 500) -> list[dict]:
    """Open cases in no ceremony: what a clerk ticks to build a ceremony."""
    sql = ("SELECT cases.id, cases.case_number, cases.full_name, cases.nik, cases.origin_region, "
           "facilities.name AS facility, "
           "(SELECT COALESCE(SUM(amount), 0) FROM aid_items WHERE case_id = cases.id) AS aid_total "
           "FROM cases JOIN facilities ON facilities.id = cases.facility_id "
           "LEFT JOIN ceremony_cases ON ceremony_cases.case_id = cases.id "
           "WHERE cases.status = 'open' AND ceremony_cases.case_id IS NULL")
    params: list = []
    if facility:
        sql += " AND facilities.name = ?"
        params.append(facility)
    sql += " ORDER BY cases.full_name COLLATE NOCASE, cases.id LIMIT ?"
    rows = list(db.query(sql, params + [limit]))
    for row in rows:
        row["nik_masked"] = nik_mask(row.pop("nik")) if row["nik"] else "-"
    return rows
