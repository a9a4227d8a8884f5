"""``python -m sklearn_physgen``: the package's main job."""

import sys

from ._demo import main

if __name__ == "__main__":
    sys.exit(main())
