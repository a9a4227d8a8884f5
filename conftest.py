"""Session setup shared by the tests and the doctests.

With pytest-xdist (``setup.cfg`` runs the suite on as many workers as there
are cores) each worker gets one compute thread: the package's networks are
small, so a second thread per worker buys little and two workers spinning two
thread pools each on two cores slow each other down many times over. The
limit is set in the environment before any test imports torch or numpy, so
the subprocesses a test starts (Sphinx, the command line, Dask workers)
inherit it.
"""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"
