"""Proxy analyses and evolved proxies: estimators on inputs with known answers, the
pruning rules, determinism, and the evolved proxy used as feature, baseline and
search objective."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nas_surrogate import build_features, load_benchmark
from nas_surrogate.analysis.bias import arch_properties, bias_tables
from nas_surrogate.analysis.evolve import (
    EvolvedProxy,
    GPConfig,
    evolve,
    redundant,
)
from nas_surrogate.analysis.information import entropy_bits, mi_bits, quantile_bins
from nas_surrogate.cli import main
from nas_surrogate.proxies.evolved import parse_expression
from nas_surrogate.searchers import SearchProblem, make_searcher


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- information estimators ---------------------------------------------------------------
def test_entropy_and_mutual_information_known_answers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=8000)
    bx = quantile_bins(x, 8)
    assert np.bincount(bx).tolist() == [1000] * 8  # equal-frequency bins
    assert entropy_bits(bx) == pytest.approx(3.0)
    assert mi_bits(bx, bx) == pytest.approx(3.0)  # I(X; X) = H(X)
    independent = quantile_bins(rng.normal(size=8000), 8)
    assert mi_bits(bx, independent) < 0.02  # plug-in bias only


def test_pair_synergy_is_detected_xor():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 2, 20000), rng.integers(0, 2, 20000)
    y = a ^ b
    assert mi_bits(a, y) < 0.01 and mi_bits(b, y) < 0.01
    joint = mi_bits(a * 2 + b, y)
    assert joint == pytest.approx(1.0, abs=0.01)  # together they determine y


# -- bias ---------------------------------------------------------------------------------
def test_properties_count_ops(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    props = arch_properties(bench)
    row = bench.index_of(bench.space.parse("(0, 2, 3, 2, 3, 1)"))[0]
    # ops: skip, conv3, conv1, conv3, conv1, none
    assert props.loc[row, ["n_conv", "n_skip", "n_zero", "n_pool"]].tolist() == [4, 1, 1, 0]
    assert props.loc[row, "params"] == pytest.approx(bench.proxy_columns(["params"])[row, 0])


def test_debiasing_removes_size(data_dir):
    corr, debias = bias_tables(load_benchmark("nasbench201/cifar10", data_dir))
    flops = debias.set_index("proxy").loc["flops"]
    assert flops.spearman_with_params > 0.99  # flops is nearly a function of size
    assert abs(flops.kendall_after) < abs(flops.kendall_before) / 2
    assert corr.loc["params", "params"] == pytest.approx(1.0)


# -- pruning rules and determinism ------------------------------------------------------------
def tree(text, terminals=("nwot", "synflow", "jacov")):
    ops = ["add", "sub", "mul", "div", "neg", "abs", "min"]
    return parse_expression(text, list(terminals), ops)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("sub(nwot, nwot)", True),
        ("add(synflow, div(mul(nwot, jacov), mul(nwot, jacov)))", True),
        ("neg(neg(nwot))", True),
        ("abs(neg(jacov))", True),
        ("min(synflow, synflow)", True),
        ("add(nwot, synflow)", False),
        ("sub(nwot, synflow)", False),
        ("neg(abs(nwot))", False),
    ],
)
def test_redundant_forms(text, expected):
    assert redundant(tree(text)) is expected


def test_gp_is_seeded_prunes_and_generalises(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    cfg = GPConfig("nasbench201/cifar10", seed=3, population=60, generations=8)
    a, b = evolve(cfg, bench), evolve(cfg, bench)
    assert a.expression == b.expression and a.tau_sample == b.tau_sample
    assert a.pruned["duplicate"] > 0 and a.pruned["redundant"] > 0
    assert a.evaluated + sum(a.pruned.values()) >= 60  # every individual accounted for
    # the sample tau is recomputable from the stored expression
    scores = EvolvedProxy(**asdict(a)).score(bench)
    assert np.isfinite(scores).all()
    best_single = max(
        stats.kendalltau(np.nan_to_num(c, nan=np.nanmedian(c)), bench.val_accuracy).statistic
        for c in bench.proxy_scores.T
    )
    assert a.tau_rest > best_single - 0.1  # sanity: the GP finds a useful expression


@pytest.fixture(scope="module")
def evolved_file(tmp_path_factory, data_dir):
    path = tmp_path_factory.mktemp("evolved") / "evolved.json"
    cfg = GPConfig("nasbench201/cifar10", seed=0, population=80, generations=10)
    evolve(cfg, load_benchmark("nasbench201/cifar10", data_dir)).save(path)
    return path


def test_evolved_proxy_as_feature_and_baseline(capsys, tmp_path, evolved_file, data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features(f"onehot+zc+evolved:{evolved_file}", bench)
    assert feats.X.shape == (725, 30 + 12 + 1)
    code, out, err = cli(capsys, "evaluate", "-b", "nasbench201/cifar10",
                         "-s", f"proxy:evolved:{evolved_file}", "-f", "onehot", "-n", 20,
                         "--seeds", 2, "--out", tmp_path / "e", "--format", "json")  # fmt: skip
    assert code == 0, err
    results = pd.read_csv(tmp_path / "e" / "results.csv")
    assert set(results.features) == {f"evolved:{evolved_file}"}
    assert results.kendall_tau.min() > 0.3


def test_evolved_proxy_as_training_free_search_objective(evolved_file, data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    problem = SearchProblem(bench, budget=10)
    make_searcher("evolution", objective=f"evolved:{evolved_file}").run(
        problem, np.random.default_rng(0)
    )
    scores = EvolvedProxy.load(evolved_file).score(problem.bench)  # one row per network
    first = problem.trajectory.rows
    assert len(first) == 10 and len(set(first)) == 10
    assert list(np.argsort(-scores[first], kind="stable")) == list(range(10))  # best-proxy-first
    assert problem.sim_seconds > 10 * 3600  # proxy seconds were charged on top


# -- CLI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["correlations", "information", "bias"])
def test_analyze_commands_write_outputs(capsys, tmp_path, kind):
    code, out, err = cli(capsys, "analyze", kind, "-b", "nasbench201/cifar10,nasbench101/cifar10",
                         "--out", tmp_path / kind, "--format", "json")  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["benchmarks"] == ["nasbench201/cifar10", "nasbench101/cifar10"]
    assert (tmp_path / kind / "results.md").exists()
    assert list((tmp_path / kind / "plots").glob("*.png"))
    if kind == "correlations":
        table = pd.read_csv(tmp_path / kind / "spearman.csv", index_col=0)
        assert table.loc["nasbench201/cifar10", "nwot"] == pytest.approx(0.786, abs=0.001)
        assert np.isnan(table.loc["nasbench101/cifar10", "nwot"])  # absent there


def test_evolve_proxy_command_resumes(capsys, tmp_path):
    argv = ["evolve-proxy", "-b", "nasbench201/cifar10", "--seeds", 2, "--population", 40,
            "--generations", 4, "--transfer", "nasbench201", "--out", tmp_path / "ev",
            "--format", "json"]  # fmt: skip
    code, out, err = cli(capsys, *argv)
    assert code == 0, err
    first = json.loads(out)
    assert first["runs"] == 2 and first["runs_resumed"] == 0
    assert len(first["transfer"]) == 3 and (tmp_path / "ev" / "evolved.json").exists()
    code, out, _ = cli(capsys, *argv)
    again = json.loads(out)
    assert again["runs_resumed"] == 2 and again["best"] == first["best"]


@pytest.mark.parametrize(
    "extra,fragments",
    [
        (["--ops", "add,pow"], ["--ops pow", "unknown operator"]),
        (["--sample", "5000"], ["--sample 5000"]),
    ],
)
def test_evolve_proxy_bad_input(capsys, tmp_path, extra, fragments):
    code, _, err = cli(capsys, "evolve-proxy", "-b", "nasbench201/cifar10", "--transfer",
                       "nasbench201", "--out", tmp_path / "o", *extra)  # fmt: skip
    assert code == 2, err
    for fragment in fragments:
        assert fragment in err


def test_task_with_too_few_proxies(capsys, tmp_path):
    doc = {"cifar10": {}}
    for i in range(40):
        arch = f"({i % 5}, {i // 5 % 5}, 2, 3, 2, 1)"
        doc["cifar10"][arch] = {"val_accuracy": float(i), "nwot": {"score": float(i), "time": 1},
                                "params": {"score": float(-i), "time": 1}}  # fmt: skip
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "zc_nasbench201.json").write_text(json.dumps(doc))
    code, _, err = cli(capsys, "evolve-proxy", "-b", "nasbench201/cifar10", "--data-dir", folder,
                       "--transfer", "nasbench201/cifar10", "--sample", 10,
                       "--out", tmp_path / "o")  # fmt: skip
    assert code == 2 and "at least 3 usable proxies" in err


def test_unknown_analysis(capsys, tmp_path):
    code, _, err = cli(capsys, "analyze", "entropy", "-b", "nasbench201/cifar10", "--out", tmp_path)
    assert code == 2 and "error: analysis: unknown name 'entropy'" in err
