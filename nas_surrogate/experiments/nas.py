"""``nas``: a real NAS run: propose with an ``Optimizer``, compute ZC proxies live for the
networks the surrogate scores, train every proposed network for real, tell its
validation accuracy; at the end, the best network by validation and its test accuracy.

Results folder (``--out``): ``run.json`` (settings and the dataset's digest: a rerun
with anything changed is refused), ``results.csv`` / ``.jsonl`` (one row per trained
network, written as it finishes), ``optimizer.json`` (the optimiser's state, saved after
every result) and ``summary.json``. A killed run rerun with the same command resumes:
networks already trained are read back, never trained again; networks in training when
it stopped are trained again.

Where networks train: one at a time in this process (``--workers 1``), or on Dask
(``--workers N``: a local cluster of N processes; ``--scheduler``: a running cluster),
asynchronously (``nas_workers.py``). How the work is spread is not part of the run's
identity: a run started on one worker may resume on four.

Determinism: with one worker the proposals depend on the seed only. Every network
trains seeded by (seed, arch), so the same arch gets the same accuracy in a bo run and a
random run of one seed (paired comparisons), and on a worker as here; with several
workers, what is proposed also depends on which training finishes first (the order is
``step`` in ``results.csv``). ``--n-jobs`` parallelises the proxies, whose values do not
depend on it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from nas_surrogate.config import MAX_SEED, NAS_BUDGET
from nas_surrogate.errors import BadInputError
from nas_surrogate.settings import list_setting, setting, validate


@dataclass
class NasConfig:
    """Every setting of ``nas`` (CLI options, YAML keys and API arguments alike)."""

    out: str = setting(
        help="Results folder (resumed when rerun with the same settings).", flags=("--out", "-o")
    )
    space: str = setting(
        "nasbench201", "Search space: nasbench201 (its cells are built and trained) or your "
        "own space's YAML file (with --model)."
    )  # fmt: skip
    model: str | None = setting(
        None, "Your model family on your own --space: package.module:function or "
        "file.py:function, called build(config, input_shape, n_classes) -> nn.Module.",
        cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    dataset: str = setting(
        "digits", "'digits' (scikit-learn, 1,797 8x8 images) or an .npz with x (N,C,H,W), y."
    )
    searcher: str = setting("bo", "random, evolution, local_search, bo (':guided' variants).")
    features: str | None = setting(
        None, "Surrogate features; zc proxies are computed live (default onehot+zc on "
        "nasbench201, enc+zc on your own space).", cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    surrogate: str | None = setting(
        None,
        "Surrogate (default: bo's ensemble).",
        cli_type=Optional[str],  # noqa: UP045
    )
    budget: int = setting(NAS_BUDGET, "Networks to train.", low=1, high=100_000)
    epochs: int = setting(5, "Training epochs per network.", low=1, high=10_000)
    lr: float = setting(0.1, "Learning rate of the default trainer (cosine schedule).",
                        low=1e-8, high=10.0)  # fmt: skip
    batch_size: int = setting(64, "Training batch size.", low=1, high=65_536)
    optimizer: str = setting("sgd", "Optimiser of the default trainer.",
                             choices=("sgd", "adam", "adamw"))  # fmt: skip
    weight_decay: float = setting(5e-4, "Weight decay of the default trainer.", low=0.0,
                                  high=1.0)  # fmt: skip
    precision: str = setting(
        "fp32", "Arithmetic of the default trainer: fp32, or bf16 autocast (with "
        "channels-last images on CUDA).", choices=("fp32", "bf16"),
    )  # fmt: skip
    seed: int = setting(0, "Seed of every random choice.", low=0, high=MAX_SEED)
    channels: int = setting(
        16, "Channels of the first stage of the NB201 skeleton.", low=1, high=512
    )
    cells: int = setting(1, "Cells per stage (NAS-Bench-201 itself: 5).", low=1, high=10)
    proxy_batch: int = setting(64, "Training images the proxies see.", low=2, high=4096)
    max_new_proxies: int = setting(
        32, "Networks given new proxy scores per surrogate step (a count: machine-independent).",
        low=1, high=100_000,
    )  # fmt: skip
    n_jobs: int = setting(
        1, "Parallel proxy workers (one torch thread each); the numbers do not depend on it.",
        flags=("--n-jobs", "-j"), low=1, high=256,
    )  # fmt: skip
    device: str = setting(
        "cpu", "cpu, cuda (cuda:N) or auto (cuda when present): training and live proxies."
    )
    workers: int = setting(
        1, "Networks trained at once: N > 1 starts a local Dask cluster of N worker "
        "processes (cores/N torch threads each); results are told as they finish.",
        low=1, high=4096,
    )  # fmt: skip
    scheduler: str | None = setting(
        None, "Train on the dask.distributed cluster at this address (tcp://HOST:8786); "
        "trainings in flight: its worker threads, or --workers.",
        cli_type=Optional[str],  # noqa: UP045
    )  # fmt: skip
    objectives: list[str] = list_setting(
        "Several objectives: val_accuracy (trained) and known costs measured without "
        "training: latency (ms, batch-1 forward passes on this machine), params, flops; "
        "e.g. val_accuracy,latency (searcher nsga2, pareto_ls, mobo or random).",
        default_factory=list,
    )

    def __post_init__(self) -> None:
        from nas_surrogate.experiments.nas_space import is_space_file

        if self.features is None:
            self.features = "enc+zc" if is_space_file(self.space) else "onehot+zc"

    def validate(self, source: str | None = None) -> None:
        """BadInputError for a setting of the wrong type or out of range, before any work;
        it names the CLI option, or ``FILE: key`` for a YAML ``source``."""
        from nas_surrogate.experiments.nas_space import is_space_file

        validate(self, source)
        if self.model is not None and not is_space_file(self.space):
            raise BadInputError(
                f"{source}: model" if source else "--model",
                f"builds your own --space's configurations, not {self.space}'s",
            )
        if not self.out:
            raise BadInputError(
                f"{source}: out" if source else "--out", "a results folder is required"
            )
        self._check_objectives(source)
        from nas_surrogate.experiments.nas_workers import check_workers

        check_workers(self.workers, self.scheduler, f"{source}: workers" if source else "--workers")
        if self.scheduler is not None:
            from nas_surrogate.experiments.runner import check_scheduler

            check_scheduler(self.scheduler)

    def _check_objectives(self, source: str | None) -> None:
        """Every objective is the trained accuracy or a cost the run measures per network
        (``params``, ``flops``, ``latency``): a typo is refused before any training, with
        the closest name, not discovered after the first network."""
        from nas_surrogate.objectives import parse_objectives
        from nas_surrogate.proxy_names import COST_COLUMNS
        from nas_surrogate.registry import did_you_mean

        if not self.objectives:
            return
        known = ("val_accuracy", *COST_COLUMNS)
        where = f"{source}: objectives" if source else "--objectives"
        for objective in parse_objectives(list(self.objectives)):
            if objective.name not in known:
                raise BadInputError(
                    f"{where} {objective.name}", f"nas trains val_accuracy and measures "
                    f"{', '.join(COST_COLUMNS)} per network; nothing else"
                    f"{did_you_mean(objective.name, list(known))}",
                )  # fmt: skip

    def fingerprint(self) -> dict:
        from nas_surrogate.experiments.fingerprint import RESULTS_FORMAT, file_digests

        # how the work is spread (not what it is) may change between a run and its resume
        how = ("out", "n_jobs", "workers", "scheduler")
        settings = {k: v for k, v in asdict(self).items() if k not in how}
        if self.dataset == "digits":
            import sklearn

            data = {"digits": f"scikit-learn {sklearn.__version__}"}
        else:
            data = file_digests([self.dataset])
        from nas_surrogate.experiments.nas_space import is_space_file

        if is_space_file(self.space):  # the space file and the model's source are inputs too
            data["space"] = file_digests([self.space])
            from nas_surrogate.experiments.nas_space import source_digest
            from nas_surrogate.models import load_builder

            data["model"] = source_digest(load_builder(self.model)) if self.model else None
        from nas_surrogate.experiments.fingerprint import evolved_files

        lpz = evolved_files([self.features]) if self.features else []
        if lpz:  # an LPZero expression is an input: an edited one is another run
            data["proxies"] = file_digests(lpz)
        return {**settings, "results_format": RESULTS_FORMAT, "data": data}


def resolve_device(device: str, where: str = "--device") -> str:
    """``cpu``, ``cuda``/``cuda:N`` (refused where CUDA is absent) or ``auto``."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        return device
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        if not torch.cuda.is_available():
            raise BadInputError(f"{where} {device}", "no CUDA device is available here")
        if ":" in device and int(device[5:]) >= torch.cuda.device_count():
            raise BadInputError(
                f"{where} {device}", f"this machine has {torch.cuda.device_count()} CUDA devices"
            )
        return device
    raise BadInputError(f"{where} {device!r}", "expected cpu, cuda, cuda:N or auto")


