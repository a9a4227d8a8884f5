"""Autoencoder and VariationalAutoencoder."""

import functools
import math
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from ._base import (
    ACTIVATIONS,
    BaseTorchEstimator,
    ConditionalTransformMixin,
    ConditionsMixin,
    OutlierScoresMixin,
    append_conditions,
    build_user_module,
    check_fit_sample_weight,
    check_layer_sizes,
    check_sample_size,
    make_mlp,
    weighted_mean,
)

#: Bounds of every predicted or learned log-variance, so exp() stays finite.
LOG_VAR_BOUNDS = (-10.0, 10.0)

#: Latent draws per sample when ``score_samples`` estimates the ELBO.
ELBO_SCORE_DRAWS = 16


class _BaseAutoencoder(
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    OutlierScoresMixin,
    BaseTorchEstimator,
):
    """What Autoencoder and VariationalAutoencoder share: an encoder to a
    ``latent_dim``-dimensional code, a decoder back, user modules, and the
    transform / inverse_transform / outlier API."""

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        **OutlierScoresMixin._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "encoder": [torch.nn.Module, callable, None],
        "decoder": [torch.nn.Module, callable, None],
    }

    #: Number of encoder outputs per latent dimension (2 for mean and log-variance).
    _encoder_outputs_per_latent = 1

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    @property
    def _n_features_out(self):
        return self.latent_dim

    def _build_encoder_decoder(self, n_features, n_conditions=0):
        hidden = check_layer_sizes(self.hidden_layer_sizes)
        n_codes = self._encoder_outputs_per_latent * self.latent_dim
        if self.encoder is None:
            encoder = make_mlp([n_features + n_conditions, *hidden, n_codes], self.activation)
        else:
            encoder = build_user_module(
                self.encoder, "encoder", n_features + n_conditions, n_codes
            )
        if self.decoder is None:
            decoder = make_mlp(
                [self.latent_dim + n_conditions, *reversed(hidden), n_features],
                self.activation,
            )
        else:
            decoder = build_user_module(
                self.decoder, "decoder", self.latent_dim + n_conditions, n_features
            )
        return encoder, decoder

    def _after_training(self, X, sample_weight=None):
        """Hook for fitted state derived from the trained network."""

    def transform(self, X):
        """Encode ``X`` into the latent space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to encode.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes.
        """
        X = self._validate_predict_data(X)
        return self._encode(X)

    def inverse_transform(self, X):
        """Decode latent codes back to the feature space.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. the output of :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, `n_features_in_`)
            Decoded samples (the decoder mean for the VAE).
        """
        Z = self._validate_codes(X)
        return self._map_batches(self.module_.decode, Z)

    def _validate_codes(self, Z):
        check_is_fitted(self)
        Z = check_array(Z, dtype=[np.float64, np.float32])
        if Z.shape[1] != self.latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} features, but inverse_transform of "
                f"{type(self).__name__} expects latent codes with "
                f"latent_dim={self.latent_dim} columns."
            )
        return Z

    def _encode(self, X):
        return self._map_batches(self.module_.encode, X)


