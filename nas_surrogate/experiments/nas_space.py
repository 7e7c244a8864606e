"""``nas`` on the user's own space and model: ``--space my_space.yaml --model
pkg.module:build``.

The run loop of ``nas.py`` keys everything by an arch string (results rows, the journal,
Dask futures); here that string is the configuration's canonical JSON (``JsonArchs``),
and each results row also carries the configuration's dimensions as columns. Proxies
come from ``ModelProxies`` over the user's builder, on a seeded batch of the training
split; trainings use the default trainer (``training.train_model``) on the user's model.
A dimension named ``lr``, ``batch_size``, ``optimizer`` or ``weight_decay`` sets that
trainer setting for its network (the search tunes it), else the command's settings do.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from nas_surrogate.errors import BadInputError

#: result columns a dimension may not be named (they would overwrite results)
RESERVED = ("arch", "step", "val_accuracy", "test_accuracy", "train_seconds")
#: dimensions that set the trainer's settings for their network
TRAINER_DIMENSIONS = ("lr", "batch_size", "optimizer", "weight_decay")


def is_space_file(space: str) -> bool:
    return isinstance(space, str) and space.endswith((".yaml", ".yml"))


def arch_text(config: dict) -> str:
    """The canonical JSON of a configuration (dimension order, compact)."""
    return json.dumps(config, separators=(",", ":"))


class JsonArchs:
    """A ``SpaceOptimizer`` seen through arch strings (canonical JSON configurations)."""

    def __init__(self, opt) -> None:
        self.opt = opt
        self.problem = opt.problem
        self.config = opt.config

    def ask(self, k: int = 1) -> list[str]:
        return [arch_text(c) for c in self.opt.ask(k)]

    def tell(self, archs: list[str], values: list) -> None:
        self.opt.tell([json.loads(a) for a in archs], values)

    def fail(self, archs: list[str]) -> None:
        self.opt.fail([json.loads(a) for a in archs])

    @property
    def pending(self) -> list[str]:
        return [arch_text(c) for c in self.opt.pending]

    @property
    def history(self) -> list[tuple[str, float]]:
        return [(arch_text(c), v) for c, v in self.opt.history]

    @property
    def best(self) -> tuple[str, float] | None:
        best = self.opt.best
        return None if best is None else (arch_text(best[0]), best[1])

    @property
    def evaluated(self) -> list[str]:
        return self.opt.evaluated

    def known_values(self, arch: str) -> dict[str, Any]:
        """The configuration's dimensions as results columns (None where inactive)."""
        config = json.loads(arch)
        return {n: config.get(n) for n in self.opt.space.dimensions}

    def save(self, path) -> None:
        self.opt.save(path)


class ModelProxySource:
    """``ModelProxies`` with the counters ``nas``'s summary reports."""

    client = None
    n_jobs = 1

    def __init__(self, proxies) -> None:
        self.proxies = proxies
        self.seconds_computed = 0.0
        self._archs = 0

    @property
    def names(self) -> tuple[str, ...]:
        return self.proxies.names

    @property
    def hits(self) -> int:
        return self.proxies.hits

    @property
    def misses(self) -> int:
        return self.proxies.misses

    @property
    def hit_rate(self) -> float | None:
        total = self.hits + self.misses
        return self.hits / total if total else None

    def seconds_per_arch(self) -> float | None:
        return self.seconds_computed / self._archs if self._archs else None

    def compute(self, configs: list[dict], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        t = time.perf_counter()
        before = self.misses
        out = self.proxies.compute(configs, names)
        if self.misses > before:
            self.seconds_computed += time.perf_counter() - t
            self._archs += len(configs)
        return out


def source_digest(build) -> str:
    """Digest of the file that defines the builder: the proxy cache's ``version`` (an
    edited model never reads the scores of the old one) and part of the run's
    fingerprint (an edited model is a new run)."""
    import hashlib
    import inspect

    source = inspect.getsourcefile(build)
    if not source:
        return "0"
    return hashlib.sha256(Path(source).read_bytes()).hexdigest()[:16]


def check_space(space, where: str) -> None:
    clash = [n for n in space.dimensions if n in RESERVED]
    if clash:
        raise BadInputError(
            f"{where} dimensions.{clash[0]}",
            f"is a results column; rename it (reserved: {', '.join(RESERVED)})",
        )


def user_optimizer(config, device: str, settings: dict):
    """(the optimiser, its proxy source) of a run on the user's space and model; every
    input checked (space file, builder, the model on the data's shape) before any write."""
    import torch

    from nas_surrogate.models import check_builder, load_builder
    from nas_surrogate.proxies.model import ModelProxies
    from nas_surrogate.proxy_names import PROXY_NAMES
    from nas_surrogate.space_optimizer import SpaceOptimizer
    from nas_surrogate.spaces.space import Space
    from nas_surrogate.training import load_dataset

    space = Space.from_yaml(config.space)
    check_space(space, config.space)
    if not config.model:
        raise BadInputError(
            "--model",
            f"your own space {config.space} needs the model that "
            "builds its configurations: --model package.module:function",
        )
    build = load_builder(config.model)
    data = load_dataset(config.dataset, any_shape=True)
    rng = np.random.default_rng(config.seed)
    probe = space.sample(3, rng)
    check_builder(build, probe, data.x_train[:4], data.n_classes, f"--model {config.model}")
    gen = torch.Generator().manual_seed(config.seed)
    rows = torch.randperm(len(data.x_train), generator=gen)[: config.proxy_batch]
    from nas_surrogate.proxies.base import Batch

    batch = Batch(data.x_train[rows], data.y_train[rows], data.n_classes)
    from nas_surrogate.cache import cache_dir

    proxies = ModelProxySource(ModelProxies(
        build, batch, proxies=PROXY_NAMES, seed=config.seed, device=device,
        version=source_digest(build), cache_dir=cache_dir(),
    ))  # fmt: skip
    settings = {**settings, "space": space}
    return JsonArchs(SpaceOptimizer(**settings, proxies=proxies)), proxies


def train_config(arch: str, job, seed: int) -> dict:
    """Train one configuration of the user's model family (on a worker or here)."""
    import torch

    from nas_surrogate.models import build_model, load_builder
    from nas_surrogate.training import cached_dataset, train_model

    data = cached_dataset(job.dataset, True)
    config = json.loads(arch)
    settings = {"lr": job.lr, "batch_size": job.batch_size, "optimizer": job.optimizer,
                "weight_decay": job.weight_decay}  # fmt: skip
    settings.update({k: config[k] for k in TRAINER_DIMENSIONS if k in config})
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_model(load_builder(job.model), config, tuple(data.x_train.shape[1:]),
                          data.n_classes, f"--model {job.model}")  # fmt: skip
    r = train_model(
        net, data, job.epochs, seed, batch_size=int(settings["batch_size"]),
        lr=float(settings["lr"]), device=job.device, optimizer=str(settings["optimizer"]),
        weight_decay=float(settings["weight_decay"]), precision=job.precision,
    )  # fmt: skip
    return {"val_accuracy": r.val_accuracy, "test_accuracy": r.test_accuracy,
            "train_seconds": r.seconds}  # fmt: skip
