"""``nas``: a real NAS run: propose with an ``Optimizer``, compute ZC proxies live for the
networks the surrogate scores, train every proposed network for real, tell its
validation accuracy; at the end, the best network by validation and its test accuracy.

Results folder (``--out``): ``run.json`` (settings and the dataset's digest: a rerun
with anything changed is refused), ``results.csv`` / ``.jsonl`` (one row per trained
network, written as it finishes), ``optimizer.json`` (the optimiser's state, saved after
every result) and ``summary.json``. A killed run rerun with the same command resumes:
networks already trained are read back, never trained again.

Determinism: the proposals depend on the seed only; every network trains on one torch
thread seeded by (seed, arch), so the same arch gets the same accuracy in a bo run and a
random run of one seed (paired comparisons); ``--n-jobs`` parallelises the proxies,
whose values do not depend on it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from nas_surrogate.config import MAX_SEED
from nas_surrogate.errors import BadInputError
from nas_surrogate.settings import comma_list, setting, validate, yaml_list


@dataclass
class NasConfig:
    """Every setting of ``nas`` (CLI options, YAML keys and API arguments alike)."""

    out: str = setting(
        help="Results folder (resumed when rerun with the same settings).", flags=("--out", "-o")
    )
    space: str = setting("nasbench201", "Search space (its networks are built and trained).")
    dataset: str = setting(
        "digits", "'digits' (scikit-learn, 1,797 8x8 images) or an .npz with x (N,C,H,W), y."
    )
    searcher: str = setting("bo", "random, evolution, local_search, bo (':guided' variants).")
    features: str = setting("onehot+zc", "Surrogate features; zc proxies are computed live.")
    surrogate: str | None = setting(
        None,
        "Surrogate (default: bo's ensemble).",
        cli_type=Optional[str],  # noqa: UP045
    )
    budget: int = setting(40, "Networks to train.", low=1, high=100_000)
    epochs: int = setting(5, "Training epochs per network.", low=1, high=10_000)
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
    objectives: list[str] = setting(
        help="Several objectives: val_accuracy (trained) and known costs measured without "
        "training: latency (ms, batch-1 forward passes on this machine), params, flops; "
        "e.g. val_accuracy,latency (searcher nsga2, pareto_ls, mobo or random).",
        cli_type=str, from_cli=comma_list, from_yaml=yaml_list, default_factory=list,
    )  # fmt: skip

    def validate(self, source: str | None = None) -> None:
        """BadInputError for a setting of the wrong type or out of range, before any work;
        it names the CLI option, or ``FILE: key`` for a YAML ``source``."""
        validate(self, source)
        if not self.out:
            raise BadInputError(
                f"{source}: out" if source else "--out", "a results folder is required"
            )

    def fingerprint(self) -> dict:
        from nas_surrogate.experiments.fingerprint import RESULTS_FORMAT, file_digests

        settings = {k: v for k, v in asdict(self).items() if k not in ("out", "n_jobs")}
        if self.dataset == "digits":
            import sklearn

            data = {"digits": f"scikit-learn {sklearn.__version__}"}
        else:
            data = file_digests([self.dataset])
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


def arch_seed(seed: int, arch: str) -> int:
    """Training seed of one network: the same arch trains the same way in every run of
    a seed, whichever searcher proposed it."""
    return int(np.random.SeedSequence([seed, zlib.crc32(arch.encode())]).generate_state(1)[0])


def run_nas(config: NasConfig, progress: bool = True, source: str | None = None) -> dict:
    """Run (or resume) the search; returns the summary (also in ``summary.json``);
    ``source``: the YAML file the config came from (named in errors)."""
    import torch
    from tqdm.auto import tqdm

    from nas_surrogate.experiments.runner import prepare_out_dir
    from nas_surrogate.io import write_json_atomic
    from nas_surrogate.optimizer import Optimizer
    from nas_surrogate.proxies.base import Batch
    from nas_surrogate.proxies.live import TorchProxies
    from nas_surrogate.searchers import uses_surrogate
    from nas_surrogate.store import ResultsStore
    from nas_surrogate.training import load_dataset, train_network

    config.validate(source)
    device = resolve_device(config.device, f"{source}: device" if source else "--device")
    data = load_dataset(config.dataset)
    network = {"channels": config.channels, "n_cells": config.cells}
    gen = torch.Generator().manual_seed(config.seed)
    rows = torch.randperm(len(data.x_train), generator=gen)[: config.proxy_batch]
    batch = Batch(data.x_train[rows].to(device), data.y_train[rows].to(device), data.n_classes)
    proxies = TorchProxies(
        batch, space=config.space, seed=config.seed, network=network,
        n_jobs=1 if device != "cpu" else config.n_jobs,  # one process owns the GPU
    )  # fmt: skip
    settings = dict(
        space=config.space, searcher=config.searcher, features=config.features,
        surrogate=config.surrogate if uses_surrogate(config.searcher) else None,
        seed=config.seed, budget=config.budget, max_new_proxies=config.max_new_proxies,
        objectives=config.objectives or None,
    )  # fmt: skip
    fresh = Optimizer(**settings, proxies=proxies)  # every setting checked before any write
    out = Path(config.out)
    prepare_out_dir(out, "nas", config.fingerprint())
    state = out / "optimizer.json"
    opt = Optimizer.load(state, proxies) if state.exists() else fresh
    store = ResultsStore(out / "results.csv", ["arch"], order_by=["step"])  # in training order
    t0 = time.perf_counter()
    trained_now = 0
    try:
        done = {r["arch"]: r for r in store.frame().to_dict("records")} if len(store) else {}
        bar = tqdm(total=config.budget, initial=len(opt.history), desc="nas",
                   disable=not progress, leave=False)  # fmt: skip
        while len(opt.history) < config.budget:
            archs = opt.pending or opt.ask(1)
            if not archs:
                break  # the space is exhausted
            for arch in archs:
                if arch not in done:
                    with torch.random.fork_rng(devices=[]):
                        threads = torch.get_num_threads()
                        torch.set_num_threads(1)
                        try:
                            r = train_network(
                                opt.space.parse(arch), data, config.epochs,
                                arch_seed(config.seed, arch), network, device=device,
                            )  # fmt: skip
                        finally:
                            torch.set_num_threads(threads)
                    done[arch] = {"arch": arch, "step": len(opt.history) + 1,
                                  "val_accuracy": r.val_accuracy,
                                  "test_accuracy": r.test_accuracy,
                                  "train_seconds": r.seconds,
                                  **opt.known_values(arch)}  # fmt: skip
                    store.add(done[arch])
                    trained_now += 1
                opt.tell([arch], [done[arch]["val_accuracy"]])
                opt.save(state)
                bar.update(1)
        bar.close()
    finally:
        store.flush()
        store.close()
    summary = _summary(config, opt, done, proxies, time.perf_counter() - t0, trained_now)
    write_json_atomic(out / "summary.json", summary)
    from nas_surrogate.plots import nas_curve

    rows = [done[a] for a, _ in opt.history]
    if rows:
        title = f"{config.searcher} ({config.features}) on {Path(config.dataset).name}"
        nas_curve(rows, out / "plots" / "nas.png", title)
    return summary


def _rate(hits: int, misses: int) -> float | None:
    return hits / (hits + misses) if hits + misses else None


def _summary(config, opt, done: dict, proxies, wall: float, trained_now: int) -> dict:
    best = opt.best
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
