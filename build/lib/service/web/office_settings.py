"""The office's set-up page (admin only), which is also the first-run set-up: letterhead
(office, region, city, address, the lambang daerah and the office's logo), officials with
jabatan, pangkat and NIP, the public address printed in QR codes, the time zone, letter
numbers, page layout, stamp duty and receipts.

The rules are the record layer's (service/records/office.py check, the same as
PUT /api/v1/office); this page turns its reasons into Indonesian beside each field.
Images live at settings.logo_path (the lambang daerah, left of the letterhead) and
unit_logo.png beside it (the office's own logo, right), where the pipeline looks.
"""

import io
import os
import tempfile

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from PIL import Image, UnidentifiedImageError
from wtforms import BooleanField, SelectField, StringField

from ..db import write_transaction
from ..http.support import get_db, log, runtime
from ..records import office, samples
from ..records import validate as v
from ..records.formats import parse_rupiah
from ..records.kinds import DOCUMENT_KINDS
from .auth import requires
from .forms import LogoForm
from .i18n import KIND_LABELS, reason

bp = Blueprint("office_settings", __name__, url_prefix="/admin/settings")

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_SIDE = 3000
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
LOGOS = ("logo", "unit_logo")  # the lambang daerah (left), the office's logo (right)

OFFICE_FIELDS = {
    "region": (_l("Pemerintah daerah"), 200, _l("Misalnya Pemerintah Kota Jambi")),
    "name": (_l("Nama instansi"), 200, _l("Misalnya Dinas Sosial")),
    "address": (_l("Alamat"), 300, ""),
    "city": (_l("Kota (tempat penandatanganan)"), 100, ""),
    "unit": (_l("Kode unit (dalam nomor surat)"), 30, _l("Misalnya DINSOS")),
    "phone": (_l("Telepon"), 50, ""),
    "email": (_l("Surel"), 100, ""),
    "base_url": (_l("Alamat publik untuk kode QR"), 60,
                 _l("Alamat yang dibuka warga atau auditor saat memindai kode QR, misalnya "
                    "https://pulang.dinsos.jambikota.go.id. Kosongkan untuk memakai PULANG_BASE_URL.")),
}
OFFICIALS = {
    "head": _l("Kepala dinas (Pengguna Anggaran)"),
    "treasurer": _l("Bendahara pengeluaran"),
    "witness": _l("Saksi / pekerja sosial"),
}
OFFICIAL_FIELDS = {"name": (_l("Nama dan gelar"), 200), "title": (_l("Jabatan"), 200),
                   "rank": (_l("Pangkat/golongan"), 100), "nip": (_l("NIP"), 40)}
ZONE_CHOICES = [("Asia/Jakarta", _l("WIB (Asia/Jakarta)")), ("Asia/Makassar", _l("WITA (Asia/Makassar)")),
                ("Asia/Jayapura", _l("WIT (Asia/Jayapura)"))]
REGISTER_CHOICES = [("office", _l("Satu buku agenda surat keluar untuk semua surat")),
                    ("per_kind", _l("Nomor urut sendiri untuk tiap jenis surat"))]
PAPER_CHOICES = [("A4", "A4"), ("F4", _l("F4 (folio)"))]
FONT_CHOICES = [(f, f) for f in office.FONTS]
SIZE_CHOICES = [("11", "11 pt"), ("12", "12 pt"), ("10", "10 pt")]
PAGE_NUMBER_CHOICES = [("from_second", _l("Mulai halaman kedua")), ("all", _l("Semua halaman"))]
RULE_CHOICES = [("above_threshold", _l("Hanya jika jumlahnya di atas batas")),
                ("always", _l("Selalu")), ("never", _l("Tidak pernah (dibebaskan, Pasal 7)"))]
TRANSFER_CHOICES = [("listed", _l("Dicantumkan pada kuitansi sebagai disalurkan melalui rekening")),
                    ("separate", _l("Dibuatkan tanda terima tersendiri"))]

# Labels for what the home page and this page say is missing (the API's field names).
MISSING_LABELS = {
    "name": _l("nama instansi"), "region": _l("pemerintah daerah"), "city": _l("kota"),
    "address": _l("alamat"), "unit": _l("kode unit"),
}


