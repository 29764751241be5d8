"""One letter as a clerk gets it: request to stored PDF through `pulang serve` (started
here as its own process, as `make run` does; bench/served.py), against the naive path
(docxtpl + one `soffice --convert-to pdf` process per document) measured in the same run.

    .venv/bin/python bench/document_bench.py [--rounds 3] [--letters 15] [--naive 3]
    .venv/bin/python bench/document_bench.py --rounds 0 --memory 1000

Each round times `--letters` sequential POST /api/v1/cases/{id}/documents over HTTP (render,
convert, stamp, atomic write, database, index submission) and the CPU the server and its
processes spent per letter; then, for 3 more letters, how long until search finds each
(the index commits off the request path, twice a second at most); then `--naive` naive
conversions. `--memory N` then makes N
more letters and prints the memory of the service, its LibreOffice workers and its
stamping processes at 0, N/4, N/2, 3N/4 and N letters (each process's proportional set
size: bench/served.py). Prints JSON, with the load average at start.
A benchmark, not a test: nothing here asserts a time.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from served import HERE, Served

from service.letters.convert import convert_cli
from service.letters.render import render_docx
from service.letters.sample import sample_case_context

KINDS = ("pledge", "aid_receipt", "release_report")
CASES = 20  # letters rotate over them, as a day's work does


def setup(server: Served) -> list[dict]:
    cases = []
    for i in range(CASES):
        case = server.json("POST", "/api/v1/cases", {
            "full_name": f"Nur Hayati {i}", "facility": "Payo Sigadung", "origin_region": "Kediri",
            "release_date": "2026-07-31", "release_place": "Aula Dinas Sosial",  # for release reports
            "allow_duplicate": True})
        for kind, amount in (("business_capital", 3_000_000), ("ticket", 1_500_000)):
            server.json("POST", f"/api/v1/cases/{case['id']}/aid", {"kind": kind, "amount": amount})
        cases.append(case)
    return cases


def letter(server: Served, case: dict, kind: str) -> int:
    return server.json("POST", f"/api/v1/cases/{case['id']}/documents", {"kind": kind})["id"]


def searchable(server: Served, case: dict, doc_id: int) -> None:
    while True:
        found = server.json("POST", "/api/v1/search", {"q": case["case_number"]})
        if any(d["id"] == doc_id for hit in found["results"] for d in hit["documents"]):
            return
        time.sleep(0.01)


def time_letters(server: Served, cases: list[dict], count: int, start: int = 0,
                 search: bool = False) -> list[float]:
    """Seconds per letter, request to answer (with `search`: until search finds it)."""
    out = []
    for i in range(start, start + count):
        case, kind = cases[i % len(cases)], KINDS[i % len(KINDS)]
        began = time.perf_counter()
        doc_id = letter(server, case, kind)
        if search:
            searchable(server, case, doc_id)
        out.append(time.perf_counter() - began)
    return out


def time_naive(root: Path, count: int) -> list[float]:
    template = HERE / "templates" / "pledge.docx"
    context = sample_case_context()
    out = []
    for _ in range(count):
        began = time.perf_counter()
        docx = root / f"{uuid.uuid4().hex}.docx"
        render_docx(template, context, docx)
        convert_cli(docx, docx.with_suffix(".pdf"), profile_dir=root / "naive-profile")
        out.append(time.perf_counter() - began)
    return out


def ms(values) -> float:
    return round(statistics.median(values) * 1000, 1)


def p95(values) -> float:
    return round(sorted(values)[int(0.95 * (len(values) - 1))] * 1000, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--letters", type=int, default=15)
    parser.add_argument("--naive", type=int, default=3)
    parser.add_argument("--memory", type=int, default=0, metavar="N",
                        help="then make N letters, printing memory every N/4")
    parser.add_argument("--pool-size", type=int, default=2)
    args = parser.parse_args()
    report = {"machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
              "load_average_at_start": os.getloadavg()[0], "rounds": []}
    with tempfile.TemporaryDirectory() as tmp, Served(args.pool_size) as server:
        root = Path(tmp)
        report["server_start_s"] = round(server.start_seconds, 2)
        cases = setup(server)
        made = len(time_letters(server, cases, 3))  # warm-up
        if args.naive:
            time_naive(root, 1)
        for _ in range(args.rounds):
            cpu = server.cpu()
            latencies = time_letters(server, cases, args.letters, made)
            spent = {role: round((seconds - cpu.get(role, 0)) / args.letters * 1000, 1)
                     for role, seconds in server.cpu().items()}
            visible = time_letters(server, cases, 3, made + args.letters, search=True)
            made += args.letters + 3
            naive = time_naive(root, args.naive) if args.naive else [float("nan")]
            report["rounds"].append({"served_p50_ms": ms(latencies), "served_p95_ms": p95(latencies),
                                     "searchable_p50_ms": ms(visible), "naive_p50_ms": ms(naive),
                                     "cpu_ms_per_letter": spent})
        if args.memory:
            memory, extra = {"0": server.memory()}, 0
            for mark in (args.memory * k // 4 for k in range(1, 5)):
                while extra < mark:
                    i = made + extra
                    letter(server, cases[i % len(cases)], KINDS[i % len(KINDS)])
                    extra += 1
                memory[str(mark)] = server.memory()
                print(f"{mark} letters: {memory[str(mark)]}", file=sys.stderr, flush=True)
            report["memory_mb"] = memory
    rounds = report["rounds"]
    if rounds:
        summary = {key: statistics.median(r[key] for r in rounds)
                   for key in rounds[0] if key != "cpu_ms_per_letter"}
        summary["speedup_vs_naive"] = round(summary["naive_p50_ms"] / summary["served_p50_ms"], 1)
        roles = rounds[0]["cpu_ms_per_letter"]
        summary["cpu_ms_per_letter"] = {role: statistics.median(r["cpu_ms_per_letter"].get(role, 0)
                                                                for r in rounds) for role in roles}
        report["median_of_rounds"] = summary
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
