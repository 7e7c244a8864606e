"""Text from files is data: hostile evolved expressions, YAML bombs, zip bombs and
credentials in storage URLs are refused or redacted, with one line and exit 2."""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import numpy as np
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.cli import main
from nas_surrogate.errors import BadInputError
from nas_surrogate.proxies.evolved import EvolvedProxy, evaluate_nodes, parse_expression

TERMS = ["nwot", "synflow", "jacov"]
OPS = ["add", "sub", "mul", "div", "log", "sqrt", "abs", "neg", "min", "max"]


def cli(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def evolved_doc(expression: str, terminals=("nwot", "synflow")) -> dict:
    return {
        "expression": expression, "terminals": list(terminals), "ops": OPS,
        "evolved_on": "nasbench201/cifar10", "seed": 0, "tau_sample": 0.5, "tau_rest": 0.5,
        "size": 3, "pruned": {}, "evaluated": 1, "seconds": 0.1, "seconds_saved_estimate": 0.0,
    }  # fmt: skip


def test_expression_round_trip_and_values():
    nodes = parse_expression("add(nwot, mul(synflow, 0.5))", TERMS, OPS)
    cols = {"nwot": np.array([1.0, 2.0]), "synflow": np.array([4.0, 6.0])}
    assert evaluate_nodes(nodes, cols, 2).tolist() == [3.0, 5.0]
    nodes = parse_expression("div(nwot, sub(nwot, nwot))", TERMS, OPS)
    assert evaluate_nodes(nodes, cols, 2).tolist() == [1.0, 1.0]  # protected division


HOSTILE = [
    "__import__('os').system('touch /tmp/pwned')",
    "nwot.__class__",
    "nwot[0]",
    "[x for x in nwot]",
    "9**9**9",
    "lambda: 0",
    "add(nwot, synflow); import os",
    "open('/etc/passwd')",
    "add(nwot)",
    "add(nwot, synflow, jacov)",
    "pow(nwot, synflow)",
    "add(nwot, synflow) nwot",
    "neg(" * 100 + "nwot" + ")" * 100,
    "x" * 30_000,
    "1e999",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_expressions_are_refused_quickly(text):
    started = time.perf_counter()
    with pytest.raises(BadInputError) as info:
        parse_expression(text, TERMS, OPS)
    assert time.perf_counter() - started < 1.0
    assert len(str(info.value)) < 300  # the quoted value is cut to a short prefix


def test_hostile_evolved_file_exits_2_and_runs_nothing(capsys, tmp_path, data_dir):
    marker = tmp_path / "pwned"
    path = tmp_path / "evolved.json"
    path.write_text(json.dumps(evolved_doc(f"__import__('os').system('touch {marker}')")))
    for argv in (
        ["evaluate", "-b", "nasbench201/cifar10", "-s", f"proxy:evolved:{path}", "-f", "onehot",
         "-n", 20, "--seeds", 1, "--out", tmp_path / "e"],
        ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", f"onehot+evolved:{path}",
         "-n", 20, "--seeds", 1, "--out", tmp_path / "f"],
        ["search", "-b", "nasbench201/cifar10", "--searcher", "random", "--zc-warmup",
         f"evolved:{path}", "--budget", 5, "--seeds", 1, "--out", tmp_path / "s"],
    ):  # fmt: skip
        code, _, err = cli(capsys, *argv, "--data-dir", data_dir)
        assert code == 2, err
        assert err.count("\n") == 1 and "__import__" in err
        assert not marker.exists()


def test_tampered_resumed_gp_run_is_refused(capsys, tmp_path):
    argv = ["evolve-proxy", "-b", "nasbench201/cifar10", "--seeds", 1, "--population", 20,
            "--generations", 2, "--transfer", "nasbench201/cifar10",
            "--out", tmp_path / "ev"]  # fmt: skip
    assert cli(capsys, *argv)[0] == 0
    run = next((tmp_path / "ev" / "runs").glob("*.json"))
    doc = json.loads(run.read_text())
    doc["expression"] = "exec('import os')"
    run.write_text(json.dumps(doc))
    code, _, err = cli(capsys, *argv)
    assert code == 2 and "exec" in err and str(run) in err


def test_stored_expression_scores_like_the_gp_tree(data_dir):
    from nas_surrogate.analysis.evolve import GPConfig, evolve

    bench = load_benchmark("nasbench201/cifar10", data_dir)
    found = evolve(GPConfig("nasbench201/cifar10", seed=1, population=30, generations=3), bench)
    again = EvolvedProxy(**json.loads(json.dumps(asdict(found))))
    scores = again.score(bench)
    rows = bench.scored_rows(found.terminals)
    assert np.isfinite(scores).all() and len(np.unique(scores[rows])) > 3


# -- results that were silently wrong ------------------------------------------------------
def test_vote_scores_each_row_on_its_own(data_dir):
    from nas_surrogate.surrogates.baselines import VoteSurrogate

    bench = load_benchmark("nasbench201/cifar10", data_dir)
    X = np.nan_to_num(bench.proxy_scores[:, :5])
    vote = VoteSurrogate().fit(X[:100], bench.val_accuracy[:100])
    batch = vote.predict(X[100:110])
    alone = np.array([vote.predict(X[i : i + 1])[0] for i in range(100, 110)])
    assert np.allclose(batch, alone)
    # the order of a single proxy is kept exactly, inside and beyond the training range
    one = VoteSurrogate(orient=False).fit(X[:20, :1], bench.val_accuracy[:20])
    pred = one.predict(X[:, :1])
    order = np.argsort(X[:, 0], kind="stable")
    assert (np.diff(pred[order]) >= 0).all()
    assert len(np.unique(pred)) == len(np.unique(X[:, 0]))


def test_search_with_a_proxy_baseline_reads_its_own_column(capsys, tmp_path, data_dir):
    code, _, err = cli(capsys, "search", "-b", "nasbench201/cifar10", "--searcher",
                       "evolution:guided", "-s", "proxy:nwot", "-f", "onehot", "--budget", 30,
                       "--seeds", 1, "--out", tmp_path / "a")  # fmt: skip
    assert code == 2 and "zc:nwot" in err
    code, out, err = cli(capsys, "search", "-b", "nasbench201/cifar10", "--searcher",
                         "evolution:guided", "-s", "proxy:nwot", "--budget", 30, "--seeds", 1,
                         "--out", tmp_path / "b", "--format", "json")  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["searchers"][0]["features"] == "zc:nwot"


def test_evolve_proxy_refuses_a_rerun_with_other_settings(capsys, tmp_path):
    argv = ["evolve-proxy", "-b", "nasbench201/cifar10", "--seeds", 1, "--generations", 2,
            "--transfer", "nasbench201/cifar10", "--out", tmp_path / "ev"]  # fmt: skip
    assert cli(capsys, *argv, "--population", 20)[0] == 0
    code, _, err = cli(capsys, *argv, "--population", 30)
    assert code == 2 and "settings.gp.population" in err


@pytest.mark.parametrize(
    "extra,fragment",
    [(["--population", 0], "--population 0"), (["--generations", -1], "--generations -1"),
     (["--parsimony", "nan"], "--parsimony")],
)  # fmt: skip
def test_evolve_proxy_ranges_exit_2_before_writing(capsys, tmp_path, extra, fragment):
    code, _, err = cli(capsys, "evolve-proxy", "-b", "nasbench201/cifar10", "--transfer",
                       "nasbench201/cifar10", "--out", tmp_path / "o", *extra)  # fmt: skip
    assert code == 2 and fragment in err
    assert not (tmp_path / "o").exists()


# -- bombs and secrets -------------------------------------------------------------------------
BOMB = """a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
"""


@pytest.mark.parametrize("where", ["run", "--surrogate-config", "--space"])
def test_yaml_alias_bomb_is_refused_at_once(capsys, tmp_path, where):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    argv = {
        "run": ["run", bomb],
        "--surrogate-config": ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f",
                               "onehot", "-n", 10, "--out", tmp_path / "o",
                               "--surrogate-config", bomb],
        "--space": ["tune", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot", "-n", 20,
                    "--trials", 1, "--out", tmp_path / "o", "--space", bomb],
    }[where]  # fmt: skip
    started = time.perf_counter()
    code, _, err = cli(capsys, *argv)
    assert time.perf_counter() - started < 5
    assert code == 2 and "aliases are not allowed" in err and err.count("\n") == 1