class SettingsForm(FlaskForm):
    case_prefix = StringField(_l("Awalan nomor kasus"), description=_l("Huruf besar atau angka, misalnya JMB."))
    office_time_zone = SelectField(_l("Zona waktu kantor"), choices=ZONE_CHOICES)
    number_register = SelectField(_l("Buku agenda nomor surat"), choices=REGISTER_CHOICES)
    layout_paper = SelectField(_l("Ukuran kertas"), choices=PAPER_CHOICES)
    layout_font = SelectField(_l("Huruf"), choices=FONT_CHOICES)
    layout_font_size = SelectField(_l("Ukuran huruf"), choices=SIZE_CHOICES)
    layout_margin_left_cm = StringField(_l("Margin kiri (cm)"), render_kw={"inputmode": "decimal"})
    layout_margin_right_cm = StringField(_l("Margin kanan (cm)"), render_kw={"inputmode": "decimal"})
    layout_margin_top_cm = StringField(_l("Margin atas (cm)"), render_kw={"inputmode": "decimal"})
    layout_page_numbers = SelectField(_l("Nomor halaman"), choices=PAGE_NUMBER_CHOICES)
    stamp_pledge = BooleanField(_l("Kotak meterai pada surat pernyataan"))
    stamp_receipt_rule = SelectField(_l("Kotak meterai pada kuitansi dan tanda terima"), choices=RULE_CHOICES)
    stamp_receipt_threshold = StringField(_l("Batas jumlah untuk meterai (rupiah)"),
                                          description=_l("UU 10/2020 Pasal 3: dokumen penerimaan uang di atas Rp5.000.000."),
                                          render_kw={"inputmode": "numeric"})
    receipts_transfers = SelectField(_l("Bantuan APBN (Kemensos) yang masuk ke rekening penerima"),
                                     choices=TRANSFER_CHOICES)


for _key, (_label, _max, _hint) in OFFICE_FIELDS.items():
    setattr(SettingsForm, f"office_{_key}", StringField(_label, description=_hint, render_kw={"maxlength": _max}))
for _who in OFFICIALS:
    for _key, (_label, _max) in OFFICIAL_FIELDS.items():
        setattr(SettingsForm, f"{_who}_{_key}", StringField(_label, render_kw={"maxlength": _max}))
for _kind in DOCUMENT_KINDS:
    setattr(SettingsForm, f"pattern_{_kind}", StringField(KIND_LABELS[_kind], render_kw={"maxlength": 100}))
    setattr(SettingsForm, f"code_{_kind}", StringField(_l("Kode klasifikasi"), render_kw={"maxlength": 30}))


def _cm(value) -> str:
    return f"{value:g}".replace(".", ",")


def _form_data(settings: dict) -> dict:
    o, layout, duty = settings["office"], settings["layout"], settings["stamp_duty"]
    data = {"case_prefix": settings["case_prefix"], "number_register": settings["number_register"],
            "office_time_zone": o["time_zone"],
            "layout_paper": layout["paper"], "layout_font": layout["font"],
            "layout_font_size": str(layout["font_size"]),
            "layout_margin_left_cm": _cm(layout["margin_left_cm"]),
            "layout_margin_right_cm": _cm(layout["margin_right_cm"]),
            "layout_margin_top_cm": _cm(layout["margin_top_cm"]),
            "layout_page_numbers": layout["page_numbers"],
            "stamp_pledge": duty["pledge"], "stamp_receipt_rule": duty["receipt_rule"],
            "stamp_receipt_threshold": f"{duty['receipt_threshold']:,}".replace(",", "."),
            "receipts_transfers": settings["receipts"]["transfers"]}
    data.update({f"office_{k}": o.get(k, "") for k in OFFICE_FIELDS})
    for who in OFFICIALS:
        data.update({f"{who}_{k}": settings["officials"][who].get(k, "") for k in OFFICIAL_FIELDS})
    for kind in DOCUMENT_KINDS:
        data[f"pattern_{kind}"] = settings["number_patterns"][kind]
        data[f"code_{kind}"] = settings["number_codes"][kind]
    return data


def _number(text: str):
    """"3", "3,5" or "3.5" as a number; the text itself when it is none (the record
    layer then says why)."""
    try:
        return float(text.replace(",", ".")) if text.strip() else text
    except ValueError:
        return text


def _request(form: SettingsForm) -> dict:
    """The form as a PUT /api/v1/office body."""
    def get(name):
        return (getattr(form, name).data or "").strip() if isinstance(getattr(form, name).data, str) \
            else getattr(form, name).data
    body = {key: get(f"office_{key}") for key in OFFICE_FIELDS}
    body["time_zone"] = get("office_time_zone")
    body["case_prefix"] = get("case_prefix")
    body["officials"] = {who: {k: get(f"{who}_{k}") for k in OFFICIAL_FIELDS} for who in OFFICIALS}
    body["numbering"] = {"register": get("number_register"),
                         "codes": {k: get(f"code_{k}") for k in DOCUMENT_KINDS},
                         "patterns": {k: get(f"pattern_{k}") for k in DOCUMENT_KINDS}}
    size = get("layout_font_size")
    body["layout"] = {"paper": get("layout_paper"), "font": get("layout_font"),
                      "font_size": int(size) if str(size).isdigit() else size,
                      "page_numbers": get("layout_page_numbers"),
                      **{k: _number(get(f"layout_{k}")) for k in ("margin_left_cm", "margin_right_cm",
                                                                  "margin_top_cm")}}
    threshold = get("stamp_receipt_threshold")
    amount = parse_rupiah(threshold)
    body["stamp_duty"] = {"pledge": bool(form.stamp_pledge.data), "receipt_rule": get("stamp_receipt_rule"),
                          "receipt_threshold": amount if amount is not None else threshold}
    body["receipts"] = {"transfers": get("receipts_transfers")}
    return body


