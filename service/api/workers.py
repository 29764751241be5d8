"""Routes for print workers on other machines (`pulang worker --server URL --token T`),
under /api/v1/worker/. They take a worker token (auth/worker_tokens.py), which opens
these routes and nothing else; a user's API token opens none of them. The server-side
logic is ceremonies/handout.py; contract in docs/api.md ("Print workers").
"""

import functools
import json
import re

from flask import jsonify, request, send_file

from ..auth import worker_tokens
from ..ceremonies import handout, prepare, warmup
from ..errors import InvalidInput, NotFound, Unauthorized
from ..http.support import get_db, runtime
from ..letters.chunk import MadeLetter, to_wire
from ..records.storage import sha256_file
from . import bp
from .auth import json_body

_CHUNK = re.compile(r"[a-z_]{1,40}(-\d{1,6})?")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def worker_only(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or worker_tokens.check(get_db(), token.strip()) is None:
            raise Unauthorized("send Authorization: Bearer <worker token>")
        chunk = kwargs.get("chunk")
        if chunk is not None and not _CHUNK.fullmatch(chunk):
            raise NotFound("no such chunk")
        return view(*args, **kwargs)
    # Declared like a permission (tests/test_trust_access.py walks every route): no role
    # of a user opens these routes, only a worker token.
    wrapper.worker_token_only = True
    return wrapper


def _text(data: dict, name: str, limit: int = 500) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise InvalidInput(f"{name} is missing or malformed", fields={name: f"a string of 1-{limit} characters"})
    return value


@bp.post("/worker/chunks/<int:job_id>/<chunk>")
@worker_only
def claim_chunk(job_id, chunk):
    """Claim a chunk and get what it is made from (letters/chunk.py to_wire)."""
    return jsonify(handout.hand_out(runtime(), get_db(), job_id, chunk,
                                    _text(json_body(), "worker", 200)))


@bp.post("/worker/chunks/<int:job_id>/<chunk>/lease")
@worker_only
def renew_lease(job_id, chunk):
    handout.renew(get_db(), job_id, chunk, _text(json_body(), "lease", 200))
    return "", 204


@bp.post("/worker/chunks/<int:job_id>/<chunk>/failure")
@worker_only
def chunk_failed(job_id, chunk):
    data = json_body()
    handout.failed(get_db(), job_id, chunk, _text(data, "lease", 200), _text(data, "reason"))
    return "", 204


@bp.post("/worker/chunks/<int:job_id>/<chunk>/letters")
@worker_only
def return_letters(job_id, chunk):
    """multipart/form-data: `manifest` (JSON: lease, and per letter doc_id, pages,
    sha256) and one `pdf` file per letter, in the manifest's order."""
    try:
        manifest = json.loads(request.form.get("manifest") or "")
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("letters"), list):
        raise InvalidInput("the manifest is missing or not a JSON object",
                           fields={"manifest": "JSON {lease, letters: [{doc_id, pages, sha256}]}"})
    pdfs = request.files.getlist("pdf")
    if len(pdfs) != len(manifest["letters"]):
        raise InvalidInput("one pdf per letter of the manifest",
                           fields={"pdf": f"{len(pdfs)} files for {len(manifest['letters'])} letters"})
    made = []
    for entry, upload in zip(manifest["letters"], pdfs):
        if not (isinstance(entry, dict) and isinstance(entry.get("doc_id"), int)
                and isinstance(entry.get("pages"), int)
                and _SHA256.fullmatch(str(entry.get("sha256", "")))):
            raise InvalidInput("a manifest entry is malformed",
                               fields={"manifest": "each letter: doc_id and pages (integers), sha256 (hex)"})
        made.append(MadeLetter(entry["doc_id"], upload.read(), entry["pages"], None, entry["sha256"]))
    left = handout.take_back(runtime(), get_db(), job_id, chunk, _text(manifest, "lease", 200), made)
    return jsonify({"accepted": len(made), "chunks_left": left})


@bp.get("/worker/files/<sha256>")
@worker_only
def file_by_hash(sha256):
    """A Word template (any version) or one of the office's letterhead images, by the
    sha256 a chunk named."""
    if not _SHA256.fullmatch(sha256):
        raise NotFound("no such file")
    rt = runtime()
    images = [p for p in (rt.logo(), rt.unit_logo()) if p is not None and sha256_file(p) == sha256]
    if images:
        path = images[0]
    else:
        path = prepare.template_file(rt, get_db(), sha256)
    return send_file(path, mimetype="application/octet-stream", max_age=0)


@bp.get("/worker/warm-up")
@worker_only
def warm_up():
    """Invented letters of every kind (ceremonies/warmup.py), for a worker starting up to
    make and drop, so its first real chunk runs warm. Nothing of a real case in them."""
    return jsonify({"chunks": [to_wire(chunk) for _, chunk in warmup.invented(runtime())]})


@bp.get("/worker/ping")
@worker_only
def ping():
    """For a worker starting up: the address and the token are right."""
    return "", 204