def run_nas(config: NasConfig, progress: bool = True, source: str | None = None) -> dict:
    """Run (or resume) the search; returns the summary (also in ``summary.json``);
    ``source``: the YAML file the config came from (named in errors)."""
    from nas_surrogate.experiments.nas_workers import Cluster, TrainJob
    from nas_surrogate.experiments.runner import prepare_out_dir
    from nas_surrogate.io import write_json_atomic
    from nas_surrogate.optimizer import Optimizer
    from nas_surrogate.searchers import check_budget
    from nas_surrogate.store import ResultsStore

    config.validate(source)
    device = resolve_device(config.device, f"{source}: device" if source else "--device")
    fresh, proxies = _optimizer(config, device)  # every setting checked before any write
    where = f"{source}: budget" if source else "--budget"
    check_budget(config.searcher, {}, config.budget, where)  # last: the others are checked
    parallel = config.workers > 1 or config.scheduler is not None
    cluster = Cluster(config.workers, config.scheduler) if parallel else None  # reachable?
    job = TrainJob(config.space, config.dataset, config.epochs, config.seed,
                   config.channels, config.cells, device, model=config.model or "",
                   lr=config.lr, batch_size=config.batch_size, optimizer=config.optimizer,
                   weight_decay=config.weight_decay, precision=config.precision)  # fmt: skip
    try:
        out = Path(config.out)
        prepare_out_dir(out, "nas", config.fingerprint())
        state = out / "optimizer.json"
        opt = Optimizer.load(state, proxies) if state.exists() else fresh
        if state.exists() and fresh is not opt and hasattr(fresh, "opt"):
            from nas_surrogate.experiments.nas_space import JsonArchs

            opt = JsonArchs(opt)
        store = ResultsStore(out / "results.csv", ["arch"], order_by=["step"])  # as finished
        t0 = time.perf_counter()
        try:
            run = _Run(opt, store, state, config.budget, progress)
            counts = run.on_dask(cluster, job, proxies) if cluster else run.here(job)
        finally:
            store.flush()
            store.close()
    finally:
        if cluster is not None:
            cluster.close()
    summary = _summary(config, opt, run, proxies, time.perf_counter() - t0, counts)
    write_json_atomic(out / "summary.json", summary)
    from nas_surrogate.plots import nas_curve

    rows = [run.done[a] for a, _ in opt.history]
    if rows:
        title = f"{config.searcher} ({config.features}) on {Path(config.dataset).name}"
        nas_curve(rows, out / "plots" / "nas.png", title)
    return summary


