"""The torch module of ``gnn`` (``surrogates/gnn.py``): GIN layers over the cell DAG,
messages from predecessors and successors with their own weights, a mean readout over
the present nodes joined with the global features."""

from __future__ import annotations

import torch


class GIN(torch.nn.Module):
    def __init__(self, n_global: int, n_nodes: int, n_types: int, width: int, depth: int):
        super().__init__()
        self.n_global, self.n_nodes, self.n_types = n_global, n_nodes, n_types
        self.embed = torch.nn.Linear(max(n_types, 1), width)
        self.eps = torch.nn.Parameter(torch.zeros(depth))
        self.layers = torch.nn.ModuleList(
            torch.nn.Sequential(
                torch.nn.Linear(3 * width, width),
                torch.nn.ReLU(),
                torch.nn.Linear(width, width),
                torch.nn.ReLU(),
            )  # fmt: skip
            for _ in range(depth)
        )
        self.head = torch.nn.Sequential(
            torch.nn.Linear(width * (n_nodes > 0) + n_global, width), torch.nn.ReLU(),
            torch.nn.Linear(width, 1),
        )  # fmt: skip
        upper = torch.triu_indices(n_nodes, n_nodes, offset=1)
        self.register_buffer("rows", upper[0], persistent=False)
        self.register_buffer("cols", upper[1], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_global, n_nodes, n_types = self.n_global, self.n_nodes, self.n_types
        glob = x[:, :n_global]
        if not n_nodes:
            return self.head(glob)
        nodes = x[:, n_global : n_global + n_nodes * n_types].reshape(-1, n_nodes, n_types)
        adj = x.new_zeros(len(x), n_nodes, n_nodes)
        adj[:, self.rows, self.cols] = x[:, n_global + n_nodes * n_types :]
        present = (nodes.sum(-1, keepdim=True) > 0).to(x.dtype)
        h = torch.relu(self.embed(nodes)) * present
        for k, layer in enumerate(self.layers):
            from_pred = adj.transpose(1, 2) @ h  # sum over each node's inputs
            from_succ = adj @ h  # sum over the nodes it feeds
            h = layer(torch.cat([(1 + self.eps[k]) * h, from_pred, from_succ], -1)) * present
        pooled = h.sum(1) / present.sum(1).clamp(min=1.0)
        return self.head(torch.cat([pooled, glob], -1))
