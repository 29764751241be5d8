"""The audit log, read-only, for auditors and admins: who, what, when, newest first.
Reading it is itself recorded."""

import datetime as dt

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ..clock import OFFICE_TZ
from ..http.support import get_db, log
from ..records import validate as v
from .auth import requires
from .forms import AuditFilterForm, choices

bp = Blueprint("audit_log", __name__, url_prefix="/admin")
PAGE_SIZE = 50


def _utc_bound(day: dt.date, *, end: bool) -> str:
    """The office's calendar day as a UTC instant (entries are stored in UTC)."""
    if end:
        day += dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(), OFFICE_TZ).astimezone(dt.timezone.utc)
    return moment.isoformat(timespec="microseconds")


@bp.get("/audit")
@requires("audit.read")
def audit():
    db = get_db()
    form = AuditFilterForm(request.args)
    form.who.choices = choices([("", "—")] + [(r[0], r[0]) for r in db.execute(
        "SELECT DISTINCT username FROM audit_log WHERE username != '' ORDER BY username")])
    form.what.choices = choices([("", "—")] + [(r[0], r[0]) for r in db.execute(
        "SELECT DISTINCT action FROM audit_log ORDER BY action")])
    where, params = [], []
    if form.who.data:
        where.append("username = ?")
        params.append(form.who.data)
    if form.what.data:
        where.append("action = ?")
        params.append(form.what.data)
    for field, op, end in ((form.date_from, ">=", False), (form.date_to, "<", True)):
        try:
            day = v.date(field.data or None)
        except v.FieldError:
            field.errors = [_("tanggal tidak valid")]
            continue
        if day:
            where.append(f"at {op} ?")
            params.append(_utc_bound(day, end=end))
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    total = db.execute(f"SELECT count(*) FROM audit_log {clause}", params).fetchone()[0]
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    entries = list(db.query(f"SELECT * FROM audit_log {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
                            params + [PAGE_SIZE, (page - 1) * PAGE_SIZE]))
    log("audit.read", detail={"filters": sorted(k for k in ("who", "what", "date_from", "date_to")
                                                 if request.args.get(k)), "page": page})
    pages = max(1, -(-total // PAGE_SIZE))
    args = {k: val for k, val in request.args.items() if k != "page" and val}
    return render_template("web/admin/audit.html", form=form, entries=entries, total=total,
                           page=page, pages=pages, args=args)
