"""LPZero expressions: a zero-cost proxy written over primitive statistics, stored as
JSON data and evaluated by this module's own interpreter (nothing is compiled or run).

The expression space is LPZero's (Dong et al., 2024): two inputs (``act``, ``grad``,
``weight``, ``head``, ``softmax``), each through a chain of unary operations (two in
LPZero; at most ``MAX_UNARY`` here), each branch reduced to one number per layer (its
mean when it is still a tensor), joined per layer by a binary operation, and averaged
over layers into one score per network::

    {"inputs": ["grad", "weight"], "unary": [["abs", "l1_norm"], ["square", "mean"]],
     "binary": "product"}

reads ``product(l1_norm(abs(grad)), mean(square(weight)))``.

Semantics of the unary operations (LPZero's, on a tensor sample; see ``primitives``):
element-wise ones act on a tensor or a number alike; ``normalize``, ``min_max``,
``softmax`` and ``logsoftmax`` act on the whole tensor (a constant on a number);
``frobenius``, ``normalized_sum``, ``l1_norm``, ``mean`` and ``std`` reduce a tensor to a
number. ``disconnect`` drops its branch: the binary operation then returns the other
branch (``difference`` negates it when the first is dropped). LPZero's matrix product
is not offered: on the per-layer numbers it combines it is ``product``.

Evaluation is vectorised over every layer of every network of a ``PrimitiveTable``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.primitives import (
    DEFAULT_MAX_BYTES,
    GROUP,
    PRIMITIVE_NAMES,
    NetworkPrimitives,
)

#: the 21 unary operations of LPZero (its names shortened), in its order
UNARY_OPS: tuple[str, ...] = (
    "log",
    "abslog",
    "abs",
    "square",
    "exp",
    "normalize",
    "relu",
    "invert",
    "frobenius",
    "normalized_sum",
    "l1_norm",
    "softmax",
    "sigmoid",
    "logsoftmax",
    "sqrt",
    "negate",
    "min_max",
    "mean",
    "std",
    "no_op",
    "disconnect",
)
BINARY_OPS: tuple[str, ...] = ("sum", "difference", "product")
#: operations that reduce a tensor to a number
REDUCTIONS = frozenset({"frobenius", "normalized_sum", "l1_norm", "mean", "std"})
#: operations over the whole tensor, and the constant each gives on a number
WHOLE_TENSOR = {"normalize": 0.0, "min_max": 0.0, "softmax": 1.0, "logsoftmax": 0.0}
#: most unary operations per branch, and most bytes an expression file may have
MAX_UNARY = 4
MAX_FILE_BYTES = 256 * 1024
FILE_KIND = "lpzero-proxy"
#: the prefix of a proxy name that is an expression file (``lpz:FILE``)
LPZ_PREFIX = "lpz:"


def is_lpz(name: object) -> bool:
    """Whether ``name`` names an LPZero expression file (``lpz:FILE``)."""
    return isinstance(name, str) and name.startswith(LPZ_PREFIX)


@dataclass(frozen=True)
class Genome:
    """One expression: inputs, unary chains, binary operation (see the module)."""

    inputs: tuple[str, str]
    unary: tuple[tuple[str, ...], tuple[str, ...]]
    binary: str

    def branch_connected(self, b: int) -> bool:
        return "disconnect" not in self.unary[b]

    @property
    def needs(self) -> tuple[str, ...]:
        """The primitives the expression reads (its connected inputs)."""
        return tuple(dict.fromkeys(self.inputs[b] for b in (0, 1) if self.branch_connected(b)))

    def branch_text(self, b: int) -> str:
        if not self.branch_connected(b):
            return "disconnected"
        text = self.inputs[b]
        for op in self.unary[b]:
            text = text if op == "no_op" else f"{op}({text})"
        return text

    def __str__(self) -> str:
        return f"{self.binary}({self.branch_text(0)}, {self.branch_text(1)})"

    def canonical(self) -> str:
        """Equal for expressions that compute the same thing: ``no_op`` dropped, a
        disconnected branch's contents ignored, ``sum`` / ``product`` unordered."""
        branches = [
            "-"
            if not self.branch_connected(b)
            else "|".join([self.inputs[b], *[o for o in self.unary[b] if o != "no_op"]])
            for b in (0, 1)
        ]
        if self.binary in ("sum", "product"):
            branches.sort()
        return f"{self.binary}:{branches[0]}:{branches[1]}"

    def to_dict(self) -> dict:
        return {
            "inputs": list(self.inputs),
            "unary": [list(u) for u in self.unary],
            "binary": self.binary,
        }

    @classmethod
    def from_dict(cls, doc: object, where: str = "expression") -> Genome:
        """A genome from its JSON form; BadInputError naming the field otherwise."""
        if not isinstance(doc, dict) or set(doc) != {"inputs", "unary", "binary"}:
            raise BadInputError(where, "expected an object with inputs, unary and binary")
        inputs, unary, binary = doc["inputs"], doc["unary"], doc["binary"]
        if not isinstance(inputs, list) or len(inputs) != 2:
            raise BadInputError(f"{where}.inputs", "expected a list of two primitives")
        for name in inputs:
            if name not in PRIMITIVE_NAMES:
                raise BadInputError(
                    f"{where}.inputs",
                    f"unknown primitive {str(name)[:40]!r} (use {', '.join(PRIMITIVE_NAMES)})",
                )
        if not isinstance(unary, list) or len(unary) != 2:
            raise BadInputError(f"{where}.unary", "expected two lists of unary operations")
        for chain in unary:
            if not isinstance(chain, list):
                raise BadInputError(f"{where}.unary", "expected two lists of unary operations")
            if len(chain) > MAX_UNARY:
                raise BadInputError(
                    f"{where}.unary",
                    f"a branch nests {len(chain)} operations; at most {MAX_UNARY} are allowed",
                )
            for op in chain:
                if op not in UNARY_OPS:
                    raise BadInputError(
                        f"{where}.unary",
                        f"unknown operation {str(op)[:40]!r} (use {', '.join(UNARY_OPS)})",
                    )
        if binary not in BINARY_OPS:
            raise BadInputError(
                f"{where}.binary",
                f"unknown operation {str(binary)[:40]!r} (use {', '.join(BINARY_OPS)})",
            )
        return cls((inputs[0], inputs[1]), (tuple(unary[0]), tuple(unary[1])), binary)


