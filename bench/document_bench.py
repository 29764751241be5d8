"""Single-document latency: request to stored PDF with a warm converter pool, against the
naive path (docxtpl + one `soffice --convert-to pdf` process per document), in one run.

    .venv/bin/python bench/document_bench.py [--rounds 5] [--letters 15] [--naive 3]

Each round times `--letters` sequential POST /api/v1/cases/{id}/documents through the real
app (render, convert, stamp, atomic write, database, index submission) and `--naive`
naive conversions; it also times how long until each new letter is found by search (the
index commits in batches off the request path). Prints JSON with per-round medians and the
median of rounds. A benchmark, not a test: nothing here asserts a time.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("PULANG_SECRET_KEY", "bench")

from service import create_app  # noqa: E402
from service.auth.users import create_token, create_user  # noqa: E402
from service.config import Settings  # noqa: E402
from service.letters.convert import convert_cli  # noqa: E402
from service.letters.render import render_docx  # noqa: E402
from service.letters.sample import sample_case_context  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.ops import demo  # noqa: E402

KINDS = ("pledge", "aid_receipt", "release_report")


def setup(root: Path):
    settings = Settings.from_env(archive=root / "archive", pool_size=2)
    runtime = Runtime(settings, pool=True, background_index=True)
    runtime.warm()  # as `pulang serve` does at start
    app = create_app({"archive": settings.archive}, runtime=runtime)
    client = app.test_client()
    from service import db as database
    db = database.connect(settings.db_path)
    demo.set_office(db)  # real letters, not samples (an archive's first run)
    create_user(db, "bench", "staff", "bench-password-long")
    headers = {"Authorization": f"Bearer {create_token(db, 'bench')}"}
    case = client.post("/api/v1/cases", headers=headers, json={
        "full_name": "Nur Hayati", "nik": "1571014107900001", "facility": "Payo Sigadung",
        "origin_region": "Kediri", "release_date": "2026-07-31",
        "release_place": "Aula Dinas Sosial"}).json  # a release report needs her release
    for kind, amount in (("business_capital", 3_000_000), ("ticket", 1_500_000)):
        client.post(f"/api/v1/cases/{case['id']}/aid", headers=headers, json={"kind": kind, "amount": amount})
    return runtime, client, headers, case


def time_letters(runtime, client, headers, case, count):
    latencies, visible = [], []
    for i in range(count):
        start = time.perf_counter()
        response = client.post(f"/api/v1/cases/{case['id']}/documents", headers=headers,
                               json={"kind": KINDS[i % 3]})
        latencies.append(time.perf_counter() - start)
        assert response.status_code == 201, response.json
        doc_id = response.json["id"]
        while True:  # until search shows the new letter
            found = runtime.index.search(case["case_number"], kind=KINDS[i % 3])
            if any(d["id"] == doc_id for hit in found.results for d in hit.documents):
                break
            time.sleep(0.01)
        visible.append(time.perf_counter() - start)
    return latencies, visible


def time_naive(root: Path, count):
    template = Path(__file__).resolve().parent.parent / "templates" / "pledge.docx"
    context = sample_case_context()
    out = []
    for _ in range(count):
        start = time.perf_counter()
        docx = root / f"{uuid.uuid4().hex}.docx"
        render_docx(template, context, docx)
        convert_cli(docx, docx.with_suffix(".pdf"), profile_dir=root / "naive-profile")
        out.append(time.perf_counter() - start)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--letters", type=int, default=15)
    parser.add_argument("--naive", type=int, default=3)
    args = parser.parse_args()
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runtime, client, headers, case = setup(root)
        time_letters(runtime, client, headers, case, 3)  # warm-up
        time_naive(root, 1)
        rounds = []
        for _ in range(args.rounds):
            latencies, visible = time_letters(runtime, client, headers, case, args.letters)
            naive = time_naive(root, args.naive)
            rounds.append({"pool_p50_ms": ms(latencies),
                           "pool_p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))] * 1000, 1),
                           "searchable_p50_ms": ms(visible),
                           "searchable_max_ms": round(max(visible) * 1000, 1),
                           "naive_p50_ms": ms(naive)})
        runtime.close()
    summary = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    summary["speedup_vs_naive"] = round(summary["naive_p50_ms"] / summary["pool_p50_ms"], 1)
    print(json.dumps({"machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
                      "rounds": rounds, "median_of_rounds": summary}, indent=1))


if __name__ == "__main__":
    main()
