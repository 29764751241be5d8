"""Stamping real LibreOffice letters: Pulang's incremental update against pypdf's own.

    .venv/bin/python bench/stamp_bench.py                          # 5 rounds, prints JSON
    .venv/bin/python bench/stamp_bench.py --rounds 7 --baseline f0d7734

Makes (once, cached in --work) real PDF/A-2b letters from the office's templates:
--letters one-page letters (pledge, aid receipt, release report in turn, one soffice
conversion each, as a single letter is made) and the --cases pledges of a ceremony (one
combined conversion cut into letters, as a print job makes them). Then, in each round,
stamps every letter once each way, in turns (the order alternates per letter), and
reports milliseconds per document, wall and CPU, as the median over letters per round
and the median of the rounds:

  update     service.letters.stamp.stamp_pdf: the overlay written as Pulang's own
             incremental update (service/letters/pdf_update.py)
  pypdf      the same overlay, the same objects, written by pypdf's
             PdfWriter(incremental=True)
  baseline   (--baseline REV) stamp.py as it was at git revision REV, loaded beside
             the current one: the refactoring must not cost time

A benchmark, not a test: nothing here asserts a time. Each stamped result is checked with
`qpdf --check` once (when qpdf is installed) and the report says whether it passed.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfWriter  # noqa: E402
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject  # noqa: E402

from service.letters import sample, stamp  # noqa: E402
from service.letters.combine import combined_template  # noqa: E402
from service.letters.convert import convert_cli  # noqa: E402
from service.letters.render import render_docx  # noqa: E402
from service.letters.split import split  # noqa: E402

KINDS = ("pledge", "aid_receipt", "release_report")
URL = "https://pulang.dinsos.example.go.id/v/"


def number(i: int) -> str:
    return f"460/{i:03d}/DINSOS/VII/2024"


def context(i: int) -> dict:
    """The sample case with its own (invented) name and number."""
    ctx = sample.sample_case_context()
    ctx["full_name"] = f"{ctx['full_name']} {chr(65 + i % 26)}{i:03d}"
    ctx["number"] = number(i)
    return ctx


# --- real LibreOffice PDFs ---------------------------------------------------------------


def make_letters(work: Path, count: int) -> list[bytes]:
    out = work / f"letters-{count}"
    if not out.is_dir():
        scratch = Path(tempfile.mkdtemp(dir=work))
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            docx = scratch / f"{i:03d}.docx"
            render_docx(ROOT / "templates" / f"{kind}.docx", context(i), docx)
            convert_cli(docx, scratch / f"{i:03d}.pdf", profile_dir=work / "profile")
            docx.unlink()
        scratch.rename(out)
    return [p.read_bytes() for p in sorted(out.glob("*.pdf"))]


def make_ceremony(work: Path, cases: int) -> list[bytes]:
    out = work / f"ceremony-{cases}"
    if not out.is_dir():
        scratch = Path(tempfile.mkdtemp(dir=work))
        records = [context(1000 + i) for i in range(cases)]
        combined = combined_template(ROOT / "templates" / "pledge.docx", sorted(records[0]), scratch)
        docx, pdf = scratch / "all.docx", scratch / "all.pdf"
        render_docx(combined, {"records": records}, docx)
        convert_cli(docx, pdf, bookmarks=True, profile_dir=work / "profile", timeout=600)
        for i, piece in enumerate(split(pdf.read_bytes(), [r["number"] for r in records])):
            (scratch / f"{i:03d}.piece").write_bytes(piece.pdf)
        scratch.rename(out)
    return [p.read_bytes() for p in sorted(out.glob("*.piece"))]


# --- the ways ----------------------------------------------------------------------------


def with_update(pdf: bytes, i: int) -> bytes:
    return stamp.stamp_pdf(pdf, number=number(i), verify_url=f"{URL}{i:06d}")[0]


def with_pypdf(pdf: bytes, i: int) -> bytes:
    """stamp_pdf's overlay written through PdfWriter(incremental=True): the same Form
    XObjects and content streams, pypdf choosing what to write by comparing hashes of
    every object of the file before and after."""
    draw, qr = stamp.footer(number=number(i), verify_url=f"{URL}{i:06d}")
    stamp._reader(pdf)  # the same checks as stamp_pdf
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    pages = list(writer.pages)
    geoms = [stamp._geometry(p) for p in pages]
    overlay = stamp._draw_overlays(geoms, draw)

    def new_stream(d: DictionaryObject, data: bytes):
        s = StreamObject()
        s.update(d)
        s.set_data(data)
        return writer._add_object(s.flate_encode())  # pypdf has no public "add an object"

    opener = new_stream(DictionaryObject(), b"q\n")
    for i, (page, g, ov_page) in enumerate(zip(pages, geoms, overlay.pages), start=1):
        res = ov_page["/Resources"].clone(writer)
        xobjects = DictionaryObject(res.get("/XObject", {}))
        qr_i = qr(i)
        xobjects[NameObject(stamp._QR_NAME)] = new_stream(qr_i.dict, qr_i.data)
        res[NameObject("/XObject")] = xobjects
        form = new_stream(stamp._form_dict((0, 0, g.width, g.height), writer._add_object(res)),
                          ov_page.get_contents().get_data())
        name = stamp._add_xobject(page, form)
        m = " ".join(stamp._f(v) for v in g.matrix)
        closer = new_stream(DictionaryObject(), b"".join([
            b"\nQ\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq ", m.encode(), b" cm ",
            name.encode(), b" Do Q\nEMC\n"]))
        raw = page.raw_get("/Contents")
        old = list(raw.get_object()) if isinstance(raw.get_object(), ArrayObject) else [raw]
        page[NameObject("/Contents")] = ArrayObject([opener, *old, closer])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def baseline_way(rev: str):
    """stamp_pdf as it was at git revision `rev`, imported beside today's."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:service/letters/stamp.py"],
                            check=True, capture_output=True).stdout
    path = Path(tempfile.mkdtemp()) / "stamp_baseline.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("service.letters._stamp_baseline", path)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "service.letters"
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)

    def way(pdf: bytes, i: int) -> bytes:
        return module.stamp_pdf(pdf, number=number(i), verify_url=f"{URL}{i:06d}")[0]
    return way


