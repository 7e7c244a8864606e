"""Nothing lost: concurrent writers of one state file, and the other data-loss cases
found by trying the product as an unlucky user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from nas_surrogate.cli import main


def test_concurrent_tells_on_one_state_keep_every_result(tmp_path, capsys):
    state = tmp_path / "run.json"
    assert main(["ask", "--state", str(state), "--searcher", "random", "-k", "4",
                 "--format", "json"]) == 0  # fmt: skip
    archs = json.loads(capsys.readouterr().out)["archs"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nas_surrogate.cli",
                "tell",
                "--state",
                str(state),
                "--arch",
                arch,
                "--value",
                str(80.0 + i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i, arch in enumerate(archs)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert main(["tell", "--state", str(state), "--arch", archs[0], "--value", "1",
                 "--format", "json"]) == 2  # fmt: skip
    assert "already told" in capsys.readouterr().err
    doc = json.loads(state.read_text())
    assert len(doc["problem"]["rows"]) == 4  # none lost


def test_a_key_written_twice_in_a_data_file_is_refused(tmp_path, capsys, data_dir):
    """json keeps the last of two equal keys: a duplicated arch changed an accuracy, a
    duplicated task dropped networks, silently."""
    text = (data_dir / "zc_nasbench201.json").read_text()
    first_arch = text.index('"(', text.index('"cifar10"'))
    end = text.index("}}", first_arch) + 2  # one arch entry: "(..)": {...}}
    entry = text[first_arch:end]
    dup_arch = text[:first_arch] + entry + ", " + text[first_arch:]
    head = text.index('"cifar10"')
    dup_task = text[:head] + '"cifar10": {}, ' + text[head:]
    for name, doc, key in (("arch", dup_arch, entry[: entry.index(":")]),
                           ("task", dup_task, '"cifar10"')):  # fmt: skip
        folder = tmp_path / name
        folder.mkdir()
        (folder / "zc_nasbench201.json").write_text(doc)
        code = main(["benchmarks", "--data-dir", str(folder)])
        err = capsys.readouterr().err
        assert code == 2, err
        assert "appears twice" in err and key.strip('"') in err


def test_out_equal_to_inside_or_holding_the_data_dir_is_refused(tmp_path, capsys, data_dir):
    import shutil

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(data_dir / "zc_nasbench201.json", data)
    for out in (data, data / "results", tmp_path):
        argv = ["search", "-b", "nasbench201/cifar10", "--data-dir", str(data), "--searcher",
                "random", "--budget", "3", "--seeds", "1", "--out", str(out)]  # fmt: skip
        assert main(argv) == 2
        assert "data folder" in capsys.readouterr().err
        assert not (out / "run.json").exists()
    assert sorted(p.name for p in data.iterdir()) == ["zc_nasbench201.json"]
    code = main(["evaluate", "-b", "nasbench201/cifar10", "--data-dir", str(data), "-s", "rf",
                 "-f", "zc", "-n", "20", "--seeds", "1", "--out", str(data / "e")])  # fmt: skip
    assert code == 2 and "data folder" in capsys.readouterr().err


def test_an_evolved_proxy_that_is_nan_everywhere_is_refused(tmp_path, capsys, data_dir):
    """It was used silently (tau "nan +- nan", exit 0)."""
    inf = "mul(mul(add(nwot, 1.0), 1e200), 1e200)"
    doc = {
        "expression": f"sub({inf}, {inf})", "terminals": ["nwot"],
        "ops": ["add", "sub", "mul"], "evolved_on": "nasbench201/cifar10", "seed": 0,
        "tau_sample": 0.5, "tau_rest": 0.5, "size": 9, "pruned": {}, "evaluated": 1,
        "seconds": 0.1, "seconds_saved_estimate": 0.0,
    }  # fmt: skip
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(doc))
    out = tmp_path / "o"
    code = main(["evaluate", "-b", "nasbench201/cifar10", "--data-dir", str(data_dir),
                 "-s", "rf", "-f", f"evolved:{path}", "-n", "20", "--seeds", "1",
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "not a finite number for any" in err, err
    assert not out.exists()


def test_passwords_are_masked_whatever_they_hold():
    from nas_surrogate.errors import redact

    cases = {
        "postgresql://alice:pa/ss%word@host/db": "pa/ss%word",
        "postgresql://alice:p@ss@host:5432/db": "p@ss",
        "mysql+pymysql://u:a:b@h/d": "a:b",
        "postgresql://u@host/db?password=s3cret&sslmode=require": "s3cret",
        "redis://h:6379/0?token=abc123": "abc123",
        "tcp://bob:hunter2@127.0.0.1:1": "hunter2",
    }
    for url, secret in cases.items():
        masked = redact(f"error: --storage '{url}': cannot be opened")
        assert secret not in masked and "***" in masked, masked
    assert redact("sqlite:///out/study.db") == "sqlite:///out/study.db"
    assert redact("see http://example.com/a@b") == "see http://example.com/a@b"


def test_a_scheduler_address_is_checked_before_any_file_and_never_echoed(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr("nas_surrogate.experiments.runner.CONNECT_TIMEOUT", "1s")  # no wait
    for address in ("tcp://bob:hunter2@127.0.0.1:1", "tcp://bob:pa/ss@127.0.0.1:1",
                    "ftp://127.0.0.1:1", "tcp://127.0.0.1", "tcp://127.0.0.1:1"):  # fmt: skip
        out = tmp_path / "o"
        code = main(["search", "-b", "nasbench201/cifar10", "--searcher", "random",
                     "--budget", "3", "--seeds", "1", "--out", str(out),
                     "--scheduler", address])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2, err
        assert len(err.strip().splitlines()) == 1 and "hunter2" not in err and "pa/ss" not in err
        assert not out.exists(), address  # refused before anything was written


def _fake_scheduler(reply: bytes | None) -> int:
    """A local port that accepts a connection and then answers ``reply`` (None: never)."""
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve():
        conn, _ = server.accept()
        if reply:
            conn.sendall(reply)
        time.sleep(20)
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


@pytest.mark.parametrize(
    "reply, why",
    [(None, "sent no dask handshake"), (b"HTTP/1.1 400 Bad Request\r\n\r\n", "answered, but")],
)
def test_a_port_that_is_no_dask_scheduler_is_refused_not_hung(
    tmp_path, capsys, monkeypatch, reply, why
):
    """A silent port hung past 150 s; an HTTP one raised MemoryError (issue 36 items 9, 11)."""
    monkeypatch.setattr("nas_surrogate.experiments.runner.HANDSHAKE_SECONDS", 1.0)
    out = tmp_path / "o"
    port = _fake_scheduler(reply)
    address = f"tcp://127.0.0.1:{port}"
    code = main(["search", "-b", "nasbench201/cifar10", "--searcher", "random", "--budget", "3",
                 "--seeds", "1", "--out", str(out), "--scheduler", address])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    assert why in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


_WORKER = """
import sys, optuna
from nas_surrogate.benchmarks import load_benchmark
from nas_surrogate.optuna import NASSampler, suggest_arch
optuna.logging.set_verbosity(optuna.logging.ERROR)
bench = load_benchmark("nasbench201/cifar10")
def objective(trial):
    cell = bench.space.parse(suggest_arch(trial, "nasbench201"))[None]
    return float(bench.val_accuracy[bench.index_of(cell)[0]])
