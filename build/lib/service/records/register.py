"""The register of outgoing letters (buku agenda surat keluar): every number the office
issued in a year, in order, with its date, kind and subject. No name: the register is
copied into the office's agenda book and shown to anyone who keeps it. A number whose
letter was never made stays listed (status failed), so every number is accounted for.
"""

from .kinds import KIND_LABELS

SUBJECTS = {
    "pledge": "Surat Pernyataan Penerima Manfaat",
    "aid_receipt": "Kuitansi Bantuan Penerima Manfaat (APBD)",
    "transfer_receipt": "Tanda Terima Bantuan Penerima Manfaat melalui Rekening (APBN)",
    "release_report": "Berita Acara Pelepasan Penerima Manfaat",
    "aid_roster": "Daftar Penerima Bantuan",
    "ceremony_report": "Berita Acara Pelepasan",
}
STATUS = {"valid": "sah", "void": "dibatalkan", "superseded": "diganti", "failed": "gagal dibuat",
          "pending": "sedang dibuat"}
HEADER = ["nomor", "tanggal", "jenis", "perihal", "status"]


def years(db) -> list[int]:
    return [row[0] for row in db.execute("SELECT DISTINCT year FROM documents ORDER BY year DESC")]


def entries(db, year: int) -> list[dict]:
    """The year's numbers in the order they were issued. A ceremony's papers name the
    ceremony (its title, never a person)."""
    rows = db.execute(
        "SELECT documents.number, documents.issued_on, documents.kind, documents.status, "
        "ceremonies.title FROM documents "
        "LEFT JOIN ceremony_documents ON ceremony_documents.document_id = documents.id "
        "LEFT JOIN ceremonies ON ceremonies.id = ceremony_documents.ceremony_id "
        "WHERE documents.year = ? ORDER BY documents.issued_on, documents.seq, documents.id",
        [year])
    out = []
    for number, issued_on, kind, status, ceremony in rows:
        subject = SUBJECTS.get(kind, KIND_LABELS.get(kind, kind))
        if ceremony and kind in ("aid_roster", "ceremony_report"):
            subject = f"{subject}: {ceremony}"
        out.append({"number": number, "date": issued_on, "kind": kind,
                    "kind_label": KIND_LABELS.get(kind, kind), "subject": subject,
                    "status": status, "status_label": STATUS.get(status, status)})
    return out


def table(db, year: int) -> tuple[list[str], list[list]]:
    """The register as an export's header and rows (Indonesian, as the agenda book)."""
    return HEADER, [[e["number"], e["date"], e["kind_label"], e["subject"], e["status_label"]]
                    for e in entries(db, year)]
