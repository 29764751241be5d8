"""The one search both the search page and POST /api/v1/search run: the request's fields
checked, the index asked, and an audit entry that says a search happened (never what was
searched for: the query may be a name)."""

import dataclasses

from ..errors import InvalidInput
from ..records import validate as v
from ..records.kinds import DOCUMENT_KINDS
from .support import log, runtime

_KINDS = ("case", *DOCUMENT_KINDS)  # "case": cases with no letter yet
CHECKS = {
    "q": lambda x: v.text(x, max_len=200),
    "facility": lambda x: v.text(x, max_len=200),
    "kind": lambda x: v.choice(x, _KINDS) if x else "",
    "from": v.date,
    "to": v.date,
    "page": lambda x: v.whole_number(x, minimum=1, maximum=10_000),
    "unsigned": v.flag,  # only valid letters not (wholly) back signed (issue 13)
}


def check_search(data: dict) -> dict:
    """The request's fields, checked (InvalidInput naming each bad one)."""
    clean, problems = v.collect(data, CHECKS)
    if problems:
        raise InvalidInput("the search has invalid fields", fields=problems)
    return clean


def run_search(data: dict) -> dict:
    clean = check_search(data)
    found = runtime().index.search(
        clean.get("q") or None, facility=clean.get("facility") or None,
        kind=clean.get("kind") or None, date_from=clean.get("from"), date_to=clean.get("to"),
        page=clean.get("page", 1), unsigned=clean.get("unsigned", False))
    results = dataclasses.asdict(found)  # total_cases counts ceremony papers too: total_papers
    log("search", detail={"has_query": bool(clean.get("q")),
                          "filters": sorted(k for k in ("facility", "kind", "from", "to", "unsigned")
                                            if clean.get(k)),
                          "results": results["total_cases"]})
    return results