storage = optuna.storages.RDBStorage(sys.argv[1], engine_kwargs={"connect_args": {"timeout": 60}})
study = optuna.load_study(study_name="s", storage=storage,
                          sampler=NASSampler("nasbench201", sys.argv[2], seed=0))
study.optimize(objective, n_trials=int(sys.argv[3]))
"""


def test_parallel_optuna_processes_never_repeat_a_network(tmp_path):
    """Two processes with NASSampler(seed=0) on one SQLite study repeated 30 of 60
    networks: running trials of others were invisible and both walked one stream."""
    import optuna

    from nas_surrogate.benchmarks import load_benchmark

    bench = load_benchmark("nasbench201/cifar10")
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    for n_proc, searcher in ((2, "evolution"), (4, "random")):
        url = f"sqlite:///{tmp_path / f'{n_proc}.db'}"
        optuna.create_study(study_name="s", storage=url, direction="maximize")
        procs = [subprocess.Popen([sys.executable, str(script), url, searcher, "12"],
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
                 for _ in range(n_proc)]  # fmt: skip
        for p in procs:
            _, err = p.communicate(timeout=600)
            assert p.returncode == 0, err
        trials = optuna.load_study(study_name="s", storage=url).trials
        assert len(trials) == 12 * n_proc
        networks = [bench.space.key(bench.space.parse(t.system_attrs["nas_surrogate:arch"]))
                    for t in trials]  # fmt: skip
        assert len(set(networks)) == len(networks)  # no network twice


def test_only_regular_files_are_read_as_state_or_config(tmp_path, capsys):
    """A link to /dev/zero bypassed the size cap (MemoryError); a FIFO hung."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):
        assert main(["ask", "--state", str(path)]) == 2
        assert "not a regular file" in capsys.readouterr().err
        assert main(["run", str(path)]) == 2
        assert "not a regular file" in capsys.readouterr().err


def test_unbounded_settings_are_refused_before_any_file(tmp_path, capsys):
    """``--train-seconds inf`` crashed while plotting, ``n_estimators: 1e9`` hung in the
    probe fit, ``-j 0`` refused only after writing run.json and a lock."""
    import yaml

    base = ["search", "-b", "nasbench201/cifar10", "--searcher", "bo", "--budget", "12",
            "--seeds", "1"]  # fmt: skip
    cfg = tmp_path / "xgb.yaml"
    cfg.write_text(yaml.safe_dump({"ensemble": {"base_params": {"n_estimators": 10**9}}}))
    cases = [
        (["--train-seconds", "inf"], "finite"),
        (["--surrogate-config", str(cfg)], "n_estimators"),
        (["-j", "0"], "--n-jobs"),
    ]
    for i, (extra, why) in enumerate(cases):
        out = tmp_path / f"o{i}"
        code = main([*base, "--out", str(out), *extra])
        err = capsys.readouterr().err
        assert code == 2 and why in err, err
        assert not out.exists()


