"""`python -m cosim` is the same as the `cosim` console script."""

import sys

from cosim.cli.main import main

sys.exit(main())
