"""Template versions an office uploads: check, preview with the sample data, keep, and
activate. Version 1 of each kind is the product's own file (service.records.templates);
uploads are kept under the archive's templates/ folder, named by kind and version only.
Old versions stay, so any of them can be made active again.

An upload is rendered twice before it is kept: with the sparse sample (which becomes its
preview) and with the full one (every optional value, every aid kind, notes, a logo), so
that a branch printing only when something is present has run once under the sandbox.
The same file uploaded again for the same kind is the version it already is (nothing
new is written); a preview is kept by content and kind, written once.
"""

import uuid
from pathlib import Path

from ..clock import now_iso
from ..db import write_transaction
from ..errors import InvalidInput, NotFound
from ..letters.render import About, RenderError, render_docx
from ..letters.sample import OFFICE, SAMPLE_LOGO_PNG
from ..letters.sandbox import Limits
from ..records import templates
from ..records.kinds import DOCUMENT_KINDS
from ..records.storage import sha256_bytes, sha256_file, write_atomic
from .problems import Problem, Refused
from . import wording
from .template_check import check_docx, context_for, full_context_for


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


def _render(runtime, docx: Path, kind: str, version: int | None, *, full: bool,
            out: Path) -> None:
    """Render the sparse or the full sample (the full one with a logo)."""
    settings = runtime.settings
    about = About(kind, version, (), OFFICE["name"])
    limits = Limits(seconds=settings.render_seconds)
    if not full:
        render_docx(docx, context_for(kind), out, about=about, limits=limits)
        return
    logo = out.with_suffix(".png")
    try:
        logo.write_bytes(SAMPLE_LOGO_PNG)
        render_docx(docx, full_context_for(kind), out, logo=logo, about=about, limits=limits)
    finally:
        logo.unlink(missing_ok=True)


def _render_samples(runtime, docx: Path, kind: str, version: int | None, pdf: Path) -> None:
    """Both samples rendered; the sparse one converted into `pdf` unless it exists (a
    preview is by content and kind). Raises RenderError, its `sample` saying which."""
    scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
    sparse, full, raw = (scratch.with_name(scratch.name + suffix)
                         for suffix in (".docx", "-full.docx", ".pdf"))
    try:
        for is_full, out in ((False, sparse), (True, full)):
            try:
                _render(runtime, docx, kind, version, full=is_full, out=out)
            except RenderError as exc:
                exc.sample = "full" if is_full else "sparse"
                raise
        if not pdf.exists():
            runtime.convert(sparse, raw)
            try:
                write_atomic(pdf, raw.read_bytes())
            except FileExistsError:
                pass  # made meanwhile by the same file's other upload: the same preview
    finally:
        for path in (sparse, full, raw):
            path.unlink(missing_ok=True)


def preview_pdf(runtime, row: dict) -> bytes:
    """The version filled with the invented sample (made once, then kept)."""
    pdf = _preview_path(runtime.settings, row["sha256"], row["kind"])
    if not pdf.exists():
        _render_samples(runtime, templates.resolve(runtime.settings, row), row["kind"],
                        row["version"], pdf)
    return pdf.read_bytes()


def _same_file(settings, db, kind: str, digest: str) -> dict | None:
    """The version that already is this very file, if any (a built-in row only while the
    product's file still has that content)."""
    for row in db["templates"].rows_where("kind = ? AND sha256 = ?", [kind, digest],
                                          order_by="version"):
        if not row["path"].startswith(templates.BUILTIN):
            return row
        path = templates.resolve(settings, row)
        if path.exists() and sha256_file(path) == digest:
            return row
    return None


def upload(runtime, db, kind: str, data: bytes, user: dict | None) -> dict:
    """Check `data`, render both samples with it, and keep it as the kind's next
    (inactive) version; the same file again is the version it already is (the row has
    `existing` set then). The row returned carries `warnings` (stigmatising words: kept,
    but said). Raises Refused listing every problem; nothing is kept then."""
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
        # non-lists, filters given the wrong type, a layout docxtpl cannot fill, what a
        # branch does once a value is present).
        _render_samples(runtime, probe, kind, None, _preview_path(settings, digest, kind))
    except RenderError as exc:
        raise Refused([Problem("render_failed", args={
            "detail": exc.detail, "sample": getattr(exc, "sample", "sparse")})]) from None
    finally:
        probe.unlink(missing_ok=True)
    with write_transaction(db):
        same = _same_file(settings, db, kind, digest)
        if same is not None:
            return dict(same, existing=True)
        last = db.execute("SELECT max(version) FROM templates WHERE kind = ?", [kind]).fetchone()[0] or 0
        version = last + 1
        relative = f"templates/{kind}-v{version}.docx"
        # A file of this name with no row is what an upload killed before its commit
        # left; the write lock held here means no other upload can be writing it.
        (settings.archive / relative).unlink(missing_ok=True)
        write_atomic(settings.archive / relative, data)
        row_id = db["templates"].insert({
            "kind": kind, "version": version, "sha256": digest, "path": relative,
            "active": 0, "uploaded_by": user["id"] if user else None,
            "created_at": now_iso()}).last_pk
    return dict(db["templates"].get(row_id), existing=False, warnings=wording.warnings(data))


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