def _optimizer(config: NasConfig, device: str):
    """A fresh optimiser for the run's settings and its live proxies (on ``device``)."""
    import torch

    from nas_surrogate.optimizer import Optimizer
    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.proxies.live import TorchProxies
    from nas_surrogate.searchers import SearcherSpec
    from nas_surrogate.training import load_dataset

    settings = dict(
        searcher=config.searcher, features=config.features,
        surrogate=config.surrogate if SearcherSpec.parse(config.searcher).uses_surrogate else None,
        seed=config.seed, budget=config.budget, max_new_proxies=config.max_new_proxies,
        objectives=config.objectives or None,
    )  # fmt: skip
    from nas_surrogate.experiments.nas_space import is_space_file, user_optimizer

    if is_space_file(config.space):
        return user_optimizer(config, device, settings)
    data = load_dataset(config.dataset)
    network = {"channels": config.channels, "n_cells": config.cells}
    gen = torch.Generator().manual_seed(config.seed)
    rows = torch.randperm(len(data.x_train), generator=gen)[: config.proxy_batch]
    batch = Batch(data.x_train[rows].to(device), data.y_train[rows].to(device), data.n_classes)
    proxies = TorchProxies(
        batch, space=config.space, seed=config.seed, network=network,
        n_jobs=1 if device != "cpu" else config.n_jobs,  # one process owns the GPU
    )  # fmt: skip
    return Optimizer(space=config.space, **settings, proxies=proxies), proxies


