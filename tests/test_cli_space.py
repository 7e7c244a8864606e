"""``ask --space FILE.yaml`` / ``tell --config JSON``: a user's own space from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from nas_surrogate.cli import main

#: the contract's example space (docs/own_space.md)
SPACE = (Path(__file__).resolve().parents[1] / "examples" / "my_space.yaml").read_text()


def test_ask_prints_json_configs_and_tell_takes_them_back(tmp_path, capsys):
    space = tmp_path / "my_space.yaml"
    space.write_text(SPACE)
    state = tmp_path / "run.json"
    assert main(["ask", "--state", str(state), "--space", str(space), "-k", "3"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    configs = [json.loads(line) for line in lines]
    assert len(configs) == 3 and all(("width_5" in c) == (c["depth"] >= 5) for c in configs)
    args = ["tell", "--state", str(state)]
    for c in configs[:2]:
        args += ["--config", json.dumps(c), "--value", str(c["depth"] / 10)]
    assert main(args) == 0
    assert "2 results" in capsys.readouterr().out
    assert main(["tell", "--state", str(state), "--config", json.dumps(configs[2]), "--fail"]) == 0
    doc = json.loads(state.read_text())
    assert doc["config"]["space"]["dimensions"]["depth"] == {"type": "int", "low": 1, "high": 8}


def test_bad_configs_and_another_space_are_one_line_exit_2(tmp_path, capsys):
    space = tmp_path / "my_space.yaml"
    space.write_text(SPACE)
    state = tmp_path / "run.json"
    assert main(["ask", "--state", str(state), "--space", str(space)]) == 0
    (config,) = [json.loads(x) for x in capsys.readouterr().out.split("\n") if x]
    before = state.read_text()
    cases = [
        (["--config", '{"depth": 3}', "--value", "1"], "width_1"),
        (["--config", "[1, 2]", "--value", "1"], "JSON object"),
        (["--config", json.dumps({**config, "colour": 2}), "--value", "1"], "colour"),
        (["--arch", "(1, 2, 3, 4, 0, 1)", "--value", "1"], "--config"),
    ]
    for extra, needle in cases:
        assert main(["tell", "--state", str(state), *extra]) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    assert state.read_text() == before  # nothing half-written
    other = tmp_path / "other.yaml"
    other.write_text(SPACE.replace("high: 8", "high: 9"))
    assert main(["ask", "--state", str(state), "--space", str(other)]) == 2
    assert "differs from the space stored" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text(SPACE.replace('"depth >= 5"', '"depth >="'))
    assert main(["ask", "--state", str(tmp_path / "new.json"), "--space", str(broken)]) == 2
    assert "width_5.when" in capsys.readouterr().err
    assert not (tmp_path / "new.json").exists()
