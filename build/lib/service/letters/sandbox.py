"""The Jinja environment a Word template runs in: what it may touch, and how much it may do.

An office uploads its own templates, so a template is code written by someone we do not
fully trust, run on the woman's data. Two rules hold here:

**Plain data only.** A template reaches nothing but the values it is given (str, int,
Decimal, float, date/datetime, bool, None, lists and dicts of them: render.py asserts
that of every context) and Jinja's own loop helpers. Attribute access and calls are allowed by a
list, per type: `name.upper()`, `date.year`, `case.items()` work; anything else (every
`__dunder__`, `str.format`, `list.append`, any object the list does not name) is refused.

**Bounded work.** A render has a budget (`Limits`), checked from Jinja's sandbox hooks
as the template runs, so a render can be stopped without killing a thread:

- every `for` loop's iterable is wrapped (the template's syntax tree is rewritten before
  it is compiled) so each iteration counts against a cap, checks the clock, and charges
  the literal text of the loop body to the text budget;
- calls (`call`), operators (`call_binop`: `*`, `**`, `%`, `+`, …), `~` concatenation
  (rewritten the same way), every filter and every `{{ }}` output (`finalize`) check the
  clock and the sizes: an operation whose result would be too big (`'A' * 30000000`,
  `7 ** 300000`, `x|center(10**9)`, `'%0999999999d' % 1`) is refused *before* Python
  builds it; any other result is measured after and charged to the budget;
- `range()` is capped; the filters are a chosen list (no `format`, `pprint`, `tojson`,
  `xmlattr`, `urlize`, `random`, no `lipsum` global).

The clock is read at each of those points, and a template can only spend time between
them in one bounded operation (all values are capped), so a render ends within about its
time limit with `TemplateLimit`, and the thread is free for the next request.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import functools
import re
import time
import types
from dataclasses import dataclass, replace

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace, _PassArg

from ..records.formats import FILTERS

__all__ = ["Limits", "TemplateLimit", "make_env", "budget", "PLAIN_TYPES", "check_plain"]


@dataclass(frozen=True)
class Limits:
    """What one render may spend. `scaled(n)` is the budget of a render holding n letters
    (a print job's combined render, or a roster of n women)."""

    seconds: float = 10.0          # wall clock
    loop_iterations: int = 100_000
    text_chars: int = 20_000_000   # everything made: output, literal text repeated, values
    value_chars: int = 1_000_000   # one string (a whole letter's text is ≈ 5,000)
    value_items: int = 100_000     # one list
    range_items: int = 10_000
    int_bits: int = 4096           # about 1,200 digits
    format_width: int = 1000       # widths and precisions in '%5d' formatting
    seconds_per_letter: float = 0.2

    def scaled(self, letters: int) -> "Limits":
        extra = max(0, letters - 1)
        return replace(self, seconds=self.seconds + self.seconds_per_letter * extra,
                       loop_iterations=self.loop_iterations * (1 + extra),
                       text_chars=self.text_chars * (1 + extra))


class TemplateLimit(SecurityError):
    """The template went over its budget. `what` names the limit: time, loops, text,
    value, number, range, format."""

    def __init__(self, what: str, message: str):
        super().__init__(message)
        self.what = what


class Budget:
    """One render's spending (all parts of one document: body, headers, footers)."""

    __slots__ = ("limits", "deadline", "iterations", "text")

    def __init__(self, limits: Limits):
        self.limits = limits
        self.deadline = time.monotonic() + limits.seconds
        self.iterations = 0
        self.text = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimit("time", f"the render took longer than {self.limits.seconds:g} s")

    def iteration(self, cost: int) -> None:
        self.iterations += 1
        if self.iterations > self.limits.loop_iterations:
            raise TemplateLimit("loops", f"loops ran more than {self.limits.loop_iterations} times")
        self.charge(cost)
        self.tick()

    def charge(self, chars: int) -> None:
        self.text += chars
        if self.text > self.limits.text_chars:
            raise TemplateLimit("text", f"the template made more than {self.limits.text_chars} characters")

    def produced(self, value):
        """Measure a value an operation made; refuse it if it is too big."""
        kind = type(value)
        if kind is str or isinstance(value, str):
            if len(value) > self.limits.value_chars:
                raise TemplateLimit("value", f"a text longer than {self.limits.value_chars} characters")
            self.charge(len(value))
        elif kind is int:
            if value.bit_length() > self.limits.int_bits:
                raise TemplateLimit("number", f"a number longer than {self.limits.int_bits} bits")
        elif isinstance(value, (list, tuple, dict)):
            if len(value) > self.limits.value_items:
                raise TemplateLimit("value", f"a list longer than {self.limits.value_items} items")
            self.charge(len(value))
        return value

    def text_of(self, value) -> None:
        """Refuse a container whose text (what str() of it would build) is too long."""
        if not isinstance(value, (str, int, float, decimal.Decimal, dt.date, type(None))):
            if _text_size(value, self.limits.value_chars) > self.limits.value_chars:
                raise TemplateLimit("value", f"a text longer than {self.limits.value_chars} characters")


_CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("pulang_budget", default=None)


@contextlib.contextmanager
def budget(limits: Limits):
    """Every template rendered inside shares one budget (docxtpl renders a document's body,
    headers and footers as separate templates)."""
    token = _CURRENT.set(Budget(limits))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


def _current() -> Budget:
    spent = _CURRENT.get()
    if spent is None:  # pragma: no cover - every render starts one (see _Template.render)
        raise SecurityError("a template ran outside a render budget")
    return spent


def _text_size(value, limit: int) -> int:
    """About how many characters str(value) would be; stops counting past `limit`."""
    total, stack = 0, [value]
    while stack and total <= limit:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 4
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(v)
            stack.extend(v)
        elif isinstance(v, dict):
            total += 2 + 4 * len(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, Namespace):
            attrs = object.__getattribute__(v, "_Namespace__attrs")
            total += 16 + 4 * len(attrs)
            stack.extend(attrs.values())
        elif isinstance(v, int):
            total += v.bit_length() // 3 + 2
        else:
            total += 40
    return total


# --- plain data -------------------------------------------------------------------------

# float too: letters/chunk.py's wire form (JSON) carries it, and it has nothing to reach.
PLAIN_TYPES = (str, int, bool, float, decimal.Decimal, dt.date, dt.datetime, type(None))


def check_plain(value, where: str = "context") -> None:
    """Raise TypeError unless `value` is plain data: PLAIN_TYPES, and lists and dicts
    (with str keys) of them. Exact types: a subclass could carry anything."""
    kind = type(value)
    if kind in PLAIN_TYPES:
        return
    if kind is list:
        for i, item in enumerate(value):
            check_plain(item, f"{where}[{i}]")
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{where} has a key of type {type(key).__name__}; templates see str keys only")
            check_plain(item, f"{where}.{key}")
        return
    raise TypeError(f"{where} is a {kind.__module__}.{kind.__qualname__}; templates see plain "
                    "data only (str, int, Decimal, float, date, datetime, bool, None, lists "
                    "and dicts)")


# What a template may read and call, per type. Every name here returns plain data and
# cannot reach anything else; the size-changing ones are guarded in `call`.
_STR = frozenset({
    "upper", "lower", "title", "capitalize", "casefold", "swapcase", "strip", "lstrip",
    "rstrip", "split", "rsplit", "splitlines", "partition", "rpartition", "startswith",
    "endswith", "count", "find", "rfind", "index", "rindex", "isdigit", "isdecimal",
    "isnumeric", "isalpha", "isalnum", "isspace", "isupper", "islower", "istitle",
    "replace", "center", "ljust", "rjust", "zfill", "join", "removeprefix", "removesuffix",
})
_DATE = frozenset({"year", "month", "day", "weekday", "isoweekday", "isoformat", "strftime"})
_DATETIME = _DATE | {"hour", "minute", "second", "date"}
_DICT = frozenset({"keys", "values", "items", "get"})
_SEQUENCE = frozenset({"index", "count"})
_LOOP = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length",
                   "depth", "depth0", "previtem", "nextitem", "cycle", "changed"})
