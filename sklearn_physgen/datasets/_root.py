"""Reading events from ROOT files (TTrees) through uproot."""

from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ._base import _as_frame

#: Entries read per chunk: bounds the memory of a cut or a row limit.
STEP_SIZE = 500_000


def _import_uproot():
    try:
        import uproot
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "load_root needs uproot (scikit-hep), which reads ROOT files "
            "without a ROOT installation: pip install 'sklearn_physgen[root]' "
            "or pip install uproot awkward."
        ) from error
    return uproot


TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD", "ROOT::RNTuple")


def _find_tree(file, tree, path):
    trees = sorted({key.split(";")[0] for key, cls in file.classnames().items()
                    if cls in TREE_CLASSES})
    if tree is None:
        if len(trees) != 1:
            raise ValueError(
                f"{path} holds {len(trees)} trees ({', '.join(trees) or 'none'}); "
                "name the one to read with tree=."
            )
        tree = trees[0]
    try:
        obj = file[tree]
    except (KeyError, ValueError):
        raise ValueError(
            f"{path} has no tree {tree!r}; it holds: {', '.join(trees) or 'no tree'}."
        ) from None
    if not hasattr(obj, "iterate"):
        raise ValueError(f"{tree!r} in {path} is a {obj.classname}, not a TTree or RNTuple.")
    return obj


def _check_branches(tree, names, path, role):
    available = list(tree.keys())
    for name in names:
        if name not in available:
            raise ValueError(
                f"Tree {tree.name!r} in {path} has no branch {name!r} ({role}); "
                f"its branches: {', '.join(available)}."
            )


def _check_numeric(values, name, tree, path):
    if values.dtype.kind in "biuf":
        return
    typename = tree.typenames().get(name, str(values.dtype))
    jagged = any(word in typename for word in ("vector", "RVec", "[]")) or values.dtype == object
    what = ("is jagged: a variable number of values per event"
            if jagged else "is not numeric")
    raise ValueError(
        f"Branch {name!r} ({typename}) of tree {tree.name!r} in {path} {what}. Reduce "
        "it to fixed columns first (e.g. the leading jet's pT, or the number of "
        "jets) with uproot and awkward, then pass those columns."
    )


def _as_columns(array, name):
    """A branch's values as 2-D columns: ``b`` or ``b[0]``, ``b[1]``, ..."""
    array = np.asarray(array)
    if array.ndim == 1:
        return array[:, None], [name]
    flat = array.reshape(len(array), -1)
    names = [f"{name}[{', '.join(map(str, index))}]"
             for index in np.ndindex(*array.shape[1:])]
    return flat, names


