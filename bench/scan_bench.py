"""A 300-page scanned stack read and filed: pages per second (issue 13).

    .venv/bin/python bench/scan_bench.py                  # 3 runs, prints JSON
    .venv/bin/python bench/scan_bench.py --cases 100 --runs 3 --dpi 150

Once: an archive with --cases invented women in one ceremony, whose pledge, aid receipt
and release report (one copy each: 3 × cases one-page letters, and the cover sheet) are
printed by the real print job; the merged PDF is then scanned as an office does:
rasterised with pdftoppm at --dpi in greyscale, each page skewed by up to ±4°, one in
twenty upside down, shuffled, and written as one PDF of JPEG pages (Pillow), as office
scanners write them.

Each run copies that archive afresh and times, in this process, what the background task
does with the upload: accept (check and keep the file), then read every page (render,
decode, decide, store the page, record it, attach, audit) until the upload is `done` —
the wall clock, the CPU seconds of this process, and pages per second; and when the
index (written by its own thread, as in `pulang serve`) knows every letter is signed. Every letter page must come back matched, or the run
fails. A benchmark, not a test: nothing here asserts a time; the load average says how
busy the machine was.
"""

import argparse
import io
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PULANG_SECRET_KEY", "bench")

from PIL import Image  # noqa: E402

from service import create_app  # noqa: E402
from service import db as database  # noqa: E402
from service.auth.users import create_token, create_user  # noqa: E402
from service.ceremonies.queue import queue_for  # noqa: E402
from service.config import Settings  # noqa: E402
from service.letters.convert import ConverterPool  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.scans import reader, uploads  # noqa: E402
from service.ops import demo  # noqa: E402

FIRST = ["Siti", "Nur", "Sri", "Dewi", "Rina", "Maria", "Yuliana", "Ratna", "Endang", "Fitri"]
LAST = ["Aminah", "Hayati", "Lestari", "Wulandari", "Saragih", "Fanggidae", "Manafe", "Rahayu"]
KINDS = ["pledge", "aid_receipt", "release_report"]


def printed_archive(work: Path, cases: int) -> tuple[Path, bytes]:
    """The archive after printing (kept in `work`), and its merged print PDF."""
    folder = work / f"archive-{cases}"
    merged = work / f"printed-{cases}.pdf"
    if folder.is_dir() and merged.is_file():
        return folder, merged.read_bytes()
    shutil.rmtree(folder, ignore_errors=True)
    pool = ConverterPool(2, work / "converters", timeout=120)
    settings = Settings.from_env(archive=folder, base_url="https://pulang.dinsos.example.go.id")
    runtime = Runtime(settings, pool=pool)
    try:
        app = create_app({"archive": folder, "base_url": settings.base_url}, runtime=runtime)
        db = database.connect(settings.db_path)
        demo.set_office(db)  # real letters, not samples (an archive's first run)
        create_user(db, "bench", "staff", "bench-password-long")
        headers = {"Authorization": f"Bearer {create_token(db, 'bench')}"}
        client = app.test_client()
        rng = random.Random(cases)
        ids = []
        for i in range(cases):
            case = client.post("/api/v1/cases", headers=headers, json={
                "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}", "facility": "Km 12",
                "origin_region": "Kediri, Jawa Timur"}).json
            client.post(f"/api/v1/cases/{case['id']}/aid", headers=headers,
                        json={"kind": "ticket", "amount": 1_500_000, "source": "APBD 2024"})
            ids.append(case["id"])
        ceremony = client.post("/api/v1/ceremonies", headers=headers, json={
            "title": "Pelepasan", "date": "2024-07-31", "place": "Aula", "officials": [],
            "case_ids": ids}).json
        queue_for(runtime).huey.immediate = True
        job = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=headers,
                          json={"kinds": KINDS, "copies": {"aid_receipt": 1}}).json
        done = client.get(f"/api/v1/jobs/{job['job_id']}", headers=headers).json
        assert done["state"] == "done", done
        data = client.get(done["result_url"], headers=headers).data
        db.close()
    finally:
        runtime.close()
        pool.close()
    merged.write_bytes(data)
    return folder, data


def scanned_stack(work: Path, printed: bytes, dpi: int, cases: int) -> Path:
    path = work / f"stack-{cases}-{dpi}.pdf"
    if path.is_file():
        return path
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(printed)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(src), f"{tmp}/p"], check=True)
        rng = random.Random(dpi)
        pages = []
        for p in sorted(Path(tmp).glob("p-*.pgm")):
            image = Image.open(p).rotate(rng.uniform(-4, 4), resample=Image.BICUBIC, expand=True,
                                         fillcolor=255)
            pages.append(image.rotate(180) if rng.random() < 0.05 else image)
    rng.shuffle(pages)
    buf = io.BytesIO()
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    path.write_bytes(buf.getvalue())
    return path


class _File:
    """What uploads.accept takes from a request: something with .save(path)."""

    def __init__(self, path: Path):
        self.path, self.filename = path, path.name

    def save(self, target):
        shutil.copyfile(self.path, target)


def run_once(archive: Path, stack: Path, work: Path) -> dict:
    copy = work / "run-archive"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(archive, copy)
    settings = Settings.from_env(archive=copy, base_url="https://pulang.dinsos.example.go.id")
    runtime = Runtime(settings, background_index=True)  # as `pulang serve` runs
    db = database.connect(settings.db_path)
    try:
        load = os.getloadavg()[0]
        start, cpu = time.perf_counter(), time.process_time()
        scan = uploads.accept(settings, db, [_File(stack)], None)
        reader.read_upload(runtime, scan["id"])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        runtime.flush_index()
        indexed = time.perf_counter() - start
        summary = uploads.summary(db, scan["id"])
        letters = db.execute("SELECT count(*) FROM documents WHERE status = 'valid'").fetchone()[0]
        assert summary["state"] == "done", summary
        assert summary["matched"] == letters and not summary["unmatched"], summary
        return {"pages": summary["pages"], "matched": summary["matched"], "skipped": summary["skipped"],
                "seconds": round(wall, 2), "cpu_s": round(cpu, 2),
                "index_current_after_s": round(indexed, 2),
                "pages_per_s": round(summary["pages"] / wall, 2),
                "load_average_at_start": round(load, 2), "load_average_at_end": round(os.getloadavg()[0], 2)}
    finally:
        db.close()
        runtime.close()
        shutil.rmtree(copy, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100, help="women: 3 one-page letters each")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "pulang-scan-bench")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    archive, printed = printed_archive(args.work, args.cases)
    stack = scanned_stack(args.work, printed, args.dpi, args.cases)
    runs = [run_once(archive, stack, args.work) for _ in range(args.runs)]
    best = min(runs, key=lambda r: r["seconds"])
    print(json.dumps({
        "machine": f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}",
        "stack": {"file_mb": round(stack.stat().st_size / 1e6, 1), "dpi": args.dpi,
                  "pages": runs[0]["pages"]},
        "runs": runs,
        "median_seconds": sorted(r["seconds"] for r in runs)[len(runs) // 2],
        "median_pages_per_s": sorted(r["pages_per_s"] for r in runs)[len(runs) // 2],
        "best": best}, indent=1))


if __name__ == "__main__":
    main()