def field_name(dotted: str) -> str:
    """The form field of one of the record layer's (API's) field names."""
    parts = dotted.split(".")
    if dotted in OFFICE_FIELDS or dotted == "time_zone":
        return f"office_{dotted}"
    if parts[0] == "officials" and len(parts) == 3:
        return f"{parts[1]}_{parts[2]}"
    if parts[0] == "numbering":
        if parts[1] == "register":
            return "number_register"
        return f"{'code' if parts[1] == 'codes' else 'pattern'}_{parts[2]}"
    if parts[0] == "layout":
        return f"layout_{parts[1]}"
    if parts[0] == "stamp_duty":
        return "stamp_pledge" if parts[1] == "pledge" else f"stamp_{parts[1]}"
    if parts[0] == "receipts":
        return "receipts_transfers"
    return dotted


def missing_labels(missing: list[str]) -> list[str]:
    """What the home page lists as still to fill in, in the clerk's words."""
    labels = []
    for name in missing:
        if name in MISSING_LABELS:
            labels.append(str(MISSING_LABELS[name]))
            continue
        _, who, key = name.split(".")
        labels.append(f"{OFFICIAL_FIELDS[key][0]} {str(OFFICIALS[who]).split(' (')[0].lower()}")
    return labels


def setup_state() -> dict:
    """What the home page and this page show about the set-up: complete, missing (as
    labels) and flags (the QR address)."""
    settings = office.get_all(get_db())
    missing = office.missing(settings)
    return {"complete": not missing, "missing": missing_labels(missing),
            "flags": office.flags(settings, runtime().settings.base_url),
            "base_url": office.public_base_url(settings, runtime().settings.base_url)}


def _page(form, logo_form, status=200, unit_form=None):
    archive = runtime().settings
    return render_template("web/admin/settings.html", form=form, logo_form=logo_form,
                           unit_form=unit_form or LogoForm(formdata=None, prefix="unit"),
                           office_fields=OFFICE_FIELDS, officials=OFFICIALS,
                           official_fields=OFFICIAL_FIELDS, kinds=DOCUMENT_KINDS,
                           has_logo=archive.logo_path.exists(),
                           has_unit_logo=_logo_path("unit_logo").exists(),
                           setup=setup_state()), status


@bp.route("", methods=["GET", "POST"])
@requires("settings.manage")
def settings():
    db = get_db()
    current = office.get_all(db)
    form = SettingsForm(data=_form_data(current))
    if form.is_submitted() and not form.validate():
        return _page(form, LogoForm(formdata=None), 400)
    if form.is_submitted():
        new, problems = office.check(_request(form), current)
        for name, why in problems.items():
            field = getattr(form, field_name(name), None)
            if field is not None:
                field.errors = [reason(why)]
        if problems:
            return _page(form, LogoForm(formdata=None), 400)
        with write_transaction(db):
            changed = office.save(db, new, current)
        if office.complete(new):
            samples.prune(db, runtime().settings.archive, everything=True)
        log("settings.update", detail={"changed": changed})
        if office.complete(new):
            flash(_("Pengaturan tersimpan. Surat yang dibuat mulai sekarang memakainya."), "success")
        else:
            flash(_("Pengaturan tersimpan, tetapi belum lengkap: surat masih dicetak sebagai CONTOH."), "warning")
        return redirect(url_for("office_settings.settings"))
    return _page(form, LogoForm(formdata=None))


def _logo_path(which: str):
    path = runtime().settings.logo_path
    return path if which == "logo" else path.with_name(f"{which}.png")


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


def _upload(which: str):
    logo_form = LogoForm(prefix="unit") if which == "unit_logo" else LogoForm()
    if logo_form.validate_on_submit():
        try:
            png = _read_logo(logo_form.logo.data)
        except v.FieldError as exc:
            logo_form.logo.errors = [str(exc)]
        else:
            target = _logo_path(which)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(png)
            os.replace(tmp, target)
            log("settings.logo", detail={"bytes": len(png), "which": which})
            flash(_("Logo tersimpan."), "success")
            return redirect(url_for("office_settings.settings"))
    form = SettingsForm(formdata=None, data=_form_data(office.get_all(get_db())))
    if which == "unit_logo":
        return _page(form, LogoForm(formdata=None), 400, unit_form=logo_form)
    return _page(form, logo_form, 400)


@bp.post("/logo")
@requires("settings.manage")
def logo():
    """The lambang daerah, left of the letterhead (`office_logo` in templates)."""
    return _upload("logo")


@bp.post("/unit-logo")
@requires("settings.manage")
def unit_logo():
    """The office's own logo, right of the letterhead (`unit_logo`); optional."""
    return _upload("unit_logo")


@bp.get("/logo.png", defaults={"which": "logo"})
@bp.get("/unit_logo.png", defaults={"which": "unit_logo"})
@requires("settings.manage")
def logo_image(which):
    path = _logo_path(which)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=0)
