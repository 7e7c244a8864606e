"""Training the networks ``nas`` proposes: in this process, or on Dask workers.

``train_one`` is the unit of work, a plain function of an arch string and a ``TrainJob``
(what every training shares), so a worker process needs nothing else: it loads the
dataset once and trains. ``train_on_dask`` runs trainings asynchronously: as soon as one
network finishes, its result is told to the optimiser and one new network is asked for,
so no worker waits for a batch; the optimiser knows what is in flight (pending asks)
and proposes around it.

Faults: a worker that dies mid-training (killed, out of memory) costs that training;
the scheduler runs it again on another worker, and after ``MAX_TRIES`` lost workers
(dask's ``allowed-failures`` + 1) it is recorded as failed (``Optimizer.fail``: never
proposed again), like a training that raised. The driver saves the optimiser after
every result, so a driver killed and rerun reads the finished networks back and trains
the in-flight ones again.
"""

from __future__ import annotations

import os
import sys
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace

from nas_surrogate.errors import BadInputError

#: tries of one training on a cluster this run starts (dask's allowed-failures + 1)
MAX_TRIES = 3
#: trainings kept queued beyond the workers: a worker that finishes starts the next one
#: at once instead of waiting while the driver fits and proposes
LOOKAHEAD = 1


@dataclass(frozen=True)
class TrainJob:
    """What every training of one run shares (sent to the workers with each arch)."""

    space: str
    dataset: str
    epochs: int
    seed: int
    channels: int
    cells: int
    device: str
    threads: int = 1  # torch threads per training
    topic: str = ""  # the run's event topic on the cluster (counts started trainings)
    model: str = ""  # the user's builder (package.module:function) on a user space
    lr: float = 0.1
    batch_size: int = 64
    optimizer: str = "sgd"
    weight_decay: float = 5e-4
    precision: str = "fp32"


def _dataset(spec: str, any_shape: bool = False):
    from nas_surrogate.training import cached_dataset

    return cached_dataset(spec, any_shape)


def arch_seed(seed: int, arch: str) -> int:
    """Training seed of one network: the same arch trains the same way in every run of
    a seed, whichever searcher proposed it."""
    import numpy as np

    return int(np.random.SeedSequence([seed, zlib.crc32(arch.encode())]).generate_state(1)[0])


def train_one(arch: str, job: TrainJob) -> dict:
    """Train ``arch`` (seeded by the run's seed and the arch: the same accuracy in any
    run of that seed) on ``job.threads`` torch threads; its accuracies and seconds."""
    import torch

    from nas_surrogate.allocator import roomy_malloc
    from nas_surrogate.spaces import get_space
    from nas_surrogate.training import train_network

    roomy_malloc()
    if job.topic:
        _log_start(job.topic, arch)
    network = {"channels": job.channels, "n_cells": job.cells}
    with torch.random.fork_rng(devices=[]):
        threads = torch.get_num_threads()
        torch.set_num_threads(job.threads)
        try:
            if job.model:  # the user's own model family
                from nas_surrogate.experiments.nas_space import train_config

                return train_config(arch, job, arch_seed(job.seed, arch))
            r = train_network(
                get_space(job.space).parse(arch), _dataset(job.dataset), job.epochs,
                arch_seed(job.seed, arch), network, batch_size=job.batch_size, lr=job.lr,
                device=job.device, precision=job.precision,
            )  # fmt: skip
        finally:
            torch.set_num_threads(threads)
    return {"val_accuracy": r.val_accuracy, "test_accuracy": r.test_accuracy,
            "train_seconds": r.seconds}  # fmt: skip


def _log_start(topic: str, arch: str) -> None:
    from distributed import get_worker

    get_worker().log_event(topic, {"arch": arch})


def check_workers(workers: int, scheduler: str | None, where: str = "--workers") -> None:
    """``--workers`` beyond this machine's cores (without a cluster) is refused."""
    cores = os.cpu_count() or 1
    if scheduler is None and workers > cores:
        raise BadInputError(
            f"{where} {workers}",
            f"this machine has {cores} cores; use --scheduler for a cluster with more",
        )


class Cluster:
    """A client on the cluster the trainings run on: a LocalCluster of ``workers``
    processes this run starts (and stops), or the scheduler at ``scheduler``. Connects
    at once, so an unreachable cluster is refused before anything is written."""

    def __init__(self, workers: int, scheduler: str | None):
        from nas_surrogate.experiments.runner import dask_client

        self._local = None
        if scheduler is None:
            try:
                import dask
                from distributed import Client, LocalCluster
            except ImportError:
                raise BadInputError(
                    f"--workers {workers}",
                    "needs dask.distributed: pip install 'nas-surrogate[dask]'",
                ) from None

            with dask.config.set({"distributed.scheduler.allowed-failures": MAX_TRIES - 1}):
                self._local = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=40,
                )  # fmt: skip
            self.client = Client(self._local)
            self.slots = workers
            self.threads = max(1, (os.cpu_count() or 1) // workers)
        else:
            self.client = dask_client(scheduler)
            info = self.client.scheduler_info()["workers"]
            total = sum(w.get("nthreads", 1) for w in info.values())
            if workers > 1 and workers > total:
                self.close()
                raise BadInputError(
                    f"--workers {workers}", f"the cluster has {total} worker threads"
                )
            if total == 0:
                self.close()
                raise BadInputError("--scheduler", "the cluster has no workers")
            self.slots = workers if workers > 1 else total
            self.threads = 1

    def close(self) -> None:
        self.client.close()
        if self._local is not None:
            self._local.close()


def train_on_dask(
    opt, cluster: Cluster, job: TrainJob, on_result: Callable, on_fail: Callable
) -> dict:
    """Keep ``cluster.slots`` trainings in flight (and ``LOOKAHEAD`` queued) until the
    optimiser's budget is asked; ``on_result(arch, result)`` / ``on_fail(arch, error)``
    record each as it finishes. In-flight archs of an earlier run (``opt.pending``) are
    trained first. Returns counts: trainings started on the cluster (a worker's death
    starts one again)."""
    from distributed import as_completed

    from nas_surrogate import interrupt

    topic = f"nas-train-{uuid.uuid4().hex[:12]}"
    job = replace(job, threads=cluster.threads, topic=topic)
    client, flying = cluster.client, {}
    queue = as_completed()

    def submit(arch: str) -> None:
        future = client.submit(train_one, arch, job, pure=False, key=f"{topic}-{arch}")
        flying[future.key] = (arch, future)
        queue.add(future)

    def fill() -> None:
        while len(flying) < cluster.slots + LOOKAHEAD:
            archs = opt.ask(1)
            if not archs:
                return
            submit(archs[0])

    for arch in opt.pending:  # in flight when an earlier run stopped: again
        submit(arch)
    fill()
    try:
        for future in queue:
            arch, _ = flying.pop(future.key)
            try:
                on_result(arch, future.result())
            except Exception as e:  # the training raised, or lost MAX_TRIES workers
                on_fail(arch, e)
            future.release()
            interrupt.check()
            fill()
    finally:
        if flying:  # stopped early: the state lists them pending, a rerun trains them
            client.cancel([f for _, f in flying.values()])
    started = len(client.get_events(topic))
    return {"trainings_started": started}


def warn_failed(arch: str, error: BaseException) -> None:
    print(
        f"nas: training {arch} failed ({type(error).__name__}: {error}); recorded as failed",
        file=sys.stderr,
    )
