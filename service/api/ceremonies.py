"""Ceremonies and their print jobs (contract: ../shared/API.md; additions in docs/api.md)."""

import dataclasses

from flask import g, jsonify, request

from ..ceremonies import printer, printjobs, records
from ..clock import office_today
from ..ceremonies.queue import queue_for
from ..http.responses import print_result
from ..http.support import followed_job, get_db, log, public_base_url, runtime
from ..http.views import ceremony_view, job_options, job_view
from . import bp
from .auth import json_body, requires


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


@bp.post("/ceremonies/<int:ceremony_id>/release")
@requires("ceremony.write")
def release(ceremony_id):
    """After the ceremony: its women still open become `released`."""
    db = get_db()
    ids = records.release(db, ceremony_id, office_today())
    log("ceremony.release", target_type="ceremony", target_id=ceremony_id, detail={"case_ids": ids})
    return jsonify({"released": ids, **ceremony_view(db, records.get(db, ceremony_id))})


@bp.post("/ceremonies/<int:ceremony_id>/print")
@requires("ceremony.write")
def print_ceremony(ceremony_id):
    db = get_db()
    rt = runtime()
    job = printjobs.create(db, ceremony_id, json_body(), g.user, public_base_url())
    queue_for(rt).start(db, job["id"])
    log("print.create", target_type="print_job", target_id=job["id"],
        detail={"ceremony_id": ceremony_id, "total": job["total"], **job_options(job)})
    response = jsonify({"job_id": job["id"], **job_view(job)})
    response.headers["Location"] = f"/api/v1/jobs/{job['id']}"
    return response, 202


@bp.post("/ceremonies/<int:ceremony_id>/print/plan")
@requires("ceremony.read")
def print_plan(ceremony_id):
    """What POST .../print with this body would give each (case, kind): reuse, new,
    replace or keep, with the letter there is and what changed. Nothing is recorded."""
    decisions = printjobs.preview(get_db(), ceremony_id, json_body())
    return jsonify({"items": [dataclasses.asdict(d) for d in decisions],
                    "replaced": sum(d.action == "replace" for d in decisions),
                    "kept": sum(d.action == "keep" for d in decisions),
                    "reused": sum(d.action == "reuse" for d in decisions),
                    "new": sum(d.action == "new" for d in decisions)})


@bp.post("/jobs/<int:job_id>/cancel")
@requires("ceremony.write")
def cancel_job(job_id):
    job = printjobs.cancel(get_db(), job_id, g.user)
    log("print.cancel", target_type="print_job", target_id=job_id)
    return jsonify(job_view(job))


@bp.get("/jobs/<int:job_id>")
@requires("ceremony.read")
def get_job(job_id):
    return jsonify(job_view(followed_job(get_db(), job_id)))


def _finished(db, job_id: int) -> dict:
    return printjobs.result_of(db, job_id)


@bp.get("/jobs/<int:job_id>/result")
@requires("document.read")
def job_result(job_id):
    return print_result(_finished(get_db(), job_id))


@bp.post("/jobs/<int:job_id>/send")
@requires("ceremony.write")
def send_to_printer(job_id):
    db = get_db()
    job = _finished(db, job_id)
    settings = runtime().settings
    request_id = printer.send(settings, settings.archive / job["result_path"], job_id)
    job = printjobs.sent_to_printer(db, job_id, request_id)
    log("print.send", target_type="print_job", target_id=job_id, detail={"printer": settings.printer})
    return jsonify(job_view(job)), 202