# ---- the primitives of many networks, flat --------------------------------------------


@dataclass(frozen=True)
class _Flat:
    """One primitive over many networks: the samples end to end, one row per layer."""

    values: np.ndarray  # (E,) float64
    starts: np.ndarray  # (R,) first element of each row
    sizes: np.ndarray  # (R,) elements kept per row
    counts: np.ndarray  # (R,) elements of the full tensor per row
    row_of: np.ndarray  # (E,) the row of each element
    net: np.ndarray  # (R,) the network of each row
    layers: np.ndarray  # (n,) rows per network


class PrimitiveTable:
    """The primitives of ``n`` networks, stacked so an expression is a few numpy
    operations over all of them (``evaluate``)."""

    def __init__(self, networks: Sequence[NetworkPrimitives]) -> None:
        self.n = len(networks)
        self.flat: dict[str, _Flat] = {}
        for name in PRIMITIVE_NAMES:
            per_net = [net.layers(name) for net in networks]
            if not any(per_net):
                continue
            samples = [s for net in networks for s in net.samples.get(name, ())]
            sizes = np.array([len(s) for s in samples], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
            self.flat[name] = _Flat(
                values=np.concatenate(samples).astype(np.float64),
                starts=starts,
                sizes=sizes,
                counts=np.array([c for net in networks for c in net.counts[name]], dtype=float),
                row_of=np.repeat(np.arange(len(sizes)), sizes),
                net=np.repeat(np.arange(self.n), per_net),
                layers=np.array(per_net, dtype=np.int64),
            )
        self._pairs: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.flat)

    def missing(self, genome: Genome) -> list[str]:
        """Primitives ``genome`` reads that some network of the table lacks."""
        return [p for p in genome.needs if p not in self.flat or (self.flat[p].layers == 0).any()]

    def subset(self, rows: Sequence[int]) -> PrimitiveTable:
        """The table of the networks ``rows`` (in increasing order)."""
        keep = np.zeros(self.n, dtype=bool)
        keep[list(rows)] = True
        sub = PrimitiveTable([])
        sub.n = int(keep.sum())
        for name, f in self.flat.items():
            rows_kept = keep[f.net]
            sizes = f.sizes[rows_kept]
            sub.flat[name] = _Flat(
                values=f.values[rows_kept[f.row_of]],
                starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64),
                sizes=sizes,
                counts=f.counts[rows_kept],
                row_of=np.repeat(np.arange(len(sizes)), sizes),
                net=np.searchsorted(np.flatnonzero(keep), f.net[rows_kept]),
                layers=f.layers[keep],
            )
        return sub

    def pairs(self, a: str, b: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of a, rows of b, network) paired layer by layer (LPZero's ``zip``: the
        shorter list of a network decides)."""
        if (a, b) not in self._pairs:
            fa, fb = self.flat[a], self.flat[b]
            if GROUP[a] == GROUP[b]:
                rows = np.arange(len(fa.sizes))
                self._pairs[(a, b)] = (rows, rows, fa.net)
            else:
                m = np.minimum(fa.layers, fb.layers)
                first_a = np.concatenate([[0], np.cumsum(fa.layers)[:-1]])
                first_b = np.concatenate([[0], np.cumsum(fb.layers)[:-1]])
                net = np.repeat(np.arange(self.n), m)
                k = np.arange(len(net)) - np.repeat(np.cumsum(m) - m, m)
                self._pairs[(a, b)] = (first_a[net] + k, first_b[net] + k, net)
        return self._pairs[(a, b)]


def _row_mean(f: _Flat, x: np.ndarray) -> np.ndarray:
    return np.add.reduceat(x, f.starts) / f.sizes


def _row_std(f: _Flat, x: np.ndarray) -> np.ndarray:
    mean = _row_mean(f, x)
    ss = np.add.reduceat((x - mean[f.row_of]) ** 2, f.starts)
    return np.sqrt(ss / np.where(f.sizes > 1, f.sizes - 1, np.nan))


def _elementwise(op: str, x: np.ndarray) -> np.ndarray:
    if op == "log":
        return np.log(np.where(x > 0, x, 1.0) + 1e-9)
    if op == "abslog":
        return np.log(np.abs(np.where(x == 0, 1.0, x)))
    if op == "abs":
        return np.abs(x)
    if op == "square":
        return x * x
    if op == "exp":
        return np.exp(x)
    if op == "relu":
        return np.maximum(x, 0.0)
    if op == "invert":
        return 1.0 / (x + 1e-9)
    if op == "sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if op == "sqrt":
        return np.sqrt(np.maximum(x, 0.0))
    if op == "negate":
        return -x
    return x  # no_op


def _whole(op: str, f: _Flat, x: np.ndarray) -> np.ndarray:
    """A whole-tensor operation on every row's sample (sums scaled to the full tensor)."""
    if op == "normalize":
        z = (x - _row_mean(f, x)[f.row_of]) / _row_std(f, x)[f.row_of]
        return np.where(np.isnan(z), 0.0, z)
    if op == "min_max":
        lo, hi = np.minimum.reduceat(x, f.starts), np.maximum.reduceat(x, f.starts)
        return (x - lo[f.row_of]) / (hi - lo + 1e-9)[f.row_of]
    shifted = x - np.maximum.reduceat(x, f.starts)[f.row_of]
    total = np.add.reduceat(np.exp(shifted), f.starts) * (f.counts / f.sizes)
    if op == "softmax":
        return np.exp(shifted) / total[f.row_of]
    return shifted - np.log(total)[f.row_of]  # logsoftmax


