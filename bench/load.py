"""Load run (issue 5, item 3): N concurrent clients for S seconds against `pulang serve`,
mixing letter generation, searches, PDF downloads and case reads. Loopback only, bounded in time.

    .venv/bin/python bench/load.py                      # 20 clients, 60 s, own server
    .venv/bin/python bench/load.py --clients 20 --seconds 10
    .venv/bin/python bench/load.py --url http://127.0.0.1:5000 --token plg_...  # a running one
                                                        # (no DB or log checks then)

With its own server it makes a temporary archive, starts `pulang serve` on a free port
on 127.0.0.1 with PULANG_POOL_SIZE workers (default 2), seeds cases, runs the clients,
stops the server and then checks: no answer but 2xx and 429 (with Retry-After), no
duplicate or missing letter numbers in the database, no index lock error or traceback in
the server's log, `pulang doctor` clean. Prints counts by status and p50/p95/p99 per
request type; exit status 1 when a check fails. Clients that get 429 wait Retry-After.
"""

import argparse
import collections
import json
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time

from served import PULANG, Served, call

from service import db as database
from service.records import numbering, office

NAMES = ["Sulastri", "Nur Hayati", "Siti Aminah", "Dewi Lestari", "Rina Wati", "Sri Wahyuni",
         "Kartini", "Yuliana", "Ratna Sari", "Maria Goreti", "Fitri Handayani", "Wulan"]
MIX = [("generate", 0.3), ("search", 0.3), ("download", 0.2), ("read", 0.2)]


def seed(base, token, cases: int):
    ids, docs = [], []
    for i in range(cases):
        status, _, body = call(base, "POST", "/api/v1/cases", token, {
            "full_name": f"{random.choice(NAMES)} {i}", "facility": random.choice(["Km 12", "Payo Sigadung"]),
            "release_date": "2026-07-31", "release_place": "Aula Dinas Sosial",  # for release reports
            "allow_duplicate": True})
        assert status == 201, body
        case = json.loads(body)
        call(base, "POST", f"/api/v1/cases/{case['id']}/aid", token, {"kind": "ticket", "amount": 1_500_000})
        ids.append(case["id"])
    for case_id in ids[:4]:
        status, _, body = call(base, "POST", f"/api/v1/cases/{case_id}/documents", token, {"kind": "pledge"})
        assert status == 201, body
        docs.append(json.loads(body)["id"])
    return ids, docs


