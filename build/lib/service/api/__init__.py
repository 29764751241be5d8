"""The JSON API under /api/v1 (contract: ../shared/API.md, additions in docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import (  # noqa: E402,F401  (routes register on bp)
    cases, ceremonies, documents, exports, imports, office, register, retention, scans,
    search, templates, tokens, workers)
