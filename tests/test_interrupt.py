"""Ctrl-C during a run: exit 130 with one line, finished units kept, rerun resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time


def _signal_mid_run(tmp_path, data_dir, sig, *extra):
    """Start a long bo search, send ``sig`` once its first unit is stored; (process,
    stderr text, journal)."""
    out = tmp_path / "s"
    argv = [sys.executable, "-m", "nas_surrogate.cli", "search", "-b", "nasbench201/cifar10",
            "--searcher", "bo", "-f", "onehot", "--budget", "150", "--seeds", "40", *extra,
            "--data-dir", str(data_dir), "--out", str(out)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    journal = out / "results.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (journal.exists() and journal.stat().st_size):
        time.sleep(0.2)
    proc.send_signal(sig)  # lands mid-unit, often inside XGBoost
    _, err = proc.communicate(timeout=120)
    return proc, err.decode(), journal


def test_ctrl_c_exits_130_and_keeps_finished_units(tmp_path, data_dir):
    proc, err, journal = _signal_mid_run(tmp_path, data_dir, signal.SIGINT)
    assert proc.returncode == 130, err[-500:]
    assert err.strip().splitlines()[-1].startswith("error: interrupted")
    kept = [json.loads(line) for line in journal.read_text().splitlines()]
    assert 1 <= len(kept) < 40


def test_sigterm_on_two_workers_exits_143_with_one_line_and_no_workers_left(tmp_path, data_dir):
    """SIGTERM (a scheduler's, kill's) left two worker processes for minutes and printed
    nothing useful; now it stops like Ctrl-C: finished units kept, workers shut down."""
    proc, err, journal = _signal_mid_run(tmp_path, data_dir, signal.SIGTERM, "-j", "2")
    lines = [x for x in err.splitlines() if x.strip() and not x.startswith("search:")]
    assert proc.returncode == 143, err[-500:]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted"), lines
    kept = [json.loads(line) for line in journal.read_text().splitlines()]
    assert 1 <= len(kept) < 40
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    assert children.stdout.strip() == ""  # no worker outlives the run


def test_ctrl_c_stops_proxies_compute_on_two_workers_after_the_chunk_in_progress(tmp_path):
    """The first Ctrl-C on `proxies compute --archs all -j 2` was ignored for minutes (the
    loop never looked at it); now it stops after the chunk in progress, keeps the rows
    computed (a rerun skips them: test_proxies_torch) and leaves no worker."""
    out = tmp_path / "t.csv"
    argv = [sys.executable, "-m", "nas_surrogate.cli", "proxies", "compute", "--archs", "all",
            "--proxies", "params,flops", "-j", "2", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (out.exists() and out.stat().st_size):
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)  # all 15,625 cells take minutes
    assert proc.returncode == 130, err.decode()[-500:]
    rows = out.read_text().splitlines()[1:]
    assert 1 <= len(rows) < 15_625
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
    assert children.stdout.strip() == ""
