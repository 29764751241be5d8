"""The web forms (Flask-WTF: each carries its CSRF token).

Forms check only what the browser can get wrong on its own (a missing field, an amount
that is not a number); the rules of the domain (NIK, dates, lengths, duplicates) stay in
service.records.cases and friends, whose reasons the views show on the fields.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..auth.roles import ROLES
from ..records.formats import ddmmyyyy, parse_rupiah, parse_tanggal
from .i18n import AID_LABELS, KIND_LABELS, ROLE_LABELS

NEW_FACILITY = "__new__"


class _Required(InputRequired):
    """InputRequired whose message names the field: "Nama pengguna wajib diisi"."""

    def __call__(self, form, field):
        self.message = _l("%(label)s wajib diisi", label=field.label.text)
        super().__call__(form, field)


def required():
    return _Required()


class Needed:
    """Marks a field the record layer requires (the page shows the asterisk) without
    checking it here: service.records.cases says what is missing, all fields at once."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class DateText(StringField):
    """A date typed as dd/mm/yyyy (31/07/2024), whatever the browser's language: a text box,
    not <input type=date>, which Chromium shows in the browser's locale order (mm/dd/yyyy
    for many office PCs set up in English). `data` is the ISO date the record layer takes
    ("" when empty); the box shows dd/mm/yyyy."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "maxlength": 10,
                     "placeholder": _l("hh/bb/tttt"), **kwargs.pop("render_kw", {})}
        kwargs.setdefault("description", _l("Tulis hari/bulan/tahun, misalnya 31/07/1990."))
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.typed = ""

    def process_formdata(self, valuelist):
        self.typed = (valuelist[0] if valuelist else "").strip()
        day = parse_tanggal(self.typed)
        self.data = day.isoformat() if day else ("" if not self.typed else None)

    def process_data(self, value):
        day = parse_tanggal(value) if isinstance(value, str) else value
        self.data = day.isoformat() if day else ""

    def pre_validate(self, form):
        if self.data is None:
            raise ValidationError(_l("Tanggal tidak dapat dibaca. Tulis hari/bulan/tahun (hh/bb/tttt)."))

    def _value(self):
        return self.typed if self.data is None else ddmmyyyy(self.data)


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def at_most(n: int):
    return Length(max=n, message=_l("paling banyak %(max)d karakter"))


class LoginForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[required(), at_most(64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Kata sandi"), validators=[required(), at_most(1024)],
                             render_kw={"autocomplete": "current-password"})


class LanguageForm(FlaskForm):
    locale = HiddenField()
    next = HiddenField()


class CaseForm(FlaskForm):
    full_name = StringField(_l("Nama lengkap"), validators=[Needed()],
                            render_kw={"maxlength": 200, "autocomplete": "off"})
    nik = StringField(_l("NIK"), description=_l("16 angka dari KTP-el atau KK. Kosongkan bila tidak ada."),
                      render_kw={"inputmode": "numeric", "maxlength": 40, "autocomplete": "off",
                                 "data-nik-check": True})
    birth_place = StringField(_l("Tempat lahir"), render_kw={"maxlength": 100})
    birth_date = DateText(_l("Tanggal lahir"))
    origin_address = TextAreaField(_l("Alamat asal"), render_kw={"rows": 2, "maxlength": 500})
    origin_region = StringField(_l("Daerah asal"), description=_l("Kabupaten/kota dan provinsi, tujuan pulang."),
                                render_kw={"maxlength": 100})
    facility = SelectField(_l("Lokasi / fasilitas"), validators=[Needed()], validate_choice=False)
    new_facility = StringField(_l("Nama lokasi baru"),
                               description=_l("Isi hanya bila lokasinya belum ada di daftar."),
                               render_kw={"maxlength": 200})
    notes = TextAreaField(_l("Catatan"), render_kw={"rows": 3, "maxlength": 5000})
    allow_duplicate = BooleanField(_l("Saya sudah memeriksa: ini orang lain, atau memang perlu kasus terpisah."))

    TEXT_FIELDS = ("full_name", "nik", "birth_place", "birth_date", "origin_address",
                   "origin_region", "notes")

    def set_facilities(self, names: list[str]) -> None:
        self.facility.choices = choices([("", _l("— pilih lokasi —"))] + [(n, n) for n in names]
                                        + [(NEW_FACILITY, _l("Lokasi baru (ketik di bawah)…"))])

    def record(self) -> dict:
        """What service.records.cases takes (the same fields the API takes)."""
        data = {name: (getattr(self, name).data or "") for name in self.TEXT_FIELDS}
        typed = (self.new_facility.data or "").strip()
        chosen = self.facility.data if self.facility.data != NEW_FACILITY else ""
        data["facility"] = typed or chosen or ""
        if self.allow_duplicate.data:
            data["allow_duplicate"] = True
        return data


class AidForm(FlaskForm):
    kind = SelectField(_l("Jenis bantuan"), choices=choices(AID_LABELS.items()))
    amount = StringField(_l("Jumlah (Rp)"), validators=[required()],
                         description=_l("Misalnya 1.500.000 atau 1500000"),
                         render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20})
    source = StringField(_l("Sumber dana"), render_kw={"maxlength": 200, "placeholder": _l("APBD atau APBN")})
    description = StringField(_l("Keterangan"), render_kw={"maxlength": 500})

    def validate_amount(self, field):
        if parse_rupiah(field.data) is None:
            raise ValidationError(_l("Tulis jumlah dalam rupiah, misalnya 1.500.000"))

    def record(self) -> dict:
        return {"kind": self.kind.data, "amount": parse_rupiah(self.amount.data),
                "source": self.source.data or "", "description": self.description.data or ""}


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token (and maybe a value)."""
    kind = HiddenField()


