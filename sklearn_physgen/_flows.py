"""Normalizing flows: exact log-density, sampling and a Gaussian latent space.

The transforms come from `zuko <https://github.com/probabilists/zuko>`_, a
maintained pure-PyTorch flow library: its coupling layers, rational-quadratic
splines and their inverses are tested there, and this module only wires them
into the package's estimator machinery.
"""

import copy
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
import zuko
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import (
    BaseTorchEstimator,
    ConditionalTransformMixin,
    ConditionsMixin,
    MovingAverageCallback,
    OutlierScoresMixin,
    check_fit_sample_weight,
    check_layer_sizes,
    check_sample_size,
    fit_standard_scaler,
    standardized_training_data,
    update_moving_average,
    weighted_mean,
)

#: Rational-quadratic splines act on [-SPLINE_BOUND, SPLINE_BOUND] and are the
#: identity outside (Durkan et al. 2019); the estimator standardises first, so
#: this covers all but the extreme tails.
SPLINE_BOUND = 5.0


def make_flow(n_features, n_conditions=0, coupling="spline", n_transforms=5,
              hidden_layer_sizes=(128, 128), n_bins=8, autoregressive=False):
    """A zuko coupling (or autoregressive) flow ``x -> z`` with a standard-normal base.

    Each of the ``n_transforms`` layers splits the features at random in two
    halves: the first half gets an elementwise map of its own (constant, or
    a function of the conditions), the second an elementwise map whose
    parameters an MLP (``hidden_layer_sizes``) computes from the first half
    and the ``n_conditions`` encoded conditions. The map is a monotonic
    rational-quadratic spline of ``n_bins`` bins for ``coupling='spline'``
    (neural spline flow, Durkan et al. 2019) or affine for ``'affine'``
    (RealNVP, Dinh et al. 2017). Two passes invert a layer, so sampling costs
    about as much as scoring. With ``autoregressive=True`` each feature's
    map depends on all the features before it in a random order (a masked
    autoregressive flow, MAF; with splines the autoregressive neural spline
    flow): one pass still gives the density, but sampling inverts one feature
    at a time, ``n_features`` passes per layer.
    """
    coupled = n_features > 1 and not autoregressive
    options = {"transforms": n_transforms, "hidden_features": tuple(hidden_layer_sizes),
               "passes": 2 if coupled else None, "randperm": n_features > 1}
    if coupling == "spline":
        flow = zuko.flows.MAF(
            n_features, n_conditions,
            univariate=partial(zuko.transforms.MonotonicRQSTransform, bound=SPLINE_BOUND),
            shapes=[(n_bins,), (n_bins,), (n_bins - 1,)],
            **options,
        )
    else:
        flow = zuko.flows.MAF(n_features, n_conditions, **options)
    return flow


class FlowNetwork(torch.nn.Module):
    """A zuko flow on rows ``[x, c]``: features, then encoded conditions.

    With ``average_decay > 0`` it also keeps ``average``, an exponential
    moving average of the flow's weights, updated after every training step:
    in training mode the trained flow computes the density, in evaluation
    mode (validation, scoring, sampling) the averaged one.
    """

    def __init__(self, flow, n_features, average_decay=0.0):
        super().__init__()
        self.flow = flow
        self.n_features = n_features
        self.average_decay = average_decay
        self.average = (
            copy.deepcopy(flow).requires_grad_(False) if average_decay > 0 else None
        )
        self.n_average_updates = 0

    def update_average(self):
        if self.average is not None:
            self.n_average_updates += 1
            update_moving_average(self.average, self.flow, self.average_decay,
                                  self.n_average_updates)

    def _distribution(self, x_and_c):
        flow = self.flow if self.training or self.average is None else self.average
        x, c = x_and_c[:, : self.n_features], x_and_c[:, self.n_features :]
        return (flow(c) if c.shape[1] else flow()), x

    def log_prob(self, x_and_c):
        distribution, x = self._distribution(x_and_c)
        return distribution.log_prob(x)

    def to_base(self, x_and_c):
        distribution, x = self._distribution(x_and_c)
        return distribution.transform(x)

    def from_base(self, z_and_c):
        distribution, z = self._distribution(z_and_c)
        return distribution.transform.inv(z)

    def forward(self, x_and_c):
        return self.log_prob(x_and_c)


class NegativeLogLikelihood(torch.nn.Module):
    """Mean ``-log p(x | c)`` of a batch: maximum-likelihood training."""

    def forward(self, module, X, y=None, weight=None):
        rows = X if y is None else torch.cat([X, y.to(X.dtype)], dim=1)
        return weighted_mean(-module.log_prob(rows), weight)


