"""Per-proxy rank correlation with accuracy: the NAS-Bench-Suite-Zero correlation table.

Each proxy is scored on the rows where it has a finite score (``n`` says how many), so a
missing score never enters as a made-up value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from nas_surrogate.benchmarks.base import Benchmark


def proxy_correlations(bench: Benchmark) -> pd.DataFrame:
    """One row per proxy: spearman, kendall (tau-b), n; sorted by spearman, best first."""
    rows = []
    for j, name in enumerate(bench.proxy_names):
        ok = np.isfinite(bench.proxy_scores[:, j])
        x, y = bench.proxy_scores[ok, j], bench.val_accuracy[ok]
        if ok.sum() >= 3 and np.ptp(x) > 0:
            rho = float(stats.spearmanr(x, y).statistic)
            tau = float(stats.kendalltau(x, y).statistic)
        else:
            rho = tau = float("nan")
        rows.append({"proxy": name, "spearman": rho, "kendall": tau, "n": int(ok.sum())})
    table = pd.DataFrame(rows, columns=["proxy", "spearman", "kendall", "n"])
    return table.sort_values("spearman", ascending=False, na_position="last").reset_index(drop=True)


def task_proxy_table(benches: list[Benchmark], method: str = "spearman") -> pd.DataFrame:
    """Tasks x proxies: each proxy's rank correlation with accuracy (NaN where absent)."""
    rows = {}
    for bench in benches:
        table = proxy_correlations(bench).set_index("proxy")
        rows[bench.id] = table[method]
    return pd.DataFrame(rows).T


def proxy_proxy_matrix(bench: Benchmark) -> pd.DataFrame:
    """Spearman correlation between every pair of proxies, on rows where both are scored."""
    frame = pd.DataFrame(bench.proxy_scores, columns=list(bench.proxy_names))
    return frame.corr(method="spearman", min_periods=3)