# --- timing ------------------------------------------------------------------------------


@dataclasses.dataclass
class Round:
    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]


def one_round(pdfs: list[bytes], ways: dict, flip: int) -> Round:
    wall = {name: [] for name in ways}
    cpu = {name: [] for name in ways}
    names = list(ways)
    for i, pdf in enumerate(pdfs):
        order = names if (i + flip) % 2 == 0 else names[::-1]
        for name in order:
            t, c = time.perf_counter(), time.process_time()
            ways[name](pdf, i)
            cpu[name].append((time.process_time() - c) * 1000)
            wall[name].append((time.perf_counter() - t) * 1000)
    return Round(wall, cpu)


def qpdf_ok(pdf: bytes) -> bool | None:
    if shutil.which("qpdf") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["qpdf", "--check", f.name], capture_output=True, text=True)
    return out.returncode == 0 and "WARNING" not in (out.stdout + out.stderr).upper()


def measure(label: str, pdfs: list[bytes], ways: dict, rounds: int) -> dict:
    for name, way in ways.items():  # warm up: fonts, imports, caches
        way(pdfs[0], 0)
    results = [one_round(pdfs, ways, r) for r in range(rounds)]
    report: dict = {"documents": len(pdfs), "rounds": rounds}
    for name, way in ways.items():
        walls = [statistics.median(r.wall[name]) for r in results]
        cpus = [statistics.median(r.cpu[name]) for r in results]
        totals = [sum(r.wall[name]) / 1000 for r in results]
        report[name] = {
            "ms_per_document": round(statistics.median(walls), 2),
            "cpu_ms_per_document": round(statistics.median(cpus), 2),
            "per_round_ms": [round(w, 2) for w in walls],
            "all_documents_s": round(statistics.median(totals), 3),
            "qpdf_check_passes": qpdf_ok(way(pdfs[-1], len(pdfs) - 1)),
        }
    print(f"{label}: " + ", ".join(f"{n} {report[n]['ms_per_document']} ms (CPU "
                                   f"{report[n]['cpu_ms_per_document']})" for n in ways),
          file=sys.stderr)
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "pulang-stamp-bench")
    ap.add_argument("--letters", type=int, default=30, help="single letters (one conversion each)")
    ap.add_argument("--cases", type=int, default=100, help="pledges of one combined conversion")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--baseline", metavar="REV", help="also time stamp.py of this git revision")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)

    letters = make_letters(args.work, args.letters)
    ceremony = make_ceremony(args.work, args.cases)
    ways = {"update": with_update, "pypdf": with_pypdf}
    if args.baseline:
        ways["baseline"] = baseline_way(args.baseline)
    print(json.dumps({
        "machine": f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average_at_start": os.getloadavg()[0],
        "pages": {"letters": sorted({stamp.page_count(p) for p in letters}),
                  "ceremony": sorted({stamp.page_count(p) for p in ceremony})},
        "single_letters": measure("single letters", letters, ways, args.rounds),
        "ceremony_letters": measure("ceremony letters", ceremony, ways, args.rounds),
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
