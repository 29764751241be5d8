"""The office's set-up, for offices that install by script (docs/api.md):
GET /office and PUT /office (admin), and the sample letters made while it is incomplete."""

from flask import jsonify

from ..db import write_transaction
from ..errors import InvalidInput
from ..http.responses import sample_letter
from ..http.support import get_db, log, runtime
from ..records import office, samples
from . import bp
from .auth import json_body, requires


def _view(db) -> dict:
    settings = runtime().settings
    return office.view(office.get_all(db), settings.base_url,
                       logo=settings.logo_path.exists(),
                       unit_logo=settings.logo_path.with_name("unit_logo.png").exists())


@bp.get("/office")
@requires("settings.manage")
def get_office():
    return jsonify(_view(get_db()))


@bp.put("/office")
@requires("settings.manage")
def put_office():
    """Fields given replace the stored ones; fields left out keep theirs."""
    db = get_db()
    data = json_body()
    with write_transaction(db):
        current = office.get_all(db)
        new, problems = office.check(data, current)
        if problems:
            raise InvalidInput("the office settings have invalid fields", fields=problems)
        changed = office.save(db, new, current)
    if office.complete(new):
        samples.prune(db, runtime().settings.archive, everything=True)
    log("settings.update", detail={"changed": changed, "via": "api"})
    return jsonify(_view(db))


@bp.get("/samples/<int:sample_id>/pdf")
@requires("document.read")
def sample_pdf(sample_id):
    sample = samples.get(get_db(), sample_id)
    log("sample.download", target_type="sample", target_id=sample_id)
    return sample_letter(sample)