def _reduce(op: str, f: _Flat, x: np.ndarray) -> np.ndarray:
    if op == "frobenius":
        return np.sqrt(np.add.reduceat(x * x, f.starts) * (f.counts / f.sizes))
    if op == "l1_norm":
        return _row_mean(f, np.abs(x))
    if op == "std":
        return _row_std(f, x)
    return _row_mean(f, x)  # mean, normalized_sum (sum / numel)


def _on_number(op: str, a: np.ndarray) -> np.ndarray:
    if op in WHOLE_TENSOR:
        return np.full_like(a, WHOLE_TENSOR[op])
    if op in ("frobenius", "l1_norm"):
        return np.abs(a)
    if op == "std":
        return np.full_like(a, np.nan)  # the spread of one number (torch: NaN)
    if op in ("mean", "normalized_sum"):
        return a
    return _elementwise(op, a)


def branch_values(table: PrimitiveTable, name: str, ops: Sequence[str]) -> np.ndarray:
    """One number per layer row of primitive ``name`` after the unary chain ``ops``."""
    f = table.flat[name]
    x: np.ndarray | None = f.values
    number: np.ndarray | None = None
    for op in ops:
        if number is not None:
            number = _on_number(op, number)
        elif op in REDUCTIONS:
            number, x = _reduce(op, f, x), None
        elif op in WHOLE_TENSOR:
            x = _whole(op, f, x)
        else:
            x = _elementwise(op, x)
    return number if number is not None else _row_mean(f, x)