class Autoencoder(_BaseAutoencoder):
    """Deterministic (optionally denoising) autoencoder.

    An encoder network ``f`` compresses each sample into a ``latent_dim``
    dimensional code and a decoder ``g`` maps it back; both are trained to
    minimise the mean squared reconstruction error. The reconstruction error
    of a sample is its anomaly score: samples unlike the training data
    reconstruct badly. With ``noise_std > 0`` the encoder sees
    ``x + noise_std * N(0, I)`` during training (a denoising autoencoder),
    which makes the code robust and an over-complete code useful.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 32)
        Widths of the encoder's hidden layers; the decoder mirrors them.
        Ignored for a side whose module is given by ``encoder``/``decoder``.
    latent_dim : int, default=2
        Dimension of the code.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'elu', 'gelu', \
            'leaky_relu'}, default='relu'
        Activation after every hidden layer. With ``'identity'`` the model is
        linear and learns the same subspace as ``PCA(latent_dim)``.
    noise_std : float, default=0.0
        Standard deviation of the Gaussian noise added to the input during
        training; 0 gives a plain autoencoder.
    encoder : torch.nn.Module or callable, default=None
        Your own encoder, mapping a float32 tensor of shape
        ``(batch, n_features)`` to ``(batch, latent_dim)`` (reshape inside the
        module for images). A module instance is deep-copied and trained from
        its current weights; a callable (e.g. a module class) is called
        without arguments in every ``fit``, under ``random_state``. ``None``
        builds an MLP from ``hidden_layer_sizes``.
    decoder : torch.nn.Module or callable, default=None
        Your own decoder, mapping ``(batch, latent_dim)`` to
        ``(batch, n_features)``; same rules as ``encoder``.
    learning_rate : float, default=1e-3
        Adam step size.
    weight_decay : float, default=0.0
        Adam L2 penalty.
    batch_size : int, default=256
        Mini-batch size.
    max_epochs : int, default=100
        Number of passes over the training data (fewer with early stopping).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the
        validation loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs; the best weights are restored.
    validation_fraction : float, default=0.1
        Fraction of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest decrease of the validation loss counted as an improvement.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_``: with a float, that fraction of the training data is
        predicted as outliers; with ``'auto'``, training scores below Tukey's
        fence ``Q1 - 1.5 IQR`` are.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks (e.g. ``skorch.callbacks.Checkpoint``), as
        ``Callback`` instances or ``(name, Callback)`` tuples; copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, noise and the validation
        split. An int makes ``fit`` repeatable; the global NumPy and torch
        random states are not touched.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'`` (CUDA when
        available). Resolved in ``fit`` into ``device_``.
    verbose : {0, 1, 2}, default=0
        0 is silent, 1 shows a progress bar over epochs, 2 prints a table of
        losses per epoch.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the trained network.
    history_ : skorch.History
        Per-epoch (and per-batch) training record.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Mean training loss (squared error per feature) of each epoch.
    validation_loss_curve_ : ndarray of shape (`n_iter_`,) or None
        Validation loss of each epoch when ``early_stopping=True``.
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    latent_mean_ : ndarray of shape (latent_dim,)
        Mean of the training codes, used by :meth:`sample`.
    latent_covariance_ : ndarray of shape (latent_dim, latent_dim)
        Covariance of the training codes, used by :meth:`sample`.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string column
        names.

    See Also
    --------
    VariationalAutoencoder : probabilistic autoencoder with a usable prior.
    sklearn.decomposition.PCA : the linear special case.

    Notes
    -----
    Training minimises
    ``L = E_x || g(f(x + sigma * eps)) - x ||^2 / d`` with ``eps ~ N(0, I)``
    and ``sigma = noise_std``; ``score_samples(x) = -|| g(f(x)) - x ||^2 / d``.

    :meth:`sample` decodes draws from a Gaussian fitted to the training
    codes. The codes of an autoencoder are not Gaussian and nothing makes the
    decoder behave between them, so samples are often implausible; use
    :class:`VariationalAutoencoder` or a GAN to generate data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import Autoencoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 6))
    >>> ae = Autoencoder(latent_dim=2, max_epochs=30, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (500, 2)
    >>> off_the_plane = 3 * rng.normal(size=(1, 6))
    >>> bool(ae.score_samples(off_the_plane)[0] < ae.score_samples(X).min())
    True
    >>> ae.predict(off_the_plane)
    array([-1])
    """

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "noise_std": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 32),
        *,
        latent_dim=2,
        activation="relu",
        noise_std=0.0,
        encoder=None,
        decoder=None,
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.activation = activation
        self.noise_std = noise_std
        self.encoder = encoder
        self.decoder = decoder
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
        """Train the autoencoder on ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (standardise it first, e.g. with ``StandardScaler``).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights: the reconstruction error, the latent
            Gaussian that ``sample`` draws from and ``offset_`` are weighted.

        Returns
        -------
        self : Autoencoder
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        self._fit_net(X, sample_weight=sample_weight)
        self._after_training(X, sample_weight)
        self._set_offset(self._score_samples(X), sample_weight)
        return self

    def _build_module(self, X):
        return AutoencoderNetwork(*self._build_encoder_decoder(X.shape[1]))

    def _build_criterion(self, X):
        return ReconstructionLoss(self.noise_std)

    def _after_training(self, X, sample_weight=None):
        Z = self._encode(X).astype(np.float64)
        self.latent_mean_ = np.average(Z, axis=0, weights=sample_weight)
        self.latent_covariance_ = np.atleast_2d(
            np.cov(Z, rowvar=False, aweights=sample_weight)
        )

    def _score_samples(self, X):
        def negative_error(batch):
            return -((self.module_(batch) - batch) ** 2).mean(dim=1)

        return self._map_batches(negative_error, X)

    def sample(self, n_samples=1, random_state=None):
        """Decode draws from a Gaussian fitted to the training codes.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            Generated samples. See the Notes of the class for why they are
            often poor.
        """
        check_is_fitted(self)
        n_samples = check_sample_size(n_samples)
        rng = check_random_state(random_state)
        Z = rng.multivariate_normal(
            self.latent_mean_, self.latent_covariance_, size=n_samples
        )
        return self._map_batches(self.module_.decode, Z)


class VariationalAutoencoder(ConditionalTransformMixin, ConditionsMixin, _BaseAutoencoder):
    """Variational autoencoder with Gaussian encoder and decoder (β-VAE).

    The encoder outputs the mean and log-variance of a Gaussian posterior
    ``q(z|x)``; the decoder outputs the mean of a Gaussian likelihood
    ``p(x|z)`` whose per-feature variance is learned or fixed; the prior is
    ``N(0, I)``. Training maximises the evidence lower bound (ELBO) with the
    reparameterisation trick, so the model is a generator (:meth:`sample`
    draws from the prior) and a density estimate (:meth:`score_samples` is a
    lower bound on ``log p(x)``) at once.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 32)
        Widths of the encoder's hidden layers; the decoder mirrors them.
    latent_dim : int, default=2
        Dimension of ``z``.
    activation : {'relu', 'tanh', 'logistic', 'identity', 'elu', 'gelu', \
            'leaky_relu'}, default='relu'
        Activation after every hidden layer.
    beta : float, default=1.0
        Weight of the KL term in the training loss (β-VAE, Higgins et al.
        2017); 1 is the ELBO.
    decoder_variance : 'learned' or float, default='learned'
        Variance of ``p(x|z)`` per feature: learned (one parameter per
        feature) or fixed to the given value.
    n_importance_samples : int or None, default=None
        What :meth:`score_samples` returns: ``None`` gives the ELBO (analytic
        KL, reconstruction term averaged over 16 latent draws); an int K gives
        the importance-weighted estimate
        ``log (1/K) sum_k p(x, z_k) / q(z_k | x)`` (Burda et al. 2016), a
        tighter bound on ``log p(x)`` for larger K.
    encoder : torch.nn.Module or callable, default=None
        Your own encoder, mapping ``(batch, n_features)`` to
        ``(batch, 2 * latent_dim)``: the posterior mean, then its
        log-variance. Instances are deep-copied; callables are called without
        arguments in every ``fit``.
    decoder : torch.nn.Module or callable, default=None
        Your own decoder, mapping ``(batch, latent_dim)`` to the likelihood
        mean ``(batch, n_features)``.
    conditional : bool, default=False
        If True, ``fit(X, y)`` trains a conditional VAE on the conditions
        ``y`` (1-D or 2-D; continuous or categorical): the encoder sees
        ``(x, y)``, the decoder ``(z, y)``, and ``sample``, ``transform``,
        ``inverse_transform`` and the scores take the conditions as ``y``.
        Your own encoder and decoder then get ``n_conditions_`` more input
        columns (the encoded conditions, after the features or the code).
        If False, ``y`` is ignored, as by every unsupervised scikit-learn
        estimator, so the VAE can sit in a labelled ``Pipeline``.
    condition_type : {'auto', 'continuous', 'categorical'}, default='auto'
        How ``y`` is encoded when ``conditional=True``: ``'auto'`` treats
        float columns as continuous (standardised) and everything else as
        categorical (one-hot).
    learning_rate : float, default=1e-3
        Adam step size.
    weight_decay : float, default=0.0
        Adam L2 penalty.
    batch_size : int, default=256
        Mini-batch size.
    max_epochs : int, default=100
        Number of passes over the training data (fewer with early stopping).
    early_stopping : bool, default=False
        Stop when the validation loss (negative ELBO) stops improving.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest decrease of the validation loss counted as an improvement.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` as for :class:`Autoencoder`.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the reparameterisation noise.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'``.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 progress bar, 2 per-epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the trained network.
    history_ : skorch.History
        Training record.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Mean training loss (negative β-ELBO per sample, in nats) per epoch.
    validation_loss_curve_ : ndarray of shape (`n_iter_`,) or None
        Validation loss per epoch when ``early_stopping=True``.
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    decoder_variance_ : ndarray of shape (`n_features_in_`,)
        Variance of ``p(x|z)`` per feature after training.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when available.

    See Also
    --------
    Autoencoder : deterministic autoencoder.
    sklearn.neighbors.KernelDensity : non-parametric density with ``sample``.

    Notes
    -----
    With ``q(z|x) = N(mu(x), diag sigma^2(x))`` and
    ``p(x|z) = N(g(z), diag s^2)``, the training loss per sample is
    ``-E_q log p(x|z) + beta * KL(q(z|x) || N(0, I))``, with
    ``KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)`` and one
    reparameterised draw ``z = mu + sigma * eps`` per step. All
    log-variances are clipped to [-10, 10] so the loss cannot overflow.

    ``score_samples`` uses the same latent draws for every sample, so a
    sample's score does not depend on the other samples scored with it. It
    always scores with ``beta = 1`` (the true ELBO).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import VariationalAutoencoder
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 2)) @ rng.normal(size=(2, 6))
    >>> vae = VariationalAutoencoder(latent_dim=2, max_epochs=30, random_state=0)
    >>> vae.fit(X).sample(3, random_state=0).shape
    (3, 6)
    """

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
        "decoder_variance": [
            StrOptions({"learned"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left"), None],
        "conditional": ["boolean"],
        **ConditionsMixin._parameter_constraints,
    }

    _encoder_outputs_per_latent = 2

    def __init__(
        self,
        hidden_layer_sizes=(64, 32),
        *,
        latent_dim=2,
        activation="relu",
        beta=1.0,
        decoder_variance="learned",
        n_importance_samples=None,
        encoder=None,
        decoder=None,
        conditional=False,
        condition_type="auto",
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.latent_dim = latent_dim
        self.activation = activation
        self.beta = beta
        self.decoder_variance = decoder_variance
        self.n_importance_samples = n_importance_samples
        self.encoder = encoder
        self.decoder = decoder
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
        """Train the VAE on ``X`` by maximising the (β-)ELBO.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (standardise it first).
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
                default=None
            Conditions when ``conditional=True`` (required then); ignored
            otherwise.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights: the ELBO (training and validation)
            and ``offset_`` are weighted, so the model, and ``sample``, follow
            the weighted distribution.

        Returns
        -------
        self : VariationalAutoencoder
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        conditions = self._fit_conditions(y, X.shape[0])
        X_and_conditions = append_conditions(X, conditions)
        self._fit_net(X_and_conditions, sample_weight=sample_weight)
        self._after_training(X)
        self._set_offset(self._score_samples(X, conditions), sample_weight)
        return self

    def _build_module(self, X_and_conditions):
        n_features = X_and_conditions.shape[1] - self.n_conditions_
        encoder, decoder = self._build_encoder_decoder(n_features, self.n_conditions_)
        fixed = None if self.decoder_variance == "learned" else self.decoder_variance
        return GaussianVAENetwork(encoder, decoder, n_features, fixed)

    def _build_criterion(self, X):
        return NegativeELBO(self.beta)

    def _after_training(self, X, sample_weight=None):
        log_var = self.module_.decoder_log_var().detach().cpu().numpy()
        self.decoder_variance_ = np.exp(log_var.astype(np.float64))

    def transform(self, X, y=None):
        """Posterior means of ``X`` (at the conditions ``y`` if conditional).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to encode.
        y : array-like, default=None
            Their conditions, for a VAE fitted with ``conditional=True``.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes.
        """
        X = self._validate_predict_data(X)
        conditions = self._conditions_for(y, X.shape[0])
        return self._map_batches(
            lambda batch: self.module_.encode(batch)[0], X, conditions=conditions
        )

    def inverse_transform(self, X, y=None):
        """Decoder means of the latent codes ``X`` (at the conditions ``y``).

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, e.g. the output of :meth:`transform`.
        y : array-like, default=None
            Conditions, for a VAE fitted with ``conditional=True``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, `n_features_in_`)
            Decoder means.
        """
        Z = self._validate_codes(X)
        conditions = self._conditions_for(y, Z.shape[0])
        return self._map_batches(self.module_.decode, Z, conditions=conditions)

    def _score_samples(self, X, conditions=None):
        n_draws = self.n_importance_samples or ELBO_SCORE_DRAWS
        # Common random numbers: every sample sees the same standard-normal draws.
        eps = torch.randn(
            n_draws, self.latent_dim, generator=torch.Generator().manual_seed(0)
        ).to(self.device_)
        if self.n_importance_samples is None:
            function = functools.partial(self.module_.elbo, eps=eps)
        else:
            function = functools.partial(self.module_.importance_weighted_bound, eps=eps)
        batch_size = max(1, self._inference_batch_size // n_draws)
        return self._map_batches(function, X, batch_size, conditions=conditions)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw samples from the model: ``z ~ N(0, I)``, ``x ~ p(x|z, y)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        y : array-like, default=None
            Conditions of the samples, for a VAE fitted with
            ``conditional=True``: one row per sample, or a single condition
            vector for all of them.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            Generated samples, including the decoder's Gaussian noise.
        """
        check_is_fitted(self)
        n_samples = check_sample_size(n_samples)
        conditions = self._conditions_for(y, n_samples)
        rng = check_random_state(random_state)
        Z = rng.standard_normal((n_samples, self.latent_dim))
        noise = rng.standard_normal((n_samples, self.n_features_in_))
        means = self._map_batches(self.module_.decode, Z, conditions=conditions)
        return means + noise * np.sqrt(self.decoder_variance_)


# ----------------------------------------------------------------------------
# Networks and objectives
# ----------------------------------------------------------------------------


class AutoencoderNetwork(torch.nn.Module):
    """``x -> decoder(encoder(x))``."""

    def __init__(self, encoder, decoder):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decoder(self.encoder(x))


class ReconstructionLoss(torch.nn.Module):
    """Mean squared error of reconstructing ``x`` from ``x + noise_std * eps``."""

    def __init__(self, noise_std=0.0):
        super().__init__()
        self.noise_std = noise_std

    def forward(self, module, X, y=None, weight=None):
        inputs = X
        if self.training and self.noise_std > 0:
            inputs = X + self.noise_std * torch.randn_like(X)
        if weight is None:
            return torch.nn.functional.mse_loss(module(inputs), X)
        return weighted_mean(((module(inputs) - X) ** 2).mean(dim=1), weight)


_LOG_2PI = math.log(2.0 * math.pi)


def _gaussian_log_density(x, mean, log_var):
    """Elementwise log N(x; mean, exp(log_var))."""
    return -0.5 * (_LOG_2PI + log_var + (x - mean) ** 2 * torch.exp(-log_var))


class GaussianVAENetwork(torch.nn.Module):
    """Gaussian encoder ``q(z|x, c)``, Gaussian decoder ``p(x|z, c)``, prior N(0, I).

    Inputs are ``[x, c]``: the features, then the encoded conditions ``c``
    (no columns for an unconditional VAE); the decoder gets ``[z, c]``.
    """

    def __init__(self, encoder, decoder, n_features, fixed_variance=None):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.n_features = n_features
        if fixed_variance is None:
            self.raw_decoder_log_var = torch.nn.Parameter(torch.zeros(n_features))
        else:
            self.register_buffer(
                "raw_decoder_log_var",
                torch.full((n_features,), math.log(fixed_variance)),
            )

    def split(self, x_and_c):
        """``(x, c)`` from the network input ``[x, c]``."""
        return x_and_c[:, : self.n_features], x_and_c[:, self.n_features :]

    @staticmethod
    def with_conditions(z, c):
        return z if c.shape[1] == 0 else torch.cat([z, c], dim=1)

    def encode(self, x_and_c):
        """Posterior mean and (clipped) log-variance."""
        mean, log_var = self.encoder(x_and_c).chunk(2, dim=-1)
        return mean, log_var.clamp(*LOG_VAR_BOUNDS)

    def decode(self, z_and_c):
        return self.decoder(z_and_c)

    def decoder_log_var(self):
        return self.raw_decoder_log_var.clamp(*LOG_VAR_BOUNDS)

    def forward(self, x_and_c):
        c = self.split(x_and_c)[1]
        return self.decode(self.with_conditions(self.encode(x_and_c)[0], c))

    def log_likelihood(self, x, z_and_c):
        """log p(x|z, c), summed over features."""
        return _gaussian_log_density(
            x, self.decode(z_and_c), self.decoder_log_var()
        ).sum(-1)

    def _latent_draws(self, x_and_c, eps):
        """``z[i, k] = mu_i + sigma_i * eps_k`` for each sample and draw."""
        x, c = self.split(x_and_c)
        mean, log_var = self.encode(x_and_c)
        z = mean[:, None, :] + torch.exp(0.5 * log_var)[:, None, :] * eps[None]
        n, k, d = z.shape
        z_and_c = self.with_conditions(
            z.reshape(n * k, d), c.repeat_interleave(k, dim=0)
        )
        log_px = self.log_likelihood(x.repeat_interleave(k, dim=0), z_and_c)
        return mean, log_var, z, log_px.reshape(n, k)

    def elbo(self, x_and_c, eps):
        """Per-sample ELBO with analytic KL, averaging log p(x|z) over ``eps``."""
        mean, log_var, _, log_px = self._latent_draws(x_and_c, eps)
        return log_px.mean(dim=1) - gaussian_kl(mean, log_var)

    def importance_weighted_bound(self, x_and_c, eps):
        """Per-sample ``log mean_k p(x, z_k) / q(z_k|x)`` (IWAE bound)."""
        mean, log_var, z, log_px = self._latent_draws(x_and_c, eps)
        log_prior = _gaussian_log_density(z, 0.0, torch.zeros_like(z)).sum(-1)
        log_posterior = _gaussian_log_density(
            z, mean[:, None, :], log_var[:, None, :]
        ).sum(-1)
        log_weights = log_px + log_prior - log_posterior
        return torch.logsumexp(log_weights, dim=1) - math.log(eps.shape[0])


def gaussian_kl(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) per sample."""
    return 0.5 * (mean**2 + torch.exp(log_var) - 1.0 - log_var).sum(dim=-1)


class NegativeELBO(torch.nn.Module):
    """``-E_q log p(x|z) + beta * KL(q(z|x) || p(z))`` with one reparameterised draw."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = beta

    def forward(self, module, X_and_conditions, y=None, weight=None):
        x, c = module.split(X_and_conditions)
        mean, log_var = module.encode(X_and_conditions)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        log_px = module.log_likelihood(x, module.with_conditions(z, c))
        return weighted_mean(self.beta * gaussian_kl(mean, log_var) - log_px, weight)
