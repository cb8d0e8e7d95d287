"""Safe YAML reading that remembers where every key and value came from.

PyYAML composes a node tree; we construct plain Python values from it ourselves so that we
can reject duplicate keys, refuse merge keys and custom tags, bound alias expansion (the
"billion laughs"), and record the line and column of every dotted path for error messages.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError
from sim.store.inputs import Unreadable, read_input

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 50
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Loader(yaml.SafeLoader):
    """The safe loader, also reading YAML 1.2 numbers (``5e-1``, ``1e-3``, ``1.0e7``) as floats.

    PyYAML resolves scalars by YAML 1.1 rules, where an exponent needs a dot and a signed
    power, so ``5e-1`` would be the string "5e-1".
    """


class _Dumper(yaml.SafeDumper):
    """The safe dumper, quoting strings the loader above would read as numbers."""


_FLOAT_12 = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
for _cls in (_Loader, _Dumper):
    _cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_12, list("-+0123456789."))

# YAML 1.1 leftovers PyYAML keeps: ``010`` is octal 8 and ``1:30`` sexagesimal 90. Under YAML
# 1.2, as everywhere else here, ``010`` is the decimal 10 and ``1:30`` is text (refused where a
# number is expected). The loader resolves integers and floats by 1.2 patterns (``0o``/``0x``
# prefixes, ``_`` separators still read) and reads a leading zero as decimal.
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_INT_12 = re.compile(r"^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT_DOT = re.compile(r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?"
                        r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                        r"|\.(?:nan|NaN|NAN))$")
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT) or rx is _FLOAT_12]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_INT, _INT_12, list("-+0123456789"))
_Loader.add_implicit_resolver(_FLOAT, _FLOAT_DOT, list("-+0123456789."))
_Dumper.add_implicit_resolver(_INT, _INT_12, list("-+0123456789"))  # quoted where 1.2 reads
_Dumper.add_implicit_resolver(_FLOAT, _FLOAT_DOT, list("-+0123456789."))  # a number


def _int_12(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    digits = text.lstrip("+-")
    if digits[:2] in ("0b", "0o", "0x"):
        return int(text, 0)
    return int(text, 10)  # a leading zero is decimal (YAML 1.2), not octal


_Loader.add_constructor(_INT, _int_12)

# libyaml's parser, where PyYAML was built with it, reads a scenario about twenty times faster
# (the flagship's 38 KB: 9 ms against 160 ms). Its nodes carry the same tags (the resolver
# above, in Python, resolves them), values and marks; tests/test_yaml_parsers.py holds the
# two to the same trees. Only text that it reads whole takes this way: anything it refuses,
# and text with a character the two might count or accept differently, is read again by
# PyYAML's parser, so that every error and its message are PyYAML's, as before.
def _libyaml_loader() -> type | None:
    """:class:`_Loader`'s resolvers on libyaml's parser (scalars are built by
    :class:`_Builder` with :class:`_Loader`, whichever parser composed them); None without
    libyaml."""
    if not getattr(yaml, "__with_libyaml__", False):
        return None

    class _CLoader(yaml.CSafeLoader):  # type: ignore[name-defined,misc]
        pass

    _CLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
    return _CLoader


_C_LOADER = _libyaml_loader()

# What PyYAML's reader refuses, the line breaks beyond \n that YAML 1.1 adds (NEL, the
# Unicode line and paragraph separators), carriage returns, byte order marks, tabs, tags (!)
# and directives (% at a line's start): text with any of them takes PyYAML's way (libyaml
# reads "!<tab>" as a tag where PyYAML refuses it, for one; no scenario needs any of them).
_PYYAML_ONLY = re.compile("[^\x0A\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
                          "|[\u2028\u2029\uFEFF!]|^%", re.MULTILINE)


def dump(data: Any, **options: Any) -> str:
    """YAML text that this module reads back as ``data`` (``yaml.safe_dump`` options)."""
    return yaml.dump(data, Dumper=_Dumper, **options)

Loc = tuple[str | int, ...]


def plain(value: Any) -> Any:
    """``value`` with numpy and pandas scalars and arrays (and anything else offering
    ``tolist``, ``item`` or ``to_dict``) turned into plain Python numbers, lists and dicts,
    recursively; everything else as it is."""
    if type(value) in (str, bytes, bool, int, float) or value is None:
        return value  # exactly these: numpy's float64 is a float PyYAML cannot write
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    for method in ("tolist", "item", "to_dict"):  # ndarray/Series/np scalar, np scalar, mapping
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return plain(convert())
            except (TypeError, ValueError):
                continue
    return value


def flow(value: Any) -> str:
    """A value as one line of YAML flow text (what ``--set PATH=...`` reads back); numpy and
    pandas numbers and arrays are written as plain numbers and lists."""
    value = plain(value)
    if type(value) is int or (type(value) is float and math.isfinite(value)):
        return repr(value)  # what the dump gives, read back the same, without the emitter
    return str(dump(value, default_flow_style=True).strip().removesuffix("...").strip())


@dataclass
class Document:
    """A YAML document as plain data plus the position of each path in the source."""

    data: Any
    source: str
    text: str
    marks: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    # values set from outside the file (--set, a design row): path -> the assignment's text
    edits: dict[tuple[str, ...], str] = field(default_factory=dict)

    def position(self, loc: Loc) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the deepest known prefix of ``loc``."""
        for end in range(len(loc), -1, -1):
            mark = self.marks.get(tuple(loc[:end]))
            if mark is not None:
                return mark
        return None, None

    def problem(self, loc: Loc, message: str) -> Problem:
        """The problem at ``loc``, blamed on the assignment that set it (or set a value
        inside it, or a block around it) when one did, else on the file's line."""
        edit = self.edit_at(loc)
        if edit is not None:
            return Problem(edit, None, None, dotted(loc), message)
        line, col = self.position(loc)
        return Problem(self.source, line, col, dotted(loc), message)

    def edit_at(self, loc: Loc) -> str | None:
        """The assignment that set ``loc``, a value inside it or a block around it."""
        key = tuple(str(x) for x in loc)
        for path, text in self.edits.items():
            n = min(len(key), len(path))
            if key and key[:n] == path[:n]:
                return text
        return None


