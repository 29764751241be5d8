"""The office's own settings, kept in the database and edited by an admin (the set-up
page, `PUT /api/v1/office`, `pulang office set`): letterhead, officials with jabatan,
pangkat and NIP, the public address printed in QR codes, the time zone, letter-number
settings, page layout, the stamp-duty rule and how receipts treat money the treasurer
did not pay.

A new archive starts with no office at all: no Kota Jambi letterhead, no "Kepala Dinas"
without a name. Until the fields of REQUIRED are filled the office is incomplete, and
letters are samples (service/letters/samples.py): watermarked "CONTOH — BELUM BERLAKU",
numbered "CONTOH", never entered in the register.

Other modules ask through the functions here (get_all, missing, public_base_url …),
never by reading the settings table.
"""

import copy
import datetime as dt
import ipaddress
import json
import re
from urllib.parse import urlsplit

from ..clock import DEFAULT_ZONE, TIME_ZONES, set_office_zone
from ..errors import InvalidInput
from . import numbering
from . import validate as v
from .kinds import DOCUMENT_KINDS

ROLES = ("head", "treasurer", "witness")
PAPERS = {"A4": (21.0, 29.7), "F4": (21.5, 33.0)}  # cm
FONTS = ("Arial", "Times New Roman", "Calibri", "Cambria")  # metric twins installed
RECEIPT_RULES = ("above_threshold", "always", "never")
TRANSFER_MODES = ("listed", "separate")
REGISTERS = ("office", "per_kind")
PAGE_NUMBERS = ("from_second", "all")

# Permendagri 83/2022 (Lampiran): 400 Kesejahteraan Rakyat, 900 Keuangan, the primary
# classes. The sub-class that fits each paper is the office arsiparis' choice (it varies
# with the office's own scheme), so it is set per kind; nothing finer is invented here.
DEFAULT_CODES = {"pledge": "400", "release_report": "400", "ceremony_report": "400",
                 "aid_receipt": "900", "transfer_receipt": "900", "aid_roster": "900"}
# Kemendagri's own letters print code/sequence/unit; the year keeps numbers unique as
# sequences restart each year (the letter's date is printed anyway).
DEFAULT_PATTERN = "{code}/{seq:03d}/{unit}/{year}"

DEFAULTS = {
    "office": {"region": "", "name": "", "address": "", "city": "", "unit": "",
               "phone": "", "email": "", "base_url": "", "time_zone": DEFAULT_ZONE},
    "officials": {role: {"name": "", "title": "", "rank": "", "nip": ""} for role in ROLES},
    "case_prefix": "PM",
    # One register of outgoing letters (buku agenda surat keluar): one sequence for every
    # kind, so kinds may share a classification code. "per_kind": a sequence per kind.
    "number_register": "office",
    "number_patterns": {kind: DEFAULT_PATTERN for kind in DOCUMENT_KINDS},
    "number_codes": dict(DEFAULT_CODES),
    # Permendagri 1/2023 (Lampiran, tata naskah dinas): A4, Arial 11 or 12, left margin
    # 3 cm for binding, page numbers from the second page. The bottom margin is fixed at
    # 3 cm: it is the stamp's band (service/letters/stamp.py BAND).
    "layout": {"paper": "A4", "font": "Arial", "font_size": 11, "margin_left_cm": 3.0,
               "margin_right_cm": 2.0, "margin_top_cm": 2.0, "page_numbers": "from_second"},
    # UU 10/2020 Pasal 3: duty on statements (the pledge) and on receipts of money above
    # Rp5.000.000; Pasal 7's exemptions are finance staff's call, hence the rule.
    "stamp_duty": {"pledge": True, "receipt_rule": "above_threshold",
                   "receipt_threshold": 5_000_000},
    # Money the treasurer did not pay (Kemensos/APBN into her account, other givers):
    # listed on the office's kuitansi as "disalurkan melalui rekening", or its own receipt.
    "receipts": {"transfers": "listed"},
}

# What must be filled before letters are official. A logo is optional; base_url always
# has a value (the office's, or PULANG_BASE_URL) and is flagged when loopback.
REQUIRED = (
    "name", "region", "city", "address", "unit",
    "officials.head.name", "officials.head.title", "officials.head.rank", "officials.head.nip",
    "officials.treasurer.name", "officials.treasurer.title", "officials.treasurer.rank",
    "officials.treasurer.nip",
    "officials.witness.name", "officials.witness.title",
)


