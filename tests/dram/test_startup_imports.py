"""A fresh process that simulates a DRAM trace loads no more than it needs (issue 14, item 7): numba's array-math
registry is loaded without its BLAS probe importing scipy.linalg, and scipy.linalg stays importable afterwards."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
import cosim.dram as d
d.simulate_trace("ddr4-3200-x8", [(0, False, 0), (64, True, 2)])
print("scipy.linalg" in sys.modules)
import scipy.linalg
print(scipy.linalg.cython_blas is not None)
"""


def test_simulating_does_not_import_scipy_linalg_yet_it_stays_importable():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.split() == ["False", "True"]