def test_zip_bomb_member_is_refused_before_reading(capsys, tmp_path, data_dir):
    import shutil
    import zipfile

    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(data_dir / "zc_transbench101_micro.json", folder)
    with zipfile.ZipFile(folder / "zen.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zen/benchmark--transbench101_micro--jigsaw--0.json", b" " * (300 << 20))
    assert (folder / "zen.zip").stat().st_size < 1 << 20
    code, _, err = cli(capsys, "proxies", "-b", "transbench101_micro/jigsaw", "--data-dir", folder)
    assert code == 2 and "too large when decompressed" in err


def test_zip_member_with_a_bad_chunk_name_exits_2(capsys, tmp_path, data_dir):
    import shutil
    import zipfile

    folder = tmp_path / "d"
    folder.mkdir()
    shutil.copy(data_dir / "zc_transbench101_micro.json", folder)
    with zipfile.ZipFile(folder / "zen.zip", "w") as z:
        z.writestr("zen/benchmark--transbench101_micro--jigsaw--abc.json", b"[]")
    code, _, err = cli(capsys, "benchmarks", "--data-dir", folder)
    assert code == 2 and "--abc.json" in err


def test_credentials_are_redacted_in_errors_and_summaries(capsys, tmp_path):
    url = "postgresql://alice:s3cr3t@127.0.0.1:1/db"
    code, _, err = cli(capsys, "tune", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot",
                       "-n", 20, "--trials", 1, "--out", tmp_path / "o",
                       "--storage", url)  # fmt: skip
    assert code == 2 and "s3cr3t" not in err and "alice:***@" in err
    from nas_surrogate.errors import redact

    assert redact(f"storage {url} and {url}") == (
        "storage postgresql://alice:***@127.0.0.1:1/db and postgresql://alice:***@127.0.0.1:1/db"
    )


def test_hostile_json_and_zip_content_exit_2(capsys, tmp_path, data_dir):
    import shutil
    import zipfile

    deep = tmp_path / "deep"
    deep.mkdir()
    (deep / "a.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = cli(capsys, "benchmarks", "--data-dir", deep)
    assert code == 2 and "nested too deeply" in err

    binary = tmp_path / "binary"
    binary.mkdir()
    shutil.copy(data_dir / "zc_transbench101_micro.json", binary)
    with zipfile.ZipFile(binary / "zen.zip", "w") as z:
        z.writestr("zen/benchmark--transbench101_micro--jigsaw--0.json", b"\xff\xfe not utf8")
    code, _, err = cli(capsys, "proxies", "-b", "transbench101_micro/jigsaw", "--data-dir", binary)
    assert code == 2 and "not UTF-8 text" in err

    huge = tmp_path / "huge"
    huge.mkdir()
    record = '{"val_accuracy": 1.0, "nwot": {"score": 1' + "0" * 400 + "}}"
    (huge / "a.json").write_text('{"cifar10": {"(0, 1, 2, 3, 4, 0)": ' + record + "}}")
    code, _, err = cli(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", huge)
    assert code == 2 and "no zero-cost proxy scores" in err  # a 400-digit score is no score
