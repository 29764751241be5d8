"""The office's settings page (admin only): letterhead, officials with their NIP, letter
number patterns, the case-number prefix, and the letterhead logo.

Settings live in the database (service.records.office); the logo at settings.logo_path, where the
pipeline looks for it.
"""

import datetime as dt
import io
import os
import re
import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from PIL import Image, UnidentifiedImageError
from wtforms import StringField

from ..errors import InvalidInput
from ..http.support import get_db, log, runtime
from ..records import office
from ..records.kinds import DOCUMENT_KINDS
from ..records import validate as v
from ..records.numbering import check_pattern, format_number
from .auth import requires
from .forms import LogoForm
from .i18n import KIND_LABELS, reason

bp = Blueprint("office_settings", __name__, url_prefix="/admin/settings")

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 3000
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")

OFFICE_FIELDS = {
    "parent": (_l("Pemerintah daerah"), 200),
    "name": (_l("Nama instansi"), 200),
    "address": (_l("Alamat"), 300),
    "city": (_l("Kota (tempat penandatanganan)"), 100),
    "unit": (_l("Kode unit (dalam nomor surat)"), 30),
    "phone": (_l("Telepon"), 50),
    "email": (_l("Surel"), 100),
}
OFFICIALS = {
    "head": _l("Kepala dinas"),
    "treasurer": _l("Bendahara"),
    "witness": _l("Saksi / pekerja sosial"),
}
OFFICIAL_FIELDS = {"name": (_l("Nama"), 200), "title": (_l("Jabatan"), 200), "nip": (_l("NIP"), 30)}


class SettingsForm(FlaskForm):
    case_prefix = StringField(_l("Awalan nomor kasus"), description=_l("Huruf besar atau angka, misalnya JMB."))


for _key, (_label, _max) in OFFICE_FIELDS.items():
    setattr(SettingsForm, f"office_{_key}", StringField(_label, render_kw={"maxlength": _max}))
for _who in OFFICIALS:
    for _key, (_label, _max) in OFFICIAL_FIELDS.items():
        setattr(SettingsForm, f"{_who}_{_key}", StringField(_label, render_kw={"maxlength": _max}))
for _kind in DOCUMENT_KINDS:
    setattr(SettingsForm, f"pattern_{_kind}", StringField(KIND_LABELS[_kind], render_kw={"maxlength": 100}))
    setattr(SettingsForm, f"code_{_kind}", StringField(_l("Kode klasifikasi"), render_kw={"maxlength": 20}))


def _form_data(settings: dict) -> dict:
    data = {"case_prefix": settings["case_prefix"]}
    data.update({f"office_{k}": settings["office"].get(k, "") for k in OFFICE_FIELDS})
    for who in OFFICIALS:
        data.update({f"{who}_{k}": settings["officials"][who].get(k, "") for k in OFFICIAL_FIELDS})
    for kind in DOCUMENT_KINDS:
        data[f"pattern_{kind}"] = settings["number_patterns"][kind]
        data[f"code_{kind}"] = settings["number_codes"][kind]
    return data


def _nip(value: str) -> str:
    """NIP: 18 digits, often written in groups (19680512 199403 2 004)."""
    if value and not re.fullmatch(r"\d{18}", value.replace(" ", "")):
        raise v.FieldError(_("NIP terdiri dari 18 angka"))
    return value


def _prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z0-9]{1,10}", value):
        raise v.FieldError(_("1 sampai 10 huruf besar atau angka"))
    return value


def _pattern(value: str) -> str:
    try:
        check_pattern(value)
        # A format spec such as {seq:03q} passes the name check but fails on use.
        format_number(value, seq=1, kind="pledge", code="460", unit="DINSOS", on=dt.date.today())
    except InvalidInput as exc:
        why = exc.fields.get("pattern", "")
        if why.startswith(("unknown fields", "must contain")):
            raise v.FieldError(reason(why)) from None
        raise v.FieldError(_("pola tidak dapat dipakai")) from None  # e.g. an unclosed "{"
    except (ValueError, IndexError, KeyError):
        raise v.FieldError(_("pola tidak dapat dipakai")) from None
    return value


