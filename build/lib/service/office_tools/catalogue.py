"""What a template may use, with an example value each, generated from the sample data
(service.letters.sample) and the filters (service.records.formats.FILTERS), so the page listing them
cannot drift from what documents really get."""

import datetime as dt

from ..letters.sample import sample_case_context, sample_ceremony_context
from ..records.formats import FILTERS, tanggal

# Which sample value shows each filter at work; a filter not named here is listed with
# its docstring instead of an example.
_FILTER_INPUT = {"tanggal": "date", "tanggal_hari": "date", "rupiah": "aid_total",
                 "terbilang": "aid_total", "romawi": "date.month", "nik_mask": "nik"}


def _example(value) -> str:
    if isinstance(value, dt.date):
        return f"{value.isoformat()} → |tanggal: {tanggal(value)}"
    if value in ("", None):
        return "—"
    return str(value)


def _flatten(prefix: str, value, out: list) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, inner, out)
    elif isinstance(value, list):
        out.append((prefix, f"[{len(value)}]"))
        item = prefix.rstrip("s") if prefix.endswith("s") else "item"
        if value and isinstance(value[0], dict):
            name = "item" if prefix == "aid_items" else ("c" if prefix == "cases" else item)
            for key, inner in value[0].items():
                _flatten(f"{name}.{key}", inner, out)
    else:
        out.append((prefix, _example(value)))


def variables(kind_group: str) -> list[tuple[str, str]]:
    """(name, example) for "case" or "ceremony" documents."""
    context = sample_case_context() if kind_group == "case" else sample_ceremony_context()
    context.setdefault("office_logo", "")
    rows: list[tuple[str, str]] = []
    _flatten("", context, rows)
    return rows


def filters() -> list[tuple[str, str, str]]:
    """(name, usage, example output)."""
    context = sample_case_context()
    rows = []
    for name, function in FILTERS.items():
        source = _FILTER_INPUT.get(name)
        if source is None:
            rows.append((name, f"{{{{ value|{name} }}}}", (function.__doc__ or "").strip()))
            continue
        value = context
        for part in source.split("."):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        rows.append((name, f"{{{{ {source}|{name} }}}}", function(value)))
    return rows