def evaluate(genome: Genome, table: PrimitiveTable) -> np.ndarray:
    """The expression's score for each network of ``table`` (NaN: no layer to score)."""
    missing = table.missing(genome)
    if missing:
        raise BadInputError(
            f"lpzero expression {genome}",
            f"needs {', '.join(missing)}, which the networks do not have "
            f"(they have {', '.join(table.names) or 'nothing'})",
        )
    live = [b for b in (0, 1) if genome.branch_connected(b)]
    if not live:
        return np.full(table.n, np.nan)
    with np.errstate(all="ignore"):
        if len(live) == 1:
            b = live[0]
            name = genome.inputs[b]
            per_row = branch_values(table, name, genome.unary[b])
            if genome.binary == "difference" and b == 1:
                per_row = -per_row
            net = table.flat[name].net
        else:
            a, b = genome.inputs
            ra, rb, net = table.pairs(a, b)
            va = branch_values(table, a, genome.unary[0])[ra]
            vb = branch_values(table, b, genome.unary[1])[rb]
            per_row = {"sum": np.add, "difference": np.subtract, "product": np.multiply}[
                genome.binary
            ](va, vb)
        total = np.bincount(net, weights=per_row, minlength=table.n)
        layers = np.bincount(net, minlength=table.n)
        return np.where(layers > 0, total / np.maximum(layers, 1), np.nan)


# ---- an expression file ----------------------------------------------------------------


@dataclass(frozen=True)
class LPZeroProxy:
    """A stored expression and the pass settings it was found with: ``score(net,
    batch)`` scores one network the way the search scored its fitness set."""

    genome: Genome
    max_bytes: int = DEFAULT_MAX_BYTES
    seed: int = 0
    path: str = ""
    digest: str = ""
    #: the batch it was found on, when synthetic ({kind, size, seed, shape}); else None
    batch_spec: dict | None = None
    #: seconds of one primitive pass measured by the search (charged as its cost)
    seconds: float = float("nan")

    @property
    def name(self) -> str:
        return f"{LPZ_PREFIX}{self.path}"

    @classmethod
    def load(cls, path: str | Path) -> LPZeroProxy:
        """The expression of a ``proxy.json`` (``evolve-proxy --from primitives``)."""
        return load_proxy(path)

    def score(self, net, batch) -> float:
        from nas_surrogate.proxies.primitives import primitive_pass

        prims = primitive_pass(net, batch, max_bytes=self.max_bytes, seed=self.seed)
        table = PrimitiveTable([prims])
        if table.missing(self.genome):
            from nas_surrogate.proxies.base import ProxyNotApplicable

            raise ProxyNotApplicable(f"it needs {', '.join(table.missing(self.genome))}")
        return float(evaluate(self.genome, table)[0])