def test_bo_with_no_budget_beyond_its_random_start_says_so(tmp_path, capsys):
    """It silently ran random search and reported itself as bo."""
    code = main(["search", "-b", "nasbench201/cifar10", "--searcher", "bo", "--budget", "10",
                 "--seeds", "1", "--out", str(tmp_path / "o")])  # fmt: skip
    assert code == 2 and "random search" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_network_claimed_by_another_running_trial_is_seen(tmp_path):
    """Two processes proposing in the same moment both kept one network (48 trials, 47
    networks, once under load): each trial now looks for another running claim on the
    same network after its own, and asks again if there is one."""
    import optuna

    from nas_surrogate.optuna import ARCH_ATTR, NASSampler

    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    first, second = study.ask(), study.ask()
    arch = "(2, 3, 0, 2, 0, 3)"
    study._storage.set_trial_system_attr(first._trial_id, ARCH_ATTR, arch)
    sampler = NASSampler("nasbench201", "random", seed=0)
    running = {t.number: t for t in study.get_trials(states=(optuna.trial.TrialState.RUNNING,))}
    me, other = running[second.number], running[first.number]
    assert sampler._claimed_elsewhere(study, me, arch)
    assert not sampler._claimed_elsewhere(study, other, arch)  # its own claim
    assert not sampler._claimed_elsewhere(study, me, "(2, 3, 0, 2, 0, 2)")  # another network


@pytest.mark.parametrize(
    "route",
    [
        ["evaluate", "-s", "rf", "-f", "onehot+evolved:{f}", "-n", "20"],
        ["evaluate", "-s", "proxy:evolved:{f}", "-f", "zc", "-n", "20"],
        ["search", "--searcher", "random", "--zc-warmup", "evolved:{f}", "--budget", "5"],
        ["search", "--searcher", "local_search:guided", "-s", "proxy:evolved:{f}", "--budget", "5"],
    ],
    ids=["feature", "surrogate", "warmup", "search-surrogate"],
)
def test_a_rerun_after_the_evolved_file_changed_is_refused(route, tmp_path, capsys, data_dir):
    """Wherever an evolved proxy is named, its file's content is part of the run's inputs:
    the same command after the file changed is refused, not mixed into the old rows."""

    def expression(text: str) -> str:
        doc = {
            "expression": text, "terminals": ["nwot", "synflow"], "ops": ["add", "mul"],
            "evolved_on": "nasbench201/cifar10", "seed": 0, "tau_sample": 0.5,
            "tau_rest": 0.5, "size": 3, "pruned": {}, "evaluated": 1, "seconds": 0.1,
            "seconds_saved_estimate": 0.0,
        }  # fmt: skip
        return json.dumps(doc)

    path = tmp_path / "evolved.json"
    path.write_text(expression("add(nwot, synflow)"))
    out = tmp_path / "o"
    argv = [a.replace("{f}", str(path)) for a in route]
    argv += ["-b", "nasbench201/cifar10", "--data-dir", str(data_dir), "--seeds", "1",
             "--out", str(out)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    path.write_text(expression("mul(nwot, synflow)"))
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "evolved.json" in err and err.count("\n") == 1, err


def _npz_bomb(path, n_values: int) -> None:
    """An .npz whose x is ``n_values`` zero bytes (bool), deflated to almost nothing, and
    a small y: written in chunks, never held in memory."""
    import zipfile

    import numpy as np

    header = {"descr": "|b1", "fortran_order": False, "shape": (n_values,)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open("x.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(f, header)
            chunk = bytes(1 << 24)
            for start in range(0, n_values, len(chunk)):
                f.write(chunk[: min(len(chunk), n_values - start)])
        with zf.open("y.npy", "w") as f:
            np.lib.format.write_array(f, np.zeros(4, dtype=np.int64))


def test_an_npz_bomb_is_refused_from_its_headers(tmp_path, capsys):
    """A small file holding a huge array used to be inflated before it was refused (issue
    36 item 12): the header's shape is checked first, with next to no memory."""
    import tracemalloc

    from nas_surrogate.npz import MAX_VALUES

    bomb = tmp_path / "bomb.npz"
    _npz_bomb(bomb, MAX_VALUES + 1)
    assert bomb.stat().st_size < 2_000_000
    archs = tmp_path / "archs.txt"
    archs.write_text("|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|none~2|\n")
    for argv in (
        ["nas", "--dataset", str(bomb), "--budget", "2", "--out", str(tmp_path / "n")],
        ["proxies", "compute", "--archs", str(archs), "--batch", str(bomb),
         "--out", str(tmp_path / "p.csv")],
    ):  # fmt: skip
        main(argv)  # imports happen here, outside the measurement
        capsys.readouterr()
        tracemalloc.start()
        code = main(argv)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        err = capsys.readouterr().err
        assert code == 2, err
        assert f"{MAX_VALUES + 1} values" in err and len(err.strip().splitlines()) == 1
        assert peak < 50_000_000, peak
