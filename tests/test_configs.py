"""Every YAML config shipped in configs/ names known fields and registered things, and a
search config runs exactly like the same CLI command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from nas_surrogate.benchmarks import expand_benchmark_ids
from nas_surrogate.cli import RUN_KEYS, main
from nas_surrogate.config import load_yaml
from nas_surrogate.encodings import parse_feature_spec
from nas_surrogate.searchers import SearcherSpec
from nas_surrogate.surrogates import SurrogateSpec, check_params

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "configs").glob("*.yaml"))


def as_list(v):
    return v if isinstance(v, list) else [v]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_config_is_valid(path):
    doc = load_yaml(path)
    if doc["command"] == "nas":  # the keys are NasConfig's settings
        from nas_surrogate.experiments.nas import NasConfig
        from nas_surrogate.settings import from_yaml

        doc.pop("command")
        from_yaml(NasConfig, doc, str(path)).validate(str(path))
        parse_feature_spec(doc["features"])
        SearcherSpec.parse(doc["searcher"])
        return
    from nas_surrogate.experiments.evaluate import EvaluateConfig
    from nas_surrogate.experiments.search import SearchConfig
    from nas_surrogate.settings import from_yaml, validate

    cls = SearchConfig if doc["command"] == "search" else EvaluateConfig
    rest = {k: v for k, v in doc.items() if k not in RUN_KEYS}
    validate(from_yaml(cls, rest, str(path)), str(path))  # the keys are the config's settings
    for item in as_list(doc["benchmark"]):
        assert expand_benchmark_ids(item)
    for spec in as_list(doc.get("features", [])):
        parse_feature_spec(spec)
    for name in as_list(doc.get("surrogate", [])):
        check_params(
            name, (doc.get("surrogate_params") or {}).get(SurrogateSpec.parse(name).name, {})
        )
    for name in as_list(doc.get("searcher", [])):
        SearcherSpec.parse(name)


def test_search_config_equals_cli(tmp_path, capsys):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "command": "search", "benchmark": "nasbench201/cifar10",
                "searcher": ["random", "evolution"], "budget": 15, "seeds": 2,
                "searcher_params": {"evolution": {"population": 5, "sample_size": 2}},
                "out": str(tmp_path / "yaml"),
            }
        )
    )  # fmt: skip
    assert main(["run", str(cfg)]) == 0
    assert main(["run", str(cfg), "--n-jobs", "2"]) == 0  # resumed: nothing recomputed
    a = pd.read_csv(tmp_path / "yaml" / "results.csv").drop(columns=["wall_seconds"])
    assert len(a) == 2 * 2 * 15 and not a.duplicated(["searcher", "seed", "step"]).any()
    capsys.readouterr()


def test_config_errors_name_file_and_field(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("command: search\nbenchmark: nasbench201/cifar10\nsearcher: random\n"
                   "budget: 5\nout: o\nseedz: 3\n")  # fmt: skip
    assert main(["run", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {cfg}: seedz: unknown field") and "'seeds'" in err
    cfg.write_text("command: search\nbenchmark: [unclosed\n")
    assert main(["run", str(cfg)]) == 2
    assert "not valid YAML" in capsys.readouterr().err
    cfg.write_text("command: search\nbenchmark: nasbench201/cifar10\nsearcher: random\n"
                   "budget: many\nout: o\n")  # fmt: skip
    assert main(["run", str(cfg)]) == 2
    assert "budget: expected an integer, got 'many'" in capsys.readouterr().err
