"""Generative adversarial networks: minimax (BCE) and Wasserstein-GP, optionally conditional."""

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
)
from skorch.callbacks import Callback

from ._base import (
    ACTIVATIONS,
    BaseTorchEstimator,
    ConditionsMixin,
    OutlierScoresMixin,
    adam_implementation,
    build_user_module,
    check_fit_sample_weight,
    check_layer_sizes,
    check_sample_size,
    cumulative_weights,
    fit_standard_scaler,
    inner_step,
    make_mlp,
    standardized_training_data,
    update_moving_average,
    weighted_draws,
)

#: Samples per discriminator input (PacGAN).
PAC_DEFAULT = 4

_NOT_USED_BY_GANS = {"early_stopping", "validation_fraction", "n_iter_no_change", "tol",
                     "weight_decay"}


class GAN(ConditionsMixin, OutlierScoresMixin, BaseTorchEstimator):
    """Generative adversarial network, with the minimax or the Wasserstein loss.

    A generator ``G`` maps noise ``z ~ N(0, I)`` to samples; a discriminator
    (critic) ``D`` is trained to tell them from the training data, and ``G`` to
    fool it (Goodfellow et al. 2014). ``n_critic`` discriminator steps, each on
    a fresh mini-batch of real data, precede every generator step.

    - ``loss='bce'``: the minimax game; ``D`` minimises the binary cross-entropy
      of real against generated, ``G`` minimises the non-saturating
      ``-E log sigmoid(D(G(z)))``.
    - ``loss='wasserstein'``: WGAN with gradient penalty (Gulrajani et al.
      2017); the critic maximises ``E D(x) - E D(G(z))``, an estimate of the
      Wasserstein-1 distance when ``D`` is 1-Lipschitz, which a penalty
      ``gradient_penalty * E max(0, ||grad D(x_hat)|| - 1)^2`` on random
      interpolates enforces (the one-sided form of Petzka et al. 2018: the
      two-sided ``(||grad|| - 1)^2`` can trap the critic with the wrong sign
      when the supports are far apart); ``G`` minimises ``-E D(G(z))``. Its
      gradient does not vanish when the two distributions have disjoint
      supports.

    Out of the box it is built against the GAN's usual failures (the
    user guide shows the measurements): the discriminator judges packs of
    ``pac`` samples (PacGAN), which exposes a generator that misses modes;
    :meth:`sample` uses an exponential moving average of the generator's
    weights, which smooths out the oscillation of the game; the features are
    standardised inside the estimator. For heavy-tailed, bounded or discrete
    features (transverse momenta, masses, b-tags) wrap it in
    :class:`TransformedGenerator`.

    With ``conditional=True``, ``fit(X, y)`` trains a conditional GAN: both
    networks also receive the conditions ``y`` (continuous, standardised; or
    categorical, one-hot), as in fast calorimeter simulation where a
    generator conditioned on a particle's momentum replaces a slow
    simulator; ``sample(n, y=...)`` then generates at the given conditions.

    Parameters
    ----------
    latent_dim : int, default=8
        Dimension of the noise ``z``.
    generator_hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the default generator.
    discriminator_hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the default MLP discriminator.
    generator_skip_connections : bool, default=True
        If True, every hidden layer of the default generator passes its
        input on next to its output, so the last layer sees the noise and
        every hidden layer (the generator of CTGAN, Xu et al. 2019, without
        its batch normalisation): a linear map of the noise reaches the
        samples directly. If False, a plain MLP.
    activation : str, default='leaky_relu'
        Activation of both MLPs.
    generator : torch.nn.Module or callable, default=None
        Your own generator, mapping ``(batch, latent_dim + n_conditions)``
        (noise, then encoded conditions) to ``(batch, n_features)``.
        Instances are deep-copied; callables are called without arguments in
        every fit.
    discriminator : torch.nn.Module or callable, default=None
        Your own discriminator, mapping ``(batch, pac * (n_features +
        n_conditions))`` (``pac`` samples with their conditions, side by side)
        to ``(batch, 1)`` (a logit for ``'bce'``, a critic value for
        ``'wasserstein'``).
    loss : {'bce', 'wasserstein'}, default='bce'
        The adversarial objective; see above.
    n_critic : int or 'auto', default='auto'
        Discriminator steps per generator step; ``'auto'`` is 5 for
        ``'wasserstein'`` (the WGAN-GP recipe) and 1 for ``'bce'``.
    gradient_penalty : float or 'auto', default='auto'
        Weight of the discriminator's gradient penalty. For
        ``'wasserstein'`` the one-sided WGAN-GP penalty above (``'auto'``:
        10, Gulrajani et al.'s value). For ``'bce'`` the zero-centred penalty
        ``gradient_penalty / 2 * E ||grad D(x)||^2`` on real data (R1,
        Mescheder et al. 2018), which damps the oscillation of the game
        (``'auto'``: 0.5; larger values smooth the discriminator so much that
        narrow modes come out too wide).
    pac : int, default=4
        Samples per discriminator input (PacGAN, Lin et al. 2018): the
        discriminator sees ``pac`` real or ``pac`` generated samples
        concatenated. 1 is the plain GAN. A user-supplied ``discriminator``
        must take ``pac * (n_features + n_conditions)`` inputs.
    spectral_norm : bool, default=False
        Spectral normalisation of every layer of the default discriminator
        (Miyato et al. 2018).
    ema_decay : float in [0, 1), default=0.999
        Decay of the exponential moving average of the generator's weights
        that :meth:`sample` uses (with a warm-up, so that short fits are not
        dominated by the initial weights); 0 samples from the trained
        generator itself.
    conditional : bool, default=False
        If True, ``fit(X, y)`` trains a conditional GAN on the conditions
        ``y``, and ``sample``, ``score_samples``, ``decision_function`` and
        ``predict`` take the conditions as ``y``. If False, ``y`` is ignored,
        as by every unsupervised scikit-learn estimator, so the GAN can sit
        in a labelled ``Pipeline``.
    condition_type : {'auto', 'continuous', 'categorical'}, default='auto'
        How ``y`` is encoded when ``conditional=True``: ``'auto'`` treats
        float columns as continuous and everything else (integers, strings,
        booleans) as categorical.
    learning_rate : float, default=1e-3
        Adam step size of the generator.
    discriminator_learning_rate : float, default=None
        Adam step size of the discriminator; ``None`` uses ``learning_rate``.
    adam_betas : tuple of float, default=(0.5, 0.999)
        Adam's ``betas`` for both networks (``beta1=0.5`` as is usual for GANs).
    batch_size : int, default=256
        Real samples per step.
    max_epochs : int, default=200
        Passes over the training data (one generator step per mini-batch).
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_`` from the training scores, as for the other detectors.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and noise.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'``.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 progress bar, 2 per-epoch table (with both losses).

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the generator and
        ``net_.criterion_`` holds the discriminator and its optimizer.
    generator_ : torch.nn.Module
        The trained generator.
    discriminator_ : torch.nn.Module
        The trained discriminator (critic).
    history_ : skorch.History
        Per epoch: ``train_loss`` (the generator loss), ``discriminator_loss``
        and, for ``'wasserstein'``, ``wasserstein_estimate``.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Generator loss per epoch.
    discriminator_loss_curve_ : ndarray of shape (`n_iter_`,)
        Mean discriminator loss per epoch.
    wasserstein_curve_ : ndarray of shape (`n_iter_`,) or None
        Mean critic estimate of the Wasserstein-1 distance per epoch
        (``loss='wasserstein'``).
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    n_conditions_ : int
        Width of the encoded conditions (0 for an unconditional GAN).
    n_critic_ : int
        Discriminator steps per generator step used in training.
    gradient_penalty_ : float
        Weight of the gradient penalty used in training.
    scaler_ : StandardScaler
        The standardisation of ``X`` the networks work in.
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
    VariationalAutoencoder : likelihood-based generator with an encoder.
    sklearn_physgen.metrics : how to judge the samples.

    Notes
    -----
    ``score_samples`` returns the discriminator's output: higher means "more
    like the training data" to the discriminator. It is a *realness score*,
    not a density; near the end of training, when generated samples are good,
    it is close to uninformative. With ``pac > 1`` each sample is scored as a
    pack of ``pac`` copies of itself, so its score does not depend on the
    other samples scored with it. A GAN has no encoder, so there is no
    ``transform``; use :class:`VariationalAutoencoder` for a latent space.
    GAN losses say little about sample quality: judge the samples with
    :mod:`sklearn_physgen.metrics`.

    References
    ----------
    I. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    I. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
    Z. Lin, A. Khetan, G. Fanti, S. Oh, "PacGAN: The power of two samples in
    generative adversarial networks", NeurIPS 2018.
    Y. Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
    Training", ICLR 2019.
    L. Xu, M. Skoularidou, A. Cuesta-Infante, K. Veeramachaneni, "Modeling
    Tabular Data using Conditional GAN" (CTGAN), NeurIPS 2019.
    L. Mescheder, A. Geiger, S. Nowozin, "Which Training Methods for GANs do
    actually Converge?", ICML 2018.
    T. Miyato et al., "Spectral Normalization for Generative Adversarial
    Networks", ICLR 2018.
    H. Petzka, A. Fischer, D. Lukovnicov, "On the regularization of Wasserstein
    GANs", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import GAN
    >>> X = np.random.RandomState(0).normal(size=(512, 2))
    >>> gan = GAN(max_epochs=5, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape
    (3, 2)
    """

    _parameter_constraints = {
        **{key: value for key, value in BaseTorchEstimator._parameter_constraints.items()
           if key not in _NOT_USED_BY_GANS},
        **OutlierScoresMixin._parameter_constraints,
        **ConditionsMixin._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "discriminator_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "generator_skip_connections": ["boolean"],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "generator": [torch.nn.Module, callable, None],
        "discriminator": [torch.nn.Module, callable, None],
        "loss": [StrOptions({"bce", "wasserstein"})],
        "n_critic": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "pac": [Interval(Integral, 1, None, closed="left")],
        "spectral_norm": ["boolean"],
        "ema_decay": [Interval(Real, 0, 1, closed="left")],
        "conditional": ["boolean"],
        "gradient_penalty": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "discriminator_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "adam_betas": [tuple],
    }

    # the adversarial losses have no per-event term to weight: weighted data
    # reach them as batches drawn in proportion to the weights
    _resample_weighted_batches = True

    def __init__(
        self,
        latent_dim=8,
        *,
        generator_hidden_layer_sizes=(128, 128),
        discriminator_hidden_layer_sizes=(128, 128),
        generator_skip_connections=True,
        activation="leaky_relu",
        generator=None,
        discriminator=None,
        loss="bce",
        n_critic="auto",
        gradient_penalty="auto",
        pac=PAC_DEFAULT,
        spectral_norm=False,
        ema_decay=0.999,
        conditional=False,
        condition_type="auto",
        learning_rate=1e-3,
        discriminator_learning_rate=None,
        adam_betas=(0.5, 0.999),
        batch_size=256,
        max_epochs=200,
        contamination="auto",
        callbacks=None,
        random_state=None,
        device="auto",
        verbose=0,
    ):
        self.latent_dim = latent_dim
        self.generator_hidden_layer_sizes = generator_hidden_layer_sizes
        self.discriminator_hidden_layer_sizes = discriminator_hidden_layer_sizes
        self.generator_skip_connections = generator_skip_connections
        self.activation = activation
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.pac = pac
        self.spectral_norm = spectral_norm
        self.ema_decay = ema_decay
        self.conditional = conditional
        self.condition_type = condition_type
        self.learning_rate = learning_rate
        self.discriminator_learning_rate = discriminator_learning_rate
        self.adam_betas = adam_betas
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.contamination = contamination
        self.callbacks = callbacks
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train generator and discriminator on ``X`` (conditioned on ``y``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
                default=None
            Conditions when ``conditional=True`` (required then); ignored
            otherwise.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights. The discriminator's real batches (and
            their conditions) are drawn with probability proportional to the
            weights, so the generator learns the weighted distribution; the
            standardisation and ``offset_`` are weighted.

        Returns
        -------
        self : GAN
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        if len(self.adam_betas) != 2 or not all(0 <= b < 1 for b in self.adam_betas):
            raise ValueError(f"adam_betas must be two numbers in [0, 1), got {self.adam_betas}.")
        conditions = self._fit_conditions(y, X.shape[0])
        wasserstein = self.loss == "wasserstein"
        self.n_critic_ = (5 if wasserstein else 1) if self.n_critic == "auto" else self.n_critic
        self.gradient_penalty_ = (
            (10.0 if wasserstein else 0.5)
            if self.gradient_penalty == "auto"
            else float(self.gradient_penalty)
        )
        self.scaler_ = fit_standard_scaler(X, sample_weight=sample_weight)
        # The training set and the extra critic steps' real batches share one
        # array: X itself where it can be shared (standardised batch by
        # batch), else its standardised float32 copy.
        X_train, standardize = standardized_training_data(X, self.scaler_)
        # Extra critic steps draw their own real batches; one step uses the batch.
        extra = (
            {"real": X_train, "real_conditions": conditions, "standardize": standardize,
             "real_weight": sample_weight}
            if self.n_critic_ > 1 else {}
        )
        self._fit_net(X_train, conditions, transform=standardize,
                      sample_weight=sample_weight, **extra)
        history = self.history_
        self.discriminator_loss_curve_ = np.asarray(
            history[:, "discriminator_loss"], dtype=float
        )
        self.wasserstein_curve_ = (
            np.asarray(history[:, "wasserstein_estimate"], dtype=float)
            if self.loss == "wasserstein"
            else None
        )
        self._set_offset(self._score_samples(X, conditions), sample_weight)
        return self

    # -- networks ------------------------------------------------------------

    def _build_module(self, X):
        n_inputs = self.latent_dim + self.n_conditions_
        if self.generator is not None:
            return build_user_module(self.generator, "generator", n_inputs, X.shape[1])
        hidden = check_layer_sizes(self.generator_hidden_layer_sizes,
                                   "generator_hidden_layer_sizes")
        if self.generator_skip_connections:
            return SkipConnectedMLP(n_inputs, hidden, X.shape[1], self.activation)
        return make_mlp([n_inputs, *hidden, X.shape[1]], self.activation)

    def _build_criterion(self, X, real=None, real_conditions=None, standardize=None,
                         real_weight=None):
        n_inputs = self.pac * (X.shape[1] + self.n_conditions_)
        if self.discriminator is not None:
            discriminator = build_user_module(self.discriminator, "discriminator", n_inputs, 1)
        else:
            hidden = check_layer_sizes(self.discriminator_hidden_layer_sizes,
                                       "discriminator_hidden_layer_sizes")
            discriminator = make_mlp([n_inputs, *hidden, 1], self.activation)
            if self.spectral_norm:
                for layer in discriminator:
                    if isinstance(layer, torch.nn.Linear):
                        torch.nn.utils.spectral_norm(layer)
        return AdversarialLoss(
            discriminator,
            loss=self.loss,
            latent_dim=self.latent_dim,
            n_critic=self.n_critic_,
            gradient_penalty=self.gradient_penalty_,
            pac=self.pac,
            ema_decay=self.ema_decay,
            learning_rate=self.discriminator_learning_rate or self.learning_rate,
            betas=tuple(self.adam_betas),
            real=None if real is None else torch.as_tensor(real, dtype=torch.float32),
            real_conditions=(
                None if real_conditions is None else torch.tensor(real_conditions)
            ),
            standardize=standardize,
            real_cumulative_weight=(
                None if real_weight is None
                else cumulative_weights(torch.as_tensor(real_weight))
            ),
        )

    def _optimizer_options(self):
        return {"betas": tuple(self.adam_betas), **adam_implementation(self.device_)}

    def _extra_callbacks(self):
        return [("adversarial_history", AdversarialHistory())]

    @property
    def generator_(self):
        """The generator that :meth:`sample` uses.

        The exponential moving average of the trained generator's weights
        when ``ema_decay > 0``, else the trained generator (``net_.module_``).
        """
        ema = self.net_.criterion_.ema_generator
        return self.net_.module_ if ema is None else ema

    @property
    def discriminator_(self):
        """The trained discriminator (``net_.criterion_.discriminator``)."""
        return self.net_.criterion_.discriminator

    # -- public API ----------------------------------------------------------

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate samples, at the conditions ``y`` for a conditional GAN.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        y : array-like of shape (n_samples, n_conditions) or (n_conditions,), \
                default=None
            Conditions of the samples (required for a conditional GAN); a
            single row is used for every sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise.

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            Generated samples.
        """
        check_is_fitted(self)
        n_samples = check_sample_size(n_samples)
        conditions = self._conditions_for(y, n_samples)
        rng = check_random_state(random_state)
        noise = rng.standard_normal((n_samples, self.latent_dim))
        scaled = self._map_batches(self.generator_, noise, conditions=conditions)
        return self.scaler_.inverse_transform(scaled)

    def _score_samples(self, X, conditions=None):
        return self._map_batches(
            self.net_.criterion_.score_rows, X, conditions=conditions, prepare=self._scale
        )

    def _scale(self, X):
        return self.scaler_.transform(X).astype(X.dtype, copy=False)


class SkipConnectedMLP(torch.nn.Module):
    """An MLP whose hidden layers pass their input on next to their output.

    Hidden layer ``k`` maps ``h_k = [a(W_k h_{k-1}), h_{k-1}]`` with
    ``h_0`` the input, so the output layer is linear in the input and in
    every hidden layer's activations.
    """

    def __init__(self, n_inputs, hidden_layer_sizes, n_outputs, activation):
        super().__init__()
        self.hidden = torch.nn.ModuleList()
        width = n_inputs
        for size in hidden_layer_sizes:
            self.hidden.append(torch.nn.Linear(width, size))
            width += size
        self.activation = ACTIVATIONS[activation]()  # stateless: shared by the layers
        self.output = torch.nn.Linear(width, n_outputs)

    def forward(self, x):
        for layer in self.hidden:
            x = torch.cat([self.activation(layer(x)), x], dim=1)
        return self.output(x)


def _with_conditions(x, conditions):
    return x if conditions is None else torch.cat([x, conditions], dim=1)


class AdversarialLoss(torch.nn.Module):
    """The generator's adversarial loss; owns and trains the discriminator.

    Called with a real mini-batch, it first takes ``n_critic`` discriminator
    steps (the first on that batch, the others on random batches of ``real``,
    which is only needed when ``n_critic > 1``) with its own Adam, then
    returns the generator loss for skorch to minimise.

    With ``pac > 1`` the discriminator judges packs of ``pac`` samples, all
    real or all generated, concatenated into one input row (PacGAN, Lin et
    al. 2018): a pack drawn from a generator that misses a mode looks
    unlike a real pack, which penalises mode collapse. A batch whose size is
    not a multiple of ``pac`` is completed by wrapping around.

    ``ema_generator`` is an exponential moving average of the generator's
    weights (Yazıcı et al. 2019), updated after every generator step by
    :class:`AdversarialHistory`; it averages out the oscillation of the
    adversarial game and is what ``GAN.sample`` uses.
    """

    def __init__(self, discriminator, loss, latent_dim, n_critic, gradient_penalty,
                 pac, ema_decay, learning_rate, betas, real=None, real_conditions=None,
                 standardize=None, real_cumulative_weight=None):
        super().__init__()
        self.discriminator = discriminator
        self.loss = loss
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.pac = pac
        self.ema_decay = ema_decay
        self.learning_rate = learning_rate
        self.betas = betas
        if real is None:
            self.real = None
        else:
            self.register_buffer("real", real)
        if real_conditions is None:
            self.real_conditions = None
        else:
            self.register_buffer("real_conditions", real_conditions)
        self.standardize = standardize
        self.real_cumulative_weight = real_cumulative_weight
        self.optimizer = None
        self.ema_generator = None
        self.n_ema_updates = 0
        self.reset_statistics()

    def release_training_data(self):
        self.real = self.real_conditions = self.standardize = None
        self.real_cumulative_weight = None

    def reset_statistics(self):
        self.statistics = {"discriminator_loss": [], "wasserstein_estimate": []}

    # -- the generator's moving average ---------------------------------------

    def update_ema(self, generator):
        """Move the averaged weights towards the generator's current ones."""
        if self.ema_decay == 0:
            return
        if self.ema_generator is None:
            self.ema_generator = copy.deepcopy(generator).requires_grad_(False)
            return
        self.n_ema_updates += 1
        update_moving_average(self.ema_generator, generator, self.ema_decay,
                              self.n_ema_updates)

    # -- the discriminator ----------------------------------------------------

    def _pack(self, rows):
        """Rows ``(n, k)`` as packs ``(ceil(n / pac), pac * k)``."""
        if rows.shape[0] % self.pac == 0:  # (pac = 1 included)
            return rows.reshape(rows.shape[0] // self.pac, -1)
        n_packs = -(-rows.shape[0] // self.pac)
        index = torch.arange(n_packs * self.pac, device=rows.device) % rows.shape[0]
        return rows[index].reshape(n_packs, -1)

    def _discriminate(self, x, conditions):
        return self.discriminator(self._pack(_with_conditions(x, conditions)))[:, 0]

    def score_rows(self, rows):
        """The discriminator's output for each row, judged as a pack of copies."""
        return self.discriminator(rows.repeat(1, self.pac))[:, 0]

    def _generate(self, generator, conditions, n_samples, device):
        z = torch.randn(n_samples, self.latent_dim, device=device)
        return generator(_with_conditions(z, conditions))

    def _gradient_penalty(self, real, fake, conditions):
        mix = torch.rand(real.shape[0], 1, device=real.device)
        interpolates = (mix * real + (1 - mix) * fake).requires_grad_(True)
        critic = self._discriminate(interpolates, conditions)
        (gradient,) = torch.autograd.grad(critic.sum(), interpolates, create_graph=True)
        # One-sided: only slopes steeper than 1 are penalised. The two-sided
        # (|grad| - 1)^2 holds a critic whose initial slope points the wrong
        # way in a local minimum when real and generated data are far apart
        # (in 1-D: slope -0.8, a negative "distance" estimate). With packs,
        # a pack's gradient spreads over its pac members: its norm is taken
        # per pack.
        norms = self._pack(gradient).norm(2, dim=1)
        return (torch.clamp(norms - 1, min=0) ** 2).mean()

    def _r1_penalty(self, real, conditions):
        # Zero-centred penalty on the real data (R1, Mescheder et al. 2018):
        # the discriminator is pushed to be flat where the data are, which
        # damps the oscillation of the minimax game around its equilibrium.
        real = real.detach().requires_grad_(True)
        logits = self._discriminate(real, conditions)
        (gradient,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
        return self._pack(gradient).pow(2).sum(1).mean()

    def _discriminator_step(self, generator, real, conditions):
        if self.optimizer is None:
            device = str(next(self.discriminator.parameters()).device)
            self.optimizer = torch.optim.Adam(
                self.discriminator.parameters(), lr=self.learning_rate, betas=self.betas,
                **adam_implementation(device),
            )
        with torch.no_grad():
            fake = self._generate(generator, conditions, real.shape[0], real.device)
        parameters = list(self.discriminator.parameters())
        with torch.enable_grad():
            d_real = self._discriminate(real, conditions)
            d_fake = self._discriminate(fake, conditions)
            if self.loss == "bce":
                loss = (torch.nn.functional.softplus(-d_real).mean()
                        + torch.nn.functional.softplus(d_fake).mean())
                if self.gradient_penalty > 0:
                    loss = loss + 0.5 * self.gradient_penalty * self._r1_penalty(
                        real, conditions
                    )
            else:
                wasserstein = d_real.mean() - d_fake.mean()
                loss = -wasserstein
                if self.gradient_penalty > 0:
                    loss = loss + self.gradient_penalty * self._gradient_penalty(
                        real, fake, conditions
                    )
                self.statistics["wasserstein_estimate"].append(wasserstein.item())
            inner_step(self.optimizer, loss, parameters)
        self.statistics["discriminator_loss"].append(loss.item())

    def forward(self, generator, X, y=None, weight=None):
        # Weighted data reach this loss as batches drawn in proportion to the
        # weights (GAN._resample_weighted_batches), never as ``weight``.
        if self.training:
            for step in range(self.n_critic):
                if step == 0:
                    real, conditions = X, y
                else:
                    if self.real_cumulative_weight is None:
                        index = torch.randint(len(self.real), (len(X),), device=X.device)
                    else:
                        index = weighted_draws(self.real_cumulative_weight, len(X),
                                               device=X.device)
                    real = self.real[index]
                    if self.standardize is not None:
                        real = self.standardize(real)
                    conditions = (None if self.real_conditions is None
                                  else self.real_conditions[index])
                self._discriminator_step(generator, real, conditions)
        d_fake = self._discriminate(self._generate(generator, y, len(X), X.device), y)
        if self.loss == "bce":
            return torch.nn.functional.softplus(-d_fake).mean()  # non-saturating
        return -d_fake.mean()


class AdversarialHistory(Callback):
    """Updates the generator's moving average after each step; records the
    epoch means of the discriminator statistics in the history."""

    def on_train_begin(self, net, **kwargs):
        net.criterion_.update_ema(net.module_)

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            net.criterion_.update_ema(net.module_)

    def on_epoch_end(self, net, **kwargs):
        criterion = net.criterion_
        for key, values in criterion.statistics.items():
            if values:
                net.history.record(key, float(np.mean(values)))
        criterion.reset_statistics()
