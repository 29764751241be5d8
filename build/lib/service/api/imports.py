"""Imports of case lists over the API (writers): preview by default, commit=true to add."""

import json

from flask import g, jsonify, request

from ..errors import InvalidInput
from ..http.responses import import_report as report_download
from ..http.support import get_db, log
from ..http.views import import_summary
from ..office_tools import import_flow
from ..office_tools.problems import Refused
from ..office_tools.zipsafe import read_upload
from . import bp
from .auth import requires
from .templates import refused


def _json_field(name: str, default):
    raw = request.form.get(name)
    if raw in (None, ""):
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be JSON", fields={name: "must be JSON"}) from None


@bp.post("/imports")
@requires("import")
def import_cases():
    db = get_db()
    mapping = _json_field("mapping", None)
    create = _json_field("create_facilities", [])
    if not isinstance(create, list) or not all(isinstance(n, str) for n in create):
        raise InvalidInput("create_facilities must be a list of names",
                           fields={"create_facilities": "must be a list of names"})
    commit = request.form.get("commit", "false").lower() in ("1", "true", "yes")
    try:
        data = read_upload(request.files.get("file"))
        headers, mapping, preview = import_flow.prepare(db, data, mapping, create)
    except Refused as exc:
        return refused(exc)
    if not commit:
        log("import.preview", detail={"rows": len(preview.rows)})
        return jsonify(import_summary(preview, headers, mapping))
    report = import_flow.confirm(db, preview, headers, mapping, g.user, log)
    return jsonify({"id": report["id"], "rows": report["rows"], "added": report["added"],
                    "skipped": report["skipped"],
                    "report_url": f"/api/v1/imports/{report['id']}/report.csv"}), 201


@bp.get("/imports/<int:report_id>/report.csv")
@requires("import")
def import_report(report_id):
    return report_download(report_id)