def _clean(form: SettingsForm) -> dict | None:
    """The new settings, or None with the reasons put on the form's fields."""
    checks = {"case_prefix": _prefix}
    for key, (_label, limit) in OFFICE_FIELDS.items():
        checks[f"office_{key}"] = lambda x, limit=limit: v.text(x, max_len=limit)
    for who in OFFICIALS:
        for key, (_label, limit) in OFFICIAL_FIELDS.items():
            checks[f"{who}_{key}"] = (lambda x: _nip(v.text(x, max_len=30))) if key == "nip" else \
                (lambda x, limit=limit: v.text(x, max_len=limit))
    for kind in DOCUMENT_KINDS:
        checks[f"pattern_{kind}"] = lambda x: _pattern(v.text(x, max_len=100, required=True))
        checks[f"code_{kind}"] = lambda x: v.text(x, max_len=20)
    raw = {name: (getattr(form, name).data or "").strip() for name in checks}
    clean, problems = v.collect(raw, checks)
    for name, why in problems.items():
        getattr(form, name).errors = [reason(why)]
    if problems:
        return None
    return {
        "office": {k: clean[f"office_{k}"] for k in OFFICE_FIELDS},
        "officials": {who: {k: clean[f"{who}_{k}"] for k in OFFICIAL_FIELDS} for who in OFFICIALS},
        "case_prefix": clean["case_prefix"],
        "number_patterns": {k: clean[f"pattern_{k}"] for k in DOCUMENT_KINDS},
        "number_codes": {k: clean[f"code_{k}"] for k in DOCUMENT_KINDS},
    }


def _page(form, logo_form, status=200):
    return render_template("web/admin/settings.html", form=form, logo_form=logo_form,
                           office_fields=OFFICE_FIELDS, officials=OFFICIALS,
                           official_fields=OFFICIAL_FIELDS, kinds=DOCUMENT_KINDS,
                           has_logo=runtime().settings.logo_path.exists()), status


@bp.route("", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    db = get_db()
    current = office.get_all(db)
    form = SettingsForm(data=_form_data(current))
    if form.validate_on_submit():
        new = _clean(form)
        if new is not None:
            changed = sorted(k for k, value in new.items() if current.get(k) != value)
            for key in changed:
                office.put(db, key, new[key])
            log("settings.update", detail={"changed": changed})
            flash(_("Pengaturan tersimpan. Surat yang dibuat mulai sekarang memakainya."), "success")
            return redirect(url_for("office_settings.settings"))
    return _page(form, LogoForm(formdata=None), 400 if form.is_submitted() else 200)


def _read_logo(upload) -> bytes:
    """The logo re-encoded as PNG (which also drops whatever else the file carried)."""
    data = upload.read(LOGO_MAX_BYTES + 1) if upload else b""
    if not data:
        raise v.FieldError(_("pilih berkas logo"))
    if len(data) > LOGO_MAX_BYTES:
        raise v.FieldError(_("berkas lebih besar dari 1 MB"))
    if not data.startswith(_MAGIC):
        raise v.FieldError(_("berkas bukan gambar PNG atau JPEG"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ("PNG", "JPEG"):
                raise v.FieldError(_("berkas bukan gambar PNG atau JPEG"))
            if max(probe.size) > LOGO_MAX_SIDE:
                raise v.FieldError(_("gambar terlalu besar (paling banyak 3000 piksel per sisi)"))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA")
            out = io.BytesIO()
            image.save(out, format="PNG")
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise v.FieldError(_("gambar rusak atau tidak dapat dibaca")) from None


@bp.post("/logo")
@requires("settings.manage")
def logo():
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        try:
            png = _read_logo(logo_form.logo.data)
        except v.FieldError as exc:
            logo_form.logo.errors = [str(exc)]
        else:
            target = runtime().settings.logo_path
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(png)
            os.replace(tmp, target)
            log("settings.logo", detail={"bytes": len(png)})
            flash(_("Logo tersimpan."), "success")
            return redirect(url_for("office_settings.settings"))
    form = SettingsForm(formdata=None, data=_form_data(office.get_all(get_db())))
    return _page(form, logo_form, 400)


@bp.get("/logo.png")
@requires("settings.manage")
def logo_image():
    path = runtime().settings.logo_path
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=0)