_CYCLER = frozenset({"current", "next", "reset"})
_GROUP = frozenset({"grouper", "list"})


def _allowed(obj, attr: str) -> bool:
    if attr.startswith("_"):
        return False
    if isinstance(obj, str):
        return attr in _STR
    if isinstance(obj, dt.datetime):
        return attr in _DATETIME
    if isinstance(obj, dt.date):
        return attr in _DATE
    if isinstance(obj, dict):
        return attr in _DICT
    if isinstance(obj, tuple):
        return attr in _SEQUENCE or (attr in _GROUP and type(obj).__name__ == "_GroupTuple")
    if isinstance(obj, list):
        return attr in _SEQUENCE
    if isinstance(obj, LoopContext):
        return attr in _LOOP
    if isinstance(obj, Namespace):
        return True  # its attributes are the values the template set on it
    if isinstance(obj, Cycler):
        return attr in _CYCLER
    return False


# --- filters ----------------------------------------------------------------------------

# Jinja's filters a template may use. Left out: safe (a value would go into the Word XML
# unescaped: a name typed with markup could add a field or break the file), format
# (printf widths), pprint, tojson, xmlattr, urlize (markup), random (a letter must print
# the same twice), filesizeformat.
_JINJA_FILTERS = (
    "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort",
    "e", "escape", "first", "float", "forceescape", "groupby", "indent", "int", "join",
    "last", "length", "list", "lower", "items", "map", "min", "max", "reject",
    "rejectattr", "replace", "reverse", "round", "select", "selectattr", "slice",
    "sort", "string", "striptags", "sum", "title", "trim", "truncate", "unique", "upper",
    "urlencode", "wordcount", "wordwrap",
)
# Filters that turn their value into text: a list or dict given to them is measured first.
_TEXT_FILTERS = frozenset({
    "capitalize", "center", "e", "escape", "forceescape", "indent", "lower", "replace",
    "string", "striptags", "title", "trim", "truncate", "upper", "urlencode",
    "wordcount", "wordwrap", *FILTERS,
})


