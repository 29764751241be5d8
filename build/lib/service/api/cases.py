from flask import g, jsonify

from ..http.support import get_db, log, runtime
from ..records import cases as case_records
from ..http.views import aid_change, case_view
from . import bp
from .auth import json_body, requires


@bp.post("/cases")
@requires("case.write")
def create_case():
    db = get_db()
    case, warnings = case_records.create_case(db, json_body(), g.user)
    log("case.create", target_type="case", target_id=case["id"])
    return jsonify(case_view(db, case, warnings)), 201


@bp.get("/cases/<int:case_id>")
@requires("case.read")
def get_case(case_id):
    db = get_db()
    case = case_records.get_case(db, case_id)
    log("case.read", target_type="case", target_id=case_id)
    return jsonify(case_view(db, case))


@bp.patch("/cases/<int:case_id>")
@requires("case.write")
def update_case(case_id):
    db = get_db()
    data = json_body()
    case, warnings = case_records.update_case(db, case_id, data)
    log("case.update", target_type="case", target_id=case_id, detail={"fields": sorted(data)})
    return jsonify(case_view(db, case, warnings))


@bp.post("/cases/<int:case_id>/aid")
@requires("case.write")
def add_aid(case_id):
    db = get_db()
    item = case_records.add_aid(db, case_id, json_body(), g.user, runtime().settings.amount_ceiling)
    log("aid.create", target_type="case", target_id=case_id,
        detail={"aid_id": item["id"], "kind": item["kind"], "amount": item["amount"]})
    return jsonify(item), 201


@bp.patch("/cases/<int:case_id>/aid/<int:aid_id>")
@requires("case.write")
def update_aid(case_id, aid_id):
    db = get_db()
    before, item = case_records.update_aid(db, case_id, aid_id, json_body(),
                                           runtime().settings.amount_ceiling)
    log("aid.update", target_type="case", target_id=case_id, detail=aid_change(before, item))
    return jsonify(item)


@bp.delete("/cases/<int:case_id>/aid/<int:aid_id>")
@requires("case.write")
def delete_aid(case_id, aid_id):
    item = case_records.delete_aid(get_db(), case_id, aid_id)
    log("aid.delete", target_type="case", target_id=case_id, detail=aid_change(item, None))
    return "", 204
