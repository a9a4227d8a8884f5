"""Data sets for anomaly detection in particle physics, real and synthetic.

Loaders for the UCI HIGGS and SUSY Monte Carlo data sets (downloaded once,
verified, then cached as NumPy arrays) and for the user's own events in ROOT
files (``load_root``, through uproot), the train/test protocol of the
(1+eps)-class paper, and small synthetic generators.

The download location of each archive is kept in a module-level
:class:`RemoteFile` record (``HIGGS_REMOTE``, ``SUSY_REMOTE``), read at call
time, so a mirror (or a test server) can be substituted by replacing it.
"""

from ._base import RemoteFile, clear_data_home, get_data_home
from ._root import load_root
from ._samples_generator import make_anomaly_moons, make_curved_manifold
from ._split import make_anomaly_split

# The HIGGS_* and SUSY_* names are public but not in __all__: the column names
# of the fetched data, and the records the fetchers read from here at call
# time (replace one to use a mirror).
from ._uci import HIGGS_FEATURE_NAMES as HIGGS_FEATURE_NAMES
from ._uci import HIGGS_REMOTE as HIGGS_REMOTE
from ._uci import SUSY_FEATURE_NAMES as SUSY_FEATURE_NAMES
from ._uci import SUSY_REMOTE as SUSY_REMOTE
from ._uci import fetch_higgs, fetch_susy, load_higgs_sample

__all__ = [
    "RemoteFile",
    "clear_data_home",
    "fetch_higgs",
    "fetch_susy",
    "get_data_home",
    "load_higgs_sample",
    "load_root",
    "make_anomaly_moons",
    "make_anomaly_split",
    "make_curved_manifold",
]
