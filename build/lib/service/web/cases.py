"""Case pages: the home list, create and edit, aid items, letters to generate, and the
NIK check the form calls as the clerk types.

Every page that shows a case is audited (who, when, which case id); the audit detail
never holds a name or a NIK.
"""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..clock import office_today
from ..errors import Conflict, InvalidInput, PulangError
from ..ceremonies.reuse import stale_letters
from ..http.support import get_db, log, runtime
from ..http.views import aid_change
from ..letters.pipeline import generate_case_document
from ..letters.render import RenderError
from ..auth.users import usernames
from ..records import cases as records
from ..records import overview, signed_copies
from ..records import validate as v
from ..records.documents import case_documents
from ..records.formats import parse_tanggal, rupiah
from ..records.kinds import CASE_KINDS, CASE_STATUSES
from ..records.nik import check_nik
from .auth import requires
from .forms import ActionForm, AidForm, CaseForm
from .i18n import AID_LABELS, CHANGE_LABELS, KIND_LABELS, reason, reasons, render_failure

bp = Blueprint("cases", __name__)
RECENT = 15
LIST_PAGE = 50


@bp.get("/")
@requires("case.read")
def home():
    db = get_db()
    year = office_today().year
    recent = overview.recent_cases(db, RECENT)
    stats = overview.figures(db, year)
    log("case.list", detail={"shown": len(recent)})
    return render_template("web/home.html", recent=recent, stats=stats, year=str(year))


@bp.get("/cases")
@requires("case.read")
def listing():
    """Every case, newest first, filtered by status and location (neither is personal,
    so they travel in the URL; finding a name is the search page's job)."""
    db = get_db()
    status = request.args.get("status", "")
    status = status if status in CASE_STATUSES and status != "anonymised" else ""
    facilities = records.facility_names(db)
    facility = request.args.get("facility", "")
    facility = facility if facility in facilities else ""
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) <= 100_000 else 1
    total, rows = overview.case_list(db, status=status, facility=facility, limit=LIST_PAGE,
                                     offset=(page - 1) * LIST_PAGE)
    log("case.list", detail={"shown": len(rows), "page": page,
                             "filters": sorted(k for k, val in (("status", status), ("facility", facility)) if val)})
    args = {k: val for k, val in (("status", status), ("facility", facility)) if val}
    return render_template("web/cases.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // LIST_PAGE)), status=status, facility=facility,
                           facilities=facilities, statuses=[s for s in CASE_STATUSES if s != "anonymised"],
                           args=args)


def _save_case(form: CaseForm, case_id: int | None):
    """Create or update through service.records.cases; on refusal, put the reasons on the form.
    Returns (case, warnings) or None."""
    db = get_db()
    try:
        if case_id is None:
            case, warnings = records.create_case(db, form.record(), current_user.row)
        else:
            case, warnings = records.update_case(db, case_id, form.record())
    except Conflict as exc:
        form.nik.errors = [reason("already recorded on another case")]
        form.duplicate_of = records.get_case(db, exc.extra["existing_case_id"])
        return None
    except InvalidInput as exc:
        for name, why in reasons(exc.fields).items():
            field = getattr(form, name, None) or form.full_name
            field.errors = list(field.errors) + [why]
        return None
    return case, warnings


def _case_form(case: dict | None):
    db = get_db()
    form = CaseForm(data=case)
    form.set_facilities(records.facility_names(db))
    form.duplicate_of = None
    if form.validate_on_submit():
        saved = _save_case(form, case["id"] if case else None)
        if saved:
            new, warnings = saved
            if case is None:
                log("case.create", target_type="case", target_id=new["id"])
                flash(_("Kasus %(number)s tersimpan.", number=new["case_number"]), "success")
            else:
                log("case.update", target_type="case", target_id=new["id"],
                    detail={"fields": sorted(f for f in form.record() if f != "allow_duplicate")})
                flash(_("Perubahan tersimpan."), "success")
                _old_data_notice(get_db(), new["id"])
            for warning in warnings:
                flash(reason(warning), "warning")
            return redirect(url_for("cases.view", case_id=new["id"]))
    status = 400 if form.is_submitted() else 200
    return render_template("web/case_form.html", form=form, case=case), status


