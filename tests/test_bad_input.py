"""Bad input that used to end in exit 1 (or hang): one line on stderr, exit 2, before
any work starts and before anything is written."""

from __future__ import annotations

import pytest

from nas_surrogate.cli import main

EVAL = ["evaluate", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot", "-n", "10",
        "--seeds", "1"]  # fmt: skip
SEARCH = ["search", "-b", "nasbench201/cifar10", "--searcher", "evolution", "--budget", "20",
          "--seeds", "1"]  # fmt: skip

CASES = {
    "negative seed": (EVAL + ["--seed", "-1"], "--seed"),
    "empty benchmark": (["evaluate", "-b", "", "-s", "xgb", "-f", "onehot", "-n", "10"],
                        "names no benchmark"),
    "huge seed count": (SEARCH + ["--seeds", "99999999999999"], "--seeds"),
    "max_depth deep": (EVAL + ["--surrogate-config", "{cfg}"], "max_depth='deep'"),
    "max_depth -3": (EVAL + ["--surrogate-config", "{cfg}"], "max_depth=-3"),
    "max_depth nan": (EVAL + ["--surrogate-config", "{cfg}"], "max_depth=nan"),
    "population many": (SEARCH + ["--searcher-config", "{cfg}"], "population='many'"),
    "population 0": (SEARCH + ["--searcher-config", "{cfg}"], "population=0"),
    "bins": (["analyze", "information", "-b", "nasbench201/cifar10", "--bins", "100000"],
             "--bins"),
    "report seeds": (["tune", "-b", "nasbench201/cifar10", "-s", "xgb", "-f", "onehot", "-n",
                      "20", "--trials", "2", "--report-seeds", "0"], "--report-seeds"),
    "n classes": (["proxies", "compute", "--archs", "all", "--n-classes", "0"], "--n-classes"),
    "proxy table text": (EVAL + ["--proxy-table", "{table}"], "not a number: 'abc'"),
    # a budget spent on bo's random initial queries is random search under bo's name
    "search bo budget": (["search", "-b", "nasbench201/cifar10", "--searcher", "bo",
                          "--budget", "10"], "bo spends its first 10 queries at random"),
    "nas bo budget": (["nas", "--searcher", "bo", "--budget", "6"],
                      "bo spends its first 10 queries at random"),
}  # fmt: skip
CONFIGS = {
    "max_depth deep": "xgb:\n  max_depth: deep\n",
    "max_depth -3": "xgb:\n  max_depth: -3\n",
    "max_depth nan": "xgb:\n  max_depth: .nan\n",
    "population many": "evolution:\n  population: many\n",
    "population 0": "evolution:\n  population: 0\n",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_exit_2_one_line_nothing_written(case, tmp_path, capsys):
    argv, fragment = CASES[case]
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(CONFIGS.get(case, "{}\n"))
    table = tmp_path / "table.csv"
    table.write_text('arch,nwot\n"(0, 1, 2, 3, 4, 0)",abc\n')
    out = tmp_path / "out"
    argv = [a.format(cfg=cfg, table=table) for a in argv] + ["--out", str(out)]
    if case == "n classes":
        argv[-1] = str(tmp_path / "out.csv")
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err
    assert not out.exists() and not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("command", [["analyze", "correlations"], ["evolve-proxy"]])
def test_out_that_is_not_a_folder(command, capsys):
    code = main([*command, "-b", "nasbench201/cifar10", "--out", "/dev/null"])
    err = capsys.readouterr().err
    assert code == 2 and "--out /dev/null: exists and is not a directory" in err


@pytest.mark.parametrize(
    "space,text",
    [
        ("nasbench301", "[[(0, 2.9), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
                        "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]"),
        ("nasbench301", "[[(0, '2'), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
                        "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]"),
        ("nasbench301", "[[(0, True), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)], "
                        "[(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]"),
        ("nasbench201", "(0, 1, 2, 3, 4, " + "9" * 400 + ")"),
        ("nasbench301", "[[(0, " + "9" * 400 + ")]]"),
        ("nasbenchgraph", "(1, 2)"),
    ],
)  # fmt: skip
def test_arch_strings_that_only_look_like_ints_are_refused(space, text):
    from nas_surrogate.errors import BadInputError
    from nas_surrogate.spaces import get_space

    with pytest.raises(BadInputError):
        get_space(space).parse(text)


@pytest.mark.parametrize("field,value", [("seeds", 99999999999999), ("seed", -1)])
def test_seed_bounds_hold_for_yaml_configs_too(field, value, tmp_path, capsys):
    import yaml

    cfg = tmp_path / "run.yaml"
    cfg.write_text(yaml.safe_dump({"command": "search", "benchmark": "nasbench201/cifar10",
                                   "searcher": "random", "budget": 5, field: value,
                                   "out": str(tmp_path / "o")}))  # fmt: skip
    code = main(["run", str(cfg)])
    err = capsys.readouterr().err
    assert code == 2 and f"run.yaml: {field}:" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("name", "params", "fragment"),
    [
        ("bo", {"kappa": "big"}, "kappa='big': must be a number"),
        ("bo", {"init": 0}, "init=0"),
        ("bo", {"candidates": "some"}, "must be one of mutation, all"),
        ("evolution", {"n_children": -1}, "n_children=-1"),
        ("evolution", {"guided": "yes"}, "true or false"),
        ("local_search", {"mode": "steepest"}, "must be one of first, best"),
        ("nsga2", {"crossover": 1.5}, "crossover=1.5"),
        ("mobo", {"n_samples": 0}, "n_samples=0"),
        ("random", {"warmup_pool": 0}, "warmup_pool=0"),
    ],
)
def test_every_searcher_parameter_is_checked_not_only_tuned_ones(name, params, fragment):
    """Only parameters in a tuning space were checked: bo's kappa="big" and evolution's
    n_children=-1 were accepted."""
    from nas_surrogate.errors import BadInputError
    from nas_surrogate.searchers import SEARCHERS, make_searcher

    with pytest.raises(BadInputError, match=fragment.replace("(", r"\(")):
        make_searcher(name, **params)
    searcher = SEARCHERS.get(name)(**params)  # made directly: checked when it runs
    with pytest.raises(BadInputError, match="parameter"):
        next(searcher.propose(None, None))
