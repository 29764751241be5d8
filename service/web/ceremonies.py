"""Ceremony pages: plan a release ceremony (who, when, where, which officials), tick the
cases released there, and print all their papers in one job with a progress bar.

The rules live in service.ceremonies (the API uses the same functions); this module
only turns forms into their input and their answers into pages."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..ceremonies import printjobs, records
from ..ceremonies.queue import queue_for
from ..errors import Conflict, InvalidInput
from ..http.responses import print_result
from ..http.support import get_db, log, runtime
from ..http.views import ceremony_view, job_view
from ..records.formats import parse_tanggal
from ..records.kinds import DOCUMENT_KINDS as KINDS
from .auth import requires
from .i18n import reasons

bp = Blueprint("ceremonies", __name__)


def _officials(text: str) -> list[dict]:
    """One official a line, "Name | Title | NIP", as clerks copy them from a letter."""
    officials = []
    for line in (text or "").splitlines():
        if line.strip():
            parts = [p.strip() for p in line.split("|")] + ["", ""]
            officials.append({"name": parts[0], "title": parts[1], "nip": parts[2]})
    return officials


@bp.get("/ceremonies")
@requires("ceremony.read")
def index(problems=None, values=None, status=200):
    db = get_db()
    log("ceremony.list")
    return render_template("web/ceremonies.html", ceremonies=records.listing(db),
                           ready=records.ready_cases(db), problems=problems or {},
                           values=values or {}), status


@bp.post("/ceremonies")
@requires("ceremony.write")
def create():
    form = request.form
    day = parse_tanggal(form.get("date"))
    data = {"title": form.get("title", ""), "date": day.isoformat() if day else form.get("date", ""),
            "place": form.get("place", ""), "officials": _officials(form.get("officials", "")),
            "case_ids": [int(x) for x in form.getlist("case_ids") if x.isdigit()]}
    try:
        ceremony = records.create(get_db(), data, current_user.row)
    except InvalidInput as exc:
        return index(problems=reasons(exc.fields), values=form, status=400)
    log("ceremony.create", target_type="ceremony", target_id=ceremony["id"],
        detail={"cases": len(data["case_ids"])})
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony["id"]))


@bp.get("/ceremonies/<int:ceremony_id>")
@requires("ceremony.read")
def view(ceremony_id, problems=None, status=200):
    db = get_db()
    ceremony = ceremony_view(db, records.get(db, ceremony_id))
    log("ceremony.read", target_type="ceremony", target_id=ceremony_id)
    return render_template("web/ceremony.html", ceremony=ceremony, ready=records.ready_cases(db),
                           kinds=KINDS, defaults=printjobs.DEFAULT_COPIES,
                           problems=problems or {}), status


@bp.post("/ceremonies/<int:ceremony_id>/cases")
@requires("ceremony.write")
def add_cases(ceremony_id):
    ids = [int(x) for x in request.form.getlist("case_ids") if x.isdigit()]
    try:
        records.add_cases(get_db(), ceremony_id, {"case_ids": ids})
    except (InvalidInput, Conflict) as exc:
        return view(ceremony_id, problems=reasons(exc.fields), status=exc.status)
    log("ceremony.add_cases", target_type="ceremony", target_id=ceremony_id, detail={"case_ids": ids})
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))


@bp.post("/ceremonies/<int:ceremony_id>/cases/<int:case_id>/remove")
@requires("ceremony.write")
def remove_case(ceremony_id, case_id):
    records.remove_case(get_db(), ceremony_id, case_id)
    log("ceremony.remove_case", target_type="ceremony", target_id=ceremony_id, detail={"case_id": case_id})
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))


@bp.post("/ceremonies/<int:ceremony_id>/print")
@requires("ceremony.write")
def print_papers(ceremony_id):
    form = request.form
    kinds = [k for k in KINDS if k in form.getlist("kinds")]
    copies = {}
    for kind in kinds:
        raw = form.get(f"copies-{kind}", "1")
        copies[kind] = int(raw) if raw.isdigit() else raw  # the record layer says what is wrong
    data = {"kinds": kinds, "copies": copies, "duplex": form.get("duplex") == "on",
            "order": form.get("order", "name")}
    db = get_db()
    rt = runtime()
    try:
        job = printjobs.create(db, ceremony_id, data, current_user.row, rt.settings.base_url)
    except (InvalidInput, Conflict) as exc:
        return view(ceremony_id, problems=reasons(exc.fields), status=exc.status)
    queue_for(rt).start(db, job["id"])
    log("print.create", target_type="print_job", target_id=job["id"],
        detail={"ceremony_id": ceremony_id, "total": job["total"]})
    return redirect(url_for("ceremonies.job", job_id=job["id"]))


@bp.get("/jobs/<int:job_id>")
@requires("ceremony.read")
def job(job_id):
    found = job_view(printjobs.get(get_db(), job_id))
    return render_template("web/print_job.html", job=found)


@bp.get("/jobs/<int:job_id>/progress")
@requires("ceremony.read")
def progress(job_id):
    """What the progress bar polls (ids and counts only)."""
    found = job_view(printjobs.get(get_db(), job_id))
    found["result_url"] = url_for("ceremonies.result", job_id=job_id) if found["result_url"] else None
    return jsonify(found)


@bp.get("/jobs/<int:job_id>/result")
@requires("document.read")
def result(job_id):
    found = printjobs.get(get_db(), job_id)
    if found["result_removed"]:
        flash(_("Hasil cetakan ini dihapus karena anonimisasi."), "info")
        return redirect(url_for("ceremonies.job", job_id=job_id))
    if found["state"] != "done":
        flash(_("Cetakan belum selesai."), "warning")
        return redirect(url_for("ceremonies.job", job_id=job_id))
    return print_result(found)
