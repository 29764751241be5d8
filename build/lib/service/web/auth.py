"""Sign-in, sign-out, the language switch, and the permission check every page uses.

Passwords are checked with argon2 (service.auth.users). Repeated failures are slowed per
(address, name) with growing waits (service.auth.login, in the database, so they survive
a restart); nobody else at the same address waits, no account is locked, and an admin
sees the accounts under attack and can lift the waits.

A session names its user's session version (issue 10): signing out, a new password, a
new role or deactivation ends every session of that user on the server. A session also
ends after PULANG_SESSION_MINUTES without a request and PULANG_SESSION_HOURS after
signing in (security.py checks both).
"""

import functools
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from ..auth import login as attempts
from ..auth.roles import allowed
from ..auth.users import check_password, end_sessions, get_user, get_user_by_name, update_account
from ..errors import Forbidden
from ..http.support import get_db, log
from .forms import LanguageForm, LoginForm
from .i18n import LOCALES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class WebUser(UserMixin):
    """The signed-in user: the users row, read again on every request, so a changed role
    or a deactivation takes effect at once."""

    def __init__(self, row: dict):
        self.row = row

    def get_id(self) -> str:
        # The session names the account's session version: bumping it ends the session.
        return f"{self.row['id']}:{self.row['session_version']}"

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


@login_manager.user_loader
def _load_user(ident: str):
    user_id, _sep, version = ident.partition(":")
    row = get_user(get_db(), int(user_id)) if user_id.isdigit() else None
    if row is None or version != str(row["session_version"]):
        return None  # ended on the server: signed out elsewhere, new password, role, inactive
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


def _address() -> str:
    # The client's address; behind a proxy, what PULANG_PROXY_HOPS lets ProxyFix trust.
    return request.remote_addr or ""


def _refused(form, error: str, status: int, wait: float = 0):
    headers = {"Retry-After": str(max(1, math.ceil(wait)))} if wait else {}
    return render_template("web/login.html", form=form, error=error), status, headers


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.home"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("web/login.html", form=form), 400 if form.is_submitted() else 200
    db = get_db()
    typed = form.username.data.strip()
    row = get_user_by_name(db, typed)
    wait = attempts.wait_left(db, _address(), typed)
    if wait:
        # No password is checked while this address waits for this name: a guess now
        # costs the guesser a wait, and the server no argon2 hash.
        log("login.failure", target_type="user", target_id=row["username"] if row else "",
            detail={"reason": "throttled"})
        return _refused(form, _("Terlalu banyak percobaan masuk yang gagal untuk nama ini dari "
                                "komputer ini. Coba lagi dalam %(s)d detik.", s=math.ceil(wait)), 429, wait)
    if not check_password(row, form.password.data):
        wait = attempts.record_failure(db, _address(), typed, row["id"] if row else None)
        # An unknown name is not named in the log: people type their password into the wrong box.
        log("login.failure", target_type="user", target_id=row["username"] if row else "",
            detail={"reason": "bad_password" if row else "unknown_user"})
        return _refused(form, _("Nama pengguna atau kata sandi salah."), 401)
    attempts.record_success(db, _address(), typed, row)
    target = safe_next(request.args.get("next"))
    session.clear()  # a fresh session at sign-in: nothing carried over from before
    login_user(WebUser(row))
    session.permanent = True
    session["seen"] = session["since"] = int(time.time())
    g.user = row
    log("login.success", target_type="user", target_id=row["id"])
    return redirect(target or url_for("cases.home"))


@bp.post("/logout")
@requires()
def logout():
    log("logout", target_type="user", target_id=current_user.row["id"])
    # Every session of this user ends on the server, not only this browser's cookie: a
    # copy of the cookie taken earlier opens nothing after sign-out.
    end_sessions(get_db(), current_user.row["id"])
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
