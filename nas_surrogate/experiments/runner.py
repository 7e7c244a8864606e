"""Run units of work in parallel into a results store, skipping finished ones."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm.auto import tqdm

from nas_surrogate import interrupt
from nas_surrogate.errors import BadInputError, redact
from nas_surrogate.io import make_out_dir, write_json_atomic
from nas_surrogate.store import ResultsStore


def prepare_out_dir(
    out: Path, command: str, fingerprint: dict, inputs: Sequence[str | None] = ()
) -> None:
    """Create ``out``; refuse to resume results made with different settings.

    Resuming is only honest when the finished units were computed exactly as the missing
    ones will be: same seeds, split and hyperparameters. ``run.json`` records them.
    """
    out = make_out_dir(Path(out), inputs)
    record = out / "run.json"
    wanted = {"command": command, "settings": fingerprint}
    holds_results = any(p.name != "run.json" for p in out.iterdir())
    if record.exists() and holds_results:
        try:
            before = json.loads(record.read_text())
        except json.JSONDecodeError:
            raise BadInputError(str(record), "not valid JSON") from None
        now = json.loads(json.dumps(wanted))
        if before != now:
            changed = first_difference(before, now) or "command"
            raise BadInputError(
                f"--out {out}",
                f"holds results made with another {changed}; use another --out to keep both",
            )
    write_json_atomic(record, wanted)


def first_difference(a: object, b: object, path: str = "") -> str | None:
    """Dotted path of the first entry where two JSON documents differ (None if equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                return where
            found = first_difference(a[key], b[key], where)
            if found:
                return found
        return None
    return None if a == b else (path or "value")


def run_experiment(
    units: Sequence[Any],
    work: Callable[[Any], dict | list[dict]],
    out: Path,
    command: str,
    fingerprint: dict,
    key_columns: Sequence[str],
    n_jobs: int = 1,
    progress: bool = True,
    scheduler: str | None = None,
    inputs: Sequence[str | None] = (),
) -> tuple[pd.DataFrame, int]:
    """Prepare ``out``, run the missing units into ``out/results.csv``, and return the
    rows of exactly these units (a folder may hold a bigger earlier grid) and how many
    units ran now. ``inputs``: data folders ``out`` must stay clear of."""
    check_n_jobs(n_jobs)
    client = dask_client(scheduler) if scheduler else None  # before anything is written
    try:
        prepare_out_dir(out, command, fingerprint, inputs)
        store = ResultsStore(Path(out) / "results.csv", key_columns)
    except BaseException:
        if client is not None:
            client.close()
        raise
    try:
        n_run = run_units(
            units, work, store, n_jobs=n_jobs, progress=progress, desc=command, client=client
        )
        frame = store.frame()
    finally:
        store.close()
        if client is not None:
            client.close()
    wanted = {tuple(str(v) for v in asdict(u).values()) for u in units}
    keys = frame[list(key_columns)].astype(str).apply(tuple, axis=1)
    return frame[keys.isin(wanted)].reset_index(drop=True), n_run


def run_grid(
    command: str,
    config: Any,
    plan: Callable[[Any], list],
    work: Callable[..., dict | list[dict]],
    out: Path,
    key_columns: Sequence[str],
    inputs: Callable[[Any], Sequence[str | None]],
    n_jobs: int = 1,
    progress: bool = True,
    scheduler: str | None = None,
) -> tuple[dict, pd.DataFrame]:
    """What ``evaluate`` and ``search`` share: check ``config``, expand its benchmark
    groups, plan the units, run the missing ones into ``out``. Returns the summary's
    common head (the command, its settings, unit counts, seconds) and the units' rows."""
    import time

    from nas_surrogate.benchmarks import expand_benchmark_ids
    from nas_surrogate.settings import validate

    started = time.perf_counter()
    validate(config)
    config.benchmarks = expand_benchmark_ids(",".join(config.benchmarks), config.data_dir)
    units = plan(config)
    results, n_run = run_experiment(
        units, partial(work, config=config), Path(out), command, config.fingerprint(),
        key_columns, n_jobs=n_jobs, progress=progress, scheduler=scheduler,
        inputs=inputs(config),
    )  # fmt: skip
    head = {
        "command": command,
        "config": asdict(config),
        "n_units": len(units),
        "n_units_run": n_run,
        "n_units_resumed": len(units) - n_run,
        "elapsed_seconds": time.perf_counter() - started,
    }
    return head, results


def run_units(
    units: Sequence[Any],
    work: Callable[[Any], dict | list[dict]],
    store: ResultsStore,
    n_jobs: int = 1,
    progress: bool = True,
    desc: str = "units",
    client: Any = None,
) -> int:
    """Run every unit not yet in ``store``; return how many ran. Flushes on any exit.

    Locally, units go to joblib workers; with ``client`` (connected to a
    ``dask.distributed`` scheduler, ``dask_client``) they go to that cluster as futures, and results
    stream back into the same store as they finish. A unit's numbers depend only on the
    unit, so both give identical results; a worker lost mid-grid has its unfinished
    units rescheduled by dask, and finished ones are already in the store.
    """
    done = store.done_keys()
    todo = [u for u in units if store.key(asdict(u)) not in done]
    # n_jobs was checked by run_experiment before anything was written; no more
    # processes than units or cores: each unit runs on one thread
    cores = os.cpu_count() or 1
    n_jobs = max(1, min(cores if n_jobs < 0 else n_jobs, len(todo), cores))
    work = partial(one_thread, work)
    bar = tqdm(total=len(todo), desc=desc, disable=not progress or not todo, leave=False)
    try:
        if client is not None:
            results = _dask_results(client, work, todo)
        else:
            results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
                delayed(work)(u) for u in todo
            )
        for rows in results:  # a unit gives one row (evaluate) or many (a search run)
            store.add_many(rows if isinstance(rows, list) else [rows])
            bar.update()
            interrupt.check()  # Ctrl-C stops here, with this unit stored
    finally:
        bar.close()
        store.flush()
    return len(todo)


