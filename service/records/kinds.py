"""The one list of document kinds and statuses, with the Indonesian labels users see on
the pages, on the verification page and on printed cover sheets. The web marks the same
labels for translation (service/web/i18n.py builds its lazy strings from these)."""

CASE_KINDS = ("pledge", "aid_receipt", "release_report")      # one woman's letters
CEREMONY_KINDS = ("aid_roster", "ceremony_report")           # a ceremony's, listing many
DOCUMENT_KINDS = CASE_KINDS + CEREMONY_KINDS                 # in print order

KIND_LABELS = {
    "pledge": "Surat Pernyataan",
    "aid_receipt": "Tanda Terima Bantuan",
    "release_report": "Berita Acara Pelepasan",
    "aid_roster": "Daftar Penerima Bantuan",
    "ceremony_report": "Berita Acara Pelepasan (Upacara)",
}

# A document row is 'pending' from the moment its number is taken until its file is
# stored, then 'valid'; 'failed' keeps a number whose letter was never made on record.
STATUSES = ("pending", "valid", "void", "superseded", "failed")
# What is listed, downloadable and verifiable: the documents that exist as a file.
LISTED = ("valid", "void", "superseded")
LISTED_SQL = "('valid', 'void', 'superseded')"

STATUS_LABELS = {
    "valid": "Sah",
    "void": "Dibatalkan",
    "superseded": "Diganti",
}
