"""What a check found: a stable code, where it is, and the values its message needs.

Checks return these instead of sentences so that the API and the pages word them in the
reader's language from one place (service/http/messages.py)."""

from dataclasses import dataclass, field


@dataclass
class Problem:
    code: str
    where: str = ""
    args: dict = field(default_factory=dict)


class Refused(Exception):
    """An upload refused before anything in it was unpacked; `status` is 400 or 413."""

    def __init__(self, problems: list[Problem], status: int = 400):
        super().__init__(", ".join(p.code for p in problems))
        self.problems = problems
        self.status = status
