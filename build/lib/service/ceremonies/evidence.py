"""The evidence pack of a ceremony (berkas pertanggungjawaban), one PDF for the treasurer
and the auditors (Inspektorat, BPK):

    cover        the ceremony, the aid per source of funds in figures and words, what came back
    roster       the signed roster (daftar penerima bantuan)
    per woman    her signed receipt(s) (one per source of funds where the office makes
                 them so), bookmarked under her name
    manifest     every file included, with its path in the archive and its sha256

A paper that has not (wholly) come back signed is included as generated, with
"BELUM KEMBALI DITANDATANGANI" across every page (letters/stamp.py's watermark, drawn
over a copy: the stored file is never changed), so the pack shows what is missing
rather than leaving it out. The manifest's hashes are of the archived files as read for
this pack, so an auditor can check each against the archive (or the verification page).

Names appear here (in the bookmarks and the pages) as they do on the papers themselves:
the pack is served only to roles with `evidence.read`, never cached, and audited. Once a
woman of the ceremony has had her case anonymised, the papers kept for the auditors
still name her, so the pack is the auditor's alone (`retention.read`, http/signed.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from reportlab.lib.units import cm

from ..clock import now_iso
from ..letters.stamp import void_pdf
from ..records import signed_copies
from ..records.formats import rupiah, tanggal_hari, terbilang
from ..records.kinds import KIND_LABELS, RECEIPT_KINDS
from ..records.office import get_all as office_settings
from ..scans.copies import join
from . import records
from .cover import _Sheet
from .merge import Merger
from .returns import valid_documents

NOT_BACK = "BELUM KEMBALI DITANDATANGANI"


@dataclass
class Pack:
    pdf: bytes
    pages: int
    manifest: list[dict] = field(default_factory=list)  # {label, path, sha256, signed}
    missing: int = 0                                    # papers included unsigned


def build(settings, db, ceremony_id: int) -> Pack:
    ceremony = records.get(db, ceremony_id)  # NotFound for an unknown id
    people = _people(db, ceremony_id)
    docs = valid_documents(db, ceremony_id, kept=True)
    rosters = [d for d in docs if d["kind"] == "aid_roster"]
    receipts: dict[int, list[dict]] = {}
    for d in docs:
        if d["kind"] in RECEIPT_KINDS and d["for_case"] is not None:
            receipts.setdefault(d["for_case"], []).append(d)
    for person in people:  # receipts made outside the ceremony's print jobs count too
        if person["id"] not in receipts:
            receipts[person["id"]] = list(db.query(
                "SELECT * FROM listed_documents WHERE case_id = ? AND kind IN (?, ?) "
                "AND status = 'valid' ORDER BY id", [person["id"], *RECEIPT_KINDS]))
    states = signed_copies.statuses(db, rosters + [r for rs in receipts.values() for r in rs])
    pack = Pack(b"", 0)

    merger = Merger()
    try:
        merger.mark("Sampul: jumlah bantuan per sumber dana", merger.add(
            _cover(db, ceremony, people, rosters, receipts, states)))
        for roster in rosters:
            start = _add_paper(settings, db, merger, pack, roster, states[roster["id"]])
            if start is not None:
                merger.mark(f"{KIND_LABELS['aid_roster']} {roster['number']}", start)
        for person in people:
            papers = receipts.get(person["id"], [])
            starts = [(r, _add_paper(settings, db, merger, pack, r, states[r["id"]])) for r in papers]
            starts = [(r, s) for r, s in starts if s is not None]
            if not starts:
                continue
            mark = merger.mark(person["full_name"], starts[0][1])
            for r, s in starts:
                signed = "ditandatangani" if states[r["id"]]["signed"] else "belum kembali"
                merger.mark(f"{KIND_LABELS[r['kind']]} {r['number']} ({signed})", s, mark)
        merger.mark("Daftar berkas (manifest)", merger.add(_manifest(ceremony, pack)))
        pack.pages = merger.pages
        pack.pdf = merger.write()
    finally:
        merger.close()
    return pack


def _people(db, ceremony_id: int) -> list[dict]:
    """Every woman of the ceremony by name, those whose case was anonymised too (her name
    is masked by then; her receipts are kept for audit)."""
    return list(db.query(
        "SELECT cases.id, cases.full_name, cases.case_number FROM ceremony_cases JOIN cases "
        "ON cases.id = ceremony_cases.case_id WHERE ceremony_cases.ceremony_id = ? "
        "ORDER BY cases.full_name COLLATE NOCASE, cases.id", [ceremony_id]))


def _add_paper(settings, db, merger: Merger, pack: Pack, doc: dict, state: dict) -> int | None:
    """Add a document's signed copy, or its generated PDF marked NOT_BACK; returns its
    first page (None when there is no file to add: listed in the manifest as missing)."""
    label = f"{KIND_LABELS.get(doc['kind'], doc['kind'])} {doc['number']}"
    copies = [r for r in signed_copies.signed_pages(db, doc["id"]) if r["path"]] if state["signed"] else []
    if state["signed"] and len(copies) == state["pages"]:
        paths = [settings.archive / r["path"] for r in copies]
        for r, path in zip(copies, paths):
            pack.manifest.append({"label": f"{label}, halaman {r['page']}, ditandatangani",
                                  "path": r["path"], "sha256": _sha256(path), "signed": True})
        return merger.add(join(paths))
    path = settings.archive / doc["path"] if doc["path"] else None
    if path is None or not path.is_file():
        pack.manifest.append({"label": f"{label}: berkas tidak ada di arsip", "path": "-",
                              "sha256": "-", "signed": False})
        return None
    data = path.read_bytes()
    pack.missing += 1
    pack.manifest.append({"label": f"{label}, dicetak, {NOT_BACK.lower()}", "path": doc["path"],
                          "sha256": hashlib.sha256(data).hexdigest(), "signed": False})
    return merger.add(void_pdf(data, reason_label=NOT_BACK))


def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _cover(db, ceremony, people, rosters, receipts, states) -> bytes:
    office = office_settings(db)["office"]
    sheet = _Sheet(f"Berkas pertanggungjawaban pelepasan #{ceremony['id']}")
    sheet.line(f"{office['region']} · {office['name']}", size=9)
    sheet.y -= 0.3 * cm
    sheet.line("BERKAS PERTANGGUNGJAWABAN BANTUAN", size=15, bold=True, gap=0.8 * cm)
    sheet.line(ceremony["title"], size=11, bold=True, gap=0.6 * cm)
    sheet.line(f"Hari, tanggal: {tanggal_hari(ceremony['date'])}")
    sheet.line(f"Tempat: {ceremony['place']}")
    sheet.line(f"Penerima manfaat: {len(people)} orang")
    sheet.y -= 0.4 * cm

    sheet.line("JUMLAH BANTUAN MENURUT SUMBER DANA", size=11, bold=True, gap=0.7 * cm)
    sheet.row([(0, "Sumber dana", "l"), (10 * cm, "Penerima", "r"), (16.4 * cm, "Jumlah", "r")], bold=True)
    grand = 0
    ids = [p["id"] for p in people]
    rows = list(db.query(
        f"SELECT source, COUNT(DISTINCT case_id) AS recipients, SUM(amount) AS total FROM aid_items "
        f"WHERE case_id IN ({','.join('?' * len(ids)) or 'NULL'}) GROUP BY source ORDER BY source",
        ids)) if ids else []
    for row in rows:
        source = row["source"].strip() or "(sumber dana tidak dicatat)"
        sheet.row([(0, source[:60], "l"), (10 * cm, f"{row['recipients']} orang", "r"),
                   (16.4 * cm, rupiah(row["total"]), "r")])
        sheet.line(f"Terbilang: {terbilang(row['total'])} rupiah", size=8.5, indent=0.5 * cm, gap=0.5 * cm)
        grand += row["total"]
    sheet.row([(0, "Jumlah seluruhnya", "l"), (16.4 * cm, rupiah(grand), "r")], bold=True)
    sheet.line(f"Terbilang: {terbilang(grand)} rupiah", size=8.5, indent=0.5 * cm, gap=0.5 * cm)
    sheet.y -= 0.4 * cm

    sheet.line("KELENGKAPAN", size=11, bold=True, gap=0.7 * cm)
    all_receipts = [r for rs in receipts.values() for r in rs]
    back = sum(1 for r in all_receipts if states[r["id"]]["signed"])
    # Both kinds of receipt: the kuitansi (APBD) and the transfer receipt (APBN).
    sheet.line(f"Kuitansi dan tanda terima: {back}/{len(all_receipts)} kembali ditandatangani")
    for roster in rosters:
        sheet.line(f"{KIND_LABELS['aid_roster']} {roster['number']}: "
                   f"{'kembali ditandatangani' if states[roster['id']]['signed'] else 'belum kembali'}")
    without = [p for p in people if not receipts.get(p["id"])]
    if without:
        sheet.line(f"Tanpa tanda terima: {', '.join(p['full_name'] for p in without)}", size=9)
    sheet.line(f"Surat yang belum kembali dimuat sebagaimana dicetak, bertanda \"{NOT_BACK}\" "
               "di setiap halaman.", size=9)
    sheet.line(f"Disusun oleh Pulang pada {now_iso()[:19].replace('T', ' ')} UTC.", size=8.5)
    return sheet.done()


def _manifest(ceremony, pack: Pack) -> bytes:
    sheet = _Sheet(f"Berkas pertanggungjawaban pelepasan #{ceremony['id']} · daftar berkas")
    sheet.line("DAFTAR BERKAS (MANIFEST)", size=13, bold=True, gap=0.8 * cm)
    sheet.line("Setiap berkas arsip yang dimuat dalam berkas ini, dengan sidik jari SHA-256-nya.",
               size=9)
    sheet.y -= 0.3 * cm
    for n, item in enumerate(pack.manifest, start=1):
        sheet.line(f"{n}. {item['label']}", size=8.5, gap=0.42 * cm)
        sheet.line(f"{item['path']}  sha256 {item['sha256']}", size=7, indent=0.5 * cm, gap=0.5 * cm)
    if not pack.manifest:
        sheet.line("Belum ada surat yang dibuat untuk pelepasan ini.", size=9)
    return sheet.done()

