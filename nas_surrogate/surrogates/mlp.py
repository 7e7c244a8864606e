"""``mlp``: a small fully connected network in torch, trained full-batch with Adam and
early stopping on a held-out slice of the training rows.

Inputs and target are standardised on the training rows. Full-batch training at a few
hundred rows costs well under a millisecond per epoch on a CPU, which is what makes an
ensemble of them affordable inside a search loop. ``device="cuda"`` runs it on a GPU.
"""

from __future__ import annotations

import os
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from nas_surrogate.surrogates.base import torch_threads

#: Optuna search space (see ``experiments/tune.py`` for the format)
TUNE_SPACE: dict[str, tuple] = {
    "width": ("int", 16, 256, True),
    "depth": ("int", 1, 4),
    "lr": ("float", 1e-4, 3e-2, True),
    "weight_decay": ("float", 1e-6, 1e-2, True),
}


class MLPSurrogate(RegressorMixin, BaseEstimator):
    #: types and ranges of every parameter, checked by ``_validate_params`` in ``fit``
    _parameter_constraints: dict = {
        "width": [Interval(Integral, 1, 100_000, closed="both")],
        "depth": [Interval(Integral, 0, 1_000, closed="both")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, 100_000, closed="both")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "val_fraction": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions({"mse", "pairwise"})],
        "device": [str],
        # at most this machine's cores: 100,000 threads ran out of memory (issue 36)
        "n_threads": [Interval(Integral, 1, os.cpu_count() or 1, closed="both")],
        # an ensemble seeds member i with random_state * 1000 + i: wider than 32 bits
        "random_state": [Interval(Integral, 0, 2**63 - 1, closed="both")],
    }

    def __init__(
        self,
        width: int = 64,
        depth: int = 2,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        max_epochs: int = 200,
        patience: int = 20,
        val_fraction: float = 0.15,
        loss: str = "mse",
        device: str = "cpu",
        n_threads: int = 1,
        random_state: int = 0,
    ) -> None:
        self.width = width
        self.depth = depth
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.loss = loss
        self.device = device
        self.n_threads = n_threads
        self.random_state = random_state

    def _network(self, n_in: int):
        import torch

        layers: list[torch.nn.Module] = []
        width = n_in
        for _ in range(self.depth):
            layers += [torch.nn.Linear(width, self.width), torch.nn.ReLU()]
            width = self.width
        layers.append(torch.nn.Linear(width, 1))
        return torch.nn.Sequential(*layers)

    def _scales(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(mean, std) each input column is standardised with, from the training rows."""
        return X.mean(0), X.std(0) + 1e-8

    def fit(self, X: np.ndarray, y: np.ndarray) -> MLPSurrogate:
        import torch

        self._validate_params()
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32)
        self.x_mean_, self.x_std_ = self._scales(X)
        self.y_mean_, self.y_std_ = float(y.mean()), float(y.std() + 1e-8)
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(X))
        n_val = int(round(self.val_fraction * len(X))) if len(X) >= 20 else 0
        val, train = order[:n_val], order[n_val:]
        with torch_threads(self.n_threads):
            with torch.random.fork_rng(devices=[]):  # seeded init, global RNG untouched
                torch.manual_seed(int(self.random_state))
                net = self._network(X.shape[1]).to(self.device)
            xs = torch.as_tensor((X - self.x_mean_) / self.x_std_, device=self.device)
            ys = torch.as_tensor((y - self.y_mean_) / self.y_std_, device=self.device)
            self._train(net, xs, ys, train, val)
        # predictions in float64: a row's value must not depend on the batch it is in
        self.net_ = net.eval().double()
        return self

    def _loss(self, pred, target):
        """Mean squared error, or (``loss="pairwise"``) the logistic loss of every pair
        of rows with different targets ranked the wrong way (a ranking objective: only
        the order of the predictions is fit)."""
        import torch

        if self.loss == "mse":
            return torch.mean((pred - target) ** 2)
        sign = torch.sign(target[:, None] - target[None, :])
        margin = (pred[:, None] - pred[None, :]) * sign
        return torch.nn.functional.softplus(-margin)[sign != 0].mean()

    def _train(self, net, xs, ys, train: np.ndarray, val: np.ndarray) -> None:
        """Full-batch AdamW with early stopping on the ``val`` rows (kept best state)."""
        import torch

        opt = torch.optim.AdamW(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        best, best_state, waited = np.inf, None, 0
        for _ in range(self.max_epochs):
            net.train()
            opt.zero_grad()
            loss = self._loss(net(xs[train]).squeeze(1), ys[train])
            loss.backward()
            opt.step()
            if len(val) < 2:
                continue
            net.eval()
            with torch.no_grad():
                score = float(self._loss(net(xs[val]).squeeze(1), ys[val]))
            if score < best - 1e-6:
                best, waited = score, 0
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            else:
                waited += 1
                if waited >= self.patience:
                    break
        if best_state is not None:
            net.load_state_dict(best_state)

    def predict(self, X: np.ndarray) -> np.ndarray:
        import torch

        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        x = (X - self.x_mean_) / self.x_std_
        with torch_threads(self.n_threads), torch.no_grad():
            out = self.net_(torch.as_tensor(x, device=self.device)).squeeze(1).cpu().numpy()
        return out.astype(float) * self.y_std_ + self.y_mean_
