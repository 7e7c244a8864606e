"""Ask/tell: the benchmark loop and ``Optimizer`` drive the searchers' ``propose``.

Trajectories in ``data/trajectories.json`` were recorded with the searchers' own loops
before they became generators (``data/make_trajectories.py``); both drivers must walk
the very same cells for the same seed.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import optuna
import pytest

from nas_surrogate import load_benchmark
from nas_surrogate.cli import main
from nas_surrogate.optimizer import Optimizer
from nas_surrogate.optuna import (
    ARCH_ATTR,
    NASSampler,
    arch_to_params,
    params_to_arch,
    suggest_arch,
)
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.spaces.nb201 import NB201_OPS

DATA = Path(__file__).with_name("data")
_spec = importlib.util.spec_from_file_location("make_trajectories", DATA / "make_trajectories.py")
recorder = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(recorder)
RECORDED = json.loads((DATA / "trajectories.json").read_text())


@pytest.fixture(scope="module")
def full(full_data_dir):
    return load_benchmark("nasbench201/cifar10", full_data_dir)


@pytest.mark.parametrize("case", recorder.CASES, ids=[c[0] for c in recorder.CASES])
def test_benchmark_loop_walks_the_recorded_trajectories(full, case):
    label, name, features, params = case
    for seed in recorder.SEEDS:
        problem = SearchProblem(full, budget=recorder.BUDGET, features=features)
        make_searcher(name, **params).run(problem, np.random.default_rng(seed))
        assert problem.history()[0].tolist() == RECORDED[f"{label}/{seed}"]


# -- Optimizer: the same searchers driven from outside ------------------------------------
def _value(bench, opt, arch: str) -> float:
    return float(bench.val_accuracy[bench.index_of(opt.space.parse(arch)[None])[0]])


def _ids(opt, archs):
    return [int(i) for i in opt.problem.ids_of(opt.space.parse_many(archs))]


CASES = {c[0]: c for c in recorder.CASES}


@pytest.mark.parametrize(
    "label", ["bo_ucb", "evolution", "local_best", "evolution_free", "random_warm"]
)
def test_optimizer_ask_tell_walks_the_recorded_trajectories(full, label):
    _, name, features, params = CASES[label]
    params = dict(params)
    surrogate = params.pop("surrogate", None)
    warmup = params.pop("zc_warmup", None)
    opt = Optimizer(
        "nasbench201", name, features=features, surrogate=surrogate, zc_warmup=warmup,
        proxies=full, seed=0, searcher_params=params, budget=recorder.BUDGET,
    )  # fmt: skip
    walked = []
    for _ in range(recorder.BUDGET):
        (arch,) = opt.ask()
        walked += _ids(opt, [arch])
        opt.tell([arch], [_value(full, opt, arch)])
    assert walked == RECORDED[f"{label}/0"]
    assert opt.ask(5) == []  # the budget is spent


def test_ask_k_gives_distinct_never_proposed_networks(full):
    opt = Optimizer("nasbench201", "bo", features="onehot", surrogate="rf", proxies=full, seed=3)
    first = opt.ask(12)  # bo's 10 initial ones, then random until results arrive
    second = opt.ask(5)
    rows = full.index_of(opt.space.parse_many(first + second))
    assert len(first) == 12 and len(second) == 5 and len(set(rows.tolist())) == 17
    assert opt.pending == first + second
    opt.tell(first + second, [_value(full, opt, a) for a in first + second])
    assert opt.pending == [] and len(opt.history) == 17
    more = opt.ask(8)  # max(batch 5, 8) by the acquisition: no random fill-ins needed
    assert len(set(full.index_of(opt.space.parse_many(more)).tolist()) - set(rows.tolist())) == 8


def test_evolution_asks_children_of_separate_tournaments(full):
    opt = Optimizer("nasbench201", "evolution", proxies=full, seed=0,
                    searcher_params={"population": 6})  # fmt: skip
    start = opt.ask(6)
    opt.tell(start, [_value(full, opt, a) for a in start])
    children = opt.ask(4)
    # each child is one edit from a member of the population
    pop = opt.space.parse_many(start)
    for child in opt.space.parse_many(children):
        nbr = [any((opt.space.neighbours(p) == child).all(axis=1)) for p in pop]
        assert any(nbr)


def test_state_round_trip_resumes_with_nothing_lost_or_repeated(tmp_path, full):
    def make():
        return Optimizer("nasbench201", "bo", features="onehot+zc", surrogate="rf",
                         proxies=full, seed=5, searcher_params={"batch": 2})  # fmt: skip

    a = make()
    for _ in range(8):
        archs = a.ask(3)
        a.tell(archs[:2], [_value(full, a, x) for x in archs[:2]])
        a.fail(archs[2:])
    pending = a.ask(2)  # asked, then the process dies
    a.save(tmp_path / "state.json")
    b = Optimizer.load(tmp_path / "state.json", proxies=full)
    assert b.pending == pending and b.history == a.history and b.best == a.best
    b.tell(pending, [_value(full, b, x) for x in pending])
    a.tell(pending, [_value(full, a, x) for x in pending])
    assert b.ask(4) == a.ask(4)  # the resumed optimiser goes on exactly as the original
    told = [x for x, _ in b.history]
    assert len(told) == len(set(told)) == 18


def test_changed_settings_or_a_tampered_file_are_refused(tmp_path, full):
    from nas_surrogate.optimizer import state_digest

    opt = Optimizer("nasbench201", "random", proxies=full, seed=1)
    opt.ask(3)
    opt.save(tmp_path / "s.json")
    doc = json.loads((tmp_path / "s.json").read_text())

    def write(d: dict, sign: bool) -> None:
        body = {k: v for k, v in d.items() if k != "digest"}
        out = {**body, "digest": state_digest(body)} if sign else d
        (tmp_path / "t.json").write_text(json.dumps(out))

    doc["config"]["seed"] = 2
    write(doc, sign=False)  # any edit: the digest no longer matches
    with pytest.raises(ValueError, match="was edited"):
        Optimizer.load(tmp_path / "t.json", proxies=full)
    doc["config"]["seed"] = 1
    for part, key, value in (
        ("driver", "queue", [10**9]),
        ("driver", "rng", {"state": 1}),
        ("problem", "rows", "x"),
        ("driver", "searcher", {"batch": [-3]}),
    ):
        bad = json.loads(json.dumps(doc))  # re-signed by hand: the content is still checked
        bad[part][key] = value
        write(bad, sign=True)
        with pytest.raises(ValueError, match=rf"t.json {part}: unreadable"):  # names the field
            Optimizer.load(tmp_path / "t.json", proxies=full)
    doc["config"]["surprise"] = 1
    write(doc, sign=True)
    with pytest.raises(ValueError, match="config"):
        Optimizer.load(tmp_path / "t.json", proxies=full)
    with pytest.raises(ValueError, match="table"):
        Optimizer.load(tmp_path / "s.json")  # saved with a table, loaded without
    old = {k: v for k, v in json.loads((tmp_path / "s.json").read_text()).items() if k != "digest"}
    for fmt in ("nas-surrogate-optimizer/1", "nas-surrogate-optimizer/2"):
        write({**old, "format": fmt}, sign=False)
        with pytest.raises(ValueError, match="older version.*add"):  # says what to do
            Optimizer.load(tmp_path / "t.json", proxies=full)


def test_an_edited_told_value_or_features_are_refused(tmp_path, full):
    """Only the asks were replayed: an edited told value or feature spec was accepted
    and changed later proposals."""
    opt = Optimizer("nasbench201", "bo", features="onehot", proxies=full, seed=0,
                    searcher_params={"init": 3})  # fmt: skip
    archs = opt.ask(3)
    opt.tell(archs, [80.0, 81.0, 82.0])
    opt.save(tmp_path / "s.json")
    for edit in ("value", "features"):
        doc = json.loads((tmp_path / "s.json").read_text())
        if edit == "value":
            doc["problem"]["vectors"][0][0] = 99.0
        else:
            doc["config"]["features"] = "onehot+zc"
        (tmp_path / "t.json").write_text(json.dumps(doc))
        with pytest.raises(ValueError, match="was edited"):
            Optimizer.load(tmp_path / "t.json", proxies=full)


def test_live_proxy_function_is_called_once_per_network_and_saved(tmp_path):
    calls: list[str] = []

    def proxy(arch: str) -> dict[str, float]:
        calls.append(arch)
        ops = [int(c) for c in arch if c.isdigit()]
        return {"params": float(sum(o in (2, 3) for o in ops)), "synflow": float(ops[0])}

    opt = Optimizer("nasbench201", "bo", features="onehot+zc:params,synflow",
                    surrogate="rf", proxies=proxy, seed=0, max_new_proxies=7)  # fmt: skip
    assert opt.problem.n == 9445  # the space's networks are the candidates
    for _ in range(4):
        archs = opt.ask(5)
        opt.tell(archs, [float(len(a)) for a in archs])  # any real-valued objective
    assert len(calls) == len(set(calls)) > 0  # scored on first use only
    assert len(calls) <= 10 + 3 * 7  # the 10 trained first, then <= 7 new per bo step
    assert opt.proxy_seconds > 0
    opt.save(tmp_path / "live.json")
    n = len(calls)
    again = Optimizer.load(tmp_path / "live.json", proxies=proxy)
    assert len(calls) == n  # load reads the stored scores, computes nothing
    assert again.history == opt.history
    assert again.ask(5) == opt.ask(5)  # and goes on as the original would


def test_features_with_zc_need_proxies():
    with pytest.raises(ValueError, match="proxies"):
        Optimizer("nasbench201", "bo", features="onehot+zc")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda o, a: o.tell(["(9, 9, 9, 9, 9, 9)"], [1.0]), r"archs\[0\]"),
        (lambda o, a: o.tell(["junk"], [1.0]), "junk"),
        (lambda o, a: o.tell(a, [1.0]), "values"),
        (lambda o, a: o.tell(a[:1], [float("nan")]), r"values\[0\]"),
        (lambda o, a: o.tell(a[:1], ["high"]), r"values\[0\]"),
        (lambda o, a: o.tell([a[0], a[0]], [1.0, 1.0]), "twice"),
        (lambda o, a: o.ask(0), "k"),
        (lambda o, a: o.tell("(0, 0, 0, 0, 0, 0)", [1.0]), "archs"),
    ],
)
def test_bad_tells_name_the_argument(full, call, match):
    opt = Optimizer("nasbench201", "random", proxies=full, seed=0)
    archs = opt.ask(2)
    with pytest.raises(ValueError, match=match):
        call(opt, archs)
    assert opt.pending == archs  # nothing half-applied


def test_tell_of_an_unasked_or_told_arch_is_refused(full):
    opt = Optimizer("nasbench201", "random", proxies=full, seed=0)
    (arch,) = opt.ask()
    other = next(a for a in ("(0, 0, 0, 0, 0, 0)", "(2, 2, 2, 2, 2, 2)") if a != arch)
    with pytest.raises(ValueError, match="never asked"):
        opt.tell([other], [1.0])
    opt.tell([arch], [1.0])
    with pytest.raises(ValueError, match="already told"):
        opt.tell([arch], [2.0])
    opt.add([other], [3.0])  # a result obtained elsewhere
    assert opt.best == (other, 3.0)
    assert other not in opt.ask(50)


# -- NASSampler ---------------------------------------------------------------------------
def _table_objective(bench):
    def objective(trial):
        arch = suggest_arch(trial, "nasbench201")
        return _value(bench, NAS201, arch)

    return objective


class _Space:
    space = None


NAS201 = _Space()


def test_sampler_proposes_what_the_native_searcher_proposes(full):
    NAS201.space = full.space
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    _, name, features, params = CASES["bo_ucb"]
    params = dict(params)
    sampler = NASSampler("nasbench201", name, features=features, proxies=full, seed=0,
                         surrogate=params.pop("surrogate"), searcher_params=params)  # fmt: skip
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_table_objective(full), n_trials=recorder.BUDGET)
    walked = _ids(sampler.optimizer, [t.system_attrs[ARCH_ATTR] for t in study.trials])
    assert walked == RECORDED["bo_ucb/0"]
    assert set(study.trials[0].params) == {f"edge{i}" for i in range(6)}
    assert study.trials[0].params["edge0"] in NB201_OPS


def test_sampler_learns_from_enqueued_failed_and_minimised_trials(full):
    NAS201.space = full.space
    sampler = NASSampler("nasbench201", "evolution", proxies=full, seed=2,
                         searcher_params={"population": 4})  # fmt: skip
    study = optuna.create_study(direction="minimize", sampler=sampler)
    best = full.archs[int(np.argmax(full.val_accuracy))]
    study.enqueue_trial(arch_to_params(full.space, full.space.format(best)))

    def objective(trial):
        arch = suggest_arch(trial, "nasbench201")
        if trial.number == 3:
            raise RuntimeError("training crashed")
        return -_value(full, NAS201, arch)

    study.optimize(objective, n_trials=12, catch=(RuntimeError,))
    opt = sampler.optimizer
    archs = [a for a, _ in opt.history]
    assert full.space.format(best) in archs  # the enqueued trial was added
    assert len(opt.problem.failed) == 1  # the crashed one
    assert opt.best[1] == study.best_value  # minimised: the values as the study sees them
    rows = full.index_of(full.space.parse_many([t.system_attrs.get(ARCH_ATTR) or
                                                params_to_arch(full.space, t.params)
                                                for t in study.trials]))  # fmt: skip
    assert len(set(rows.tolist())) == 12  # never the same network twice


# -- the shell driver -------------------------------------------------------------------
def _cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_ask_tell_round_trip_and_refusals(capsys, tmp_path, full_data_dir):
    state = str(tmp_path / "run.json")
    data = ["--data-dir", str(full_data_dir)]
    code, out, _ = _cli(capsys, "ask", "--state", state, "--searcher", "evolution", "-k", "2",
                        "--seed", "7", "--benchmark", "nasbench201/cifar10", *data)  # fmt: skip
    assert code == 0
    archs = out.splitlines()
    # the same settings in Python propose the same archs
    opt = Optimizer("nasbench201", "evolution", seed=7, proxies=load_benchmark(
        "nasbench201/cifar10", full_data_dir))  # fmt: skip
    assert opt.ask(2) == archs
    code, _, err = _cli(capsys, "tell", "--state", state, "--arch", archs[0], "--value", "91.5")
    assert code == 2 and "config.proxies" in err  # another table (the 725-arch file) refused
    state = [*data, "--state", state]
    code, out, _ = _cli(capsys, "tell", *state, "--arch", archs[0], "--value", "91.5")
    assert code == 0 and "best 91.5" in out
    code, _, err = _cli(capsys, "tell", *state, "--arch", archs[0], "--value", "90")
    assert code == 2 and "already told" in err and err.count("\n") == 1
    code, _, err = _cli(capsys, "ask", *state, "--seed", "8")
    assert code == 2 and "--seed" in err
    code, _, err = _cli(capsys, "tell", *state, "--arch", archs[1], "--value", "nan")
    assert code == 2 and "values[0]" in err
    code, _, err = _cli(capsys, "tell", *state, "--arch", archs[1], "--arch", archs[0],
                        "--value", "1")  # fmt: skip
    assert code == 2 and "values" in err
    code, out, _ = _cli(capsys, "tell", *state, "--arch", archs[1], "--fail")
    assert code == 0
    saved = json.loads(Path(state[-1]).read_text())
    assert len(saved["problem"]["rows"]) == 1 and len(saved["problem"]["failed"]) == 1


def test_cli_ask_prints_nb201_strings_that_tell_takes_back(capsys, tmp_path):
    """`ask --arch-format nb201` prints NAS-Bench-201's own strings for the very archs a
    compact ask proposes; `tell` takes them; the format is refused off NB201."""
    from nas_surrogate.spaces.nb201 import format_nb201_string

    compact, nb201 = str(tmp_path / "a.json"), str(tmp_path / "b.json")
    code, out, _ = _cli(capsys, "ask", "--state", compact, "-k", "3", "--searcher", "random")
    assert code == 0
    expected = [format_nb201_string(np.array(eval_free(a))) for a in out.splitlines()]
    code, out, _ = _cli(capsys, "ask", "--state", nb201, "-k", "3", "--searcher", "random",
                        "--arch-format", "nb201")  # fmt: skip
    assert code == 0 and out.splitlines() == expected
    assert expected[0].startswith("|") and "~0|+|" in expected[0]
    code, out, err = _cli(capsys, "tell", "--state", nb201, "--arch", expected[0], "--value", "9")
    assert code == 0, err
    code, _, err = _cli(capsys, "ask", "--state", str(tmp_path / "c.json"), "--space",
                        "transbench101_micro", "--arch-format", "nb201")  # fmt: skip
    assert code == 2 and "--arch-format nb201" in err and "transbench101_micro" in err
    assert not (tmp_path / "c.json").exists()
    code, _, err = _cli(capsys, "ask", "--state", nb201, "--arch-format", "nats")
    assert code == 2 and "compact, nb201" in err


def eval_free(text: str) -> list[int]:
    """'(2, 3, 0, 2, 0, 3)' -> [2, 3, 0, 2, 0, 3], without eval."""
    return [int(x) for x in text.strip("()").split(",")]


def test_cli_zc_features_need_a_proxy_source(capsys, tmp_path):
    code, _, err = _cli(capsys, "ask", "--state", str(tmp_path / "s.json"), "--features",
                        "onehot+zc")  # fmt: skip
    assert code == 2 and "--benchmark" in err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("searcher", ["bo", "mobo"])
def test_a_surrogate_without_a_distribution_is_refused_before_the_first_ask(
    searcher, capsys, tmp_path
):
    """bo's and mobo's acquisitions read predict_dist: with xgb the optimiser failed
    only at its first fit, after ten networks had been trained."""
    extra = ["--objectives", "val_accuracy,params:min", "--benchmark",
             "nasbench201/cifar10"] if searcher == "mobo" else []  # fmt: skip
    code, _, err = _cli(capsys, "ask", "--state", str(tmp_path / "s.json"), "--searcher",
                        searcher, "--surrogate", "xgb", "-k", "2", *extra)  # fmt: skip
    assert code == 2 and "--surrogate xgb" in err and "predictive distribution" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "s.json").exists()


def test_sampler_resumes_a_stored_study_and_runs_parallel_trials(tmp_path, full):
    NAS201.space = full.space
    storage = f"sqlite:///{tmp_path / 'study.db'}"

    def objective(trial):
        return _value(full, NAS201, suggest_arch(trial, "nasbench201"))

    def sampler():
        return NASSampler("nasbench201", "evolution", proxies=full, seed=4,
                          searcher_params={"population": 5})  # fmt: skip

    first = optuna.create_study(storage=storage, study_name="s", direction="maximize",
                                sampler=sampler())  # fmt: skip
    first.optimize(objective, n_trials=8)
    again = sampler()  # a new process: the study's finished trials are added as results
    study = optuna.load_study(storage=storage, study_name="s", sampler=again)
    study.optimize(objective, n_trials=6, n_jobs=2)  # two threads share the sampler
    archs = [params_to_arch(full.space, t.params) for t in study.trials]
    rows = full.index_of(full.space.parse_many(archs))
    assert len(study.trials) == 14 and len(set(rows.tolist())) == 14
    assert len(again.optimizer.history) >= 8


def test_a_result_added_while_its_network_waits_in_a_batch_is_not_proposed(full):
    opt = Optimizer("nasbench201", "random", proxies=full, seed=0)
    first = opt.ask(1)  # random proposes its whole permutation as one batch
    peek = Optimizer("nasbench201", "random", proxies=full, seed=0).ask(3)
    assert peek[0] == first[0]
    opt.add([peek[1]], [50.0])  # the next queued network, evaluated elsewhere
    assert opt.ask(1) == [peek[2]]


@pytest.mark.parametrize(
    ("searcher", "params"),
    [("bo", {"init": 3}), ("evolution:guided", {"population": 3}), ("local_search:guided", {})],
)
def test_surrogate_searchers_go_on_when_every_evaluation_so_far_failed(full, searcher, params):
    opt = Optimizer("nasbench201", searcher, features="onehot", surrogate="rf", proxies=full,
                    seed=0, searcher_params=params)  # fmt: skip
    for _ in range(3):
        opt.fail(opt.ask(1))  # the first three trainings crashed
    archs = opt.ask(2)  # no result to fit a surrogate on yet
    opt.tell(archs, [_value(full, opt, a) for a in archs])
    assert len(opt.ask(4)) == 4 and len(opt.problem.failed) == 3


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": 1}', "\xff\xfe", "not json"])
def test_cli_unreadable_state_files_exit_2(capsys, tmp_path, text):
    state = tmp_path / "s.json"
    state.write_bytes(text.encode("latin-1"))
    code, _, err = _cli(capsys, "ask", "--state", str(state))
    assert code == 2 and err.count("\n") == 1 and str(state) in err


@pytest.mark.parametrize("case", ["data-file", "unknown-searcher"])
def test_a_refused_ask_leaves_no_lock_file(tmp_path, capsys, case):
    """``ask --state X`` took ``X.lock`` before validating: a refused call left a lock
    file beside the user's own file."""
    state = tmp_path / ("data.csv" if case == "data-file" else "s.json")
    if case == "data-file":
        state.write_text("arch,val_accuracy\n(0, 1, 2, 3, 4, 0),90.1\n")
    extra = ["--searcher", "no_such_searcher"] if case == "unknown-searcher" else []
    assert main(["ask", "--state", str(state), *extra]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / f"{state.name}.lock").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["data.csv"] if case == "data-file" else []
    )