@bp.route("/cases/new", methods=["GET", "POST"])
@requires("case.write")
def new():
    return _case_form(None)


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@requires("case.write")
def edit(case_id):
    case = records.get_case(get_db(), case_id)
    if request.method == "GET":
        log("case.read", target_type="case", target_id=case_id, detail={"for": "edit"})
    return _case_form(case)


@bp.get("/cases/<int:case_id>")
@requires("case.read")
def view(case_id, aid_form: AidForm | None = None):
    db = get_db()
    case = records.get_case(db, case_id)
    items = records.aid_items(db, case_id)
    documents = case_documents(db, case_id)
    current = {d["kind"]: d for d in documents if d["status"] == "valid"}
    log("case.read", target_type="case", target_id=case_id)
    return render_template(
        "web/case.html", case=case, items=items, total=sum(i["amount"] for i in items),
        documents=documents, current=current, kinds=CASE_KINDS, users=usernames(db),
        signed=signed_copies.statuses(db, documents),
        stale=stale_letters(db, case_id),
        aid_form=aid_form or AidForm(formdata=None), action_form=ActionForm(formdata=None))


def _old_data_notice(db, case_id: int) -> None:
    """After a change: say which of her letters now hold old data, and what changed."""
    stale = stale_letters(db, case_id)
    if not stale:
        return
    docs = {d["id"]: d for d in case_documents(db, case_id)}
    listed = "; ".join(
        f"{KIND_LABELS[docs[i]['kind']]} {docs[i]['number']} ({', '.join(str(CHANGE_LABELS.get(c, c)) for c in why)})"
        for i, why in stale.items() if i in docs)
    flash(_("Surat yang kini memuat data lama: %(letters)s. Buat ulang bila surat baru diperlukan.",
            letters=listed), "warning")


@bp.route("/cases/<int:case_id>/aid/<int:aid_id>/edit", methods=["GET", "POST"])
@requires("case.write")
def edit_aid(case_id, aid_id):
    db = get_db()
    case = records.get_case(db, case_id)
    item = records.get_aid(db, case_id, aid_id)
    form = AidForm(data={**item, "amount": f"{item['amount']:,}".replace(",", ".")})
    if form.validate_on_submit():
        try:
            before, after = records.update_aid(db, case_id, aid_id, form.record(),
                                               runtime().settings.amount_ceiling)
        except InvalidInput as exc:
            for name, why in reasons(exc.fields).items():
                getattr(form, name, form.amount).errors = [why]
        else:
            log("aid.update", target_type="case", target_id=case_id, detail=aid_change(before, after))
            flash(_("Bantuan diperbarui."), "success")
            _old_data_notice(db, case_id)
            return redirect(url_for("cases.view", case_id=case_id, _anchor="bantuan"))
    status = 400 if form.is_submitted() else 200
    return render_template("web/aid_form.html", case=case, item=item, form=form), status


@bp.route("/cases/<int:case_id>/aid/<int:aid_id>/delete", methods=["GET", "POST"])
@requires("case.write")
def delete_aid(case_id, aid_id):
    """GET asks (the item and her name); POST removes it, audited."""
    db = get_db()
    case = records.get_case(db, case_id)
    item = records.get_aid(db, case_id, aid_id)
    if request.method == "GET":
        return render_template(
            "web/confirm.html", title=_("Hapus bantuan?"),
            question=_("Hapus %(kind)s %(amount)s dari bantuan %(name)s?", kind=AID_LABELS.get(item["kind"], item["label"]),
                       amount=rupiah(item["amount"]), name=case["full_name"]),
            explanation=_("Penghapusan dicatat di log audit. Tanda terima yang sudah dibuat tetap seperti adanya dan ditandai memuat data lama."),
            action=url_for("cases.delete_aid", case_id=case_id, aid_id=aid_id),
            button=_("Ya, hapus"), back=url_for("cases.view", case_id=case_id, _anchor="bantuan"))
    removed = records.delete_aid(db, case_id, aid_id)
    log("aid.delete", target_type="case", target_id=case_id, detail=aid_change(removed, None))
    flash(_("Bantuan dihapus."), "success")
    _old_data_notice(db, case_id)
    return redirect(url_for("cases.view", case_id=case_id, _anchor="bantuan"))


