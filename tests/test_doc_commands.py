"""Every shell command shown in the README and in docs/ runs as written.

Each page's ```bash blocks run in order in a fresh folder of their own, laid out as a
clone is (a copy of `configs/` and `examples/`, `../shared` beside it), with no `NAS_SURROGATE_*`
variable set. A command whose output the page shows (`<!-- output -->` right after its
block names the block's last command, `<!-- output of: COMMAND -->` any one, before a
```text block) must print that text on stdout, digit for digit (wall-clock seconds
aside): those commands run exactly as written. The others run with small sizes, so the
suite stays short: the options in `SMALL` are lowered to at most the value given
(`--budget` stays above bo's 10 random queries; `nas` gets `--epochs` and
`--max-new-proxies` when it has none), `--archs all` becomes four cells and a YAML
config's sizes are lowered the same way. A `--scheduler` address is replaced by a local
Dask cluster's. A command that reads nothing an earlier one wrote prints the same from
any fresh clone, so it runs once for all pages; pages run two at a time.

`python benchmarks/X.py ...` commands (in blocks or inline) take minutes to hours; each
one is parsed by the script's own argument parser, so an option or value that the
script does not accept fails here.

Commands that set up the environment or run this very suite are not run (`NOT_RUN`);
each entry must still appear in the docs, so the list cannot go stale.
"""

from __future__ import annotations

import argparse
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
CLI = Path(sys.executable).with_name("nas-surrogate")

#: option -> the largest value a command runs with here
SMALL = {
    "--seeds": 1,
    "--budget": 12,
    "--trials": 3,
    "--tune-seeds": 1,
    "--report-seeds": 2,
    "--epochs": 1,
    "--max-new-proxies": 4,
    "--sample": 20,
    "--iterations": 30,
    "--holdout": 20,
}
#: YAML keys of `run` configs, lowered the same way
SMALL_YAML = {key[2:].replace("-", "_"): value for key, value in SMALL.items()}

#: commands shown but not run, by their first words, and why
NOT_RUN = {
    "pip install": "installs the environment the suite runs in",
    "python -m pytest": "this suite",
}

#: the cells `--archs all` becomes
FOUR_CELLS = [
    "(0, 1, 2, 3, 4, 0)",
    "(2, 2, 2, 2, 2, 2)",
    "(3, 0, 1, 4, 2, 3)",
    "(1, 1, 1, 1, 2, 1)",
]
SECONDS = re.compile(r"\d+(?:\.\d+)? s\b")


def _commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\n\s*", " ", text)
    return [shlex.split(line, comments=True) for line in joined.splitlines() if line.strip()]


def commands(page: Path) -> list[list[str]]:
    """Every command of the page's ```bash blocks, in order, split as a shell would."""
    blocks = re.findall(r"```bash\n(.*?)```", page.read_text(), re.S)
    return [words for block in blocks for words in _commands(block) if words]


def shown_outputs(page: Path) -> dict[str, str]:
    """command text -> the output the page shows for it.

    `<!-- output -->` right after a ```bash block names its last command;
    `<!-- output of: COMMAND -->` names one anywhere before it.
    """
    text = page.read_text()
    outputs = {}
    pattern = r"```bash\n((?:(?!```).)*)```\s*<!-- output -->\s*```text\n(.*?)```"
    for commands, output in re.findall(pattern, text, re.S):
        outputs[" ".join(_commands(commands)[-1])] = output
    for command, output in re.findall(r"<!-- output of: (.*?) -->\s*```text\n(.*?)```", text, re.S):
        outputs[" ".join(shlex.split(command))] = output
    return outputs


def benchmark_commands(page: Path) -> list[list[str]]:
    """`python benchmarks/...` in code spans and blocks, line breaks inside spans joined."""
    text = re.sub(r"\\\n\s*", " ", page.read_text())
    spans = re.findall(r"`+([^`]+)`+", text)
    out = []
    for span in spans:
        for line in span.splitlines() if "\n" in span.strip() else [span]:
            line = " ".join(line.split())
            if _is_benchmark(line.split()[:2]):
                out.append(shlex.split(line, comments=True))
    return out


