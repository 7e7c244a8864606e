"""`nas-surrogate tune`: nested (the test set is never seen), resumable, shared by
concurrent workers, and its best_params.yaml drives evaluate."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import optuna
import pandas as pd
import pytest

from nas_surrogate.cli import main
from nas_surrogate.experiments import tune as tune_module
from nas_surrogate.experiments.tune import SurrogateTuneConfig, dev_test_split


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


BASE = ["tune", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot+zc", "-n", "40",
        "--folds", "2", "--report-seeds", "2"]  # fmt: skip


def test_tuning_never_touches_the_test_split(monkeypatch, tmp_path, data_dir):
    config = SurrogateTuneConfig("nasbench201/cifar10", "xgb", "onehot+zc", 40, trials=3, folds=2,
                        data_dir=str(data_dir))  # fmt: skip
    dev, test = dev_test_split(config)
    assert not set(dev) & set(test)
    seen = []
    real = tune_module._score

    def spy(cfg, params, train, val, seed):
        seen.append(np.concatenate([train, val]))
        return real(cfg, params, train, val, seed)

    monkeypatch.setattr(tune_module, "_score", spy)
    import optuna

    target = tune_module.predictor_target(config)  # what every trial runs
    optuna.create_study(direction="maximize").optimize(target.objective, n_trials=3)
    used = np.unique(np.concatenate(seen))
    assert len(seen) >= 2 and not set(used) & set(test)


def test_tune_outputs_resume_and_feed_evaluate(capsys, tmp_path):
    out = tmp_path / "tune"
    code, stdout, err = cli(capsys, *BASE, "--trials", 3, "--out", out, "--format", "json")
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["n_trials"] == 3
    assert set(summary["test_kendall_tau"]) == {"default", "tuned"}
    for name in ("best_params.yaml", "trials.csv", "summary.json", "study.db"):
        assert (out / name).exists()
    assert (out / "plots" / "optimization_history.png").exists()
    # rerunning continues the study instead of starting over
    code, stdout, _ = cli(capsys, *BASE, "--trials", 2, "--out", out, "--format", "json")
    assert code == 0 and json.loads(stdout)["n_trials"] == 5
    trials = pd.read_csv(out / "trials.csv")
    assert len(trials) == 5
    # the resumed part draws new parameters instead of repeating the first run's sequence
    params = trials[[c for c in trials.columns if c.startswith("params_")]]
    assert not params.duplicated().any()
    # the tuned parameters drop straight into evaluate
    tuned = tmp_path / "eval-tuned"
    default = tmp_path / "eval-default"
    argv = ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot+zc",
            "-n", "40", "--seeds", "2"]  # fmt: skip
    assert (
        cli(capsys, *argv, "--out", tuned, "--surrogate-config", out / "best_params.yaml")[0] == 0
    )
    assert cli(capsys, *argv, "--out", default)[0] == 0
    a = pd.read_csv(tuned / "results.csv").kendall_tau
    b = pd.read_csv(default / "results.csv").kendall_tau
    assert not np.allclose(a, b)  # other hyperparameters, other predictions


def test_two_concurrent_workers_share_one_study(tmp_path, data_dir):
    storage = f"sqlite:///{tmp_path / 'shared.db'}"
    argv = [sys.executable, "-m", "nas_surrogate.cli", *BASE, "--trials", "4",
            "--storage", storage, "--study-name", "shared", "--report-seeds", "1"]  # fmt: skip
    env = {**os.environ, "NAS_SURROGATE_DATA": str(data_dir)}
    procs = [
        subprocess.Popen([*argv, "--out", str(tmp_path / f"w{i}")], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="shared", storage=storage)
    assert len(study.trials) == 8  # all trials of both workers recorded, none lost
    assert len({t.number for t in study.trials}) == 8


@pytest.mark.parametrize(
    "extra,fragments",
    [
        (["--trials", "0"], ["--trials", "greater than or equal to 1"]),
        (["--trials", "2", "-s", "xgbb"], ["unknown name 'xgbb'"]),
        (["--trials", "2", "-s", "vote"], ["has no hyperparameters"]),
        (
            ["--trials", "2", "--storage", "sqlite:////no/such/dir/s.db"],
            ["--storage", "cannot be opened"],
        ),
        (
            ["--trials", "2", "--storage", "postgresql://u@localhost:1/x"],
            ["--storage", "cannot be opened"],
        ),
        (["--trials", "2", "-n", "600"], ["--train-size 600", "held-out test set"]),
        (["--trials", "2", "--pruner", "asha"], ["--pruner"]),
    ],
)
def test_bad_tune_input(capsys, tmp_path, extra, fragments):
    code, _, err = cli(capsys, *BASE, *extra, "--out", tmp_path / "o")
    assert code == 2, err
    line = err.strip().splitlines()
    assert len(line) == 1 and line[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in line[0]


def test_study_of_another_setting_is_refused(capsys, tmp_path):
    storage = f"sqlite:///{tmp_path / 's.db'}"
    common = ["--trials", "1", "--storage", storage, "--study-name", "s"]
    assert cli(capsys, *BASE, *common, "--out", tmp_path / "a")[0] == 0
    code, _, err = cli(capsys, "tune", "-b", "nasbench201/cifar10", "-s", "lgbm", "-f",
                       "onehot+zc", "-n", "40", *common, "--out", tmp_path / "b")  # fmt: skip
    assert code == 2 and "another setting" in err and "surrogate" in err


def test_tune_a_searcher_and_feed_search(capsys, tmp_path):
    out = tmp_path / "ts"
    code, stdout, err = cli(capsys, "tune", "--target", "search", "--searcher", "evolution",
                            "-b", "nasbench201/cifar10", "--budget", 30, "--trials", 3,
                            "--tune-seeds", 2, "--report-seeds", 2, "--out", out,
                            "--format", "json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["n_trials"] == 3 and set(summary["best_params"]) == {"population", "sample_size"}
    code, stdout, err = cli(capsys, "search", "-b", "nasbench201/cifar10", "--searcher",
                            "evolution", "--budget", 30, "--seeds", 1, "--format", "json",
                            "--searcher-config", out / "best_params.yaml",
                            "--out", tmp_path / "s")  # fmt: skip
    assert code == 0, err
    assert json.loads(stdout)["config"]["searcher_params"] == {"evolution": summary["best_params"]}
    code, _, err = cli(capsys, "tune", "--target", "search", "--searcher", "random",
                       "-b", "nasbench201/cifar10", "--trials", 2,
                       "--out", tmp_path / "r")  # fmt: skip
    assert code == 2 and "has no parameters to tune" in err


def test_a_killed_trial_is_marked_fail_at_the_next_start_whatever_the_delay(capsys, tmp_path):
    """kill -9 during tune left its trial RUNNING; the next start only failed it after
    the 60 s heartbeat. With the folder's own study, nobody else can be running it."""
    import optuna

    out = tmp_path / "tune"
    assert cli(capsys, *BASE, "--trials", 1, "--out", out)[0] == 0
    storage = f"sqlite:///{(out / 'study.db').resolve()}"
    name = optuna.get_all_study_names(storage)[0]
    study = optuna.load_study(study_name=name, storage=storage)
    study.ask()  # a trial started by a process that is then killed: RUNNING for ever
    assert [t.state.name for t in study.trials] == ["COMPLETE", "RUNNING"]
    assert cli(capsys, *BASE, "--trials", 1, "--out", out)[0] == 0  # at once, not after 60 s
    states = [t.state.name for t in optuna.load_study(study_name=name, storage=storage).trials]
    assert states == ["COMPLETE", "FAIL", "COMPLETE"]
