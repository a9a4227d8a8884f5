"""The (1+eps)-class method around any scikit-learn classifier."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._base import OutlierScoresMixin
from ._one_plus_epsilon import known_anomaly_mask

PSEUDO_SAMPLERS = ("uniform", "marginals")


class OnePlusEpsilonClassifier(MetaEstimatorMixin, OutlierScoresMixin, BaseEstimator):
    """(1+eps)-class anomaly detector around any scikit-learn classifier.

    The brute-force (1+eps) loss is a weighted classification: normal data
    (class 1) against uniform pseudo-anomalies and known anomalies (class 0),
    the three sets weighted ``1 : (1 - eps) : eps`` in total. Any classifier
    whose ``fit`` takes ``sample_weight`` can minimise it. This
    meta-estimator builds that training set, fits a clone of ``estimator``
    on it, and exposes the outlier API of :class:`OnePlusEpsilonDetector`.
    With the default, scikit-learn's ``HistGradientBoostingClassifier``, a fit
    on a few hundred thousand rows takes seconds on a laptop, and it matched
    or beat plain gradient boosting on the same labels at every number of
    known anomalies measured (see the benchmarks page of the docs).

    ``epsilon='auto'`` chooses ``epsilon`` from the labels when at least
    ``min_known_anomalies`` anomalies are known: a stratified
    cross-validation over normal data and known anomalies scores each value
    of ``epsilon_grid`` by the ROC AUC of the held-out fold, pseudo-anomalies
    being drawn anew from each training fold; the best value is refitted on
    everything. With fewer known anomalies it uses ``default_epsilon``, and
    with none the fit is one-class (``epsilon_ = 0``).

    Parameters
    ----------
    estimator : classifier, default=None
        A binary classifier whose ``fit`` accepts ``sample_weight``; cloned
        for every fit. ``None``: ``HistGradientBoostingClassifier()`` seeded
        with ``random_state``. Its scores come from ``decision_function``
        (log-odds of normal) when it has one, else from the logit of
        ``predict_proba``.
    epsilon : float in [0, 1] or 'auto', default='auto'
        Weight of the known anomalies against the pseudo-anomalies, as in
        :class:`OnePlusEpsilonDetector`: 0 is one-class, 1 ordinary two-class
        classification. ``'auto'``: chosen by cross-validation (see above).
    epsilon_grid : array-like of float in [0, 1], default=(0.25, 0.5, 0.75, 0.9, 1.0)
        Values tried by ``epsilon='auto'``.
    default_epsilon : float in [0, 1], default=0.5
        Used by ``epsilon='auto'`` when fewer than ``min_known_anomalies``
        anomalies are known (and at least one is).
    min_known_anomalies : int, default=20
        Smallest number of known anomalies for which ``epsilon='auto'``
        cross-validates; below it each validation fold would hold a handful
        of anomalies and the choice would be noise.
    cv : int or cross-validation generator, default=3
        Folds of the ``epsilon='auto'`` search (stratified on normal / known
        anomaly).
    sampler : {'uniform', 'marginals'}, default='uniform'
        Pseudo-anomalies: ``'uniform'`` on a box around the training data,
        ``margin`` times its range wider on each side (the paper's brute
        force; one-class the classifier learns the normal density);
        ``'marginals'``: each feature drawn independently from the normal
        data, so the classifier learns where the features' *joint* law
        departs from the product of their marginals and ignores anomalies in
        a single feature's tail.
    n_pseudo_anomalies : int or 'auto', default='auto'
        Number of pseudo-anomalies; ``'auto'``: as many as normal samples.
    margin : float, default=0.1
        Widening of the uniform sampling box, in units of the data range.
    anomaly_label : {-1, 1}, default=-1
        How ``y`` marks known anomalies: ``-1`` with ``y`` in {1, -1}
        (scikit-learn's outlier convention), ``1`` with ``y`` in {0, 1}.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` from the scores of the normal training data, as in
        :class:`OnePlusEpsilonDetector`.
    random_state : int, RandomState instance or None, default=None
        Seeds the pseudo-anomalies, the folds and the default estimator.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``; its class 1 is "normal".
    epsilon_ : float
        The ``epsilon`` used in the final fit.
    cv_scores_ : ndarray of shape (len(epsilon_grid), n_folds) or None
        Held-out ROC AUC of each grid value in each fold when
        ``epsilon='auto'`` cross-validated, else None.
    n_known_anomalies_ : int
        Number of known anomalies in the training data.
    box_low_, box_high_ : ndarray of shape (n_features_in_,)
        Corners of the uniform sampling box.
    classes_ : ndarray of shape (2,)
        ``[-1, 1]``: the columns of :meth:`predict_proba`.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during ``fit``, when available.

    See Also
    --------
    OnePlusEpsilonDetector : the (1+eps) method with a neural network and
        energy-based pseudo-anomaly samplers.
    sklearn.ensemble.HistGradientBoostingClassifier : the default classifier.

    Notes
    -----
    With ``n+`` normal samples, ``n0`` pseudo-anomalies and ``n-`` known
    anomalies, the sample weights are ``1 / n+``, ``(1 - eps) / n0`` and
    ``eps / n-`` (times the user's ``sample_weight``, normalised within
    each class), rescaled to a mean of 1; a classifier minimising the
    weighted log-loss then minimises ``L+ + (1 - eps) L0 + eps L-``, the
    brute-force (1+eps) loss of Borisyak et al. With ``eps = 1`` the
    pseudo-anomalies get no weight and the fit is two-class classification
    with balanced class weights.

    References
    ----------
    M. Borisyak, A. Ryzhikov, A. Ustyuzhanin, D. Derkach, F. Ratnikov,
    O. Mineeva, "(1+eps)-class Classification: an Anomaly Detection Method for
    Highly Imbalanced or Incomplete Data Sets", JMLR 21 (2020),
    arXiv:1906.06096.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import OnePlusEpsilonClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2))
    >>> detector = OnePlusEpsilonClassifier(random_state=0).fit(X)
    >>> detector.predict([[0.0, 0.0], [4.0, 4.0]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **OutlierScoresMixin._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "epsilon": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "epsilon_grid": ["array-like"],
        "default_epsilon": [Interval(Real, 0, 1, closed="both")],
        "min_known_anomalies": [Interval(Integral, 2, None, closed="left")],
        "cv": ["cv_object"],
        "sampler": [StrOptions(set(PSEUDO_SAMPLERS))],
        "n_pseudo_anomalies": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "margin": [Interval(Real, 0, None, closed="left")],
        "anomaly_label": [Options(Integral, {-1, 1})],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        epsilon="auto",
        epsilon_grid=(0.25, 0.5, 0.75, 0.9, 1.0),
        default_epsilon=0.5,
        min_known_anomalies=20,
        cv=3,
        sampler="uniform",
        n_pseudo_anomalies="auto",
        margin=0.1,
        anomaly_label=-1,
        contamination="auto",
        random_state=None,
    ):
        self.estimator = estimator
        self.epsilon = epsilon
        self.epsilon_grid = epsilon_grid
        self.default_epsilon = default_epsilon
        self.min_known_anomalies = min_known_anomalies
        self.cv = cv
        self.sampler = sampler
        self.n_pseudo_anomalies = n_pseudo_anomalies
        self.margin = margin
        self.anomaly_label = anomaly_label
        self.contamination = contamination
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the classifier on normal data, pseudo- and known anomalies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: normal samples and, where ``y`` says so, known
            anomalies.
        y : array-like of shape (n_samples,), default=None
            ``None``: every sample is normal (one-class). Otherwise labels in
            the convention set by ``anomaly_label``.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the training samples (e.g. event weights), normalised
            within the normal data and within the known anomalies.

        Returns
        -------
        self : OnePlusEpsilonClassifier
            The fitted detector.
        """
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        is_anomaly = known_anomaly_mask(y, X.shape[0], self.anomaly_label)
        if (~is_anomaly).sum() < 2:
            raise ValueError(
                f"Found {int((~is_anomaly).sum())} normal sample(s); the detector "
                "needs at least 2."
            )
        if self.estimator is not None and not has_fit_parameter(self.estimator, "sample_weight"):
            raise ValueError(
                f"{type(self.estimator).__name__}.fit does not take sample_weight; "
                "the (1+eps) loss needs a classifier that does."
            )
        grid = np.asarray(self.epsilon_grid, dtype=np.float64).ravel()
        if grid.size == 0 or not np.all((grid >= 0) & (grid <= 1)):
            raise ValueError(
                f"epsilon_grid must hold values in [0, 1], got {self.epsilon_grid!r}."
            )
        rng = check_random_state(self.random_state)
        self.classes_ = np.array([-1, 1])
        self.n_known_anomalies_ = int(is_anomaly.sum())
        self.box_low_, self.box_high_ = self._box(X)

        self.cv_scores_ = None
        if self.n_known_anomalies_ == 0:
            self.epsilon_ = 0.0
        elif self.epsilon != "auto":
            self.epsilon_ = float(self.epsilon)
        elif self.n_known_anomalies_ < self.min_known_anomalies:
            self.epsilon_ = float(self.default_epsilon)
        else:
            self.cv_scores_ = self._cross_validate(X, is_anomaly, sample_weight, grid, rng)
            self.epsilon_ = float(grid[np.argmax(self.cv_scores_.mean(axis=1))])

        self.estimator_ = self._fit_one(X, is_anomaly, sample_weight, self.epsilon_, rng,
                                        (self.box_low_, self.box_high_))
        self._set_offset(self._score_samples(X[~is_anomaly]))
        return self

    def _cross_validate(self, X, is_anomaly, sample_weight, grid, rng):
        """Held-out ROC AUC (normal vs known anomalies) per grid value and fold."""
        cv = check_cv(self.cv, is_anomaly, classifier=True)
        if isinstance(cv, StratifiedKFold):
            cv = StratifiedKFold(cv.n_splits, shuffle=True,
                                 random_state=rng.randint(2**31 - 1))
        folds = list(cv.split(X, is_anomaly))
        scores = np.empty((len(grid), len(folds)))
        for j, (train, test) in enumerate(folds):
            seed = rng.randint(2**31 - 1)
            for i, epsilon in enumerate(grid):
                model = self._fit_one(X[train], is_anomaly[train], sample_weight[train],
                                      epsilon, np.random.RandomState(seed),
                                      self._box(X[train]))
                scores[i, j] = roc_auc_score(
                    ~is_anomaly[test], _normal_logit(model, X[test]),
                    sample_weight=sample_weight[test],
                )
        return scores

    def _box(self, X):
        """The uniform sampler's box: the data range, ``margin`` wider."""
        low, high = X.min(axis=0), X.max(axis=0)
        width = np.where(high > low, high - low, 1.0)
        return low - self.margin * width, high + self.margin * width

    def _fit_one(self, X, is_anomaly, sample_weight, epsilon, rng, box):
        """Fit a clone of the estimator on one (1+eps) training set."""
        X_normal, w_normal = X[~is_anomaly], sample_weight[~is_anomaly]
        parts = [(X_normal, w_normal / w_normal.sum(), 1)]
        if not is_anomaly.any():
            epsilon = 0.0
        if epsilon < 1:
            pseudo = self._pseudo_anomalies(X_normal, rng, box)
            parts.append((pseudo, np.full(len(pseudo), (1 - epsilon) / len(pseudo)), 0))
        if epsilon > 0:
            w_known = sample_weight[is_anomaly]
            parts.append((X[is_anomaly], epsilon * w_known / w_known.sum(), 0))
        X_fit = np.vstack([part[0] for part in parts])
        weight = np.concatenate([part[1] for part in parts])
        target = np.concatenate([np.full(len(part[0]), part[2]) for part in parts])
        weight *= len(weight) / weight.sum()
        if self.estimator is None:
            estimator = HistGradientBoostingClassifier(random_state=rng.randint(2**31 - 1))
        else:
            estimator = clone(self.estimator)
            if "random_state" in estimator.get_params(deep=False):
                estimator.set_params(random_state=rng.randint(2**31 - 1))
        return estimator.fit(X_fit, target, sample_weight=weight)

    def _pseudo_anomalies(self, X_normal, rng, box):
        n = (len(X_normal) if self.n_pseudo_anomalies == "auto"
             else int(self.n_pseudo_anomalies))
        if self.sampler == "uniform":
            return rng.uniform(box[0], box[1], size=(n, X_normal.shape[1]))
        rows = rng.randint(len(X_normal), size=(n, X_normal.shape[1]))
        return np.take_along_axis(X_normal, rows, axis=0)

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _score_samples(self, X):
        return _normal_logit(self.estimator_, X)

    def score_samples(self, X):
        """Log-odds of being normal: higher means more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The classifier's log-odds of class "normal" (its
            ``decision_function``, or the logit of ``predict_proba``).
        """
        return super().score_samples(X)

    def predict_proba(self, X):
        """Classifier output for the classes ``[-1, 1]`` (anomaly, normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            The fitted classifier's probabilities, columns ordered as
            ``classes_``. They are probabilities under the (1+eps) weighting
            (normal data and anomalies of equal total weight), not calibrated
            to the true anomaly rate.
        """
        X = self._validate_predict_data(X)
        normal = self.estimator_.predict_proba(X)[:, 1]
        return np.column_stack([1.0 - normal, normal])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _normal_logit(model, X):
    """Log-odds of class 1 (normal) of a fitted binary classifier."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64).ravel()
    proba = np.clip(model.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
    return np.log(proba) - np.log1p(-proba)
