"""One error handler for the whole app: JSON for API clients, a page for browsers.
Bad input is a 4xx with the field and the reason; an unexpected failure is logged
(without request data) and answered with a plain 500 that reveals nothing."""

import logging

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..errors import PulangError

log = logging.getLogger("pulang")


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json"


def _respond(status: int, code: str, message: str, fields=None, extra=None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    body.update(extra or {})
    if _wants_json():
        response = jsonify(body)
    else:
        response = render_template("error.html", status=status, message=message, fields=fields or {})
    return response, status


def init_app(app):
    @app.errorhandler(PulangError)
    def pulang_error(exc: PulangError):
        response, status = _respond(exc.status, exc.code, exc.message, exc.fields, exc.extra)
        if exc.status == 429 and getattr(exc, "retry_after", None):
            return response, status, {"Retry-After": str(int(exc.retry_after))}
        return response, status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if exc.code == 413:
            code = "too_large"
        return _respond(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.url_rule)
        return _respond(500, "internal_error", "something went wrong; the error was logged")
