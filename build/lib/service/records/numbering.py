"""Letter numbers and case numbers.

A letter's number follows the office's pattern (Permendagri 83/2022: the classification
code first), with a sequence per year: one for all outgoing letters (the office's
register, buku agenda surat keluar) or one per kind, as the office sets. `next_value`
must be called inside a write transaction (db.write_transaction): BEGIN IMMEDIATE holds
the write lock from the read of the counter to the insert of the document row, so two
requests can never get the same number, and a number once handed out is never handed
out again.
"""

import datetime as dt
import string

from ..errors import InvalidInput
from .formats import romawi

PATTERN_FIELDS = {"code", "seq", "unit", "month", "month_roman", "year", "kind"}
REGISTER_COUNTER = "doc:register"


def next_value(db, name: str, year: int) -> int:
    db.execute(
        "INSERT INTO counters (name, year, value) VALUES (?, ?, 1) "
        "ON CONFLICT (name, year) DO UPDATE SET value = value + 1",
        [name, year])
    return db.execute("SELECT value FROM counters WHERE name = ? AND year = ?",
                      [name, year]).fetchone()[0]


def counter_name(register: str, kind: str) -> str:
    """The counter a letter of `kind` takes its sequence from."""
    return REGISTER_COUNTER if register == "office" else f"doc:{kind}"


def align_counters(db, register: str) -> None:
    """After the register changes (inside the caller's transaction): every counter of the
    new scheme starts after the highest sequence already issued in each year, so no
    number of the old scheme can come round again."""
    from .kinds import DOCUMENT_KINDS
    rows = db.execute("SELECT year, MAX(seq) FROM documents GROUP BY year").fetchall()
    names = [REGISTER_COUNTER] if register == "office" else [f"doc:{k}" for k in DOCUMENT_KINDS]
    for year, top in rows:
        for name in names:
            db.execute(
                "INSERT INTO counters (name, year, value) VALUES (?, ?, ?) "
                "ON CONFLICT (name, year) DO UPDATE SET value = MAX(value, excluded.value)",
                [name, year, top])


def check_pattern(pattern: str) -> None:
    """Refuse a pattern that names unknown fields or lacks the sequence or the year."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f}
    except ValueError as exc:
        raise InvalidInput("bad letter-number pattern", fields={"pattern": str(exc)}) from exc
    unknown = names - PATTERN_FIELDS
    if unknown:
        raise InvalidInput("bad letter-number pattern",
                           fields={"pattern": f"unknown fields: {', '.join(sorted(unknown))}"})
    if "seq" not in names:
        raise InvalidInput("bad letter-number pattern", fields={"pattern": "must contain {seq}"})
    if "year" not in names:
        # Sequences restart each year: without the year, next year's numbers repeat this year's.
        raise InvalidInput("bad letter-number pattern", fields={"pattern": "must contain {year}"})


def distinct_problems(patterns: dict, codes: dict) -> dict:
    """With a sequence per kind, two kinds with the same pattern and code would print the
    same numbers: {field: reason} for each such kind."""
    seen, problems = {}, {}
    for kind, pattern in patterns.items():
        key = (pattern, codes.get(kind, "")) if "{kind}" not in pattern else (kind,)
        if key in seen:
            problems[f"numbering.codes.{kind}"] = (
                f"same pattern and code as {seen[key]}: give it its own code, or keep one "
                "register for all letters")
        else:
            seen[key] = kind
    return problems


def check_distinct(patterns: dict, codes: dict) -> None:
    problems = distinct_problems(patterns, codes)
    if problems:
        raise InvalidInput("two kinds of letter would get the same numbers", fields=problems)


def format_number(pattern: str, *, seq: int, kind: str, code: str, unit: str, on: dt.date) -> str:
    return pattern.format(seq=seq, kind=kind, code=code, unit=unit, month=on.month,
                          month_roman=romawi(on.month), year=on.year)


def case_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:04d}"
