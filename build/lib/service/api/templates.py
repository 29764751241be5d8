"""Template versions over the API (admin): list, download, upload, preview, activate."""

from flask import Response, g, jsonify, request

from ..http.messages import as_json
from ..http.responses import template_docx
from ..http.support import get_db, log, runtime
from ..office_tools import template_versions as versions
from ..office_tools.problems import Refused
from ..office_tools.zipsafe import read_upload
from . import bp
from .auth import requires


def _view(row: dict) -> dict:
    return {"kind": row["kind"], "version": row["version"], "active": bool(row["active"]),
            "sha256": row["sha256"], "builtin": row["path"].startswith("builtin/"),
            "created_at": row["created_at"]}


def refused(exc: Refused):
    body = {"error": {"code": "invalid_upload" if exc.status == 400 else "too_large",
                      "message": "the file was refused; see problems",
                      "fields": {}},
            "problems": [as_json(p) for p in exc.problems]}
    return jsonify(body), exc.status


@bp.get("/templates/<kind>")
@requires("template.manage")
def list_templates(kind):
    return jsonify({"kind": kind, "versions": [_view(r) for r in versions.versions(get_db(), kind)]})


@bp.post("/templates/<kind>")
@requires("template.manage")
def upload_template(kind):
    versions.check_kind(kind)
    db = get_db()
    try:
        data = read_upload(request.files.get("file"))
        row = versions.upload(runtime(), db, kind, data, g.user)
    except Refused as exc:
        log("template.refused", target_type="template", target_id=kind,
            detail={"problems": sorted({p.code for p in exc.problems})})
        return refused(exc)
    if row["existing"]:  # the same file again: nothing new was kept
        return jsonify(dict(_view(row), problems=[], existing=True)), 200
    log("template.upload", target_type="template", target_id=kind,
        detail={"version": row["version"], "sha256": row["sha256"]})
    return jsonify(dict(_view(row), problems=[], existing=False,
                        warnings=[as_json(p) for p in row.get("warnings", [])])), 201


@bp.get("/templates/<kind>/<int:version>/docx")
@requires("template.manage")
def download_template(kind, version):
    return template_docx(kind, version)


@bp.get("/templates/<kind>/<int:version>/preview.pdf")
@requires("template.manage")
def preview_template(kind, version):
    row = versions.get_version(get_db(), kind, version)
    return Response(versions.preview_pdf(runtime(), row), mimetype="application/pdf",
                    headers={"Cache-Control": "no-store"})


@bp.post("/templates/<kind>/<int:version>/activate")
@requires("template.manage")
def activate_template(kind, version):
    row = versions.activate(get_db(), kind, version)
    log("template.activate", target_type="template", target_id=kind, detail={"version": version})
    return jsonify(_view(row))