def load_root(
    path,
    tree=None,
    branches=None,
    *,
    target=None,
    weight=None,
    cut=None,
    n_samples=None,
    dtype=np.float32,
    return_X_y=False,
    as_frame=False,
):
    """Read the events of a ROOT TTree or RNTuple into arrays, like the fetchers.

    Branches (fields) of one tree become feature columns, read with `uproot
    <https://uproot.readthedocs.io>`_ (scikit-hep), which needs no ROOT
    installation: ``pip install 'sklearn_physgen[root]'``.

    Parameters
    ----------
    path : str or path-like
        The ROOT file.
    tree : str, default=None
        Name of the TTree or RNTuple (a path such as ``"events"`` or
        ``"dir/events"``). ``None`` reads the file's only tree, and raises if
        it has several.
    branches : list of str, default=None
        The feature branches, in the column order wanted. ``None`` takes
        every branch of the tree except ``target`` and ``weight``. A
        fixed-size array branch (``float x[3]``) gives one column per element,
        named ``x[0]`` ... ; a jagged branch (a variable number of values per
        event) raises a ``ValueError``.
    target : str, default=None
        Branch of the labels (e.g. 1 for signal, 0 for background), returned
        as ``target``.
    weight : str, default=None
        Branch of the event weights (Monte Carlo weights), returned as
        ``sample_weight``.
    cut : str, default=None
        Selection in uproot's expression syntax (Python operators on branch
        names, e.g. ``"(lepton_pT > 0.5) & (missing_energy < 3)"``); only the
        events that pass are returned. TTrees only: uproot does not apply
        cuts to RNTuples, so a cut on one raises a ``ValueError``.
    n_samples : int, default=None
        At most this many events that pass ``cut``, the first ones of the
        tree. ``None`` returns all of them.
    dtype : numpy dtype, default=np.float32
        Type of ``data`` (and ``sample_weight``).
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series named
        ``"target"`` and ``frame`` a DataFrame with both (needs pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        data : ndarray of shape (n_samples, n_features), or DataFrame
            The features.
        target : ndarray of shape (n_samples,), Series, or None
            The labels, when ``target`` names a branch.
        sample_weight : ndarray of shape (n_samples,) or None
            The event weights, when ``weight`` names a branch.
        feature_names : list of str
            The column names.
        frame : DataFrame or None
            Features and ``target`` together when ``as_frame=True``.
        DESCR : str
            Which file, tree, branches and cut the events came from.

    (data, target) : tuple if ``return_X_y`` is True
        The features and labels described above, without the Bunch.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the tree or a branch does not exist, if a branch is jagged or not
        numeric, or if ``cut`` cannot be evaluated.

    See Also
    --------
    fetch_higgs : The UCI HIGGS data set, in the same Bunch.

    Examples
    --------
    >>> import numpy as np, os, tempfile, uproot
    >>> from sklearn_physgen.datasets import load_root
    >>> path = os.path.join(tempfile.mkdtemp(), "events.root")
    >>> rng = np.random.default_rng(0)
    >>> with uproot.recreate(path) as f:
    ...     _ = f.mktree("events", {"pt": "f8", "eta": "f8", "is_signal": "i1"})
    ...     f["events"].extend({"pt": rng.exponential(30.0, 1000),
    ...                         "eta": rng.normal(0.0, 1.5, 1000),
    ...                         "is_signal": rng.integers(0, 2, 1000).astype(np.int8)})
    >>> events = load_root(path, "events", ["pt", "eta"], target="is_signal",
    ...                    cut="pt > 20")
    >>> events.data.shape[1], events.feature_names
    (2, ['pt', 'eta'])
    >>> bool((events.data[:, 0] > 20).all())
    True
    >>> import shutil; shutil.rmtree(os.path.dirname(path))
    """
    uproot = _import_uproot()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such ROOT file: {path}")
    if n_samples is not None and (isinstance(n_samples, bool)
                                  or not isinstance(n_samples, (int, np.integer))
                                  or n_samples < 1):
        raise ValueError(f"n_samples must be a positive integer or None, got {n_samples!r}.")
    with uproot.open(path) as file:
        ttree = _find_tree(file, tree, path)
        extra = [name for name in (target, weight) if name is not None]
        if branches is None:
            every_branch = list(ttree.keys())  # uproot trees iterate over objects
            branches = [name for name in every_branch if name not in extra]
        elif isinstance(branches, str):
            raise TypeError(f"branches must be a list of names, got the string {branches!r}.")
        branches = list(branches)
        if not branches:
            raise ValueError("No feature branch to read: branches is empty.")
        _check_branches(ttree, branches, path, "a feature")
        for name, role in ((target, "target"), (weight, "weight")):
            if name is not None:
                _check_branches(ttree, [name], path, role)
        if cut is not None and ttree.classname == "ROOT::RNTuple":
            # uproot reads RNTuples without applying a cut (it ignores it)
            raise ValueError(
                f"cut= is supported for TTrees only; {ttree.name!r} in {path} is an "
                "RNTuple. Load it without a cut and select the rows afterwards, "
                "e.g. X[X[:, 0] > 20]."
            )
        wanted = list(dict.fromkeys(branches + extra))
        chunks, n_read = [], 0
        try:
            for chunk in ttree.iterate(wanted, cut=cut, library="np", step_size=STEP_SIZE):
                if not chunks:
                    for name in wanted:
                        _check_numeric(chunk[name], name, ttree, path)
                chunks.append(chunk)
                n_read += len(chunk[wanted[0]])
                if n_samples is not None and n_read >= n_samples:
                    break
        except (NameError, SyntaxError, KeyError, TypeError) as error:
            raise ValueError(
                f"Cannot apply cut={cut!r} to TTree {ttree.name!r}: {error}"
            ) from error
        tree_name = ttree.name

    def column(name):
        values = [chunk[name] for chunk in chunks]
        joined = np.concatenate(values) if values else np.empty(0)
        return joined if n_samples is None else joined[:n_samples]

    columns, feature_names = [], []
    for name in branches:
        values, names = _as_columns(column(name), name)
        columns.append(values.astype(dtype, copy=False))
        feature_names.extend(names)
    data = (np.concatenate(columns, axis=1) if columns
            else np.empty((0, 0), dtype=dtype))
    labels = None if target is None else column(target)
    weights = None if weight is None else column(weight).astype(dtype, copy=False)
    descr = (f"{len(data):,} events of TTree {tree_name!r} in {path}: branches "
             f"{', '.join(branches)}"
             + (f"; target {target!r}" if target else "")
             + (f"; weights {weight!r}" if weight else "")
             + (f"; cut {cut!r}" if cut else "")
             + (f"; at most {n_samples:,} events" if n_samples else "") + ".")
    frame = None
    if as_frame:
        data, labels, frame = _as_frame(data, labels, feature_names)
    if return_X_y:
        return data, labels
    return Bunch(data=data, target=labels, sample_weight=weights,
                 feature_names=feature_names, frame=frame, DESCR=descr)
