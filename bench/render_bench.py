"""The combined render of a print-job chunk (100 letters, one docxtpl pass) on the built-in
templates, to see what the template sandbox's limits cost.

    .venv/bin/python bench/render_bench.py                     # this tree, prints JSON
    .venv/bin/python bench/render_bench.py --root /path/to/old/tree   # another tree's service

For each case kind (pledge, aid receipt, release report): the kind's combined template
filled once with 100 invented women, as a print job's chunk is (service/letters/bulk.py),
with a letterhead logo. For each ceremony kind (roster, ceremony report): one render
listing 100 women. Reports milliseconds per render, wall and CPU (the process's, which
a loaded machine disturbs less), the median of --rounds (after one warm-up render each),
and the total of the five. A benchmark, not a test: nothing here
asserts a time. The machine is shared: compare figures taken one right after the other.
"""

import argparse
import copy
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CASE_KINDS = ["pledge", "aid_receipt", "release_report"]
CEREMONY_KINDS = ["aid_roster", "ceremony_report"]


def _logo(path: Path) -> Path:
    from PIL import Image
    Image.new("RGB", (60, 80), "darkgreen").save(path)
    return path


def _people(sample, count: int) -> list[dict]:
    base = sample.sample_ceremony_context()["cases"]
    return [dict(copy.deepcopy({k: v for k, v in base[i % len(base)].items()
                                if k not in ("no", "destination", "aid_by_kind")}),
                 full_name=f"Penerima Contoh {i}") for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="tree whose service/ is measured")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--letters", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(args.root))
    os.environ.setdefault("PULANG_SECRET_KEY", "bench")
    from service.letters import sample
    from service.letters.combine import combined_template
    from service.letters.render import render_docx

    work = Path(tempfile.mkdtemp(prefix="render-bench-"))
    logo = _logo(work / "logo.png")
    people = _people(sample, args.letters)
    jobs = {}
    for kind in CASE_KINDS:
        records = []
        for i, person in enumerate(people):
            context = sample.sample_case_context()
            context.update(person)
            context.pop("office_logo", None)
            context["number"] = f"460/{i + 1:03d}/DINSOS/VII/2024"
            records.append(context)
        template = combined_template(args.root / "templates" / f"{kind}.docx",
                                     sorted(records[0]), work / "combined")
        jobs[kind] = (template, {"records": records})
    for kind in CEREMONY_KINDS:
        context = sample.ceremony_context(people)
        context.pop("office_logo", None)
        jobs[kind] = (args.root / "templates" / f"{kind}.docx", context)

    results, cpu_results = {}, {}
    for kind, (template, context) in jobs.items():
        out = work / f"{kind}.docx"
        render_docx(template, context, out, logo=logo)  # warm-up: compiles the parts
        times, cpu = [], []
        for _ in range(args.rounds):
            out.unlink(missing_ok=True)
            started, started_cpu = time.perf_counter(), time.process_time()
            render_docx(template, context, out, logo=logo)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        results[kind] = round(statistics.median(times), 1)
        cpu_results[kind] = round(statistics.median(cpu), 1)
    print(json.dumps({
        "root": str(args.root), "letters": args.letters, "rounds": args.rounds,
        "ms_per_render": results, "total_ms": round(sum(results.values()), 1),
        "cpu_ms_per_render": cpu_results, "total_cpu_ms": round(sum(cpu_results.values()), 1),
        "machine": f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}",
        "load_average": os.getloadavg()[0],
    }, indent=1))


if __name__ == "__main__":
    main()
