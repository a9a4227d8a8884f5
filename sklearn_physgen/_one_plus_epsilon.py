"""The (1+eps)-class anomaly detector on a neural network, its loss and its box.

The pseudo-anomaly samplers live in ``_samplers.py``, the one-class baseline
Deep SVDD in ``_deep_svdd.py``.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context, clone
from sklearn.metrics import roc_auc_score
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _num_samples, check_consistent_length, column_or_1d
from skorch.callbacks import Callback

from ._base import (
    ACTIVATIONS,
    INFERENCE_BATCH_SIZE,
    BaseTorchEstimator,
    OutlierScoresMixin,
    TensorBatchIterator,
    build_user_module,
    check_fit_sample_weight,
    check_layer_sizes,
    cumulative_weights,
    make_mlp,
    weighted_draws,
    weighted_mean,
)
from ._samplers import (
    GeneratorSampler,
    HMCSampler,
    RMSPropSampler,
    UniformSampler,
    _logits,
)
from .metrics import _versus_chance, chance_roc_auc_std

SAMPLERS = ("uniform", "hmc", "rmsprop", "deep")

# epsilon='auto' of the network detector: the values tried, from how many
# known anomalies, and the value used below that
AUTO_EPSILONS = (0.25, 0.5, 0.9, 1.0)
AUTO_EPSILON_MIN_KNOWN_ANOMALIES = 20
AUTO_EPSILON_DEFAULT = 0.5

# Score drop per box width of distance outside the sampling box: steeper than
# any classifier's range inside it, so points outside rank below their
# projection on the box, further out lower.
OUTSIDE_BOX_SLOPE = 100.0


def sampling_box(X, margin, sample_weight=None, chunk_size=65536):
    """Corners of the data's range widened by ``margin`` times it on each side
    (a constant feature counts as one unit wide).

    Rows of zero weight do not count; the range is taken chunk by chunk, so
    a memory-mapped ``X`` needs no full-size temporary.
    """
    low = np.full(X.shape[1], np.inf)
    high = np.full(X.shape[1], -np.inf)
    for start in range(0, X.shape[0], chunk_size):
        block = X[start : start + chunk_size]
        if sample_weight is not None:
            block = block[sample_weight[start : start + chunk_size] > 0]
        if len(block):
            low = np.minimum(low, block.min(axis=0))
            high = np.maximum(high, block.max(axis=0))
    low, high = low.astype(X.dtype), high.astype(X.dtype)
    width = np.where(high > low, high - low, 1.0)
    return low - margin * width, high + margin * width


def clip_to_box(X, low, high):
    """``X`` projected on the box ``[low, high]``."""
    return np.clip(X, low, high).astype(X.dtype, copy=False)


def distance_to_box(X, low, high, chunk_size=INFERENCE_BATCH_SIZE):
    """Distance of each row of ``X`` to the box ``[low, high]`` (0 inside).

    Euclidean, in units of the box's widths (a point one box width beyond a
    face is at distance 1). Computed in chunks of rows, so a memory-mapped
    ``X`` larger than the memory needs no full-size temporary.
    """
    width = np.where(high > low, high - low, 1.0)
    distance = np.empty(X.shape[0])
    for start in range(0, X.shape[0], chunk_size):
        block = X[start : start + chunk_size]
        beyond = (block - clip_to_box(block, low, high)) / width
        distance[start : start + chunk_size] = np.sqrt(np.sum(beyond**2, axis=1))
    return distance


def known_anomaly_mask(y, n_samples, anomaly_label):
    """Boolean mask of the known anomalies in ``y``, with clear errors.

    ``y=None`` means every sample is normal. Otherwise ``y`` may hold only
    the normal label (1 if ``anomaly_label == -1``, else 0) and
    ``anomaly_label``, and must keep at least one normal sample.
    """
    if y is None:
        return np.zeros(n_samples, dtype=bool)
    y = column_or_1d(y, warn=True)
    check_consistent_length(np.empty(n_samples), y)
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError("y contains NaN or infinity.")
    normal_label = 1 if anomaly_label == -1 else 0
    allowed = {normal_label, anomaly_label}
    unexpected = set(np.unique(y).tolist()) - allowed
    if unexpected:
        raise ValueError(
            f"With anomaly_label={anomaly_label}, y may only hold "
            f"{normal_label} (normal) and {anomaly_label} (known anomaly); "
            f"got {sorted(unexpected, key=str)}. Use anomaly_label=1 for 0/1 "
            "labels with 1 = anomaly."
        )
    is_anomaly = y == anomaly_label
    if is_anomaly.all():
        raise ValueError(
            "y marks every sample as a known anomaly; the detector needs "
            "normal samples."
        )
    return is_anomaly


def check_normal_samples(is_anomaly):
    """At least two normal samples, or a clear error."""
    n_normal = int(np.sum(~is_anomaly))
    if n_normal < 2:
        raise ValueError(
            f"Found {n_normal} normal sample(s); the detector needs at least 2."
        )


class OnePlusEpsilonDetector(OutlierScoresMixin, BaseTorchEstimator):
    """(1+eps)-class anomaly detector (Borisyak et al., JMLR 21, 2020).

    A classifier ``f(x) = sigmoid(g(x))`` is trained to output 1 on normal
    data and 0 on *pseudo-anomalies* drawn from a broad distribution around
    it, and, where some anomalies are known, 0 on those too. ``epsilon``
    weighs the two sources of negatives: ``epsilon=0`` is a one-class method
    (the known anomalies are ignored; ``g`` becomes a monotone function of the
    normal density), ``epsilon=1`` an ordinary two-class classifier. In
    between, known anomalies pull the decision boundary where they were seen,
    and the pseudo-anomalies keep the classifier from extrapolating "normal"
    into regions where no data was seen.

    Four ways to draw pseudo-anomalies (``sampler``):

    - ``'uniform'`` (brute-force OPE): uniform on a box around the training
      data, ``margin`` times its range wider on each side. Simple and exact,
      but in high dimension uniform points rarely land near the data.
    - ``'hmc'`` (HMC EOPE): Hamiltonian Monte Carlo on the classifier's own
      energy model ``P_f(x) = exp(g(x)) / Z``, with persistent chains and a
      step size adapted toward ``hmc_target_acceptance``.
    - ``'rmsprop'`` (RMSProp EOPE): a few RMSProp-normalised gradient-ascent
      steps on ``g`` from persistent chains; a cheap approximate sampler.
    - ``'deep'`` (Deep EOPE): a generator trained jointly to approximate
      ``P_f`` by minimising ``KL(Q || P_f) = -E g(G(z)) - H(Q) + const``. The
      generator is a RealNVP normalising flow, whose exact log-density gives
      the entropy ``H(Q)``.

    Parameters
    ----------
    epsilon : float in [0, 1] or 'auto', default=0.5
        Weight of the known anomalies against the pseudo-anomalies. Ignored
        (the fit is one-class) when ``y`` holds no known anomaly. ``'auto'``:
        with at least 20 known anomalies, one fit per value of 0.25, 0.5,
        0.9 and 1, each with early stopping on the ROC AUC of held-out normal
        data against held-out known anomalies (``validation_fraction`` of
        each), and the fit with the best validation AUC is kept: ``epsilon``
        and the number of epochs are both chosen from the labels, never from
        test data. With fewer known anomalies, 0.5.
    sampler : {'uniform', 'hmc', 'rmsprop', 'deep'}, default='uniform'
        How pseudo-anomalies are drawn; see above.
    hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the default MLP classifier.
    activation : str, default='auto'
        Activation of the MLP classifier (``'relu'``, ``'elu'``, ``'tanh'``,
        ...). ``'auto'``: ``'relu'`` for ``sampler='uniform'``, ``'elu'`` for
        the energy samplers, which follow the gradient of ``g`` in ``x`` and
        need it smooth. Brute force ranked worse with ELU than with ReLU on
        HIGGS and SUSY (see :ref:`why-the-defaults` on the benchmarks page).
    classifier : torch.nn.Module or callable, default=None
        Your own network for ``g``: maps ``(batch, n_features)`` float32 to
        ``(batch, 1)`` logits of being normal. Instances are deep-copied;
        callables are called without arguments in every fit.
    margin : float, default=0.1
        The sampling box is the range of the training data widened by
        ``margin`` times that range on each side. All samplers stay in it.
        The classifier never sees a pseudo-anomaly outside the box, so there
        its extrapolation means nothing (a ReLU network's grows linearly, and
        rated malignant tumours above the benign ones it was trained on). A
        point outside is therefore scored like its projection on the box
        minus ``100`` per box width of distance: the further out, the more
        anomalous. On heavy-tailed features (SUSY) a tight box, down to
        ``margin=0``, is what makes brute-force OPE competitive (see
        :ref:`why-the-defaults` on the benchmarks page).
    hmc_n_leapfrog_steps : int, default=2
        Leapfrog steps per HMC transition (one transition per training
        step; the chains persist, so they keep moving from step to step).
        Each costs a gradient of the classifier; the benchmarks page shows
        how quality and cost depend on it.
    hmc_step_size : float, default=0.1
        Initial leapfrog step size (adapted during training).
    hmc_target_acceptance : float, default=0.65
        Acceptance rate the step size adapts toward.
    rmsprop_n_steps : int, default=3
        Gradient steps per training step for ``sampler='rmsprop'`` (the
        chains persist between training steps).
    rmsprop_step_size : float, default=0.1
        Size of each RMSProp-normalised step, in units of the features.
    rmsprop_decay : float in (0, 1), default=0.99
        Decay of RMSProp's running mean of squared gradients, which sets the
        preconditioner (0.99 as in preconditioned SGLD and ``torch.optim.RMSprop``).
        With 0.9 the preconditioner followed each step's gradients, the
        chains spread and the ROC AUC fell, on SUSY and on the
        20-dimensional manifold of the tests (see :ref:`why-the-defaults`).
    chain_restart_probability : float, default=0.0
        Per training step, the probability that a persistent chain restarts
        from a uniform point of the box. The chains start uniform and, by
        default, are never restarted (persistent contrastive divergence, as
        in the paper): a chain that restarts every few dozen steps stays
        near its uniform start and turns the sampler into a noisy brute
        force (with 0.05 the one-class ROC AUC of HMC EOPE on SUSY fell; see
        :ref:`why-the-defaults`).
    energy_penalty : float, default=0.05
        Energy samplers only: weight of ``mean g(x0)^2`` over the sampler's
        pseudo-anomalies ``x0``, part of the ``(1 - epsilon)`` energy term.
        The ``log Z`` term is unbounded below in the level of ``g``; without
        this penalty ``g`` drifts to large negative values, where known
        anomalies stop contributing gradient, and in high dimension it
        diverges. The penalty holds the model's samples at about
        ``g = -1 / (2 energy_penalty)`` and leaves the normal data free, so
        the data can be scored as far above the samples as the fit warrants.
        Penalising the data's ``g^2`` as well pinned every training row at
        one value (where ``-log sigmoid(g)`` and the penalty balance), so
        the ranking among data-like points came from interpolation and
        inverted on some data (see :ref:`why-the-defaults` on the
        benchmarks page).
    generator_n_couplings : int, default=3
        Number of affine coupling layers of the Deep EOPE generator.
    generator_hidden_layer_sizes : array-like of int, default=(32, 32)
        Hidden layers of each coupling's network (it computes the scale and
        shift of one half of the features from the other half).
    generator_learning_rate : float, default=3e-3
        Adam step size of the Deep EOPE generator. It must keep up with the
        classifier: at 3e-4 the generator lagged and the one-class ROC AUC on
        SUSY fell (see :ref:`why-the-defaults`).
    anomaly_label : {-1, 1}, default=-1
        How ``y`` marks known anomalies. ``-1``: scikit-learn's outlier
        convention, ``y`` in {1 (normal), -1 (anomaly)}, as ``predict``
        returns. ``1``: ``y`` in {0 (normal), 1 (anomaly)}, the usual
        background / signal labels.
    learning_rate : float, default=1e-3
        Adam step size of the classifier.
    weight_decay : float, default=0.0
        Adam L2 penalty.
    batch_size : int, default=256
        Normal samples per step; as many known anomalies (drawn with
        replacement) and pseudo-anomalies join each step.
    max_epochs : int, default=100
        Passes over the normal training data.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the normal data and stop when the
        validation score stops improving; the best weights are restored. With
        at least two known anomalies (and ``epsilon > 0``) the same fraction
        of them is held out too (``n_validation_anomalies_``, not trained
        on) and the score is the validation ROC AUC of normal against known
        anomalies (``valid_auc`` in the history); otherwise it is the
        validation loss.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest decrease of the validation loss counted as an improvement.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` from the scores of the normal training data: a float
        is the fraction of it predicted as outliers; ``'auto'`` uses Tukey's
        fence ``Q1 - 1.5 IQR``.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and every sampler. An int makes
        ``fit`` repeatable; global random states are not touched.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'``.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 progress bar, 2 per-epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the classifier ``g``.
    history_ : skorch.History
        Training record.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Training loss per epoch (for the energy samplers a surrogate whose
        gradient is the (1+eps) gradient, not a cross-entropy).
    validation_loss_curve_ : ndarray of shape (`n_iter_`,) or None
        Validation loss per epoch when ``early_stopping=True``.
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    n_known_anomalies_ : int
        Number of known anomalies in the training loss: those marked in ``y``
        less the ones held out for early stopping
        (``n_validation_anomalies_``); 0 with ``epsilon=0``, which ignores
        them.
    n_validation_anomalies_ : int
        Number of known anomalies held out, never trained on, for the
        validation ROC AUC of early stopping (``early_stopping=True``,
        ``epsilon > 0`` and at least two known); otherwise 0.
    epsilon_ : float
        The ``epsilon`` of the fit (chosen when ``epsilon='auto'``).
    epsilon_scores_ : dict or None
        With ``epsilon='auto'`` and enough known anomalies, the best
        validation ROC AUC of each value tried; otherwise None.
    health_ : dict
        Checks of the fit, computed at its end. Label-free: ``box_auc`` (how
        often a training normal scores above a uniform point of the box;
        below 0.5 the detector is inverted), and for the chain samplers
        ``chains_above_data``, ``boundary_fraction`` and (HMC)
        ``acceptance_rate``. With known anomalies held out for early
        stopping, ``validation_auc``: their ROC AUC against the held-out
        normal data at the kept epoch. A :class:`FitHealthWarning` is raised
        when ``box_auc < 0.5``, more than half the chains' coordinates sit on
        the box's faces, the HMC acceptance rate leaves [0.05, 0.99], or
        ``validation_auc`` is more than two
        :func:`~sklearn_physgen.metrics.chance_roc_auc_std` below 0.5 (the
        known anomalies ranked as normal, beyond chance).
    box_low_, box_high_ : ndarray of shape (`n_features_in_`,)
        Corners of the sampling box.
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
    DeepSVDD : one-class deep baseline.
    sklearn.ensemble.IsolationForest : one-class tree ensemble.

    Notes
    -----
    With ``L+ = -E_{C+} log f``, ``L- = -E_{C-} log(1 - f)`` and
    ``L0 = -E_U log(1 - f)``, the brute-force loss is
    ``L+ + (1 - eps) L0 + eps L-`` (the paper's loss times 2). The energy
    samplers bound ``L0`` by ``log Z`` and follow its gradient,

    ``grad L = -E_{C+} sigmoid(-g) grad g + eps E_{C-} sigmoid(g) grad g
    + (1 - eps) E_{x ~ P_f} grad g``,

    by minimising ``L+ + eps L- + (1 - eps) mean g(x0)`` over samples ``x0``
    of ``P_f`` that are held fixed (no gradient flows through the sampler).

    ``score_samples`` returns ``g(x)``, the logit of being normal: higher is
    more normal, as in scikit-learn. With ``y`` in {1, -1},
    ``scoring='roc_auc'`` in ``GridSearchCV`` scores it correctly.

    References
    ----------
    M. Borisyak, A. Ryzhikov, A. Ustyuzhanin, D. Derkach, F. Ratnikov,
    O. Mineeva, "(1+eps)-class Classification: an Anomaly Detection Method for
    Highly Imbalanced or Incomplete Data Sets", JMLR 21 (2020),
    arXiv:1906.06096.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import OnePlusEpsilonDetector
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2))
    >>> detector = OnePlusEpsilonDetector(max_epochs=20, random_state=0).fit(X)
    >>> detector.predict([[0.0, 0.0], [4.0, 4.0]])
    array([ 1, -1])
    """

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        **OutlierScoresMixin._parameter_constraints,
        "epsilon": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"})],
        "sampler": [StrOptions(set(SAMPLERS))],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"auto", *ACTIVATIONS})],
        "classifier": [torch.nn.Module, callable, None],
        "margin": [Interval(Real, 0, None, closed="left")],
        "hmc_n_leapfrog_steps": [Interval(Integral, 1, None, closed="left")],
        "hmc_step_size": [Interval(Real, 0, None, closed="neither")],
        "hmc_target_acceptance": [Interval(Real, 0, 1, closed="neither")],
        "rmsprop_n_steps": [Interval(Integral, 1, None, closed="left")],
        "rmsprop_step_size": [Interval(Real, 0, None, closed="neither")],
        "rmsprop_decay": [Interval(Real, 0, 1, closed="neither")],
        "chain_restart_probability": [Interval(Real, 0, 1, closed="both")],
        "energy_penalty": [Interval(Real, 0, None, closed="left")],
        "generator_n_couplings": [Interval(Integral, 1, None, closed="left")],
        "generator_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "generator_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "anomaly_label": [Options(Integral, {-1, 1})],
    }

    def __init__(
        self,
        epsilon=0.5,
        *,
        sampler="uniform",
        hidden_layer_sizes=(128, 128),
        activation="auto",
        classifier=None,
        margin=0.1,
        hmc_n_leapfrog_steps=2,
        hmc_step_size=0.1,
        hmc_target_acceptance=0.65,
        rmsprop_n_steps=3,
        rmsprop_step_size=0.1,
        rmsprop_decay=0.99,
        chain_restart_probability=0.0,
        energy_penalty=0.05,
        generator_n_couplings=3,
        generator_hidden_layer_sizes=(32, 32),
        generator_learning_rate=3e-3,
        anomaly_label=-1,
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        contamination="auto",
        callbacks=None,
        random_state=None,
        device="auto",
        verbose=0,
    ):
        self.epsilon = epsilon
        self.sampler = sampler
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.classifier = classifier
        self.margin = margin
        self.hmc_n_leapfrog_steps = hmc_n_leapfrog_steps
        self.hmc_step_size = hmc_step_size
        self.hmc_target_acceptance = hmc_target_acceptance
        self.rmsprop_n_steps = rmsprop_n_steps
        self.rmsprop_step_size = rmsprop_step_size
        self.rmsprop_decay = rmsprop_decay
        self.chain_restart_probability = chain_restart_probability
        self.energy_penalty = energy_penalty
        self.generator_n_couplings = generator_n_couplings
        self.generator_hidden_layer_sizes = generator_hidden_layer_sizes
        self.generator_learning_rate = generator_learning_rate
        self.anomaly_label = anomaly_label
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.contamination = contamination
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the classifier on normal data and optional known anomalies.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: normal samples and, where ``y`` says so, known
            anomalies. Standardise it first (``StandardScaler``).
        y : array-like of shape (n_samples,), default=None
            ``None``: every sample is normal (one-class). Otherwise labels in
            the convention set by ``anomaly_label``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights. The normal term of the loss is
            weighted, known anomalies are drawn in proportion to their
            weights (their term keeps its total weight ``eps``), rows of
            zero weight do not widen the sampling box, and the validation
            AUC and ``offset_`` are weighted.

        Returns
        -------
        self : OnePlusEpsilonDetector
            The fitted detector.
        """
        if self.epsilon == "auto":
            return self._fit_auto_epsilon(X, y, sample_weight)
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        is_anomaly = known_anomaly_mask(y, X.shape[0], self.anomaly_label)
        check_normal_samples(is_anomaly)
        # the normal rows are trained on by index: no copy of a large X
        normal_rows = np.flatnonzero(~is_anomaly) if is_anomaly.any() else None
        X_anomalies = X[is_anomaly]
        w_anomalies = None
        if sample_weight is not None:  # a zero-weight anomaly is no anomaly
            w_anomalies = sample_weight[is_anomaly]
            X_anomalies, w_anomalies = X_anomalies[w_anomalies > 0], w_anomalies[w_anomalies > 0]
        self.box_low_, self.box_high_ = sampling_box(X, self.margin, sample_weight)
        self.classes_ = np.array([-1, 1])
        train_anomalies = valid_anomalies = None
        train_weights = valid_weights = None
        if len(X_anomalies) > 0 and self.epsilon > 0:  # epsilon=0 ignores them
            train_anomalies, train_weights = X_anomalies, w_anomalies
            if self.early_stopping and len(X_anomalies) >= 2:
                (train_anomalies, train_weights), (valid_anomalies, valid_weights) = (
                    self._hold_out_anomalies(X_anomalies, w_anomalies)
                )
        self.n_known_anomalies_ = 0 if train_anomalies is None else len(train_anomalies)
        self.n_validation_anomalies_ = 0 if valid_anomalies is None else len(valid_anomalies)
        self._fit_net(
            X,
            rows=normal_rows,
            sample_weight=sample_weight,
            n_normal=int(np.sum(~is_anomaly)),
            anomalies=train_anomalies,
            anomaly_weights=train_weights,
            callback_data={"validation_anomalies": valid_anomalies,
                           "validation_weights": valid_weights},
        )
        scores = self._score_samples(X)
        if normal_rows is not None:
            scores = scores[normal_rows]
        normal_weights = (None if sample_weight is None or normal_rows is None
                          else sample_weight[normal_rows])
        self._set_offset(scores, sample_weight if normal_rows is None else normal_weights)
        if sample_weight is not None:  # the health check looks at weighted rows only
            normal_rows = np.flatnonzero((sample_weight > 0) & ~is_anomaly)
        self.health_ = self._check_health(X, normal_rows)
        self.epsilon_ = float(self.epsilon)
        self.epsilon_scores_ = None
        return self

    def _fit_auto_epsilon(self, X, y, sample_weight=None):
        """``epsilon='auto'``: keep the fit with the best validation ROC AUC."""
        is_anomaly = known_anomaly_mask(y, _num_samples(X), self.anomaly_label)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        if sample_weight is not None:  # zero-weight anomalies do not count
            is_anomaly = is_anomaly & (sample_weight > 0)
        if is_anomaly.sum() < AUTO_EPSILON_MIN_KNOWN_ANOMALIES:
            best = clone(self).set_params(epsilon=AUTO_EPSILON_DEFAULT).fit(
                X, y, sample_weight=sample_weight
            )
            scores = None
        else:
            scores, best, best_auc, kept_warnings = {}, None, -np.inf, []
            for epsilon in AUTO_EPSILONS:
                model = clone(self).set_params(epsilon=epsilon, early_stopping=True)
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", FitHealthWarning)
                    model.fit(X, y, sample_weight=sample_weight)
                scores[epsilon] = float(np.max(model.history_[:, "valid_auc"]))
                if scores[epsilon] > best_auc:
                    best, best_auc, kept_warnings = model, scores[epsilon], caught
            for caught in kept_warnings:  # only the kept fit's warnings matter
                warnings.warn_explicit(caught.message, caught.category,
                                       caught.filename, caught.lineno)
        fitted = {key: value for key, value in vars(best).items()
                  if key.endswith("_") and not key.startswith("_")}
        self.__dict__.update(fitted)
        self.epsilon_scores_ = scores
        return self

    def _check_health(self, X, normal_rows=None):
        """Label-free checks that the fit did not go wrong; warn when it did.

        ``box_auc``: how often a training normal scores above a uniform point
        of the sampling box (near 1 for a working detector; below 0.5 the
        detector calls empty space more normal than the data: inverted).
        For the persistent-chain samplers: ``chains_above_data``, the
        fraction of chains scored above the median training normal (the
        chains should sample ``exp(g)``, which concentrates where the data
        are; chains rated far above the data sit in a spurious mode),
        ``boundary_fraction``, the fraction of the chains' coordinates on a
        face of the box (chains pushed out of the data's region), and for HMC its last
        ``acceptance_rate``.
        """
        rng = np.random.RandomState(0)
        if normal_rows is None:
            normal_rows = np.arange(X.shape[0])
        n = min(len(normal_rows), 2000)
        normal = self._score_samples(
            X[np.sort(normal_rows[rng.choice(len(normal_rows), n, replace=False)])]
        )
        box = rng.uniform(self.box_low_, self.box_high_, size=(n, X.shape[1]))
        box_scores = self._score_samples(box.astype(np.float32))
        health = {"box_auc": float(roc_auc_score(
            np.r_[np.ones(n), np.zeros(n)], np.r_[normal, box_scores]))}
        problems = []
        two_class = self.epsilon == 1 and self.n_known_anomalies_ > 0
        # two-class classification (eps = 1) calls everything normal that does
        # not look like a known anomaly, by design: not a failed fit
        if health["box_auc"] < 0.5 and not two_class:
            problems.append(
                f"uniform points of the sampling box score above the training data "
                f"(box_auc={health['box_auc']:.2f} < 0.5): the detector ranks empty "
                "space as more normal than the data"
            )
        sampler = getattr(self.net_.criterion_, "sampler", None)
        chains = getattr(sampler, "chains", None)
        if chains is not None:
            chains = chains.detach().cpu().numpy()
            chain_scores = self._score_samples(chains)
            health["chains_above_data"] = float(np.mean(chain_scores > np.median(normal)))
            width = self.box_high_ - self.box_low_
            # features the data span (a constant feature pins every chain)
            spanned = self.box_high_ > self.box_low_
            on_face = ((chains <= self.box_low_ + 1e-3 * width)
                       | (chains >= self.box_high_ - 1e-3 * width))[:, spanned]
            health["boundary_fraction"] = float(on_face.mean()) if on_face.size else 0.0
            if health["boundary_fraction"] > 0.5:
                problems.append(
                    f"{health['boundary_fraction']:.0%} of the chains' coordinates sit "
                    "on a face of the sampling box: the chains were pushed out of the "
                    "data's region"
                )
        if isinstance(sampler, HMCSampler):
            health["acceptance_rate"] = float(sampler.acceptance_rate)
            if not 0.05 <= health["acceptance_rate"] <= 0.99:
                problems.append(
                    f"HMC acceptance rate {health['acceptance_rate']:.2f} is outside "
                    "[0.05, 0.99]: the chains barely move or the step size collapsed"
                )
        history = getattr(self, "history_", None)
        if history and "valid_auc" in history[-1]:
            # the one check with labels: the held-out known anomalies of early
            # stopping against the held-out normal data, at the kept epoch
            best = int(np.argmax(history[:, "valid_auc"]))
            auc, std = history[best, "valid_auc"], history[best, "valid_auc_chance_std"]
            health["validation_auc"] = float(auc)
            if _versus_chance(auc, std) == "inverted":
                problems.append(
                    f"the held-out known anomalies score above the held-out normal "
                    f"data even at the best epoch (validation ROC AUC {auc:.2f}, more "
                    f"than 2 x {std:.2f} below the 0.5 of chance): the detector ranks "
                    "anomalies like them as normal"
                )
        if problems:
            warnings.warn(
                "The (1+eps) fit looks unhealthy: " + "; ".join(problems)
                + ". Check its scores on held-out data; try sampler='uniform', a "
                "smaller margin, more epochs or OnePlusEpsilonClassifier.",
                FitHealthWarning, stacklevel=3,
            )
        return health

    def _hold_out_anomalies(self, X_anomalies, weights=None):
        """Split the known anomalies (and their weights) into training and
        validation parts: ``(X_train, w_train), (X_valid, w_valid)``."""
        rng = np.random.RandomState(check_random_state(self.random_state).randint(2**31 - 1))
        order = rng.permutation(len(X_anomalies))
        n_valid = min(len(order) - 1, max(1, round(self.validation_fraction * len(order))))
        train, valid = order[n_valid:], order[:n_valid]
        if weights is None:
            return (X_anomalies[train], None), (X_anomalies[valid], None)
        return (X_anomalies[train], weights[train]), (X_anomalies[valid], weights[valid])

    def _early_stopping_target(self, validation_anomalies=None, validation_weights=None):
        if validation_anomalies is None:
            return "valid_loss", True
        return "valid_auc", False

    def _extra_callbacks(self, validation_anomalies=None, validation_weights=None):
        if validation_anomalies is None:
            return []
        anomalies = torch.tensor(validation_anomalies, dtype=torch.float32)
        return [("valid_auc", ValidationAUC(anomalies, validation_weights))]

    def _build_module(self, X):
        if self.classifier is not None:
            return build_user_module(self.classifier, "classifier", X.shape[1], 1)
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        activation = self.activation
        if activation == "auto":
            activation = "relu" if self.sampler == "uniform" else "elu"
        return make_mlp([X.shape[1], *hidden, 1], activation)

    def _build_criterion(self, X, n_normal, anomalies=None, anomaly_weights=None):
        low = torch.as_tensor(self.box_low_, dtype=torch.float32)
        high = torch.as_tensor(self.box_high_, dtype=torch.float32)
        n_chains = min(self.batch_size, n_normal)
        if self.sampler == "uniform":
            sampler = UniformSampler(low, high, n_chains)
        elif self.sampler == "hmc":
            sampler = HMCSampler(
                low, high, n_chains, self.hmc_n_leapfrog_steps, self.hmc_step_size,
                self.hmc_target_acceptance, self.chain_restart_probability,
            )
        elif self.sampler == "rmsprop":
            sampler = RMSPropSampler(
                low, high, n_chains, self.rmsprop_n_steps, self.rmsprop_step_size,
                self.chain_restart_probability, self.rmsprop_decay,
            )
        else:
            hidden = check_layer_sizes(
                self.generator_hidden_layer_sizes, "generator_hidden_layer_sizes"
            )
            sampler = GeneratorSampler(
                low, high, n_chains, self.generator_n_couplings, hidden,
                self.generator_learning_rate,
            )
        if anomalies is not None:
            anomalies = torch.tensor(anomalies, dtype=torch.float32)
        if anomaly_weights is not None:
            anomaly_weights = cumulative_weights(torch.as_tensor(anomaly_weights))
        return OnePlusEpsilonLoss(self.epsilon, sampler, anomalies, self.energy_penalty,
                                  anomaly_weights)

    def _score_samples(self, X):
        logits = self._map_batches(
            lambda batch: _logits(self.module_, batch),
            X,
            prepare=lambda block: clip_to_box(block, self.box_low_, self.box_high_),
        )
        return logits - OUTSIDE_BOX_SLOPE * distance_to_box(X, self.box_low_, self.box_high_)

    def predict_proba(self, X):
        """Classifier output for the classes ``[-1, 1]`` (anomaly, normal).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, 2)
            ``[1 - f(x), f(x)]`` with ``f = sigmoid(g)``. In the one-class
            regime ``f`` is a monotone function of the normal density, not a
            calibrated probability.
        """
        normal = 1.0 / (1.0 + np.exp(-self.score_samples(X)))
        return np.column_stack([1.0 - normal, normal])


class FitHealthWarning(UserWarning):
    """A (1+eps) fit whose health checks failed: the label-free ones of
    ``health_``, or held-out known anomalies ranked as normal beyond chance."""


class ValidationAUC(Callback):
    """Records ``valid_auc``: ROC AUC of ``g`` on held-out normal samples
    against held-out known anomalies, for early stopping on what matters."""

    def __init__(self, anomalies, anomaly_weights=None):
        self.anomalies = anomalies
        self.anomaly_weights = anomaly_weights

    def release_training_data(self):
        self.anomalies = self.anomaly_weights = None

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        module = net.module_
        was_training = module.training
        module.eval()
        with torch.no_grad():
            normal = np.concatenate([
                _logits(module, rows).cpu().numpy()
                for rows, _, _ in TensorBatchIterator(dataset_valid, INFERENCE_BATCH_SIZE)
            ])
            anomalies = self.anomalies.to(dataset_valid.X.device)
            anomalous = _logits(module, anomalies).cpu().numpy()
        module.train(was_training)
        labels = np.r_[np.ones(len(normal)), np.zeros(len(anomalous))]
        weights = None
        normal_weights = dataset_valid.row_weights()
        if normal_weights is not None or self.anomaly_weights is not None:
            weights = np.r_[
                np.ones(len(normal)) if normal_weights is None
                else normal_weights.cpu().numpy(),
                np.ones(len(anomalous)) if self.anomaly_weights is None
                else self.anomaly_weights,
            ]
        net.history.record("valid_auc", float(
            roc_auc_score(labels, np.r_[normal, anomalous], sample_weight=weights)
        ))
        net.history.record("valid_auc_chance_std", chance_roc_auc_std(
            labels, anomaly_label=0, sample_weight=weights))


class OnePlusEpsilonLoss(torch.nn.Module):
    """``L+ + eps L- + (1 - eps) L0`` with ``L0`` from a pseudo-anomaly sampler.

    Without known anomalies the loss is ``L+ + L0`` (one-class). For the
    energy samplers ``L0`` is ``mean g(x0)`` over samples of ``P_f`` (its
    gradient is that of ``log Z``) plus ``energy_penalty * mean g(x0)^2``,
    which keeps the level of ``g`` finite: ``log Z`` alone lets ``g`` drift
    to minus infinity, where the known-anomaly term ``sigmoid(g(x-))``
    vanishes. Only the samples are penalised, so the normal data's ``g`` is
    not capped. The penalty is part of ``L0``, so its weight falls with
    ``1 - eps`` and vanishes in the two-class limit.
    """

    def __init__(self, epsilon, sampler, anomalies=None, energy_penalty=0.0,
                 anomaly_cumulative_weight=None):
        super().__init__()
        self.epsilon = epsilon
        self.sampler = sampler
        self.energy_penalty = energy_penalty
        if anomalies is None:
            self.anomalies = None
        else:
            self.register_buffer("anomalies", anomalies)
        self.anomaly_cumulative_weight = anomaly_cumulative_weight

    def release_training_data(self):
        self.anomalies = self.anomaly_cumulative_weight = None

    def forward(self, module, X, y=None, weight=None):
        g_normal = _logits(module, X)
        loss = weighted_mean(torch.nn.functional.softplus(-g_normal), weight)
        pseudo_weight = 1.0
        if self.anomalies is not None:
            if self.anomaly_cumulative_weight is None:
                index = torch.randint(len(self.anomalies), (len(X),), device=X.device)
            else:  # weighted anomalies are drawn in proportion to their weights
                index = weighted_draws(self.anomaly_cumulative_weight, len(X),
                                       device=X.device)
            g_known = _logits(module, self.anomalies[index])
            loss = loss + self.epsilon * torch.nn.functional.softplus(g_known).mean()
            pseudo_weight = 1.0 - self.epsilon
        if pseudo_weight > 0:
            pseudo = self.sampler(module)
            g_pseudo = _logits(module, pseudo)
            if self.sampler.energy_based:
                # Its gradient is E_{P_f} grad g, the gradient of log Z.
                pseudo_loss = g_pseudo.mean()
                if self.energy_penalty > 0:  # on the model's samples only
                    pseudo_loss = pseudo_loss + self.energy_penalty * (g_pseudo**2).mean()
            else:
                pseudo_loss = torch.nn.functional.softplus(g_pseudo).mean()
            loss = loss + pseudo_weight * pseudo_loss
        return loss
