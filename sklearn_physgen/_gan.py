"""Generative adversarial networks: minimax (BCE) and Wasserstein-GP, optionally conditional."""

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
    check_sample_size,
    make_mlp,
)

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

    ``fit(X, y)`` trains a conditional GAN: both networks also receive the
    conditions ``y`` (continuous, standardised; or categorical, one-hot), as
    in fast calorimeter simulation where a generator conditioned on a
    particle's momentum replaces a slow simulator; ``sample(n, y=...)`` then
    generates at the given conditions.

    Parameters
    ----------
    latent_dim : int, default=8
        Dimension of the noise ``z``.
    generator_hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the default MLP generator.
    discriminator_hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden layers of the default MLP discriminator.
    activation : str, default='leaky_relu'
        Activation of both MLPs.
    generator : torch.nn.Module or callable, default=None
        Your own generator, mapping ``(batch, latent_dim + n_conditions)``
        (noise, then encoded conditions) to ``(batch, n_features)``.
        Instances are deep-copied; callables are called without arguments in
        every fit.
    discriminator : torch.nn.Module or callable, default=None
        Your own discriminator, mapping ``(batch, n_features + n_conditions)``
        to ``(batch, 1)`` (a logit for ``'bce'``, a critic value for
        ``'wasserstein'``).
    loss : {'bce', 'wasserstein'}, default='bce'
        The adversarial objective; see above.
    n_critic : int, default=1
        Discriminator steps per generator step (5 is usual for WGAN-GP).
    gradient_penalty : float, default=10.0
        Weight of the WGAN-GP gradient penalty (``loss='wasserstein'`` only).
    condition_type : {'auto', 'continuous', 'categorical'}, default='auto'
        How ``y`` is encoded: ``'auto'`` treats float columns as continuous
        and everything else (integers, strings, booleans) as categorical.
    learning_rate : float, default=2e-4
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
    it is close to uninformative. A GAN has no encoder, so there is no
    ``transform``; use :class:`VariationalAutoencoder` for a latent space.
    GAN losses say little about sample quality: judge the samples with
    :mod:`sklearn_physgen.metrics`.

    References
    ----------
    I. Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014.
    I. Gulrajani et al., "Improved Training of Wasserstein GANs", NeurIPS 2017.
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
        "activation": [StrOptions(set(ACTIVATIONS))],
        "generator": [torch.nn.Module, callable, None],
        "discriminator": [torch.nn.Module, callable, None],
        "loss": [StrOptions({"bce", "wasserstein"})],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "discriminator_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
        "adam_betas": [tuple],
    }

    def __init__(
        self,
        latent_dim=8,
        generator_hidden_layer_sizes=(128, 128),
        discriminator_hidden_layer_sizes=(128, 128),
        activation="leaky_relu",
        generator=None,
        discriminator=None,
        loss="bce",
        n_critic=1,
        gradient_penalty=10.0,
        condition_type="auto",
        learning_rate=2e-4,
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
        self.activation = activation
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
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
    def fit(self, X, y=None):
        """Train generator and discriminator on ``X`` (conditioned on ``y``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data (standardise it first).
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), \
                default=None
            Conditions; ``None`` trains an unconditional GAN.

        Returns
        -------
        self : GAN
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        if len(self.adam_betas) != 2 or not all(0 <= b < 1 for b in self.adam_betas):
            raise ValueError(f"adam_betas must be two numbers in [0, 1), got {self.adam_betas}.")
        conditions = self._fit_conditions(y, X.shape[0])
        # Extra critic steps draw their own real batches; one step uses the batch.
        extra = {"real": X, "real_conditions": conditions} if self.n_critic > 1 else {}
        self._fit_net(X, conditions, **extra)
        history = self.history_
        self.discriminator_loss_curve_ = np.asarray(
            history[:, "discriminator_loss"], dtype=float
        )
        self.wasserstein_curve_ = (
            np.asarray(history[:, "wasserstein_estimate"], dtype=float)
            if self.loss == "wasserstein"
            else None
        )
        self._set_offset(self._score_samples(X, conditions))
        return self

    # -- networks ------------------------------------------------------------

    def _build_module(self, X):
        n_inputs = self.latent_dim + self.n_conditions_
        if self.generator is not None:
            return build_user_module(self.generator, "generator")
        hidden = [int(h) for h in np.atleast_1d(self.generator_hidden_layer_sizes)]
        return make_mlp([n_inputs, *hidden, X.shape[1]], self.activation)

    def _build_criterion(self, X, real=None, real_conditions=None):
        if self.discriminator is not None:
            discriminator = build_user_module(self.discriminator, "discriminator")
        else:
            hidden = [int(h) for h in np.atleast_1d(self.discriminator_hidden_layer_sizes)]
            discriminator = make_mlp(
                [X.shape[1] + self.n_conditions_, *hidden, 1], self.activation
            )
        return AdversarialLoss(
            discriminator,
            loss=self.loss,
            latent_dim=self.latent_dim,
            n_critic=self.n_critic,
            gradient_penalty=self.gradient_penalty,
            learning_rate=self.discriminator_learning_rate or self.learning_rate,
            betas=tuple(self.adam_betas),
            real=None if real is None else torch.tensor(real, dtype=torch.float32),
            real_conditions=(
                None if real_conditions is None else torch.tensor(real_conditions)
            ),
        )

    def _optimizer_options(self):
        return {"betas": tuple(self.adam_betas), **adam_implementation(self.device_)}

    def _extra_callbacks(self):
        return [("adversarial_history", AdversarialHistory())]

    @property
    def generator_(self):
        """The trained generator (``net_.module_``)."""
        return self.net_.module_

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
        inputs = rng.standard_normal((n_samples, self.latent_dim))
        if conditions is not None:
            inputs = np.hstack([inputs, conditions])
        return self._map_batches(self.generator_, inputs)

    def _score_samples(self, X, conditions=None):
        if conditions is not None:
            X = np.hstack([X, conditions.astype(X.dtype)])
        return self._map_batches(lambda batch: self.discriminator_(batch)[:, 0], X)


def _with_conditions(x, conditions):
    return x if conditions is None else torch.cat([x, conditions], dim=1)


class AdversarialLoss(torch.nn.Module):
    """The generator's adversarial loss; owns and trains the discriminator.

    Called with a real mini-batch, it first takes ``n_critic`` discriminator
    steps (the first on that batch, the others on random batches of ``real``,
    which is only needed when ``n_critic > 1``) with its own Adam, then
    returns the generator loss for skorch to minimise.
    """

    def __init__(self, discriminator, loss, latent_dim, n_critic, gradient_penalty,
                 learning_rate, betas, real=None, real_conditions=None):
        super().__init__()
        self.discriminator = discriminator
        self.loss = loss
        self.latent_dim = latent_dim
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
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
        self.optimizer = None
        self.reset_statistics()

    def reset_statistics(self):
        self.statistics = {"discriminator_loss": [], "wasserstein_estimate": []}

    def _generate(self, generator, conditions, n_samples, device):
        z = torch.randn(n_samples, self.latent_dim, device=device)
        return generator(_with_conditions(z, conditions))

    def _discriminate(self, x, conditions):
        return self.discriminator(_with_conditions(x, conditions))[:, 0]

    def _gradient_penalty(self, real, fake, conditions):
        mix = torch.rand(real.shape[0], 1, device=real.device)
        interpolates = (mix * real + (1 - mix) * fake).requires_grad_(True)
        critic = self._discriminate(interpolates, conditions)
        (gradient,) = torch.autograd.grad(critic.sum(), interpolates, create_graph=True)
        # One-sided: only slopes steeper than 1 are penalised. The two-sided
        # (|grad| - 1)^2 holds a critic whose initial slope points the wrong
        # way in a local minimum when real and generated data are far apart
        # (in 1-D: slope -0.8, a negative "distance" estimate).
        return (torch.clamp(gradient.norm(2, dim=1) - 1, min=0) ** 2).mean()

    def _discriminator_step(self, generator, real, conditions):
        if self.optimizer is None:
            self.optimizer = torch.optim.Adam(
                self.discriminator.parameters(), lr=self.learning_rate, betas=self.betas
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
            else:
                wasserstein = d_real.mean() - d_fake.mean()
                loss = -wasserstein
                if self.gradient_penalty > 0:
                    loss = loss + self.gradient_penalty * self._gradient_penalty(
                        real, fake, conditions
                    )
                self.statistics["wasserstein_estimate"].append(wasserstein.item())
            gradients = torch.autograd.grad(loss, parameters)
        for parameter, gradient in zip(parameters, gradients):
            parameter.grad = gradient
        self.optimizer.step()
        self.statistics["discriminator_loss"].append(loss.item())

    def forward(self, generator, X, y=None):
        if self.training:
            for step in range(self.n_critic):
                if step == 0:
                    real, conditions = X, y
                else:
                    index = torch.randint(len(self.real), (len(X),), device=X.device)
                    real = self.real[index]
                    conditions = (None if self.real_conditions is None
                                  else self.real_conditions[index])
                self._discriminator_step(generator, real, conditions)
        d_fake = self._discriminate(self._generate(generator, y, len(X), X.device), y)
        if self.loss == "bce":
            return torch.nn.functional.softplus(-d_fake).mean()  # non-saturating
        return -d_fake.mean()


class AdversarialHistory(Callback):
    """Writes the epoch means of the discriminator statistics into the history."""

    def on_epoch_end(self, net, **kwargs):
        criterion = net.criterion_
        for key, values in criterion.statistics.items():
            if values:
                net.history.record(key, float(np.mean(values)))
        criterion.reset_statistics()
