"""Proxy bias: how strongly each proxy follows architecture properties rather than
accuracy, and what is left of it once cell size is taken out.

Properties per space: the parameter count (the ``params`` proxy, in millions; "cell
size") and structural counts (convolutions, skip connections, zero ops, pooling; live
nodes and edges for NB101; stages and down-samplings for the TransNAS macro skeleton).

Debiasing, fit on training archs only: on a seeded random half of the archs, regress
the proxy's rank on the rank of the parameter count (least squares); on the other half,
the residual is the debiased proxy. Kendall tau with accuracy is reported before and
after, on that held-out half.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from nas_surrogate.benchmarks.base import Benchmark
from nas_surrogate.spaces.nb101 import live_nodes, split
from nas_surrogate.spaces.nb301 import as_pairs


def _cell_counts(bench: Benchmark) -> dict[str, np.ndarray]:
    ops = list(bench.space.ops)  # type: ignore[attr-defined]
    a = bench.archs
    out = {
        "n_conv": np.isin(a, [i for i, o in enumerate(ops) if "conv" in o]).sum(axis=1),
        "n_skip": (a == ops.index("skip_connect")).sum(axis=1),
        "n_zero": (a == ops.index("none")).sum(axis=1),
    }
    if "avg_pool_3x3" in ops:
        out["n_pool"] = (a == ops.index("avg_pool_3x3")).sum(axis=1)
    return out


def _nb101_counts(bench: Benchmark) -> dict[str, np.ndarray]:
    adj, ops = split(bench.archs)
    live = live_nodes(adj)
    edges = (adj * live[:, :, None] * live[:, None, :]).sum(axis=(1, 2))
    return {
        "n_nodes": live.sum(axis=1),
        "n_edges": edges,
        "n_conv3x3": ((ops == 2) & live).sum(axis=1),
        "n_conv1x1": ((ops == 3) & live).sum(axis=1),
        "n_maxpool": ((ops == 4) & live).sum(axis=1),
    }


def _nb301_counts(bench: Benchmark) -> dict[str, np.ndarray]:
    ops = as_pairs(bench.archs)[..., 1]
    return {
        "n_sep_conv": np.isin(ops, (3, 4)).sum(axis=(1, 2)),
        "n_dil_conv": np.isin(ops, (5, 6)).sum(axis=(1, 2)),
        "n_skip": (ops == 2).sum(axis=(1, 2)),
        "n_pool": np.isin(ops, (0, 1)).sum(axis=(1, 2)),
    }


def _macro_counts(bench: Benchmark) -> dict[str, np.ndarray]:
    a = bench.archs
    return {
        "n_stages": (a > 0).sum(axis=1),
        "n_downsample": np.isin(a, (3, 4)).sum(axis=1),
        "n_double_channels": np.isin(a, (2, 4)).sum(axis=1),
    }


PROPERTIES = {
    "nasbench201": _cell_counts,
    "transbench101_micro": _cell_counts,
    "nasbench101": _nb101_counts,
    "nasbench301": _nb301_counts,
    "transbench101_macro": _macro_counts,
}


def arch_properties(bench: Benchmark) -> pd.DataFrame:
    props = {}
    if "params" in bench.proxy_names:
        props["params"] = bench.proxy_columns(["params"])[:, 0]
    counts = PROPERTIES.get(bench.space.name)
    if counts is not None:
        props.update(counts(bench))
    return pd.DataFrame(props)


def bias_tables(bench: Benchmark, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(proxy x property Spearman table, debiasing table) for one benchmark."""
    props = arch_properties(bench)
    scores = pd.DataFrame(bench.proxy_scores, columns=list(bench.proxy_names))
    corr = pd.DataFrame(
        {
            prop: [scores[p].corr(props[prop], method="spearman") for p in bench.proxy_names]
            for prop in props.columns
        },
        index=list(bench.proxy_names),
    )
    rows = []
    if "params" in props:
        size = props["params"].to_numpy()
        rng = np.random.default_rng([seed, 31337])
        for p in bench.proxy_names:
            if p == "params":
                continue
            x = scores[p].to_numpy()
            ok = np.flatnonzero(np.isfinite(x) & np.isfinite(size))
            if len(ok) < 20:
                continue
            perm = rng.permutation(ok)
            train, test = perm[: len(perm) // 2], perm[len(perm) // 2 :]
            rx = stats.rankdata(x[ok]) / len(ok)  # ranks over all scored rows: label-free
            rs = stats.rankdata(size[ok]) / len(ok)
            pos = {row: k for k, row in enumerate(ok)}
            tr = np.array([pos[i] for i in train])
            te = np.array([pos[i] for i in test])
            slope, intercept = np.polyfit(rs[tr], rx[tr], 1)
            residual = rx[te] - (slope * rs[te] + intercept)
            y = bench.val_accuracy[test]
            rows.append(
                {
                    "proxy": p,
                    "spearman_with_params": float(corr.loc[p, "params"]),
                    "kendall_before": float(stats.kendalltau(x[test], y).statistic),
                    "kendall_after": float(stats.kendalltau(residual, y).statistic),
                    "n_test": len(test),
                }
            )
    return corr, pd.DataFrame(rows)