def _width(limits: Limits, width) -> None:
    if isinstance(width, int) and width > limits.value_chars:
        raise TemplateLimit("value", f"a width over {limits.value_chars}")


def _guard_filter(name: str, limits: Limits, args: tuple, kwargs: dict) -> tuple:
    """Refuse, before it runs, a filter call whose result would be too big. Returns the
    arguments to call it with (a generator given to `join` is read into a list first)."""
    value = args[0] if args else None
    rest = args[1:]

    def arg(i, key, default=None):
        return rest[i] if len(rest) > i else kwargs.get(key, default)

    if name == "center":
        _width(limits, arg(0, "width", 80))
    elif name == "indent":
        width = arg(0, "width", 4)
        step = width if isinstance(width, int) else len(str(width))
        if isinstance(value, str) and len(value) + (value.count("\n") + 1) * step > limits.value_chars:
            raise TemplateLimit("value", f"a text longer than {limits.value_chars} characters")
    elif name == "replace" and isinstance(value, str):
        _guard_replace(limits, value, str(arg(0, "old", "")), str(arg(1, "new", "")))
    elif name in ("batch", "slice"):
        _width(limits, arg(0, "linecount" if name == "batch" else "slices", 0))
    elif name == "join":
        return (_guard_join(limits, value, arg(0, "d", "")), *rest)
    return args


def _guard_replace(limits: Limits, text: str, old: str, new: str) -> None:
    hits = text.count(old) if old else len(text) + 1
    if len(text) + hits * max(0, len(new) - len(old)) > limits.value_chars:
        raise TemplateLimit("value", f"a text longer than {limits.value_chars} characters")


def _guard_join(limits: Limits, items, separator):
    """The items to join (read into a list if they come from a generator), refused if
    the joined text would be too long."""
    if isinstance(items, str) or isinstance(items, jinja2.Undefined):
        return items
    if not isinstance(items, (list, tuple)):
        items = list(items)
        if len(items) > limits.value_items:
            raise TemplateLimit("value", f"a list longer than {limits.value_items} items")
    size = len(items) * len(str(separator)) if isinstance(separator, str) else 0
    for item in items:
        size += len(item) if isinstance(item, str) else _text_size(item, limits.value_chars)
        if size > limits.value_chars:
            break
    if size > limits.value_chars:
        raise TemplateLimit("value", f"a text longer than {limits.value_chars} characters")
    return items


def _bounded_filter(name: str, function):
    passes = _PassArg.from_obj(function) is not None

    @functools.wraps(function)
    def bounded(*args, **kwargs):
        spent = _current()
        spent.tick()
        own = args[1:] if passes else args
        if name in _TEXT_FILTERS and own:
            spent.text_of(own[0])
        own = _guard_filter(name, spent.limits, own, kwargs)
        args = (args[0], *own) if passes else own
        return spent.produced(function(*args, **kwargs))

    return bounded


