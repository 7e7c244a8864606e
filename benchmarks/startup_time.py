"""How long the CLI takes to start, beside ``python -c "import optuna"``, same run.

    python benchmarks/startup_time.py [--repeats 5]

Each command runs ``--repeats`` times in a fresh process (after one untimed run that
warms the file cache); prints the median and the range of wall seconds, and whether
torch was imported (it must not be for commands that neither train nor compute
proxies).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time

TORCH_CHECK = """
import sys
from nas_surrogate.cli import main
try:
    main(sys.argv[1:])
finally:
    print("torch" in sys.modules, file=sys.stderr)
"""


def timed(argv: list[str], repeats: int) -> list[float]:
    subprocess.run(argv, capture_output=True, check=False)  # warm the file cache
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False)
        out.append(time.perf_counter() - t)
    return out


def imports_torch(args: list[str]) -> bool:
    r = subprocess.run([sys.executable, "-c", TORCH_CHECK, *args], capture_output=True, text=True)
    return r.stderr.strip().splitlines()[-1] == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exe = os.path.join(os.path.dirname(sys.executable), "nas-surrogate")
    commands = {
        'python -c "import optuna"': ([sys.executable, "-c", "import optuna"], None),
        'python -c "import nas_surrogate"': ([sys.executable, "-c", "import nas_surrogate"], None),
        "nas-surrogate --help": ([exe, "--help"], ["--help"]),
        "nas-surrogate benchmarks": ([exe, "benchmarks"], ["benchmarks"]),
        "nas-surrogate search --help": ([exe, "search", "--help"], ["search", "--help"]),
    }
    print(f"# start-up time, {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {datetime.date.today()}: python "
          f"benchmarks/startup_time.py --repeats {args.repeats}")  # fmt: skip
    print("| command | median s | min-max s | imports torch |")
    print("|---|---|---|---|")
    for label, (argv, cli_args) in commands.items():
        times = timed(argv, args.repeats)
        torch = "-" if cli_args is None else ("yes" if imports_torch(cli_args) else "no")
        print(f"| `{label}` | {statistics.median(times):.2f} | {min(times):.2f}-{max(times):.2f} "
              f"| {torch} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
