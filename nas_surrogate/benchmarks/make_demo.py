"""Regenerate the embedded demo file: ``python -m nas_surrogate.benchmarks.make_demo DATA_DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

from nas_surrogate.benchmarks.demo import DEMO_FILE, write_demo_data

if __name__ == "__main__":
    out = write_demo_data(Path(sys.argv[1]), Path(__file__).parent / "demo_data" / DEMO_FILE)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")
