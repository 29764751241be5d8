"""Screenshots of every built-in paper made from the demo office, for docs/templates.md:

    .venv/bin/python -m tools.paper_screenshots docs/screenshots/papers/

loads `pulang demo` into a scratch archive, makes each kind of letter through the API
(and a ceremony's roster and report through a print job of the demo's past ceremony,
which prints with today's date and numbers), a sample letter from a fresh archive
(CONTOH), and writes one PNG per page (pdftoppm, 70 dpi). Everything is invented.
"""

import argparse
import io
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader


def _png(pdf: bytes, out: Path, name: str) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "70", "-png", str(src), str(out / name)], check=True)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    made = sorted(out.glob(f"{name}-*.png"))
    if pages == 1 and made:  # pdftoppm names a single page "-1": keep the plain name
        target = out / f"{name}.png"
        made[0].replace(target)
        made = [target]
    return made


def _app(archive: Path, *, demo: bool):
    from service import create_app
    from service import db as database
    from service.auth.users import create_token, create_user
    from service.config import Settings
    from service.runtime import Runtime
    settings = Settings.from_env(archive=archive, base_url="https://pulang.dinsos.jambikota.go.id")
    runtime = Runtime(settings)
    app = create_app({"archive": archive, "base_url": settings.base_url, "TESTING": True},
                     runtime=runtime)
    db = database.connect(settings.db_path)
    if demo:
        from service.ops.demo import load
        load(db, None, count=40)
    create_user(db, "admin", "admin", "kata sandi yang panjang sekali")
    headers = {"Authorization": f"Bearer {create_token(db, 'admin')}"}
    return app, runtime, db, headers


def _letter(client, headers, case_id: int, kind: str) -> bytes:
    made = client.post(f"/api/v1/cases/{case_id}/documents", headers=headers, json={"kind": kind})
    assert made.status_code == 201, made.json
    return client.get(made.json["pdf_url"], headers=headers).data


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*.png"):
        old.unlink()
    from service.ceremonies.queue import queue_for
    with tempfile.TemporaryDirectory() as tmp:
        app, runtime, db, headers = _app(Path(tmp) / "demo", demo=True)
        client = app.test_client()
        funds = {}
        for row in db.execute("SELECT case_id, group_concat(fund) FROM aid_items GROUP BY case_id"):
            funds[row[0]] = set(row[1].split(","))
        ceremony_id, ceremony_case = db.execute(
            "SELECT ceremony_id, min(case_id) FROM ceremony_cases").fetchone()
        both = next(c for c, f in sorted(funds.items()) if f == {"apbd", "apbn"} and c != ceremony_case)
        only_apbn = next((c for c, f in sorted(funds.items()) if f == {"apbn"}), None)
        pdfs = {
            "pledge": _letter(client, headers, both, "pledge"),
            "aid_receipt": _letter(client, headers, both, "aid_receipt"),
            "release_report": _letter(client, headers, ceremony_case, "release_report"),
        }
        if only_apbn is None:
            client.put("/api/v1/office", headers=headers, json={"receipts": {"transfers": "separate"}})
            only_apbn = both
        pdfs["transfer_receipt"] = _letter(client, headers, only_apbn, "transfer_receipt")
        client.put("/api/v1/office", headers=headers, json={"receipts": {"transfers": "listed"}})
        queue = queue_for(runtime)
        queue.huey.immediate = True
        for kind in ("aid_roster", "ceremony_report"):
            job = client.post(f"/api/v1/ceremonies/{ceremony_id}/print", headers=headers,
                              json={"kinds": [kind]}).json
            state = client.get(f"/api/v1/jobs/{job['job_id']}", headers=headers).json
            assert state["state"] == "done", state
            doc_id = db.execute("SELECT document_id FROM ceremony_documents WHERE kind = ? "
                                "ORDER BY document_id DESC", [kind]).fetchone()[0]
            pdfs[kind] = client.get(f"/api/v1/documents/{doc_id}/pdf", headers=headers).data
        queue.huey.immediate = False
        runtime.close()
        db.close()

        app, runtime, db, headers = _app(Path(tmp) / "fresh", demo=False)
        client = app.test_client()
        case = client.post("/api/v1/cases", headers=headers, json={
            "full_name": "Sulastri", "facility": "Rumah Singgah Dinas Sosial",
            "origin_region": "Banyuwangi, Jawa Timur"}).json
        client.post(f"/api/v1/cases/{case['id']}/aid", headers=headers,
                    json={"kind": "ticket", "amount": 1_500_000, "source": "APBD"})
        pdfs["sample_pledge"] = _letter(client, headers, case["id"], "pledge")
        runtime.close()
        db.close()
    for name, pdf in pdfs.items():
        for path in _png(pdf, args.out, name):
            print(path)


if __name__ == "__main__":
    main()
