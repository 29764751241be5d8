from flask import jsonify

from ..http.search import run_search
from . import bp
from .auth import json_body, requires


@bp.post("/search")
@requires("search")
def search():
    return jsonify(run_search(json_body()))
