"""The CLI contract: JSON output shapes, and one clear line + exit 2 for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nas_surrogate.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_benchmarks_json_lists_all_29(capsys, data_dir):
    code, out, err = run(capsys, "benchmarks", "--data-dir", str(data_dir), "--format", "json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert len(rows) == 29
    by_id = {r["id"]: r for r in rows}
    assert by_id["nasbench201/ImageNet16-120"]["n_archs"] == 724
    assert by_id["nasbench101/cifar10"]["proxies"][:2] == ["epe_nas", "fisher"]
    assert by_id["nasbenchgraph/proteins"]["n_archs"] == 2021


def test_benchmarks_table_uses_env_data_dir(capsys):
    code, out, _ = run(capsys, "benchmarks")
    assert code == 0
    assert "transbench101_macro/segmentsemantic" in out and "NAS-Bench-Suite-Zero" in out


def test_demo_data_without_any_data_dir(capsys, monkeypatch):
    monkeypatch.delenv("NAS_SURROGATE_DATA")
    code, out, _ = run(capsys, "proxies", "--benchmark", "nasbench201/cifar10", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["n_archs"] == 9445 and len(doc["proxies"]) == 13  # the whole NB201 space


def test_proxies_json_contract(capsys, data_dir):
    code, out, err = run(
        capsys,
        "proxies",
        "-b",
        "nasbench201/cifar10",
        "--data-dir",
        str(data_dir),
        "--format",
        "json",
    )
    assert code == 0 and err == ""
    doc = json.loads(out)  # the whole of stdout is one JSON document
    assert doc["benchmark"] == "nasbench201/cifar10"
    assert set(doc["proxies"]["nwot"]) == {"spearman", "kendall", "n"}
    assert doc["proxies"]["nwot"]["spearman"] == pytest.approx(0.786, abs=0.001)


def test_proxies_for_several_benchmarks(capsys, data_dir):
    ids = "transbench101_micro/jigsaw,nasbench301/cifar10"
    code, out, _ = run(capsys, "proxies", "-b", ids, "--format", "json")
    assert code == 0
    assert [d["benchmark"] for d in json.loads(out)] == ids.split(",")


def _one_error_line(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in err


def _data_file(tmp_path, content: str):
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "zc_nasbench201.json").write_text(content)
    return folder


def test_unknown_benchmark_suggests(capsys):
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar-10")
    _one_error_line(code, err, "nasbench201/cifar-10", "did you mean", "'nasbench201/cifar10'")


def test_missing_data_dir(capsys, tmp_path):
    code, _, err = run(capsys, "benchmarks", "--data-dir", str(tmp_path / "nope"))
    _one_error_line(code, err, "nope", "not a directory")


def test_data_dir_without_files(capsys, tmp_path):
    code, _, err = run(capsys, "benchmarks", "--data-dir", str(tmp_path))
    _one_error_line(code, err, str(tmp_path), "holds no NAS-Bench-Suite-Zero .json or .zip files")


def test_env_data_dir_is_checked_too(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NAS_SURROGATE_DATA", str(tmp_path / "missing"))
    code, _, err = run(capsys, "benchmarks")
    _one_error_line(code, err, "NAS_SURROGATE_DATA", "missing")


def test_truncated_json(capsys, tmp_path, data_dir):
    head = (data_dir / "zc_nasbench201.json").read_text()[:5000]
    folder = _data_file(tmp_path, head)
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", str(folder))
    _one_error_line(code, err, "zc_nasbench201.json", "not valid JSON")


def test_field_of_wrong_type(capsys, tmp_path):
    doc = {"cifar10": {"(0, 2, 3, 2, 3, 1)": {"val_accuracy": "high"}}}
    folder = _data_file(tmp_path, json.dumps(doc))
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", str(folder))
    _one_error_line(code, err, "zc_nasbench201.json", "val_accuracy", "'high'")


def test_proxy_score_of_wrong_type(capsys, tmp_path):
    rec = {"val_accuracy": 80.0, "nwot": {"score": [1], "time": 0.1}}
    folder = _data_file(tmp_path, json.dumps({"cifar10": {"(0, 2, 3, 2, 3, 1)": rec}}))
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", str(folder))
    _one_error_line(code, err, "nwot/score", "expected a number")


def test_arch_string_that_does_not_parse(capsys, tmp_path):
    folder = _data_file(tmp_path, json.dumps({"cifar10": {"(0, 9)": {"val_accuracy": 1.0}}}))
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar10", "--data-dir", str(folder))
    _one_error_line(code, err, "(0, 9)", "expected 6 integers")


def test_task_missing_from_file(capsys, tmp_path):
    folder = _data_file(tmp_path, json.dumps({"cifar10": {}}))
    code, _, err = run(capsys, "proxies", "-b", "nasbench201/cifar100", "--data-dir", str(folder))
    _one_error_line(code, err, "nasbench201/cifar100", "not in the files of", "they hold: none")


def test_benchmark_without_proxies(capsys):
    code, _, err = run(capsys, "proxies", "-b", "nasbenchgraph/cora")
    _one_error_line(code, err, "nasbenchgraph/cora", "no zero-cost proxy")


def test_installed_entry_point_exit_codes():
    ok = subprocess.run(
        [sys.executable, "-m", "nas_surrogate.cli", "--help"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "benchmarks" in ok.stdout and "proxies" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "nas_surrogate.cli", "proxies", "-b", "nope"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("error: benchmark: unknown name 'nope'")
    assert bad.stdout == ""


def test_demo_takes_a_seed(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("NAS_SURROGATE_DATA")
    args = ["demo", "--seeds", "1", "--budget", "12", "-j", "1", "--format", "json"]
    runs = {}
    for seed in (0, 3):
        code, out, err = run(capsys, *args, "--seed", str(seed), "--out", str(tmp_path / str(seed)))
        assert code == 0, err
        summary = json.loads(out)
        assert summary["config"]["base_seed"] == seed
        runs[seed] = (tmp_path / str(seed) / "results.csv").read_text()
    assert runs[0] != runs[3]  # another seed, other draws
    code, _, err = run(capsys, *args, "--seed", "-1", "--out", str(tmp_path / "x"))
    assert code == 2 and "--seed" in err


HEAVY = ("torch", "sklearn", "pandas", "optuna", "xgboost", "lightgbm", "matplotlib")
IMPORTED = """
import sys
from nas_surrogate.cli import main
try:
    main(sys.argv[1:])
