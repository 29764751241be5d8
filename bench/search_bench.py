"""Benchmark of the archive search on a synthetic 100,000-document archive.

    .venv/bin/python bench/search_bench.py /tmp/pulang-bench-index
    .venv/bin/python bench/search_bench.py DIR --docs 100000 --queries 400 --seed 7

Builds the index in DIR (or reuses it when DIR already holds one built with the same
--docs and --seed), then times `SearchIndex.search` for a few hundred name queries of four
sorts (exact, misspelled, partial word, old spelling) and prints the figures as JSON:
build time, p50/p95/p99 in milliseconds, overall and per sort. Every query goes through
the whole public path (grouping by case, page of 20, highlights).

The archive: about 4 documents per case (pledge, aid receipt(s), release report), each
with about 250 words of Indonesian letter text, plus one case entry per case. Names come
from lists with a skewed (Zipf-like) frequency, as real names are: many Sitis and Nurs,
few Fanggidaes. A share of them are written in old spelling or with a doubled letter.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.search import IndexEntry, SearchIndex  # noqa: E402

GENERATOR_VERSION = 2      # bump when the synthetic archive changes

FIRST = """Siti Nur Sri Dewi Aminah Sulastri Nurhayati Rina Wati Yuliana Lestari Ratna Endang
Sumiati Suryani Rahmawati Fitri Indah Puspita Kartini Marlina Yanti Ani Susi Eka Dian Rini
Tuti Yuni Wulan Novi Maria Yohana Agustina Margaretha Fransiska Theresia Anastasia Elisabeth
Martha Ruth Debora Ester Kristina Veronika Lusiana Mega Putri Ayu Desi Winda Ika Lina Nina
Reni Santi Heni Erna Eni Umi Tri Dwi Rukmini Sukarni Painem Sumarni Tumini Parmi Suwarni
Juariah Aisyah Fatimah Khadijah Halimah Maimunah Zainab Rohani Rosmiati Nurjanah Salmah
Hasanah Jamilah Mariam Rukiah Saodah Asmah Kasmawati Hartini Sunarti Murni Yusnidar Linda
Mira Vivi Lilis Euis Neneng Iis Cucu Enok Imas Nining Tati Ela Yeyen Kurniasih Oktaviani
Septiani Novianti Nia Tika Rika Riska Rizky Syafitri Melati Kenanga Mawar Cahaya Bunga
Intan Permata Mutiara Rosa Sinta Shinta Cindy Dina Tina Lani Nani Nurul Ulfa Ulfah Wahyuni
Sri Suharti Sumiyati Supriyati Sukaesih Tjahjani Soemarni Djuariah""".split()

LAST = """Hayati Aminah Rahayu Wulandari Susanti Handayani Purnamasari Lestari Saragih
Simanjuntak Nainggolan Manurung Sihombing Tambunan Pasaribu Ndun Bessie Fanggidae Lado
Manafe Tallo Lobo Bano Nenobais Ataupah Tefa Seran Bria Klau Nahak Siregar Harahap Nasution
Lubis Hutapea Situmorang Sinaga Panjaitan Damanik Purba Ginting Tarigan Sembiring Sitepu
Lase Zebua Gulo Halawa Daeli Laia Ndruru Rumbiak Wanggai Kogoya Wenda Sari Ningsih Astuti
Utami Pratiwi Safitri Anggraini Maharani Permatasari Kusumawati Setyaningsih Mulyani
Rahmawati Nurhasanah Yuliani Marlina Agustina Kartika Sulistyowati Widyaningsih Hidayati
Fauziah Yusuf Saputri Wijaya Santoso Sukarno Sujono Suyono Cahyono Joko Syaiful Saiful
Rizky Yusuf Hasibuan Batubara Matondang Pohan Rangkuti Daulay Nasir Hamid Rauf Latif
Syarifah Amalia Anjani Aprilia Oktavia Dahlia Melinda""".split()

# Modern → old spelling (applied to a share of names; the search must undo it). The "y"
# before a vowel was written "j" (Cahyo → Tjahjo); a final "y" (Cindy) was not.
OLD = [("u", "oe"), ("j", "dj"), ("c", "tj"), ("ny", "nj"), ("sy", "sj"), ("kh", "ch")]
_Y_BEFORE_VOWEL = re.compile(r"y(?=[aeiou])")

FACILITIES = ["Rumah Singgah Dinsos Kota Jambi", "Rumah Perlindungan Trauma Center Jambi",
              "Sentra Mulya Jaya Jakarta", "Sentra Budhi Dharma Bekasi",
              "Rumah Singgah Palangka Raya", "Sentra Efata Kupang", "UPTD Rehabilitasi Sosial Sampit"]
ORIGINS = ["Jawa Timur", "Jawa Barat", "Jawa Tengah", "Nusa Tenggara Timur", "Sumatera Utara",
           "Jambi", "Kalimantan Tengah", "Sulawesi Selatan", "Lampung", "Sumatera Selatan",
           "Kupang", "Surabaya", "Banyuwangi", "Indramayu", "Malang", "Bandung"]
CITIES = ["Jambi", "Palangka Raya", "Kupang", "Sampit"]
PREFIX = {"Rumah Singgah Dinsos Kota Jambi": "JMB", "Rumah Perlindungan Trauma Center Jambi": "JMB",
          "Sentra Mulya Jaya Jakarta": "JKT", "Sentra Budhi Dharma Bekasi": "BKS",
          "Rumah Singgah Palangka Raya": "PKY", "Sentra Efata Kupang": "KPG",
          "UPTD Rehabilitasi Sosial Sampit": "SPT"}
KIND_CODE = {"pledge": "460", "aid_receipt": "900", "release_report": "463"}
MONTHS = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember".split()
ROMAN = "I II III IV V VI VII VIII IX X XI XII".split()

FILLER = """bahwa penerima manfaat telah mengikuti bimbingan sosial dan konseling selama berada di
rumah singgah serta pelatihan keterampilan tata boga membuat kue dan tata rias salon yang
diselenggarakan oleh dinas sosial bekerja sama dengan kementerian sosial republik indonesia
dalam rangka pemulangan ke daerah asal setelah penutupan lokalisasi oleh pemerintah kota
bantuan diberikan berupa modal usaha ekonomi produktif tiket perjalanan jatah hidup biaya
transportasi lokal dan peralatan usaha seperti mixer blender kompor oven dan perlengkapan
salon yang diserahkan secara langsung kepada yang bersangkutan disaksikan oleh petugas
pendamping pekerja sosial perwakilan satpol pp kepolisian camat lurah dan tokoh masyarakat
penerima manfaat berjanji tidak akan kembali melakukan pekerjaan yang melanggar norma
kesusilaan dan akan mengikuti pembinaan lanjutan dari dinas sosial kabupaten kota daerah
asal apabila di kemudian hari melanggar pernyataan ini bersedia menerima sanksi sesuai
ketentuan peraturan perundang undangan yang berlaku pelaksanaan kegiatan dibiayai dari
anggaran pendapatan dan belanja daerah tahun anggaran berjalan melalui program rehabilitasi
sosial dan perlindungan jaminan sosial bidang rehabilitasi sosial seksi tuna sosial dan
korban perdagangan orang berita acara ini dibuat rangkap secukupnya untuk dipergunakan
sebagaimana mestinya laporan kegiatan pendampingan keluarga penerima manfaat surat
keterangan domisili kartu keluarga kartu tanda penduduk elektronik akta kelahiran""".split()

TERBILANG = {3000000: "tiga juta rupiah", 1500000: "satu juta lima ratus ribu rupiah",
             2250000: "dua juta dua ratus lima puluh ribu rupiah", 250000: "dua ratus lima puluh ribu rupiah",
             1800000: "satu juta delapan ratus ribu rupiah", 6000000: "enam juta rupiah"}


def zipf_choice(rng: random.Random, items: list[str], s: float = 1.0) -> str:
    weights = zipf_choice.cache.get((id(items), s))
    if weights is None:
        weights = [1 / (i + 1) ** s for i in range(len(items))]
        zipf_choice.cache[(id(items), s)] = weights
    return rng.choices(items, weights)[0]


zipf_choice.cache = {}


def old_spelling(word: str) -> str:
    low = word.lower()
    for new, old in OLD:
        low = low.replace(new, old)
    return _Y_BEFORE_VOWEL.sub("j", low).capitalize()


def person_name(rng: random.Random) -> str:
    n = rng.choices([1, 2, 3], [15, 65, 20])[0]
    words = [zipf_choice(rng, FIRST, 0.9)]
    for _ in range(n - 1):
        words.append(zipf_choice(rng, LAST, 0.8))
    r = rng.random()
    if r < 0.08:
        i = rng.randrange(len(words))
        words[i] = old_spelling(words[i])
    elif r < 0.12 and len(words) > 1:              # two words written as one
        i = rng.randrange(len(words) - 1)
        words[i:i + 2] = [words[i] + words[i + 1].lower()]
    elif r < 0.16:                                 # a doubled consonant
        i = rng.randrange(len(words))
        w = words[i]
        j = rng.randrange(1, len(w)) if len(w) > 1 else 0
        words[i] = w[:j] + w[j] + w[j:]
    if rng.random() < 0.03:
        words.insert(0, rng.choice("MAS") + ".")
    return " ".join(words)


def nik(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return ""
    return f"{rng.randint(11, 94)}{rng.randint(1, 79):02d}{rng.randint(1, 40):02d}" \
           f"{rng.randint(41, 71):02d}{rng.randint(1, 12):02d}{rng.randint(70, 99):02d}{rng.randint(1, 9999):04d}"


def letter_text(rng: random.Random, kind: str, name: str, nik_: str, number: str, facility: str,
                origin: str, when: datetime, words: int = 250) -> str:
    city = rng.choice(CITIES)
    date_text = f"{when.day} {MONTHS[when.month - 1]} {when.year}"
    amount = rng.choice(list(TERBILANG))
    head = {
        "pledge": f"SURAT PERNYATAAN Nomor {number} Yang bertanda tangan di bawah ini Nama {name} "
                  f"NIK {nik_ or '-'} Alamat asal {origin} menyatakan dengan sesungguhnya bahwa saya tidak "
                  f"akan kembali melakukan pekerjaan sebagai pekerja seks. Demikian surat pernyataan ini "
                  f"saya buat dengan sebenarnya tanpa paksaan dari pihak manapun. {city} {date_text}",
        "aid_receipt": f"TANDA TERIMA BANTUAN Nomor {number} Telah terima dari Dinas Sosial {city} "
                       f"uang sejumlah Rp{amount:,}".replace(",", ".") + f" ({TERBILANG[amount]}) untuk modal "
                       f"usaha atas nama {name} asal {origin}. {city} {date_text}",
        "release_report": f"BERITA ACARA PELEPASAN Nomor {number} Pada hari ini tanggal {date_text} "
                          f"bertempat di {facility} telah dilaksanakan pelepasan penerima manfaat atas "
                          f"nama {name} asal {origin} untuk dipulangkan ke daerah asal.",
    }[kind]
    head_words = head.split()
    filler = rng.choices(FILLER, k=max(0, words - len(head_words)))
    return head + " " + " ".join(filler)


def archive(seed: int, docs: int, with_text: bool = True):
    """Yields (entry, person name) for a deterministic synthetic archive of `docs` documents."""
    rng = random.Random(seed)
    doc_id = 0
    case_id = 0
    seq = {}
    start = datetime(2019, 1, 1, 8, 0)
    while doc_id < docs:
        case_id += 1
        name = person_name(rng)
        n = nik(rng)
        facility = rng.choice(FACILITIES)
        origin = rng.choice(ORIGINS)
        opened = start + timedelta(days=rng.randint(0, 6 * 365), minutes=rng.randint(0, 600))
        number_case = f"{PREFIX[facility]}-{opened.year}-{case_id:05d}"
        base = dict(case_id=case_id, case_number=number_case, full_name=name, nik=n,
                    facility=facility, origin_region=origin)
        yield IndexEntry(**base), name
        kinds = ["pledge"] + ["aid_receipt"] * rng.choice([1, 1, 2, 3]) + ["release_report"]
        for i, kind in enumerate(kinds):
            if doc_id >= docs:
                break
            doc_id += 1
            when = opened + timedelta(days=3 * i + rng.randint(0, 2), minutes=rng.randint(0, 300))
            key = (kind, when.year)
            seq[key] = seq.get(key, 0) + 1
            number = f"{KIND_CODE[kind]}/{seq[key]:03d}/DINSOS/{ROMAN[when.month - 1]}/{when.year}"
            # The text has its own generator, so the people are the same with or without it.
            text = (letter_text(random.Random(seed * 1_000_003 + doc_id), kind, name, n, number,
                                facility, origin, when) if with_text else "")
            yield IndexEntry(**base, doc_id=doc_id, kind=kind, number=number, created_at=when,
                             status="valid" if rng.random() > 0.03 else "void", text=text), name


# --- queries -------------------------------------------------------------------------

def misspell(rng: random.Random, word: str) -> str:
    w = word.lower()
    if len(w) < 4:
        return w + w[-1]
    i = rng.randrange(1, len(w) - 1)
    op = rng.choice(["double", "drop", "vowel"])
    if op == "double":
        return w[:i] + w[i] + w[i:]
    if op == "drop" and w[i] == w[i - 1]:
        return w[:i] + w[i + 1:]
    vowels = {"a": "e", "e": "a", "i": "e", "o": "u", "u": "o"}
    for j in range(i, len(w)):
        if w[j] in vowels:
            return w[:j] + vowels[w[j]] + w[j + 1:]
    return w[:i] + w[i] + w[i:]


def to_modern(word: str) -> str:
    low = word.lower()
    for new, old in sorted(OLD, key=lambda p: -len(p[1])):
        low = low.replace(old, new)
    return re.sub(r"(?<=[^d])j(?=[aeiou])", "y", low)


def queries(seed: int, docs: int, count: int) -> list[tuple[str, str]]:
    """(sort, query) pairs drawn from the archive's own people."""
    rng = random.Random(seed + 1)
    names = [name for entry, name in archive(seed, docs, with_text=False) if entry.doc_id is None]
    out: list[tuple[str, str]] = []
    sorts = ["exact", "misspelled", "partial", "old_spelling"]
    while len(out) < count:
        name = rng.choice(names)
        words = [w for w in name.replace(".", " ").split() if len(w) > 1]
        if not words:
            continue
        sort = sorts[len(out) % len(sorts)]
        if sort == "exact":
            q = name
        elif sort == "misspelled":
            i = rng.randrange(len(words))
            q = " ".join(misspell(rng, w) if j == i else w for j, w in enumerate(words))
        elif sort == "partial":
            w = max(words, key=len)
            q = w[: max(3, min(len(w) - 1, rng.randint(4, 6)))]
            if len(words) > 1 and rng.random() < 0.5:
                other = words[0] if w != words[0] else words[-1]
                q = f"{other} {q}"
        else:
            # Old spelling typed for a modern name, or modern typed for an old one.
            olds = [old_spelling(w) for w in words]
            q = " ".join(olds) if olds != words else " ".join(to_modern(w) for w in words)
        out.append((sort, q))
    return out


