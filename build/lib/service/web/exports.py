"""Export page: the case, aid and document lists as XLSX or CSV (same rules as the API)."""

from flask import Blueprint, render_template, request
from flask_login import current_user

from ..http.responses import export_list
from ..office_tools.exports import FORMATS, LISTS
from .auth import requires

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.get("")
@requires("export")
def index():
    return render_template("web/exports.html", lists=list(LISTS), formats=FORMATS)


@bp.get("/<what>.<fmt>")
@requires("export")
def download(what, fmt):
    return export_list(what, fmt, request.args.get("full") == "1", current_user.role, readable=True)
