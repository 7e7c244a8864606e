"""The worked example of docs/extending.md runs: a surrogate added in one module with
one registration works in evaluate and search."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from nas_surrogate import build_features, load_benchmark, make_preprocessor
from nas_surrogate.searchers import SearchProblem, make_searcher
from nas_surrogate.surrogates import SURROGATES, Predictor, SurrogateEntry, make_surrogate

DOC = Path(__file__).resolve().parents[1] / "docs" / "extending.md"


def test_extending_example(data_dir, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    namespace: dict = {"SurrogateEntry": SurrogateEntry}
    exec(blocks[0], namespace)  # the module
    monkeypatch.setattr(SURROGATES, "_items", dict(SURROGATES._items))  # undone after
    namespace["SURROGATES"] = SURROGATES
    exec(blocks[1], namespace)  # the registration line
    bench = load_benchmark("nasbench201/cifar10", data_dir)
    feats = build_features("onehot+zc", bench)
    model = Predictor(make_preprocessor(feats), make_surrogate("knn", n_neighbors=3))
    model.fit(feats.X[:100], bench.val_accuracy[:100])
    mean, std = model.predict_dist(feats.X[100:])
    assert mean.shape == std.shape == (625,) and (std >= 0).all()
    problem = SearchProblem(bench, budget=15, features="onehot+zc")
    make_searcher("bo", surrogate="knn", init=5).run(problem, np.random.default_rng(0))
    assert len(set(problem.trajectory.rows)) == 15


def test_python_api_page_runs(tmp_path, monkeypatch, data_dir):
    doc = DOC.parent / "python-api.md"
    (block,) = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    monkeypatch.chdir(tmp_path)
    block = block.replace("../shared/data/nbsz", str(data_dir))
    namespace: dict = {}
    exec(block, namespace)
    assert namespace["summary"]["n_units"] == 6
    assert len(namespace["problem"].trajectory.rows) == 50


def _readme_block(heading: str) -> str:
    text = (DOC.parents[1] / "README.md").read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_ask_tell_and_optuna_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(_readme_block("### Your own problem: ask/tell in Python"), namespace)  # the embedded table
    opt = namespace["opt"]
    assert len(opt.history) == 100 and opt.pending == []
    assert opt.best[1] >= 91.0  # bo on the whole NB201 space: near its optimum 91.57
    block = _readme_block("### Optuna: `NASSampler`").replace("n_trials=100", "n_trials=15")
    exec(block, namespace)
    assert len(namespace["study"].trials) == 15


def test_parallel_page_example_runs(tmp_path, monkeypatch):
    """docs/parallel.md: Optimizer.ask(1) each time one of four Dask futures finishes."""
    import pytest

    pytest.importorskip("distributed")
    doc = DOC.parent / "parallel.md"
    (block,) = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "parallel_example"}
    exec(block, namespace)
    opt = namespace["opt"]
    told = [a for a, _ in opt.history]
    assert len(told) == len(set(told)) == 60 and opt.pending == []
    assert (tmp_path / "run.json").exists()


def test_extending_searcher_example_runs_and_resumes(data_dir, full_data_dir, tmp_path,
                                                     monkeypatch):  # fmt: skip
    """docs/extending.md's searcher: one module plus one registration; it runs in the
    benchmark loop and through Optimizer, whose saved state it resumes from."""
    from nas_surrogate.optimizer import Optimizer
    from nas_surrogate.searchers import SEARCHERS

    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    (searcher_block,) = [b for b in blocks if "class Hill(Searcher)" in b]
    namespace: dict = {}
    exec(searcher_block, namespace)
    monkeypatch.setattr(SEARCHERS, "_items", dict(SEARCHERS._items))  # undone after
    SEARCHERS.register("hill", namespace["Hill"])
    full = load_benchmark("nasbench201/cifar10", full_data_dir)
    problem = SearchProblem(full, budget=40)
    make_searcher("hill", patience=5).run(problem, np.random.default_rng(0))
    assert len(set(problem.trajectory.rows)) == 40
    assert max(problem.trajectory.values) > np.quantile(full.val_accuracy, 0.9)
    opt = Optimizer("nasbench201", "hill", proxies=full, seed=1)
    for _ in range(15):
        (arch,) = opt.ask(1)
        opt.tell([arch], [float(full.val_accuracy[full.index_of(opt.space.parse(arch)[None])[0]])])
    opt.save(tmp_path / "s.json")
    assert Optimizer.load(tmp_path / "s.json", proxies=full).ask(3) == opt.ask(3)


def test_own_space_page_runs_in_python_and_optuna(tmp_path, monkeypatch):
    """docs/own_space.md: ask/tell on the digits CNN family with live proxies, the best
    network trained and saved, then the same family from an Optuna study's suggest_*."""
    import shutil

    doc = DOC.parent / "own_space.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    assert len(blocks) == 3
    shutil.copytree(DOC.parents[1] / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    small = [
        blocks[0].replace("range(5)", "range(4)").replace("epochs=3", "epochs=1"),
        blocks[1].replace("epochs=10", "epochs=1"),
        blocks[2].replace("n_trials=20", "n_trials=12"),
    ]
    namespace: dict = {}
    exec(small[0], namespace)
    opt = namespace["opt"]
    assert len(opt.history) == 16 and opt.problem.known_proxies()[0].size > 0
    config, value = opt.best
    assert opt.space.check(config) == config and value > 20  # 10 classes: chance is 10 %
    exec(small[1], namespace)
    assert (tmp_path / "best_digits_cnn.pt").stat().st_size > 0
    exec(small[2], namespace)
    study = namespace["study"]
    assert len(study.trials) == 12 and study.sampler.optimizer is not None
    # the first trial (Optuna's random, the space unknown yet) added, the 11 it proposed told
    assert len(study.sampler.optimizer.history) == 12


def test_lpzero_page_runs_in_python(tmp_path, monkeypatch, data_dir):
    """docs/lpzero.md: the search from Python, its proxy read back, the same expression
    the summary names and a held-out score from networks the search never saw."""
    doc = DOC.parent / "lpzero.md"
    (block,) = re.findall(r"```python\n(.*?)```", doc.read_text(), re.S)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NAS_SURROGATE_DATA", str(data_dir))
    namespace: dict = {}
    exec(block, namespace)
    summary, proxy = namespace["summary"], namespace["proxy"]
    assert str(proxy.genome) == summary["readable"]
    assert summary["heldout"]["networks"] == 50 and -1 <= summary["heldout"]["kendall"] <= 1
    assert (tmp_path / "out" / "lpz-py" / "state.json").is_file()


def test_the_layout_page_names_every_module():
    """docs/layout.md drifted from the code (nine packages' modules missing): each module
    of the package is named on it, so a new module comes with its line."""
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "layout.md").read_text()
    modules = [
        p for p in (root / "nas_surrogate").rglob("*.py")
        if p.name != "__init__.py" and "demo_data" not in p.parts
    ]  # fmt: skip
    missing = [str(p.relative_to(root)) for p in modules
               if not re.search(rf"\b{re.escape(p.stem)}\b", page)]  # fmt: skip
    assert len(modules) > 100 and not missing, missing