def test_objectives_as_a_string_and_a_huge_value_are_refused_as_such():
    """``objectives="a,b"`` was read letter by letter ("v,a,l,_...: named twice"), and
    ``tell(.., [10**400])`` raised OverflowError instead of the promised ValueError."""
    with pytest.raises(ValueError, match="list of names"):
        Optimizer("nasbench201", "random", objectives="val_accuracy,params")
    opt = Optimizer("nasbench201", "random")
    archs = opt.ask()
    with pytest.raises(ValueError, match="not a finite number") as info:
        opt.tell(archs, [10**400])
    assert len(str(info.value)) < 200
    opt.tell(archs, [90.0])  # the refused tell changed nothing
    assert opt.history == [(archs[0], 90.0)]


@pytest.mark.parametrize("searcher", ["evolution", "local_search", "bo"])
def test_a_study_resumed_from_storage_continues_the_searcher_exactly(tmp_path, full, searcher):
    """A sampler made again on a stored study used to restart evolution and local search
    from random (issue 36 item 6): the optimiser's state now lives in the study."""
    NAS201.space = full.space
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    params = {"population": 6} if searcher == "evolution" else {}
    if searcher == "bo":
        params = {"init": 5}

    def sampler():
        return NASSampler("nasbench201", searcher, proxies=full, seed=4, searcher_params=params)

    whole = optuna.create_study(direction="maximize", sampler=sampler())
    whole.optimize(_table_objective(full), n_trials=24)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = optuna.create_study(
        direction="maximize", sampler=sampler(), storage=storage, study_name="s"
    )
    first.optimize(_table_objective(full), n_trials=11)
    resumed = optuna.load_study(study_name="s", storage=storage, sampler=sampler())
    resumed.optimize(_table_objective(full), n_trials=13)
    assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
    # another searcher on the same study: said once, the trials become known results
    with pytest.warns(UserWarning, match="other settings"):
        other = NASSampler("nasbench201", "random", proxies=full, seed=4)
        optuna.load_study(study_name="s", storage=storage, sampler=other).optimize(
            _table_objective(full), n_trials=1
        )
    assert len(other.optimizer.history) == 24
