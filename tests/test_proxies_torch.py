"""Zero-cost proxies computed from scratch: the network reproduces the published
parameter counts, synflow ranks like the published scores, every proxy gives a finite,
seeded value, and the compute command resumes and plugs into evaluate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from nas_surrogate import load_benchmark
from nas_surrogate.cli import main
from nas_surrogate.proxies import PROXIES, compute_proxies


@pytest.fixture(scope="module")
def nb201(data_dir):
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    rows = np.random.default_rng(0).choice(bench.n_archs, 24, replace=False)
    return bench, rows


def test_params_exact_and_flops_within_published_tolerance(nb201):
    bench, rows = nb201
    scores, _ = compute_proxies(bench.archs[rows], ["params", "flops"])
    published = bench.proxy_columns(["params", "flops"])[rows]
    assert np.allclose(scores[:, 0], published[:, 0], atol=5e-7)  # the table's 6 decimals
    assert np.abs(scores[:, 1] - published[:, 1]).max() < 0.0012  # constant 0.001088 M


def test_synflow_ranks_like_the_published_scores(nb201):
    bench, rows = nb201
    scores, _ = compute_proxies(bench.archs[rows], ["synflow"])
    published = bench.proxy_columns(["synflow"])[rows, 0]
    ok = np.isfinite(published)
    assert stats.spearmanr(scores[ok, 0], published[ok]).statistic > 0.95


def test_every_proxy_is_finite_and_seeded():
    archs = np.array([[0, 2, 3, 2, 3, 1], [3, 0, 2, 4, 1, 2], [4, 4, 4, 4, 4, 4]])
    names = PROXIES.names()
    assert len(names) == 13
    a, seconds = compute_proxies(archs, names)
    b, _ = compute_proxies(archs, names)
    assert np.isfinite(a).all() and (seconds >= 0).all()
    assert np.allclose(a, b)


def test_a_dead_cell_gets_nan_like_the_published_failures():
    # input reaches the output only through zero ops: the output is constant, so the
    # Jacobian-based proxies fail, as they did for NAS-Bench-Suite-Zero (-1e8 / -inf there)
    dead, _ = compute_proxies(np.array([[1, 1, 1, 1, 1, 2]]), ["jacov", "nwot", "params"])
    assert np.isnan(dead[0, 0]) and np.isfinite(dead[0, 2])


def test_compute_command_resumes_and_feeds_evaluate(tmp_path, capsys, nb201):
    bench, rows = nb201
    archs = tmp_path / "archs.txt"
    archs.write_text("\n".join(bench.space.format(a) for a in bench.archs[rows[:12]]))
    table = tmp_path / "t.csv"
    argv = ["proxies", "compute", "--archs", str(archs), "--proxies", "params,flops,synflow",
            "--out", str(table), "--format", "json"]  # fmt: skip
    assert main(argv) == 0
    first = pd.read_csv(table)
    assert len(first) == 12 and {"synflow", "synflow_seconds"} <= set(first.columns)
    archs.write_text("\n".join(bench.space.format(a) for a in bench.archs[rows]))
    capsys.readouterr()
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["n_archs"] == 24
    again = pd.read_csv(table).set_index("arch")
    pd.testing.assert_frame_equal(
        first.set_index("arch").drop(columns=[c for c in first if c.endswith("_seconds")]),
        again.loc[first.arch].drop(columns=[c for c in again if c.endswith("_seconds")]),
    )  # finished rows were kept, not recomputed
    out = tmp_path / "eval"
    code = main(["evaluate", "-b", "nasbench201_full/cifar10", "-s", "xgb", "-f", "onehot+zc",
                 "-n", "10", "--seeds", "2", "--proxy-table", str(table),
                 "--out", str(out)])  # fmt: skip
    assert code == 0
    results = pd.read_csv(out / "results.csv")
    assert (results.n_test == 14).all()  # the pool is the 24 archs with computed proxies
    # a table covering part of the space was used without a word: now it says so
    printed = capsys.readouterr().out
    assert "note: --proxy-table" in printed and "scores 24 of the" in printed
    coverage = json.loads((out / "summary.json").read_text())["proxy_table_coverage"]
    assert [c["scored"] for c in coverage.values()] == [24]


@pytest.mark.parametrize(
    "extra,fragments",
    [
        (["--proxies", "synflo"], ["unknown name 'synflo'", "did you mean 'synflow'"]),
        (["--space", "nasbench101"], ["--space nasbench101", "implemented"]),
        (["--device", "cuda"], ["--device cuda", "no CUDA"]),
        (["--archs", "/no/such/file"], ["--archs /no/such/file", "cannot be read"]),
    ],
)
def test_compute_bad_input(tmp_path, capsys, extra, fragments):
    code = main(["proxies", "compute", "--out", str(tmp_path / "t.csv"), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    for fragment in fragments:
        assert fragment in err


@pytest.mark.parametrize(
    "change,named",
    [(["--seed", "1"], "seed"), (["--batch-size", "8"], "batch_size"),
     (["--n-classes", "100"], "n_classes")],
)  # fmt: skip
def test_compute_refuses_to_resume_a_table_under_other_settings(tmp_path, capsys, change, named):
    """A table is resumed only under the settings its rows were computed with: another
    seed or batch appended rows of other numbers into one table (nwot 194.4 vs 386.6)."""
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 1, 2, 3, 4, 0)\n(3, 3, 3, 3, 3, 3)\n")
    table = tmp_path / "t.csv"
    argv = ["proxies", "compute", "--archs", str(archs), "--proxies", "params,nwot",
            "--batch-size", "4", "--out", str(table)]  # fmt: skip
    assert main(argv) == 0
    before = table.read_text()
    archs.write_text("(0, 1, 2, 3, 4, 0)\n(3, 3, 3, 3, 3, 3)\n(2, 2, 2, 2, 2, 2)\n")
    capsys.readouterr()
    code = main([*argv, *change])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and named in err, err
    assert table.read_text() == before  # nothing appended
    assert main(argv) == 0  # the same settings: resumed, the new cell added
    assert len(pd.read_csv(table)) == 3


def test_compute_refuses_an_edited_lpz_expression(tmp_path, capsys):
    """``lpz:FILE`` names a file: edited, the column name stays and its numbers change."""
    doc = {"kind": "lpzero-proxy", "version": 1,
           "expression": {"inputs": ["grad", "weight"], "unary": [["abs", "mean"], ["mean"]],
                          "binary": "sum"}}  # fmt: skip
    proxy = tmp_path / "p.json"
    proxy.write_text(json.dumps(doc))
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 1, 2, 3, 4, 0)\n")
    table = tmp_path / "t.csv"
    argv = ["proxies", "compute", "--archs", str(archs), "--proxies", f"lpz:{proxy}",
            "--batch-size", "4", "--out", str(table)]  # fmt: skip
    assert main(argv) == 0
    doc["expression"]["binary"] = "product"
    proxy.write_text(json.dumps(doc))
    archs.write_text("(0, 1, 2, 3, 4, 0)\n(2, 2, 2, 2, 2, 2)\n")
    capsys.readouterr()
    assert main(argv) == 2
    assert "lpz" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["npy-batch", "binary-archs"])
def test_compute_refuses_unreadable_inputs_before_writing(tmp_path, capsys, case):
    """A plain ``np.save`` batch and a binary --archs file ended in a raw TypeError /
    UnicodeDecodeError (exit 1), the first leaving OUT.csv and a lock behind."""
    np.save(tmp_path / "data.npy", np.zeros((10, 3, 8, 8), np.float32))
    (tmp_path / "bin.txt").write_bytes(bytes(range(256)))
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 1, 2, 3, 4, 0)\n")
    extra = (["--batch", str(tmp_path / "data.npy"), "--archs", str(archs)]
             if case == "npy-batch" else ["--archs", str(tmp_path / "bin.txt")])  # fmt: skip
    out = tmp_path / "t.csv"
    code = main(["proxies", "compute", "--proxies", "params", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archs.txt", "bin.txt", "data.npy"]


def test_compute_reads_a_batch_in_the_nas_layout(tmp_path, capsys):
    """``--batch`` takes ``x``/``y`` (the layout ``nas --dataset`` reads) as well as
    ``images``/``labels``."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3, 8, 8)).astype(np.float32)
    np.savez(tmp_path / "xy.npz", x=x, y=np.arange(12) % 3)
    np.savez(tmp_path / "il.npz", images=x, labels=np.arange(12) % 3)
    archs = tmp_path / "archs.txt"
    archs.write_text("(0, 1, 2, 3, 4, 0)\n")
    tables = []
    for name in ("xy", "il"):
        out = tmp_path / f"{name}.csv"
        assert main(["proxies", "compute", "--archs", str(archs), "--proxies", "nwot",
                     "--batch", str(tmp_path / f"{name}.npz"), "--batch-size", "8",
                     "--n-classes", "3", "--out", str(out)]) == 0  # fmt: skip
        tables.append(pd.read_csv(out).nwot.to_numpy())
    np.testing.assert_array_equal(*tables)
