"""Word rendering: a template plus a context gives a filled .docx.

Templates run in the sandbox of service/letters/sandbox.py (plain data only, attribute
access and calls by allow-list, a budget of time, loops and text per render), with
StrictUndefined and autoescape on: a name typed as `Siti & <Aminah>` prints as typed, a
misspelt variable is an error instead of a blank on a signed letter.

What the service, not the template, does around a render:

- **The context is plain data** (`sandbox.check_plain`): nothing in it has attributes
  a template could walk to reach the service's objects.
- **The logos go in after rendering.** `office_logo` (the lambang daerah, left of the
  letterhead) and `unit_logo` (the office's own logo, right) are plain marker texts (or
  "" when the office has no such picture); each marker left in a rendered part is replaced here by the
  picture, added to that part by python-docx. The template never holds an object of the
  document (docxtpl's InlineImage carried the live DocxTemplate: `office_logo.tpl.save()`).
- **Nothing reaches outside** (service/letters/external.py): a template with an external
  relationship or an including field is refused before it renders, and every rendered
  part is checked again.
- **Document properties are neutral**: title = the document kind, author = the office,
  everything else empty. docxtpl would render them as templates (a name in the title ends
  up in the PDF's metadata); here they are set, never rendered.
- **Errors say what went wrong in staff terms, without the letter's data**: an exception
  message can quote a value (`invalid literal for int() with base 10: '<her name>'`), so
  it never reaches a log, a response or the document's row. Logs carry the exception
  type, the template's kind and version and the document ids only. `RenderError.detail`
  keeps the exception's text for the upload check, which renders invented sample data.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate

from ..errors import PulangError
from ..records.kinds import KIND_LABELS
from . import external
from .sandbox import Limits, TemplateLimit, budget, check_plain, make_env

log = logging.getLogger(__name__)

LOGO_HEIGHT = Mm(22)


class RenderError(PulangError):
    """A template could not be filled. `message` is safe to show and store (no letter
    data); `what` is the kind of failure (syntax, undefined, forbidden, time, loops,
    text, value, recursion, data, outside, unreadable) and `numbers` its figures, for
    pages to word it in the reader's language; `detail` is the underlying error's own
    text, shown only for the invented sample data (the upload check)."""

    status = 422
    code = "render_failed"

    def __init__(self, message: str, *, detail: str = "", what: str = "",
                 about: "About | None" = None, numbers: dict | None = None):
        super().__init__(message, template={"kind": about.kind, "version": about.version}
                         if about and about.kind else None, failure=what or None)
        self.extra = {k: v for k, v in self.extra.items() if v is not None}
        self.detail = detail or message
        self.what = what
        self.about = about
        self.numbers = numbers or {}


@dataclass(frozen=True)
class About:
    """What a render is of, for its messages, logs and document properties: never data."""

    kind: str = ""
    version: int | None = None
    documents: tuple[int, ...] = ()
    office: str = ""   # the office's name: the document's author

    def named(self) -> str:
        """"the Surat Pernyataan template (version 3)" """
        label = KIND_LABELS.get(self.kind, self.kind)
        return ("the " + (f"{label} " if label else "") + "template"
                + (f" (version {self.version})" if self.version else ""))


@dataclass
class _Run:
    pictures: dict  # marker -> picture file
    reached: list = field(default_factory=list)


class _Docx(DocxTemplate):
    """docxtpl with the service's steps around its rendering (see the module docstring)."""

    run: _Run

    def patch_xml(self, src_xml):
        return _patched(src_xml)

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        xml = super().render_xml_part(src_xml, part, context, jinja_env)
        self.run.reached += external.in_part(str(part.partname).lstrip("/"), xml)
        for marker, picture in self.run.pictures.items():
            if marker in xml:
                xml = xml.replace(marker, self._picture(part, picture))
        return xml

    def resolve_listing(self, xml):
        """docxtpl turns a tab, newline, \\a or \\f in a text into Word's tab, line break,
        paragraph or page break by walking every paragraph and run of the part with
        regular expressions, even when there is none: a sixth of a 25-letter render. With
        none of those characters anywhere in the part, it has nothing to change."""
        if _LISTING.search(xml) is None:
            return xml
        return super().resolve_listing(xml)

    def _picture(self, part, picture: Path) -> str:
        """The logo as a run of its own (the marker sits in a w:t: close it, add the
        picture's run, open a new w:t for what followed), or nothing where a picture
        cannot go (a footnote)."""
        if not hasattr(part, "new_pic_inline"):
            return ""
        inline = part.new_pic_inline(str(picture), None, LOGO_HEIGHT).xml
        return ('</w:t></w:r><w:r><w:drawing>%s</w:drawing></w:r><w:r>'
                '<w:t xml:space="preserve">' % inline)

    def render_properties(self, context, jinja_env=None):
        """Never rendered: set to fixed, neutral values."""


