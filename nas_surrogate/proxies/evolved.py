"""Evolved proxies: symbolic expressions over the hand-crafted proxies, stored as text and
read back with a parser of our own.

An expression is data, never code. ``parse_expression`` accepts exactly the grammar

    expr := TERMINAL | NUMBER | OP "(" expr ("," expr)* ")"

where ``OP`` is one of ``OPERATORS`` with its fixed arity and ``TERMINAL`` one of the
expression's declared proxies; anything else (attribute access, subscripts, keywords,
``**``, comprehensions, unknown names) is refused with the offending token named. Length,
node count and depth are bounded before any array is touched, and every operator is a
numpy ufunc on arrays of the benchmark's size, so no expression can allocate more than a
few arrays of that size or run for long. The same evaluator scores the trees of the GP
loop (``analysis.evolve``), so nothing in the package compiles expression text.

Terminals are the proxies rank-normalised to [0, 1] over all rows of the task (needs no
labels; a missing score counts as 0.5).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxy_names import PROXY_NAMES

#: longest expression text, most nodes and deepest nesting a file may hold
MAX_CHARS = 20_000
MAX_NODES = 2_000
MAX_DEPTH = 64


def _div(a, b):
    with np.errstate(all="ignore"):
        return np.where(np.abs(b) > 1e-9, a / np.where(np.abs(b) > 1e-9, b, 1.0), 1.0)


def _log(a):
    with np.errstate(all="ignore"):
        return np.log(np.abs(a) + 1e-9)


def _sqrt(a):
    return np.sqrt(np.abs(a))


#: name -> (numpy function, arity); the only operators an expression may use
PRIMITIVES = {
    "add": (np.add, 2),
    "sub": (np.subtract, 2),
    "mul": (np.multiply, 2),
    "div": (_div, 2),
    "log": (_log, 1),
    "sqrt": (_sqrt, 1),
    "abs": (np.abs, 1),
    "neg": (np.negative, 1),
    "min": (np.minimum, 2),
    "max": (np.maximum, 2),
}
OPERATORS = tuple(PRIMITIVES)

#: one node of a prefix-ordered tree: ("op", name, arity), ("term", name, 0), ("num", text, 0)
Node = tuple[str, str, int]

_TOKEN = re.compile(r"\s*(?:(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]{1,3})?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[(),]))")  # fmt: skip


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def parse_expression(text: str, terminals: list[str], ops: list[str]) -> list[Node]:
    """Prefix node list of ``text``; BadInputError naming the first token that is not
    an allowed operator, terminal, number, parenthesis or comma."""
    where = f"evolved expression {_short(text)!r}"
    if not isinstance(text, str) or not text.strip():
        raise BadInputError(where, "expected a non-empty expression")
    if len(text) > MAX_CHARS:
        raise BadInputError(where, f"longer than {MAX_CHARS} characters")
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise BadInputError(where, f"unexpected text {_short(text[pos:].strip(), 20)!r}")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    nodes: list[Node] = []

    def expr(i: int, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise BadInputError(where, f"nested deeper than {MAX_DEPTH}")
        if len(nodes) >= MAX_NODES:
            raise BadInputError(where, f"more than {MAX_NODES} nodes")
        if i >= len(tokens):
            raise BadInputError(where, "ends too early")
        kind, value = tokens[i]
        if kind == "num":
            if not math.isfinite(float(value)):
                raise BadInputError(where, f"number {value!r} is not finite")
            nodes.append(("num", value, 0))
            return i + 1
        if kind != "name":
            raise BadInputError(where, f"unexpected {value!r}")
        if i + 1 < len(tokens) and tokens[i + 1] == ("punct", "("):
            if value not in ops or value not in PRIMITIVES:
                raise BadInputError(where, f"unknown operator {value!r} (use {', '.join(ops)})")
            arity = PRIMITIVES[value][1]
            nodes.append(("op", value, arity))
            i += 2
            for k in range(arity):
                i = expr(i, depth + 1)
                want = "," if k < arity - 1 else ")"
                if i >= len(tokens) or tokens[i] != ("punct", want):
                    raise BadInputError(where, f"{value} takes {arity} argument(s)")
                i += 1
            return i
        if value not in terminals:
            known = ", ".join(terminals)
            raise BadInputError(where, f"unknown name {value!r} (terminals: {known})")
        nodes.append(("term", value, 0))
        return i + 1

    end = expr(0, 0)
    if end != len(tokens):
        raise BadInputError(where, f"unexpected {tokens[end][1]!r} after the expression")
    return nodes


def format_nodes(nodes: list[Node]) -> str:
    """The text form of a prefix node list (DEAP's spelling: ``add(nwot, synflow)``)."""

    def build(i: int) -> tuple[str, int]:
        kind, name, arity = nodes[i]
        if kind != "op":
            return name, i + 1
        args, j = [], i + 1
        for _ in range(arity):
            text, j = build(j)
            args.append(text)
        return f"{name}({', '.join(args)})", j

    return build(0)[0]


def evaluate_nodes(nodes: list[Node], columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The expression on arrays: ``columns`` maps each terminal to a length-``n`` array."""

    def walk(i: int) -> tuple[np.ndarray, int]:
        kind, name, arity = nodes[i]
        if kind == "term":
            return columns[name], i + 1
        if kind == "num":
            return np.full(n, float(name)), i + 1
        fn = PRIMITIVES[name][0]
        args, j = [], i + 1
        for _ in range(arity):
            value, j = walk(j)
            args.append(value)
        return fn(*args), j

    with np.errstate(all="ignore"):
        return np.asarray(walk(0)[0], dtype=float) * np.ones(n)


def rank_terminals(bench, proxies: list[str]) -> np.ndarray:
    """(n, p) proxy ranks scaled to [0, 1] over all rows; NaN -> 0.5."""
    cols = []
    for p in proxies:
        x = bench.proxy_columns([p])[:, 0]
        ok = np.isfinite(x)
        r = np.full(len(x), 0.5)
        if ok.sum() > 1:
            r[ok] = (stats.rankdata(x[ok]) - 1) / (ok.sum() - 1)
        cols.append(r)
    return np.column_stack(cols)


def _names(value: object, allowed: tuple[str, ...], field: str, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInputError(f"{where}: {field}", "expected a list of names")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise BadInputError(f"{where}: {field}", f"unknown {_short(unknown[0], 30)!r}")
    return list(value)


@dataclass
class EvolvedProxy:
    """A stored expression: enough to evaluate it on any benchmark with its proxies."""

    expression: str
    terminals: list[str]
    ops: list[str]
    evolved_on: str
    seed: int
    tau_sample: float
    tau_rest: float
    size: int
    pruned: dict[str, int]
    evaluated: int
    seconds: float
    seconds_saved_estimate: float

    def __post_init__(self) -> None:
        where = "evolved proxy"
        self.terminals = _names(self.terminals, PROXY_NAMES, "terminals", where)
        self.ops = _names(self.ops, OPERATORS, "ops", where)
        self.nodes = parse_expression(self.expression, self.terminals, self.ops)

    def save(self, path: Path) -> None:
        from nas_surrogate.io import write_json_atomic

        write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: str | Path) -> EvolvedProxy:
        """Read and validate a stored expression (the file is data: it is parsed, never run)."""
        try:
            from nas_surrogate.io import read_regular

            raw = read_regular(Path(path), MAX_CHARS * 4, "an evolved-proxy file")
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise BadInputError(str(path), "expected a JSON object")
            return cls(**doc)
        except OSError as e:
            raise BadInputError(str(path), f"cannot be read ({e.strerror})") from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError, TypeError) as e:
            why = _short(str(e), 80)
            raise BadInputError(str(path), f"not an evolved-proxy file ({why})") from None
        except BadInputError as e:
            raise BadInputError(f"{path}: {e.where}", e.why) from None

    def score(self, bench) -> np.ndarray:
        """The expression on every row of ``bench`` (needs its terminal proxies)."""
        missing = [t for t in self.terminals if t not in bench.proxy_names]
        if missing:
            raise BadInputError(
                f"evolved proxy {_short(self.expression)!r}",
                f"needs {', '.join(missing)}, which {bench.id} does not have",
            )
        X = rank_terminals(bench, self.terminals)
        values = evaluate_nodes(self.nodes, dict(zip(self.terminals, X.T)), len(X))
        if len(values) and not np.isfinite(values).any():
            raise BadInputError(
                f"evolved proxy {_short(self.expression)!r}",
                f"is not a finite number for any of the {len(values)} networks of {bench.id}",
            )
        return values


__all__ = [
    "OPERATORS",
    "PRIMITIVES",
    "EvolvedProxy",
    "evaluate_nodes",
    "format_nodes",
    "parse_expression",
    "rank_terminals",
]
