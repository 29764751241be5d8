"""Ceremony pages: plan a release ceremony (who, when, where, which officials), tick the
cases released there, and print all their papers in one job with a progress bar.

The rules live in service.ceremonies (the API uses the same functions); this module
only turns forms into their input and their answers into pages."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..ceremonies import printjobs, records
from ..ceremonies.queue import queue_for
from ..errors import Conflict, InvalidInput
from ..http.responses import print_result
from ..http.support import followed_job, get_db, log, public_base_url, runtime
from ..http.views import ceremony_view, job_view
from ..clock import office_today
from ..records import office
from ..records.cases import get_case
from ..records.formats import parse_tanggal
from ..records.kinds import DOCUMENT_KINDS as KINDS
from .auth import requires
from .i18n import CHANGE_LABELS, JOB_STATES, field_reason
from .refusals import refusal

bp = Blueprint("ceremonies", __name__)


def _office_officials(db) -> list[tuple[str, dict]]:
    """The office's officials that have a name, as (key, official) for the picker."""
    return [(key, o) for key, o in office.get_all(db)["officials"].items()
            if isinstance(o, dict) and (o.get("name") or "").strip()]


def _officials(db, form) -> list[dict]:
    """The office's officials ticked (as the settings hold them, NIP and pangkat included)
    and the rows typed for others (a row with nothing typed is no official)."""
    chosen = dict(_office_officials(db))
    picked = [{k: chosen[key].get(k, "") for k in ("name", "title", "rank", "nip")}
              for key in form.getlist("official") if key in chosen]
    for i in range(1, 4):
        row = {part: form.get(f"other_{part}-{i}", "").strip() for part in ("name", "title", "rank", "nip")}
        if any(row.values()):
            picked.append(row)
    return picked


def _field_problems(exc) -> dict:
    """{field: sentence} for the form; refusals not about one field under ''."""
    db = get_db()
    fields = {name: field_reason(name, why) for name, why in exc.fields.items()
              if name in ("title", "date", "place", "officials")}
    rest = [why for why in refusal(db, exc) if why not in fields.values()]
    if rest and len(fields) < len(exc.fields):
        fields[""] = rest
    return fields


@bp.get("/ceremonies")
@requires("ceremony.read")
def index(problems=None, values=None, status=200):
    db = get_db()
    log("ceremony.list")
    chosen = set((values or {}).getlist("official")) if values else {"head"}
    return render_template("web/ceremonies.html", ceremonies=records.listing(db),
                           ready=records.ready_cases(db), problems=problems or {},
                           values=values or {}, office_officials=_office_officials(db),
                           chosen=chosen), status


@bp.post("/ceremonies")
@requires("ceremony.write")
def create():
    form = request.form
    db = get_db()
    day = parse_tanggal(form.get("date"))
    data = {"title": form.get("title", ""), "date": day.isoformat() if day else form.get("date", ""),
            "place": form.get("place", ""), "officials": _officials(db, form),
            "case_ids": [int(x) for x in form.getlist("case_ids") if x.isdigit()]}
    try:
        if form.get("date", "").strip() and not day:
            raise InvalidInput("the ceremony has invalid fields",
                               fields={"date": "must be a date written dd/mm/yyyy"})
        ceremony = records.create(db, data, current_user.row)
    except (InvalidInput, Conflict) as exc:
        return index(problems=_field_problems(exc), values=form, status=exc.status)
    log("ceremony.create", target_type="ceremony", target_id=ceremony["id"],
        detail={"cases": len(data["case_ids"])})
    flash(_("Pelepasan tersimpan dengan %(n)d penerima manfaat.", n=len(data["case_ids"])), "success")
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony["id"]))


@bp.get("/ceremonies/<int:ceremony_id>")
@requires("ceremony.read")
def view(ceremony_id, problems=None, status=200):
    db = get_db()
    ceremony = ceremony_view(db, records.get(db, ceremony_id))
    for job in ceremony["jobs"]:
        job["state_label"] = JOB_STATES.get(job["state"], job["state"])
    log("ceremony.read", target_type="ceremony", target_id=ceremony_id)
    return render_template("web/ceremony.html", ceremony=ceremony, ready=records.ready_cases(db),
                           kinds=KINDS, defaults=printjobs.DEFAULT_COPIES,
                           problems=problems or [], held=ceremony["date"] <= office_today().isoformat(),
                           open_cases=sum(c["status"] == "open" for c in ceremony["cases"])), status


@bp.post("/ceremonies/<int:ceremony_id>/cases")
@requires("ceremony.write")
def add_cases(ceremony_id):
    ids = [int(x) for x in request.form.getlist("case_ids") if x.isdigit()]
    db = get_db()
    try:
        records.add_cases(db, ceremony_id, {"case_ids": ids})
    except (InvalidInput, Conflict) as exc:
        return view(ceremony_id, problems=refusal(db, exc), status=exc.status)
    log("ceremony.add_cases", target_type="ceremony", target_id=ceremony_id, detail={"case_ids": ids})
    flash(ngettext("%(num)d penerima manfaat ditambahkan.", "%(num)d penerima manfaat ditambahkan.",
                   len(ids)), "success")
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))


