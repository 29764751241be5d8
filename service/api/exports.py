"""Exports of the case, aid and document lists (NIKs masked unless full=1 by a
supervisor or admin; the full list is audited as such)."""

from flask import g, request

from ..auth.roles import allowed
from ..errors import Forbidden, NotFound
from ..http.support import get_db, log
from ..office_tools import exports
from . import bp
from .auth import requires

MIMETYPES = {"csv": "text/csv",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def export_response(what: str, fmt: str, full: bool, role: str):
    from flask import Response
    if what not in exports.LISTS or fmt not in exports.FORMATS:
        raise NotFound("no such list or format")
    if full and not allowed(role, "export.full"):
        raise Forbidden("only a supervisor or an admin may export whole NIKs")
    header, body = exports.rows(get_db(), what, full_nik=full)
    data = exports.to_csv(header, body) if fmt == "csv" else exports.to_xlsx(header, body)
    log("export.full" if full else "export", target_type="list", target_id=what,
        detail={"format": fmt, "rows": len(body)})
    name = f"pulang-{what}{'-lengkap' if full else ''}.{fmt}"  # never a person's name
    return Response(data, mimetype=MIMETYPES[fmt], headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/exports/<what>.<fmt>")
@requires("export")
def export_list(what, fmt):
    return export_response(what, fmt, request.args.get("full") in ("1", "true"), g.user["role"])
