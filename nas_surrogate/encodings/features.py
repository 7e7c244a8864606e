"""Feature specs: ``onehot``, ``zc``, ``onehot+zc``, ``path+zc:nwot,synflow`` ...

A spec is parts joined by ``+``; each part is an encoding name, ``zc`` with an
optional ``:p1,p2`` proxy list, ``evolved:FILE``, ``lpz:FILE`` (an LPZero expression of
``evolve-proxy --from primitives``: a proxy column where the benchmark or the live
proxy source has it, else computed for every network of an NB201 table), or
``source:TASK`` (transfer: each network's accuracy on another task's table of the same
space, ``source:TASK@DIR`` for a table in another data folder; ``benchmarks/transfer.py``
attaches it).
``build_features`` returns the raw matrix for every row of a benchmark (encodings, then
raw proxy scores with NaN); ``make_preprocessor`` returns the scikit-learn transformer
that imputes and optionally rank-transforms the ZC columns.
That transformer is stateful, so it is fit on training rows only, inside the surrogate's
pipeline, never on the whole table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import QuantileTransformer

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.config import ZC_TRANSFORMS
from nas_surrogate.encodings.base import Encoding
from nas_surrogate.errors import BadInputError
from nas_surrogate.registry import Registry

ZC = "zc"
#: spec part meaning "this space's natural encoding" (onehot, adjacency or categorical),
#: so one spec such as ``enc+zc`` runs on every benchmark of a grid
DEFAULT_ENC = "enc"


EVOLVED = "evolved"
SOURCE = "source"
LPZ = "lpz"


def hand_crafted(bench: Benchmark) -> list[str]:
    """What a bare ``zc`` reads: the benchmark's proxies but any ``lpz:FILE`` column (an
    attached table's expression enters a spec only where it is named)."""
    return [p for p in bench.proxy_names if not str(p).startswith("lpz:")]


def default_spec(bench: Benchmark) -> str:
    """The surrogate's features when none are named: the space's encoding plus the
    benchmark's proxies wherever it has them, since the proxies are what the surrogate
    gains over an encoding alone (``enc`` on a table without proxies)."""
    return f"{DEFAULT_ENC}+{ZC}" if hand_crafted(bench) else DEFAULT_ENC


@dataclass(frozen=True)
class FeatureSpec:
    text: str
    encodings: tuple[str, ...]
    proxies: tuple[str, ...] | None  # None: no ZC part; () : all proxies of the task
    evolved: tuple[str, ...] = ()  # files of evolved proxies (``evolved:FILE``)
    sources: tuple[str, ...] = ()  # transfer: ``TASK`` or ``TASK@DIR`` of ``source:``
    lpz: tuple[str, ...] = ()  # LPZero proxies, by proxy name (``lpz:FILE``)

    @property
    def uses_zc(self) -> bool:
        return self.proxies is not None

    def proxies_used(self, bench: Benchmark) -> list[str]:
        """Every hand-crafted proxy this spec reads, directly or inside evolved ones."""
        from nas_surrogate.proxies.evolved import EvolvedProxy

        used = list(self.proxies or hand_crafted(bench)) if self.uses_zc else []
        used += [n for n in self.lpz if n in bench.proxy_names and n not in used]
        for path in self.evolved:
            used += [t for t in EvolvedProxy.load(path).terminals if t not in used]
        return used


