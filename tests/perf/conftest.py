"""Make the hand-built fixtures (cosim_fakes.py, next to this file) importable by every test module."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
