"""``gnn``: a graph neural surrogate in torch, GIN-style message passing over the cell.

It reads the ``graph`` encoding (``encodings/graph.py``: node types one-hot and the
upper-triangular adjacency of the effective cell, ops on nodes) from the last columns of
its input, and every column before them (ZC proxies, transfer sources) as global
features joined at the readout, as BRP-NAS and NPENAS do with their graph predictors:

    h_v <- MLP((1 + eps) h_v, sum of predecessors' h, sum of successors' h)   (x depth)
    prediction = head(mean of the present nodes' h, global features)

Messages from predecessors and successors have their own weights (the cell is a DAG),
a removed node (all zeros) sends and keeps nothing. ``n_nodes`` and ``n_node_types``
give the block's layout; the registry sets them from the feature matrix's column names
(``layout_params``), so ``-s gnn -f graph+zc`` is all a user writes. With ``n_nodes=0``
there is no graph and it is the MLP head on every column (what scikit-learn's estimator
checks exercise, on arrays without a layout).

Training is the MLP's (standardised global inputs and target, full-batch AdamW, MSE or a
pairwise ranking loss) with other defaults: 100 epochs on every training row, no early
stopping (holding out 15 % of 100 rows cost 0.05 tau). They were chosen on the 725-cell
NB201 CIFAR-100 file (n = 100, 10 splits); the figures in ``docs/predictor_gnn.md`` are
on other tables.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from nas_surrogate.surrogates.mlp import MLPSurrogate

#: Optuna search space (see ``experiments/tune.py`` for the format)
TUNE_SPACE: dict[str, tuple] = {
    "width": ("int", 16, 128, True),
    "depth": ("int", 1, 4),
    "lr": ("float", 1e-4, 3e-2, True),
    "weight_decay": ("float", 1e-6, 1e-2, True),
}


class GNNSurrogate(MLPSurrogate):
    _parameter_constraints: dict = {
        **MLPSurrogate._parameter_constraints,
        "n_nodes": [Interval(Integral, 0, 1_000, closed="both")],
        "n_node_types": [Interval(Integral, 0, 1_000, closed="both")],
    }

    def __init__(
        self,
        n_nodes: int = 0,
        n_node_types: int = 0,
        width: int = 64,
        depth: int = 3,
        lr: float = 5e-3,
        weight_decay: float = 1e-4,
        max_epochs: int = 100,
        patience: int = 30,
        val_fraction: float = 0.0,
        loss: str = "mse",
        device: str = "cpu",
        n_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        super().__init__(
            width=width, depth=depth, lr=lr, weight_decay=weight_decay,
            max_epochs=max_epochs, patience=patience, val_fraction=val_fraction, loss=loss,
            device=device, n_threads=n_threads, random_state=random_state,
        )  # fmt: skip
        self.n_nodes = n_nodes
        self.n_node_types = n_node_types

    def _graph_width(self) -> int:
        return self.n_nodes * self.n_node_types + self.n_nodes * (self.n_nodes - 1) // 2

    def _scales(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The global columns standardised; the graph block (indicators) as it is."""
        mean, std = super()._scales(X)
        g = self._graph_width()
        if g > X.shape[1]:
            raise ValueError(
                f"a graph of {self.n_nodes} nodes and {self.n_node_types} node types needs "
                f"{g} columns; X has {X.shape[1]}"
            )
        if g:
            mean[-g:], std[-g:] = 0.0, 1.0
        return mean, std

    def _network(self, n_in: int):
        return _network(n_in - self._graph_width(), self.n_nodes, self.n_node_types,
                        self.width, self.depth)  # fmt: skip


def _network(n_global: int, n_nodes: int, n_types: int, width: int, depth: int):
    """The torch module, imported here so that importing the registry does not import
    torch."""
    from nas_surrogate.surrogates.gnn_net import GIN

    return GIN(n_global, n_nodes, n_types, width, depth)


def layout_params(features, params: dict) -> dict:
    """``params`` with ``n_nodes`` / ``n_node_types`` of the ``graph`` block of a feature
    matrix (``encodings.Features``); ValueError when it has none or it is not the last
    encoding (the CLI turns it into one line and exit 2)."""
    from nas_surrogate.encodings.graph import graph_layout

    layout = graph_layout(features.names, features.zc_columns)
    if layout is None:
        raise ValueError(
            f"gnn reads the cell graph: feature spec {features.spec.text!r} has no graph "
            "encoding (use e.g. -f graph+zc)"
        )
    return {"n_nodes": layout[0], "n_node_types": layout[1], **params}
