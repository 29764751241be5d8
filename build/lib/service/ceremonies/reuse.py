"""What each (case, kind) of a ceremony print gets, decided on the server when the job is
made and shown to the clerk before it is (issue 12): a letter already issued is never
replaced without her knowing.

    reuse    a valid letter of that kind exists and states what it would state now (the
             case's own letter, made on the case page or by an earlier print, or this
             ceremony's roster or report): printed again, same number
    new      none exists: a new number
    replace  one exists but its data changed (`changed` names what: identity, aid,
             release; ceremony, people, aid for a ceremony's papers): a new number, the
             old one superseded, when the print's `replace` choice includes it
    keep     the same, but the clerk chose to keep the old letter: printed again as it is

Also here: which of a case's valid letters hold old data now ("data berubah"), for the
case page. Facts are compared as in service/letters/facts.py.
"""

from dataclasses import dataclass, field

from ..errors import InvalidInput
from ..letters import facts
from ..letters.context import document_context
from ..records import office
from ..records.cases import get_case
from ..records.formats import as_date
from ..records.kinds import CEREMONY_KINDS
from . import records
from .context import case_document, ceremony_document

UNKNOWN = "unknown"  # a letter made before its facts were recorded


@dataclass
class Decision:
    case_id: int                 # 0: a ceremony's own paper
    kind: str
    action: str                  # reuse, new, replace, keep
    document_id: int | None = None   # the letter there is (reused, kept or replaced)
    number: str | None = None
    changed: list[str] = field(default_factory=list)


def _current(db, case_id: int, kind: str) -> dict | None:
    row = db.execute(
        "SELECT id, number, facts FROM documents WHERE case_id = ? AND kind = ? AND "
        "status = 'valid' AND path IS NOT NULL ORDER BY id DESC LIMIT 1", [case_id, kind]).fetchone()
    return dict(zip(("id", "number", "facts"), row)) if row else None


def _ceremony_current(db, ceremony_id: int, kind: str) -> dict | None:
    row = db.execute(
        "SELECT documents.id, documents.number, documents.facts FROM ceremony_documents "
        "JOIN documents ON documents.id = ceremony_documents.document_id "
        "WHERE ceremony_documents.ceremony_id = ? AND ceremony_documents.kind = ? AND "
        "ceremony_documents.case_id IS NULL AND documents.status = 'valid' AND "
        "documents.path IS NOT NULL ORDER BY documents.id DESC LIMIT 1",
        [ceremony_id, kind]).fetchone()
    return dict(zip(("id", "number", "facts"), row)) if row else None


def _decide(case_id, kind, existing, now, replace) -> Decision:
    if existing is None:
        return Decision(case_id, kind, "new")
    changed = facts.changed(existing["facts"], now)
    if changed == []:
        return Decision(case_id, kind, "reuse", existing["id"], existing["number"])
    wanted = replace == "changed" or (isinstance(replace, (list, set, tuple)) and existing["id"] in replace)
    return Decision(case_id, kind, "replace" if wanted else "keep", existing["id"],
                    existing["number"], changed or [UNKNOWN])


def plan(db, ceremony_id: int, cases: list[dict], kinds: list[str], replace="changed",
         who: dict[str, list[int]] | None = None) -> list[Decision]:
    """One decision per (case, kind), cases in print order (each with its destination,
    as printjobs.job_cases gives them). `replace`: "changed" (every letter whose data
    changed gets a new number), "none" (every existing letter is kept), or the ids of
    the letters to replace (the others kept). `who`: the cases each case kind is made
    for (printjobs: a woman gets only the receipts her aid needs); all unless given."""
    ceremony = records.get(db, ceremony_id)
    settings = office.get_all(db)
    out = []
    for kind in kinds:
        if kind in CEREMONY_KINDS:
            now = facts.of(ceremony_document(db, cases, ceremony, settings, number=""), kind)
            out.append(_decide(0, kind, _ceremony_current(db, ceremony_id, kind), now, replace))
            continue
        for case in cases:
            if who is not None and case["id"] not in who.get(kind, ()):
                continue
            now = facts.of(case_document(db, case, ceremony, settings, kind=kind, number=""), kind)
            out.append(_decide(case["id"], kind, _current(db, case["id"], kind), now, replace))
    return out


def stale_letters(db, case_id: int) -> dict[int, list[str]]:
    """{document id: what changed} for the case's valid letters whose data changed since
    they were made (UNKNOWN for letters made before their facts were recorded: not listed)."""
    case = get_case(db, case_id)
    settings = office.get_all(db)
    made_at = dict(db.execute(
        "SELECT document_id, ceremony_id FROM ceremony_documents WHERE case_id = ?", [case_id]).fetchall())
    stale = {}
    for doc in db.query("SELECT id, kind, issued_on, facts FROM documents WHERE case_id = ? "
                        "AND status = 'valid' AND facts IS NOT NULL", [case_id]):
        ceremony_id = made_at.get(doc["id"])
        if ceremony_id is not None:
            ceremony = records.get(db, ceremony_id)
            destination = db.execute("SELECT destination FROM ceremony_cases WHERE case_id = ? AND "
                                     "ceremony_id = ?", [case_id, ceremony_id]).fetchone()
            context = case_document(db, dict(case, destination=destination[0] if destination else ""),
                                    ceremony, settings, kind=doc["kind"], number="")
        else:
            try:
                context = document_context(db, case, settings, kind=doc["kind"], number="",
                                           issued_on=as_date(doc["issued_on"]))
            except InvalidInput:  # e.g. a release report whose recorded release was cleared
                stale[doc["id"]] = ["release"]
                continue
        changed = facts.changed(doc["facts"], facts.of(context, doc["kind"]))
        if changed:
            stale[doc["id"]] = changed
    return stale
