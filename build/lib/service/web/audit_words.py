"""The audit log as sentences a clerk or an auditor reads ("ani membuka kasus
JMB-2026-0001"), the codes kept one click away on the page. An action without a
sentence here is shown by its code."""

from flask_babel import lazy_gettext as _l

from .i18n import KIND_LABELS

# action code → what the person did, with the target's name in %(target)s
SENTENCES = {
    "login.success": _l("masuk"),
    "login.failure": _l("gagal masuk"),
    "logout": _l("keluar"),
    "case.list": _l("membuka beranda"),
    "case.read": _l("membuka kasus %(target)s"),
    "case.create": _l("mencatat kasus %(target)s"),
    "case.update": _l("mengubah data kasus %(target)s"),
    "case.close": _l("menutup kasus %(target)s"),
    "case.reopen": _l("membuka kembali kasus %(target)s"),
    "case.anonymise": _l("menganonimkan kasus %(target)s"),
    "aid.create": _l("mencatat bantuan pada kasus %(target)s"),
    "aid.update": _l("mengubah bantuan pada kasus %(target)s"),
    "aid.delete": _l("menghapus bantuan pada kasus %(target)s"),
    "nik.check": _l("memeriksa NIK"),
    "document.create": _l("membuat %(target)s"),
    "document.read": _l("membuka %(target)s"),
    "document.preview": _l("melihat pratinjau %(target)s"),
    "document.download": _l("mengunduh %(target)s"),
    "document.void": _l("membatalkan %(target)s"),
    "search": _l("mencari"),
    "export": _l("mengekspor daftar"),
    "export.full": _l("mengekspor daftar dengan NIK lengkap"),
    "import.preview": _l("memeriksa daftar impor"),
    "import.commit": _l("mengimpor daftar"),
    "ceremony.list": _l("membuka daftar pelepasan"),
    "ceremony.read": _l("membuka pelepasan %(target)s"),
    "ceremony.create": _l("membuat pelepasan %(target)s"),
    "ceremony.update": _l("mengubah pelepasan %(target)s"),
    "ceremony.add_cases": _l("menambah penerima manfaat ke pelepasan %(target)s"),
    "ceremony.remove_case": _l("mengeluarkan penerima manfaat dari pelepasan %(target)s"),
    "ceremony.destination": _l("mengubah tujuan pada pelepasan %(target)s"),
    "ceremony.release": _l("menandai dipulangkan semua penerima manfaat pelepasan %(target)s"),
    "ceremony.ready_cases": _l("melihat kasus yang siap dipulangkan"),
    "print.create": _l("memulai %(target)s"),
    "print.cancel": _l("membatalkan %(target)s"),
    "print.download": _l("mengunduh %(target)s"),
    "print.send": _l("mengirim %(target)s ke printer"),
    "audit.read": _l("membaca log audit"),
    "settings.update": _l("mengubah pengaturan kantor"),
    "settings.logo": _l("mengganti logo kop surat"),
    "template.upload": _l("mengunggah templat %(target)s"),
    "template.refused": _l("mengunggah templat %(target)s yang ditolak"),
    "template.activate": _l("mengaktifkan templat %(target)s"),
    "user.create": _l("membuat akun %(target)s"),
    "user.role": _l("mengubah peran akun %(target)s"),
    "user.active": _l("mengubah status akun %(target)s"),
    "user.unlock": _l("membuka kunci akun %(target)s"),
    "user.password_reset": _l("mengatur ulang kata sandi akun %(target)s"),
    "token.create": _l("membuat token API untuk %(target)s"),
    "token.revoke": _l("mencabut token API %(target)s"),
}


def _targets(db, entries) -> dict:
    """(type, id) → how the sentence names it: case numbers, letter kinds and numbers."""
    ids = {kind: sorted({int(e["target_id"]) for e in entries if e["target_type"] == kind
                         and str(e["target_id"]).isdigit()}) for kind in ("case", "document", "ceremony")}
    names = {}

    def rows(sql, wanted):
        marks = ",".join("?" * len(wanted))
        return db.execute(sql.format(marks=marks), wanted).fetchall() if wanted else []
    for id_, number in rows("SELECT id, case_number FROM cases WHERE id IN ({marks})", ids["case"]):
        names[("case", str(id_))] = number
    for id_, kind, number in rows("SELECT id, kind, number FROM documents WHERE id IN ({marks})", ids["document"]):
        names[("document", str(id_))] = f"{KIND_LABELS.get(kind, kind)} {number}"
    for id_, title in rows("SELECT id, title FROM ceremonies WHERE id IN ({marks})", ids["ceremony"]):
        names[("ceremony", str(id_))] = f"“{title}”"
    return names


def sentences(db, entries: list[dict]) -> dict[int, str]:
    """{entry id: "ani membuka kasus JMB-2026-0001"}."""
    names = _targets(db, entries)
    out = {}
    for e in entries:
        kind, ident = e["target_type"] or "", str(e["target_id"] or "")
        target = names.get((kind, ident))
        if target is None:
            target = {"print_job": str(_l("cetakan")) + f" {ident}",
                      "template": str(KIND_LABELS.get(ident, ident))}.get(kind, ident)
        say = SENTENCES.get(e["action"])
        what = say % {"target": target} if say is not None else e["action"]
        out[e["id"]] = f"{e['username'] or '—'} {what}"
    return out
