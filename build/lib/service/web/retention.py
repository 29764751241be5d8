"""Retention on the case page: a supervisor closes a case and, once the retention period
has passed, anonymises it (the rules are in service/records/retention.py; the API's routes share
them). Both buttons post the CSRF token only."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..errors import Conflict
from ..http.support import get_db, log, runtime
from ..records import retention
from ..records.cases import get_case
from .auth import requires

bp = Blueprint("retention", __name__)


@bp.app_context_processor
def _retention_years() -> dict:
    return {"retention_years": runtime().settings.retention_years,
            "retention_eligible_on": retention.eligible_on}


@bp.route("/cases/<int:case_id>/close", methods=["GET", "POST"])
@requires("case.close")
def close(case_id):
    """GET asks first (her name, what closing means); POST closes."""
    if request.method == "GET":
        case = get_case(get_db(), case_id)
        return render_template(
            "web/confirm.html", title=_("Tutup kasus?"),
            question=_("Tutup kasus %(name)s (%(number)s)?", name=case["full_name"], number=case["case_number"]),
            explanation=_("Kasus yang ditutup tidak dapat masuk pelepasan. Setelah %(years)d tahun, data pribadinya dapat dianonimkan. Supervisor dapat membukanya lagi.", years=runtime().settings.retention_years),
            action=url_for("retention.close", case_id=case_id), button=_("Ya, tutup kasus"),
            back=url_for("cases.view", case_id=case_id))
    try:
        retention.close_case(get_db(), case_id)
    except Conflict:
        flash(_("Kasus ini sudah ditutup."), "info")
        return redirect(url_for("cases.view", case_id=case_id))
    log("case.close", target_type="case", target_id=case_id)
    flash(_("Kasus ditutup."), "success")
    return redirect(url_for("cases.view", case_id=case_id))


@bp.post("/cases/<int:case_id>/reopen")
@requires("case.close")
def reopen(case_id):
    try:
        retention.reopen_case(get_db(), case_id)
    except Conflict:
        flash(_("Kasus ini tidak sedang ditutup."), "info")
        return redirect(url_for("cases.view", case_id=case_id))
    log("case.reopen", target_type="case", target_id=case_id)
    flash(_("Kasus dibuka kembali."), "success")
    return redirect(url_for("cases.view", case_id=case_id))


@bp.post("/cases/<int:case_id>/anonymise")
@requires("case.anonymise")
def anonymise(case_id):
    try:
        settings = runtime().settings
        summary = retention.anonymise_case(get_db(), settings.archive, case_id,
                                           years=settings.retention_years)
    except Conflict:
        flash(_("Kasus ini belum dapat dianonimkan: hanya kasus yang ditutup, setelah masa retensi berakhir."), "error")
        return redirect(url_for("cases.view", case_id=case_id))
    log("case.anonymise", target_type="case", target_id=case_id,
        detail={"destroyed": summary["destroyed"], "kept_for_audit": summary["kept_for_audit"]})
    flash(_("Kasus %(number)s dianonimkan. Surat yang dimusnahkan: %(destroyed)d; tanda terima bantuan yang disimpan untuk pemeriksa: %(kept)d.",
            number=summary["case_number"], destroyed=summary["destroyed"], kept=summary["kept_for_audit"]), "success")
    return redirect(url_for("cases.home"))