# --- loops and concatenation: the syntax tree rewritten -----------------------------------

_LOOP_FILTER = "pulang_loop"
_TEXT_FILTER = "pulang_text"
_VALUE_FILTER = "pulang_value"


class _Loop:
    """A for loop's iterable: each step is counted and timed, and charged the literal text
    of the loop body. Sized when the iterable is (for `loop.length` and `loop.last`)."""

    __slots__ = ("iterable", "cost")

    def __init__(self, iterable, cost: int):
        self.iterable, self.cost = iterable, cost

    def __len__(self):
        return len(self.iterable)

    def __iter__(self):
        spent = _current()
        cost = self.cost
        for item in self.iterable:
            spent.iteration(cost)
            yield item


def _loop_filter(iterable, cost=0):
    return _Loop(iterable, cost)


def _text_filter(value):
    _current().text_of(value)
    return value


def _value_filter(value):
    return _current().produced(value)


def _body_text(body: list) -> int:
    """The literal text a loop body prints per step (nested loops charge their own)."""
    total = 0
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, nodes.TemplateData):
            total += len(node.data)
        elif isinstance(node, (nodes.For, nodes.Macro)):
            continue
        else:
            stack.extend(node.iter_child_nodes())
    return total


def _filter(node, name: str, *args):
    return nodes.Filter(node, name, list(args), [], None, None, lineno=node.lineno)


def _rewrite(tree: nodes.Template) -> nodes.Template:
    for loop in list(tree.find_all(nodes.For)):
        loop.iter = _filter(loop.iter, _LOOP_FILTER, nodes.Const(_body_text(loop.body + loop.else_)))
    for concat in list(tree.find_all(nodes.Concat)):
        concat.nodes = [_filter(part, _TEXT_FILTER) for part in concat.nodes]
    # A Concat's parent holds it in some field: wrap it where it stands.
    for parent in list(tree.find_all(nodes.Node)):
        for field in parent.fields:
            child = getattr(parent, field, None)
            if isinstance(child, nodes.Concat):
                setattr(parent, field, _filter(child, _VALUE_FILTER))
            elif isinstance(child, list):
                setattr(parent, field, [_filter(c, _VALUE_FILTER) if isinstance(c, nodes.Concat) else c
                                        for c in child])
    return tree


# --- the environment --------------------------------------------------------------------

_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _guard_binop(limits: Limits, operator: str, left, right) -> None:
    ints = (type(left) in (int, bool), type(right) in (int, bool))
    if operator == "*":
        if all(ints):
            if left.bit_length() + right.bit_length() > limits.int_bits:
                raise TemplateLimit("number", f"a number longer than {limits.int_bits} bits")
            return
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and type(times) in (int, bool):
                cap = limits.value_chars if isinstance(seq, str) else limits.value_items
                if len(seq) * max(times, 0) > cap:
                    raise TemplateLimit("value", f"a repetition longer than {cap}")
    elif operator == "**":
        if all(ints) and right > 0 and abs(left) > 1:
            if left.bit_length() * right > limits.int_bits:
                raise TemplateLimit("number", f"a number longer than {limits.int_bits} bits")
        elif isinstance(right, int) and abs(right) > limits.int_bits and not isinstance(left, float):
            raise TemplateLimit("number", f"an exponent over {limits.int_bits}")
    elif operator == "%" and isinstance(left, str):
        for width, precision in _FORMAT_SPEC.findall(left):
            for n in (width, precision):
                if n == "*" or (n and int(n) > limits.format_width):
                    raise TemplateLimit("format", f"a width over {limits.format_width} in '%' formatting")
        for item in right if isinstance(right, tuple) else (right,):
            if _text_size(item, limits.value_chars) > limits.value_chars:
                raise TemplateLimit("value", f"a text longer than {limits.value_chars} characters")


def _guard_str_method(limits: Limits, text: str, name: str, args: tuple) -> tuple:
    """Like _guard_filter, for the str methods that can make a longer text."""
    if name == "replace" and len(args) >= 2:
        _guard_replace(limits, text, str(args[0]), str(args[1]))
    elif name in ("center", "ljust", "rjust", "zfill") and args:
        _width(limits, args[0])
    elif name == "join" and args:
        return (_guard_join(limits, args[0], text), *args[1:])
    return args


