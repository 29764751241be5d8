"""The JSON API under /api/v1 (contract: ../shared/API.md, additions in docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import cases, ceremonies, documents, exports, imports, retention, search, templates, tokens  # noqa: E402,F401  (routes register on bp)
