"""``Space``: a search space as data, named dimensions with conditions, never enumerated.

A user declares the family of models they search over in Python or YAML::

    dimensions:
      depth:   {type: int, low: 1, high: 8}
      width_1: {type: choice, values: [8, 16, 32, 64]}
      width_5: {type: choice, values: [8, 16, 32, 64], when: "depth >= 5"}
      act:     {type: choice, values: [relu, gelu, silu]}
      lr:      {type: float, low: 1.0e-4, high: 1.0e-1, log: true}
    forbidden: ["act == gelu and depth == 1"]

A configuration is a plain dict of its *active* dimensions (a conditional dimension whose
``when`` does not hold is absent), in declaration order. Everything a searcher does to
configurations (sample, mutate, neighbours, cross over, encode, deduplicate by ``key``)
works per dimension, so memory and time per proposal do not depend on the number of
configurations: a space of 10^12 works like one of 10^3. The space is stored in state
files as ``to_dict()``, so a saved search needs no registration to be loaded again.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.errors import BadInputError
from nas_surrogate.spaces.conditions import Rule, Value, _same, parse_rule

TYPES = ("choice", "int", "float")
#: most dimensions / choice values a space may declare (bounds what a file allocates)
MAX_DIMENSIONS = 1_000
MAX_VALUES = 10_000
#: draws tried before giving up on finding a configuration the forbidden rules allow
MAX_TRIES = 1_000
#: a space with at most this many configurations can be listed whole (``all_configs``)
MAX_ENUMERATE = 100_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"and", "or", "in", "not", "true", "false"}
_KEYS = {
    "choice": {"type", "values", "when"},
    "int": {"type", "low", "high", "step", "log", "when"},
    "float": {"type", "low", "high", "step", "log", "when"},
}


def _number(value: object, where: str, integer: bool) -> int | float:
    ok = not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))
    if not ok or not math.isfinite(float(value)):  # type: ignore[arg-type]
        raise BadInputError(where, f"must be a finite {'integer' if integer else 'number'}, "
                            f"got {value!r}")  # fmt: skip
    if integer:
        if float(value) != int(value):  # type: ignore[arg-type]
            raise BadInputError(where, f"must be an integer, got {value!r}")
        return int(value)  # type: ignore[arg-type]
    return float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Dimension:
    """One named dimension: ``choice`` (a list of values), ``int`` or ``float`` (a range,
    optional ``step`` and ``log``), active only when ``when`` holds (None: always)."""

    name: str
    type: str
    values: tuple[Value, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: float | None = None
    log: bool = False
    when: Rule | None = None

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_dict(cls, name: str, spec: object, where: str) -> Dimension:
        where = f"{where} dimensions.{name}"
        if not isinstance(name, str) or not _NAME.match(name) or name.lower() in _RESERVED:
            raise BadInputError(where, "a dimension name is a word: letters, digits, _ . -")
        if not isinstance(spec, Mapping):
            raise BadInputError(where, f"must be a mapping with a type, got {spec!r}")
        kind = spec.get("type")
        if kind not in TYPES:
            raise BadInputError(f"{where}.type", f"unknown type {kind!r} (use {', '.join(TYPES)})")
        extra = sorted(set(spec) - _KEYS[kind])
        if extra:
            raise BadInputError(where, f"unknown key {extra[0]!r} for a {kind} dimension "
                                f"(keys: {', '.join(sorted(_KEYS[kind]))})")  # fmt: skip
        when = parse_rule(spec["when"], f"{where}.when") if "when" in spec else None
        if kind == "choice":
            return cls(name, kind, _choice_values(spec.get("values"), f"{where}.values"),
                       when=when)  # fmt: skip
        integer = kind == "int"
        for key in ("low", "high"):
            if key not in spec:
                raise BadInputError(where, f"a {kind} dimension needs low and high")
        low = _number(spec["low"], f"{where}.low", integer)
        high = _number(spec["high"], f"{where}.high", integer)
        log = spec.get("log", False)
        if not isinstance(log, bool):
            raise BadInputError(f"{where}.log", f"must be true or false, got {log!r}")
        step = spec.get("step")
        if step is not None:
            step = _number(step, f"{where}.step", integer)
            if step <= 0:
                raise BadInputError(f"{where}.step", f"must be positive, got {step}")
            if log:
                raise BadInputError(where, "step and log together are not supported")
        elif integer:
            step = 1
        if low > high:
            raise BadInputError(where, f"low {low} > high {high}")
        if log and low <= 0:
            raise BadInputError(f"{where}.low", f"log needs a positive low, got {low}")
        if step is not None:
            k = (high - low) / step
            if abs(k - round(k)) > 1e-9:
                raise BadInputError(where, f"high {high} is not low {low} plus a multiple "
                                    f"of step {step}")  # fmt: skip
        return cls(name, kind, low=low, high=high, step=step, log=log, when=when)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "choice":
            out["values"] = list(self.values)
        else:
            out.update(low=self.low, high=self.high)
            if self.step is not None and not (self.type == "int" and self.step == 1):
                out["step"] = self.step
            if self.log:
                out["log"] = True
        if self.when is not None:
            out["when"] = self.when.text
        return out

    # -- values --------------------------------------------------------------------
    @property
    def discrete(self) -> bool:
        return self.type != "float" or self.step is not None

    @property
    def n_values(self) -> float:
        """How many values it takes (``inf`` for a continuous float)."""
        if self.type == "choice":
            return len(self.values)
        if self.step is None:
            return math.inf
        return int(round((self.high - self.low) / self.step)) + 1

    def grid(self) -> list[Value]:
        """Every value of a discrete dimension, in order."""
        if self.type == "choice":
            return list(self.values)
        return [self._snap(self.low + i * self.step) for i in range(int(self.n_values))]

    def _snap(self, x: float) -> Value:
        """``x`` clipped to the range and put on the step grid, in the dimension's type."""
        x = min(max(float(x), self.low), self.high)
        if self.step is not None:
            x = self.low + round((x - self.low) / self.step) * self.step
            x = min(max(x, self.low), self.high)
        if self.type == "int":
            return int(round(x))
        return float(x)

    def canonical(self, value: object, where: str) -> Value:
        """The declared value equal to ``value`` (BadInputError if it is not one)."""
        if self.type == "choice":
            for v in self.values:
                if _same(value, v):
                    return v
            raise BadInputError(where, f"{value!r} is not one of {list(self.values)}")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise BadInputError(where, f"must be a number, got {value!r}")
        x = float(value)
        if not math.isfinite(x) or not self.low <= x <= self.high:
            raise BadInputError(where, f"{value!r} is outside [{self.low}, {self.high}]")
        snapped = self._snap(x)
        if self.step is not None and abs(float(snapped) - x) > 1e-9 * max(1.0, abs(x)):
            raise BadInputError(where, f"{value!r} is not on the grid low + k * {self.step}")
        return snapped

    def _unit(self, value: float) -> float:
        """``value`` scaled to [0, 1] (in log space where declared)."""
        if self.high == self.low:
            return 0.0
        if self.log:
            return (math.log(value) - math.log(self.low)) / (
                math.log(self.high) - math.log(self.low)
            )
        return (value - self.low) / (self.high - self.low)

    def _from_unit(self, u: float) -> Value:
        u = min(max(u, 0.0), 1.0)
        if self.log:
            return self._snap(
                math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
            )
        return self._snap(self.low + u * (self.high - self.low))

    def sample(self, rng: np.random.Generator) -> Value:
        if self.type == "choice":
            return self.values[int(rng.integers(len(self.values)))]
        if self.discrete and not self.log:
            return (
                self.grid()[int(rng.integers(int(self.n_values)))]
                if self.n_values < 2**31
                else (self._from_unit(float(rng.random())))
            )
        if self.type == "int":  # log-uniform over [low, high + 1), floored
            x = math.exp(rng.uniform(math.log(self.low), math.log(self.high + 1)))
            return int(min(math.floor(x), self.high))
        return self._from_unit(float(rng.random()))

    def moves(self, value: Value, rng: np.random.Generator) -> list[Value]:
        """The values one edit away: every other choice; the next int steps either side;
        for a float, a step of a tenth of the (log) range either side."""
        if self.type == "choice":
            return [v for v in self.values if not _same(v, value)]
        if self.type == "int":
            step = int(self.step or 1)
            if self.log:  # a multiplicative step on log ranges
                out = {self._snap(value * 1.25 + 1), self._snap(value / 1.25 - 1)}
            else:
                out = {self._snap(value - step), self._snap(value + step)}
            return sorted(v for v in out if v != value)
        u = self._unit(float(value))
        out = [self._from_unit(u - 0.1), self._from_unit(u + 0.1)]
        return [v for v in dict.fromkeys(out) if v != value]

    def mutate(self, value: Value, rng: np.random.Generator) -> Value:
        """Another value: a uniform other choice; for numbers, half the time a neighbouring
        value, half the time a fresh draw (so evolution can still jump)."""
        if self.type == "choice":
            others = self.moves(value, rng)
            return others[int(rng.integers(len(others)))] if others else value
        if rng.random() < 0.5:
            if self.type == "float":
                u = self._unit(float(value)) + rng.normal(0.0, 0.1)
                return self._from_unit(u)
            near = self.moves(value, rng)
            if near:
                return near[int(rng.integers(len(near)))]
        return self.sample(rng)

    def encoding_width(self) -> int:
        return len(self.values) if self.type == "choice" else 1

    def encode(self, value: Value | None) -> list[float]:
        if self.type == "choice":
            row = [0.0] * len(self.values)
            if value is not None:
                row[next(i for i, v in enumerate(self.values) if _same(v, value))] = 1.0
            return row
        return [0.0 if value is None else self._unit(float(value))]