class NormalizingFlow(ConditionalTransformMixin, ConditionsMixin, OutlierScoresMixin,
                      TransformerMixin, BaseTorchEstimator):
    """Normalizing flow: an invertible network from the data to a Gaussian.

    A bijection ``f`` maps every sample ``x`` to a latent ``z = f(x)`` whose
    distribution is trained to be ``N(0, I)``; by the change of variables the
    model's density is exact,

    ``log p(x) = log N(f(x); 0, I) + log |det df/dx|``,

    so the flow is trained by maximum likelihood, :meth:`score_samples` is
    the exact log-density (not a bound as for the VAE), and :meth:`sample`
    draws ``z ~ N(0, I)`` and returns ``f^{-1}(z)``. ``f`` is a stack of
    coupling layers: each leaves a random half of the features unchanged and
    transforms the other half elementwise with a monotonic map whose
    parameters an MLP computes from the unchanged half (and the conditions).
    With ``autoregressive=True`` every feature's map depends on all the
    features before it, in a random order per layer.
    The features are standardised first, inside the estimator, and the
    log-density accounts for it: ``score_samples`` is in the units of ``X``.

    Parameters
    ----------
    coupling : {'spline', 'affine'}, default='spline'
        The elementwise map of each coupling layer: a monotonic
        rational-quadratic spline on ``[-5, 5]`` (in standardised units;
        the identity outside), as in the neural spline flow, or an affine map,
        as in RealNVP.
    n_transforms : int, default=5
        Number of coupling layers.
    hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of each layer's conditioner MLP.
    n_bins : int, default=8
        Bins of each spline (``coupling='spline'`` only).
    autoregressive : bool, default=False
        If True, each layer is autoregressive instead of a coupling: the map
        of every feature depends on all the features before it in a random
        order (masked autoregressive flow; with splines, the autoregressive
        neural spline flow of Durkan et al. 2019). Training and
        :meth:`score_samples` cost about the same; :meth:`sample` and
        :meth:`inverse_transform` invert one feature at a time and are
        roughly ``n_features / 2`` times slower. A closer fit on tabular
        data, see the user guide.
    average_decay : float in [0, 1), default=0.998
        Decay of an exponential moving average of the weights (Polyak
        averaging), updated after every training step, with a warm-up so
        that short fits are not dominated by the initial weights. Validation
        (hence early stopping), scoring, transforms and sampling use the
        averaged weights. 0 uses the trained weights themselves.
    conditional : bool, default=False
        If True, ``fit(X, y)`` learns the conditional density ``p(x | y)``
        (``y`` 1-D or 2-D, continuous or categorical): every conditioner
        also sees the encoded conditions, and ``sample``, ``transform``,
        ``inverse_transform`` and the scores take them as ``y``. If False,
        ``y`` is ignored, so the flow can sit in a labelled ``Pipeline``.
    condition_type : {'auto', 'continuous', 'categorical'}, default='auto'
        How ``y`` is encoded when ``conditional=True``: ``'auto'`` treats
        float columns as continuous (standardised) and everything else as
        categorical (one-hot).
    learning_rate : float, default=1e-3
        Adam step size.
    weight_decay : float, default=0.0
        Adam L2 penalty.
    batch_size : int, default=128
        Mini-batch size.
    max_epochs : int, default=200
        Maximum number of passes over the training data.
    early_stopping : bool, default=True
        Stop when the held-out negative log-likelihood stops improving and
        keep the best epoch's weights. On by default, unlike the other
        estimators: a flow fits the training sample's density ever more
        closely and, on a few thousand events, starts to overfit within tens
        of epochs.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-3
        Smallest decrease of the validation loss (nats per sample) counted
        as an improvement.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` from the training log-densities, as for the other
        detectors.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, the feature permutations, shuffling and the
        validation split.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'``.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 progress bar, 2 per-epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_.flow`` is the zuko flow.
    history_ : skorch.History
        Training record.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Mean training negative log-likelihood (standardised units) per epoch.
    validation_loss_curve_ : ndarray of shape (`n_iter_`,) or None
        Validation negative log-likelihood per epoch when
        ``early_stopping=True``.
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    scaler_ : StandardScaler
        The standardisation applied before the flow.
    n_conditions_ : int
        Width of the encoded conditions (0 without conditions).
    condition_encoder_ : StandardScaler, OneHotEncoder or None
        Encoder of ``y`` fitted in ``fit``.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when available.

    See Also
    --------
    VariationalAutoencoder : a generator with a lower-dimensional latent space.
    TransformedGenerator : fit the flow on Gaussianised features.
    sklearn.mixture.GaussianMixture : the classical density estimate.

    Notes
    -----
    The coupling layers, splines and their inverses are those of the `zuko
    <https://github.com/probabilists/zuko>`_ library; see the user guide for
    why the package relies on it rather than on its own flow code.

    ``transform`` and ``inverse_transform`` map to and from the flow's
    latent space, which has as many dimensions as the data: a flow compresses
    nothing, it Gaussianises.

    References
    ----------
    L. Dinh, J. Sohl-Dickstein, S. Bengio, "Density estimation using Real
    NVP", ICLR 2017.
    C. Durkan, A. Bekasov, I. Murray, G. Papamakarios, "Neural Spline Flows",
    NeurIPS 2019.
    G. Papamakarios, T. Pavlakou, I. Murray, "Masked Autoregressive Flow for
    Density Estimation", NeurIPS 2017.
    A. Hallin, J. Isaacson, G. Kasieczka et al., "Classifying anomalies
    through outer density estimation" (CATHODE), Phys. Rev. D 106, 055006
    (2022).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import NormalizingFlow
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2)) @ [[1.0, 0.8], [0.0, 0.6]]
    >>> flow = NormalizingFlow(max_epochs=5, random_state=0).fit(X)
    >>> flow.sample(3, random_state=0).shape
    (3, 2)
    >>> flow.score_samples(X[:2]).shape
    (2,)
    """

    # A spline flow's forward pass costs far more per row than an MLP's, so
    # a padded 1024-row block would make scoring a single row slow; smaller
    # fixed blocks keep it cheap, at some cost in rows per second.
    _inference_batch_size = 256

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        **OutlierScoresMixin._parameter_constraints,
        **ConditionsMixin._parameter_constraints,
        "coupling": [StrOptions({"spline", "affine"})],
        "n_transforms": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "n_bins": [Interval(Integral, 2, None, closed="left")],
        "autoregressive": ["boolean"],
        "average_decay": [Interval(Real, 0, 1, closed="left")],
        "conditional": ["boolean"],
    }

    def __init__(
        self,
        coupling="spline",
        *,
        n_transforms=5,
        hidden_layer_sizes=(128, 128),
        n_bins=8,
        autoregressive=False,
        average_decay=0.998,
        conditional=False,
        condition_type="auto",
        learning_rate=1e-3,
        weight_decay=0.0,
        batch_size=128,
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-3,
        contamination="auto",
        callbacks=None,
        random_state=None,
        device="auto",
        verbose=0,
    ):
        self.coupling = coupling
        self.n_transforms = n_transforms
        self.hidden_layer_sizes = hidden_layer_sizes
        self.n_bins = n_bins
        self.autoregressive = autoregressive
        self.average_decay = average_decay
        self.conditional = conditional
        self.condition_type = condition_type
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
        """Fit the flow to ``X`` (given ``y``) by maximum likelihood.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
                default=None
            Conditions when ``conditional=True`` (required then); ignored
            otherwise.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights: the likelihood (training and
            validation), the standardisation and ``offset_`` are weighted, so
            the density, and ``sample``, follow the weighted distribution.

        Returns
        -------
        self : NormalizingFlow
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        conditions = self._fit_conditions(y, X.shape[0])
        self.scaler_ = fit_standard_scaler(X, sample_weight=sample_weight)
        X_train, standardize = standardized_training_data(X, self.scaler_)
        self._fit_net(X_train, conditions, transform=standardize, sample_weight=sample_weight)
        self._set_offset(self._score_samples(X, conditions), sample_weight)
        return self

    def _scale(self, X):
        return self.scaler_.transform(X).astype(X.dtype, copy=False)

    def _build_module(self, X):
        flow = make_flow(
            X.shape[1], self.n_conditions_, self.coupling, self.n_transforms,
            check_layer_sizes(self.hidden_layer_sizes), self.n_bins, self.autoregressive,
        )
        return FlowNetwork(flow, X.shape[1], self.average_decay)

    def _extra_callbacks(self):
        return [("moving_average", MovingAverageCallback())] if self.average_decay else []

    def _build_criterion(self, X):
        return NegativeLogLikelihood()

    def _score_samples(self, X, conditions=None):
        log_prob = self._map_batches(
            self.module_.log_prob, X, conditions=conditions, prepare=self._scale
        )
        # log p(x) = log p(x_std) - sum log(scale): the standardisation's Jacobian.
        return log_prob - np.log(self.scaler_.scale_).sum().astype(log_prob.dtype)

    def transform(self, X, y=None):
        """Map samples to the flow's standard-normal latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like, default=None
            Their conditions, for a flow fitted with ``conditional=True``.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            Latent codes ``f(x)``; ``N(0, I)``-distributed for data from the
            model.
        """
        X = self._validate_predict_data(X)
        conditions = self._conditions_for(y, X.shape[0])
        return self._map_batches(
            self.module_.to_base, X, conditions=conditions, prepare=self._scale
        )

    def inverse_transform(self, X, y=None):
        """Map latent codes back to data space: ``x = f^{-1}(z)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Latent codes, e.g. the output of :meth:`transform`.
        y : array-like, default=None
            Conditions, for a flow fitted with ``conditional=True``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Samples in the units of the training data.
        """
        check_is_fitted(self)
        Z = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        conditions = self._conditions_for(y, Z.shape[0])
        return self._from_latent(Z, conditions)

    def _from_latent(self, Z, conditions):
        scaled = self._map_batches(self.module_.from_base, Z, conditions=conditions)
        return self.scaler_.inverse_transform(scaled)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw samples: ``z ~ N(0, I)``, ``x = f^{-1}(z)`` (at the conditions ``y``).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        y : array-like, default=None
            Conditions of the samples, for a flow fitted with
            ``conditional=True``: one row per sample, or a single condition
            vector for all of them.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            Generated samples.
        """
        check_is_fitted(self)
        n_samples = check_sample_size(n_samples)
        conditions = self._conditions_for(y, n_samples)
        Z = check_random_state(random_state).standard_normal(
            (n_samples, self.n_features_in_)
        )
        return self._from_latent(Z, conditions)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
