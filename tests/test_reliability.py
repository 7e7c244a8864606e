"""Nothing lost: concurrent writers of one state file, and the other data-loss cases
found by trying the product as an unlucky user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nas_surrogate.cli import main


def test_concurrent_tells_on_one_state_keep_every_result(tmp_path, capsys):
    state = tmp_path / "run.json"
    assert main(["ask", "--state", str(state), "--searcher", "random", "-k", "4",
                 "--format", "json"]) == 0  # fmt: skip
    archs = json.loads(capsys.readouterr().out)["archs"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nas_surrogate.cli",
                "tell",
                "--state",
                str(state),
                "--arch",
                arch,
                "--value",
                str(80.0 + i),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i, arch in enumerate(archs)
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert main(["tell", "--state", str(state), "--arch", archs[0], "--value", "1",
                 "--format", "json"]) == 2  # fmt: skip
    assert "already told" in capsys.readouterr().err
    doc = json.loads(state.read_text())
    told = [e for e in doc["events"] if e[0] == "tell"]
    assert len(told) == 4  # none lost
