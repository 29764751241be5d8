"""Backups: SQLite's online backup (consistent while the service writes) plus the stored
PDFs. The index is not copied: `restore` rebuilds it from the two."""

import json
import shutil
import sqlite3
from pathlib import Path

from .. import db as database
from ..errors import Conflict
from ..search import SearchIndex
from .maintenance import reindex


def make_backup(settings, target) -> dict:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise Conflict(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(settings.db_path))
    dest = sqlite3.connect(str(target / "pulang.db"))
    with dest:
        source.backup(dest)
    source.close()
    # Documents are written once and never changed, so copying after the database
    # snapshot captures every file the snapshot refers to.
    rows = dest.execute("SELECT path, sha256 FROM listed_documents WHERE path IS NOT NULL").fetchall()
    dest.close()
    for rel, _sha in rows:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(settings.archive / rel, target / rel)
    for extra in ("secret_key", "settings", "templates"):
        src = settings.archive / extra
        if src.is_file():
            shutil.copy2(src, target / extra)
        elif src.is_dir():
            shutil.copytree(src, target / extra, dirs_exist_ok=True)
    summary = {"documents": len(rows), "index": "rebuilt on restore"}
    # The map of every stored file to its sha256 comes last: the summary's count must not
    # replace it (it did, until issue 5's test read the manifest back).
    (target / "manifest.json").write_text(json.dumps(
        {**summary, "documents": {rel: sha for rel, sha in rows}}, indent=1))
    return summary


def restore_backup(settings, source) -> dict:
    source = Path(source)
    if settings.db_path.exists():
        db = database.connect(settings.db_path)
        has_data = db["cases"].exists() and db["cases"].count > 0
        db.close()
        if has_data:
            raise Conflict(f"{settings.archive} already holds cases; restore into an empty archive")
    settings.ensure_dirs()
    for item in source.iterdir():
        if item.name == "manifest.json":
            continue
        if item.is_dir():
            shutil.copytree(item, settings.archive / item.name, dirs_exist_ok=True)
        else:
            shutil.copy2(item, settings.archive / item.name)
    for leftover in ("pulang.db-wal", "pulang.db-shm"):
        (settings.archive / leftover).unlink(missing_ok=True)
    db = database.connect(settings.db_path)
    database.migrate(db)
    index = SearchIndex(settings.index_dir)
    count = reindex(db, index, settings.archive)
    index.close()
    db.close()
    return {"index_entries": count}
