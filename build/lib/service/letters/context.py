"""What a Word template sees: the names are part of the public contract (API.md), so an
office's own templates keep working from one version of the product to the next
(docs/templates.md lists them).

Every case document gets the same names whatever its kind (a combined print renders many
letters of one template at once and needs one shape); what differs by kind is the
values: a receipt's `aid_items` are the items on that receipt, `meterai` says whether
its stamp-duty box prints, a release report's `release` is her recorded release.

`notes` is the text meant for the paper (the case's `paper_notes`): a case's internal
notes are never handed to a template.

The functions named *_context are pure (data in, context out), so the invented sample
(sample.py) and real letters are built by the same code; document_context reads a case's
aid and release from the database first.
"""

import datetime as dt

from ..clock import office_today
from ..errors import InvalidInput
from ..records import office as office_settings
from ..records.cases import aid_items, recorded_release
from ..records.formats import as_date, daftar, nik_mask, rupiah
from ..records.kinds import AID_KINDS, RECEIPT_KINDS


# What a sample letter prints where the office's set-up is still empty: it shows the
# admin what is missing, and no reader could take it for a real name.
PLACEHOLDERS = {
    "office": {"region": "[PEMERINTAH DAERAH]", "name": "[NAMA INSTANSI]",
               "address": "[Alamat kantor]", "city": "[Kota]", "unit": "[UNIT]"},
    "officials": {"name": "[Nama pejabat]", "title": "[Jabatan]",
                  "rank": "[Pangkat/golongan]", "nip": "[NIP]"},
}


def office_context(settings: dict, *, sample: bool = False) -> dict:
    """`office`, `officials` and `layout`, with placeholders on a sample letter."""
    office = office_settings.letter_office(settings)
    officials = office_settings.letter_officials(settings)
    if sample:
        for key, text in PLACEHOLDERS["office"].items():
            office[key] = office[key] or text
        office["parent"] = office["region"]
        for person in officials.values():
            for key, text in PLACEHOLDERS["officials"].items():
                person[key] = person[key] or text
    return {"office": office, "officials": officials, "layout": dict(settings["layout"]),
            "sample": sample}


def numbered(entries: list[dict]) -> list[dict]:
    """Copies with `no` 1, 2, 3 …: a list's numbers come with its entries, since a
    template repeats its last two rows in a loop of their own (tools/build_templates.py)."""
    return [{**entry, "no": n} for n, entry in enumerate(entries, start=1)]


def _item(item: dict) -> dict:
    return {"kind": item["kind"], "label": item["label"], "label_lower": item["label_lower"],
            "amount": item["amount"], "fund": item["fund"], "source": item["source"],
            "description": item["description"]}


def aid_phrase(items: list[dict]) -> str:
    """"modal usaha Rp3.000.000, tiket pulang Rp1.500.000, dan bantuan Kemensos Rp5.050.000"."""
    return daftar(f"{i['label_lower']} {rupiah(i['amount'])}" for i in items)


def case_context(case: dict, items: list[dict]) -> dict:
    """Her own fields and all her aid. `case`: a cases row (with its facility name)."""
    items = numbered([_item(i) for i in items])
    return {
        "full_name": case["full_name"],
        "nik": case["nik"] or "",
        "nik_masked": nik_mask(case["nik"]) if case["nik"] else "",
        "birth_place": case["birth_place"] or "",
        "birth_date": as_date(case["birth_date"]),
        "origin_address": case["origin_address"] or "",
        "origin_region": case["origin_region"] or "",
        "facility": case["facility"],
        "case_number": case["case_number"],
        "notes": case.get("paper_notes") or "",
        "aid_items": items,
        "aid_total": sum(item["amount"] for item in items),
        "aid_list": aid_phrase(items),
    }


# --- receipts and stamp duty -------------------------------------------------------------

def _payer(settings: dict) -> str:
    """"Bendahara Pengeluaran Dinas Sosial Kota Jambi": who pays the office's own money."""
    office = settings["office"]
    title = settings["officials"]["treasurer"]["title"] or "Bendahara Pengeluaran"
    name = office["name"].title() if office["name"].isupper() else office["name"]
    region = office["region"].title() if office["region"].isupper() else office["region"]
    for word in ("Pemerintah ", "PEMERINTAH "):
        region = region.removeprefix(word)
    if name and name.casefold() in title.casefold():
        return title
    return " ".join(part for part in (title, name, region) if part)