def _choice_values(values: object, where: str) -> tuple[Value, ...]:
    if not isinstance(values, (list, tuple)) or not values:
        raise BadInputError(where, f"a choice dimension needs a non-empty list, got {values!r}")
    if len(values) > MAX_VALUES:
        raise BadInputError(where, f"more than {MAX_VALUES} values")
    out: list[Value] = []
    for v in values:
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            v = v.item()
        if not isinstance(v, (str, int, float, bool)) or (
            isinstance(v, float) and not math.isfinite(v)
        ):
            raise BadInputError(where, f"values are strings, numbers or booleans, got {v!r}")
        if any(_same(v, o) for o in out):
            raise BadInputError(where, f"{v!r} is listed twice")
        out.append(v)
    return tuple(out)


Config = dict[str, Value]


class Space:
    """Named dimensions with conditions and forbidden rules; see the module docstring."""

    def __init__(
        self,
        dimensions: Sequence[Dimension],
        forbidden: Sequence[Rule] = (),
        name: str = "own",
        where: str = "space",
    ) -> None:
        if not dimensions:
            raise BadInputError(f"{where} dimensions", "a space needs at least one dimension")
        if len(dimensions) > MAX_DIMENSIONS:
            raise BadInputError(f"{where} dimensions", f"more than {MAX_DIMENSIONS}")
        names = [d.name for d in dimensions]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise BadInputError(f"{where} dimensions.{dup[0]}", "declared twice")
        self.name = name
        self.dimensions = {d.name: d for d in dimensions}
        self.forbidden = tuple(forbidden)
        for d in dimensions:
            for ref in sorted(d.when.names if d.when else ()):
                if ref not in self.dimensions:
                    raise BadInputError(f"{where} dimensions.{d.name}.when",
                                        f"names an unknown dimension {ref!r}")  # fmt: skip
                if ref == d.name:
                    raise BadInputError(f"{where} dimensions.{d.name}.when", "names itself")
        for i, rule in enumerate(self.forbidden):
            for ref in sorted(rule.names):
                if ref not in self.dimensions:
                    raise BadInputError(f"{where} forbidden[{i}]",
                                        f"names an unknown dimension {ref!r}")  # fmt: skip
        self.order = self._topological(where)
        self._check_not_empty(where)

    # -- construction ----------------------------------------------------------------
    @classmethod
    def from_dict(cls, doc: object, where: str = "space") -> Space:
        """The space a mapping declares (the YAML format); BadInputError naming the field."""
        if not isinstance(doc, Mapping):
            raise BadInputError(where, "a space is a mapping with 'dimensions'")
        extra = sorted(set(doc) - {"dimensions", "forbidden", "name"})
        if extra:
            raise BadInputError(where, f"unknown key {extra[0]!r} (keys: dimensions, "
                                "forbidden, name)")  # fmt: skip
        dims = doc.get("dimensions")
        if not isinstance(dims, Mapping) or not dims:
            raise BadInputError(f"{where} dimensions", "must be a non-empty mapping of "
                                "NAME: {type: ...}")  # fmt: skip
        forbidden = doc.get("forbidden", [])
        if not isinstance(forbidden, list):
            raise BadInputError(f"{where} forbidden", "must be a list of rules")
        name = doc.get("name", "own")
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadInputError(f"{where} name", f"must be a word, got {name!r}")
        dimensions = [Dimension.from_dict(str(k), v, where) for k, v in dims.items()]
        rules = [parse_rule(r, f"{where} forbidden[{i}]") for i, r in enumerate(forbidden)]
        return cls(dimensions, rules, name=name, where=where)

    @classmethod
    def from_yaml(cls, path: str | Path) -> Space:
        """The space a YAML file declares (safe loader, no tags or aliases)."""
        from nas_surrogate.config import load_yaml

        return cls.from_dict(load_yaml(Path(path)), where=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The mapping ``from_dict`` reads back: what state files store."""
        out: dict[str, Any] = {
            "name": self.name,
            "dimensions": {n: d.to_dict() for n, d in self.dimensions.items()},
        }
        if self.forbidden:
            out["forbidden"] = [r.text for r in self.forbidden]
        return out

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the canonical JSON of ``to_dict``: equal spaces, equal digests."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def __repr__(self) -> str:
        return f"Space(name={self.name!r}, dimensions={list(self.dimensions)})"

    def _topological(self, where: str) -> list[str]:
        """Declaration order, moved so each dimension follows those its ``when`` reads;
        BadInputError on a cycle."""
        order: list[str] = []
        state: dict[str, int] = {}

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = " -> ".join(path[path.index(name) :] + [name])
                raise BadInputError(
                    f"{where} dimensions.{name}.when", f"a cycle of conditions: {cycle}"
                )
            state[name] = 1
            dim = self.dimensions[name]
            for ref in [n for n in self.dimensions if dim.when and n in dim.when.names]:
                visit(ref, path + [name])
            state[name] = 2
            order.append(name)

        for name in self.dimensions:
            visit(name, [])
        return order

    def _check_not_empty(self, where: str) -> None:
        """BadInputError if the forbidden rules exclude every configuration (checked
        exactly on small discrete spaces, by a fixed sample of 2,000 otherwise)."""
        if not self.forbidden:
            return
        if self.enumerable:
            found = any(self.allowed(c) for c in self._walk_all())
        else:
            rng = np.random.default_rng(0)
            found = any(self.allowed(self._draw(rng)) for _ in range(2_000))
        if not found:
            raise BadInputError(f"{where} forbidden", "the rules forbid every configuration")

    # -- configurations --------------------------------------------------------------
    def active(self, name: str, config: Mapping[str, object]) -> bool:
        when = self.dimensions[name].when
        return when is None or when.holds(config)

    def allowed(self, config: Mapping[str, object]) -> bool:
        return not any(rule.holds(config) for rule in self.forbidden)

    def _draw(self, rng: np.random.Generator, fixed: Mapping[str, Value] | None = None) -> Config:
        """One configuration: the values in ``fixed`` where active, fresh draws elsewhere."""
        out: Config = {}
        for name in self.order:
            if self.active(name, out):
                if fixed is not None and name in fixed:
                    out[name] = fixed[name]
                else:
                    out[name] = self.dimensions[name].sample(rng)
        return self._ordered(out)

    def _ordered(self, config: Mapping[str, Value]) -> Config:
        return {n: config[n] for n in self.dimensions if n in config}

    def sample(self, n: int, rng: np.random.Generator) -> list[Config]:
        """``n`` configurations drawn independently (duplicates possible), each allowed."""
        return [self._allowed_draw(rng) for _ in range(int(n))]

    def _allowed_draw(self, rng: np.random.Generator, fixed: Mapping[str, Value] | None = None):
        for _ in range(MAX_TRIES):
            config = self._draw(rng, fixed)
            if self.allowed(config):
                return config
            fixed = None  # the fixed part itself may be what is forbidden
        raise BadInputError("space forbidden", f"no allowed configuration in {MAX_TRIES} draws")

    def check(self, config: object, where: str = "config") -> Config:
        """``config`` in canonical form (declared values, declaration order);
        BadInputError naming the dimension that is unknown, missing, inactive or out of
        range, or the forbidden rule it breaks."""
        if not isinstance(config, Mapping):
            raise BadInputError(where, f"must be a mapping of dimension: value, got {config!r}")
        unknown = [k for k in config if k not in self.dimensions]
        if unknown:
            raise BadInputError(f"{where}.{unknown[0]}", f"not a dimension of the space "
                                f"(dimensions: {', '.join(self.dimensions)})")  # fmt: skip
        out: Config = {}
        for name in self.order:
            if self.active(name, out):
                if name not in config:
                    raise BadInputError(f"{where}.{name}", "missing (active in this configuration)")
                out[name] = self.dimensions[name].canonical(config[name], f"{where}.{name}")
            elif name in config:
                when = self.dimensions[name].when
                raise BadInputError(f"{where}.{name}", f"inactive here (when: {when.text})")  # type: ignore[union-attr]
        for rule in self.forbidden:
            if rule.holds(out):
                raise BadInputError(where, f"forbidden by {rule.text!r}")
        return self._ordered(out)

    def key(self, config: Mapping[str, Value]) -> str:
        """Canonical text of a (checked) configuration: equal for equal configurations."""
        return json.dumps([[n, config[n]] for n in self.dimensions if n in config],
                          separators=(",", ":"))  # fmt: skip

    def _repair(self, config: Mapping[str, Value], rng: np.random.Generator) -> Config:
        """After an edit: dimensions that became active get a fresh value, those that
        became inactive are dropped."""
        out: Config = {}
        for name in self.order:
            if self.active(name, out):
                out[name] = config[name] if name in config else self.dimensions[name].sample(rng)
        return self._ordered(out)

    def mutate(self, config: Mapping[str, Value], rng: np.random.Generator) -> Config:
        """A configuration one edit away: one active dimension changed (``Dimension.mutate``),
        conditions repaired, forbidden rules respected; ``config`` itself if none is found."""
        names = [n for n in self.dimensions if n in config]
        me = self.key(config)
        for _ in range(50):
            name = names[int(rng.integers(len(names)))]
            child = dict(config)
            child[name] = self.dimensions[name].mutate(config[name], rng)
            child = self._repair(child, rng)
            if self.allowed(child) and self.key(child) != me:
                return child
        return dict(config)

    def neighbours(self, config: Mapping[str, Value], rng: np.random.Generator) -> list[Config]:
        """Every configuration one ``Dimension.moves`` edit away (new active dimensions
        drawn with ``rng``), allowed, distinct, never ``config``."""
        out: dict[str, Config] = {}
        me = self.key(config)
        for name in [n for n in self.dimensions if n in config]:
            for value in self.dimensions[name].moves(config[name], rng):
                child = self._repair({**config, name: value}, rng)
                k = self.key(child)
                if k != me and self.allowed(child):
                    out.setdefault(k, child)
        return list(out.values())

    def crossover(
        self, a: Mapping[str, Value], b: Mapping[str, Value], rng: np.random.Generator
    ) -> Config:
        """Uniform crossover per dimension (a value from either parent where both have
        one), conditions repaired."""
        child: Config = {}
        for name in self.order:
            if not self.active(name, child):
                continue
            have = [p[name] for p in (a, b) if name in p]
            child[name] = (
                have[int(rng.integers(len(have)))] if have else self.dimensions[name].sample(rng)
            )
        child = self._ordered(child)
        return child if self.allowed(child) else dict(a)

    # -- encoding ----------------------------------------------------------------------
    @cached_property
    def conditional(self) -> list[str]:
        return [n for n, d in self.dimensions.items() if d.when is not None]

    @cached_property
    def feature_names(self) -> list[str]:
        names: list[str] = []
        for n, d in self.dimensions.items():
            if d.type == "choice":
                names += [f"{n}={v}" for v in d.values]
            else:
                names.append(f"{n}{' (log)' if d.log else ''}")
        return names + [f"{n} active" for n in self.conditional]

    def encode(self, configs: Sequence[Mapping[str, Value]]) -> np.ndarray:
        """One row per configuration: one-hot for choices, numbers scaled to [0, 1] (log
        where declared), zeros in an inactive dimension's slot plus one "active"
        indicator column per conditional dimension."""
        rows = []
        for c in configs:
            row: list[float] = []
            for n, d in self.dimensions.items():
                row += d.encode(c.get(n))
            rows.append(row + [float(n in c) for n in self.conditional])
        return np.array(rows, dtype=float).reshape(len(rows), len(self.feature_names))

    # -- size ----------------------------------------------------------------------------
    @cached_property
    def enumerable(self) -> bool:
        """Every dimension discrete and at most ``MAX_ENUMERATE`` value combinations."""
        total = 1.0
        for d in self.dimensions.values():
            total *= d.n_values
        return total <= MAX_ENUMERATE

    def _walk_all(self):
        """Every configuration of a discrete space (conditions applied, forbidden not)."""

        def rec(i: int, out: Config):
            if i == len(self.order):
                yield self._ordered(out)
                return
            name = self.order[i]
            if not self.active(name, out):
                yield from rec(i + 1, out)
                return
            for v in self.dimensions[name].grid():
                out[name] = v
                yield from rec(i + 1, out)
            del out[name]

        yield from rec(0, {})

    def all_configs(self) -> list[Config]:
        """Every allowed configuration of an enumerable space (BadInputError otherwise)."""
        if not self.enumerable:
            raise BadInputError(f"space {self.name}", "too large to list")
        return [c for c in self._walk_all() if self.allowed(c)]

    def size(self) -> float:
        """How many configurations (``inf`` with a continuous float): exact, counted per
        active combination of the dimensions conditions read; forbidden rules ignored."""
        if any(not d.discrete for d in self.dimensions.values()):
            return math.inf
        read = {r for d in self.dimensions.values() if d.when for r in d.when.names}
        parents = [n for n in self.order if n in read]
        free = [n for n in self.dimensions if n not in parents]

        def rec(i: int, out: Config) -> float:
            if i == len(parents):
                total = 1.0
                for n in free:
                    if self.active(n, out):
                        total *= self.dimensions[n].n_values
                return total
            name = parents[i]
            if not self.active(name, out):
                return rec(i + 1, out)
            total = 0.0
            for v in self.dimensions[name].grid():
                total += rec(i + 1, {**out, name: v})
            return total

        return rec(0, {})
