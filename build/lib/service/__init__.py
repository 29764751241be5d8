"""Pulang: case files, letters and release ceremonies for Dinas Sosial offices."""

from flask import Flask

from .config import Settings


def create_app(test_config: dict | None = None, *, runtime=None) -> Flask:
    """The app factory. `test_config` overrides settings (e.g. {"archive": tmp_path});
    `runtime` lets `pulang serve` pass one that runs the converter pool."""
    from . import db as database
    from . import keys, web
    from .api import bp as api_bp
    from .http import errors as errors_http
    from .http import public
    from .http.support import close_db
    from .records import templates
    from .runtime import Runtime
    from .sealed import set_umask

    set_umask()  # the archive's files are the service user's alone (service/sealed.py)
    app = Flask(__name__, template_folder="html", static_folder="static")
    settings = Settings.from_env(**(test_config or {}))
    settings.ensure_dirs()
    app.config.update(
        SECRET_KEY=settings.load_secret_key(),
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_SORT_KEYS=False,
    )
    app.config.update({k.upper(): v for k, v in (test_config or {}).items()})
    db = database.connect(settings.db_path)
    database.migrate(db)
    keys.prepare(settings, db)
    templates.register_builtins(db, settings)
    db.close()

    app.extensions["pulang"] = runtime or Runtime(settings)
    if app.extensions["pulang"].settings.proxy_hops:
        # Behind an office's reverse proxy: trust its X-Forwarded-* headers (the client's
        # address for sign-in throttling, https for redirects), and only from that many
        # hops; off by default, so a client cannot pick its own address (issue 10).
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.extensions["pulang"].settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.teardown_appcontext(close_db)
    errors_http.init_app(app)
    app.register_blueprint(api_bp)
    app.register_blueprint(public.bp)
    web.init_app(app)
    # The API authenticates by bearer token only and never reads the session cookie, so
    # a forged cross-site request has no credentials to ride on.
    web.csrf.exempt(api_bp)
    return app
