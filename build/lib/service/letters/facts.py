"""What a letter states about the world, apart from its own number and date: the facts
that, when they change, make a letter already issued hold old data.

A letter's facts are kept as one hash per group (identity, aid, release; for a
ceremony's papers: ceremony, people, aid), computed from the template context it was
made from, in documents.facts (JSON). Hashes only: the letter row never holds a name or
a NIK of its own. Comparing the hashes of a letter with those of what it would say today
tells whether it is still right, and if not, which part changed (the reason the pages
show). The groups follow what the product's templates print for each kind.
"""

import hashlib
import json

_IDENTITY = ("full_name", "nik", "birth_place", "birth_date", "origin_address",
             "origin_region", "facility", "case_number")
_AID = ("aid_items", "aid_total")

# kind → {group: the context's keys in it}
GROUPS = {
    "pledge": {"identity": _IDENTITY},
    "aid_receipt": {"identity": _IDENTITY, "aid": _AID},
    "transfer_receipt": {"identity": _IDENTITY, "aid": _AID},
    "release_report": {"identity": _IDENTITY + ("notes",), "aid": _AID, "release": ("release",)},
    "aid_roster": {"ceremony": ("ceremony",), "people": ("cases",), "aid": ("totals_by_kind", "grand_total")},
    "ceremony_report": {"ceremony": ("ceremony",), "people": ("cases",), "aid": ("totals_by_kind", "grand_total")},
}


def _hash(value) -> str:
    blob = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def of(context: dict, kind: str) -> dict[str, str]:
    """{group: hash} of what a letter of `kind` made from `context` states."""
    return {group: _hash([context.get(key) for key in keys])
            for group, keys in GROUPS[kind].items()}


def dumps(facts: dict[str, str]) -> str:
    return json.dumps(facts, sort_keys=True)


def changed(stored: str | None, now: dict[str, str]) -> list[str] | None:
    """The groups whose facts differ between a letter (its stored facts) and today, []
    when none; None when the letter's facts were never recorded (made before they were)."""
    if not stored:
        return None
    then = json.loads(stored)
    return sorted(group for group in now if then.get(group) != now[group])
