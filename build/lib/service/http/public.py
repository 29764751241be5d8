"""What anyone may open without signing in: the verification page a QR code points to,
and the health check. Neither shows a name or a NIK.

The health check tells an anonymous caller only whether the service is up; what is
inside (the database, the index, the converter's workers, their pids and counts) is
for a signed-in admin or the holder of an API token (issue 10, item 12): a stranger on
the office network learns nothing that helps time an attack on the converter."""

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user

from ..auth.roles import allowed
from ..auth.users import TokenRefused, user_for_token
from ..errors import NotFound, Unauthorized
from ..records.documents import by_token
from ..records.kinds import KIND_LABELS, STATUS_LABELS
from ..records.office import get_all
from .support import get_db, runtime

bp = Blueprint("public", __name__)

@bp.get("/v/<token>")
@bp.get("/v/<token>/<int:page>")
def verify(token, page=None):
    """A document's public facts. Each printed page's QR holds the page form
    (/v/<token>/<page>, service/letters/stamp.py), which names the page as well; a page
    number the document does not have is not found. Nothing here says whether the paper
    came back signed: scans are personal data."""
    if len(token) > 64:
        raise NotFound("no document has this code")
    db = get_db()
    doc = by_token(db, token)
    if doc is None or (page is not None and not 1 <= page <= (doc["pages"] or 0)):
        raise NotFound("no document has this code")
    office = get_all(db)["office"]
    info = {
        "kind": doc["kind"], "kind_label": KIND_LABELS.get(doc["kind"], doc["kind"]),
        "number": doc["number"], "date": doc["issued_on"],
        "office": " ".join(part for part in (office["name"], _region(office["region"])) if part),
        "status": doc["status"], "sha256": doc["sha256"],
    }
    if page is not None:
        info.update(page=page, pages=doc["pages"])
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json":
        return jsonify(info)
    return render_template("verify.html", doc=info, status_label=STATUS_LABELS.get(doc["status"], doc["status"]))


def _may_see_details() -> bool:
    """A valid API token (any role), or a signed-in admin's session. A token that opens
    nothing is refused (401, saying why) rather than treated as anonymous."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        try:
            user_for_token(get_db(), token.strip())
        except TokenRefused as exc:
            raise Unauthorized(str(exc)) from None
        return True
    return current_user.is_authenticated and allowed(current_user.role, "user.manage")


def _region(region: str) -> str:
    """"Pemerintah Kota Jambi" → "Kota Jambi"."""
    for word in ("PEMERINTAH ", "Pemerintah "):
        region = region.removeprefix(word)
    return region


@bp.get("/healthz")
def healthz():
    details = _may_see_details()
    rt = runtime()
    checks = {}
    try:
        get_db().execute("SELECT 1").fetchone()
        checks["db"] = "ok"
    except Exception as exc:  # a health check reports, it does not fail
        checks["db"] = f"error: {type(exc).__name__}"
    try:
        rt.index.search(None, page=1, pagelen=1)
        checks["index"] = "ok"
    except Exception as exc:
        checks["index"] = f"error: {type(exc).__name__}"
    if rt.pool is not None:
        stats = rt.pool.stats()
        # A pool nobody warmed starts at its first letter (`pulang serve` warms its own).
        up = stats["alive"] or not rt.pool.started
        checks["converter"] = stats if up else {"error": "no worker alive", **stats}
    else:
        checks["converter"] = "cli"
    ok = checks["db"] == "ok" and checks["index"] == "ok" and "error" not in checks["converter"]
    status = 200 if ok else 503
    if not details:
        return jsonify(status="ok" if ok else "degraded"), status
    return jsonify(status="ok" if ok else "degraded", **checks), status