# --- main ------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def figures(ms: list[float]) -> dict:
    return {"n": len(ms), "p50": round(percentile(ms, 50), 1), "p95": round(percentile(ms, 95), 1),
            "p99": round(percentile(ms, 99), 1), "mean": round(statistics.fmean(ms), 1),
            "max": round(max(ms), 1)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index_dir", type=Path)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=1, help="time every query this many times")
    args = ap.parse_args(argv)

    meta_path = args.index_dir / "bench-meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    index = SearchIndex(args.index_dir)
    built = (meta.get("docs") == args.docs and meta.get("seed") == args.seed
             and meta.get("generator") == GENERATOR_VERSION
             and len(index.keys()) == meta.get("entries"))   # an index of another schema is empty
    if built:
        entries = meta["entries"]
        build_s = meta["build_seconds"]
    else:
        t0 = time.perf_counter()
        entries = index.rebuild(entry for entry, _ in archive(args.seed, args.docs))
        build_s = time.perf_counter() - t0
        meta = {"docs": args.docs, "seed": args.seed, "generator": GENERATOR_VERSION, "entries": entries,
                "build_seconds": round(build_s, 1)}
        meta_path.write_text(json.dumps(meta))

    qs = queries(args.seed, args.docs, args.queries)
    for _, q in qs[:20]:                     # warm the caches, as a running service has them
        index.search(q)
    by_sort: dict[str, list[float]] = {}
    cpu_ms: list[float] = []
    found: dict[str, int] = {}
    totals: list[int] = []
    for _ in range(args.rounds):
        for sort, q in qs:
            c0, t0 = time.process_time(), time.perf_counter()
            res = index.search(q)
            ms = (time.perf_counter() - t0) * 1000
            cpu_ms.append((time.process_time() - c0) * 1000)
            by_sort.setdefault(sort, []).append(ms)
            found[sort] = found.get(sort, 0) + bool(res.total_cases)
            totals.append(res.total_cases)
    index.close()
    all_ms = [m for ms in by_sort.values() for m in ms]
    report = {
        "documents": args.docs,
        "entries": entries,
        "reused_index": built,
        "build_seconds": round(build_s, 1),
        "build_entries_per_second": round(entries / build_s) if build_s else None,
        "queries": len(all_ms),
        "all": figures(all_ms),
        # CPU time of this process: less disturbed by other work on a shared machine.
        "all_cpu": figures(cpu_ms),
        "by_sort": {k: figures(v) | {"with_results": found[k] / args.rounds} for k, v in by_sort.items()},
        "cases_per_query_median": statistics.median(totals),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