def _is_benchmark(words: list[str]) -> bool:
    return words[:1] == ["python"] and len(words) > 1 and words[1].startswith("benchmarks/")


def _not_run(words: list[str]) -> str | None:
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value prefixes
        words = words[1:]
    line = " ".join(words)
    return next((why for start, why in NOT_RUN.items() if line.startswith(start)), None)


def shrink(words: list[str], cells_file: Path) -> list[str]:
    out = list(words)
    if out[1:2] == ["nas"]:  # its defaults train 40 networks for 5 epochs
        for option in ("--epochs", "--max-new-proxies"):
            if option not in out:
                out += [option, str(SMALL[option])]
    for i, word in enumerate(out[:-1]):
        if word in SMALL and re.fullmatch(r"\d+", out[i + 1]):
            out[i + 1] = str(min(int(out[i + 1]), SMALL[word]))
        if word == "--archs" and out[i + 1] == "all":
            out[i + 1] = str(cells_file)
    return out


def _small_config(path: Path) -> None:
    config = yaml.safe_load(path.read_text())
    for key, value in SMALL_YAML.items():
        if isinstance(config.get(key), int):
            config[key] = min(config[key], value)
    path.write_text(yaml.safe_dump(config))


def _fresh_clone(tmp: Path, shared: Path) -> Path:
    clone = tmp / "clone"
    shutil.copytree(REPO / "configs", clone / "configs")
    shutil.copytree(REPO / "examples", clone / "examples")
    (tmp / "shared").symlink_to(shared, target_is_directory=True)
    for config in (clone / "configs").glob("*.yaml"):
        _small_config(config)
    cells = clone / "cells.txt"
    cells.write_text("".join(f"{cell}\n" for cell in FOUR_CELLS))
    return clone


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAS_SURROGATE_")}
    env["NAS_SURROGATE_CACHE"] = os.environ["NAS_SURROGATE_CACHE"]  # the suite's own cache
    env["COLUMNS"] = "100"
    return env


def _run(words: list[str], cwd: Path, exact: bool) -> str:
    assert words[0] == "nas-surrogate", f"unknown command {' '.join(words)}"
    done = subprocess.run(
        [str(CLI), *words[1:]], cwd=cwd, env=_environment(), capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    shown = " ".join(words) + ("" if exact else " (sizes lowered)")
    assert done.returncode == 0, f"{shown}\nexit {done.returncode}\n{done.stderr[-2000:]}"
    return done.stdout


def _shared_root() -> Path:
    data = Path(os.environ["NAS_SURROGATE_DATA"])  # ../shared/data/nbsz
    return data.parents[1]


def _page_id(page: Path) -> str:
    return page.relative_to(REPO).as_posix()


PAGE_IDS = [_page_id(p) for p in PAGES]
#: the pages that show shell commands (the others are results tables and prose)
WITH_COMMANDS = [p for p in PAGES if commands(p)]


def _stateful(words: list[str]) -> bool:
    """Whether a command reads what an earlier one wrote (a state file, a file under
    out/ other than its own --out): only then does it depend on the page's history."""
    if "--state" in words:
        return True
    own = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("--out", "-o")}
    return any("out/" in w and w not in own for w in words[1:])


