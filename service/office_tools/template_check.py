"""Checking an uploaded Word template before it is kept: the container (zipsafe), then
what reaches outside the document (service.letters.external: linked pictures, including
fields), Jinja tags in the document properties (docProps/*.xml: they would put a name in
the PDF's metadata), then each part's text as docxtpl will see it, then the names it uses
against what the product gives a document of that kind (service.letters.sample holds
exactly those names).

Every problem found is reported, not just the first: an admin fixing a template in Word
should need one round trip, not five.
"""

import difflib
import html
import re

import jinja2
from docxtpl import DocxTemplate
from jinja2 import nodes
from lxml import etree

from ..letters import external, safe_xml
from ..letters.sample import (
    full_case_context,
    full_ceremony_context,
    sample_case_context,
    sample_ceremony_context,
)
from ..letters.sandbox import make_env
from ..records.kinds import CASE_KINDS
from .problems import Problem
from .zipsafe import open_zip

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes)\.xml$")
_PROPERTIES = re.compile(r"^docProps/[^/]+\.xml$")
_JINJA = re.compile(r"\{[{%#]|[}%#]\}")
_MAIN_TYPES = ("wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml")
_SPECIAL = re.compile(r"\{%-?\s*(tr|tc|p)\s")
_BLOCK = re.compile(r"\{%-?\s*(?:tr |tc |p )?\s*(if|for|macro|call|filter|set|with|block|raw)\b"
                    r"|\{%-?\s*(?:tr |tc |p )?\s*end(if|for|macro|call|filter|set|with|block|raw)\b")
_ENV = make_env()
_PATCHER = DocxTemplate(None)   # patch_xml only rewrites text; no document is opened
_MISSING = object()             # a value the sample cannot tell (a {% set %} name, loop.*)
MAX_SYNTAX_ERRORS = 10


def context_for(kind: str) -> dict:
    """What a document of `kind` is rendered with (sample values, real names)."""
    context = sample_case_context(kind) if kind in CASE_KINDS else sample_ceremony_context()
    context.setdefault("office_logo", "")
    return context


def full_context_for(kind: str) -> dict:
    """The full sample of `kind` (every optional value, every aid kind, notes); the
    renderer sets office_logo."""
    return full_case_context(kind) if kind in CASE_KINDS else full_ceremony_context()


def check_docx(data: bytes, kind: str) -> list[Problem]:
    """Every problem of the upload; raises Refused when it cannot be opened safely."""
    archive, problems = open_zip(data, required=("[Content_Types].xml", "word/document.xml"),
                                 not_a="not_docx")
    types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    if not any(t in types for t in _MAIN_TYPES):
        return problems + [Problem("not_docx")]
    problems += [Problem(reach.code, where=reach.detail,
                         args={"part": reach.part, "detail": reach.detail})
                 for reach in external.in_docx(archive)]
    problems += _properties(archive)
    context = context_for(kind)
    for name in sorted(n for n in set(archive.namelist()) if _PARTS.match(n)):
        try:
            root = safe_xml.parse(archive.read(name))
        except etree.XMLSyntaxError:
            problems.append(Problem("broken_xml", where=name))
            continue
        structural = _special_tags(root, name)
        # A misplaced {%tr %} also fails to parse; the structural reason is the useful one.
        blamed = {p.where for p in structural}
        problems += structural + [p for p in _check_part(root, name, context)
                                  if not (p.code == "syntax_error" and p.where in blamed)]
    return problems


def _properties(archive) -> list[Problem]:
    """Document properties are never rendered (render.py sets them to neutral values): a
    tag there is a mistake, and in the old renderer printed the woman's name into the
    PDF's metadata."""
    problems = []
    for name in sorted(n for n in set(archive.namelist()) if _PROPERTIES.match(n)):
        try:
            root = safe_xml.parse(archive.read(name))
        except etree.XMLSyntaxError:
            problems.append(Problem("broken_xml", where=name))
            continue
        texts = [t for el in root.iter() for t in (el.text, *el.attrib.values()) if t]
        tagged = next((t for t in texts if _JINJA.search(t)), None)
        if tagged is not None:
            problems.append(Problem("template_in_properties", where=_short(tagged),
                                    args={"part": name}))
    return problems


def _text(p) -> str:
    return "".join(t.text or "" for t in p.iter(f"{W}t"))


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _special_tags(root, part: str) -> list[Problem]:
    """{%tr %} must sit in a table row, {%tc %} in a cell, and each such tag (and {%p %})
    alone in its paragraph: docxtpl drops the whole row, cell or paragraph around it, and
    any text beside the tag would silently vanish from the letter."""
    problems = []
    for p in root.iter(f"{W}p"):
        text = _text(p)
        for match in _SPECIAL.finditer(text):
            kind = match.group(1)
            ancestors = {a.tag for a in p.iterancestors()}
            if kind == "tr" and f"{W}tr" not in ancestors:
                problems.append(Problem("tr_outside_row", where=_short(text), args={"part": part}))
            elif kind == "tc" and f"{W}tc" not in ancestors:
                problems.append(Problem("tc_outside_cell", where=_short(text), args={"part": part}))
            else:
                rest = re.sub(r"\{%.*?%\}", "", text).strip()
                if rest:
                    problems.append(Problem("special_tag_not_alone", where=_short(text),
                                            args={"part": part, "tag": kind, "rest": _short(rest, 60)}))
    return problems