# --- reading and writing ------------------------------------------------------------------

def _merge(base: dict, stored: dict) -> None:
    for key, value in stored.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            _merge(base[key], value)
        else:
            base[key] = value


def get_all(db) -> dict:
    stored = {row["key"]: json.loads(row["value"]) for row in db["settings"].rows}
    office = stored.get("office")
    if isinstance(office, dict) and "parent" in office:  # stored before the region field
        office.setdefault("region", office.pop("parent"))
    merged = copy.deepcopy(DEFAULTS)
    _merge(merged, stored)
    set_office_zone(merged["office"]["time_zone"])
    return merged


def put(db, key: str, value) -> None:
    db["settings"].upsert({"key": key, "value": json.dumps(value, ensure_ascii=False)}, pk="key")


# --- completeness -------------------------------------------------------------------------

def _value(settings: dict, field: str) -> str:
    node = settings["office"] if not field.startswith("officials.") else settings
    for part in field.split("."):
        node = node.get(part, "") if isinstance(node, dict) else ""
    return node if isinstance(node, str) else ""


def missing(settings: dict) -> list[str]:
    """The API's names of the required fields still empty, in form order."""
    return [field for field in REQUIRED if not _value(settings, field).strip()]


def complete(settings: dict) -> bool:
    return not missing(settings)


def public_base_url(settings: dict, fallback: str) -> str:
    """The address printed in QR codes: the office's, else PULANG_BASE_URL (fallback)."""
    return (settings["office"].get("base_url") or fallback).rstrip("/")


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def flags(settings: dict, fallback_base_url: str) -> list[str]:
    """What an admin should know though it does not block letters: a QR address only
    this machine can open."""
    return ["base_url_loopback"] if is_loopback(public_base_url(settings, fallback_base_url)) else []


def view(settings: dict, fallback_base_url: str, *, logo: bool = False, unit_logo: bool = False) -> dict:
    """The office as GET/PUT /api/v1/office answer it."""
    office = settings["office"]
    base = public_base_url(settings, fallback_base_url)
    return {
        **{k: office[k] for k in ("name", "region", "city", "address", "unit", "phone", "email")},
        "base_url": base,
        "base_url_source": "office" if office.get("base_url") else "environment",
        "time_zone": office["time_zone"],
        "officials": copy.deepcopy(settings["officials"]),
        "case_prefix": settings["case_prefix"],
        "numbering": {"register": settings["number_register"],
                      "codes": dict(settings["number_codes"]),
                      "patterns": dict(settings["number_patterns"])},
        "layout": dict(settings["layout"]),
        "stamp_duty": dict(settings["stamp_duty"]),
        "receipts": dict(settings["receipts"]),
        "logo": logo, "unit_logo": unit_logo,
        "complete": complete(settings),
        "missing": missing(settings),
        "flags": flags(settings, fallback_base_url),
    }


# --- checks -------------------------------------------------------------------------------

def check_nip(value) -> str:
    """A civil servant's NIP (PP 11/2017): 18 digits, birth date YYYYMMDD, appointment
    YYYYMM, sex 1 or 2, serial; often written in groups ("19680512 199403 2 004").
    Returns the digits alone; "" stays "" (not every witness is a civil servant)."""
    text = v.text(value, max_len=40)
    digits = re.sub(r"[\s.]", "", text)
    if not digits:
        return ""
    if not digits.isdigit() or len(digits) != 18:
        raise v.FieldError("a NIP has 18 digits")
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        appointed = dt.date(int(digits[8:12]), int(digits[12:14]), 1)
    except ValueError:
        raise v.FieldError("a NIP begins with a birth date (YYYYMMDD) and an appointment "
                           "month (YYYYMM)") from None
    if not dt.date(1940, 1, 1) <= born < appointed:
        raise v.FieldError("a NIP begins with a birth date (YYYYMMDD) and an appointment "
                           "month (YYYYMM)")
    if digits[14] not in "12":
        raise v.FieldError("the 15th digit of a NIP is 1 (man) or 2 (woman)")
    return digits


def check_official(value, *, where: str = "") -> dict:
    """{name, title, rank, nip} of one official (a ceremony's or the office's)."""
    if not isinstance(value, dict):
        raise v.FieldError("must be an object with name, title, rank and nip")
    unknown = set(value) - {"name", "title", "rank", "nip"}
    if unknown:
        raise v.FieldError(f"unknown field {sorted(unknown)[0]!r}{where}")
    return {"name": v.text(value.get("name"), max_len=200),
            "title": v.text(value.get("title"), max_len=200),
            "rank": v.text(value.get("rank"), max_len=100),
            "nip": check_nip(value.get("nip"))}


