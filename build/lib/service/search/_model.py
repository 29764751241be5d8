"""The plain data the search package takes and gives back (no Whoosh types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class IndexEntry:
    """One per document; also one per case with doc_id=None, so a case with no letters
    yet is findable. A document with no case (a ceremony's roster) has case_id 0.
    A document entry with text None keeps the text the index holds for it (a change of
    status does not send the letter's text again)."""

    case_id: int
    case_number: str
    full_name: str
    nik: str
    facility: str
    origin_region: str
    doc_id: int | None = None
    kind: str = "case"
    number: str = ""
    created_at: datetime | None = None
    status: str = "valid"
    text: str | None = ""
    signed: bool = False  # every page came back signed (issue 13)

    @property
    def key(self) -> str:
        return f"c:{self.case_id}" if self.doc_id is None else f"d:{self.doc_id}"


@dataclass
class CaseHit:
    case_id: int
    case_number: str
    full_name: str
    facility: str
    score: float
    # The case's matching documents, best first: {id, kind, number, created_at (ISO), status}
    documents: list[dict] = field(default_factory=list)
    # field name (as in IndexEntry) → HTML snippet, escaped, matches in <mark>…</mark>
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass
class SearchResults:
    total_cases: int    # every result: cases, and ceremony papers (no case) found on their own
    page: int
    pagelen: int
    results: list[CaseHit] = field(default_factory=list)
    total_papers: int = 0   # of total_cases, the ceremony papers