def stamp_duty(settings: dict, kind: str, total: int) -> bool:
    """Whether the paper has a meterai box (UU 10/2020 Pasal 3: statements, and receipts
    of money above Rp5.000.000; the threshold and the rule are the office's)."""
    rule = settings["stamp_duty"]
    if kind == "pledge":
        return bool(rule["pledge"])
    if kind in RECEIPT_KINDS:
        if rule["receipt_rule"] == "always":
            return True
        if rule["receipt_rule"] == "never":
            return False
        return total > rule["receipt_threshold"]
    return False


def receipt_items(settings: dict, kind: str, items: list[dict]) -> tuple[list, list]:
    """(the items this receipt is for, the items it only lists). The kuitansi is for the
    office's own money (APBD, paid by its treasurer); money paid into her account (APBN)
    is listed on it as "disalurkan melalui rekening", or has its own receipt, as the office
    sets; a case without APBD money gets a transfer receipt either way."""
    own = [i for i in items if i["fund"] == "apbd"]
    transfers = [i for i in items if i["fund"] != "apbd"]
    if kind == "aid_receipt":
        listed = transfers if settings["receipts"]["transfers"] == "listed" else []
        return own, listed
    if kind == "transfer_receipt":
        return transfers, []
    return items, []


def receipt_kinds(settings: dict, items: list[dict]) -> list[str]:
    """The receipts a case's aid needs: a kuitansi for APBD money; a transfer receipt for
    APBN money unless the kuitansi lists it."""
    funds = {i["fund"] for i in items}
    kinds = ["aid_receipt"] if "apbd" in funds else []
    if "apbn" in funds and (settings["receipts"]["transfers"] == "separate" or not kinds):
        kinds.append("transfer_receipt")
    return kinds


def refuse_receipt(settings: dict, kind: str, items: list[dict]) -> None:
    """InvalidInput (fields.kind) when this case's aid needs no receipt of this kind."""
    if not items:
        raise InvalidInput("a receipt needs at least one aid item",
                           fields={"kind": "no aid items recorded on this case"})
    if kind not in receipt_kinds(settings, items):
        if kind == "aid_receipt":
            why = ("no aid paid by the treasurer (APBD) on this case; its aid is receipted "
                   "by a transfer_receipt")
        elif not any(i["fund"] == "apbn" for i in items):
            why = "no APBN aid on this case"
        else:
            why = "the office lists APBN aid on the kuitansi (aid_receipt)"
        raise InvalidInput("this case needs no receipt of that kind", fields={"kind": why})


def _receipt(settings: dict, kind: str, items: list[dict]) -> dict:
    mine, listed = receipt_items(settings, kind, items)
    sources = []
    for item in mine:
        if item["source"] and item["source"] not in sources:
            sources.append(item["source"])
    return {"items": numbered(mine), "total": sum(i["amount"] for i in mine),
            "listed_items": numbered(listed), "listed_total": sum(i["amount"] for i in listed),
            "payer": _payer(settings), "source": daftar(sources)}


# --- one woman's letter --------------------------------------------------------------------

def release_of(db, case: dict, *, required: bool) -> dict:
    """Her release as a berita acara states it: date, place, destination. `required`:
    InvalidInput (fields.kind) when none is recorded, or when it has not happened yet."""
    release = recorded_release(db, case)
    destination = (release or {}).get("destination") or case["origin_region"] or ""
    if release is None:
        if required:
            raise InvalidInput("no release is recorded for this case", fields={
                "kind": "record her release first: release_date and release_place on the "
                        "case, or add her to a ceremony"})
        return {"date": None, "place": "", "destination": destination}
    if required and as_date(release["date"]) > office_today():
        raise InvalidInput("a release report records a release that happened", fields={
            "kind": "her release date is in the future"})
    return {"date": as_date(release["date"]), "place": release["place"], "destination": destination}


