"""Ceremonies and their print jobs (contract: ../shared/API.md; additions in docs/api.md)."""

from flask import Response, g, jsonify, request

from ..ceremonies import printer, printjobs, records
from ..ceremonies.assemble import read_result
from ..ceremonies.queue import queue_for
from ..clock import now_iso
from ..errors import Conflict, NotFound
from ..http.support import get_db, log, runtime
from ..records.documents import public_view
from ..records.formats import nik_mask
from . import bp
from .auth import json_body, requires


def ceremony_view(db, ceremony: dict) -> dict:
    base = runtime().settings.base_url
    cases = records.cases(db, ceremony["id"])
    totals = dict(db.execute(
        "SELECT case_id, SUM(amount) FROM aid_items WHERE case_id IN "
        "(SELECT case_id FROM ceremony_cases WHERE ceremony_id = ?) GROUP BY case_id",
        [ceremony["id"]]).fetchall())
    documents = db.query(
        "SELECT documents.* FROM ceremony_documents JOIN documents ON documents.id = "
        "ceremony_documents.document_id WHERE ceremony_documents.ceremony_id = ? AND "
        "ceremony_documents.case_id IS NULL AND documents.status IN ('valid', 'void', 'superseded') "
        "ORDER BY documents.id DESC", [ceremony["id"]])
    return {
        **{k: ceremony[k] for k in ("id", "title", "date", "place", "officials",
                                    "created_at", "updated_at")},
        "cases": [{"case_id": c["id"], "case_number": c["case_number"],
                   "full_name": c["full_name"], "nik_masked": nik_mask(c["nik"]) if c["nik"] else "-",
                   "origin_region": c["origin_region"], "destination": c["destination"],
                   "facility": c["facility"], "status": c["status"],
                   "aid_total": totals.get(c["id"], 0)} for c in cases],
        "documents": [public_view(d, base) for d in documents],
        "jobs": [printjobs.view(j) for j in printjobs.for_ceremony(db, ceremony["id"])],
    }


@bp.post("/ceremonies")
@requires("ceremony.write")
def create_ceremony():
    db = get_db()
    ceremony = records.create(db, json_body(), g.user)
    log("ceremony.create", target_type="ceremony", target_id=ceremony["id"],
        detail={"cases": len(records.cases(db, ceremony["id"]))})
    return jsonify(ceremony_view(db, ceremony)), 201


@bp.get("/ceremonies")
@requires("ceremony.read")
def list_ceremonies():
    return jsonify({"ceremonies": records.listing(get_db())})


@bp.get("/ceremonies/ready-cases")
@requires("ceremony.read")
def ready_cases():
    """Open cases in no ceremony, for the page where a clerk ticks who is released."""
    found = records.ready_cases(get_db(), facility=request.args.get("facility") or None)
    log("ceremony.ready_cases", detail={"results": len(found)})
    return jsonify({"cases": found})


@bp.get("/ceremonies/<int:ceremony_id>")
@requires("ceremony.read")
def get_ceremony(ceremony_id):
    db = get_db()
    view = ceremony_view(db, records.get(db, ceremony_id))
    log("ceremony.read", target_type="ceremony", target_id=ceremony_id)
    return jsonify(view)


@bp.patch("/ceremonies/<int:ceremony_id>")
@requires("ceremony.write")
def update_ceremony(ceremony_id):
    db = get_db()
    data = json_body()
    ceremony = records.update(db, ceremony_id, data)
    log("ceremony.update", target_type="ceremony", target_id=ceremony_id,
        detail={"fields": sorted(data)})
    return jsonify(ceremony_view(db, ceremony))


@bp.post("/ceremonies/<int:ceremony_id>/cases")
@requires("ceremony.write")
def add_cases(ceremony_id):
    db = get_db()
    data = json_body()
    ceremony = records.add_cases(db, ceremony_id, data)
    log("ceremony.add_cases", target_type="ceremony", target_id=ceremony_id,
        detail={"case_ids": data.get("case_ids")})
    return jsonify(ceremony_view(db, ceremony))


@bp.patch("/ceremonies/<int:ceremony_id>/cases/<int:case_id>")
@requires("ceremony.write")
def set_destination(ceremony_id, case_id):
    db = get_db()
    ceremony = records.set_destination(db, ceremony_id, case_id, json_body())
    log("ceremony.destination", target_type="ceremony", target_id=ceremony_id,
        detail={"case_id": case_id})
    return jsonify(ceremony_view(db, ceremony))


@bp.delete("/ceremonies/<int:ceremony_id>/cases/<int:case_id>")
@requires("ceremony.write")
def remove_case(ceremony_id, case_id):
    db = get_db()
    ceremony = records.remove_case(db, ceremony_id, case_id)
    log("ceremony.remove_case", target_type="ceremony", target_id=ceremony_id,
        detail={"case_id": case_id})
    return jsonify(ceremony_view(db, ceremony))


@bp.post("/ceremonies/<int:ceremony_id>/print")
@requires("ceremony.write")
def print_ceremony(ceremony_id):
    db = get_db()
    rt = runtime()
    job = printjobs.create(db, ceremony_id, json_body(), g.user, rt.settings.base_url)
    queue_for(rt).start(db, job["id"])
    log("print.create", target_type="print_job", target_id=job["id"],
        detail={"ceremony_id": ceremony_id, "total": job["total"], **job_options(job)})
    response = jsonify({"job_id": job["id"], **job_view(job)})
    response.headers["Location"] = f"/api/v1/jobs/{job['id']}"
    return response, 202


def job_options(job: dict) -> dict:
    return {k: job["options"][k] for k in ("kinds", "copies", "duplex", "order")}


def job_view(job: dict) -> dict:
    settings = runtime().settings
    view = printjobs.view(job)
    view["printer"] = {**printer.availability(settings), "request_id": job["printer_job"],
                       "state": printer.state(settings, job["printer_job"])}
    return view


@bp.get("/jobs/<int:job_id>")
@requires("ceremony.read")
def get_job(job_id):
    return jsonify(job_view(printjobs.get(get_db(), job_id)))


def _finished(db, job_id: int) -> dict:
    job = printjobs.get(db, job_id)
    if job["state"] != "done":
        raise Conflict(f"the print job is {job['state']}, not done", fields={"state": job["state"]})
    return job


@bp.get("/jobs/<int:job_id>/result")
@requires("document.read")
def job_result(job_id):
    return result_response(_finished(get_db(), job_id))


def result_response(job: dict) -> Response:
    """A finished job's merged PDF, audited; named by job id, never by a person.
    Shared with the web's print-job page."""
    try:
        data = read_result(runtime(), job)
    except FileNotFoundError:
        raise NotFound("the print file is missing; start the print again") from None
    log("print.download", target_type="print_job", target_id=job["id"])
    response = Response(data, mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = f'attachment; filename="print-job-{job["id"]}.pdf"'
    return response


@bp.post("/jobs/<int:job_id>/send")
@requires("ceremony.write")
def send_to_printer(job_id):
    db = get_db()
    job = _finished(db, job_id)
    settings = runtime().settings
    request_id = printer.send(settings, settings.archive / job["result_path"], job_id)
    db["print_jobs"].update(job_id, {"printer_job": request_id, "updated_at": now_iso()})
    log("print.send", target_type="print_job", target_id=job_id, detail={"printer": settings.printer})
    return jsonify(job_view(printjobs.get(db, job_id))), 202
