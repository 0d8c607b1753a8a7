"""Make the fake iteration timers (fakes.py, next to this file) importable by the serving tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
