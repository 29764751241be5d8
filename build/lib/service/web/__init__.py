"""The staff web interface (HTML pages, sign-in, forms).

One blueprint per feature (auth, cases, documents, search, admin, office settings, audit
log); this module wires them and the extensions they share into the app. The pages call
the same record, pipeline and search functions as the JSON API, and share its downloads
and views through service/http/; nothing here imports the API or is a second
implementation of a rule.
"""

import datetime as dt

from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app) -> None:
    """Register the web blueprints, sign-in and CSRF protection on `app`."""
    from . import (
        admin,
        audit_log,
        auth,
        cases,
        ceremonies,
        documents,
        exports,
        i18n,
        imports,
        office_settings,
        register,
        retention,
        scans,
        search,
        security,
        templates_admin,
    )

    minutes = app.extensions["pulang"].settings.session_minutes
    app.config.update(
        # The cookie is rewritten only when the session changes (see security.SEEN_EVERY),
        # so it outlives the idle timeout by that much; the server checks the timeout.
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=minutes, seconds=security.SEEN_EVERY),
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_NAME="pulang_session",
    )
    # The session's idle timeout already bounds a form's life; a separate CSRF expiry
    # would only make a clerk retype a long form she opened an hour ago in another tab.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)

    # Order matters: the sign-in gate runs before CSRF, so an anonymous POST is sent to
    # the sign-in page rather than told its form expired.
    security.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    csrf.init_app(app)
    for module in (auth, cases, documents, search, admin, office_settings, audit_log,
                   templates_admin, exports, imports, retention, ceremonies, scans,
                   register):
        app.register_blueprint(module.bp)
    app.context_processor(_layout)


def _layout() -> dict:
    """What the page frame shows to a signed-in user: the office's name."""
    from flask_login import current_user

    from ..http.support import get_db
    from ..records.office import get_all
    if not current_user or not current_user.is_authenticated:
        return {}
    from .office_settings import setup_state
    office = get_all(get_db())["office"]
    return {"office_name": " · ".join(part for part in (office["name"], office["region"]) if part),
            "office_setup": setup_state()}
