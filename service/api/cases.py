from flask import g, jsonify

from ..http.support import get_db, log, runtime
from ..records import cases as case_records
from ..records.documents import case_documents, index_entry, public_view
from . import bp
from .auth import json_body, requires


def _case_view(db, case: dict, warnings=()) -> dict:
    view = {k: case[k] for k in ("id", "case_number", "full_name", "nik", "birth_place",
                                 "birth_date", "origin_address", "origin_region", "facility",
                                 "notes", "status", "created_at", "updated_at")}
    items = case_records.aid_items(db, case["id"])
    view["aid_items"] = [{k: i[k] for k in ("id", "kind", "label", "amount", "source",
                                            "description", "created_at")} for i in items]
    view["aid_total"] = sum(i["amount"] for i in items)
    base = runtime().settings.base_url
    view["documents"] = [public_view(d, base) for d in case_documents(db, case["id"])]
    view["warnings"] = list(warnings)
    return view


@bp.post("/cases")
@requires("case.write")
def create_case():
    db = get_db()
    case, warnings = case_records.create_case(db, json_body(), g.user)
    runtime().submit_index([index_entry(case, None)])
    log("case.create", target_type="case", target_id=case["id"])
    return jsonify(_case_view(db, case, warnings)), 201


@bp.get("/cases/<int:case_id>")
@requires("case.read")
def get_case(case_id):
    db = get_db()
    case = case_records.get_case(db, case_id)
    log("case.read", target_type="case", target_id=case_id)
    return jsonify(_case_view(db, case))


@bp.patch("/cases/<int:case_id>")
@requires("case.write")
def update_case(case_id):
    db = get_db()
    data = json_body()
    case, warnings = case_records.update_case(db, case_id, data)
    runtime().submit_index([index_entry(case, None)])
    # Documents keep the identity they were made with; only the case entry changes.
    log("case.update", target_type="case", target_id=case_id, detail={"fields": sorted(data)})
    return jsonify(_case_view(db, case, warnings))


@bp.post("/cases/<int:case_id>/aid")
@requires("case.write")
def add_aid(case_id):
    db = get_db()
    item = case_records.add_aid(db, case_id, json_body(), g.user, runtime().settings.amount_ceiling)
    log("aid.create", target_type="case", target_id=case_id,
        detail={"aid_id": item["id"], "kind": item["kind"], "amount": item["amount"]})
    return jsonify(item), 201
