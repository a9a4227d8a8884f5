"""``python -m sklearn_physgen``: the package's main job.

Compares the (1+eps)-class detectors with one-class baselines; see
:mod:`sklearn_physgen._cli` and ``python -m sklearn_physgen --help``.
"""

import sys

from ._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
