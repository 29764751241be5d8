"""One import from upload to report, shared by the API and the pages: read the sheet,
settle the mapping, analyse, and (on confirmation) commit and audit."""

import json

from ..errors import InvalidInput, NotFound
from . import imports, sheets
from .messages import describe


def prepare(db, data: bytes, mapping=None, create_facilities=()):
    """(headers, mapping used, preview). Raises Refused for a file that is not a sheet."""
    headers, body = sheets.read(data)
    mapping = imports.check_mapping(mapping) if mapping is not None else imports.guess_mapping(db, headers)
    return headers, mapping, imports.analyse(db, headers, body, mapping, create_facilities)


def summary(preview, headers, mapping) -> dict:
    """The API's answer (and the page's data): every problem and duplicate, by row."""
    problems = []
    for row in preview.rows:
        for problem, severity in [(p, "error") for p in row.errors] + [(p, "warning") for p in row.warnings]:
            problems.append({"row": row.number, "field": problem.where, "code": problem.code,
                             "message": describe(problem), "severity": severity})
    duplicates = [row.duplicate for row in preview.rows if row.duplicate]
    return {"rows": len(preview.rows), "importable": len(preview.good), "problems": problems,
            "duplicates": duplicates, "mapping": mapping, "headers": headers,
            "unknown_facilities": preview.unknown_facilities}


def confirm(db, preview, headers, mapping, user, audit) -> dict:
    """Commit the good rows (the record layer indexes the new cases), remember the
    mapping, audit counts."""
    _ids, report = imports.commit(db, preview, user)
    imports.remember_mapping(db, headers, mapping)
    audit("import.commit", target_type="import", target_id=report["id"],
          detail={"rows": report["rows"], "added": report["added"], "skipped": report["skipped"]})
    return report


def parse_json_field(raw, name: str, default):
    if raw in (None, ""):
        return default
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be JSON", fields={name: "must be JSON"}) from None


def report(db, report_id: int) -> dict:
    """An import's kept report row (row numbers, outcomes and reason codes), or NotFound."""
    rows = list(db["import_reports"].rows_where("id = ?", [report_id]))
    if not rows:
        raise NotFound("no such import")
    return rows[0]
