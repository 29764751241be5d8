"""The office's own settings, kept in the database and edited by an admin: letterhead,
officials with their NIP, letter-number patterns, the case-number prefix."""

import copy
import json

from .kinds import DOCUMENT_KINDS

DEFAULTS = {
    "office": {
        "parent": "PEMERINTAH KOTA JAMBI",
        "name": "DINAS SOSIAL",
        "address": "Jl. Jenderal Sudirman No. 1, Jambi 36122",
        "city": "Jambi",
        "unit": "DINSOS",
        "phone": "(0741) 000000",
        "email": "dinsos@jambikota.go.id",
    },
    "officials": {
        "head": {"name": "Kepala Dinas", "title": "Kepala Dinas Sosial", "nip": ""},
        "treasurer": {"name": "Bendahara", "title": "Bendahara Pengeluaran", "nip": ""},
        "witness": {"name": "Pekerja Sosial", "title": "Pekerja Sosial", "nip": ""},
    },
    "case_prefix": "JMB",
    "number_patterns": {kind: "{code}/{seq:03d}/{unit}/{month_roman}/{year}" for kind in DOCUMENT_KINDS},
    # Classification codes from the regional filing scheme (460: social welfare, 900:
    # finance). Each kind has its own sequence, so two kinds must never share a code
    # under the same pattern, or their numbers would collide (numbering.check_distinct).
    "number_codes": {"pledge": "460", "release_report": "460.1", "ceremony_report": "460.2",
                     "aid_receipt": "900", "aid_roster": "900.1"},
}


def get_all(db) -> dict:
    stored = {row["key"]: json.loads(row["value"]) for row in db["settings"].rows}
    merged = copy.deepcopy(DEFAULTS)
    for key, value in stored.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def put(db, key: str, value) -> None:
    db["settings"].upsert({"key": key, "value": json.dumps(value, ensure_ascii=False)}, pk="key")