def case_document_context(case: dict, items: list[dict], settings: dict, *, kind: str,
                          number: str, issued_on: dt.date, release: dict,
                          sample: bool = False) -> dict:
    """A case document's context from her case row, her aid items and the settings."""
    context = case_context(case, items)
    if kind in RECEIPT_KINDS:
        receipt = _receipt(settings, kind, context["aid_items"])
        context.update(aid_items=receipt["items"], aid_total=receipt["total"],
                       aid_list=aid_phrase(receipt["items"]))
    else:
        receipt = _receipt(settings, "aid_receipt", context["aid_items"])
    context.update(
        number=number,
        date=issued_on,
        release=release,
        receipt=receipt,
        meterai=stamp_duty(settings, kind, context["aid_total"]),
        **office_context(settings, sample=sample),
    )
    return context


def document_context(db, case: dict, settings: dict, *, kind: str, number: str,
                     issued_on: dt.date, sample: bool = False, release: dict | None = None) -> dict:
    """A case document's context. `release`: given by a ceremony (its date and place);
    otherwise her recorded release (required for a release report)."""
    if release is None:
        release = release_of(db, case, required=kind == "release_report")
    return case_document_context(case, aid_items(db, case["id"]), settings, kind=kind,
                                 number=number, issued_on=issued_on, release=release,
                                 sample=sample)


# --- a ceremony's documents ----------------------------------------------------------------

def aid_columns(totals: dict) -> list[dict]:
    """The aid kinds given, in roster order: `label` as in a sentence, `header` in title
    case for a table's header row."""
    return numbered([{"kind": k, "label": label, "header": header(label)}
                     for k, label in AID_KINDS.items() if totals.get(k)])


def header(label: str) -> str:
    """"Transportasi lokal" → "Transportasi Lokal"; "Bantuan Kemensos" keeps its capitals."""
    return " ".join(word[:1].upper() + word[1:] for word in label.split())


def same_person(a: dict, b: dict) -> bool:
    if a.get("nip") and a.get("nip") == b.get("nip"):
        return True

    def key(p):
        return " ".join((p.get("name") or "").split()).casefold()
    return bool(key(a)) and key(a) == key(b)


def ceremony_view(ceremony: dict, settings: dict) -> dict:
    """`ceremony`: its officials, and `signers`, those of them who sign the list of
    officials present: not the office's head or witness, who sign the report's own
    blocks (an official signs a paper once)."""
    officials = [{"name": p.get("name", ""), "title": p.get("title", ""),
                  "rank": p.get("rank", ""), "nip": p.get("nip", "")}
                 for p in ceremony["officials"]]
    own = [settings["officials"]["head"], settings["officials"]["witness"]]
    signers = [p for p in officials if not any(same_person(p, o) for o in own)]
    return {"title": ceremony["title"], "date": as_date(ceremony["date"]),
            "place": ceremony["place"], "officials": numbered(officials),
            "signers": numbered(signers)}


def ceremony_document_context(people: list[tuple[dict, list[dict], str]], ceremony: dict,
                              settings: dict, *, number: str, issued_on: dt.date) -> dict:
    """The roster or the ceremony's release report. `people`: (case row, her aid items,
    destination) in print order."""
    rows, totals = [], {kind: 0 for kind in AID_KINDS}
    transfers = 0
    for no, (case, items, destination) in enumerate(people, start=1):
        by_kind = {kind: 0 for kind in AID_KINDS}
        for item in items:
            by_kind[item["kind"]] = by_kind.get(item["kind"], 0) + item["amount"]
            totals[item["kind"]] = totals.get(item["kind"], 0) + item["amount"]
            if item["fund"] != "apbd":
                transfers += item["amount"]
        rows.append({**case_context(case, items), "no": no, "destination": destination,
                     "aid_by_kind": by_kind})
    return {
        "ceremony": ceremony_view(ceremony, settings),
        "cases": rows,
        "aid_columns": aid_columns(totals),
        "totals_by_kind": totals,
        "grand_total": sum(totals.values()),
        "transfer_total": transfers,
        "number": number,
        "date": issued_on,
        **office_context(settings),
    }