class _Template(jinja2.Template):
    """Each render runs inside a budget: the caller's (render.py: one per document), or
    its own with the default limits."""

    def render(self, *args, **kwargs):
        if _CURRENT.get() is not None:
            return super().render(*args, **kwargs)
        with budget(Limits()):
            return super().render(*args, **kwargs)


def _finalize(value):
    """Every {{ }} output: measured, charged and timed."""
    spent = _CURRENT.get()
    if spent is None:  # a constant folded at compile time
        return value
    spent.tick()
    if isinstance(value, str):
        spent.charge(len(value))
    elif not isinstance(value, (int, float, decimal.Decimal, dt.date, type(None), jinja2.Undefined)):
        spent.text_of(value)
        spent.charge(_text_size(value, spent.limits.value_chars))
    return value


class SandboxEnvironment(SandboxedEnvironment):
    """Attribute access and calls by allow-list; every loop, call, operator and output
    checked against the render's budget. Compiles each template part once: docxtpl hands
    the same XML to `from_string` on every letter, and compiling it is a third of a
    letter's rendering."""

    template_class = _Template
    intercepted_binops = frozenset({"*", "**", "%", "+", "-", "/", "//"})

    def __init__(self, **options):
        super().__init__(finalize=_finalize, **options)
        self.filters = {name: _bounded_filter(name, JINJA_FILTERS[name]) for name in _JINJA_FILTERS}
        self.filters.update({name: _bounded_filter(name, f) for name, f in FILTERS.items()})
        self.filters.update({_LOOP_FILTER: _loop_filter, _TEXT_FILTER: _text_filter,
                             _VALUE_FILTER: _value_filter})
        self.globals = {"range": self._range, "dict": dict, "namespace": Namespace,
                        "cycler": Cycler, "joiner": Joiner}
        self._callable_globals = tuple(self.globals.values())

    # The syntax tree of every template compiled is rewritten (parse() alone, which the
    # upload check uses to read names, sees the template as written).
    def _generate(self, source, name, filename, defer_init=False):
        return super()._generate(_rewrite(source), name, filename, defer_init=defer_init)

    @functools.lru_cache(maxsize=64)
    def _compiled(self, source: str):
        return super().from_string(source)

    def from_string(self, source, globals=None, template_class=None):
        if globals is None and template_class is None and isinstance(source, str):
            return self._compiled(source)
        return super().from_string(source, globals, template_class)

    def _range(self, *args):
        spent = _current()
        numbers = range(*args)
        if len(numbers) > spent.limits.range_items:
            raise TemplateLimit("range", f"a range longer than {spent.limits.range_items}")
        return numbers

    # --- what may be touched ---

    def is_safe_attribute(self, obj, attr, value):
        return _allowed(obj, attr)

    def is_safe_callable(self, obj):
        if any(obj is allowed for allowed in self._callable_globals):
            return True
        if isinstance(obj, (types.BuiltinMethodType, types.MethodType)):
            owner = getattr(obj, "__self__", None)
            return owner is not None and not isinstance(owner, type) and _allowed(owner, obj.__name__)
        return isinstance(obj, (Macro, LoopContext, Joiner))

    def wrap_str_format(self, value):
        return None  # str.format is not on the list (widths: '{:>999999999}')

    # --- what it costs ---

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        spent = _current()
        spent.tick()
        if not __self.is_safe_callable(__obj):
            raise SecurityError(f"a {type(__obj).__name__} cannot be called from a template")
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (_Loop(args[0], 0), *args[1:])
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            args = _guard_str_method(spent.limits, owner, __obj.__name__, args)
        return spent.produced(__context.call(__obj, *args, **kwargs))

    def call_binop(self, context, operator, left, right):
        spent = _current()
        spent.tick()
        _guard_binop(spent.limits, operator, left, right)
        return spent.produced(self.binop_table[operator](left, right))


def make_env() -> SandboxEnvironment:
    """The environment every template is compiled in: sandboxed as above, autoescaping (a
    name typed `Siti & <Aminah>` prints as typed), strict (a misspelt name is an error,
    not a blank on a signed letter)."""
    return SandboxEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
