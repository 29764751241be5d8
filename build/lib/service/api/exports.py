"""Exports of the case, aid and document lists (NIKs masked unless full=1 by a
supervisor or admin; the full list is audited as such)."""

from flask import g, request

from ..http.responses import export_list as export_download
from . import bp
from .auth import requires


@bp.get("/exports/<what>.<fmt>")
@requires("export")
def export_list(what, fmt):
    return export_download(what, fmt, request.args.get("full") in ("1", "true"), g.user["role"])