def _unit(value) -> str:
    text = v.text(value, max_len=30)
    if text and not re.fullmatch(r"[A-Za-z0-9.\-]+", text):
        raise v.FieldError("use letters, digits, dots or dashes (it is part of letter numbers)")
    return text


def _base_url(value) -> str:
    text = v.text(value, max_len=60).rstrip("/")
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise v.FieldError("must be an address such as https://pulang.dinsos.example.go.id")
    return text


def _email(value) -> str:
    text = v.text(value, max_len=100)
    if text and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise v.FieldError("must be an e-mail address")
    return text


def _prefix(value) -> str:
    text = v.text(value, max_len=10, required=True)
    if not re.fullmatch(r"[A-Z0-9]{1,10}", text):
        raise v.FieldError("use 1 to 10 capital letters or digits")
    return text


def _number(value, *, minimum, maximum, whole=True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
        raise v.FieldError("must be a whole number" if whole else "must be a number")
    if not minimum <= value <= maximum:
        raise v.FieldError(f"must be between {minimum} and {maximum}")
    return value


OFFICE_CHECKS = {
    "name": lambda x: v.text(x, max_len=200),
    "region": lambda x: v.text(x, max_len=200),
    "city": lambda x: v.text(x, max_len=100),
    "address": lambda x: v.text(x, max_len=300),
    "unit": _unit,
    "phone": lambda x: v.text(x, max_len=50),
    "email": _email,
    "base_url": _base_url,
    "time_zone": lambda x: v.choice(x, TIME_ZONES),
}
LAYOUT_CHECKS = {
    "paper": lambda x: v.choice(x, tuple(PAPERS)),
    "font": lambda x: v.choice(x, FONTS),
    "font_size": lambda x: _number(x, minimum=10, maximum=12),
    "margin_left_cm": lambda x: _number(x, minimum=2.5, maximum=4, whole=False),
    "margin_right_cm": lambda x: _number(x, minimum=1.5, maximum=3, whole=False),
    "margin_top_cm": lambda x: _number(x, minimum=1.5, maximum=3, whole=False),
    "page_numbers": lambda x: v.choice(x, PAGE_NUMBERS),
}
STAMP_DUTY_CHECKS = {
    "pledge": v.flag,
    "receipt_rule": lambda x: v.choice(x, RECEIPT_RULES),
    "receipt_threshold": lambda x: _number(x, minimum=0, maximum=1_000_000_000),
}
RECEIPT_CHECKS = {"transfers": lambda x: v.choice(x, TRANSFER_MODES)}


def _pattern(value) -> str:
    text = v.text(value, max_len=100, required=True)
    try:
        numbering.check_pattern(text)
        problem = ""
    except InvalidInput as exc:
        problem = exc.fields.get("pattern", "")
    if problem.startswith("unknown fields"):
        raise v.FieldError(problem)
    try:
        numbering.format_number(text, seq=1, kind="pledge", code="400", unit="DINSOS",
                                on=dt.date(2024, 7, 31))
    except (ValueError, IndexError, KeyError):  # an unclosed "{", a format such as {seq:03q}
        raise v.FieldError("cannot be used as a letter-number pattern") from None
    if problem:
        raise v.FieldError(problem if problem.startswith("must contain")
                           else "cannot be used as a letter-number pattern")
    return text


def _code(value) -> str:
    text = v.text(value, max_len=30, required=True)
    if not re.fullmatch(r"\d{3}(\.\d+)*", text):
        raise v.FieldError("a classification code is digits and dots, such as 400.9")
    return text


def check(data: dict, current: dict) -> tuple[dict, dict]:
    """The settings after applying `data` (the API's shape: office fields at the top,
    groups nested), and {field: reason} for every refused field (dotted names, as in
    `missing`). Fields left out keep their current value; "" clears a text."""
    new = copy.deepcopy(current)
    problems: dict[str, str] = {}
    if not isinstance(data, dict):
        return new, {"body": "must be a JSON object"}
    groups = {"officials", "numbering", "layout", "stamp_duty", "receipts", "case_prefix"}
    for name in data:
        if name not in OFFICE_CHECKS and name not in groups:
            problems[name] = "unknown field"

    def run(checks: dict, given, target: dict, prefix: str) -> None:
        if given is None:
            return
        if not isinstance(given, dict):
            problems[prefix.rstrip(".") or "body"] = "must be an object"
            return
        for name in given:
            if name not in checks:
                problems[prefix + name] = "unknown field"
        for name, check_one in checks.items():
            if name in given:
                try:
                    target[name] = check_one(given[name])
                except v.FieldError as exc:
                    problems[prefix + name] = str(exc)

    run(OFFICE_CHECKS, {k: data[k] for k in OFFICE_CHECKS if k in data}, new["office"], "")
    if "case_prefix" in data:
        try:
            new["case_prefix"] = _prefix(data["case_prefix"])
        except v.FieldError as exc:
            problems["case_prefix"] = str(exc)
    officials = data.get("officials")
    if officials is not None:
        if not isinstance(officials, dict):
            problems["officials"] = "must be an object with head, treasurer and witness"
        else:
            for role in officials:
                if role not in ROLES:
                    problems[f"officials.{role}"] = "unknown official; use head, treasurer or witness"
            checks = {"name": lambda x: v.text(x, max_len=200),
                      "title": lambda x: v.text(x, max_len=200),
                      "rank": lambda x: v.text(x, max_len=100), "nip": check_nip}
            for role in ROLES:
                if role in officials:
                    run(checks, officials[role], new["officials"][role], f"officials.{role}.")
    numbering = data.get("numbering")
    if numbering is not None:
        if not isinstance(numbering, dict):
            problems["numbering"] = "must be an object"
        else:
            for name in numbering:
                if name not in ("register", "codes", "patterns"):
                    problems[f"numbering.{name}"] = "unknown field"
            if "register" in numbering:
                try:
                    new["number_register"] = v.choice(numbering["register"], REGISTERS)
                except v.FieldError as exc:
                    problems["numbering.register"] = str(exc)
            kinds = {kind: _code for kind in DOCUMENT_KINDS}
            run(kinds, numbering.get("codes"), new["number_codes"], "numbering.codes.")
            kinds = {kind: _pattern for kind in DOCUMENT_KINDS}
            run(kinds, numbering.get("patterns"), new["number_patterns"], "numbering.patterns.")
    run(LAYOUT_CHECKS, data.get("layout"), new["layout"], "layout.")
    run(STAMP_DUTY_CHECKS, data.get("stamp_duty"), new["stamp_duty"], "stamp_duty.")
    run(RECEIPT_CHECKS, data.get("receipts"), new["receipts"], "receipts.")
    if not problems:
        problems.update(_consistency(new))
    return new, problems


def _consistency(settings: dict) -> dict:
    """Rules between fields: one person does not sign one paper twice, and two kinds on
    their own sequences must not print the same numbers."""
    problems = {}
    officials = settings["officials"]
    # The head signs with the witness (pledge, reports) and with the treasurer (receipt,
    # roster): the same person in both roles would sign one paper twice.
    for other in ("treasurer", "witness"):
        a, b = officials["head"], officials[other]
        same_nip = a["nip"] and a["nip"] == b["nip"]
        same_name = a["name"] and " ".join(a["name"].split()).casefold() == " ".join(b["name"].split()).casefold()
        if same_nip or same_name:
            problems[f"officials.{other}.{'nip' if same_nip else 'name'}"] = (
                "the head of office signs beside this official: choose another person")
    if settings["number_register"] == "per_kind":
        problems.update(numbering.distinct_problems(settings["number_patterns"], settings["number_codes"]))
    return problems


def save(db, new: dict, current: dict) -> list[str]:
    """Store what changed (inside the caller's transaction); returns the changed keys."""
    changed = sorted(k for k in new if new[k] != current.get(k))
    for key in changed:
        put(db, key, new[key])
    if "number_register" in changed:
        numbering.align_counters(db, new["number_register"])
    set_office_zone(new["office"]["time_zone"])
    return changed


# --- what letters see ---------------------------------------------------------------------

def letter_office(settings: dict) -> dict:
    """`office` in a template's context (names per docs/templates.md). `parent` is the
    region under its old name, so offices' own templates keep working."""
    office = settings["office"]
    return {**{k: office[k] for k in ("name", "region", "address", "city", "unit", "phone", "email")},
            "parent": office["region"]}


def letter_officials(settings: dict) -> dict:
    return copy.deepcopy(settings["officials"])