@functools.lru_cache(maxsize=64)
def _patched(src_xml: str) -> str:
    """docxtpl's clean-up of a part's XML before Jinja reads it (tags split over runs
    joined, and so on): the same for every letter of a template, and half of a render's
    time, so done once per part. docxtpl's patch_xml uses nothing of its instance."""
    return DocxTemplate.patch_xml(None, src_xml)


def neutral_properties(docx, about: About) -> None:
    """Title = the document kind, author = the office; nothing else (python-docx's
    core properties; docProps/app.xml and custom.xml are never rendered)."""
    props = docx.core_properties
    props.title = KIND_LABELS.get(about.kind, "")
    props.author = about.office
    for name in ("subject", "comments", "keywords", "category", "identifier",
                 "content_status", "last_modified_by", "version"):
        setattr(props, name, "")


_ENV = make_env()
_LISTING = re.compile("[\t\n\a\f]")


def _what(exc: BaseException, limits: Limits) -> tuple[str, str, dict]:
    """(code, staff-terms reason, its numbers) of a failure, never quoting the letter's data."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        # Jinja's message quotes the template's own text (a tag written wrongly), not data.
        return "syntax", f"a tag is written wrongly ({exc.message})", {"detail": exc.message}
    if isinstance(exc, TemplateLimit):
        if exc.what == "time":
            return "time", f"it took longer than {limits.seconds:g} seconds", {"seconds": limits.seconds}
        if exc.what == "loops":
            return ("loops", f"its loops ran more than {limits.loop_iterations} times",
                    {"times": limits.loop_iterations})
        if exc.what == "text":
            return "text", "it made far more text than a letter holds", {}
        return "value", "it built a value far larger than a letter needs", {}
    if isinstance(exc, jinja2.UndefinedError):
        return "undefined", "it uses a name or a value this letter does not have", {}
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return "forbidden", "it tries something templates may not do", {}
    if isinstance(exc, RecursionError):
        return "recursion", "it calls itself too deeply", {}
    name = type(exc).__name__
    return ("data", f"this letter's data does not fit what the template does with it ({name})",
            {"error": name})


def _scale(context: dict) -> int:
    """How many letters (or listed women) a render holds, for its budget."""
    for key in ("records", "cases"):
        if isinstance(context.get(key), list):
            return max(1, len(context[key]))
    return 1


def render_docx(template: Path, context: dict, out: Path, *, logo: Path | None = None,
                unit_logo: Path | None = None,
                about: About | None = None, limits: Limits | None = None) -> None:
    """Fill `template` with `context` and save the result to `out`.

    `office_logo` and `unit_logo` in the context are markers replaced by `logo` (the
    lambang daerah) and `unit_logo` (the office's own logo) after rendering (or "" when
    there is none), so templates can always refer to them. Raises RenderError (422)
    for anything the template does wrong, TypeError for a context that is not plain data.
    """
    about = about or About()
    limits = (limits or Limits()).scaled(_scale(context))
    check_plain(context)
    reached = external.in_file(Path(template))
    if reached:
        raise _failed(about, "outside", "it refers to something outside the document",
                      f"{reached[0].code}: {reached[0].detail}")
    markers = {name: f"pulanglogo{secrets.token_hex(16)}" for name in ("office_logo", "unit_logo")}
    given = {"office_logo": logo, "unit_logo": unit_logo}
    context = dict(context, **{name: markers[name] if given[name] else "" for name in markers})
    try:
        doc = _Docx(str(template))
        doc.init_docx()
    except Exception as exc:  # not a Word file python-docx can open
        raise _failed(about, "unreadable", "it cannot be opened as a Word document",
                      type(exc).__name__) from None
    doc.run = _Run({markers[name]: given[name] for name in markers if given[name]})
    failure = None
    try:
        with budget(limits):
            doc.render(context, jinja_env=_ENV, autoescape=True)
    except Exception as exc:  # anything a template does: see _what
        detail = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
        failure = (type(exc).__name__, *_what(exc, limits), detail)
    if failure:
        # Raised outside the except block: the original exception (whose text may quote
        # the letter's data) is not chained to it, so no traceback can print it.
        name, what, reason, numbers, detail = failure
        raise _failed(about, what, reason, detail, exception=name, **numbers)
    if doc.run.reached:
        raise _failed(about, "outside", "it builds a reference to something outside the document",
                      f"{doc.run.reached[0].code}: {doc.run.reached[0].detail}")
    neutral_properties(doc.docx, about)
    doc.save(str(out))


def _failed(about: About, what: str, reason: str, detail: str, *, exception: str = "",
            **numbers) -> RenderError:
    """The error to raise, logged by its type, the template's kind and version and the
    documents' ids only."""
    log.warning("render failed (%s%s) in %s template version %s, documents %s", what,
                f": {exception}" if exception else "", about.kind or "?", about.version,
                list(about.documents))
    return RenderError(f"{about.named()} could not be filled: {reason}", detail=detail,
                       what=what, about=about, numbers=numbers)
