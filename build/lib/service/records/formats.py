"""Indonesian formats for letters and screens: dates, rupiah, amounts in words, roman
months, masked NIKs. These are also the Jinja filters the Word templates use."""

import datetime as dt
import re

from babel.dates import format_date

_DIGITS = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
_SCALES = ["", "ribu", "juta", "miliar", "triliun", "kuadriliun"]
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
EMPTY = "-"


def as_date(value) -> dt.date | None:
    """Accept a date, a datetime or an ISO string (as stored in SQLite)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def tanggal(value) -> str:
    """31 Juli 2024"""
    d = as_date(value)
    return format_date(d, "d MMMM y", locale="id") if d else EMPTY


def tanggal_hari(value) -> str:
    """Rabu, 31 Juli 2024"""
    d = as_date(value)
    return format_date(d, "EEEE, d MMMM y", locale="id") if d else EMPTY


def hari(value) -> str:
    """Rabu"""
    d = as_date(value)
    return format_date(d, "EEEE", locale="id") if d else EMPTY


def bulan(value) -> str:
    """Desember"""
    d = as_date(value)
    return format_date(d, "MMMM", locale="id") if d else EMPTY


def tanggal_kata(value) -> str:
    """The date as a berita acara writes it: "tanggal dua bulan Desember tahun dua ribu
    dua puluh enam"."""
    d = as_date(value)
    if not d:
        return EMPTY
    return f"tanggal {terbilang(d.day)} bulan {bulan(d)} tahun {terbilang(d.year)}"


def rupiah(amount) -> str:
    """Rp1.500.000: no space, dots for thousands, no decimals (as letters write it)."""
    if amount is None or amount == "":
        return EMPTY
    n = int(amount)
    sign = "-" if n < 0 else ""
    return f"{sign}Rp{abs(n):,}".replace(",", ".")


def rupiah_lengkap(amount) -> str:
    """Rp7.551.000,00: a kuitansi writes the sen."""
    text = rupiah(amount)
    return text if text == EMPTY else text + ",00"


def _below_thousand(n: int) -> list[str]:
    words = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds:
        words += [_DIGITS[hundreds], "ratus"]
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif 12 <= rest <= 19:
        words += [_DIGITS[rest - 10], "belas"]
    elif rest >= 20:
        tens, ones = divmod(rest, 10)
        words += [_DIGITS[tens], "puluh"]
        if ones:
            words.append(_DIGITS[ones])
    elif rest:
        words.append(_DIGITS[rest])
    return words


def terbilang(amount) -> str:
    """The amount in words: 1.001.000 → "satu juta seribu".

    Written by hand rather than with num2words, whose Indonesian gives "satu juta satu
    ribu": a thousands group of exactly one is "seribu", any other group keeps its words
    ("seratus satu ribu" for 101.000). Templates add "rupiah" themselves.
    """
    n = int(amount)
    if n == 0:
        return "nol"
    if n < 0:
        return "minus " + terbilang(-n)
    groups = []
    while n:
        n, group = divmod(n, 1000)
        groups.append(group)
    if len(groups) > len(_SCALES):
        raise ValueError("amount too large to write in words")
    words = []
    for scale in range(len(groups) - 1, -1, -1):
        group = groups[scale]
        if not group:
            continue
        if scale == 1 and group == 1:
            words.append("seribu")
            continue
        words += _below_thousand(group)
        if _SCALES[scale]:
            words.append(_SCALES[scale])
    return " ".join(words)


def nip(value) -> str:
    """A NIP in its usual groups: 19680512 199403 2 004 (birth date, appointment, sex,
    serial); anything else as it is."""
    text = "".join(str(value or "").split())
    if len(text) == 18 and text.isdigit():
        return f"{text[:8]} {text[8:14]} {text[14]} {text[15:]}"
    return str(value or "")


def daftar(items) -> str:
    """A list in a sentence with the serial comma (PUEBI): "a", "a dan b", "a, b, dan c"."""
    items = [str(i) for i in items if str(i)]
    if len(items) <= 2:
        return " dan ".join(items)
    return ", ".join(items[:-1]) + ", dan " + items[-1]


def romawi(n) -> str:
    """7 → VII (months in letter numbers)."""
    n = int(n)
    out = []
    for value, letters in _ROMAN:
        count, n = divmod(n, value)
        out.append(letters * count)
    return "".join(out)


def nik_mask(nik) -> str:
    """1571********0001: province and regency stay, birth date and district are hidden."""
    if not nik:
        return EMPTY
    nik = str(nik)
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


_AMOUNT = re.compile(r"^(?:rp\.?\s*)?(\d{1,3}(?:\.\d{3})+|\d+)(?:,00?)?$", re.IGNORECASE)


def parse_rupiah(text) -> int | None:
    """'1.500.000', '1500000', 'Rp1.500.000', 'Rp 1.500.000,00' → 1500000; None if not an amount."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    match = _AMOUNT.match(str(text).strip().replace(" ", ""))
    return int(match.group(1).replace(".", "")) if match else None


_TYPED_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_tanggal(text) -> dt.date | None:
    """A date as clerks type it, day first: '31/07/2024' (also with - or .), or ISO
    '2024-07-31'; None when it is not one (an empty text too)."""
    text = str(text or "").strip()
    try:
        if match := _TYPED_DATE.match(text):
            return dt.date(int(match[3]), int(match[2]), int(match[1]))
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        return None
    return None


def ddmmyyyy(value) -> str:
    """31/07/2024: how dates are typed and shown in forms, whatever the browser's locale."""
    d = as_date(value)
    return d.strftime("%d/%m/%Y") if d else ""


FILTERS = {
    "tanggal": tanggal,
    "tanggal_hari": tanggal_hari,
    "tanggal_kata": tanggal_kata,
    "hari": hari,
    "bulan": bulan,
    "rupiah": rupiah,
    "rupiah_lengkap": rupiah_lengkap,
    "nip": nip,
    "daftar": daftar,
    "terbilang": terbilang,
    "romawi": romawi,
    "nik_mask": nik_mask,
}