class _Run:
    """One run's bookkeeping: each finished training goes to ``results.csv`` first,
    then into the optimiser, whose state is saved after every result (a run killed
    between the two finds the network in the results and does not train it again)."""

    def __init__(self, opt, store, state: Path, budget: int, progress: bool) -> None:
        from tqdm.auto import tqdm

        self.opt, self.store, self.state, self.budget = opt, store, state, budget
        self.done = {r["arch"]: r for r in store.frame().to_dict("records")} if len(store) else {}
        self.trained_now = 0
        self.failed_now = 0
        self.bar = tqdm(total=budget, initial=len(opt.history), desc="nas",
                        disable=not progress, leave=False)  # fmt: skip

    def record(self, arch: str, result: dict) -> None:
        if arch not in self.done:
            self.done[arch] = {"arch": arch, "step": len(self.opt.history) + 1, **result,
                               **self.opt.known_values(arch)}  # fmt: skip
            self.store.add(self.done[arch])
            self.trained_now += 1
        self.opt.tell([arch], [self.done[arch]["val_accuracy"]])
        self.opt.save(self.state)
        self.bar.update(1)

    def fail(self, arch: str, error: BaseException) -> None:
        from nas_surrogate.experiments.nas_workers import warn_failed

        warn_failed(arch, error)
        self.opt.fail([arch])
        self.opt.save(self.state)
        self.failed_now += 1

    def here(self, job) -> dict:
        """Sequentially in this process, one torch thread: a network at a time."""
        from nas_surrogate.experiments.nas_workers import train_one

        while len(self.opt.history) < self.budget:
            archs = self.opt.pending or self.opt.ask(1)
            if not archs:
                break  # the space is exhausted
            for arch in archs:
                self.record(arch, self.done.get(arch) or train_one(arch, job))
        self.bar.close()
        return {"workers": 1, "trainings_started": self.trained_now}

    def on_dask(self, cluster, job, proxies) -> dict:
        """On the cluster: trainings and the live proxies' chunks; this process only
        proposes, with one thread (its surrogate fits do not crowd the workers)."""
        import torch
        from threadpoolctl import threadpool_limits

        from nas_surrogate.experiments.nas_workers import train_on_dask

        for arch in self.opt.pending:  # finished before the last run stopped: read back
            if arch in self.done:
                self.record(arch, self.done[arch])
        proxies.client, proxies.n_jobs = cluster.client, cluster.slots
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with threadpool_limits(limits=1):
                counts = train_on_dask(self.opt, cluster, job, self.record, self.fail)
        finally:
            torch.set_num_threads(threads)
            proxies.client = None
        self.bar.close()
        return {"workers": cluster.slots, **counts}


def _rate(hits: int, misses: int) -> float | None:
    return hits / (hits + misses) if hits + misses else None


def _summary(config, opt, run: _Run, proxies, wall: float, counts: dict) -> dict:
    best, done, trained_now = opt.best, run.done, run.trained_now
    rows = [done[a] for a, _ in opt.history]
    front = None
    if isinstance(best, list):  # several objectives: the front, and the most accurate
        front = [{"arch": a, **v, "test_accuracy": done[a]["test_accuracy"]} for a, v in best]
        best = max(((a, v["val_accuracy"]) for a, v in best), key=lambda b: b[1], default=None)
    elif isinstance(best, tuple) and isinstance(best[1], dict):
        best = (best[0], best[1]["val_accuracy"])
    extra = {"objectives": config.objectives, "pareto_front": front} if front is not None else {}
    return {
        "searcher": config.searcher,
        "features": config.features,
        "dataset": config.dataset,
        "seed": config.seed,
        "trained": len(rows),
        "trained_this_run": trained_now,
        "failed_this_run": run.failed_now,
        "workers": counts["workers"],
        # a training whose worker died is started again elsewhere
        "trainings_started_this_run": counts["trainings_started"],
        "trainings_redone_this_run": max(
            0, counts["trainings_started"] - trained_now - run.failed_now
        ),
        "best_arch": best[0] if best else None,
        "best_val_accuracy": best[1] if best else None,
        # read for the network the validation picked, never used to pick it
        "best_test_accuracy": done[best[0]]["test_accuracy"] if best else None,
        "mean_val_accuracy": float(np.mean([r["val_accuracy"] for r in rows])) if rows else None,
        "train_seconds": float(sum(r["train_seconds"] for r in rows)),
        "wall_seconds_this_run": wall,
        "proxy_seconds_this_run": proxies.seconds_computed,
        "proxy_scores_computed": proxies.misses,
        "proxy_scores_from_cache": proxies.hits,
        "proxy_cache_hit_rate": proxies.hit_rate,
        "proxy_seconds_per_arch": proxies.seconds_per_arch(),
        "networks_with_proxies": int(opt.problem.known_proxies()[0].size),
        # a surrogate step asking for a network scored in an earlier step: no computing
        "proxy_reuse_in_run": _rate(*opt.problem.proxy_lookups),
        **extra,
    }