def check_n_jobs(n_jobs: int) -> None:
    """``--n-jobs``: >= 1 or -1 (all cores); checked before anything is written."""
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or (n_jobs < 1 and n_jobs != -1):
        raise BadInputError("--n-jobs", f"must be >= 1 (or -1 for all cores), got {n_jobs!r}")


def one_thread(work: Callable[[Any], Any], unit: Any) -> Any:
    """``work(unit)`` with OpenMP and BLAS limited to one thread.

    Units are the unit of parallelism (each model is fit with one thread), but XGBoost
    also copies every label and weight array with an OpenMP team of all cores; with two
    workers on two cores those teams spin against each other and a bo run took 2-4x
    longer. One thread per unit keeps workers x threads within the cores."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return work(unit)


#: address schemes of dask.distributed's comms
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc", "ucx")


def check_scheduler(scheduler: str) -> None:
    """BadInputError for an address dask cannot use, before anything connects; a dask
    address holds no credentials, and none is ever repeated in a message."""
    from urllib.parse import urlsplit

    where = f"--scheduler {redact(scheduler)}"
    try:
        parts = urlsplit(scheduler)
        port = parts.port
    except ValueError:
        raise BadInputError(where, "not an address (expected tcp://HOST:PORT)") from None
    if parts.scheme not in DASK_SCHEMES:
        raise BadInputError(where, f"expected {'|'.join(DASK_SCHEMES)}://HOST:PORT")
    if "@" in parts.netloc or parts.username or parts.password:
        raise BadInputError(where, "a dask address holds no user or password")
    if parts.scheme != "inproc" and (not parts.hostname or port is None):
        raise BadInputError(where, "expected HOST:PORT after the scheme")


#: how long a client waits for a scheduler before the run is refused (exit 2)
CONNECT_TIMEOUT = "10s"
#: seconds a tcp:// address has to send dask's opening handshake (a scheduler writes it
#: as soon as a connection opens)
HANDSHAKE_SECONDS = 10.0
#: largest first message a scheduler's handshake could be (it is a few hundred bytes)
MAX_HANDSHAKE_BYTES = 1 << 20


def _probe(scheduler: str, where: str) -> None:
    """Refuse a tcp:// address that accepts a connection but is no dask scheduler, before
    dask's client reads it: a port that never answers hung past 150 s, and an HTTP
    server's reply was read as a message length (MemoryError: 3.07 EiB)."""
    import socket
    import struct
    from urllib.parse import urlsplit

    parts = urlsplit(scheduler)
    if parts.scheme != "tcp":
        return
    try:
        with socket.create_connection((parts.hostname, parts.port), HANDSHAKE_SECONDS) as sock:
            sock.settimeout(HANDSHAKE_SECONDS)
            head = b""
            while len(head) < 8:
                chunk = sock.recv(8 - len(head))
                if not chunk:
                    raise BadInputError(where, "closed the connection: not a dask scheduler")
                head += chunk
    except TimeoutError:
        raise BadInputError(
            where, f"sent no dask handshake within {HANDSHAKE_SECONDS:g} s: not a dask scheduler"
        ) from None
    except OSError as e:
        raise BadInputError(where, f"cannot connect ({type(e).__name__})") from None
    (size,) = struct.unpack("<Q", head)
    if not 0 < size <= MAX_HANDSHAKE_BYTES:
        raise BadInputError(where, "answered, but not with a dask handshake: not a dask scheduler")


def dask_client(scheduler: str):
    """A client connected to ``scheduler``: called before a run writes anything, so an
    unreachable cluster is one line and exit 2 with the results folder untouched."""
    check_scheduler(scheduler)
    where = f"--scheduler {redact(scheduler)}"
    try:
        from distributed import Client
    except ImportError:
        raise BadInputError(
            where, "needs dask.distributed: pip install 'nas-surrogate[dask]'"
        ) from None
    _probe(scheduler, where)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:  # its text may quote the address
        raise BadInputError(where, f"cannot connect ({type(e).__name__})") from None


def _dask_results(client, work: Callable, todo: list) -> Iterator:
    """Submit every unit to a dask.distributed cluster; yield results as they finish."""
    from distributed import as_completed

    futures = client.map(work, todo, pure=False)
    for future in as_completed(futures):
        yield future.result()
        future.release()
