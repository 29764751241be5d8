"""Words an office's own template should not put on her papers (DOMAIN.md, Dignity): she
is a Penerima Manfaat, and no paper she carries or signs names her past with a
stigmatising word, nor her origin as the place she was taken from. An upload using one
is kept (the office decides its own wording) with a warning naming the word and where it
is. The list is data beside this module (stigmatising-words.txt), so no code of the
service holds the words.

The built-in templates are held to the same list by a test with a list of its own
(tests/test_papers_wording.py), so weakening this one cannot weaken that test.
"""

import re
from pathlib import Path

from lxml import etree

from ..letters import safe_xml
from .problems import Problem
from .zipsafe import open_zip

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")

# Whole words or phrases, case-blind; kept as data beside this module (its header says why).
STIGMATISING = tuple(
    line.strip() for line in (Path(__file__).with_name("stigmatising-words.txt")
                              .read_text(encoding="utf-8").splitlines())
    if line.strip() and not line.startswith("#"))
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(w) for w in STIGMATISING) + r")\b", re.IGNORECASE)


def stigmatising_words(text: str) -> list[str]:
    """The listed words found in `text`, as written, in order, each once."""
    found = []
    for match in _PATTERN.finditer(text or ""):
        if match.group(1).lower() not in (w.lower() for w in found):
            found.append(match.group(1))
    return found


def warnings(data: bytes) -> list[Problem]:
    """A warning per paragraph of a (checked) .docx that uses a listed word."""
    archive, _ = open_zip(data, required=("word/document.xml",), not_a="not_docx")
    found = []
    for name in sorted(n for n in archive.namelist() if _PARTS.match(n)):
        try:
            root = safe_xml.parse(archive.read(name))
        except etree.XMLSyntaxError:
            continue
        for p in root.iter(f"{W}p"):
            text = "".join(t.text or "" for t in p.iter(f"{W}t"))
            for word in stigmatising_words(text):
                short = " ".join(text.split())
                found.append(Problem("stigmatising_word", where=short[:120],
                                     args={"word": word, "part": name}))
    return found
