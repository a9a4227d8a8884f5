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

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Run the tests marked ``slow`` (tens of seconds to minutes each) first.

    pytest-xdist's work stealing balances the workers with the tests still
    waiting; a minute-long test that starts last leaves the other worker
    idle for that minute. Started first, the long tests overlap the many
    short ones. (A stable sort: the order is otherwise unchanged, and every
    worker collects the same one.)
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
