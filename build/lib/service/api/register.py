"""The register of outgoing letters (docs/api.md): GET /register?year=YYYY."""

from flask import jsonify, request

from ..clock import office_today
from ..errors import InvalidInput
from ..http.support import get_db, log
from ..records import register
from . import bp
from .auth import requires


def year_param() -> int:
    raw = request.args.get("year") or str(office_today().year)
    if not raw.isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("which year?", fields={"year": "must be a year such as 2026"})
    return int(raw)


@bp.get("/register")
@requires("document.read")
def get_register():
    year = year_param()
    found = register.entries(get_db(), year)
    log("register.read", detail={"year": year, "entries": len(found)})
    return jsonify({"year": year, "entries": [
        {k: e[k] for k in ("number", "date", "kind", "subject", "status")} for e in found]})
