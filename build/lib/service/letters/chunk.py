"""The boundary between the server and whoever makes a print job's letters: what a chunk
of letters is made from (ChunkInput) and what comes back (MadeLetter).

The server prepares a ChunkInput (numbers and verify tokens already reserved, each
letter's template context, the template and logo by hash); making the letters needs
nothing else, no database, archive or index (bulk.make). The same objects pass inside
one process (`pulang serve`'s own consumer) or travel over HTTP to a print worker on
another machine: to_wire/from_wire turn them into JSON and back, keeping the dates the
templates format (a context holds dict, list, str, int, float, bool, None and dates).
"""

import datetime as dt
from dataclasses import dataclass, field

# How a date travels in JSON: {"$date": "2024-07-31"}; a datetime as {"$datetime": …}.
_DATE, _DATETIME = "$date", "$datetime"


@dataclass
class LetterInput:
    doc_id: int
    number: str        # reserved by the server
    token: str         # its verify token, for the QR and the printed link
    context: dict      # what its template sees


@dataclass
class ChunkInput:
    job_id: int
    chunk: str
    kind: str
    template_sha256: str
    base_url: str
    letters: list[LetterInput]
    logo_sha256: str | None = None
    unit_logo_sha256: str | None = None  # the office's own logo, right of the letterhead
    lease: str = ""    # the claim this input was handed out under; results must carry it
    lease_seconds: float = 30.0
    template_version: int = 0  # for messages and logs (render.About); 0: not known

    def stamps(self) -> list[tuple[str, str]]:
        """(number, verify URL) per letter, in order."""
        return [(letter.number, f"{self.base_url}/v/{letter.token}") for letter in self.letters]


@dataclass
class MadeLetter:
    doc_id: int
    pdf: bytes         # stamped, ready to archive
    pages: int
    text: str | None = field(default=None, repr=False)  # None: the server reads it itself
    sha256: str | None = None  # what the maker says it sent; checked against what arrived


def to_wire(chunk: ChunkInput) -> dict:
    """JSON-ready: what a remote worker receives."""
    return {
        "job_id": chunk.job_id, "chunk": chunk.chunk, "kind": chunk.kind,
        "template_sha256": chunk.template_sha256, "logo_sha256": chunk.logo_sha256,
        "unit_logo_sha256": chunk.unit_logo_sha256,
        "base_url": chunk.base_url, "lease": chunk.lease, "lease_seconds": chunk.lease_seconds,
        "template_version": chunk.template_version,
        "letters": [{"doc_id": x.doc_id, "number": x.number, "token": x.token,
                     "context": _encode(x.context)} for x in chunk.letters],
    }


def from_wire(data: dict) -> ChunkInput:
    letters = [LetterInput(int(x["doc_id"]), str(x["number"]), str(x["token"]),
                           _decode(x["context"])) for x in data["letters"]]
    return ChunkInput(job_id=int(data["job_id"]), chunk=str(data["chunk"]), kind=str(data["kind"]),
                      template_sha256=str(data["template_sha256"]),
                      logo_sha256=data.get("logo_sha256"),
                      unit_logo_sha256=data.get("unit_logo_sha256"), base_url=str(data["base_url"]),
                      letters=letters, lease=str(data["lease"]),
                      lease_seconds=float(data.get("lease_seconds", 30.0)),
                      template_version=int(data.get("template_version") or 0))


def _encode(value):
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dt.datetime):  # before date: a datetime is a date too
        return {_DATETIME: value.isoformat()}
    if isinstance(value, dt.date):
        return {_DATE: value.isoformat()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    # A new kind of value in a context must be given a wire form here, not guessed at.
    raise TypeError(f"a letter context holds a {type(value).__name__}, which has no wire form")


def _decode(value):
    if isinstance(value, dict):
        if len(value) == 1 and _DATE in value:
            return dt.date.fromisoformat(value[_DATE])
        if len(value) == 1 and _DATETIME in value:
            return dt.datetime.fromisoformat(value[_DATETIME])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
