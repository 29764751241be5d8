"""The Whoosh schema, and how an IndexEntry becomes a Whoosh document.

The schema is pickled into the index's table of contents, so it holds only stock Whoosh
analyzers; the forgiving-name work is done in `_analysis.name_tokens` before indexing.
Bump SCHEMA_VERSION whenever a field or an analyzer changes: an index written with
another version is recreated empty (it is derived data; the caller rebuilds it).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime

from whoosh.analysis import IDAnalyzer
from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, Schema

from ..clock import office_zone
from . import _analysis as an
from ._model import IndexEntry

SCHEMA_VERSION = 5  # 4: blind NIK terms, no NIK in letter text (issue 10); 5: `signed` (issue 13)
VERSION_FILE = "pulang-search-schema"


def build_schema() -> Schema:
    """Two sorts of entry share the schema. A case entry ("c:<case_id>") holds what belongs
    to the person: names, NIK, case number, facility, origin. A document entry
    ("d:<doc_id>") holds what belongs to the letter: kind, number, date, status, text.
    A search joins them by case_id, so a name is indexed once per case, not once per
    letter, and the letter text is indexed without the case's own name words."""
    tokens = an.tokens_analyzer()
    words = an.words_analyzer()
    lower_id = IDAnalyzer(lowercase=True)
    return Schema(
        key=ID(unique=True, stored=True, sortable=True),       # "d:<doc_id>" / "c:<case_id>"
        case_id=NUMERIC(int, bits=64, stored=True, sortable=True),
        kind=ID(stored=True),                                  # "case" for a case entry
        # case entries
        case_number=ID(stored=True, analyzer=lower_id),
        full_name=STORED,
        name=TEXT(analyzer=tokens, phrase=False),
        name_norm=TEXT(analyzer=tokens, phrase=False),
        name_phon=TEXT(analyzer=tokens, phrase=False),
        name_pre=TEXT(analyzer=tokens, phrase=False),
        nik=ID,                                                # a keyed hash: see blind_nik
        facility=ID(stored=True),                              # exact name, for the filter
        facility_words=TEXT(analyzer=words, phrase=False),
        origin=TEXT(analyzer=words, phrase=False, stored=True),
        # document entries
        doc_id=STORED,
        number=ID(stored=True, analyzer=lower_id),
        created=DATETIME(sortable=True),                       # office-local wall time
        created_at=STORED,                                     # ISO string as given
        status=ID(stored=True),
        signed=ID(stored=True),                                # "yes" once every page came back signed
        text=TEXT(analyzer=an.text_analyzer(), phrase=False, stored=True),
    )


def local_naive(value: datetime | date | None) -> datetime | None:
    """The office-local wall time of a timestamp (the date filters speak office dates)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        raise TypeError("created_at must be a datetime or None")
    if value.tzinfo is not None:
        value = value.astimezone(office_zone()).replace(tzinfo=None)
    return value


def _check(entry: IndexEntry) -> None:
    if not isinstance(entry, IndexEntry):
        raise TypeError(f"expected IndexEntry, got {type(entry).__name__}")
    if not isinstance(entry.case_id, int) or isinstance(entry.case_id, bool):
        raise TypeError("case_id must be an int")
    if entry.doc_id is not None and (not isinstance(entry.doc_id, int) or isinstance(entry.doc_id, bool)):
        raise TypeError("doc_id must be an int or None")
    for name in ("case_number", "full_name", "nik", "facility", "origin_region", "kind",
                 "number", "status"):
        if not isinstance(getattr(entry, name), str):
            raise TypeError(f"{name} must be a str")
    if not isinstance(entry.text, str) and (entry.text is not None or entry.doc_id is None):
        raise TypeError("text must be a str (or None on a document entry: keep the indexed text)")


def case_entry_of(entry: IndexEntry) -> IndexEntry:
    """The case entry implied by a document entry (its case fields)."""
    return IndexEntry(case_id=entry.case_id, case_number=entry.case_number,
                      full_name=entry.full_name, nik=entry.nik, facility=entry.facility,
                      origin_region=entry.origin_region)


# A NIK written in a letter (16 digits, alone): never stored or indexed as such.
_NIK_IN_TEXT = re.compile(r"(?<!\d)\d{16}(?!\d)")


def blind_nik(key: bytes | None, digits: str) -> str:
    """The index's term for a NIK: HMAC-SHA256 with the key from the key folder (a
    "blind index"). Whoever reads the index files learns no NIK, and cannot test guesses
    without the key (NIKs are structured: region, birth date, a 4-digit serial, so an
    unkeyed hash would fall to a few billion tries). No key: no NIK term at all."""
    if not key or not digits:
        return ""
    return hmac.new(key, digits.encode(), hashlib.sha256).hexdigest()[:32]


def without_niks(text: str) -> str:
    return _NIK_IN_TEXT.sub(" ", text)


def to_document(entry: IndexEntry, nik_key: bytes | None = None) -> dict:
    """The Whoosh document for an entry. Raises TypeError on a malformed entry."""
    _check(entry)
    nik = "".join(ch for ch in entry.nik if ch.isdigit())
    if entry.doc_id is None:
        doc = {"key": entry.key, "case_id": entry.case_id, "kind": "case",
               "full_name": entry.full_name}
        doc.update((k, v) for k, v in an.name_tokens(entry.full_name).items() if v)
        optional = {
            "case_number": entry.case_number,
            "nik": blind_nik(nik_key, nik),
            "facility": entry.facility,
            "facility_words": entry.facility,
            "origin": entry.origin_region,
        }
        doc.update((k, v) for k, v in optional.items() if v)
        return doc
    doc = {"key": entry.key, "case_id": entry.case_id, "doc_id": entry.doc_id,
           "kind": entry.kind or "case", "status": entry.status or "valid",
           "signed": "yes" if entry.signed else "no"}
    if entry.number:
        doc["number"] = entry.number
    if entry.text:
        # The case's own name and NIK are found through the case entry; leaving them out
        # of the letter's terms keeps a common name's postings short. No NIK of anyone
        # (a roster lists many) is kept in the stored or the indexed text.
        text = without_niks(entry.text)
        doc["text"] = an.without_words(text, an.name_words(entry.full_name))
        doc["_stored_text"] = text
    created = local_naive(entry.created_at)
    if created is not None:
        doc["created"] = created
        doc["created_at"] = entry.created_at.isoformat()
    return doc