finally:
    print("loaded:" + ",".join(m for m in {heavy} if m in sys.modules), file=sys.stderr)
"""


@pytest.mark.parametrize(
    ("argv", "allowed"),
    [(["--help"], ()), (["search", "--help"], ()), (["tune", "--help"], ()),
     (["benchmarks"], ("sklearn", "pandas"))],
)  # fmt: skip
def test_commands_that_do_not_train_start_without_heavy_libraries(argv, allowed):
    """``import nas_surrogate.cli`` imported torch (9 of 12 s of a start), then
    scikit-learn and pandas through the commands' settings (2.1 s for --help)."""
    import subprocess
    import sys

    code = IMPORTED.format(heavy=HEAVY)
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("loaded:"), r.stderr
    loaded = set(filter(None, last[len("loaded:") :].split(",")))
    assert loaded <= set(allowed), loaded


def _commands(group, prefix=()):
    import click

    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


def test_help_is_never_cut_in_a_narrow_terminal():
    """Every command's --help at 60 columns shows each option's help and default in full:
    long words are wrapped, never cut with an ellipsis (rich's tables cut them, and
    printed a broken byte on terminals without UTF-8)."""
    import typer
    from typer.testing import CliRunner

    from nas_surrogate.cli import app

    root = typer.main.get_command(app)
    runner = CliRunner()
    checked = 0
    for path, command in _commands(root):
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "60"})
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert "…" not in text and "\ufffd" not in text, (path, text)
        flat = "".join(text.split())  # wrapped words joined back
        for param in command.params:
            if isinstance(param.default, str) and param.show_default and param.default:
                assert param.default.replace(" ", "") in flat, (path, param.name)
        checked += 1
    assert checked >= 12  # every command, `proxies compute` included


CHOICE_SETTINGS = [  # (command and its required options, flag, a value not among its choices)
    (["evaluate", "-b", "nasbench201/cifar10", "-s", "rf", "-f", "zc", "-n", "20"],
     "--zc-transform", "rank"),
    (["evaluate", "-b", "nasbench201/cifar10", "-s", "rf", "-f", "zc", "-n", "20"],
     "--pool", "some"),
    (["evaluate", "-b", "nasbench201/cifar10", "-s", "rf", "-f", "zc", "-n", "20"],
     "--ablate", "add-two"),
    (["search", "-b", "nasbench201/cifar10", "--searcher", "bo"], "--acquisition", "pi"),
    (["tune", "-b", "nasbench201/cifar10", "-t", "2", "-s", "rf", "-n", "20"],
     "--target", "searcher"),
    (["tune", "-b", "nasbench201/cifar10", "-t", "2", "-s", "rf", "-n", "20"],
     "--pruner", "asha"),
]  # fmt: skip


@pytest.mark.parametrize("argv,flag,bad", CHOICE_SETTINGS, ids=[c[1] for c in CHOICE_SETTINGS])
def test_a_named_setting_outside_its_choices_is_one_line_listing_them(
    argv, flag, bad, capsys, tmp_path
):
    """Settings that take one of a few names declare them once: the CLI and a YAML config
    (for the commands `run` takes) get the same one-line refusal (naming the option or
    the file's key and every choice) before any work, and the help lists them."""
    out = tmp_path / "o"
    assert main([*argv, flag, bad, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and f"got '{bad}'" in err, err
    assert "expected one of " in err and not out.exists()
    if argv[0] in ("evaluate", "search"):
        key = flag.lstrip("-").replace("-", "_")
        doc = {"command": argv[0], key: bad, "out": str(out)}
        options = iter(argv[1:])
        for option in options:  # the required options, as YAML keys
            name = {"-b": "benchmark", "-s": "surrogate", "-f": "features",
                    "-n": "train_size"}.get(option, option.lstrip("-"))  # fmt: skip
            value = next(options)
            doc[name] = int(value) if value.isdigit() else value
        config = tmp_path / "c.yaml"
        config.write_text(json.dumps(doc))  # JSON is YAML
        assert main(["run", str(config)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {config}: {key}") and "expected one of" in err, err
        assert not out.exists()
    main([argv[0], "--help"])
    assert "One of:" in capsys.readouterr().out