def run_clients(base, token, case_ids, doc_ids, clients: int, seconds: float):
    results = []  # (type, status, seconds, retry_after_present)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n):
        rnd = random.Random(n)
        while time.monotonic() < deadline:
            kind = rnd.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            began = time.monotonic()
            if kind == "generate":
                status, headers, body = call(base, "POST", f"/api/v1/cases/{rnd.choice(case_ids)}/documents",
                                             token, {"kind": rnd.choice(["pledge", "aid_receipt", "release_report"])})
                if status == 201:
                    with lock:
                        doc_ids.append(json.loads(body)["id"])
            elif kind == "search":
                status, headers, body = call(base, "POST", "/api/v1/search", token,
                                             {"q": rnd.choice(NAMES).split()[0].lower()})
            elif kind == "read":  # what a case page shows, as the API gives it
                status, headers, body = call(base, "GET", f"/api/v1/cases/{rnd.choice(case_ids)}", token)
            else:
                with lock:
                    doc = rnd.choice(doc_ids)
                status, headers, body = call(base, "GET", f"/api/v1/documents/{doc}/pdf", token)
            took = time.monotonic() - began
            retry = headers.get("Retry-After") if status == 429 else None
            with lock:
                results.append((kind, status, took, retry is not None))
            if retry:
                time.sleep(min(float(retry), max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - started


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def report(results, elapsed, clients):
    problems = []
    by_type = collections.defaultdict(list)
    for kind, status, took, retry in results:
        by_type[kind].append((status, took, retry))
    print(f"\n{len(results)} requests from {clients} clients in {elapsed:.1f} s "
          f"({len(results) / elapsed:.1f}/s)\n")
    print("| request | count | statuses | p50 ms | p95 ms | p99 ms (answered, not 429) |")
    print("|---|---:|---|---:|---:|---:|")
    for kind in ("generate", "search", "download", "read"):
        rows = by_type.get(kind, [])
        statuses = collections.Counter(s for s, _, _ in rows)
        ok = [t * 1000 for s, t, _ in rows if s != 429]
        print(f"| {kind} | {len(rows)} | {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items()))} | "
              f"{percentile(ok, 50):.0f} | {percentile(ok, 95):.0f} | {percentile(ok, 99):.0f} |")
        for status, count in statuses.items():
            if status == 429:
                missing = sum(1 for s, _, r in rows if s == 429 and not r)
                if missing:
                    problems.append(f"{missing} × 429 without Retry-After on {kind}")
                if kind != "generate":
                    problems.append(f"{count} × 429 on {kind} (only generation waits for the converter)")
            elif not 200 <= status < 300:
                problems.append(f"{count} × {status or 'connection error'} on {kind}")
    return problems


def check_archive(own: Served):
    problems = []
    db = sqlite3.connect(own.archive / "pulang.db")
    dupes = db.execute("SELECT number, count(*) FROM documents GROUP BY number HAVING count(*) > 1").fetchall()
    if dupes:
        problems.append(f"duplicate letter numbers: {dupes[:5]}")
    # Numbers run per register: one office-wide sequence a year, or one per kind (the
    # office's setting; service/records/numbering.py).
    register = office.get_all(database.connect(own.archive / "pulang.db")).get("number_register", "per_kind")
    taken: dict[tuple, set[int]] = {}
    for kind, year, seq in db.execute("SELECT kind, year, seq FROM documents"):
        taken.setdefault((numbering.counter_name(register, kind), year), set()).add(seq)
    gaps = sum(len(set(range(1, max(seqs) + 1)) - seqs) for seqs in taken.values())
    if gaps:
        problems.append(f"{gaps} letter numbers missing from the register")
    statuses = dict(db.execute("SELECT status, count(*) FROM documents GROUP BY status").fetchall())
    db.close()
    log = own.log.read_text(errors="replace")
    # What happens after SIGTERM is shutdown, not load: waitress may trace a channel it
    # was still closing. Reported, not failed.
    running, _, stopping = log.partition("stopping (signal")
    locks = re.findall(r".*(?:LockError|IndexBusyError|database is locked|Traceback).*", running)
    if locks:
        problems.append(f"{len(locks)} lock errors or tracebacks in the server log, e.g. {locks[0]}")
    if "Traceback" in stopping:
        print(f"note: {stopping.count('Traceback')} traceback(s) during shutdown (after SIGTERM)")
    doctor = subprocess.run([PULANG, "doctor"], env=own.env, capture_output=True, text=True)
    if doctor.returncode != 0:
        problems.append("pulang doctor: " + doctor.stdout[-500:] + doctor.stderr[-500:])
    print(f"\ndocuments in the archive by status: {statuses}; letter numbers: "
          f"{'no duplicates, no gaps' if not dupes and not gaps else 'PROBLEMS'}; "
          f"server log: {len(log.splitlines())} lines, {len(locks)} lock errors; "
          f"doctor: {'clean' if doctor.returncode == 0 else 'NOT clean'}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--url", help="a running server on loopback (default: start one)")
    parser.add_argument("--token", help="with --url: a bearer token of a writer")
    parser.add_argument("--keep", action="store_true", help="keep the temporary archive and log")
    args = parser.parse_args()
    if args.url and not re.match(r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$", args.url):
        sys.exit("loopback only: --url must be http://127.0.0.1:PORT or localhost")
    # Kept until the archive is checked below, after the server has stopped.
    own = None if args.url else Served(args.pool_size, keep=True)
    base, token = (args.url, args.token) if args.url else (own.base, own.token)
    try:
        case_ids, doc_ids = seed(base, token, args.cases)
        print(f"seeded {len(case_ids)} cases, {len(doc_ids)} letters; running {args.clients} clients "
              f"for {args.seconds:g} s (pool size {args.pool_size if own else '?'})", flush=True)
        results, elapsed = run_clients(base, token, case_ids, doc_ids, args.clients, args.seconds)
    finally:
        if own:
            own.close()
    problems = report(results, elapsed, args.clients)
    if own:
        problems += check_archive(own)
        if args.keep:
            print(f"archive and server log kept in {own.work}")
        else:
            shutil.rmtree(own.work, ignore_errors=True)
    if problems:
        print("\nFAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("\nOK: only 2xx and 429 with Retry-After; every check passed.")


if __name__ == "__main__":
    main()
