"""Keeping database, files and index in agreement: reindex and doctor."""

import datetime as dt
import shutil
from dataclasses import dataclass, field

from ..clock import now_iso
from ..letters.pdftext import extract_text
from ..records import indexing
from ..records.indexing import document_entry, index_entry, searchable_cases, searchable_documents
from ..records.storage import relative_path, sha256_file


def _text(archive, doc) -> str:
    path = archive / doc["path"]
    return extract_text(path.read_bytes()) if path.is_file() else ""


def all_entries(db, archive):
    """Every entry the index should hold, built from the database and the stored files."""
    cases = searchable_cases(db)
    for case in cases.values():
        yield index_entry(case, None)
    # Documents with no case are a ceremony's roster and report (indexed with case 0).
    for doc in searchable_documents(db):
        if (archive / doc["path"]).is_file():
            yield document_entry(db, doc, cases.get(doc["case_id"]), _text(archive, doc))


def reindex(db, index, archive) -> int:
    upto = indexing.newest(db)
    count = index.rebuild(all_entries(db, archive))
    indexing.forget(db, upto)
    return count


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)   # remain after this run
    repaired: list[str] = field(default_factory=list)
    alarms: list[str] = field(default_factory=list)     # never repaired automatically

    @property
    def clean(self) -> bool:
        return not self.problems and not self.alarms


def doctor(db, index, archive, *, repair: bool, stale_after: float = 900) -> Report:
    report = Report()
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=stale_after)).isoformat()

    def finding(message, fix=None):
        if repair and fix is not None:
            fix()
            report.repaired.append(message)
        else:
            report.problems.append(message)

    # Generation interrupted before its record was committed: the number stays on record.
    for doc in db.query("SELECT id FROM documents WHERE status = 'pending' AND created_at < ?", [cutoff]):
        finding(f"document {doc['id']}: generation was interrupted",
                lambda d=doc: db["documents"].update(d["id"], {
                    "status": "failed", "error": "interrupted", "updated_at": now_iso()}))

    # Scratch renders of an interrupted generation hold a woman's name: none may outlive it.
    for path in sorted(archive.joinpath("tmp").glob("*")):
        if path.is_file() and dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat() < cutoff:
            finding(f"scratch file tmp/{path.name}: left by an interrupted generation (removed)",
                    lambda p=path: p.unlink(missing_ok=True))

    known_paths = set()
    for doc in db.query("SELECT id, path, sha256 FROM listed_documents WHERE destroyed_at IS NULL"):
        path = archive / doc["path"]
        known_paths.add(path.resolve())
        if not path.is_file():
            report.alarms.append(f"document {doc['id']}: its PDF is missing (restore it from a backup)")
        elif sha256_file(path) != doc["sha256"]:
            report.alarms.append(f"document {doc['id']}: its PDF no longer matches its recorded sha256")

    # PDFs retention destroyed (a crash may have come between the record and the unlink).
    for doc in db.query("SELECT id FROM documents WHERE destroyed_at IS NOT NULL"):
        path = archive / relative_path(doc["id"])
        if path.is_file():
            known_paths.add(path.resolve())
            finding(f"document {doc['id']}: destroyed by retention but its PDF remains (deleted)",
                    lambda p=path: p.unlink(missing_ok=True))

    orphans_dir = archive / "orphans"
    for path in sorted((archive / "documents").rglob("*")):
        if path.is_file() and path.resolve() not in known_paths:
            def move(p=path):
                orphans_dir.mkdir(exist_ok=True)
                shutil.move(str(p), orphans_dir / p.name)
            finding(f"file {path.relative_to(archive)}: no document row (moved to orphans/)", move)

    # Changes committed but not yet in the index (a crash came between the two).
    waiting = indexing.waiting(db)
    if waiting:
        finding(f"index: {waiting} committed changes not yet indexed",
                lambda: indexing.drain(db, index))
    wanted = {}
    cases = searchable_cases(db)
    for case in cases.values():
        wanted[f"c:{case['id']}"] = ("case", case, None)
    for doc in searchable_documents(db):
        wanted[f"d:{doc['id']}"] = ("doc", cases.get(doc["case_id"]), doc)
    present = index.keys()
    extra = present - set(wanted)
    if extra:
        finding(f"index: {len(extra)} entries without a record",
                lambda: _drop_keys(index, extra))
    missing = set(wanted) - present
    if missing:
        finding(f"index: {len(missing)} records not indexed",
                lambda: index.add(_entries_for(db, archive, wanted, missing)))
    return report


def _drop_keys(index, keys):
    doc_ids = [int(k[2:]) for k in keys if k.startswith("d:")]
    index.delete_documents(doc_ids)
    for key in keys:
        if key.startswith("c:"):
            index.delete_case(int(key[2:]))


def _entries_for(db, archive, wanted, keys):
    for key in keys:
        what, case, doc = wanted[key]
        yield index_entry(case, None) if what == "case" else \
            document_entry(db, doc, case, _text(archive, doc))
