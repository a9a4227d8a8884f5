"""The train/test protocol of the (1+eps)-class paper."""

import numbers

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils.validation import check_consistent_length, column_or_1d


def make_anomaly_split(
    X, y, *, n_known_anomalies=0, anomaly_label=1, test_size=0.3, random_state=None
):
    """Split labelled data into a (1+eps)-class training set and a test set.

    The protocol of the (1+eps)-class paper (Borisyak et al., 2019,
    arXiv:1906.06096): a train/test split stratified on ``y``; the training
    set keeps every normal training row (``y != anomaly_label``) and only
    ``n_known_anomalies`` anomalies drawn at random from the training
    anomalies; the test set is the whole test part, with all its anomalies.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        The data, e.g. from :func:`fetch_higgs` (also a memory map or a
        DataFrame) or an ``.npz`` file. Rows are taken with scikit-learn's
        indexing, so the type is kept.
    y : array-like of shape (n_samples,)
        Labels; rows equal to ``anomaly_label`` are the anomalies.
    n_known_anomalies : int, default=0
        Number of anomalies kept in the training set; 0 gives a pure
        one-class training set.
    anomaly_label : int or str, default=1
        The label of the anomalous class (1 = signal for HIGGS and SUSY).
    test_size : float or int, default=0.3
        Fraction (or number) of rows in the test set, as in
        :func:`~sklearn.model_selection.train_test_split`.
    random_state : int, RandomState instance or None, default=None
        Controls the split and the choice of known anomalies.

    Returns
    -------
    split : :class:`~sklearn.utils.Bunch`
        With ``X_train``, ``y_train``, ``X_test``, ``y_test``, and the row
        indices ``train_indices`` and ``test_indices`` into ``X``. The labels
        follow scikit-learn's outlier convention: +1 normal, -1 anomaly.

    Raises
    ------
    ValueError
        If ``X`` and ``y`` differ in length, ``y`` is not 1-D, no row has
        ``anomaly_label`` or every row has it, ``n_known_anomalies`` is not a
        non-negative integer or exceeds the anomalies of the training part,
        or a class is too small to stratify.

    Notes
    -----
    Because ``y_test`` is +1 for normal rows, the normality ROC AUC of a
    detector is ``roc_auc_score(split.y_test, detector.score_samples(X_test))``
    with no sign flip, and ``OnePlusEpsilonDetector().fit(split.X_train,
    split.y_train)`` takes the labels as they are. The training rows are
    shuffled, so the known anomalies are not all at the end.

    Examples
    --------
    >>> from sklearn_physgen.datasets import make_anomaly_moons, make_anomaly_split
    >>> X, y = make_anomaly_moons(300, n_anomalies=30, random_state=0)
    >>> split = make_anomaly_split(X, y, n_known_anomalies=5, random_state=0)
    >>> split.X_train.shape, int((split.y_train == -1).sum())
    ((215, 2), 5)
    >>> split.X_test.shape, int((split.y_test == -1).sum())
    ((99, 2), 9)
    """
    check_consistent_length(X, y)
    y = column_or_1d(y, warn=True)
    if (
        not isinstance(n_known_anomalies, numbers.Integral)
        or isinstance(n_known_anomalies, bool)
        or n_known_anomalies < 0
    ):
        raise ValueError(
            "n_known_anomalies must be a non-negative integer, got "
            f"{n_known_anomalies!r}."
        )
    is_anomaly = y == anomaly_label
    if not is_anomaly.any():
        present = np.unique(y)
        raise ValueError(
            f"No row of y has anomaly_label={anomaly_label!r}; the labels present "
            f"are {present[:10].tolist()}."
        )
    if is_anomaly.all():
        raise ValueError(
            f"Every row of y has anomaly_label={anomaly_label!r}: there is no "
            "normal data to train on."
        )
    rng = check_random_state(random_state)
    train_indices, test_indices = train_test_split(
        np.arange(len(y)), test_size=test_size, stratify=y, random_state=rng
    )
    train_anomalies = train_indices[is_anomaly[train_indices]]
    if n_known_anomalies > len(train_anomalies):
        raise ValueError(
            f"n_known_anomalies={n_known_anomalies} but the training part holds "
            f"only {len(train_anomalies)} anomalies (of {int(is_anomaly.sum())} "
            f"in all, test_size={test_size!r})."
        )
    known = rng.choice(train_anomalies, size=n_known_anomalies, replace=False)
    train_indices = rng.permutation(
        np.concatenate([train_indices[~is_anomaly[train_indices]], known])
    )

    def outlier_labels(indices):
        return np.where(is_anomaly[indices], -1, 1)

    return Bunch(
        X_train=_safe_indexing(X, train_indices),
        y_train=outlier_labels(train_indices),
        X_test=_safe_indexing(X, test_indices),
        y_test=outlier_labels(test_indices),
        train_indices=train_indices,
        test_indices=test_indices,
    )
