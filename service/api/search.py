import dataclasses

from flask import jsonify

from ..errors import InvalidInput
from ..http.support import get_db, log, runtime
from ..records import validate as v
from . import bp
from .auth import json_body, requires

_KINDS = ("case", "pledge", "aid_receipt", "release_report", "aid_roster", "ceremony_report")
CHECKS = {
    "q": lambda x: v.text(x, max_len=200),
    "facility": lambda x: v.text(x, max_len=200),
    "kind": lambda x: v.choice(x, _KINDS) if x else "",
    "from": v.date,
    "to": v.date,
    "page": lambda x: v.whole_number(x, minimum=1, maximum=10_000),
}


def run_search(data: dict) -> dict:
    clean, problems = v.collect(data, CHECKS)
    if problems:
        raise InvalidInput("the search has invalid fields", fields=problems)
    found = runtime().index.search(
        clean.get("q") or None, facility=clean.get("facility") or None,
        kind=clean.get("kind") or None, date_from=clean.get("from"), date_to=clean.get("to"),
        page=clean.get("page", 1))
    results = dataclasses.asdict(found)
    # The query itself may be a name: the log records that a search happened, not what.
    log("search", detail={"has_query": bool(clean.get("q")),
                          "filters": sorted(k for k in ("facility", "kind", "from", "to") if clean.get(k)),
                          "results": results["total_cases"]})
    return results


@bp.post("/search")
@requires("search")
def search():
    return jsonify(run_search(json_body()))
