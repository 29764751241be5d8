"""Sign-in, sign-out, the language switch, and the permission check every page uses.

Passwords are checked with argon2 (service.auth.users). Repeated failures are slowed in
two ways: a rate limit per address (Flask-Limiter, here, in memory: it resets on restart)
and a lock on the account after consecutive failures (service.auth.login, in the
database, so it survives a restart); an admin can lift it early.
"""

import functools
import hashlib
import time
from urllib.parse import urlsplit

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ..auth import login as attempts
from ..auth.roles import allowed
from ..auth.users import check_password, get_user, get_user_by_name, update_account
from ..errors import Forbidden
from ..http.support import get_db, log
from .forms import LanguageForm, LoginForm
from .i18n import LOCALES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")

# Per address, failed attempts only: an office behind one NAT address shares it.
ADDRESS_LIMIT = "20 per 15 minutes"


class WebUser(UserMixin):
    """The signed-in user: the users row, read again on every request, so a changed role
    or a deactivation takes effect at once."""

    def __init__(self, row: dict):
        self.row = row

    def get_id(self) -> str:
        # A password reset changes the fingerprint and so ends every open session.
        return f"{self.row['id']}:{_fingerprint(self.row)}"

    @property
    def role(self) -> str:
        return self.row["role"]

    @property
    def username(self) -> str:
        return self.row["username"]

    @property
    def locale(self) -> str:
        return self.row["locale"]

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


def _fingerprint(row: dict) -> str:
    return hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]


@login_manager.user_loader
def _load_user(ident: str):
    user_id, _sep, fingerprint = ident.partition(":")
    row = get_user(get_db(), int(user_id)) if user_id.isdigit() else None
    if row is None or fingerprint != _fingerprint(row):
        return None
    return WebUser(row)


def wants_json() -> bool:
    """A script's fetch (the NIK check) rather than a page."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"


@login_manager.unauthorized_handler
def _unauthorized():
    if wants_json():
        body = {"error": {"code": "unauthorized", "message": "sign in first", "fields": {}}}
        return jsonify(body), 401
    # Paths hold ids only, never a name, so coming back to one is safe.
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("auth.login", next=target))


def requires(permission: str | None = None):
    """Signed in, and (when given) the role has `permission` in service.auth.roles.
    The security gate has already refused anonymous visitors; this says what each page
    needs, and is what the role tests read."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if permission and not current_user.can(permission):
                raise Forbidden("your role may not do this")
            return view(*args, **kwargs)
        wrapper.permission = permission
        return wrapper
    return decorate


def safe_next(target: str | None) -> str | None:
    """A local path to return to, or None: never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _record_failure(db, row: dict | None, reason: str) -> None:
    if row is not None and reason == "bad_password":
        attempts.record_failure(db, row)
    # An unknown name is not recorded: people type their password into the wrong box.
    log("login.failure", target_type="user", target_id=row["username"] if row else "",
        detail={"reason": reason})


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code == 401)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("web/login.html", form=form), 400 if form.is_submitted() else 200
    db = get_db()
    row = get_user_by_name(db, form.username.data.strip())
    if row is not None and attempts.locked(row):
        _record_failure(db, row, "locked")
        error = _("Akun ini dikunci sementara setelah %(n)d kali gagal masuk. Coba lagi dalam "
                  "%(m)d menit, atau minta admin membukanya.", n=attempts.MAX_FAILURES,
                  m=attempts.LOCK_MINUTES)
        return render_template("web/login.html", form=form, error=error), 401
    if not check_password(row, form.password.data):
        _record_failure(db, row, "bad_password" if row else "unknown_user")
        return render_template("web/login.html", form=form,
                               error=_("Nama pengguna atau kata sandi salah.")), 401
    attempts.record_success(db, row)
    target = safe_next(request.args.get("next"))
    session.clear()  # a fresh session at sign-in: nothing carried over from before
    login_user(WebUser(row))
    session.permanent = True
    session["seen"] = int(time.time())
    g.user = row
    log("login.success", target_type="user", target_id=row["id"])
    return redirect(target or url_for("cases.home"))


@bp.errorhandler(429)
def _too_many(_exc):
    form = LoginForm()
    error = _("Terlalu banyak percobaan masuk yang gagal dari komputer ini. Tunggu 15 menit, "
              "lalu coba lagi.")
    return render_template("web/login.html", form=form, error=error), 429, {"Retry-After": "900"}


@bp.post("/logout")
@requires()
def logout():
    log("logout", target_type="user", target_id=current_user.row["id"])
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/account/language")
@requires()
def language():
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in LOCALES:
        update_account(get_db(), current_user.row["id"], {"locale": form.locale.data})
    return redirect(safe_next(form.next.data) or url_for("cases.home"))


def init_app(app) -> None:
    login_manager.init_app(app)
    # "strong": a session cookie carried to another browser or address is dropped.
    login_manager.session_protection = "strong"
    limiter.init_app(app)
