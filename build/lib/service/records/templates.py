"""Which Word template (and which version of it) makes each kind of document.

Version 1 of each kind is the product's own file in `templates/`. Offices upload new
versions (kept under the archive); every document records the version and hash that made it.
"""

from pathlib import Path

from ..clock import now_iso
from ..errors import NotFound
from .kinds import DOCUMENT_KINDS
from .storage import sha256_file

BUILTIN = "builtin/"


def resolve(settings, row: dict) -> Path:
    if row["path"].startswith(BUILTIN):
        return settings.templates_dir / row["path"][len(BUILTIN):]
    return settings.archive / row["path"]


def register_builtins(db, settings) -> None:
    """Record the product's templates. When an upgrade ships a changed default, it
    becomes a new version, active only if the office still used the default."""
    for kind in DOCUMENT_KINDS:
        path = settings.templates_dir / f"{kind}.docx"
        if not path.exists():
            continue
        digest = sha256_file(path)
        rows = list(db["templates"].rows_where("kind = ?", [kind], order_by="version"))
        builtins = [r for r in rows if r["path"].startswith(BUILTIN)]
        if builtins and builtins[-1]["sha256"] == digest:
            continue
        active = next((r for r in rows if r["active"]), None)
        take_over = active is None or active["path"].startswith(BUILTIN)
        if take_over and active:
            db["templates"].update(active["id"], {"active": 0})
        db["templates"].insert({
            "kind": kind, "version": (rows[-1]["version"] + 1) if rows else 1,
            "sha256": digest, "path": BUILTIN + path.name, "active": int(take_over),
            "created_at": now_iso(),
        })


def active(db, kind: str) -> dict:
    rows = list(db["templates"].rows_where("kind = ? AND active = 1", [kind]))
    if not rows:
        raise NotFound(f"no active template for {kind}")
    return rows[0]