def parse_feature_spec(text: str, encodings: Registry[Encoding]) -> FeatureSpec:
    where = f"feature spec {text!r}"
    parts = [p.strip() for p in text.split("+")]
    if not text.strip() or any(not p for p in parts):
        raise BadInputError(where, "expected parts joined by '+', e.g. onehot+zc")
    names: list[str] = []
    proxies: tuple[str, ...] | None = None
    evolved: list[str] = []
    sources: list[str] = []
    lpz: list[str] = []
    for part in parts:
        name, _, args = part.partition(":")
        if name == LPZ:
            if not args:
                raise BadInputError(where, "write lpz:FILE (a proxy.json of evolve-proxy)")
            if part in lpz:
                raise BadInputError(where, f"{part} appears twice")
            lpz.append(part)
            continue
        if name == EVOLVED:
            if not args:
                raise BadInputError(where, "write evolved:FILE (an evolve-proxy result)")
            evolved.append(args)
            continue
        if name == SOURCE:
            if not args or args.startswith("@") or args.endswith("@"):
                raise BadInputError(where, "write source:TASK or source:TASK@DIR")
            if args in sources:
                raise BadInputError(where, f"source:{args} appears twice")
            sources.append(args)
            continue
        if name == ZC:
            if proxies is not None:
                raise BadInputError(where, "'zc' appears twice")
            proxies = tuple(a.strip() for a in args.split(",") if a.strip()) if args else ()
            continue
        if args:
            raise BadInputError(where, f"encoding {name!r} takes no ':' arguments")
        if name not in encodings and name != DEFAULT_ENC:
            encodings.get(name)  # raises with "did you mean"
        if name in names:
            raise BadInputError(where, f"{name!r} appears twice")
        names.append(name)
    return FeatureSpec(
        text=text, encodings=tuple(names), proxies=proxies, evolved=tuple(evolved),
        sources=tuple(sources), lpz=tuple(lpz),
    )  # fmt: skip


def split_feature_list(text: str) -> list[str]:
    """Several specs in one option: ``onehot,zc:nwot,synflow,onehot+zc`` -> three specs.

    A comma-separated item that is a bare proxy name continues the ``zc:`` list before
    it; ``;`` separates specs unambiguously.
    """
    from nas_surrogate.proxy_names import PROXY_NAMES

    if ";" in text:
        return [s.strip() for s in text.split(";") if s.strip()]
    specs: list[str] = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        if specs and item in PROXY_NAMES and specs[-1].rsplit("+", 1)[-1].startswith("zc:"):
            specs[-1] += f",{item}"
        else:
            specs.append(item)
    return specs


@dataclass(frozen=True)
class Features:
    """Raw features of every benchmark row. ``zc_columns`` index every column after the
    encodings (proxies, evolved proxies, source accuracies: scaled alike);
    ``proxy_columns`` those of table proxies only, ``proxies`` the proxy of each (what
    live proxies fill in)."""

    spec: FeatureSpec
    X: np.ndarray
    names: list[str]
    zc_columns: np.ndarray
    proxies: tuple[str, ...] = ()
    proxy_columns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    #: the columns of each part of the spec, by its name in the spec: an encoding (also
    #: under its own name when written ``enc``), ``zc``, ``evolved:FILE``, ``source:TASK``
    blocks: dict[str, np.ndarray] = field(default_factory=dict)


def build_features(
    spec: FeatureSpec | str, bench: Benchmark, encodings: Registry[Encoding]
) -> Features:
    if isinstance(spec, str):
        spec = parse_feature_spec(spec, encodings)
    blocks, names = [], []
    parts: dict[str, np.ndarray] = {}

    def part(keys: list[str], width: int) -> None:
        for k in keys:
            parts[k] = np.arange(len(names) - width, len(names))

    for written in spec.encodings:
        name = bench.space.default_encoding if written == DEFAULT_ENC else written
        enc = encodings.get(name)
        if not enc.applies_to(bench.space):
            usable = [n for n, e in encodings.items() if e.applies_to(bench.space)]
            raise BadInputError(
                f"feature spec {spec.text!r}",
                f"encoding {name!r} does not apply to space {bench.space.name} "
                f"(usable there: {', '.join(usable + [ZC])})",
            )
        blocks.append(enc.encode(bench.space, bench.archs))
        names += enc.feature_names(bench.space)
        part(list(dict.fromkeys([written, name])), blocks[-1].shape[1])
    n_enc = len(names)
    proxies: list[str] = []
    lpz_columns = [n for n in spec.lpz if n in bench.proxy_names]
    if spec.uses_zc or lpz_columns:
        proxies = (list(spec.proxies) or hand_crafted(bench)) if spec.uses_zc else []
        proxies += [n for n in lpz_columns if n not in proxies]
        if not proxies:
            raise BadInputError(
                f"feature spec {spec.text!r}", f"{bench.id} has no zero-cost proxy scores"
            )
        blocks.append(bench.proxy_columns(proxies))
        names += [f"zc:{p}" for p in proxies]
        part([ZC] if spec.uses_zc else [], len(proxies))
        for name in lpz_columns:
            parts[name] = np.array([len(names) - len(proxies) + proxies.index(name)])
    for name, column in _single_columns(spec, bench, lpz_columns):
        blocks.append(column[:, None])
        names.append(name)
        part([name], 1)
    X = np.concatenate(blocks, axis=1) if blocks else np.empty((bench.n_archs, 0))
    return Features(
        spec=spec, X=X, names=names, zc_columns=np.arange(n_enc, len(names)),
        proxies=tuple(proxies), proxy_columns=np.arange(n_enc, n_enc + len(proxies)),
        blocks=parts,
    )  # fmt: skip


