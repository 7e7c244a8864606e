"""Scale-out: a grid sent to a dask.distributed cluster gives the local numbers, and a
worker killed mid-grid loses no finished unit."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time

import pandas as pd
import pytest

from nas_surrogate.cli import main

distributed = pytest.importorskip("distributed")

TIMING = ["fit_seconds", "predict_seconds"]
GRID = ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb,rf", "-f", "onehot;onehot+zc",
        "-n", "20,50", "--seeds", "4", "--format", "json"]  # fmt: skip


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as c:
        yield c


def results(path):
    frame = pd.read_csv(path / "results.csv").drop(columns=TIMING)
    return frame.sort_values(["surrogate", "features", "train_size", "seed"]).reset_index(drop=True)


def test_dask_grid_gives_the_local_numbers(cluster, tmp_path, capsys):
    assert main([*GRID, "--out", str(tmp_path / "local")]) == 0
    assert (
        main([*GRID, "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address])
        == 0
    )
    capsys.readouterr()
    pd.testing.assert_frame_equal(results(tmp_path / "local"), results(tmp_path / "dask"))


def test_killed_worker_loses_no_finished_unit(cluster, tmp_path, capsys):
    out = tmp_path / "killed"
    codes = []
    argv = [*GRID, "-s", "xgb,rf,gp", "--seeds", "16", "--out", str(out),
            "--scheduler", cluster.scheduler_address]  # fmt: skip
    thread = threading.Thread(target=lambda: codes.append(main(argv)))
    thread.start()
    deadline = time.monotonic() + 60
    while not (out / "results.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert thread.is_alive()  # the kill lands mid-grid, with finished units on disk
    with distributed.Client(cluster.scheduler_address) as client:
        victim = sorted(client.scheduler_info()["workers"])[0]
        with contextlib.suppress(Exception):  # the worker may die before it answers
            client.run(os._exit, 1, workers=[victim], wait=False)
    thread.join(timeout=300)
    capsys.readouterr()
    assert codes == [0]
    final = pd.read_csv(out / "results.csv")
    keys = ["benchmark", "surrogate", "features", "train_size", "seed"]
    assert len(final) == 3 * 2 * 2 * 16 and not final.duplicated(keys).any()
    assert main([*argv[:-2], "--out", str(tmp_path / "ref")]) == 0  # same grid, locally
    capsys.readouterr()
    pd.testing.assert_frame_equal(results(out), results(tmp_path / "ref"))


def test_unreachable_scheduler_is_bad_input(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("nas_surrogate.experiments.runner.CONNECT_TIMEOUT", "1s")  # no wait
    code = main([*GRID, "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 2
    assert "--scheduler tcp://127.0.0.1:1: cannot connect" in capsys.readouterr().err


def test_evolve_proxy_runs_on_the_cluster(cluster, tmp_path, capsys):
    argv = ["evolve-proxy", "-b", "nasbench201/cifar10", "--seeds", "2", "--population", "30",
            "--generations", "3", "--transfer", "nasbench201", "--format", "json"]  # fmt: skip
    assert main([*argv, "--out", str(tmp_path / "local")]) == 0
    assert (
        main([*argv, "--out", str(tmp_path / "dask"), "--scheduler", cluster.scheduler_address])
        == 0
    )
    capsys.readouterr()
    for seed in (0, 1):
        name = f"runs/nasbench201--cifar10--seed{seed}.json"
        a = json.loads((tmp_path / "local" / name).read_text())
        b = json.loads((tmp_path / "dask" / name).read_text())
        assert a["expression"] == b["expression"] and a["tau_rest"] == b["tau_rest"]
