"""``nas``: live proxies and real training on scikit-learn's digits, end to end."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from nas_surrogate import training
from nas_surrogate.cli import main
from nas_surrogate.proxies.base import Batch
from nas_surrogate.proxies.live import TorchProxies

TINY = ["--budget", "16", "--epochs", "1", "--channels", "4", "--max-new-proxies", "8",
        "--proxy-batch", "16", "--features", "onehot+zc:synflow,nwot,params,jacov"]  # fmt: skip


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _batch(seed: int) -> Batch:
    gen = torch.Generator().manual_seed(seed)
    return Batch(torch.randn(8, 1, 8, 8, generator=gen), torch.arange(8) % 4, 4)


def test_live_proxies_are_cached_by_arch_proxy_and_batch(tmp_path):
    archs = np.array([[2, 2, 3, 2, 0, 3], [0, 1, 4, 2, 2, 0], [3, 3, 3, 3, 3, 3]])
    names = ["synflow", "nwot"]
    first = TorchProxies(_batch(0), network={"channels": 4, "n_cells": 1}, cache=tmp_path)
    scores, seconds = first.compute(archs, names)
    assert first.misses == 6 and first.hits == 0 and (seconds > 0).all()
    again = TorchProxies(_batch(0), network={"channels": 4, "n_cells": 1}, cache=tmp_path)
    s2, t2 = again.compute(archs[::-1], names)
    assert again.hits == 6 and again.misses == 0
    assert np.array_equal(s2, scores[::-1], equal_nan=True) and np.array_equal(t2, seconds[::-1])
    other = TorchProxies(_batch(1), network={"channels": 4, "n_cells": 1}, cache=tmp_path)
    s3, _ = other.compute(archs, names)
    assert other.misses == 6  # another batch never reads these scores
    assert not np.allclose(s3[:, 1], scores[:, 1])


def test_nas_on_digits_trains_networks_and_resumes_without_retraining(
    capsys, tmp_path, monkeypatch
):
    calls: list[str] = []
    real = training.train_network

    def counted(arch, *args, **kwargs):
        calls.append(str(list(arch)))
        if len(calls) == 6 and crash["on"]:
            raise KeyboardInterrupt  # the process is killed during the 6th training
        return real(arch, *args, **kwargs)

    crash = {"on": True}
    monkeypatch.setattr(training, "train_network", counted)
    out = tmp_path / "run"
    assert main(["nas", "--out", str(out), *TINY]) == 130
    assert len(calls) == 6
    crash["on"] = False
    assert main(["nas", "--out", str(out), *TINY, "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert len(calls) == 6 + 11  # the 5 finished were read back, never trained again
    assert summary["trained"] == 16 and summary["trained_this_run"] == 11
    assert len(set(calls[5:])) == 11 and calls[5] == calls[6]  # the killed one, retrained
    rows = [json.loads(x)["rows"][0] for x in (out / "results.jsonl").read_text().splitlines()]
    assert len({r["arch"] for r in rows}) == 16
    assert summary["best_val_accuracy"] == max(r["val_accuracy"] for r in rows) > 50
    best = next(r for r in rows if r["arch"] == summary["best_arch"])
    assert summary["best_test_accuracy"] == best["test_accuracy"]
    assert summary["networks_with_proxies"] <= 10 + 8 * 2 + 2  # the per-step allowance
    assert 0 < summary["proxy_reuse_in_run"] < 1  # later steps rescore known networks

    # the same command into a fresh folder: the same networks and accuracies
    calls.clear()
    assert main(["nas", "--out", str(tmp_path / "again"), *TINY, "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["best_arch"] == summary["best_arch"]
    assert again["best_val_accuracy"] == summary["best_val_accuracy"]
    assert again["proxy_cache_hit_rate"] == 1.0  # every proxy score from the disk cache
    # proxies computed by two workers (a fresh cache): the very same run
    monkeypatch.setenv("NAS_SURROGATE_CACHE", str(tmp_path / "other-cache"))
    assert main(["nas", "--out", str(tmp_path / "j2"), *TINY, "-j", "2", "--format", "json"]) == 0
    parallel = json.loads(capsys.readouterr().out)
    assert parallel["proxy_cache_hit_rate"] == 0.0 and parallel["trained"] == 16
    rows_j2 = [
        json.loads(x)["rows"][0]
        for x in (tmp_path / "j2" / "results.jsonl").read_text().splitlines()
    ]
    assert [(r["arch"], r["val_accuracy"]) for r in rows_j2] == [
        (r["arch"], r["val_accuracy"]) for r in sorted(rows, key=lambda r: r["step"])
    ]
    code = main(["nas", "--out", str(out), *TINY, "--seed", "1"])
    assert code == 2 and "seed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"images": np.zeros((20, 1, 8, 8), np.float32)}, "needs arrays x and y"),
        ({"x": np.zeros((20, 8, 8), np.float32), "y": np.arange(20) % 2}, "(N, C, H, W)"),
        ({"x": np.zeros((20, 1, 8, 8), np.int64), "y": np.arange(20) % 2}, "must be float"),
        ({"x": np.zeros((20, 1, 8, 8), np.float32), "y": np.zeros(20, int)}, "two classes"),
        ({"x": np.zeros((20, 1, 8, 8), np.float32), "y": np.zeros(19, int)}, "integer labels"),
        ({"x": np.full((20, 1, 8, 8), np.nan, np.float32), "y": np.arange(20) % 2}, "NaN"),
    ],
)
def test_bad_datasets_exit_2_before_any_work(capsys, tmp_path, arrays, message):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    out = tmp_path / "out"
    assert main(["nas", "--out", str(out), "--dataset", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--space", "nasbench301"], "live proxies need the space's networks"),
        (["--budget", "0"], "--budget"),
        (["--dataset", "mnist"], "neither 'digits'"),
        (["--searcher", "annealing"], "annealing"),
        (["--device", "gpu"], "expected cpu, cuda, cuda:N or auto"),
        pytest.param(
            ["--device", "cuda"],
            "no CUDA device",
            marks=pytest.mark.skipif(_has_cuda(), reason="this machine has CUDA"),
        ),  # fmt: skip
    ],
)
def test_bad_settings_exit_2(capsys, tmp_path, args, message):
    out = tmp_path / "out"
    assert main(["nas", "--out", str(out), *args]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_own_npz_dataset_runs(capsys, tmp_path):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    x = (rng.normal(size=(60, 3, 6, 6)) + y[:, None, None, None]).astype(np.float32)
    np.savez(tmp_path / "mine.npz", x=x, y=y)
    args = ["nas", "--out", str(tmp_path / "o"), "--dataset", str(tmp_path / "mine.npz"),
            "--searcher", "random", "--budget", "3", "--epochs", "2", "--channels", "4",
            "--format", "json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["trained"] == 3 and summary["networks_with_proxies"] == 0
    # the user's file was the data: 12 validation images (20 % of 60), so every accuracy
    # is a multiple of 1/12 (digits' 360 would give multiples of 1/360)
    assert summary["dataset"].endswith("mine.npz")
    results = pd.read_csv(tmp_path / "o" / "results.csv")
    hits = results.val_accuracy.to_numpy() * 12 / 100
    assert len(results) == 3 and np.allclose(hits, np.round(hits))


def test_nas_from_yaml_writes_results_and_a_plot(capsys, tmp_path):
    config = tmp_path / "nas.yaml"
    config.write_text(
        f"command: nas\nout: {tmp_path / 'o'}\nsearcher: evolution\nbudget: 4\nepochs: 1\n"
        "channels: 4\nformat: json\n"
    )
    assert main(["run", str(config)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["searcher"] == "evolution" and summary["trained"] == 4
    assert (tmp_path / "o" / "plots" / "nas.png").stat().st_size > 0
    config.write_text(f"command: nas\nout: {tmp_path / 'p'}\nepochs: 0\n")
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"{config}: epochs" in err and not (tmp_path / "p").exists()


def test_nas_with_a_live_latency_objective(capsys, tmp_path):
    """Latency is measured on this machine per network (a known objective: no training),
    params read like a proxy; the summary's front is non-dominated among the results."""
    from nas_surrogate.objectives import non_dominated

    args = ["nas", "--out", str(tmp_path / "o"), "--searcher", "mobo", "--features", "onehot",
            "--objectives", "val_accuracy,latency,params", "--budget", "11", "--epochs", "1",
            "--channels", "4", "--format", "json"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    summary = json.loads(capsys.readouterr().out)
    rows = [
        json.loads(x)["rows"][0]
        for x in (tmp_path / "o" / "results.jsonl").read_text().splitlines()
    ]
    assert len(rows) == 11 and all(r["latency"] > 0 and r["params"] > 0 for r in rows)
    Y = np.array([[-r["val_accuracy"], r["latency"], r["params"]] for r in rows])
    front = {r["arch"] for r, keep in zip(rows, non_dominated(Y)) if keep}
    assert {p["arch"] for p in summary["pareto_front"]} == front
    bad = ["nas", "--out", str(tmp_path / "p"), "--searcher", "bo", "--objectives",
           "val_accuracy,latency", "--budget", "3"]  # fmt: skip
    assert main(bad) == 2 and "mobo" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "objectives,fragment",
    [("val_accuracy,latncy", "did you mean 'latency'"), ("val_acuracy,latency", "val_acuracy"),
     ("val_accuracy,pixel3_latency", "pixel3_latency")],
)  # fmt: skip
def test_nas_checks_every_objective_name_before_any_training(capsys, tmp_path, objectives,
                                                            fragment):  # fmt: skip
    """A typo in --objectives used to train a network, write run.json and a result, then
    exit 2, leaving a folder that refused the corrected command."""
    out = tmp_path / "o"
    code = main(["nas", "--out", str(out), "--searcher", "random", "--objectives", objectives,
                 "--budget", "2", "--epochs", "1", "--channels", "4", "--cells", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err
    assert not out.exists()


def test_nas_refuses_a_plain_npy_dataset(capsys, tmp_path):
    """``np.save`` writes one array: it was a raw TypeError (exit 1), not one line."""
    path = tmp_path / "data.npy"
    np.save(path, np.zeros((30, 1, 8, 8), np.float32))
    out = tmp_path / "o"
    code = main(["nas", "--dataset", str(path), "--out", str(out), "--budget", "2",
                 "--epochs", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "np.savez" in err and err.count("\n") == 1, err
    assert not out.exists()