def read_proxy_file(path: str | Path) -> dict:
    """The JSON object of an expression file, checked for size and kind (data only)."""
    from nas_surrogate.io import read_regular

    where = str(path)
    try:
        raw = read_regular(Path(path), MAX_FILE_BYTES, "an LPZero proxy file")
        doc = json.loads(raw)
    except OSError as e:
        raise BadInputError(where, f"cannot be read ({e.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise BadInputError(where, f"not an LPZero proxy file ({str(e)[:80]})") from None
    if not isinstance(doc, dict) or doc.get("kind") != FILE_KIND:
        raise BadInputError(where, f'not an LPZero proxy file (expected "kind": "{FILE_KIND}")')
    return doc


def load_proxy(path: str | Path) -> LPZeroProxy:
    """Read ``path`` (``evolve-proxy --from primitives`` wrote it): BadInputError naming
    the file and field for anything that is not a valid expression."""
    doc = read_proxy_file(path)
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:16]
    return _load_cached(str(path), digest, json.dumps(doc))


@lru_cache(maxsize=64)
def _load_cached(path: str, digest: str, text: str) -> LPZeroProxy:
    doc = json.loads(text)
    genome = Genome.from_dict(doc.get("expression"), f"{path}: expression")
    settings = doc.get("pass", {})
    if not isinstance(settings, dict):
        raise BadInputError(f"{path}: pass", "expected an object")
    max_bytes, seed = settings.get("max_bytes", DEFAULT_MAX_BYTES), settings.get("seed", 0)
    for field_name, value in (("max_bytes", max_bytes), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            where = f"{path}: pass.{field_name}"
            raise BadInputError(where, f"expected an integer >= 0, got {value!r}")
    spec = settings.get("batch_spec")
    if spec is not None and not (
        isinstance(spec, dict)
        and spec.get("kind") == "synthetic"
        and all(isinstance(spec.get(k), int) and spec[k] >= 0 for k in ("size", "seed"))
        and isinstance(spec.get("shape"), list)
        and 1 <= len(spec["shape"]) <= 4
        and all(isinstance(d, int) and 0 < d <= 4096 for d in spec["shape"])
    ):
        raise BadInputError(
            f"{path}: pass.batch_spec", "expected a synthetic batch {kind, size, seed, shape}"
        )
    seconds = settings.get("seconds_per_network", float("nan"))
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
        raise BadInputError(f"{path}: pass.seconds_per_network", "expected a number >= 0")
    return LPZeroProxy(genome, int(max_bytes), int(seed), path, digest, spec, float(seconds))


def attention_needs(name: str) -> list[str]:
    """The attention primitives (``head``, ``softmax``) an ``lpz:FILE`` proxy reads; none
    for any other proxy name."""
    if not is_lpz(name):
        return []
    return sorted({"head", "softmax"} & set(proxy_from_name(name).genome.needs))


def refuse_on_nb201(name: str, where: str) -> None:
    """BadInputError when ``name`` reads attention maps: NB201 networks have none (their
    every score would be NaN)."""
    need = attention_needs(name)
    if need:
        raise BadInputError(where, f"{name} reads {', '.join(need)} (attention maps), which "
                            "NB201 networks do not have")  # fmt: skip


def proxy_from_name(name: str) -> LPZeroProxy:
    """The expression a ``lpz:FILE`` proxy name points to."""
    path = name[len(LPZ_PREFIX) :]
    if not path:
        raise BadInputError(f"proxy {name!r}", "write lpz:FILE (a proxy.json of evolve-proxy)")
    return load_proxy(path)


__all__ = [
    "BINARY_OPS",
    "LPZ_PREFIX",
    "UNARY_OPS",
    "Genome",
    "LPZeroProxy",
    "PrimitiveTable",
    "evaluate",
    "is_lpz",
    "load_proxy",
    "proxy_from_name",
]