@bp.post("/cases/<int:case_id>/aid")
@requires("case.write")
def add_aid(case_id):
    db = get_db()
    form = AidForm()
    if form.validate_on_submit():
        try:
            item = records.add_aid(db, case_id, form.record(), current_user.row,
                                   runtime().settings.amount_ceiling)
        except InvalidInput as exc:
            for name, why in reasons(exc.fields).items():
                getattr(form, name, form.amount).errors = [why]
        else:
            log("aid.create", target_type="case", target_id=case_id,
                detail={"aid_id": item["id"], "kind": item["kind"], "amount": item["amount"]})
            flash(_("Bantuan dicatat."), "success")
            _old_data_notice(db, case_id)
            return redirect(url_for("cases.view", case_id=case_id, _anchor="bantuan"))
    response = view(case_id, aid_form=form)
    return response, 400


@bp.post("/cases/<int:case_id>/documents")
@requires("document.create")
def generate(case_id):
    form = ActionForm()
    kind = form.kind.data if form.validate_on_submit() else ""
    try:
        doc = generate_case_document(runtime(), get_db(), case_id, kind, current_user.row)
    except InvalidInput as exc:
        for why in reasons(exc.fields).values() or [reason(exc.message)]:
            flash(why, "error")
        return redirect(url_for("cases.view", case_id=case_id, _anchor="surat"))
    except RenderError as exc:  # the template, not the clerk: 422, the page as it was
        flash(render_failure(exc), "error")
        return view(case_id), 422
    except PulangError as exc:
        if exc.status == 404:
            raise
        flash(_("Surat belum dapat dibuat: %(why)s. Coba lagi sebentar lagi.", why=reason(exc.message)), "error")
        return redirect(url_for("cases.view", case_id=case_id, _anchor="surat"))
    if doc["status"] == "sample":
        # The office's set-up is incomplete: a sample, shown at once; it is no letter.
        log("sample.create", target_type="sample", target_id=doc["id"],
            detail={"case_id": case_id, "kind": kind})
        flash(_("Contoh %(kind)s dibuat. Surat ini belum berlaku dan tidak bernomor sampai "
                "pengaturan kantor lengkap.", kind=KIND_LABELS[kind]), "warning")
        return redirect(url_for("documents.sample", sample_id=doc["id"]))
    log("document.create", target_type="document", target_id=doc["id"],
        detail={"case_id": case_id, "kind": kind, "number": doc["number"]})
    flash(_("%(kind)s nomor %(number)s dibuat.", kind=KIND_LABELS[kind], number=doc["number"]), "success")
    return redirect(url_for("cases.view", case_id=case_id, _anchor="surat"))


@bp.post("/cases/check-nik")
@requires("case.write")
def check_nik_json():
    """As the clerk types: is the NIK well formed, does it match the birth date, is it on
    another case already? Posted (not a GET) so the NIK never sits in a URL or a log."""
    try:
        data = request.get_json(silent=True) or {}
    except RecursionError:  # absurdly nested JSON: nothing to check
        data = {}
    birth = parse_tanggal(data.get("birth_date")) if isinstance(data.get("birth_date"), str) else None
    check = check_nik(str(data.get("nik") or "")[:40], birth)
    answer = {"valid": check.error is None, "empty": check.value is None and check.error is None,
              "message": reason(check.error) if check.error else "",
              "warnings": [reason(w) for w in check.warnings], "existing_case": None}
    if check.value:
        except_id = data.get("case_id") if isinstance(data.get("case_id"), int) else None
        owner = records.nik_owner(get_db(), check.value, except_id)
        if owner:
            other = records.get_case(get_db(), owner)
            answer["existing_case"] = {"id": owner, "case_number": other["case_number"],
                                       "url": url_for("cases.view", case_id=owner)}
            answer["message"] = _("NIK ini sudah tercatat pada kasus %(number)s.",
                                  number=other["case_number"])
        log("nik.check", detail={"on_another_case": bool(owner)})
    return jsonify(answer)
