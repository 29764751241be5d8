"""The archive index (service.search) on real Whoosh, in temporary folders."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import re
import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from service.search import (
    CaseHit,
    IndexBusyError,
    IndexEntry,
    IndexWriterThread,
    SearchIndex,
    SearchResults,
)
from service.search import _index as index_module
from tests.helpers import wait_for

FACILITY = "Rumah Singgah Jambi"
OTHER_FACILITY = "Sentra Efata Kupang"
WIB = timezone(timedelta(hours=7))


def case(case_id: int, name: str, *, nik: str = "", facility: str = FACILITY,
         origin: str = "Jawa Timur") -> IndexEntry:
    return IndexEntry(case_id=case_id, case_number=f"JMB-2024-{case_id:04d}", full_name=name,
                      nik=nik, facility=facility, origin_region=origin)


def doc(case_entry: IndexEntry, doc_id: int, kind: str = "pledge", *, text: str = "",
        created_at: datetime | None = None, number: str | None = None,
        status: str = "valid") -> IndexEntry:
    return IndexEntry(
        case_id=case_entry.case_id, case_number=case_entry.case_number,
        full_name=case_entry.full_name, nik=case_entry.nik, facility=case_entry.facility,
        origin_region=case_entry.origin_region, doc_id=doc_id, kind=kind,
        number=number if number is not None else f"460/{doc_id:03d}/DINSOS/VII/2024",
        created_at=created_at or datetime(2024, 7, 1, 9, 0), status=status,
        text=text or f"Yang bertanda tangan di bawah ini {case_entry.full_name} menyatakan")


def names(results: SearchResults) -> list[str]:
    return [hit.full_name for hit in results.results]


NIK_KEY = bytes(range(32))  # the blind-index key (service/keys.py makes a random one)


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index", nik_key=NIK_KEY)
    yield ix
    ix.close()


# --- forgiving names -----------------------------------------------------------------

# One shared, read-only index of people, each a case with one letter.
PEOPLE = [
    "Nur Hayati", "Nurhayati Lubis", "Siti Aminnah", "Siti Aminah", "Joko Santoso",
    "Djoko Susilo", "Soekarno Putri", "Sukarno Wijaya", "Tjahjo Kumolo", "Cahyo Pratomo",
    "Syaiful Bahri", "Saiful Anwar", "Sulastri", "M. Rizky An Yusuf", "Rizky Yusuf",
    "Sumiati", "Dewi Lestari", "Ratna Sari", "Endang Wulandari", "Kartini Ndun",
    "Widyaningsih", "Achmad Chairul",
]


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    ix = SearchIndex(tmp_path_factory.mktemp("people"))
    entries = []
    for i, name in enumerate(PEOPLE, start=1):
        c = case(i, name)
        entries += [c, doc(c, 100 + i)]
    ix.add(entries)
    yield ix
    ix.close()


@pytest.mark.parametrize("query, expected", [
    pytest.param("Nurhayati", "Nur Hayati", id="joined-finds-split"),
    pytest.param("Nur Hayati", "Nurhayati Lubis", id="split-finds-joined"),
    pytest.param("nur hayati lubis", "Nurhayati Lubis", id="split-finds-joined-3-words"),
    pytest.param("aminah", "Siti Aminnah", id="doubled-letter"),
    pytest.param("Siti Aminah", "Siti Aminnah", id="doubled-letter-full-name"),
    pytest.param("Djoko", "Joko Santoso", id="old-dj-finds-j"),
    pytest.param("Joko", "Djoko Susilo", id="j-finds-old-dj"),
    pytest.param("Soekarno", "Sukarno Wijaya", id="old-oe-finds-u"),
    pytest.param("Sukarno", "Soekarno Putri", id="u-finds-old-oe"),
    pytest.param("Tjahjo", "Cahyo Pratomo", id="old-tj-j-finds-c-y"),
    pytest.param("Cahyo", "Tjahjo Kumolo", id="c-y-finds-old-tj-j"),
    pytest.param("Syaiful", "Saiful Anwar", id="sy-finds-s"),
    pytest.param("Saiful", "Syaiful Bahri", id="s-finds-sy"),
    pytest.param("Sulas", "Sulastri", id="partial-word"),
    pytest.param("sulastri", "Sulastri", id="single-name-lower-case"),
    pytest.param("Nurha", "Nurhayati Lubis", id="partial-joined"),
    pytest.param("M. Rizky An Yusuf", "M. Rizky An Yusuf", id="initial-and-short-word"),
    pytest.param("Rizki Yusuf", "Rizky Yusuf", id="final-y-i"),
    pytest.param("Widjaningsih", "Widyaningsih", id="old-dj-as-dy"),
    pytest.param("Ahmad Khairul", "Achmad Chairul", id="ch-kh-h"),
])
def test_forgiving_name_finds(people, query, expected):
    assert expected in names(people.search(query))


@pytest.mark.parametrize("query, absent", [
    pytest.param("Sulastri", "Sumiati", id="different-name"),
    pytest.param("Aminah", "Dewi Lestari", id="unrelated"),
    # The initial "M" is indexed: "M. Rizky" needs an M, which "Rizky Yusuf" lacks.
    pytest.param("M. Rizky", "Rizky Yusuf", id="initial-is-kept"),
    pytest.param("An Yusuf", "Rizky Yusuf", id="short-word-is-kept"),
])
def test_forgiving_name_does_not_find(people, query, absent):
    assert absent not in names(people.search(query))


@pytest.mark.parametrize("query, first, second", [
    pytest.param("Sukarno", "Sukarno Wijaya", "Soekarno Putri", id="sukarno"),
    pytest.param("Soekarno", "Soekarno Putri", "Sukarno Wijaya", id="soekarno"),
    pytest.param("Siti Aminah", "Siti Aminah", "Siti Aminnah", id="aminah"),
    pytest.param("Aminnah", "Siti Aminnah", "Siti Aminah", id="aminnah"),
    pytest.param("Joko", "Joko Santoso", "Djoko Susilo", id="joko"),
])
def test_exact_name_ranks_above_variant(people, query, first, second):
    found = names(people.search(query))
    assert found.index(first) < found.index(second)


def test_name_highlight_marks_the_words(people):
    hit = people.search("Nurhayati").results
    by_name = {h.full_name: h for h in hit}
    assert by_name["Nur Hayati"].highlights["full_name"] == "<mark>Nur</mark> <mark>Hayati</mark>"
    assert by_name["Nurhayati Lubis"].highlights["full_name"] == "<mark>Nurhayati</mark> Lubis"


# --- identifiers -----------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    pytest.param("460/002/DINSOS/VII/2024", id="letter-number"),
    pytest.param("460/002/dinsos/vii/2024", id="letter-number-lower-case"),
])
def test_letter_number_finds_that_document(index, query):
    a, b = case(1, "Sulastri"), case(2, "Sumiati")
    index.add([a, doc(a, 1, number="460/001/DINSOS/VII/2024"),
               doc(a, 2, kind="aid_receipt", number="460/002/DINSOS/VII/2024"),
               b, doc(b, 3, number="460/003/DINSOS/VII/2024")])
    res = index.search(query)
    assert res.total_cases == 1
    hit = res.results[0]
    assert hit.case_id == 1
    assert [d["id"] for d in hit.documents] == [2]
    assert hit.highlights["number"] == "<mark>460/002/DINSOS/VII/2024</mark>"


@pytest.mark.parametrize("query", [
    pytest.param("JMB-2024-0002", id="as-written"),
    pytest.param("jmb-2024-0002", id="lower-case"),
])
def test_case_number_finds_the_case(index, query):
    index.add([case(1, "Sulastri"), case(2, "Sumiati")])
    res = index.search(query)
    assert [h.case_id for h in res.results] == [2]
    assert res.results[0].highlights["case_number"] == "<mark>JMB-2024-0002</mark>"


@pytest.mark.parametrize("query, found", [
    pytest.param("1571014501900001", True, id="whole-nik"),
    pytest.param("157101450190000", False, id="one-digit-short"),
    pytest.param("1571014501900002", False, id="other-nik"),
])
def test_nik_is_matched_exactly(index, query, found):
    a = case(1, "Sulastri", nik="1571014501900001")
    index.add([a, case(2, "Sumiati", nik="1571014501900003")])
    res = index.search(query)
    assert ([h.case_id for h in res.results] == [1]) is found
    if found:
        # Shown masked, never whole.
        assert res.results[0].highlights["nik"] == "<mark>1571********0001</mark>"


def test_nik_in_letter_text_is_neither_stored_nor_shown(index):
    a = case(1, "Sulastri", nik="1571014501900001")
    index.add([a, doc(a, 1, text="Nama Sulastri NIK 1571014501900001 alamat Jambi menyatakan")])
    hit = index.search("menyatakan").results[0]
    assert "1571014501900001" not in hit.highlights["text"]
    assert "0001" not in hit.highlights["text"]
    assert "<mark>menyatakan</mark>" in hit.highlights["text"]


def test_the_index_files_hold_no_nik_and_need_the_key_to_find_one(tmp_path):
    """Issue 10, item 7: a blind index. Before, the NIK was an index term in the clear
    and every letter's stored text held it whole: anyone who could read the index
    folder read every NIK."""
    nik, other = "1571014501900001", "3173046002850007"
    folder = tmp_path / "ix"
    with SearchIndex(folder, nik_key=NIK_KEY) as ix:
        a = case(1, "Sulastri", nik=nik)
        roster = IndexEntry(case_id=0, case_number="", full_name="", nik="", facility="",
                            origin_region="", doc_id=9, kind="aid_roster", number="900/9/2024",
                            created_at=datetime(2024, 7, 31, 9), text=f"1. Sulastri {other} Jambi")
        ix.add([a, doc(a, 1, text=f"Nama Sulastri NIK {nik} alamat Jambi"), roster])
        assert [h.case_id for h in ix.search(nik).results] == [1]
        assert ix.search(other).total_cases == 0  # a NIK in a letter's text is not kept at all
    raw = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    for digits in (nik, other):
        assert digits.encode() not in raw and digits.encode("utf-16-le") not in raw
        assert digits[:12].encode() not in raw and digits[4:].encode() not in raw
    with SearchIndex(folder, nik_key=b"another key entirely, 32 bytes!!") as wrong, \
            SearchIndex(folder) as keyless:
        assert wrong.search(nik).total_cases == 0 and keyless.search(nik).total_cases == 0


@pytest.mark.parametrize("query", [
    pytest.param("Kupang", id="facility-word"),
    pytest.param("Timur", id="origin-word"),
    pytest.param("mixer", id="letter-text"),
])
def test_other_fields_are_searched(index, query):
    a = case(1, "Sulastri", facility=OTHER_FACILITY, origin="Nusa Tenggara Timur")
    b = case(2, "Sumiati", origin="Jambi")
    index.add([a, doc(a, 1, text="bantuan berupa mixer dan blender"), b, doc(b, 2)])
    assert [h.case_id for h in index.search(query).results] == [1]


@pytest.mark.parametrize("query", [
    pytest.param("M. Rizky", id="M."), pytest.param("Moh. Rizky", id="Moh."),
    pytest.param("Muh. Rizky", id="Muh."), pytest.param("Mhd Rizky", id="Mhd"),
    pytest.param("Moch. Rizky", id="Moch."), pytest.param("Mochammad Rizky", id="Mochammad"),
    pytest.param("Muhamad Rizky", id="Muhamad"), pytest.param("mohammad rizki", id="mohammad-rizki"),
])
def test_muhammad_abbreviated_or_spelled_otherwise_finds_muhammad(index, query):
    """Issue 12: the usual abbreviations and spellings of Muhammad on Indonesian IDs."""
    index.add([case(1, "Muhammad Rizky"), case(2, "Rizky Yusuf"), case(3, "Mochammad Rizky Saputra"),
               case(4, "Maria Rizky")])
    found = names(index.search(query))
    assert "Muhammad Rizky" in found and "Mochammad Rizky Saputra" in found
    assert "Rizky Yusuf" not in found and "Maria Rizky" not in found


def test_a_name_recorded_abbreviated_is_found_by_the_whole_name(index):
    index.add([case(1, "M. Rizky An Yusuf"), case(2, "Siti M")])
    assert names(index.search("Muhammad Rizky")) == ["M. Rizky An Yusuf"]
    assert names(index.search("Muhammad")) == ["M. Rizky An Yusuf"]  # a trailing M is an initial


@pytest.mark.parametrize("query", ["Winarsih S", "Winarsih S.", "S. Winarsih", "winarsih s"])
def test_an_initial_does_not_hide_her(index, query):
    index.add([case(1, "Winarsih"), case(2, "Sri Winarsih"), case(3, "Sulastri")])
    assert sorted(names(index.search(query))) == ["Sri Winarsih", "Winarsih"]


def test_every_query_word_must_match(index):
    a, b = case(1, "Siti Aminah"), case(2, "Siti Rahayu")
    index.add([a, b])
    assert [h.case_id for h in index.search("siti aminah").results] == [1]
    assert index.search("siti").total_cases == 2


def test_words_may_match_the_case_and_a_letter(index):
    a, b = case(1, "Sulastri"), case(2, "Sumiati")
    index.add([a, doc(a, 1, text="bantuan berupa mixer"), doc(a, 2, text="tiket pulang"),
               b, doc(b, 3, text="bantuan berupa mixer")])
    res = index.search("sulastri mixer")
    assert [h.case_id for h in res.results] == [1]
    assert [d["id"] for d in res.results[0].documents] == [1]     # only the letter with both


def test_a_letter_alone_makes_its_case_findable(index):
    a = case(4, "Nur Hayati", nik="1571014501900001")
    index.add([doc(a, 40)])                                   # no case entry sent
    assert index.keys() == {"c:4", "d:40"}
    hit = index.search("nurhayati").results[0]
    assert (hit.case_id, hit.full_name, [d["id"] for d in hit.documents]) == (4, "Nur Hayati", [40])
    assert index.search("1571014501900001").total_cases == 1


def test_a_letter_without_a_case_stands_alone(index):
    roster = IndexEntry(case_id=0, case_number="", full_name="", nik="", facility="",
                        origin_region="", doc_id=77, kind="aid_roster", number="900/077/DINSOS/VII/2024",
                        created_at=datetime(2024, 7, 31, 9), text="Daftar: Sulastri, Sumiati, Ratna")
    roster2 = IndexEntry(case_id=0, case_number="", full_name="", nik="", facility="",
                         origin_region="", doc_id=78, kind="aid_roster", number="900/078/DINSOS/VII/2024",
                         created_at=datetime(2024, 8, 1, 9), text="Daftar: Sulastri, Dewi")
    index.add([roster, roster2])
    assert index.keys() == {"d:77", "d:78"}
    res = index.search("sulastri")
    assert res.total_cases == 2
    assert sorted(d["id"] for h in res.results for d in h.documents) == [77, 78]
    assert index.search(kind="aid_roster").total_cases == 2
    assert "<mark>Sulastri</mark>" in res.results[0].highlights["text"]


# --- highlights escape HTML ------------------------------------------------------------

def test_highlights_are_escaped(index):
    a = case(1, "Siti & <Aminah>", facility="Rumah <b>Singgah</b>")
    index.add([a, doc(a, 1, text='Nama Siti & <Aminah> "menyatakan" <script>alert(1)</script>')])
    hit = index.search("aminah").results[0]
    assert hit.full_name == "Siti & <Aminah>"            # the stored value is not escaped
    assert hit.highlights["full_name"] == "Siti &amp; &lt;<mark>Aminah</mark>&gt;"
    for snippet in hit.highlights.values():
        assert not re.search(r"<(?!/?mark>)", snippet), snippet
    assert "&lt;script&gt;" in hit.highlights["text"]


# --- grouping, ordering, pagination --------------------------------------------------

def test_results_are_grouped_by_case(index):
    a, b = case(1, "Sulastri"), case(2, "Sumiati")
    index.add([a, doc(a, 1, text="bantuan mixer"), doc(a, 2, "aid_receipt", text="mixer mixer mixer"),
               doc(a, 3, "release_report", text="tanpa alat"),
               b, doc(b, 4, text="sebuah mixer")])
    res = index.search("mixer")
    assert res.total_cases == 2
    by_case = {h.case_id: h for h in res.results}
    assert isinstance(by_case[1], CaseHit)
    # Only the matching documents, best first (three "mixer"s beat one).
    assert [d["id"] for d in by_case[1].documents] == [2, 1]
    assert set(by_case[1].documents[0]) >= {"id", "kind", "number", "created_at"}
    assert by_case[1].documents[0]["kind"] == "aid_receipt"
    assert by_case[1].documents[0]["created_at"] == "2024-07-01T09:00:00"
    assert res.results[0].score >= res.results[1].score


def test_case_without_letters_is_found_by_name(index):
    index.add([case(7, "Sulastri")])
    hit = index.search("Sulastri").results[0]
    assert (hit.case_id, hit.case_number, hit.facility, hit.documents) == (7, "JMB-2024-0007", FACILITY, [])


def test_name_match_lists_the_case_once_with_its_documents(index):
    a = case(1, "Sulastri")
    index.add([a, doc(a, 1), doc(a, 2, "aid_receipt"), doc(a, 3, "release_report")])
    res = index.search("sulastri")
    assert res.total_cases == 1
    assert sorted(d["id"] for d in res.results[0].documents) == [1, 2, 3]


@pytest.mark.parametrize("page, expected", [
    pytest.param(1, 20, id="first"),
    pytest.param(2, 20, id="middle"),
    pytest.param(3, 5, id="last"),
    pytest.param(4, 0, id="past-the-end"),
])
def test_pagination_is_by_case(index, page, expected):
    entries = []
    for i in range(1, 46):
        c = case(i, f"Siti Nomor{i}")
        entries += [c, doc(c, 2 * i), doc(c, 2 * i + 1, "aid_receipt")]
    index.add(entries)
    res = index.search("siti", page=page, pagelen=20)
    assert (res.total_cases, res.page, res.pagelen) == (45, page, 20)
    assert len(res.results) == expected
    assert len({h.case_id for h in res.results}) == expected


def test_long_postings_with_deletions_across_segments(index):
    # Enough entries for several posting blocks, in two commits, with deletions: the
    # block reader must skip deleted entries and add up segments.
    first = [case(i, f"Siti Nomor{i}") for i in range(1, 301)]
    index.add(first)
    index.add([case(i, f"Siti Nomor{i}") for i in range(301, 451)]
              + [doc(case(i, f"Siti Nomor{i}"), i, text="tiket pulang") for i in range(1, 451)])
    index.delete_documents(range(1, 451, 3))
    letters = {i for i in range(1, 451) if i % 3 != 1}
    assert index.search("siti").total_cases == 450
    assert index.search("pulang").total_cases == len(letters)
    # Anonymising a case rewrites the index (delete_case optimises, so her words leave
    # the files): a few are enough, each costs a whole rewrite.
    gone = {10, 20, 301}
    for i in sorted(gone):
        index.delete_case(i)
    assert index.search("siti").total_cases == 450 - len(gone)
    assert index.search("pulang").total_cases == len(letters - gone)
    assert index.search(kind="pledge").total_cases == len(letters - gone)


def test_pages_do_not_overlap(index):
    index.add([case(i, f"Siti Nomor{i}") for i in range(1, 31)])
    seen = [h.case_id for p in (1, 2, 3) for h in index.search("siti", page=p, pagelen=10).results]
    assert sorted(seen) == list(range(1, 31))


@pytest.mark.parametrize("kwargs", [
    pytest.param({"page": 0}, id="page-0"),
    pytest.param({"pagelen": 0}, id="pagelen-0"),
    pytest.param({"pagelen": 10_000}, id="pagelen-huge"),
])
def test_bad_paging_is_refused(index, kwargs):
    with pytest.raises(ValueError):
        index.search("x", **kwargs)


# --- filters -------------------------------------------------------------------------

@pytest.fixture
def filtered(index):
    a = case(1, "Siti Aminah")
    b = case(2, "Siti Rahayu", facility=OTHER_FACILITY)
    c = case(3, "Siti Lestari")                       # no letters yet
    index.add([
        a, doc(a, 1, "pledge", created_at=datetime(2024, 7, 1, 9)),
        doc(a, 2, "aid_receipt", created_at=datetime(2024, 7, 20, 9)),
        b, doc(b, 3, "pledge", created_at=datetime(2024, 8, 5, 9)),
        # 31 Jul 20:00 UTC is 1 Aug 03:00 in the office (WIB): an August letter.
        doc(b, 4, "release_report", created_at=datetime(2024, 7, 31, 20, tzinfo=timezone.utc)),
        c,
    ])
    return index


@pytest.mark.parametrize("kwargs, cases, docs", [
    pytest.param({}, [1, 2, 3], None, id="no-filter"),
    pytest.param({"facility": FACILITY}, [1, 3], None, id="facility"),
    pytest.param({"facility": OTHER_FACILITY}, [2], None, id="other-facility"),
    pytest.param({"facility": "Rumah Singgah"}, [], None, id="facility-is-exact"),
    pytest.param({"kind": "pledge"}, [1, 2], {1: [1], 2: [3]}, id="kind"),
    pytest.param({"kind": "aid_receipt"}, [1], {1: [2]}, id="kind-2"),
    pytest.param({"kind": "case"}, [1, 2, 3], {1: [], 2: [], 3: []}, id="kind-case"),
    pytest.param({"date_from": date(2024, 7, 20)}, [1, 2], {1: [2], 2: [3, 4]}, id="from"),
    pytest.param({"date_to": date(2024, 7, 31)}, [1], {1: [1, 2]}, id="to-inclusive"),
    pytest.param({"date_from": date(2024, 8, 1), "date_to": date(2024, 8, 1)}, [2], {2: [4]},
                 id="office-local-day"),
    pytest.param({"date_from": date(2024, 7, 1), "date_to": date(2024, 7, 1)}, [1], {1: [1]},
                 id="one-day"),
    pytest.param({"facility": FACILITY, "kind": "pledge", "date_from": date(2024, 6, 1)}, [1],
                 {1: [1]}, id="combined"),
    pytest.param({"date_from": date(2025, 1, 1)}, [], None, id="nothing-in-range"),
])
@pytest.mark.parametrize("q", [pytest.param(None, id="no-q"), pytest.param("siti", id="q")])
def test_filters(filtered, q, kwargs, cases, docs):
    res = filtered.search(q, **kwargs)
    assert sorted(h.case_id for h in res.results) == cases
    assert res.total_cases == len(cases)
    if docs is not None:
        assert {h.case_id: sorted(d["id"] for d in h.documents) for h in res.results} == docs


def test_filters_only_lists_newest_first(filtered):
    res = filtered.search(kind="pledge")
    assert [h.case_id for h in res.results] == [2, 1]
    assert all(h.highlights == {} for h in res.results)


# --- writing -------------------------------------------------------------------------

def test_readding_a_key_replaces_it(index):
    a = case(1, "Sulastri")
    index.add([a, doc(a, 1, text="surat pertama")])
    index.add([doc(case(1, "Sumiati"), 1, text="surat kedua", status="void")])
    assert index.keys() == {"c:1", "d:1"}
    assert index.search("pertama").total_cases == 0
    hit = index.search("kedua").results[0]
    assert hit.documents[0]["status"] == "void"
    assert hit.full_name == "Sumiati"


def test_a_name_replaced_several_times_is_still_found_with_a_letter_word(index):
    # Whoosh counts the replaced entries in a term's frequency until their segments are
    # merged away: the name then counted more often than there are entries.
    a = case(1, "Sulastri Rahayu")
    index.add([a])
    letter = doc(a, 1, text="surat pernyataan kesanggupan")
    index.add([letter])
    index.add([dataclasses.replace(letter, status="void")])
    hit = index.search("Sulastri pernyataan").results[0]
    assert hit.case_id == 1 and hit.score > 0
    assert hit.documents[0]["status"] == "void"


def test_a_status_change_without_text_keeps_the_indexed_text(index):
    a = case(1, "Sulastri")
    letter = doc(a, 1, text="surat pernyataan kesanggupan")
    index.add([a, letter])
    index.add([dataclasses.replace(letter, status="superseded", text=None)])
    hit = index.search("kesanggupan").results[0]
    assert hit.documents[0]["status"] == "superseded"
    assert "<mark>kesanggupan</mark>" in hit.highlights["text"]


def test_same_key_twice_in_one_call_keeps_the_last(index):
    index.add([case(1, "Sulastri"), case(1, "Sumiati")])
    assert index.keys() == {"c:1"}
    assert names(index.search("Sumiati")) == ["Sumiati"]
    assert index.search("Sulastri").total_cases == 0


def test_delete_documents(index):
    a = case(1, "Sulastri")
    index.add([a, doc(a, 1), doc(a, 2), doc(a, 3)])
    index.delete_documents([1, 3])
    assert index.keys() == {"c:1", "d:2"}
    assert [d["id"] for d in index.search("sulastri").results[0].documents] == [2]


def test_delete_case_removes_all_its_entries(index):
    a, b = case(1, "Sulastri"), case(2, "Sumiati")
    index.add([a, doc(a, 1), doc(a, 2), b, doc(b, 3)])
    index.delete_case(1)
    assert index.keys() == {"c:2", "d:3"}
    assert index.search("sulastri").total_cases == 0


def test_keys_lists_every_entry(index):
    assert index.keys() == set()
    a = case(5, "Sulastri")
    index.add([a, doc(a, 9)])
    assert index.keys() == {"c:5", "d:9"}


@pytest.mark.parametrize("threshold", [
    pytest.param(10_000, id="one-process"),
    pytest.param(5, id="two-processes"),
])
def test_rebuild_replaces_everything(index, monkeypatch, threshold):
    monkeypatch.setattr(index_module, "BULK_THRESHOLD", threshold)
    old = case(99, "Sumiati")
    index.add([old, doc(old, 999)])
    fresh = []
    for i in range(1, 11):
        c = case(i, f"Sulastri Nomor{i}")
        fresh += [c, doc(c, i)]
    assert index.rebuild(iter(fresh)) == 20
    assert index.keys() == {f"c:{i}" for i in range(1, 11)} | {f"d:{i}" for i in range(1, 11)}
    assert index.search("sumiati").total_cases == 0
    assert index.search("sulastri").total_cases == 10
    # Later writes go on as usual.
    index.add([case(50, "Ratna")])
    assert index.search("ratna").total_cases == 1


def test_failed_rebuild_leaves_the_index_as_it_was(index):
    index.add([case(1, "Sumiati")])
    with pytest.raises(ValueError):
        index.rebuild([case(2, "Sulastri"), case(2, "Sulastri")])
    assert index.keys() == {"c:1"}


def test_malformed_entry_is_refused(index):
    with pytest.raises(TypeError):
        index.add([case(1, None)])  # type: ignore[arg-type]
    assert index.keys() == set()


def test_opening_again_keeps_the_index(tmp_path):
    with SearchIndex(tmp_path / "ix") as first:
        first.add([case(1, "Sulastri")])
    with SearchIndex(tmp_path / "ix") as again:
        assert again.keys() == {"c:1"}


def test_index_of_another_schema_version_is_recreated_empty(tmp_path):
    with SearchIndex(tmp_path / "ix") as first:
        first.add([case(1, "Sulastri")])
    (tmp_path / "ix" / "pulang-search-schema").write_text("0\n")
    with SearchIndex(tmp_path / "ix") as again:
        assert again.keys() == set()
        again.add([case(2, "Sumiati")])
        assert again.keys() == {"c:2"}


def test_a_second_handle_sees_commits(tmp_path):
    with SearchIndex(tmp_path / "ix") as a, SearchIndex(tmp_path / "ix") as b:
        assert b.search("sulastri").total_cases == 0      # b's searcher is open now
        a.add([case(1, "Sulastri")])
        assert b.search("sulastri").total_cases == 1
        a.delete_case(1)
        assert b.search("sulastri").total_cases == 0


def test_busy_lock_is_retried_then_raised(index, monkeypatch):
    monkeypatch.setattr(index_module, "LOCK_WAIT", 0.3)
    holder = index._ix.writer()          # another writer holds the lock
    try:
        t0 = time.monotonic()
        with pytest.raises(IndexBusyError):
            index.add([case(1, "Sulastri")])
        assert time.monotonic() - t0 >= 0.3
    finally:
        holder.cancel()
    index.add([case(1, "Sulastri")])
    assert index.keys() == {"c:1"}


def test_busy_lock_released_in_time_is_waited_for(index):
    holder = index._ix.writer()
    timer = threading.Timer(0.3, holder.cancel)
    timer.start()
    index.add([case(1, "Sulastri")])     # waits for the holder, then lands
    timer.join()
    assert index.keys() == {"c:1"}


# --- several processes ---------------------------------------------------------------

def _writer_process(index_dir, offset, barrier, errors):
    try:
        ix = SearchIndex(index_dir)
        barrier.wait(10)
        for batch in range(8):
            entries = []
            for j in range(5):
                n = offset + batch * 5 + j
                c = case(n, f"Proses{offset} Nomor{n}")
                entries += [c, doc(c, n)]
            ix.add(entries)
        ix.close()
    except BaseException as exc:   # reported to the parent
        errors.put(repr(exc))
        raise


def test_two_processes_writing_at_once_both_land(tmp_path):
    ctx = multiprocessing.get_context("fork")
    index_dir = tmp_path / "shared"
    SearchIndex(index_dir).close()
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_writer_process, args=(index_dir, off, barrier, errors))
             for off in (1000, 2000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0], [errors.get() for _ in range(errors.qsize())]
    with SearchIndex(index_dir) as ix:
        keys = ix.keys()
        assert len(keys) == 160
        assert {f"c:{n}" for n in range(1000, 1040)} | {f"c:{n}" for n in range(2000, 2040)} <= keys
        assert ix.search("proses1000").total_cases == 40


# --- the background writer -----------------------------------------------------------

def test_writer_thread_flush_makes_entries_searchable(index):
    writer = IndexWriterThread(index, interval=3600)   # a flush that waited for it would time out
    try:
        a = case(1, "Sulastri")
        writer.submit([a])
        writer.submit([doc(a, 1)])
        writer.flush(timeout=60)
        assert index.keys() == {"c:1", "d:1"}
        assert index.search("sulastri").results[0].documents[0]["id"] == 1
    finally:
        writer.close()


def test_writer_thread_batches_commits(index, monkeypatch):
    calls = []
    real_add = index.add
    monkeypatch.setattr(index, "add", lambda entries: (calls.append(len(entries)), real_add(entries)))
    writer = IndexWriterThread(index, interval=0.3)
    try:
        for i in range(1, 21):
            writer.submit([case(i, f"Siti Nomor{i}")])
        writer.flush()
    finally:
        writer.close()
    assert sum(calls) == 20
    assert len(calls) <= 3
    assert index.search("siti").total_cases == 20


def test_writer_thread_reports_a_failure_and_retries(index, monkeypatch):
    failures = [RuntimeError("disk full")]
    real_add = index.add

    def flaky_add(entries):
        if failures:
            raise failures.pop()
        real_add(entries)

    monkeypatch.setattr(index, "add", flaky_add)
    writer = IndexWriterThread(index, interval=0.05)
    try:
        writer.submit([case(1, "Sulastri")])
        with pytest.raises(RuntimeError, match="disk full"):
            writer.flush(timeout=5)
        def flushed():
            try:
                writer.flush(timeout=5)
                return True
            except RuntimeError:  # the failure is reported until the retry lands
                return False

        wait_for(flushed, 30, what="the retry to land the entries")
        assert index.keys() == {"c:1"}
    finally:
        writer.close()


def test_writer_thread_refuses_malformed_entries_at_submit(index):
    writer = IndexWriterThread(index)
    try:
        with pytest.raises(TypeError):
            writer.submit([IndexEntry("x", "JMB-1", "Sulastri", "", FACILITY, "Jambi")])  # type: ignore[arg-type]
    finally:
        writer.close()


def test_writer_thread_close_commits_what_is_pending(index):
    writer = IndexWriterThread(index, interval=10)
    writer.submit([case(1, "Sulastri")])
    writer.close()
    assert index.keys() == {"c:1"}
    with pytest.raises(RuntimeError):
        writer.submit([case(2, "Sumiati")])


# --- privacy -------------------------------------------------------------------------

def test_no_name_or_nik_is_logged(tmp_path, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    name, nik = "Sulastri Rahasia", "1571014501900001"
    ix = SearchIndex(tmp_path / "ix")
    a = case(1, name, nik=nik)
    ix.add([a, doc(a, 1)])
    ix.search(name)
    ix.search(nik)
    ix.rebuild([a, doc(a, 1)])
    monkeypatch.setattr(ix, "add", lambda entries: (_ for _ in ()).throw(OSError(f"cannot write {name}")))
    writer = IndexWriterThread(ix, interval=0.01)
    writer.submit([a])
    with pytest.raises(OSError):
        writer.flush(timeout=5)
    with pytest.raises(OSError):      # close() cannot commit either, and says so
        writer.close(timeout=1)
    ix.close()
    assert caplog.records, "expected the failure to be logged"
    assert "Rahasia" not in caplog.text and nik not in caplog.text