@bp.route("/ceremonies/<int:ceremony_id>/cases/<int:case_id>/remove", methods=["GET", "POST"])
@requires("ceremony.write")
def remove_case(ceremony_id, case_id):
    """GET asks (the woman named, what happens to her letters); POST removes."""
    db = get_db()
    ceremony = records.get(db, ceremony_id)
    case = get_case(db, case_id)
    if request.method == "GET":
        return render_template(
            "web/confirm.html", title=_("Keluarkan dari pelepasan?"),
            question=_("Keluarkan %(name)s dari %(ceremony)s?", name=case["full_name"], ceremony=ceremony["title"]),
            explanation=_("Surat-suratnya yang sudah dibuat tetap sah. Cetakan berikutnya membuat daftar penerima bantuan dan berita acara tanpa dia. Dia dapat ditambahkan lagi nanti."),
            action=url_for("ceremonies.remove_case", ceremony_id=ceremony_id, case_id=case_id),
            button=_("Ya, keluarkan"), back=url_for("ceremonies.view", ceremony_id=ceremony_id))
    records.remove_case(db, ceremony_id, case_id)
    log("ceremony.remove_case", target_type="ceremony", target_id=ceremony_id, detail={"case_id": case_id})
    flash(_("%(name)s dikeluarkan dari pelepasan.", name=case["full_name"]), "success")
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))


@bp.post("/ceremonies/<int:ceremony_id>/release")
@requires("ceremony.write")
def release(ceremony_id):
    """After the ceremony: its women are marked released (dipulangkan), in one action."""
    db = get_db()
    try:
        ids = records.release(db, ceremony_id, office_today())
    except Conflict:
        flash(_("Upacara ini belum berlangsung. Tandai dipulangkan setelah upacara."), "error")
        return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))
    log("ceremony.release", target_type="ceremony", target_id=ceremony_id, detail={"case_ids": ids})
    flash(ngettext("%(num)d penerima manfaat ditandai dipulangkan.",
                   "%(num)d penerima manfaat ditandai dipulangkan.", len(ids)), "success")
    return redirect(url_for("ceremonies.view", ceremony_id=ceremony_id))


def _print_request(form) -> dict:
    kinds = [k for k in KINDS if k in form.getlist("kinds")]
    copies = {}
    for kind in kinds:
        raw = form.get(f"copies-{kind}", "1")
        copies[kind] = int(raw) if raw.isdigit() else raw  # the record layer says what is wrong
    return {"kinds": kinds, "copies": copies, "duplex": form.get("duplex") == "on",
            "order": form.get("order", "name")}


@bp.post("/ceremonies/<int:ceremony_id>/print")
@requires("ceremony.write")
def print_papers(ceremony_id):
    """Print, unless a letter already issued would hold old data: then first a page that
    lists those letters and why, where the clerk chooses for each to make it again (new
    number, the old one superseded) or print the old one as it is."""
    form = request.form
    data = _print_request(form)
    db = get_db()
    rt = runtime()
    try:
        if form.get("confirmed") != "1":
            decisions = printjobs.preview(db, ceremony_id, dict(data, replace="none"))
            changed = [d for d in decisions if d.action == "keep"]
            if changed:
                return _confirm_page(db, ceremony_id, data, decisions, changed)
            data["replace"] = "none"
        else:
            data["replace"] = [int(x) for x in form.getlist("replace") if x.isdigit()]
        job = printjobs.create(db, ceremony_id, data, current_user.row, public_base_url())
    except (InvalidInput, Conflict) as exc:
        return view(ceremony_id, problems=refusal(db, exc), status=exc.status)
    queue_for(rt).start(db, job["id"])
    log("print.create", target_type="print_job", target_id=job["id"],
        detail={"ceremony_id": ceremony_id, "total": job["total"]})
    return redirect(url_for("ceremonies.job", job_id=job["id"]))


def _confirm_page(db, ceremony_id, data, decisions, changed):
    ceremony = records.get(db, ceremony_id)
    names = {c["id"]: c["full_name"] for c in records.cases(db, ceremony_id)}
    counts = {action: sum(d.action == action for d in decisions) for action in ("reuse", "new")}
    return render_template("web/print_confirm.html", ceremony=ceremony, data=data,
                           changed=changed, names=names, counts=counts, kinds=KINDS,
                           CHANGE_LABELS=CHANGE_LABELS)


@bp.post("/jobs/<int:job_id>/cancel")
@requires("ceremony.write")
def cancel(job_id):
    try:
        printjobs.cancel(get_db(), job_id, current_user.row)
    except Conflict:
        flash(_("Cetakan ini sudah selesai, jadi tidak dapat dibatalkan."), "info")
    else:
        log("print.cancel", target_type="print_job", target_id=job_id)
        flash(_("Cetakan dibatalkan. Surat yang sudah jadi tetap sah; yang belum jadi tidak dibuat."), "success")
    return redirect(url_for("ceremonies.job", job_id=job_id))


def _job(job_id: int, *, follow: bool = False) -> dict:
    db = get_db()
    found = job_view(followed_job(db, job_id) if follow else printjobs.get(db, job_id))
    found["state_label"] = str(JOB_STATES.get(found["state"], found["state"]))
    found["reused"] = db.execute("SELECT count(*) FROM print_job_items WHERE job_id = ? AND reused = 1",
                                 [job_id]).fetchone()[0]
    return found


@bp.get("/jobs/<int:job_id>")
@requires("ceremony.read")
def job(job_id):
    return render_template("web/print_job.html", job=_job(job_id))


@bp.get("/jobs/<int:job_id>/progress")
@requires("ceremony.read")
def progress(job_id):
    """What the progress bar polls (ids, counts and the state's label only); `?wait=S`
    answers at the job's next step (printjobs.next_change)."""
    found = _job(job_id, follow=True)
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
