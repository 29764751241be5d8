"""The one list of document kinds, aid kinds and document statuses, with the Indonesian
labels users see on the pages, on the verification page and on printed cover sheets.
The web shows them translated: pybabel extracts the labels marked N_ here, and
service/web/i18n.py looks each up lazily in the reader's language."""


def N_(label: str) -> str:
    """Marks a label for the translation catalogue; the label stays Indonesian here."""
    return label


# One woman's letters. Her aid is receipted by whoever paid it: the office's treasurer
# (APBD) against a kuitansi, `aid_receipt`; money paid into her account by another budget
# (Kemensos, APBN) on a receipt of its own, `transfer_receipt`, when the office keeps
# them apart (service/records/office.py "receipts"). A kind each, so every rule keyed by
# (case, kind) (supersede, reuse, print items, search) keeps the sources apart too.
CASE_KINDS = ("pledge", "aid_receipt", "transfer_receipt", "release_report")
CEREMONY_KINDS = ("aid_roster", "ceremony_report")           # a ceremony's, listing many
DOCUMENT_KINDS = CASE_KINDS + CEREMONY_KINDS                 # in print order
# A woman's receipts: the kuitansi (APBD money) and the transfer receipt (APBN money paid
# into her account). Anything listing her receipts (evidence pack, audit) takes both.
RECEIPT_KINDS = ("aid_receipt", "transfer_receipt")

KIND_LABELS = {
    "pledge": N_("Surat Pernyataan"),
    "aid_receipt": N_("Kuitansi Bantuan"),
    "transfer_receipt": N_("Tanda Terima Bantuan melalui Rekening"),
    "release_report": N_("Berita Acara Pelepasan"),
    "aid_roster": N_("Daftar Penerima Bantuan"),
    "ceremony_report": N_("Berita Acara Pelepasan (Upacara)"),
}

# In roster order, the column order of the aid roster.
AID_KINDS = {
    "business_capital": N_("Modal usaha"),
    "ticket": N_("Tiket pulang"),
    "living_allowance": N_("Jatah hidup"),
    "transport": N_("Transportasi lokal"),
    "kemensos_transfer": N_("Bantuan Kemensos"),
    "equipment": N_("Peralatan usaha"),
    "other": N_("Bantuan lainnya"),
}

# In a sentence ("…bantuan yang saya terima (modal usaha Rp3.000.000, bantuan Kemensos
# …)"): lower case except what is a name (Kemensos keeps its capitals).
AID_PHRASES = {
    "business_capital": "modal usaha",
    "ticket": "tiket pulang",
    "living_allowance": "jatah hidup",
    "transport": "transportasi lokal",
    "kemensos_transfer": "bantuan Kemensos",
    "equipment": "peralatan usaha",
    "other": "bantuan lainnya",
}

# Whose money an aid item is (aid_items.fund): it decides the receipt it goes on.
FUNDS = {
    "apbd": N_("APBD, dibayar Bendahara Pengeluaran"),
    "apbn": N_("APBN (Kemensos), melalui rekening penerima"),
}
DEFAULT_FUND = {"kemensos_transfer": "apbn"}  # any other kind: "apbd" unless its source says so
CENTRAL_SOURCES = ("kemensos", "kementerian sosial", "apbn")


def default_fund(kind: str, source: str = "") -> str:
    """The fund of an aid item recorded without one: Kemensos transfers, and anything
    whose source names central government money, are APBN; the rest the office's APBD."""
    if kind in DEFAULT_FUND:
        return DEFAULT_FUND[kind]
    return "apbn" if any(word in (source or "").lower() for word in CENTRAL_SOURCES) else "apbd"

# Listed: what exists as a file and is shown, downloaded and verified; the database's
# `listed_documents` view (service/db.py) holds these rows, and queries read it. The other
# statuses: 'pending' from the moment a number is taken until the file is stored, and
# 'failed', which keeps a number whose letter was never made on record.
LISTED = ("valid", "void", "superseded")

# A ceremony document (roster, report) that lists an anonymised woman: kept for the
# auditors like her receipts (records/retention.py), out of search and every list. SQL
# over a table or view aliased `documents`.
LISTS_ANONYMISED = (
    "EXISTS (SELECT 1 FROM document_cases JOIN cases AS listed ON listed.id = document_cases.case_id "
    "WHERE document_cases.document_id = documents.id AND listed.status = 'anonymised')")

STATUS_LABELS = {
    "valid": N_("Sah"),
    "void": N_("Dibatalkan"),
    "superseded": N_("Diganti"),
    # Not a row's status: what the verification page says of a letter retention destroyed.
    "destroyed": N_("Dimusnahkan sesuai kebijakan retensi"),
}

# A case's course: open while she is helped, released once sent home at a ceremony
# (issue 12), closed when the office's work ends, anonymised after the retention period.
CASE_STATUSES = ("open", "released", "closed", "anonymised")
CASE_STATUS_LABELS = {
    "open": N_("terbuka"),
    "released": N_("dipulangkan"),
    "closed": N_("ditutup"),
    "anonymised": N_("dianonimkan"),
}
