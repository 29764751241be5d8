"""What every request and response goes through: the sign-in gate with its idle timeout
and absolute lifetime, the session cookie's Secure flag, and the security headers (HSTS
when PULANG_HTTPS says the office reaches the service over HTTPS only).

The gate refuses every endpoint it does not know to be public, so a page added later is
closed until someone opens it on purpose.
"""

import time

from flask import flash, g, jsonify, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from ..http.support import log, runtime
from .auth import login_manager, wants_json

# How often the idle timeout's timestamp is written. Every response that sets the session
# cookie writes the whole session as its own request saw it, so a request running beside
# another (the NIK check beside a save) can put back a flash already shown or undo a
# sign-out: the cookie is written only when a request really changes the session.
SEEN_EVERY = 60  # seconds

# The only endpoints an anonymous visitor may reach (API.md): sign-in, static files, the
# verification page a QR code points to, and the health check. The API does its own
# bearer-token check and is never let in by a session.
PUBLIC_ENDPOINTS = frozenset({"static", "auth.login", "public.verify", "public.healthz"})

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SessionInterface(SecureCookieSessionInterface):
    """Flask decides `Secure` once per app; an office may reach the same server over
    plain http on the LAN and over https from outside, so decide it per request."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _gate():
    if request.endpoint is None or request.blueprint == "api" or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = int(time.time())
    settings = runtime().settings
    idle = now - session.get("seen", 0)
    if idle > settings.session_minutes * 60:
        return _end(_("Sesi Anda berakhir karena lama tidak aktif. Silakan masuk lagi."), "idle")
    if now - session.get("since", 0) > settings.session_hours * 3600:
        # However busy, a session ends this long after signing in: a PC left signed in
        # overnight in an office does not stay open into the next day.
        return _end(_("Sesi Anda sudah berlangsung %(h)d jam. Silakan masuk lagi.",
                      h=settings.session_hours), "lifetime")
    # A page's background check (a fetch for JSON) is not the clerk's own step, and must
    # not race the page's requests with a cookie of its own.
    if idle >= SEEN_EVERY and not wants_json():
        session["seen"] = now
    g.user = current_user.row
    return None


def _end(message: str, reason: str):
    g.user = current_user.row
    log("logout", target_type="user", target_id=current_user.row["id"], detail={"reason": reason})
    logout_user()
    session.clear()
    flash(message, "info")
    return login_manager.unauthorized()


def _headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if runtime().settings.https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Pages carry names and NIKs: keep them out of the browser's disk cache and its
        # back button on a shared office PC.
        headers.setdefault("Cache-Control", "no-store")
        headers.add("Vary", "Cookie")
    return response


def _csrf_refused(exc: CSRFError):
    if wants_json():
        return jsonify({"error": {"code": "csrf", "message": exc.description, "fields": {}}}), 400
    explanation = _("Formulir ini sudah kedaluwarsa atau tidak sah, jadi tidak dikirim. "
                    "Muat ulang halaman, lalu coba lagi.")
    return render_template("error.html", status=400, message="", explanation=explanation), 400


def init_app(app) -> None:
    if app.extensions["pulang"].settings.https:
        app.config["SESSION_COOKIE_SECURE"] = True  # never sent over plain HTTP
    app.session_interface = SessionInterface()
    app.before_request(_gate)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
