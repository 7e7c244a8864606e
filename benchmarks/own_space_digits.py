"""Real training on a user space: bo with ZC proxies vs bo, Optuna TPE and random search.

    python benchmarks/own_space_digits.py --seeds 10 --budget 40 [--out docs/own_space_digits.md]
    python benchmarks/own_space_digits.py --probe [--epochs 5 --train-images 300 ...]

The space is ``examples/digits_cnn/space.yaml`` (a CNN family: 1 to 8 blocks with their
own width, kernel and pooling, one activation, normalisation and dropout; 1.4e14
configurations) and the networks are ``examples/digits_cnn/model.py:build``, trained
for real on CPU on scikit-learn's digits (the package's fixed stratified 60/20/20
split). To make the task hard enough that methods separate, each network trains for a
few epochs on a fixed stratified subsample of the training split (seed 0, the same for
every search seed); the objective is the accuracy on the full validation split, and the
test split is read only for each method's best-by-validation network.

Per search seed s (paired: every method of seed s trains a configuration the same way,
seeded by (s, config) as ``nas_workers.arch_seed`` does, and a configuration one method
trained is not trained again for another method of s, but still counts as a training of
its budget), with the same budget of trainings:

- ``bo enc+zc``: ``Optimizer(space, "bo", features="enc+zc", proxies=ModelProxies(...),
  seed=s)``, the 13 ZC proxies on a 64-image batch of the training subsample (drawn with
  seed s; proxy weights seeded s), ask(1)/tell, bo's defaults;
- ``bo enc``: the same without proxies (the space's encoding only);
- ``TPE``: Optuna's ``TPESampler(seed=s)`` on a define-by-run objective suggesting the
  same space (a forbidden configuration is pruned before training and not counted);
- ``random``: ``Optimizer(space, "random", seed=s)`` (the space's own sampler).

Reports the best validation accuracy after 10/20/40 trainings (median, mean ± std),
the test accuracy of that network, paired wins of bo enc+zc, wall seconds per run
(training, proxies, search overhead) and the Kendall tau of each proxy against the
validation accuracy of every distinct trained network (pooled over methods and seeds).
Writes the page and a small JSON of the raw curves next to it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import optuna  # noqa: E402
import torch  # noqa: E402
from scipy.stats import kendalltau  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import nas_surrogate as ns  # noqa: E402
from nas_surrogate.experiments.nas_space import arch_text  # noqa: E402
from nas_surrogate.experiments.nas_workers import arch_seed  # noqa: E402
from nas_surrogate.models import build_model, load_builder  # noqa: E402
from nas_surrogate.proxies.model import ModelProxies, model_batch  # noqa: E402
from nas_surrogate.proxy_names import PROXY_NAMES  # noqa: E402
from nas_surrogate.training import Dataset, load_dataset, train_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SPACE_FILE = ROOT / "examples" / "digits_cnn" / "space.yaml"
MODEL_FILE = ROOT / "examples" / "digits_cnn" / "model.py"
CHECKPOINTS = (10, 20, 40)
#: seed of the training subsample: fixed, whatever the search seed
SUBSAMPLE_SEED = 0
#: configurations the probe trains, and the seed they are drawn with
PROBE_CONFIGS = 30
PROBE_SEED = 12345
PROXY_BATCH = 64
METHODS = ("bo enc+zc", "bo enc", "TPE", "random")
#: the method the goals are about, and the one it is measured against
OURS, REFERENCE = "bo enc+zc", "TPE"

Config = dict[str, object]


@dataclass(frozen=True)
class Task:
    """How every network of the run is trained (the same for every method)."""

    epochs: int = 5
    train_images: int = 300  # 0: the whole training split
    lr: float = 3e-3
    batch_size: int = 16
    optimizer: str = "adam"
    weight_decay: float = 5e-4

    def describe(self, data: Dataset, full: int) -> str:
        images = (
            f"a fixed stratified subsample of {len(data.x_train)} of the {full} training "
            f"images (seed {SUBSAMPLE_SEED}, the same for every search seed)"
            if len(data.x_train) < full
            else f"all {full} training images"
        )
        return (
            f"{self.epochs} epoch(s) on {images}, {self.optimizer} (lr {self.lr:g}, weight "
            f"decay {self.weight_decay:g}, cosine schedule), batch {self.batch_size}; "
            f"objective: accuracy on the full validation split ({len(data.x_val)} images); "
            f"test split ({len(data.x_test)} images) read only for the best-by-validation "
            "network"
        )


def task_data(task: Task) -> tuple[Dataset, int]:
    """The digits split with its training part subsampled (stratified, seeded), and the
    size of the full training split."""
    from sklearn.model_selection import train_test_split

    data = load_dataset("digits")
    full = len(data.x_train)
    if 0 < task.train_images < full:
        rows, _ = train_test_split(
            np.arange(full), train_size=task.train_images,
            stratify=data.y_train.numpy(), random_state=SUBSAMPLE_SEED,
        )  # fmt: skip
        rows = torch.as_tensor(np.sort(rows))
        data = replace(data, x_train=data.x_train[rows], y_train=data.y_train[rows])
    return data, full


@dataclass(frozen=True)
class Trained:
    val: float
    test: float
    seconds: float  # measured when it was trained


class Trainer:
    """Trains a configuration of one search seed, seeded by (seed, config); remembers
    results per (seed, config) so another method of that seed gets the same result
    without training again."""

    def __init__(self, task: Task, data: Dataset, build: Callable) -> None:
        self.task, self.data, self.build = task, data, build
        self.input_shape = tuple(int(s) for s in data.x_train.shape[1:])
        self.cache: dict[tuple[int, str], Trained] = {}
        self.configs: dict[tuple[int, str], Config] = {}

    def train(self, seed: int, config: Config) -> Trained:
        text = arch_text(config)
        net_seed = arch_seed(seed, text)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(net_seed)
            net = build_model(self.build, config, self.input_shape, self.data.n_classes, "build")
            t = self.task
            r = train_model(
                net, self.data, t.epochs, net_seed, batch_size=t.batch_size, lr=t.lr,
                optimizer=t.optimizer, weight_decay=t.weight_decay,
            )  # fmt: skip
        return Trained(r.val_accuracy, r.test_accuracy, r.seconds)

    def __call__(self, seed: int, config: Config) -> tuple[Trained, bool]:
        """(result, whether it came from the cache)."""
        key = (seed, arch_text(config))
        if key in self.cache:
            return self.cache[key], True
        result = self.train(seed, config)
        self.cache[key] = result
        self.configs[key] = dict(config)
        return result, False


class TimedProxies:
    """A ``ModelProxies`` whose computing seconds are counted (what bo enc+zc pays).

    Each configuration is scored with the global torch generator seeded by the proxies'
    seed: ``ModelProxies`` seeds the network's weights but runs the proxy itself on the
    global generator, so a network with dropout (most of this space) would otherwise get
    scores that depend on what ran before it in the process (not reproducible)."""

    def __init__(self, proxies: ModelProxies) -> None:
        self.proxies = proxies
        self.seconds = 0.0

    @property
    def names(self) -> tuple[str, ...]:
        return self.proxies.names

    def compute(
        self, configs: Sequence[dict], names: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        t = time.perf_counter()
        try:
            if not configs:
                return self.proxies.compute(configs, names)
            parts = []
            for config in configs:
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(self.proxies.seed)
                    parts.append(self.proxies.compute([config], names))
            return np.vstack([p[0] for p in parts]), np.vstack([p[1] for p in parts])
        finally:
            self.seconds += time.perf_counter() - t


@dataclass
class Run:
    """One method on one seed: its trainings in order and where the time went."""

    val: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)
    cached: list[bool] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    train_seconds: float = 0.0  # every training charged its measured seconds
    proxy_seconds: float = 0.0
    search_seconds: float = 0.0  # the rest of the run's wall time
    pruned: int = 0  # forbidden configurations TPE proposed (pruned, not trained)

    def add(self, trained: Trained, cached: bool, key: str) -> None:
        self.val.append(trained.val)
        self.test.append(trained.test)
        self.cached.append(cached)
        self.keys.append(key)
        self.train_seconds += trained.seconds

    @property
    def total_seconds(self) -> float:
        return self.train_seconds + self.proxy_seconds + self.search_seconds


class Timed:
    """Counts the wall seconds of the trainings it performs (not cache hits)."""

    def __init__(self, trainer: Trainer, seed: int, run: Run) -> None:
        self.trainer, self.seed, self.run = trainer, seed, run
        self.wall = 0.0

    def __call__(self, config: Config) -> float:
        t = time.perf_counter()
        trained, cached = self.trainer(self.seed, config)
        self.wall += time.perf_counter() - t
        self.run.add(trained, cached, arch_text(config))
        return trained.val


def run_optimizer(opt, train: Timed, budget: int) -> None:
    for _ in range(budget):
        (config,) = opt.ask(1)
        opt.tell([config], [train(config)])


def suggest(trial: optuna.Trial, space: ns.Space) -> Config:
    """The space, define-by-run: depth, then each active block's width, kernel and
    pooling, then act, norm and dropout (the values the YAML declares)."""
    dims = space.dimensions
    config: Config = {"depth": trial.suggest_int("depth", int(dims["depth"].low),
                                                 int(dims["depth"].high))}  # fmt: skip
    for i in range(1, int(config["depth"]) + 1):
        for part in ("width", "kernel", "pool"):
            name = f"{part}_{i}"
            config[name] = trial.suggest_categorical(name, list(dims[name].values))
    for name in ("act", "norm", "dropout"):
        config[name] = trial.suggest_categorical(name, list(dims[name].values))
    return config


def run_study(sampler, space: ns.Space, train: Timed, run: Run, budget: int) -> None:
    study = optuna.create_study(direction="maximize", sampler=sampler)

    def objective(trial: optuna.Trial) -> float:
        config = suggest(trial, space)
        if not space.allowed(config):
            run.pruned += 1
            raise optuna.TrialPruned("forbidden by the space")
        return train(space.check(config))

    while len(run.val) < budget:
        study.optimize(objective, n_trials=1)


def run_method(
    method: str, seed: int, space: ns.Space, trainer: Trainer, proxies: TimedProxies, budget: int
) -> Run:
    run = Run()
    train = Timed(trainer, seed, run)
    before = proxies.seconds
    t = time.perf_counter()
    if method == "bo enc+zc":
        opt = ns.Optimizer(space, "bo", features="enc+zc", proxies=proxies, seed=seed)
        run_optimizer(opt, train, budget)
    elif method == "bo enc":
        run_optimizer(ns.Optimizer(space, "bo", features="enc", seed=seed), train, budget)
    elif method == "TPE":
        run_study(optuna.samplers.TPESampler(seed=seed), space, train, run, budget)
    elif method == "random":
        run_optimizer(ns.Optimizer(space, "random", seed=seed), train, budget)
    else:
        raise ValueError(method)
    wall = time.perf_counter() - t
    run.proxy_seconds = proxies.seconds - before
    run.search_seconds = max(wall - train.wall - run.proxy_seconds, 0.0)
    return run


@dataclass
class SeedResult:
    runs: dict[str, Run]
    #: every distinct network trained on this seed: validation accuracy, proxy scores
    val: list[float]
    scores: list[list[float]]
    tau_proxy_seconds: float  # proxies computed for the tau only (no method paid them)


def run_seed(
    seed: int, space: ns.Space, task: Task, data: Dataset, build: Callable, budget: int
) -> SeedResult:
    torch.set_num_threads(1)
    torch.manual_seed(seed)  # nothing here should read the global generator; if it does,
    # the run stays reproducible
    with threadpool_limits(1):
        trainer = Trainer(task, data, build)
        batch = model_batch(data.x_train.numpy(), data.y_train.numpy(), data.n_classes,
                            size=PROXY_BATCH, seed=seed)  # fmt: skip
        proxies = TimedProxies(ModelProxies(build, batch, proxies=PROXY_NAMES, seed=seed))
        runs = {m: run_method(m, seed, space, trainer, proxies, budget) for m in METHODS}
        keys = list(trainer.configs)
        before = proxies.seconds
        scores, _ = proxies.compute([trainer.configs[k] for k in keys], PROXY_NAMES)
        extra = proxies.seconds - before
    val = [trainer.cache[k].val for k in keys]
    return SeedResult(runs, val, scores.tolist(), extra)


# -- the probe ---------------------------------------------------------------------------
def probe(space: ns.Space, task: Task, build: Callable) -> None:
    """Trains PROBE_CONFIGS random configurations under ``task``: the spread of
    validation accuracy and the seconds per training."""
    torch.set_num_threads(1)
    data, full = task_data(task)
    configs = space.sample(PROBE_CONFIGS, np.random.default_rng(PROBE_SEED))
    trainer = Trainer(task, data, build)
    with threadpool_limits(1):
        results = [trainer.train(0, c) for c in configs]
    val = np.array([r.val for r in results])
    sec = np.array([r.seconds for r in results])
    q = np.percentile(val, [0, 25, 50, 75, 90, 100])
    print(f"task: {task.describe(data, full)}")
    print(f"{PROBE_CONFIGS} random configs: val acc min/q25/median/q75/q90/max = "
          + " / ".join(f"{v:.1f}" for v in q))  # fmt: skip
    print(f"  mean {val.mean():.1f}, std {val.std():.1f}; below 20 %: {(val < 20).sum()}")
    print(f"  seconds per training: mean {sec.mean():.2f}, max {sec.max():.2f}")
    top = np.argsort(-val)[:3]
    for i in top:
        print(f"  {val[i]:.1f}: {arch_text(configs[i])}")


# -- the report --------------------------------------------------------------------------
def best_at(run: Run, k: int) -> tuple[float, float]:
    """(best validation accuracy in the first k trainings, test accuracy of that network:
    the first one to reach it)."""
    v = np.array(run.val[:k])
    i = int(np.argmax(v))
    return float(v[i]), float(run.test[i])


def stats(x: Sequence[float]) -> str:
    a = np.asarray(x, dtype=float)
    return f"{np.median(a):.2f} ({a.mean():.2f} ± {a.std():.2f})"


def paired(ours: Sequence[float], other: Sequence[float]) -> tuple[int, int, int]:
    a, b = np.asarray(ours), np.asarray(other)
    win, tie = int((a > b).sum()), int((a == b).sum())
    return win, tie, len(a) - win - tie


def tau_table(results: list[SeedResult]) -> list[str]:
    val = np.concatenate([np.asarray(r.val) for r in results])
    scores = np.concatenate([np.asarray(r.scores, dtype=float) for r in results])
    rows = []
    for j, name in enumerate(PROXY_NAMES):
        ok = np.isfinite(scores[:, j])
        tau = kendalltau(scores[ok, j], val[ok]).statistic if ok.sum() > 2 else np.nan
        per_seed = []
        for r in results:
            s, v = np.asarray(r.scores, dtype=float)[:, j], np.asarray(r.val)
            good = np.isfinite(s)
            if good.sum() > 2:
                per_seed.append(kendalltau(s[good], v[good]).statistic)
        per = np.array(per_seed, dtype=float)
        rows.append((name, float(tau), per, int((~ok).sum())))
    rows.sort(key=lambda r: -abs(r[1]) if np.isfinite(r[1]) else 0.0)
    lines = [
        f"| proxy | Kendall τ pooled ({len(val)} networks) | τ per seed, mean ± std | NaN scores |",
        "|---|---|---|---|",
    ]
    for name, tau, per, nan in rows:
        label = f"{name} (baseline: parameter count)" if name == "params" else name
        per_text = f"{np.nanmean(per):+.3f} ± {np.nanstd(per):.3f}" if len(per) else "-"
        lines.append(f"| {label} | {tau:+.3f} | {per_text} | {nan} |")
    return lines


def spread_line(results: list[SeedResult]) -> str:
    """How hard the task is: the validation accuracies of random search's trainings (a
    uniform sample of the space) and the seconds of one training."""
    val = np.concatenate([r.runs["random"].val for r in results])
    q = np.percentile(val, [0, 25, 50, 75, 90, 100])
    runs = [run for r in results for run in r.runs.values()]
    seconds = sum(run.train_seconds for run in runs) / sum(len(run.val) for run in runs)
    return (
        f"How hard the task is: the {len(val)} networks random search trained (a uniform "
        "sample of the space) score min / q25 / median / q75 / q90 / max = "
        + " / ".join(f"{v:.1f}" for v in q)
        + f" % on validation ({100 * np.mean(val < 12.0):.0f} % of them below 12 %, about "
        f"chance level); one training takes {seconds:.2f} s on average (all methods)."
    )


def report(
    results: list[SeedResult], args: argparse.Namespace, task_text: str, wall: float
) -> tuple[str, dict]:
    seeds = len(results)
    checks = sorted({k for k in CHECKPOINTS if k <= args.budget} | {args.budget})
    best = {m: {k: [best_at(r.runs[m], k) for r in results] for k in checks} for m in METHODS}
    command = "python benchmarks/own_space_digits.py " + " ".join(sys.argv[1:])
    lines = [
        "# Real training on a user space: digits CNN family",
        "",
        f"Printed by `{command}` on {datetime.date.today()}; {platform.platform()}, "
        f"{platform.machine()}, {os.cpu_count()} cores (shared with other work), one torch "
        f"thread, {args.jobs} process(es); wall time {wall / 60:.1f} min.",
        "",
        f"Space: `examples/digits_cnn/space.yaml` ({ns.Space.from_yaml(SPACE_FILE).size():.2g} "
        "configurations); networks: `examples/digits_cnn/model.py:build`; data: scikit-learn "
        "digits (8x8 grey images, 10 classes), the package's fixed stratified 60/20/20 split.",
        "",
        f"Task (the same trainer for every method): {task_text}. Each network's weights and "
        "batch order are seeded by (search seed, configuration), so within a seed a "
        "configuration trains the same way whichever method proposed it; a configuration "
        "already trained on that seed is read back, not trained again, but counts as one of "
        "the method's trainings.",
        "",
        f"Methods, seeds 0..{seeds - 1}, {args.budget} trainings each, one at a time: "
        "**bo enc+zc** `Optimizer(space, \"bo\", features=\"enc+zc\", "
        "proxies=ModelProxies(build, batch, PROXY_NAMES, seed=s))` (the 13 proxies on a "
        f"{PROXY_BATCH}-image batch of the training subsample drawn with seed s; each "
        "configuration scored with torch's global generator seeded s, because "
        "`ModelProxies` seeds the weights but not the dropout masks the proxies draw, "
        "which made its scores, and bo enc+zc's runs, differ from process to process); "
        "**bo enc** "
        "`Optimizer(space, \"bo\", features=\"enc\")`; both ask(1)/tell with bo's defaults "
        "(10 random, then the XGBoost-ensemble surrogate, batch 5); **TPE** Optuna's "
        "`TPESampler(seed=s)` on a define-by-run objective suggesting the same space (a "
        "forbidden configuration is pruned before training and not counted: "
        f"{sum(r.runs['TPE'].pruned for r in results)} in all); **random** "
        "`Optimizer(space, \"random\", seed=s)` (the space's own sampler).",
        "",
        spread_line(results),
        "",
        "## Best validation accuracy (%) after k trainings",
        "",
        "Median (mean ± std) over seeds; test: the test accuracy of the network the "
        "validation picked (the first to reach the best).",
        "",
        "| method | " + " | ".join(f"best val @{k}" for k in checks)
        + f" | test of best @{checks[-1]} | s/run: train | proxies | search | total |",
        "|---" * (len(checks) + 6) + "|",
    ]  # fmt: skip
    for m in METHODS:
        runs = [r.runs[m] for r in results]
        cells = [stats([b[0] for b in best[m][k]]) for k in checks]
        cells.append(stats([b[1] for b in best[m][checks[-1]]]))
        cells += [
            f"{np.mean([r.train_seconds for r in runs]):.1f}",
            f"{np.mean([r.proxy_seconds for r in runs]):.1f}",
            f"{np.mean([r.search_seconds for r in runs]):.1f}",
            f"{np.mean([r.total_seconds for r in runs]):.1f}",
        ]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Seconds per run (mean over seeds): *train* charges each of the run's trainings "
        "its measured seconds, also those read back from another method's training (so the "
        "figure does not depend on the order the methods ran in); *proxies*: computing ZC "
        "scores (bo enc+zc scores every candidate it considers); *search*: the rest "
        "(surrogate fits, acquisition, Optuna's sampler).",
        "",
        "## Paired comparison: bo enc+zc against each method",
        "",
        "Wins / ties / losses over the seeds of bo enc+zc's best validation accuracy.",
        "",
        "| against | " + " | ".join(f"@{k}" for k in checks) + " |",
        "|---" * (len(checks) + 1) + "|",
    ]
    ours = {k: [b[0] for b in best[OURS][k]] for k in checks}
    for m in METHODS:
        if m == OURS:
            continue
        cells = [" / ".join(map(str, paired(ours[k], [b[0] for b in best[m][k]]))) for k in checks]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    first = min(10, args.budget)
    same = {
        m: sum(r.runs[m].keys[:first] == r.runs[OURS].keys[:first] for r in results)
        for m in ("bo enc", "random")
    }
    lines += [
        "",
        f"The first {first} networks of bo enc and random are those of bo enc+zc in "
        f"{same['bo enc']} and {same['random']} of {seeds} seeds: bo's initial design is "
        "drawn by the same seeded sampler as random search, so the three `Optimizer` runs "
        f"of a seed start alike (ties at @{first} are expected) and differ from there.",
    ]
    ref = {k: [b[0] for b in best[REFERENCE][k]] for k in checks}
    goal_lines = ["", "## Goals", ""]
    for k in (20, 40):
        if k in checks:
            a, b = float(np.median(ours[k])), float(np.median(ref[k]))
            met = "met" if a >= b else f"missed by {b - a:.2f} points"
            goal_lines.append(
                f"- bo enc+zc median at {k}: {a:.2f} vs TPE {b:.2f} (goal >=): {met}."
            )
    if 20 in checks:
        win, tie, loss = paired(ours[20], ref[20])
        need = int(np.ceil(0.7 * seeds))
        met = "met" if win >= need else f"missed by {need - win}"
        goal_lines.append(
            f"- ahead of TPE in {win} of {seeds} paired seeds at 20 (ties {tie}, losses "
            f"{loss}; goal >= {need}): {met}."
        )
    lines += goal_lines
    distinct = sum(len(r.val) for r in results)
    trainings = seeds * len(METHODS) * args.budget
    lines += [
        "",
        "## Kendall τ of each proxy against the trained accuracy",
        "",
        f"Over the {distinct} distinct trained networks (search seed, configuration) of "
        f"the run, pooled over methods and seeds ({trainings} trainings counted, "
        f"{trainings - distinct} read back from the cache), each proxy as computed on its "
        f"seed's {PROXY_BATCH}-image batch; NaN scores (a proxy that failed on a network) "
        "dropped. Sorted by |τ|; `params` is the baseline any proxy should beat. Proxies "
        "computed for networks bo enc+zc never scored took "
        f"{sum(r.tau_proxy_seconds for r in results):.0f} s in all (charged to no method).",
        "",
        *tau_table(results),
        "",
    ]
    raw = {
        "command": command,
        "task": asdict(args.task),
        "seeds": seeds,
        "budget": args.budget,
        "methods": {
            m: {
                "val": [np.round(r.runs[m].val, 3).tolist() for r in results],
                "test": [np.round(r.runs[m].test, 3).tolist() for r in results],
                "cached": [r.runs[m].cached for r in results],
                "seconds": [
                    {
                        "train": round(r.runs[m].train_seconds, 2),
                        "proxies": round(r.runs[m].proxy_seconds, 2),
                        "search": round(r.runs[m].search_seconds, 2),
                    }
                    for r in results
                ],
            }
            for m in METHODS
        },
    }
    return "\n".join(lines), raw


def _seed_job(payload: tuple) -> SeedResult:
    seed, task, budget = payload
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = ns.Space.from_yaml(SPACE_FILE)
    build = load_builder(f"{MODEL_FILE}:build")
    data, _ = task_data(task)
    t = time.perf_counter()
    result = run_seed(seed, space, task, data, build, budget)
    line = ", ".join(
        f"{m} {max(r.val):.1f}" for m, r in result.runs.items()
    )  # fmt: skip
    print(f"seed {seed}: {line} ({time.perf_counter() - t:.0f} s)", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=40, help="trainings per method and seed")
    parser.add_argument("--epochs", type=int, default=Task.epochs)
    parser.add_argument("--train-images", type=int, default=Task.train_images,
                        help="stratified subsample of the training split (0: all)")  # fmt: skip
    parser.add_argument("--lr", type=float, default=Task.lr)
    parser.add_argument("--batch-size", type=int, default=Task.batch_size)
    parser.add_argument("--optimizer", default=Task.optimizer, choices=("adam", "sgd", "adamw"))
    parser.add_argument("--jobs", type=int, default=1, help="processes, one seed each")
    parser.add_argument("--probe", action="store_true",
                        help=f"train {PROBE_CONFIGS} random configurations and stop")  # fmt: skip
    parser.add_argument("--out", default=str(ROOT / "docs" / "own_space_digits.md"))
    args = parser.parse_args()
    if args.seeds < 1 or args.budget < 1 or args.jobs < 1 or args.epochs < 1:
        parser.error("--seeds, --budget, --jobs and --epochs must be positive")
    args.task = Task(args.epochs, args.train_images, args.lr, args.batch_size, args.optimizer)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = ns.Space.from_yaml(SPACE_FILE)
    if args.probe:
        probe(space, args.task, load_builder(f"{MODEL_FILE}:build"))
        return
    start = time.perf_counter()
    payloads = [(s, args.task, args.budget) for s in range(args.seeds)]
    if args.jobs == 1:
        results = [_seed_job(p) for p in payloads]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            results = list(pool.map(_seed_job, payloads))
    data, full = task_data(args.task)
    text, raw = report(results, args, args.task.describe(data, full), time.perf_counter() - start)
    out = Path(args.out)
    out.write_text(text)
    blob = json.dumps(raw, separators=(",", ":"))
    if len(blob) < 200_000:
        out.with_suffix(".json").write_text(blob + "\n")
    print(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