class _Once:
    """Each distinct stateless command runs once for all pages (it prints the same from
    any fresh clone); pages running side by side wait for the first run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.futures: dict[str, Future] = {}

    def run(self, words: list[str], clone: Path, exact: bool) -> tuple[str, bool]:
        """(stdout, whether this call ran it)."""
        with self.lock:
            future = self.futures.get(" ".join(words))
            mine = future is None
            if mine:
                future = self.futures[" ".join(words)] = Future()
        if mine:
            try:
                future.set_result(_run(words, clone, exact))
            except BaseException as e:  # the waiting pages see the same failure
                future.set_exception(e)
        return future.result(), mine


def _run_page(page: Path, root: Path, address: str | None, once: _Once) -> list[tuple]:
    """Run a page's commands in order in a fresh clone: [(shown text, stdout, expected)]."""
    clone = _fresh_clone(root, _shared_root())
    outputs = shown_outputs(page)
    ran, skipped = [], []
    for words in commands(page):
        if _not_run(words) or _is_benchmark(words):
            continue
        text = " ".join(words)
        expected = outputs.get(text)
        if expected is None:
            words = shrink(words, clone / "cells.txt")
        if address is not None:
            words = [re.sub(r"tcp://HOST:\d+", address, w) for w in words]
        if _stateful(words):  # bring this clone to where the skipped runs left theirs
            for earlier, exact in skipped:
                _run(earlier, clone, exact)
            skipped = []
            stdout = _run(words, clone, expected is not None)
        else:
            stdout, mine = once.run(words, clone, expected is not None)
            if not mine:
                skipped.append((words, expected is not None))
        ran.append((text, stdout, expected))
    return ran


@pytest.fixture(scope="module")
def page_runs(tmp_path_factory) -> dict[Path, object]:
    """Every page's commands, two pages at a time (the commands mostly use one core):
    page -> its list of runs, or the AssertionError that stopped it."""
    needs_cluster = any("HOST:" in w for p in PAGES for c in commands(p) for w in c)
    cluster = None
    if needs_cluster:
        distributed = pytest.importorskip("distributed")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
    once = _Once()
    try:
        address = cluster.scheduler_address if cluster else None
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {
                page: pool.submit(_run_page, page, tmp_path_factory.mktemp("page"), address, once)
                for page in WITH_COMMANDS
            }  # fmt: skip
            results = {}
            for page, future in futures.items():
                try:
                    results[page] = future.result()
                except AssertionError as e:
                    results[page] = e
    finally:
        if cluster is not None:
            cluster.close()
    return results


@pytest.mark.parametrize("page", WITH_COMMANDS, ids=[_page_id(p) for p in WITH_COMMANDS])
def test_shell_commands_run_as_written(page, page_runs):
    ran = page_runs[page]
    if isinstance(ran, AssertionError):
        raise ran
    checked = set()
    for text, stdout, expected in ran:
        if expected is not None:
            checked.add(text)
            assert SECONDS.sub("<t> s", stdout.strip()) == SECONDS.sub("<t> s", expected.strip()), (
                f"{page.name}: `{text}` printed\n{stdout}"
            )
    unrun = set(shown_outputs(page)) - checked
    assert not unrun, f"{page.name} shows outputs of commands it does not run: {unrun}"


class _Parsed(Exception):
    pass


def _parse_only(script: Path, argv: list[str], monkeypatch) -> None:
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        original(self, args, namespace)
        raise _Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", [str(script), *argv])
    with pytest.raises(_Parsed):
        runpy.run_path(str(script), run_name="__main__")


@pytest.mark.parametrize("page", PAGES, ids=PAGE_IDS)
def test_benchmark_commands_parse(page, monkeypatch, capsys):
    commands = benchmark_commands(page)
    for words in commands:
        script = REPO / words[1]
        assert script.is_file(), f"{page.name}: {words[1]} does not exist"
        try:
            _parse_only(script, words[2:], monkeypatch)
        except SystemExit as stop:  # argparse's error exit
            pytest.fail(f"{page.name}: `{' '.join(words)}`: {capsys.readouterr().err} ({stop})")


def test_not_run_list_is_current():
    shown = [words for page in PAGES for words in commands(page)]
    for start in NOT_RUN:
        assert any(start in " ".join(w) for w in shown), start