def _single_columns(
    spec: FeatureSpec, bench: Benchmark, lpz_columns: list[str]
) -> list[tuple[str, np.ndarray]]:
    """(name, column) of each one-column part: an ``lpz:FILE`` the benchmark has no
    column of (computed on its networks), ``evolved:FILE``, ``source:TASK``."""
    out = []
    for name in spec.lpz:
        if name not in lpz_columns:
            from nas_surrogate.proxies.lpzero_table import lpz_column

            out.append((name, lpz_column(bench, name)))
    for path in spec.evolved:
        from nas_surrogate.proxies.evolved import EvolvedProxy

        column = EvolvedProxy.load(path).score(bench)
        out.append((f"evolved:{path}", np.where(np.isfinite(column), column, np.nan)))
    for source in spec.sources:
        key = f"{SOURCE}:{source}"
        if key not in bench.extras:
            raise BadInputError(
                f"feature spec {spec.text!r}",
                f"{key} is not attached to {bench.id} (evaluate, search and tune attach it)",
            )
        out.append((key, np.asarray(bench.extras[key], dtype=float)))
    return out


def preprocessed_order(n_columns: int, zc_columns: np.ndarray) -> list[int]:
    """The raw column behind each column ``make_preprocessor`` outputs: the ZC columns
    first (imputed, transformed), then the others in their order (passed through). What
    a surrogate that reads parts of its input by position (``gnn``, ``auto``) sees."""
    zc = [int(c) for c in zc_columns]
    kept = set(zc)
    return zc + [c for c in range(n_columns) if c not in kept]


def make_preprocessor(features: Features, zc_transform: str = "none") -> ColumnTransformer:
    """Median-impute (and optionally quantile-transform) the ZC columns; pass the rest."""
    if zc_transform not in ZC_TRANSFORMS:
        raise BadInputError("zc_transform", f"unknown value {zc_transform!r} ({ZC_TRANSFORMS})")
    steps = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if zc_transform == "quantile":
        quantile = QuantileTransformer(n_quantiles=100, output_distribution="normal")
        steps.append(("quantile", quantile))
    return ColumnTransformer(
        [("zc", Pipeline(steps), features.zc_columns)],
        remainder="passthrough",
        sparse_threshold=0.0,
    )


def check_usable(features: Features, rows: np.ndarray) -> None:
    """BadInputError if a ZC column has no score at all on ``rows`` (nothing to learn)."""
    zc = features.X[np.ix_(rows, features.zc_columns)]
    has_score = np.isfinite(zc).any(axis=0)
    empty = [features.names[c] for c, ok in zip(features.zc_columns, has_score) if not ok]
    if empty:
        raise BadInputError(
            f"feature spec {features.spec.text!r}", f"no finite score on these rows for {empty}"
        )