class VoidForm(FlaskForm):
    reason = TextAreaField(_l("Alasan pembatalan"), validators=[required(), at_most(500)],
                           render_kw={"rows": 2, "maxlength": 500})
    # The confirmation asked before a void, in the form itself (no script, strict CSP).
    confirm = BooleanField(_l("Ya, batalkan surat ini. Nomornya tidak dipakai lagi."),
                           validators=[InputRequired(message=_l("Centang untuk memastikan pembatalan."))])


def _kind_choices():
    return choices([("", _l("Semua jenis")), ("case", _l("Kasus tanpa surat"))] + list(KIND_LABELS.items()))


class SearchForm(FlaskForm):
    q = StringField(_l("Cari nama, NIK, nomor kasus atau nomor surat"), render_kw={
        "maxlength": 200, "autocomplete": "off", "type": "search"})
    facility = SelectField(_l("Lokasi"), validate_choice=False)
    kind = SelectField(_l("Jenis dokumen"), choices=_kind_choices(), validate_choice=False)
    date_from = DateText(_l("Dari tanggal"), description="")
    date_to = DateText(_l("Sampai tanggal"), description="")
    unsigned = BooleanField(_l("Belum ditandatangani"),
                            description=_l("Hanya surat sah yang belum kembali ditandatangani"))
    page = HiddenField(default="1")

    def set_facilities(self, names: list[str]) -> None:
        self.facility.choices = choices([("", _l("Semua lokasi"))] + [(n, n) for n in names])


def _role_choices():
    return choices((role, ROLE_LABELS[role]) for role in ROLES)


class UserCreateForm(FlaskForm):
    username = StringField(_l("Nama pengguna"), validators=[required(), at_most(64)],
                           render_kw={"autocomplete": "off"})
    role = SelectField(_l("Peran"), choices=_role_choices(), default="staff")
    password = PasswordField(_l("Kata sandi"), validators=[Optional(), at_most(1024)],
                             description=_l("Kosongkan untuk membuat kata sandi acak yang ditampilkan sekali."),
                             render_kw={"autocomplete": "new-password"})


class RoleForm(FlaskForm):
    role = SelectField(_l("Peran"), choices=_role_choices())


class LogoForm(FlaskForm):
    logo = FileField(_l("Logo kop surat (PNG atau JPEG, paling besar 1 MB)"),
                     render_kw={"accept": "image/png,image/jpeg"})


class AuditFilterForm(FlaskForm):
    """Filters travel in the URL (GET): they hold user names and action codes, never a
    beneficiary's name, and a filtered view can then be bookmarked."""

    class Meta:
        csrf = False

    who = SelectField(_l("Siapa"), validate_choice=False)
    what = SelectField(_l("Tindakan"), validate_choice=False)
    date_from = DateText(_l("Dari tanggal"), description="")
    date_to = DateText(_l("Sampai tanggal"), description="")
