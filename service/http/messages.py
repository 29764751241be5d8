"""The wording of every problem the office tools report, in the reader's language
(Indonesian unless the signed-in user chose English; the API answers in Indonesian, as
the office's admins read it). Problems carry codes; only this module holds sentences."""

from flask_babel import gettext as _

from ..office_tools.problems import Problem
from .reasons import field_reason


def _suggest(args) -> str:
    return _(" Maksud Anda %(name)s?", name=args["suggestion"]) if args.get("suggestion") else ""


_TEXTS = {
    "too_large": lambda a: _("Berkas lebih besar dari %(mb)s MB.", mb=a["mb"]),
    "empty_file": lambda a: _("Berkas kosong atau belum dipilih."),
    "not_docx": lambda a: _("Berkas ini bukan dokumen Word (.docx) yang sah. Simpan ulang "
                            "sebagai \"Word Document (.docx)\" lalu unggah lagi."),
    "not_sheet": lambda a: _("Berkas ini bukan lembar kerja Excel (.xlsx) atau CSV yang "
                             "dapat dibaca."),
    "zip_bomb": lambda a: _("Isi berkas, bila dibuka, jauh lebih besar daripada berkasnya "
                            "(kemungkinan berkas berbahaya). Berkas tidak dibuka."),
    "unsafe_name": lambda a: _("Berkas berisi nama bagian yang tidak diizinkan (menunjuk ke "
                               "luar folder). Berkas tidak dibuka."),
    "duplicate_member": lambda a: _("Bagian %(name)s tercatat dua kali di dalam berkas (LibreOffice "
                                    "kadang menyimpannya begitu). Buka berkas di Word atau "
                                    "LibreOffice, simpan ulang sebagai .docx, lalu unggah lagi.",
                                    name=a.get("name", "")),
    "broken_xml": lambda a: _("Bagian berkas ini rusak dan tidak dapat dibaca."),
    "tr_outside_row": lambda a: _("Tag {%tr %} hanya boleh berada di dalam baris tabel, "
                                  "sendirian di barisnya."),
    "tc_outside_cell": lambda a: _("Tag {%tc %} hanya boleh berada di dalam sel tabel, "
                                   "sendirian di selnya."),
    "special_tag_not_alone": lambda a: _("Tag {%%%(tag)s %%} harus sendirian di paragrafnya; teks "
                                         "\"%(rest)s\" di sampingnya akan hilang dari surat.",
                                         tag=a["tag"], rest=a["rest"]),
    "syntax_error": lambda a: _("Penulisan tag salah (%(detail)s). Periksa tanda {{ }} dan "
                                "{%% %%} serta pasangan if/endif dan for/endfor.",
                                detail=a["detail"]),
    "unknown_variable": lambda a: _("Nama %(name)s tidak disediakan oleh Pulang untuk surat "
                                    "jenis ini.", name=a["name"]) + _suggest(a),
    "unknown_attribute": lambda a: _("Nama %(name)s tidak disediakan oleh Pulang untuk surat "
                                     "jenis ini.", name=a["name"]) + _suggest(a),
    "unknown_filter": lambda a: _("Filter %(name)s tidak dikenal.", name=a["name"]) + _suggest(a),
    "render_failed": lambda a: (
        _("Templat tidak dapat diisi dengan data contoh lengkap (dengan logo, semua jenis "
          "bantuan dan catatan): %(detail)s", detail=a["detail"]) if a.get("sample") == "full"
        else _("Templat tidak dapat diisi dengan data contoh: %(detail)s", detail=a["detail"])),
    "external_relationship": lambda a: _("Templat menautkan isi dari luar dokumen (%(what)s). "
                                         "Gambar dan isi lain harus disisipkan ke dalam "
                                         "dokumen, bukan ditautkan.", what=a["detail"]),
    "external_field": lambda a: _("Templat berisi kolom (field) yang mengambil isi dari luar "
                                  "dokumen (%(what)s). Hapus kolom itu; sisipkan isinya "
                                  "langsung.", what=a["detail"]),
    "embedded_document": lambda a: _("Templat menyisipkan dokumen lain (altChunk). Salin "
                                     "isinya langsung ke dalam templat."),
    "declared_entities": lambda a: _("Bagian %(part)s templat memuat deklarasi DTD "
                                      "(<!DOCTYPE>), yang dapat menarik isi dari luar dokumen. "
                                      "Simpan ulang templat dengan Word atau LibreOffice.",
                                      part=a["part"]),
    "template_in_properties": lambda a: _("Properti dokumen (%(part)s: judul, penulis, dan "
                                          "sebagainya) tidak boleh berisi tag. Pulang mengisi "
                                          "properti itu sendiri dengan jenis surat dan nama "
                                          "kantor.", part=a["part"]),
    "stigmatising_word": lambda a: _("Kata \"%(word)s\" menstigma penerima manfaat; surat yang ia "
                                     "bawa atau tanda tangani tidak memakainya (sebut ia Penerima "
                                     "Manfaat, dan sebut lembaga yang ia tinggalkan sebagai asal).",
                                     word=a["word"]),
    # Imports: whole sentences, the field named as the clerk calls it.
    "required": lambda a: field_reason(a.get("field", ""), "is required"),
    "invalid": lambda a: field_reason(a.get("field", ""), a["detail"]),
    "bad_date": lambda a: _("Tanggal lahir tidak dapat dibaca (tulis 01/07/1990, 1 Juli 1990 "
                            "atau 1990-07-01)."),
    "nik_invalid": lambda a: field_reason("nik", a["detail"]),
    "nik_birth_date": lambda a: _("Tanggal lahir di dalam NIK berbeda dengan tanggal lahir "
                                  "(NIK tetap disimpan seperti tertulis)."),
    "unknown_facility": lambda a: _("Lokasi \"%(name)s\" belum tercatat; centang di atas untuk "
                                    "membuatnya saat impor.", name=a["name"]),
    "same_nik": lambda a: _("NIK-nya sama"),
    "similar_name_same_birth_date": lambda a: _("namanya mirip dan tanggal lahirnya sama"),
    "no_rows": lambda a: _("Lembar kerja tidak berisi baris data."),
    "no_name_column": lambda a: _("Tidak ada kolom yang dipetakan ke nama lengkap."),
}


def describe(problem: Problem) -> str:
    args = dict(problem.args)
    if problem.code == "duplicate_member":
        args["name"] = problem.where
    args.setdefault("field", problem.where)
    say = _TEXTS.get(problem.code)
    return say(args) if say else problem.code


def as_json(problem: Problem) -> dict:
    where = problem.where
    if problem.args.get("part") and problem.args["part"] != "word/document.xml":
        where = f"{problem.args['part']}: {where}"
    return {"code": problem.code, "message": describe(problem), "where": where}


_SHORT = {
    "required": lambda: _("kolom wajib kosong"),
    "invalid": lambda: _("isian tidak valid"),
    "bad_date": lambda: _("tanggal lahir tidak terbaca"),
    "nik_invalid": lambda: _("NIK tidak valid"),
    "unknown_facility": lambda: _("lokasi belum tercatat"),
    "same_nik": lambda: _("NIK sama dengan kasus atau baris lain"),
    "similar_name_same_birth_date": lambda: _("nama mirip dan tanggal lahir sama dengan kasus atau baris lain"),
}


def short(code: str) -> str:
    """A problem code in a few words, where its details are not kept (an import report)."""
    say = _SHORT.get(code)
    return say() if say else code