def dotted(loc: Loc) -> str:
    """Render a location tuple as ``a.b[2].c``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def read_file(path: str | Path) -> Document:
    """Read and parse a YAML file safely.

    Raises:
        ScenarioError: the file is missing, too large, not UTF-8, or not valid YAML.
    """
    source = str(path)
    try:
        raw = read_input(path, MAX_BYTES, "scenario file")
    except Unreadable as exc:
        raise _fail(source, exc.reason) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(source, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    return parse_text(text, source)


def yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, int | None, str]:
    """Where PyYAML failed (line and column from 1; None when it does not say) and what, in
    one line rather than PyYAML's quoted excerpt."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return line, col, str(exc.problem or exc.context)
    return None, None, str(exc).splitlines()[0]


def parse_text(text: str, source: str = "<string>") -> Document:
    """Parse YAML text into a :class:`Document`.

    Raises:
        ScenarioError: the text is not a single valid YAML document.
    """
    if "\x00" in text:
        raise _fail(source, "binary data (NUL byte), expected YAML text")
    try:
        nodes = _fast(text, source)
        if nodes is None:
            _check_depth(text, source, _Loader)
            nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.reader.ReaderError as exc:  # a control character: one line, no PyYAML quote
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _fail(source, f"invalid YAML: character U+{code:04X} at position "
                    f"{exc.position} is not allowed (a control character?)") from None
    except yaml.YAMLError as exc:
        line, col, what = yaml_problem(exc)
        raise ScenarioError([Problem(source, line, col, "", f"invalid YAML: {what}")]) from None
    except RecursionError:
        raise _fail(source, "YAML nested too deeply") from None
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        raise _fail(source, "file is empty; expected a scenario mapping")
    if len(nodes) > 1:
        line = nodes[1].start_mark.line + 1
        raise ScenarioError([Problem(source, line, 1, "", "more than one YAML document")])
    doc = Document(data=None, source=source, text=text)
    doc.data = _Builder(doc).build(nodes[0], ())
    return doc


