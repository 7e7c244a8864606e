"""Training networks for real (CPU or CUDA) on a small dataset: NB201 cells or a user's model.

Datasets: ``digits`` (scikit-learn's ``load_digits``: 1,797 real 8x8 grey images of
handwritten digits, 10 classes, shipped inside scikit-learn, no download) or a user's
``.npz`` with ``x`` (N, C, H, W float images) and ``y`` (N integer labels). One fixed,
stratified split (seed 0, whatever the search seed): 60 % train, 20 % validation (the
search objective), 20 % test (read only for the network the validation picked).

A network is the NB201 skeleton (``proxies.network.build``) with a small default
(16 channels, one cell per stage) so that one trains in seconds; SGD with Nesterov
momentum and a cosine schedule, as NAS-Bench-201 trains, seeded per (arch, seed).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from nas_surrogate.errors import BadInputError
from nas_surrogate.npz import read_pair

SPLIT_SEED = 0


@dataclass(frozen=True)
class Dataset:
    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int

    @property
    def in_channels(self) -> int:
        return int(self.x_train.shape[1])


def _from_arrays(name: str, x: np.ndarray, y: np.ndarray) -> Dataset:
    from sklearn.model_selection import train_test_split

    classes, y = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise BadInputError(f"--dataset {name}", f"needs at least two classes, got {len(classes)}")
    counts = np.bincount(y)
    if counts.min() < 5:
        raise BadInputError(
            f"--dataset {name}", "every class needs at least 5 images (train/val/test split)"
        )
    idx = np.arange(len(y))
    rest, test = train_test_split(idx, test_size=0.2, stratify=y, random_state=SPLIT_SEED)
    train, val = train_test_split(rest, test_size=0.25, stratify=y[rest], random_state=SPLIT_SEED)
    x = x.astype(np.float32)
    axes = (0, *range(2, x.ndim))  # per channel (images, sequences) or per feature (tables)
    mean = x[train].mean(axis=axes, keepdims=True)
    std = x[train].std(axis=axes, keepdims=True) + 1e-6
    x = (x - mean) / std  # standardised with training statistics only

    def t(a: np.ndarray, rows: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
        return torch.as_tensor(np.ascontiguousarray(a[rows]), dtype=dtype)

    return Dataset(
        name, t(x, train, torch.float32), t(y, train, torch.long), t(x, val, torch.float32),
        t(y, val, torch.long), t(x, test, torch.float32), t(y, test, torch.long), len(classes),
    )  # fmt: skip


def load_dataset(spec: str, any_shape: bool = False) -> Dataset:
    """``digits`` or a path to an ``.npz`` with ``x`` (N, C, H, W) and ``y`` (N,);
    ``any_shape``: ``x`` may be (N, ...) of any rank >= 2 (a user's own model: images,
    sequences (N, C, L), tables (N, F))."""
    if spec == "digits":
        from sklearn.datasets import load_digits

        d = load_digits()
        return _from_arrays("digits", d.images[:, None, :, :] / 16.0, d.target)
    path = Path(spec)
    where = f"--dataset {spec}"
    if not path.is_file():
        raise BadInputError(where, "neither 'digits' nor an existing .npz file")
    _, x, y = read_pair(path, (("x", "y"),), where)
    if not np.issubdtype(x.dtype, np.floating) or x.ndim < 2 or (x.ndim != 4 and not any_shape):
        shape = "(N, ...)" if any_shape else "(N, C, H, W)"
        raise BadInputError(where, f"x must be float {shape}, got {x.dtype} {x.shape}")
    if not np.isfinite(x).all():
        raise BadInputError(where, "x holds NaN or infinite values")
    if y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer):
        raise BadInputError(where, f"y must be {len(x)} integer labels, got {y.dtype} {y.shape}")
    if not any_shape and (min(x.shape[2:]) < 4 or x.shape[1] > 64):
        raise BadInputError(where, f"images must be at least 4x4 with <= 64 channels: {x.shape}")
    return _from_arrays(path.name, x, y)


@lru_cache(maxsize=2)
def cached_dataset(spec: str, any_shape: bool = False) -> Dataset:
    """``load_dataset``, once per process (a Dask worker trains many networks)."""
    return load_dataset(spec, any_shape)


@dataclass(frozen=True)
class TrainResult:
    val_accuracy: float
    test_accuracy: float
    seconds: float


def _accuracy(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, bf16: bool = False) -> float:
    net.eval()
    kind = x.device.type
    with torch.no_grad(), torch.autocast(kind, torch.bfloat16, enabled=bf16):
        correct = sum(
            int((net(x[i : i + 512]).argmax(1) == y[i : i + 512]).sum())
            for i in range(0, len(x), 512)
        )
    return 100.0 * correct / len(x)


def train_network(
    arch: np.ndarray,
    data: Dataset,
    epochs: int,
    seed: int,
    network: dict | None = None,
    batch_size: int = 64,
    lr: float = 0.1,
    device: str = "cpu",
    precision: str = "fp32",
) -> TrainResult:
    """Train one network from scratch on ``device``; validation and test accuracy (%) at
    the end. The initial weights and the batch order come from ``seed`` on the CPU, so a
    network starts the same on any device (CUDA kernels then differ in the last bits)."""
    from nas_surrogate.proxies.network import build

    t = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build(arch, data.n_classes, data.in_channels, **(network or {}))
    return train_model(
        net, data, epochs, seed, batch_size, lr, device, started=t, precision=precision
    )


#: optimisers the default trainer offers (``--optimizer``)
OPTIMIZERS = ("sgd", "adam", "adamw")
#: arithmetic of the default trainer (``--precision``)
PRECISIONS = ("fp32", "bf16")


def train_model(
    net: torch.nn.Module,
    data: Dataset,
    epochs: int,
    seed: int,
    batch_size: int = 64,
    lr: float = 0.1,
    device: str = "cpu",
    optimizer: str = "sgd",
    weight_decay: float = 5e-4,
    started: float | None = None,
    precision: str = "fp32",
) -> TrainResult:
    """Train ``net`` (any classifier: logits (B, n_classes)) with the default trainer:
    ``optimizer`` (SGD with Nesterov momentum, Adam or AdamW) and a cosine schedule;
    the batch order comes from ``seed`` on the CPU. ``precision``: ``fp32``, or ``bf16``
    (autocast; channels-last images on CUDA). fp32 is the default: on an H200, bf16
    trained the small CNNs of ``benchmarks/device_speed.py`` at about half fp32's speed."""
    if precision not in PRECISIONS:
        raise BadInputError("--precision", f"{precision!r} is not one of {', '.join(PRECISIONS)}")
    t = time.perf_counter() if started is None else started
    gen = torch.Generator().manual_seed(seed)
    cuda = str(device).startswith("cuda")
    bf16 = precision == "bf16"
    net = net.to(device)
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    if cuda and bf16 and x_train.ndim == 4:
        net = net.to(memory_format=torch.channels_last)
        x_train = x_train.contiguous(memory_format=torch.channels_last)
    params = net.parameters()
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    elif optimizer == "adamw":
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    else:
        raise BadInputError("--optimizer", f"{optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
    steps = epochs * -(-len(data.x_train) // batch_size)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    for _ in range(epochs):
        net.train()
        order = torch.randperm(len(data.x_train), generator=gen).to(device)
        for i in range(0, len(order), batch_size):
            rows = order[i : i + batch_size]
            opt.zero_grad()
            with torch.autocast(torch.device(device).type, torch.bfloat16, enabled=bf16):
                loss = torch.nn.functional.cross_entropy(net(x_train[rows]), y_train[rows])
            loss.backward()
            opt.step()
            schedule.step()
    val = _accuracy(net, data.x_val.to(device), data.y_val.to(device), bf16)
    test = _accuracy(net, data.x_test.to(device), data.y_test.to(device), bf16)
    return TrainResult(val, test, time.perf_counter() - t)
