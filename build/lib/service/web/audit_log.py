"""The audit log, read-only, for auditors and admins: who, what, when, newest first.
Reading it is itself recorded."""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ..http.support import get_db, log
from ..records import audit as audit_records
from ..records import validate as v
from .auth import requires
from .audit_words import SENTENCES, sentences
from .forms import AuditFilterForm, choices

bp = Blueprint("audit_log", __name__, url_prefix="/admin")
PAGE_SIZE = 50


@bp.get("/audit")
@requires("audit.read")
def audit():
    db = get_db()
    form = AuditFilterForm(request.args)
    people, actions = audit_records.usernames_and_actions(db)
    form.who.choices = choices([("", "—")] + [(name, name) for name in people])
    form.what.choices = choices([("", "—")] + [(action, str(SENTENCES.get(action, action)).replace(" %(target)s", "").replace("%(target)s ", ""))
                                               for action in actions])
    days = {}
    for name, field in (("date_from", form.date_from), ("date_to", form.date_to)):
        try:
            if field.data is None:  # typed, but not a date
                raise v.FieldError("unreadable")
            days[name] = v.date(field.data or None)
        except v.FieldError:
            field.errors = [_("Tanggal tidak dapat dibaca. Tulis hari/bulan/tahun (hh/bb/tttt).")]
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    total, entries = audit_records.entries(db, who=form.who.data or "", what=form.what.data or "",
                                           **days, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    log("audit.read", detail={"filters": sorted(k for k in ("who", "what", "date_from", "date_to")
                                                 if request.args.get(k)), "page": page})
    pages = max(1, -(-total // PAGE_SIZE))
    args = {k: val for k, val in request.args.items() if k != "page" and val}
    return render_template("web/admin/audit.html", form=form, entries=entries, total=total,
                           page=page, pages=pages, args=args, said=sentences(db, entries))