def parse_value(text: str, source: str) -> Any:
    """One value given on the command line or in a design cell, read like a scenario file.

    The same limits apply as to files (depth, aliases, tags, size), so ``[`` * 20000 is
    refused rather than overflowing the stack; an empty text is None.

    Raises:
        ScenarioError: the text is not a valid YAML value.
    """
    if not text.strip():
        return None
    number = _plain_number(text)
    if number is not None:
        return number
    if len(text) > MAX_BYTES:
        raise _fail(source, f"value is {len(text)} characters; at most {MAX_BYTES}")
    return parse_text(text, source).data


_PLAIN_INT = re.compile(r"^[-+]?[0-9]{1,18}$")
_PLAIN_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?$")


def _plain_number(text: str) -> int | float | None:
    """A plain decimal number read at once, as the loader above reads it (a sweep's 100,000
    points or a design's rows would otherwise each go through the YAML parser); None for
    anything else, including a number too large to be finite."""
    if len(text) > 40:
        return None
    if _PLAIN_INT.match(text):
        return int(text)
    if _PLAIN_FLOAT.match(text):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def _fast(text: str, source: str) -> list[yaml.Node] | None:
    """The documents' nodes by libyaml's parser, or None where PyYAML's must read the text
    (no libyaml, a character outside what both read alike, or text libyaml refuses: PyYAML
    then raises its own error). Deep nesting is refused first, as on PyYAML's way."""
    if _C_LOADER is None or _PYYAML_ONLY.search(text):
        return None
    try:
        _check_depth(text, source, _C_LOADER)
        return list(yaml.compose_all(text, Loader=_C_LOADER))
    except yaml.YAMLError:
        return None


def _check_depth(text: str, source: str, loader: type) -> None:
    """Refuse deep nesting before composing, which would recurse once per level."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                assert mark is not None
                raise ScenarioError([Problem(source, mark.line + 1, mark.column + 1, "",
                                             f"nested more than {MAX_DEPTH} levels deep")])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _not_finite(text: str) -> str:
    if text.lstrip("+-").lower() in (".inf", ".nan"):
        return (f"{text} is not a finite number; give a number (or leave the field out for "
                "its default)")
    return f"{text[:40]} is out of range (a number must be below about 1.8e308 in size)"


def _fail(source: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(source, None, None, "", message)])


class _Builder:
    """Turns a composed node tree into plain data, recording marks."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self.loader = _Loader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, loc, f"document expands to more than {MAX_NODES} nodes "
                              "(aliases too deeply nested?)")
        self.doc.marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        if len(loc) > MAX_DEPTH:
            raise self._error(node, loc, f"nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise self._error(node, loc, f"tag {node.tag!r} is not allowed")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, loc + (i,)) for i, item in enumerate(node.value)]
        return self._scalar(node, loc)

    def _mapping(self, node: yaml.MappingNode, loc: Loc) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._error(key_node, loc, "merge keys (<<) are not supported")
            key = self._scalar(key_node, loc) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self._error(key_node, loc, f"keys must be text, got {key_node.value!r}")
            if key in out:
                raise self._error(key_node, loc + (key,), f"duplicate key {key!r}")
            self.doc.marks[loc + (key,)] = (key_node.start_mark.line + 1,
                                            key_node.start_mark.column + 1)
            out[key] = self.build(value_node, loc + (key,))
        return out

    def _scalar(self, node: yaml.Node, loc: Loc) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self._error(node, loc, f"cannot read value: {exc.problem}") from None
        except (ValueError, OverflowError) as exc:
            raise self._error(node, loc, f"cannot read value: {exc}") from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self._error(node, loc, _not_finite(str(node.value)))
        if isinstance(value, str) and _SURROGATE.search(value):
            raise self._error(node, loc, "a lone surrogate escape (\\ud800-\\udfff) is not "
                              "text; write the character itself")
        return value

    def _error(self, node: yaml.Node, loc: Loc, message: str) -> ScenarioError:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        return ScenarioError([Problem(self.doc.source, line, col, dotted(loc), message)])