def _source(root, part: str) -> list[str]:
    """The part's Jinja source as docxtpl builds it, one paragraph per line (docxtpl
    itself puts a newline before each <w:p>), so an error's line is its paragraph."""
    xml = etree.tostring(root.find(f"{W}body") if part == "word/document.xml" else root,
                         encoding="unicode")
    patched = _PATCHER.patch_xml(xml)
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", patched).split("\n")


def _line_text(lines: list[str], lineno: int) -> str:
    if not 1 <= lineno <= len(lines):
        return ""
    return _short(html.unescape(re.sub(r"<[^>]+>", "", lines[lineno - 1])))


def _unclosed(lines: list[str]) -> int:
    """The line of the innermost block left open (Jinja blames the template's end)."""
    stack = []
    for no, line in enumerate(lines, start=1):
        for match in _BLOCK.finditer(line):
            if match.group(1):
                if match.group(1) != "set" or "=" not in line[match.end():line.find("%}", match.end())]:
                    stack.append(no)
            elif stack:
                stack.pop()
    return stack[-1] if stack else len(lines)


def _check_part(root, part: str, context: dict) -> list[Problem]:
    lines = _source(root, part)
    problems = []
    for _attempt in range(MAX_SYNTAX_ERRORS):
        try:
            tree = _ENV.parse("\n".join(lines))
            break
        except jinja2.TemplateSyntaxError as exc:
            lineno = exc.lineno or 1
            if "Unexpected end of template" in exc.message or lineno > len(lines):
                lineno = _unclosed(lines)
            problems.append(Problem("syntax_error", where=_line_text(lines, lineno),
                                    args={"part": part, "detail": exc.message}))
            # Blank that paragraph's tags and parse again, to find the next error too.
            lines[lineno - 1] = re.sub(r"\{[{%#].*?[}%#]\}|\{[{%#]|[}%#]\}", "", lines[lineno - 1])
    else:
        return problems
    return problems + _names(tree, lines, part, context)


def _names(tree, lines, part: str, context: dict) -> list[Problem]:
    """Unknown variables, attributes and filters, each with the closest known name."""
    assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned |= {n.name for n in tree.find_all(nodes.Macro)} | {"caller"}
    known = set(context) | set(_ENV.globals) | assigned | {"loop"}
    problems, seen = [], set()

    def report(code, name, node, choices, **args):
        if (code, name) in seen:
            return
        seen.add((code, name))
        close = difflib.get_close_matches(name.rsplit(".", 1)[-1], sorted(choices), n=1, cutoff=0.6)
        prefix = name.rsplit(".", 1)[0] + "." if "." in name else ""
        problems.append(Problem(code, where=_line_text(lines, node.lineno), args=dict(
            args, part=part, name=name, suggestion=prefix + close[0] if close else "")))

    for node in tree.find_all(nodes.Filter):
        if node.name not in _ENV.filters:
            report("unknown_filter", node.name, node,
                   [f for f in _ENV.filters if not f.startswith("pulang_")])
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in known:
            report("unknown_variable", node.name, node, set(context))

    def value(expr, scope):
        if isinstance(expr, nodes.Name):
            return scope.get(expr.name, context.get(expr.name, _MISSING))
        if isinstance(expr, nodes.Getattr):
            base = value(expr.node, scope)
            return base.get(expr.attr, _MISSING) if isinstance(base, dict) else _MISSING
        return _MISSING

    def walk(node, scope):
        if isinstance(node, nodes.For):
            walk(node.iter, scope)
            items = value(node.iter, scope)
            inner = dict(scope, loop=_MISSING)
            for target in node.target.find_all(nodes.Name) if not isinstance(node.target, nodes.Name) else [node.target]:
                inner[target.name] = _MISSING
            if isinstance(node.target, nodes.Name):
                inner[node.target.name] = items[0] if isinstance(items, list) and items else _MISSING
            for child in node.body + ([node.test] if node.test else []):
                walk(child, inner)
            for child in node.else_:
                walk(child, scope)
            return
        if isinstance(node, nodes.Getattr):
            base = value(node.node, scope)
            if isinstance(base, dict) and node.attr not in base and not hasattr(dict, node.attr):
                report("unknown_attribute", _dotted(node), node, base)
        for child in node.iter_child_nodes():
            walk(child, scope)

    walk(tree, {name: _MISSING for name in assigned})
    return problems


def _dotted(node) -> str:
    if isinstance(node, nodes.Getattr):
        return f"{_dotted(node.node)}.{node.attr}"
    if isinstance(node, nodes.Name):
        return node.name
    return "…"
