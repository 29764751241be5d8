"""What a print worker on another machine receives: a chunk's inputs as JSON, which must
give back exactly the contexts the templates see (dates stay dates)."""

import datetime as dt
import json

import pytest

from service.letters.chunk import ChunkInput, LetterInput, from_wire, to_wire
from service.letters.sample import sample_case_context, sample_ceremony_context


def test_a_chunk_survives_the_trip_as_json():
    case = sample_case_context()
    case.pop("office_logo")
    ceremony = sample_ceremony_context()
    ceremony.pop("office_logo", None)
    chunk = ChunkInput(job_id=7, chunk="pledge-1", kind="pledge", template_sha256="a" * 64,
                       base_url="https://pulang.example", logo_sha256=None, lease="h:1:2:3",
                       letters=[LetterInput(1, "460/001/DINSOS/VII/2024", "tok1", case),
                                LetterInput(2, "460/002/DINSOS/VII/2024", "tok2", ceremony)])
    back = from_wire(json.loads(json.dumps(to_wire(chunk))))
    assert back == chunk
    assert any(isinstance(v, dt.date) for v in back.letters[0].context.values())
    assert back.stamps()[1] == ("460/002/DINSOS/VII/2024", "https://pulang.example/v/tok2")


def test_a_value_without_a_wire_form_is_refused_not_guessed():
    chunk = ChunkInput(job_id=1, chunk="pledge-1", kind="pledge", template_sha256="a" * 64,
                       base_url="http://x", letters=[LetterInput(1, "1", "t", {"amount": 1j})])
    with pytest.raises(TypeError, match="complex"):
        to_wire(chunk)
