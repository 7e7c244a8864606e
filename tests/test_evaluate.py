"""`nas-surrogate evaluate`: the protocol, determinism for any --n-jobs, resume after a
kill, and one clear line for bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from nas_surrogate.cli import main
from nas_surrogate.experiments.evaluate import (
    EvaluateConfig,
    evaluation_pool,
    plan_units,
    split,
)

FAST = {"xgb": {"n_estimators": 40}}
TIMING = ["fit_seconds", "predict_seconds"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_small(capsys, out, *extra, n_jobs=1):
    cfg = out.parent / "fast.yaml"
    cfg.write_text(yaml.safe_dump(FAST))
    return cli(
        capsys,
        "evaluate", "-b", "nasbench201/cifar10", "-s", "xgb,vote,proxy:nwot",
        "-f", "onehot,zc,onehot+zc", "-n", "20,50", "--seeds", "2", "--out", out,
        "--surrogate-config", cfg, "-j", n_jobs, "--format", "json", *extra,
    )  # fmt: skip


def test_outputs_and_contract_columns(capsys, tmp_path):
    code, out, err = run_small(capsys, tmp_path / "run")
    assert code == 0, err
    summary = json.loads(out)
    results = pd.read_csv(tmp_path / "run" / "results.csv")
    for col in ["benchmark", "surrogate", "features", "train_size", "seed", "kendall_tau",
                "spearman", "pearson", "fit_seconds"]:  # fmt: skip
        assert col in results.columns
    # 3 xgb feature sets + vote + proxy:nwot (fixed features), x 2 sizes x 2 seeds
    assert len(results) == (3 + 2) * 2 * 2 == summary["n_units"]
    assert set(results.features[results.surrogate == "vote"]) == {"zc"}
    assert set(results.features[results.surrogate == "proxy:nwot"]) == {"zc:nwot"}
    assert (tmp_path / "run" / "results.md").read_text().count("nasbench201/cifar10") == 5
    assert list((tmp_path / "run" / "plots").glob("*.png"))
    gains = {(g["train_size"], g["features"]): g for g in summary["zc_gain"]}
    g = gains[(50, "onehot")]
    assert g["kendall_tau_with_zc"] > g["kendall_tau"]  # ZC features help on NB201
    setting = next(
        s for s in summary["settings"]
        if s["surrogate"] == "xgb" and s["features"] == "onehot+zc" and s["train_size"] == 50
    )  # fmt: skip
    rows = results[(results.surrogate == "xgb") & (results.features == "onehot+zc")
                   & (results.train_size == 50)]  # fmt: skip
    assert setting["kendall_tau_mean"] == pytest.approx(rows.kendall_tau.mean())
    assert setting["kendall_tau_std"] == pytest.approx(rows.kendall_tau.std(ddof=1))


def test_split_is_disjoint_seeded_and_paired(data_dir):
    pool = evaluation_pool("nasbench201/cifar10", str(data_dir), "scored")
    train, test = split(pool, "nasbench201/cifar10", 100, seed=3, base_seed=0, test_size=None)
    assert len(train) == 100 and len(test) == len(pool) - 100
    assert not set(train) & set(test)
    again = split(pool, "nasbench201/cifar10", 100, seed=3, base_seed=0, test_size=None)
    assert np.array_equal(train, again[0])
    other = split(pool, "nasbench201/cifar10", 100, seed=4, base_seed=0, test_size=None)
    assert not np.array_equal(train, other[0])
    # a fixed test set is the same for every train size
    t1 = split(pool, "nasbench201/cifar10", 20, 3, 0, test_size=200)[1]
    t2 = split(pool, "nasbench201/cifar10", 400, 3, 0, test_size=200)[1]
    assert np.array_equal(t1, t2)


def test_micro_pool_is_the_scored_rows(data_dir):
    pool = evaluation_pool("transbench101_micro/class_scene", str(data_dir), "scored")
    assert len(pool) == 711
    assert len(evaluation_pool("transbench101_micro/class_scene", str(data_dir), "all")) == 4096


def test_identical_numbers_for_any_n_jobs(capsys, tmp_path):
    assert run_small(capsys, tmp_path / "one", n_jobs=1)[0] == 0
    assert run_small(capsys, tmp_path / "two", n_jobs=2)[0] == 0
    a = pd.read_csv(tmp_path / "one" / "results.csv").drop(columns=TIMING)
    b = pd.read_csv(tmp_path / "two" / "results.csv").drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)


def test_rerun_resumes_without_recomputing(capsys, tmp_path):
    assert run_small(capsys, tmp_path / "run")[0] == 0
    first = pd.read_csv(tmp_path / "run" / "results.csv")
    code, out, _ = run_small(capsys, tmp_path / "run")
    assert code == 0 and json.loads(out)["n_units_run"] == 0
    pd.testing.assert_frame_equal(first, pd.read_csv(tmp_path / "run" / "results.csv"))
    # a bigger grid in the same folder runs only the new units
    code, out, _ = run_small(capsys, tmp_path / "run", "--seeds", "3")
    assert code == 0 and json.loads(out)["n_units_run"] == 5 * 2


def test_kill_and_rerun_loses_and_duplicates_nothing(tmp_path, data_dir):
    out = tmp_path / "killed"
    argv = [
        sys.executable, "-m", "nas_surrogate.cli", "evaluate", "-b", "nasbench201/cifar10",
        "-s", "xgb,rf", "-f", "onehot+zc", "-n", "20,50,100", "--seeds", "10",
        "--out", str(out), "--format", "json",
    ]  # fmt: skip
    env = {**os.environ, "NAS_SURROGATE_DATA": str(data_dir)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out / "results.csv").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = pd.read_csv(out / "results.csv")
    assert 0 < len(partial) < 60  # killed mid-grid, with finished units on disk
    rerun = subprocess.run(argv, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["n_units_resumed"] == len(partial)
    final = pd.read_csv(out / "results.csv")
    keys = ["benchmark", "surrogate", "features", "train_size", "seed"]
    assert len(final) == 60 and not final.duplicated(keys).any()
    # the units finished before the kill are unchanged
    merged = partial.merge(final, on=keys, suffixes=("_a", "_b"))
    assert np.allclose(merged.kendall_tau_a, merged.kendall_tau_b)


def test_config_file_runs_the_same_grid(capsys, tmp_path, data_dir):
    cfg = tmp_path / "eval.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "command": "evaluate", "benchmark": "nasbench201/cifar10",
                "surrogate": ["xgb", "vote", "proxy:nwot"],
                "features": ["onehot", "zc", "onehot+zc"], "train_size": [20, 50],
                "seeds": 2, "out": str(tmp_path / "from-yaml"), "surrogate_params": FAST,
            }
        )
    )  # fmt: skip
    assert cli(capsys, "run", cfg)[0] == 0
    assert run_small(capsys, tmp_path / "from-cli")[0] == 0
    a = pd.read_csv(tmp_path / "from-yaml" / "results.csv").drop(columns=TIMING)
    b = pd.read_csv(tmp_path / "from-cli" / "results.csv").drop(columns=TIMING)
    pd.testing.assert_frame_equal(a, b)


def test_ablation_specs_follow_the_documented_order(data_dir):
    config = EvaluateConfig(
        benchmarks=["nasbench201/cifar10"], surrogates=["xgb"], features=["onehot"],
        train_sizes=[20], seeds=1, ablate="add-one", data_dir=str(data_dir),
    )  # fmt: skip
    specs = [u.features for u in plan_units(config)]
    assert specs[:3] == ["onehot", "onehot+zc:synflow", "onehot+zc:synflow,plain"]
    assert len(specs) == 1 + 12
    config.ablate = "leave-one-out"
    specs = [u.features for u in plan_units(config)]
    assert specs[0] == "onehot+zc" and len(specs) == 1 + 12
    assert all(s.count(",") == 10 for s in specs[1:])  # 11 of the 12 proxies


def _one_error_line(code, err, *fragments):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0]


BASE = ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot"]


@pytest.mark.parametrize(
    "extra,fragments",
    [
        (["-n", "725"], ["--train-size 725", "leaves 0 test archs"]),
        (["-n", "500", "--test-size", "300"], ["--train-size 500", "need >= 300"]),
        (["-n", "2"], ["--train-size", ">= 3"]),
        (["-n", "ten"], ["--train-size", "expected integers"]),
        (["-n", "20", "--metric", "accuracy"], ["--metric", "unknown metric 'accuracy'"]),
        (["-n", "20", "--seeds", "0"], ["--seeds", "greater than or equal to 1"]),
        (["-n", "20", "--ablate", "add-two"], ["--ablate"]),
    ],
)
def test_bad_grid_input(capsys, tmp_path, extra, fragments):
    code, _, err = cli(capsys, *BASE, *extra, "--out", tmp_path / "o")
    _one_error_line(code, err, *fragments)
    assert not (tmp_path / "o" / "results.csv").exists()  # nothing half-written


def test_unknown_surrogate_and_param(capsys, tmp_path):
    code, _, err = cli(capsys, "evaluate", "-b", "nasbench201/cifar10", "-s", "xgboost",
                       "-f", "onehot", "-n", "20", "--out", tmp_path / "o")  # fmt: skip
    _one_error_line(code, err, "unknown name 'xgboost'", "did you mean 'xgb'")
    cfg = tmp_path / "p.yaml"
    cfg.write_text("xgb: {max_depht: 3}\n")
    code, _, err = cli(
        capsys, *BASE, "-n", "20", "--surrogate-config", cfg, "--out", tmp_path / "o"
    )
    _one_error_line(code, err, "parameter 'max_depht'", "unknown")


def test_feature_spec_without_usable_column(capsys, tmp_path):
    # snip is scored only on an arch that lacks most proxies, so it is outside the pool
    archs = [f"({a}, 2, 3, 2, 3, {b})" for a in range(5) for b in range(5)]
    doc = {"cifar10": {}}
    for i, arch in enumerate(archs):
        rec = {"val_accuracy": 50.0 + i}
        for p in ("nwot", "params", "flops"):
            rec[p] = {"score": float(i), "time": 0.1}
        rec["snip"] = {"score": -1e8, "time": 0.1}
        doc["cifar10"][arch] = rec
    doc["cifar10"][archs[0]] = {"val_accuracy": 1.0, "snip": {"score": 3.0, "time": 0.1}}
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "zc_nasbench201.json").write_text(json.dumps(doc))
    code, _, err = cli(capsys, "evaluate", "-b", "nasbench201/cifar10", "-s", "xgb",
                       "-f", "onehot+zc:snip", "-n", "10", "--data-dir", folder,
                       "--out", tmp_path / "o")  # fmt: skip
    _one_error_line(code, err, "onehot+zc:snip", "no finite score", "zc:snip")


def test_changed_settings_refuse_to_mix_into_old_results(capsys, tmp_path):
    assert run_small(capsys, tmp_path / "run")[0] == 0
    code, _, err = run_small(capsys, tmp_path / "run", "--seed", "1")
    _one_error_line(code, err, "another settings.base_seed")


def test_other_data_refuses_to_mix_into_old_results(capsys, tmp_path, monkeypatch):
    """The same command on other data (the embedded table instead of the data dir) is
    refused, naming the input that changed, and the finished results stay as they were."""
    assert run_small(capsys, tmp_path / "run")[0] == 0
    before = (tmp_path / "run" / "results.csv").read_bytes()
    monkeypatch.delenv("NAS_SURROGATE_DATA")
    code, _, err = run_small(capsys, tmp_path / "run")
    _one_error_line(code, err, "another settings.inputs.data.nasbench201/cifar10")
    assert (tmp_path / "run" / "results.csv").read_bytes() == before


def test_plot_is_faceted_by_features_with_distinct_colours_and_an_outside_legend(tmp_path):
    """The figure a researcher would put in a paper: one panel per feature set, one colour
    per surrogate (the same in every panel, never repeated), the legend beside the panels,
    SVG beside the PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from nas_surrogate import plots

    rng = np.random.default_rng(0)
    surrogates = [f"s{i}" for i in range(13)]
    rows = [
        {"benchmark": "b/t", "surrogate": s, "features": f, "train_size": n, "seed": seed,
         "kendall_tau": rng.random()}
        for s in surrogates for f in ("onehot", "zc", "onehot+zc") for n in (10, 100)
        for seed in range(2)
    ]  # fmt: skip
    captured = {}
    real_save = plots.save

    def keep(fig, path):
        captured["fig"] = fig
        return real_save(fig, path)

    plots.save = keep
    try:
        (png,) = plots.metric_vs_train_size(pd.DataFrame(rows), "kendall_tau", tmp_path)
    finally:
        plots.save = real_save
    fig = captured["fig"]
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert sorted(ax.get_title() for ax in panels) == ["onehot", "onehot+zc", "zc"]
    colours = [tuple(line.get_color()) for line in panels[0].get_lines()]
    assert len(colours) == len(set(colours)) == 13
    assert [tuple(line.get_color()) for line in panels[1].get_lines()] == colours
    (legend,) = fig.legends
    legend_box = legend.get_window_extent()
    assert all(legend_box.x0 >= ax.get_window_extent().x1 for ax in panels)
    assert png.is_file() and png.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
