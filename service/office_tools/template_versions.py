"""Template versions an office uploads: check, preview with the sample data, keep, and
activate. Version 1 of each kind is the product's own file (service.records.templates);
uploads are kept under the archive's templates/ folder, named by kind and version only.
Old versions stay, so any of them can be made active again.
"""

import uuid
from pathlib import Path

from ..clock import now_iso
from ..db import write_transaction
from ..errors import InvalidInput, NotFound
from ..letters.render import RenderError, render_docx
from ..records import templates
from ..records.kinds import DOCUMENT_KINDS
from ..records.storage import sha256_bytes, write_atomic
from .problems import Problem, Refused
from .template_check import check_docx, context_for


def check_kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise NotFound("no such document kind")
    return kind


def versions(db, kind: str) -> list[dict]:
    return list(db["templates"].rows_where("kind = ?", [check_kind(kind)], order_by="version DESC"))


def get_version(db, kind: str, version: int) -> dict:
    rows = list(db["templates"].rows_where("kind = ? AND version = ?", [check_kind(kind), version]))
    if not rows:
        raise NotFound("no such template version")
    return rows[0]


def _preview_path(settings, sha256: str, kind: str) -> Path:
    # By content and kind: the same file previews the same, whichever version it is.
    return settings.office_templates_dir / "previews" / f"{kind}-{sha256}.pdf"


def _render_sample(runtime, docx: Path, kind: str, pdf: Path) -> None:
    scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
    filled, raw = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
    try:
        render_docx(docx, context_for(kind), filled)
        runtime.convert(filled, raw)
        write_atomic(pdf, raw.read_bytes())
    finally:
        filled.unlink(missing_ok=True)
        raw.unlink(missing_ok=True)


def preview_pdf(runtime, row: dict) -> bytes:
    """The version filled with the invented sample (made once, then kept)."""
    pdf = _preview_path(runtime.settings, row["sha256"], row["kind"])
    if not pdf.exists():
        _render_sample(runtime, templates.resolve(runtime.settings, row), row["kind"], pdf)
    return pdf.read_bytes()


def upload(runtime, db, kind: str, data: bytes, user: dict | None) -> dict:
    """Check `data`, render the sample with it, and keep it as the kind's next (inactive)
    version. Raises Refused listing every problem; nothing is kept then."""
    check_kind(kind)
    problems = check_docx(data, kind)
    if problems:
        raise Refused(problems)
    settings = runtime.settings
    digest = sha256_bytes(data)
    probe = settings.tmp_dir / f"{uuid.uuid4().hex}.docx"
    write_atomic(probe, data)
    try:
        # The checks read the text; only a real render proves the rest (loops over
        # non-lists, filters given the wrong type, a layout docxtpl cannot fill).
        _render_sample(runtime, probe, kind, _preview_path(settings, digest, kind))
    except RenderError as exc:
        raise Refused([Problem("render_failed", args={"detail": exc.message})]) from None
    finally:
        probe.unlink(missing_ok=True)
    with write_transaction(db):
        last = db.execute("SELECT max(version) FROM templates WHERE kind = ?", [kind]).fetchone()[0] or 0
        version = last + 1
        relative = f"templates/{kind}-v{version}.docx"
        write_atomic(settings.archive / relative, data)
        row_id = db["templates"].insert({
            "kind": kind, "version": version, "sha256": digest, "path": relative,
            "active": 0, "uploaded_by": user["id"] if user else None,
            "created_at": now_iso()}).last_pk
    return db["templates"].get(row_id)


def activate(db, kind: str, version: int) -> dict:
    """Documents of `kind` made from now on use this version."""
    row = get_version(db, kind, version)
    with write_transaction(db):
        db.execute("UPDATE templates SET active = 0 WHERE kind = ? AND active = 1", [kind])
        db.execute("UPDATE templates SET active = 1 WHERE id = ?", [row["id"]])
    return get_version(db, kind, version)


def docx_path(settings, row: dict) -> Path:
    path = templates.resolve(settings, row)
    if not path.exists():
        raise InvalidInput("the template file is missing from the archive",
                           fields={"version": "file missing"})
    return path
