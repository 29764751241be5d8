"""The print workers' routes (/api/v1/worker/*) in one process: a worker token opens them
and nothing else, bad requests get a 4xx naming the field, and what a worker returns is
checked before anything is recorded."""

import hashlib
import io
import json

from service.auth import worker_tokens
from service.ceremonies import printjobs
from service.letters import bulk
from service.letters.chunk import from_wire
from tests.test_ceremonies_data import make_cases, make_ceremony
from tests.test_jobs import start


def _worker(db) -> dict:
    return {"Authorization": f"Bearer {worker_tokens.create(db, 'ruang-1')}"}


def test_worker_tokens_open_the_worker_routes_only(client, staff, db):
    worker = _worker(db)
    assert client.get("/api/v1/worker/ping", headers=worker).status_code == 204
    assert client.get("/api/v1/worker/ping", headers=staff).status_code == 401
    assert client.get("/api/v1/worker/ping").status_code == 401
    assert client.get("/api/v1/cases/1", headers=worker).status_code == 401
    worker_tokens.revoke(db, "ruang-1")
    assert client.get("/api/v1/worker/ping", headers=worker).status_code == 401


def test_bad_worker_requests_name_the_field(client, staff, db):
    worker = _worker(db)
    job_id = start(client, staff, make_ceremony(client, staff, make_cases(client, staff, 2))["id"],
                   kinds=["pledge"])
    url = f"/api/v1/worker/chunks/{job_id}/pledge-1"
    for body, field in (({}, "worker"), ({"worker": "Siti Aminah"}, "worker")):
        response = client.post(url, headers=worker, json=body)
        assert response.status_code == 400 and field in response.json["error"]["fields"]
    assert client.post(f"/api/v1/worker/chunks/{job_id}/../x", headers=worker, json={}).status_code == 404
    assert client.post(f"/api/v1/worker/chunks/{job_id}/assemble", headers=worker,
                       json={"worker": "h:1:2:3"}).status_code == 410
    assert client.post(f"/api/v1/worker/chunks/{job_id + 1}/pledge-1", headers=worker,
                       json={"worker": "h:1:2:3"}).status_code == 410
    response = client.post(url + "/letters", headers=worker, data={"manifest": "{"})
    assert response.status_code == 400 and "manifest" in response.json["error"]["fields"]
    response = client.post(url + "/letters", headers=worker, data={
        "manifest": json.dumps({"lease": "h:1:2:3", "letters": [{"doc_id": 1, "pages": 1, "sha256": "0" * 64}]})})
    assert response.status_code == 400 and "pdf" in response.json["error"]["fields"]
    response = client.post(url + "/lease", headers=worker, json={"lease": "h:1:2:3"})
    assert response.status_code == 409 and response.json["error"]["code"] == "lease_lost"
    assert client.get("/api/v1/worker/files/" + "0" * 64, headers=worker).status_code == 404


def test_a_returned_letter_that_fails_its_check_is_refused_and_fails_the_job(
        client, staff, db, runtime, settings):
    worker = _worker(db)
    job_id = start(client, staff, make_ceremony(client, staff, make_cases(client, staff, 2))["id"],
                   kinds=["pledge"])
    url = f"/api/v1/worker/chunks/{job_id}/pledge-1"
    claimed = client.post(url, headers=worker, json={"worker": "elsewhere:4242:1:1"})
    assert claimed.status_code == 200
    inputs = from_wire(claimed.json)
    assert [letter.number for letter in inputs.letters] and inputs.lease == "elsewhere:4242:1:1"
    # Another worker's claim waits for the lease; renewing it works for its holder only.
    busy = client.post(url, headers=worker, json={"worker": "other:1:1:1"})
    assert busy.status_code == 409 and busy.json["retry_in"] > 0
    assert client.post(url + "/lease", headers=worker, json={"lease": inputs.lease}).status_code == 204
    template = client.get(f"/api/v1/worker/files/{inputs.template_sha256}", headers=worker).data
    assert hashlib.sha256(template).hexdigest() == inputs.template_sha256
    (settings.tmp_dir / "t.docx").write_bytes(template)
    made = bulk.make(runtime.workshop(), settings.tmp_dir / "t.docx", inputs)

    def give_back(letters, pdfs):
        manifest = {"lease": inputs.lease, "letters": [
            {"doc_id": m.doc_id, "pages": m.pages, "sha256": hashlib.sha256(pdf).hexdigest()}
            for m, pdf in zip(letters, pdfs)]}
        return client.post(url + "/letters", headers=worker, content_type="multipart/form-data",
                           data={"manifest": json.dumps(manifest),
                                 "pdf": [(io.BytesIO(p), f"{i}.pdf") for i, p in enumerate(pdfs)]})

    # Swapped: each PDF under the other's id; its number is not in its text.
    response = give_back(made, [m.pdf for m in reversed(made)])
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "result_rejected"
    assert "letter number" in response.json["error"]["fields"]["letters"]
    job = printjobs.get(db, job_id)
    assert job["state"] == "failed" and "pledge-1" in job["error"]
    assert db.execute("SELECT COUNT(*) FROM documents WHERE status = 'valid'").fetchone()[0] == 0
    assert not list(settings.documents_dir.rglob("*.pdf"))


def test_a_worker_warms_up_on_letters_the_server_invents(client, staff, db, runtime, tmp_path, caplog):
    """GET /worker/warm-up hands a starting worker invented letters of every kind (the
    office's templates and settings, invented women); the worker makes and drops them,
    and its folder then holds the templates its first real chunk needs."""
    import logging
    from types import SimpleNamespace

    from service.ceremonies.remote_worker import RemoteWorker
    from service.records.kinds import DOCUMENT_KINDS

    worker = _worker(db)
    cases = make_cases(client, staff, 2)
    names = [db["cases"].get(c)["full_name"] for c in cases]
    assert client.get("/api/v1/worker/warm-up", headers=staff).status_code == 401
    answer = client.get("/api/v1/worker/warm-up", headers=worker)
    assert answer.status_code == 200
    chunks = [from_wire(c) for c in answer.json["chunks"]]
    assert sorted(c.kind for c in chunks) == sorted(DOCUMENT_KINDS)
    assert all(x.number.endswith("/CONTOH") and x.doc_id < 0 for c in chunks for x in c.letters)
    assert not [n for n in names if n in answer.get_data(as_text=True)]

    class ThisServer:  # the worker's Server, over this app instead of over HTTP
        def warm_up(self):
            return client.get("/api/v1/worker/warm-up", headers=worker).json["chunks"]

        def file(self, sha256):
            return client.get(f"/api/v1/worker/files/{sha256}", headers=worker).data

    folder = SimpleNamespace(run_dir=tmp_path / "run", tmp_dir=tmp_path / "tmp",
                             render_seconds=10.0)
    folder.tmp_dir.mkdir()
    documents = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
    with caplog.at_level(logging.INFO, logger="service.ceremonies.warmup"):
        RemoteWorker(folder, ThisServer(), runtime.pool).warm_up()
    assert "warmed up: 10 invented letters of 6 kinds" in caplog.text
    cached = {p.stem for p in (folder.run_dir / "cache").glob("*.docx")}
    assert cached == {c.template_sha256 for c in chunks}
    assert list((folder.run_dir / "templates").glob("*.docx"))  # made ready and combined
    assert not list(folder.tmp_dir.iterdir())  # nothing left of the letters
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == documents
