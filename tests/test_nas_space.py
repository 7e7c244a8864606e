"""``nas --space my_space.yaml --model file.py:build``: the user's own model family
trained for real, on images and on tabular data, resumed, and bad input refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from nas_surrogate.cli import main

SPACE = """\
dimensions:
  depth:   {type: int, low: 1, high: 3}
  width_1: {type: choice, values: [4, 8, 16]}
  width_2: {type: choice, values: [4, 8, 16], when: "depth >= 2"}
  width_3: {type: choice, values: [4, 8, 16], when: "depth >= 3"}
  act:     {type: choice, values: [relu, gelu, silu]}
  lr:      {type: float, low: 1.0e-3, high: 3.0e-2, log: true}
"""

MODEL = '''\
import math
from torch import nn

ACTS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


def build(config, input_shape, n_classes):
    """An MLP over the flattened input, whatever its shape."""
    layers, width = [nn.Flatten()], math.prod(input_shape)
    for i in range(1, config["depth"] + 1):
        layers += [nn.Linear(width, config[f"width_{i}"]), ACTS[config["act"]]()]
        width = config[f"width_{i}"]
    return nn.Sequential(*layers, nn.Linear(width, n_classes))


def not_a_model(config, input_shape, n_classes):
    return "a string"


def wrong_classes(config, input_shape, n_classes):
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), n_classes + 1))
'''


@pytest.fixture
def own(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "space.yaml").write_text(SPACE)
    (tmp_path / "mlp_family.py").write_text(MODEL)
    return tmp_path


def _nas(*extra: str) -> int:
    return main(["nas", "--space", "space.yaml", "--dataset", "digits", "--epochs", "1",
                 "--budget", "12", "--searcher", "bo", "--max-new-proxies", "8",
                 "--optimizer", "adam", "--format", "json", *extra])  # fmt: skip


def test_a_user_model_trains_with_dimensions_as_columns_and_resumes(own, capsys):
    args = ["--model", "mlp_family:build", "--out", "run"]
    assert _nas(*args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["trained"] == 12 and summary["best_val_accuracy"] > 30
    rows = pd.read_csv(own / "run" / "results.csv")
    assert {"depth", "width_1", "width_3", "act", "lr", "val_accuracy"} <= set(rows.columns)
    for _, row in rows.iterrows():
        config = json.loads(row["arch"])
        assert config["depth"] == row["depth"] and config["act"] == row["act"]
        assert ("width_3" in config) == (config["depth"] >= 3)
    assert summary["networks_with_proxies"] > 0  # enc+zc: the surrogate saw live proxies
    assert _nas(*args, "--budget", "14") == 2  # another setting: refused
    assert "another settings.budget" in capsys.readouterr().err
    assert _nas(*args) == 0  # the same: resumed, nothing trained again
    assert json.loads(capsys.readouterr().out)["trained_this_run"] == 0


def test_tabular_data_and_a_file_path_model(own, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    np.savez(own / "table.npz", x=x, y=y)
    assert main(["nas", "--space", "space.yaml", "--model", "mlp_family.py:build",
                 "--dataset", "table.npz", "--epochs", "15", "--budget", "4", "--optimizer", "adam",
                 "--searcher", "random", "--format", "json", "--out", "tab"]) == 0  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert summary["trained"] == 4 and summary["best_val_accuracy"] > 60


@pytest.mark.parametrize(
    ("model", "needle"),
    [
        ("no_such_module:build", "cannot import"),
        ("mlp_family:nope", "has no function nope"),
        ("mlp_family:not_a_model", "not a torch nn.Module"),
        ("mlp_family:wrong_classes", "expected logits"),
        ("mlp_family", "package.module:function"),
    ],
)
def test_bad_models_are_one_line_exit_2_before_any_write(own, capsys, model, needle):
    assert _nas("--model", model, "--out", "bad") == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert not (own / "bad").exists()


def test_model_without_own_space_and_own_space_without_model_are_refused(own, capsys):
    assert main(["nas", "--model", "mlp_family:build", "--out", "x"]) == 2
    assert "--model" in capsys.readouterr().err
    assert _nas("--out", "x") == 2
    assert "needs the model" in capsys.readouterr().err
    (own / "bad_space.yaml").write_text(SPACE + "  val_accuracy: {type: int, low: 0, high: 1}\n")
    assert main(["nas", "--space", "bad_space.yaml", "--model", "mlp_family:build",
                 "--out", "x"]) == 2  # fmt: skip
    assert "results column" in capsys.readouterr().err
    assert not (own / "x").exists()


def test_random_search_on_an_own_space_prints_its_table_summary(own, capsys):
    """Random search computes no proxy: the printed summary says so (it used to crash
    formatting the hit rate of a proxy source that was never asked, exit 1)."""
    assert main(["nas", "--space", "space.yaml", "--model", "mlp_family:build", "--dataset",
                 "digits", "--epochs", "1", "--budget", "2", "--searcher", "random",
                 "--out", "rand"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "2 networks trained" in out and "cache hit rate -;" in out
