"""The (1+eps)-class method around any scikit-learn classifier."""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.linalg import solve_triangular
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, Options, StrOptions
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._base import OutlierScoresMixin, check_fit_sample_weight
from ._one_plus_epsilon import (
    OUTSIDE_BOX_SLOPE,
    FitHealthWarning,
    check_normal_samples,
    distance_to_box,
    known_anomaly_mask,
    sampling_box,
)
from .metrics import _versus_chance, chance_roc_auc_std

PSEUDO_SAMPLERS = ("auto", "gaussian", "uniform")


class OnePlusEpsilonClassifier(MetaEstimatorMixin, OutlierScoresMixin, BaseEstimator):
    """(1+eps)-class anomaly detector around any scikit-learn classifier.

    The brute-force (1+eps) loss is a weighted classification: normal data
    (class 1) against pseudo-anomalies drawn from a known reference density
    ``q`` and known anomalies (class 0), the three sets weighted
    ``1 : (1 - eps) : eps`` in total. Any classifier whose ``fit`` takes
    ``sample_weight`` can minimise it. This meta-estimator builds that
    training set, fits a clone of ``estimator`` on it, and exposes the outlier
    API of :class:`OnePlusEpsilonDetector`.

    The normality score is the classifier's log-odds of "normal" plus
    ``log q(x)``. Without known anomalies the log-odds estimate
    ``log p(x) - log q(x)``, so the score estimates the log-density ``log
    p(x)`` of the normal data (density estimation by classification, as in
    noise-contrastive estimation). The paper's reference is uniform on a box
    (``sampler='uniform'``), where ``log q`` is a constant. A Gaussian with
    the normal data's mean and covariance (``sampler='gaussian'``) sits where
    the data are, so the classifier spends its capacity on how the data
    differ from a Gaussian instead of on telling them from far-away box
    corners (the measurements are on the benchmarks page of the docs). The
    default classifier is scikit-learn's ``HistGradientBoostingClassifier``.

    The defaults choose from the labels. Without known anomalies the fit is
    one-class with the Gaussian reference (``epsilon_ = 0``). With at least
    ``min_known_anomalies`` of them, a stratified cross-validation over the
    normal data and the known anomalies scores every pair (``sampler``,
    ``epsilon``) left free (``'auto'``), each ``epsilon`` of
    ``epsilon_grid`` with each reference, by the ROC AUC of the held-out
    fold, pseudo-anomalies being drawn anew from each training fold; the
    best pair is refitted on everything. ``epsilon = 1`` is in the grid, so
    the search can fall back to plain classification where the labels say
    the pseudo-anomalies do not help. With fewer known anomalies it uses the
    box and ``default_epsilon``, which measured safer than the Gaussian next
    to a handful of labels (see the benchmarks page of the docs).

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
        classification. ``'auto'``: chosen from the labels (see above).
    epsilon_grid : array-like of float in [0, 1], default=(0.25, 0.5, 0.75, 0.9, 1.0)
        Values tried by ``epsilon='auto'``; 1 lets the search fall back to
        plain classification.
    default_epsilon : float in [0, 1], default=0.5
        Used by ``epsilon='auto'`` when fewer than ``min_known_anomalies``
        anomalies are known (and at least one is).
    min_known_anomalies : int, default=20
        Smallest number of known anomalies for which the ``'auto'`` settings
        are cross-validated; below it each validation fold would hold a
        handful of anomalies and the choice would be noise.
    cv : int or cross-validation generator, default=3
        Folds of the search (stratified on normal / known anomaly).
    sampler : {'auto', 'gaussian', 'uniform'}, default='auto'
        Reference density ``q`` of the pseudo-anomalies: ``'gaussian'``, a
        Gaussian with the (weighted) mean and covariance of the normal
        training data (each variance raised by 0.1 %, so constant features
        do not make it singular); ``'uniform'``, uniform on a box around the
        training data, ``margin`` times its range wider on each side (the
        paper's brute force); ``'auto'``: chosen from the labels (see above).
    n_pseudo_anomalies : int or 'auto', default='auto'
        Number of pseudo-anomalies; ``'auto'``: as many as normal samples.
    margin : float, default=0.1
        Widening of the uniform sampling box, in units of the data range
        (``sampler='uniform'`` only). Outside the box, where the classifier
        never saw a pseudo-anomaly, the reference log-density falls by 100
        per box width of distance, as in :class:`OnePlusEpsilonDetector`.
    anomaly_label : {-1, 1}, default=-1
        How ``y`` marks known anomalies: ``-1`` with ``y`` in {1, -1}
        (scikit-learn's outlier convention), ``1`` with ``y`` in {0, 1}.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` from the scores of the normal training data, as in
        :class:`OnePlusEpsilonDetector`.
    n_jobs : int, default=None
        Number of jobs that fit the search's candidates and folds in
        parallel (joblib); ``None`` means 1 unless in a
        :func:`joblib.parallel_backend` context, -1 all processors. The
        result does not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the pseudo-anomalies, the folds and the default estimator.

    Attributes
    ----------
    estimator_ : classifier
        The fitted clone of ``estimator``; its class 1 is "normal".
    reference_ : object or None
        The fitted reference density (``logpdf(X)``, ``sample(n, rng)``), or
        None when ``epsilon_ == 1`` (no pseudo-anomalies).
    sampler_ : {'gaussian', 'uniform'}
        The reference used in the final fit.
    epsilon_ : float
        The ``epsilon`` used in the final fit.
    cv_candidates_ : list of (str, float) or None
        The (sampler, epsilon) pairs considered; None for a one-class fit.
    cv_scores_ : ndarray of shape (len(`cv_candidates_`), n_folds) or None
        Held-out ROC AUC of each candidate in each fold when there was a
        choice to make, else None.
    n_known_anomalies_ : int
        Number of known anomalies in the training data.
    classes_ : ndarray of shape (2,)
        ``[-1, 1]``: the columns of :meth:`predict_proba`.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
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
    brute-force (1+eps) loss of Borisyak et al. Its optimum has log-odds
    ``log p+(x) - log((1 - eps) q(x) + eps p-(x))``, so the score

    ``s(x) = log p+(x) - log((1 - eps) + eps p-(x) / q(x))``

    is the normal density where no anomaly was ever seen, lowered where the
    known anomalies are denser than the reference. With ``eps = 1`` the
    pseudo-anomalies get no weight, the fit is two-class classification with
    balanced class weights and the score its log-odds ``log p+ / p-``.

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
        "n_jobs": [Integral, None],
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
        sampler="auto",
        n_pseudo_anomalies="auto",
        margin=0.1,
        anomaly_label=-1,
        contamination="auto",
        n_jobs=None,
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
        self.n_jobs = n_jobs
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
        sample_weight = check_fit_sample_weight(sample_weight, X)
        if sample_weight is None:
            sample_weight = np.ones(X.shape[0])
        is_anomaly = known_anomaly_mask(y, X.shape[0], self.anomaly_label)
        check_normal_samples(is_anomaly)
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

        k = self.n_known_anomalies_
        searched = k >= self.min_known_anomalies
        samplers = [self.sampler]
        if self.sampler == "auto":
            # measured: the Gaussian reference is the better one-class density
            # estimator, the box the safer one next to a few labels
            samplers = ["gaussian"] if k == 0 else (
                ["gaussian", "uniform"] if searched else ["uniform"])
        epsilons = [float(self.epsilon)] if self.epsilon != "auto" else (
            list(grid) if searched else [float(self.default_epsilon)])
        if k == 0:
            epsilons = [0.0]
        # with eps = 1 no pseudo-anomaly is drawn: one candidate, whatever the sampler
        self.cv_candidates_ = list(dict.fromkeys(
            (samplers[0] if epsilon == 1 else sampler, epsilon)
            for sampler in samplers for epsilon in epsilons))
        self.cv_scores_ = None
        if len(self.cv_candidates_) > 1:
            self.cv_scores_ = self._cross_validate(X, is_anomaly, sample_weight, rng)
            best = int(np.argmax(self.cv_scores_.mean(axis=1)))
            self._check_cross_validated_auc(
                self.cv_scores_[best].mean(), is_anomaly, sample_weight)
        else:
            best = 0
        self.sampler_, self.epsilon_ = self.cv_candidates_[best]
        if k == 0:
            self.cv_candidates_ = None
        self.estimator_, self.reference_ = self._fit_one(
            X, is_anomaly, sample_weight, self.sampler_, self.epsilon_, rng
        )
        self._set_offset(self._score_samples(X[~is_anomaly]), sample_weight[~is_anomaly])
        return self

    def _check_cross_validated_auc(self, auc, is_anomaly, sample_weight):
        """Warn when the chosen candidate ranks held-out known anomalies as
        normal, beyond chance.

        Every known anomaly is held out once, so the folds' mean ROC AUC
        spreads like one on all of them (:func:`chance_roc_auc_std`); being
        the best of the candidates, it errs high, so the warning errs quiet.
        """
        std = chance_roc_auc_std(is_anomaly, anomaly_label=True, sample_weight=sample_weight)
        if _versus_chance(auc, std) == "inverted":
            warnings.warn(
                f"In cross-validation the known anomalies score above the normal "
                f"data (held-out ROC AUC {auc:.2f}, more than 2 x {std:.2f} below "
                "the 0.5 of chance): the detector ranks anomalies like them as "
                "normal. Allow a larger epsilon, up to 1 (plain classification).",
                FitHealthWarning, stacklevel=3,
            )

    def _cross_validate(self, X, is_anomaly, sample_weight, rng):
        """Held-out ROC AUC (normal vs known anomalies) per candidate and fold."""
        cv = check_cv(self.cv, is_anomaly, classifier=True)
        if isinstance(cv, StratifiedKFold):
            cv = StratifiedKFold(cv.n_splits, shuffle=True,
                                 random_state=rng.randint(2**31 - 1))
        folds = list(cv.split(X, is_anomaly))
        # one seed per fold, drawn in order: the scores do not depend on n_jobs
        seeds = [rng.randint(2**31 - 1) for _ in folds]
        scores = Parallel(n_jobs=self.n_jobs)(
            delayed(self._held_out_auc)(
                X, is_anomaly, sample_weight, train, test, sampler, epsilon, seed)
            for sampler, epsilon in self.cv_candidates_
            for (train, test), seed in zip(folds, seeds)
        )
        return np.reshape(scores, (len(self.cv_candidates_), len(folds)))

    def _held_out_auc(self, X, is_anomaly, sample_weight, train, test, sampler,
                      epsilon, seed):
        """ROC AUC on the ``test`` rows of one candidate fitted on ``train``."""
        model, reference = self._fit_one(
            X[train], is_anomaly[train], sample_weight[train], sampler, epsilon,
            np.random.RandomState(seed),
        )
        return roc_auc_score(~is_anomaly[test], _score(model, reference, X[test]),
                             sample_weight=sample_weight[test])

    def _fit_one(self, X, is_anomaly, sample_weight, sampler, epsilon, rng):
        """Fit a clone of the estimator on one (1+eps) training set.

        Returns the fitted classifier and the reference density (None when
        no pseudo-anomaly was drawn).
        """
        X_normal, w_normal = X[~is_anomaly], sample_weight[~is_anomaly]
        parts = [(X_normal, w_normal / w_normal.sum(), 1)]
        if not is_anomaly.any():
            epsilon = 0.0
        reference = None
        if epsilon < 1:
            if sampler == "gaussian":
                reference = _GaussianReference(X_normal, w_normal)
            else:
                reference = _UniformReference(X, self.margin)
            n = (len(X_normal) if self.n_pseudo_anomalies == "auto"
                 else int(self.n_pseudo_anomalies))
            pseudo = reference.sample(n, rng)
            parts.append((pseudo, np.full(n, (1 - epsilon) / n), 0))
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
        return estimator.fit(X_fit, target, sample_weight=weight), reference

    def _validate_predict_data(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def _score_samples(self, X):
        return _score(self.estimator_, self.reference_, X)

    def predict_proba(self, X):
        """Classifier output for the classes ``[-1, 1]`` (anomaly, normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            ``[1 - p, p]`` with ``p = sigmoid(decision_function(X))``: above
            0.5 exactly where :meth:`predict` says normal, and ranked like
            :meth:`score_samples`. A monotone map of the score, not a
            calibrated probability.
        """
        normal = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - normal, normal])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


def _score(model, reference, X):
    """The normality score: the log-odds plus the reference log-density."""
    score = _normal_logit(model, X)
    return score if reference is None else score + reference.logpdf(X)


class _GaussianReference:
    """Gaussian with the weighted mean and covariance of the normal data."""

    def __init__(self, X, weight):
        self.mean = np.average(X, axis=0, weights=weight)
        covariance = np.atleast_2d(np.cov(X, rowvar=False, aweights=weight))
        variance = np.diag(covariance).copy()
        floor = variance.mean() if variance.mean() > 0 else 1.0
        covariance[np.diag_indices_from(covariance)] += 1e-3 * np.where(
            variance > 0, variance, floor
        )
        self.cholesky = np.linalg.cholesky(covariance)
        self.log_norm = (np.log(np.diag(self.cholesky)).sum()
                         + 0.5 * X.shape[1] * np.log(2 * np.pi))

    def logpdf(self, X):
        z = solve_triangular(self.cholesky, (X - self.mean).T, lower=True)
        return -0.5 * np.sum(z**2, axis=0) - self.log_norm

    def sample(self, n, rng):
        return self.mean + rng.standard_normal((n, self.mean.size)) @ self.cholesky.T


class _UniformReference:
    """Uniform on the data range, ``margin`` times wider on each side."""

    def __init__(self, X, margin):
        self.low, self.high = sampling_box(X, margin)
        self.log_density = -np.log(self.high - self.low).sum()

    def logpdf(self, X):
        # constant inside; outside, where the classifier never saw a
        # pseudo-anomaly, falling steeply with the distance to the box (as in
        # OnePlusEpsilonDetector): the further out, the more anomalous
        return self.log_density - OUTSIDE_BOX_SLOPE * distance_to_box(X, self.low, self.high)

    def sample(self, n, rng):
        return rng.uniform(self.low, self.high, size=(n, self.low.size))


def _normal_logit(model, X):
    """Log-odds of class 1 (normal) of a fitted binary classifier."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64).ravel()
    proba = np.clip(model.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
    return np.log(proba) - np.log1p(-proba)
