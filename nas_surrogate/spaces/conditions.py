"""The small grammar of a user space's conditions and forbidden rules, parsed without eval.

A rule is clauses joined by ``and`` (all must hold) or ``or`` (any; ``and`` binds tighter):

    depth >= 5
    act == gelu and depth == 1
    norm in [batch, layer] or depth > 6

A clause is ``NAME OP VALUE`` with OP one of ``== != < <= > >= in`` (``not in`` too);
VALUE is a number, ``true`` / ``false``, a bare word or a quoted string, or for ``in`` a
bracketed list of those. Names and values are data: the text is tokenised and compared,
never executed. A clause on a dimension that is inactive (absent from the configuration)
is false, so ``width_5`` under ``depth >= 5`` is simply absent when depth is 3.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass

from nas_surrogate.errors import BadInputError

#: longest rule text parsed (bounds the work a file can ask for)
MAX_RULE_CHARS = 2_000
_TOKEN = re.compile(
    r"\s*(?:(?P<op>==|!=|<=|>=|<|>)|(?P<list>\[[^\]]*\])|(?P<quoted>'[^']*'|\"[^\"]*\")"
    r"|(?P<word>[^\s\[\]=!<>'\"]+))"
)
_COMPARE = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
Value = str | int | float | bool


def parse_value(text: str) -> Value:
    """A literal of the grammar: ``true``/``false``, an int, a float, else the string."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def _same(a: object, b: object) -> bool:
    """Equality across YAML's types: 1 == 1.0, but True is no number and "8" is not 8."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return type(a) is type(b) and a == b


@dataclass(frozen=True)
class Clause:
    name: str
    op: str  # one of _COMPARE, "in", "not in"
    value: Value | tuple[Value, ...]

    def holds(self, config: Mapping[str, object]) -> bool:
        if self.name not in config:
            return False
        have = config[self.name]
        if self.op in ("in", "not in"):
            found = any(_same(have, v) for v in self.value)  # type: ignore[union-attr]
            return found if self.op == "in" else not found
        if self.op == "==":
            return _same(have, self.value)
        if self.op == "!=":
            return not _same(have, self.value)
        numbers = (int, float)
        if isinstance(have, bool) or isinstance(self.value, bool):
            return False
        if isinstance(have, numbers) != isinstance(self.value, numbers):
            return False
        try:
            return bool(_COMPARE[self.op](have, self.value))
        except TypeError:
            return False

    def __str__(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.name} {self.op} [{', '.join(map(str, self.value))}]"
        return f"{self.name} {self.op} {self.value}"


@dataclass(frozen=True)
class Rule:
    """Clauses in disjunctive normal form: any group holds when all its clauses do."""

    text: str
    groups: tuple[tuple[Clause, ...], ...]

    @property
    def names(self) -> set[str]:
        return {c.name for g in self.groups for c in g}

    def holds(self, config: Mapping[str, object]) -> bool:
        return any(all(c.holds(config) for c in g) for g in self.groups)


def parse_rule(text: object, where: str) -> Rule:
    """A rule from its text; BadInputError naming ``where`` and the part that fails."""
    if not isinstance(text, str) or not text.strip():
        raise BadInputError(where, f"must be a rule such as 'depth >= 5', got {text!r}")
    if len(text) > MAX_RULE_CHARS:
        raise BadInputError(where, f"longer than {MAX_RULE_CHARS} characters")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise BadInputError(where, f"cannot read {text[pos:].strip()!r} in {text!r}")
        kind = m.lastgroup or "word"
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    groups: list[tuple[Clause, ...]] = []
    clauses: list[Clause] = []
    i = 0
    while True:
        clause, i = _clause(tokens, i, text, where)
        clauses.append(clause)
        if i == len(tokens):
            break
        joiner = tokens[i][1].lower() if tokens[i][0] == "word" else ""
        if joiner not in ("and", "or") or i + 1 == len(tokens):
            raise BadInputError(where, f"expected 'and' or 'or' after {clause} in {text!r}")
        if joiner == "or":
            groups.append(tuple(clauses))
            clauses = []
        i += 1
    groups.append(tuple(clauses))
    return Rule(text.strip(), tuple(groups))


def _clause(tokens: list[tuple[str, str]], i: int, text: str, where: str) -> tuple[Clause, int]:
    bad = BadInputError(where, f"expected NAME OP VALUE (OP: ==, !=, <, <=, >, >=, in) in {text!r}")
    if i >= len(tokens) or tokens[i][0] != "word":
        raise bad
    name = tokens[i][1]
    kind, op = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
    step = 2
    if kind == "word" and op.lower() == "not" and i + 2 < len(tokens):
        if tokens[i + 2] != ("word", "in"):
            raise bad
        op, step = "not in", 3
    elif kind == "word" and op.lower() == "in":
        op = "in"
    elif kind != "op":
        raise bad
    if i + step >= len(tokens):
        raise bad
    vkind, vtext = tokens[i + step]
    if op in ("in", "not in"):
        if vkind != "list":
            raise BadInputError(where, f"'{op}' takes a list such as [a, b] in {text!r}")
        items = [s.strip() for s in vtext[1:-1].split(",") if s.strip()]
        if not items:
            raise BadInputError(where, f"an empty list after '{op}' in {text!r}")
        value: Value | tuple[Value, ...] = tuple(parse_value(s) for s in items)
    elif vkind in ("word", "quoted"):
        value = parse_value(vtext)
        if vkind == "word" and vtext.lower() in ("and", "or"):
            raise bad
    else:
        raise bad
    return Clause(name, op, value), i + step + 1
