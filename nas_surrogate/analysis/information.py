"""How much each proxy tells about accuracy, and which proxies are complementary.

Estimator (stated, as the issue asks): accuracy and every proxy are discretised into
``bins`` equal-frequency bins (quantile bins; ties share a bin), and entropies and mutual
information are the plug-in estimates on those bins, in bits (``scipy.stats.entropy`` and
``sklearn.metrics.mutual_info_score``). For a pair (p, q) the joint variable is the pair
of bins, and

- ``pair_mi`` = I(p, q; acc),
- ``gain_over_best`` = I(p, q; acc) - max(I(p; acc), I(q; acc)): what the pair adds,
- ``interaction`` = I(p, q; acc) - I(p; acc) - I(q; acc): > 0 synergy, < 0 redundancy.

Plug-in estimates are biased upwards by roughly (cells - 1) / (2 n ln 2) bits, more for
the pair's finer grid, so compare pairs with pairs; ``mi_knn`` gives scikit-learn's
k-nearest-neighbour estimate (Kraskov et al.) of I(p; acc) as a cross-check.
Rows where a proxy is missing are left out of that proxy's figures.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.feature_selection import mutual_info_regression
from sklearn.metrics import mutual_info_score

from nas_surrogate.benchmarks.base import Benchmark

LN2 = np.log(2)


def quantile_bins(x: np.ndarray, bins: int) -> np.ndarray:
    """Equal-frequency bin index of each value (ties share a bin)."""
    ranks = stats.rankdata(x, method="average")
    return np.minimum((ranks - 1) * bins // len(x), bins - 1).astype(int)


def entropy_bits(labels: np.ndarray) -> float:
    return float(stats.entropy(np.bincount(labels), base=2))


def mi_bits(a: np.ndarray, b: np.ndarray) -> float:
    return float(mutual_info_score(a, b) / LN2)


def information_tables(
    bench: Benchmark, bins: int = 8, seed: int = 0
) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """(summary, per-proxy table, per-pair table) for one benchmark."""
    acc = bench.val_accuracy
    singles = []
    for j, name in enumerate(bench.proxy_names):
        ok = np.isfinite(bench.proxy_scores[:, j])
        x, y = bench.proxy_scores[ok, j], acc[ok]
        knn = mutual_info_regression(x[:, None], y, random_state=seed)[0] / LN2
        singles.append(
            {
                "proxy": name,
                "n": int(ok.sum()),
                "mi_bits": mi_bits(quantile_bins(x, bins), quantile_bins(y, bins)),
                "mi_knn_bits": float(knn),
            }
        )
    single = pd.DataFrame(singles).sort_values("mi_bits", ascending=False).reset_index(drop=True)
    by_name = single.set_index("proxy")
    pairs = []
    for p, q in itertools.combinations(bench.proxy_names, 2):
        i, j = bench.proxy_names.index(p), bench.proxy_names.index(q)
        ok = np.isfinite(bench.proxy_scores[:, [i, j]]).all(axis=1)
        if ok.sum() < 2 * bins:
            continue
        a = quantile_bins(acc[ok], bins)
        bp = quantile_bins(bench.proxy_scores[ok, i], bins)
        bq = quantile_bins(bench.proxy_scores[ok, j], bins)
        joint = mi_bits(bp * bins + bq, a)
        ip, iq = mi_bits(bp, a), mi_bits(bq, a)
        pairs.append(
            {
                "proxy_a": p,
                "proxy_b": q,
                "n": int(ok.sum()),
                "pair_mi_bits": joint,
                "gain_over_best_bits": joint - max(ip, iq),
                "interaction_bits": joint - ip - iq,
            }
        )
    pair = pd.DataFrame(pairs)
    if not pair.empty:
        pair = pair.sort_values("gain_over_best_bits", ascending=False).reset_index(drop=True)
    summary = {
        "benchmark": bench.id,
        "bins": bins,
        "estimator": "plug-in on equal-frequency bins, bits; mi_knn: sklearn kNN (Kraskov)",
        "accuracy_entropy_bits": entropy_bits(quantile_bins(acc, bins)),
        "most_informative_proxy": by_name["mi_bits"].idxmax() if len(by_name) else None,
        "most_complementary_pair": (
            [pair.proxy_a.iloc[0], pair.proxy_b.iloc[0]] if not pair.empty else None
        ),
    }
    return summary, single, pair
