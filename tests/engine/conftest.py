"""Make the shared hand-built fixtures (tests/perf/cosim_fakes.py) importable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "perf"))
