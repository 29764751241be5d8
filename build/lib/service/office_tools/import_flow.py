"""One import from upload to report, shared by the API and the pages: read the sheet,
settle the mapping, analyse, and (on confirmation) commit and audit. What the clerk is
shown of the analysis is service/http/views.py's import_summary."""

from ..errors import NotFound
from . import imports, sheets


def prepare(db, data: bytes, mapping=None, create_facilities=()):
    """(headers, mapping used, preview). Raises Refused for a file that is not a sheet."""
    headers, body = sheets.read(data)
    mapping = imports.check_mapping(mapping) if mapping is not None else imports.guess_mapping(db, headers)
    return headers, mapping, imports.analyse(db, headers, body, mapping, create_facilities)


def confirm(db, preview, headers, mapping, user, audit) -> dict:
    """Commit the good rows (the record layer indexes the new cases), remember the
    mapping, audit counts."""
    _ids, report = imports.commit(db, preview, user)
    imports.remember_mapping(db, headers, mapping)
    audit("import.commit", target_type="import", target_id=report["id"],
          detail={"rows": report["rows"], "added": report["added"], "skipped": report["skipped"]})
    return report


def report(db, report_id: int) -> dict:
    """An import's kept report row (row numbers, outcomes and reason codes), or NotFound."""
    rows = list(db["import_reports"].rows_where("id = ?", [report_id]))
    if not rows:
        raise NotFound("no such import")
    return rows[0]
