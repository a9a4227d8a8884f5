"""Deep SVDD, the one-class deep baseline: a bias-free network pulled toward a fixed centre."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import (
    ACTIVATIONS,
    BaseTorchEstimator,
    OutlierScoresMixin,
    build_user_module,
    check_fit_sample_weight,
    check_layer_sizes,
    make_mlp,
    weighted_mean,
)


class DeepSVDD(OutlierScoresMixin, BaseTorchEstimator):
    """One-class Deep SVDD (Ruff et al., ICML 2018).

    A network ``phi`` without bias terms maps the normal data into a
    ``representation_dim``-dimensional space and is trained to pull it toward
    a fixed centre ``c``, minimising the mean squared distance
    ``E ||phi(x) - c||^2``. Normal data end up close to ``c``; anomalies,
    which the network never learned to map there, end up farther away.

    ``c`` is the mean of ``phi`` over the training data at initialisation;
    coordinates closer to 0 than ``center_epsilon`` are pushed to
    ``+/- center_epsilon``, since a centre at 0 is reachable by the trivial
    all-zero network. Bias terms are removed for the same reason: a network
    with biases can output the constant ``c`` and "solve" the problem without
    looking at the data (hypersphere collapse).

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(64, 32)
        Hidden layers of the bias-free MLP.
    representation_dim : int, default=16
        Dimension of the output space.
    activation : str, default='leaky_relu'
        Activation between layers (unbounded ones, as in the paper).
    network : torch.nn.Module or callable, default=None
        Your own ``phi``, mapping ``(batch, n_features)`` to
        ``(batch, representation_dim)``; it must have no bias parameters.
    center_epsilon : float, default=0.1
        Smallest absolute value of a centre coordinate.
    learning_rate : float, default=1e-3
        Adam step size.
    weight_decay : float, default=1e-6
        Adam L2 penalty (the paper's weight-decay regulariser).
    batch_size : int, default=256
        Mini-batch size.
    max_epochs : int, default=100
        Passes over the training data.
    early_stopping : bool, default=False
        Stop when the validation loss stops improving.
    validation_fraction : float, default=0.1
        Fraction held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs.
    tol : float, default=1e-4
        Smallest decrease of the validation loss counted as an improvement.
    contamination : 'auto' or float in (0, 0.5], default='auto'
        Sets ``offset_``, as for the other detectors.
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, copied in fit.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and shuffling.
    device : str, default='auto'
        ``'cpu'``, ``'cuda'``, ``'cuda:<index>'`` or ``'auto'``.
    verbose : {0, 1, 2}, default=0
        0 silent, 1 progress bar, 2 per-epoch table.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` holds ``phi`` and the centre.
    center_ : ndarray of shape (representation_dim,)
        The centre ``c``.
    history_ : skorch.History
        Training record.
    loss_curve_ : ndarray of shape (`n_iter_`,)
        Mean squared distance to the centre per epoch.
    validation_loss_curve_ : ndarray of shape (`n_iter_`,) or None
        Validation loss per epoch when ``early_stopping=True``.
    n_iter_ : int
        Number of epochs run.
    device_ : str
        Device the model was trained on.
    offset_ : float
        Threshold on ``score_samples`` used by ``decision_function``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when available.

    See Also
    --------
    OnePlusEpsilonDetector : uses known anomalies too.

    References
    ----------
    L. Ruff et al., "Deep One-Class Classification", ICML 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_physgen import DeepSVDD
    >>> X = np.random.RandomState(0).normal(size=(500, 4))
    >>> svdd = DeepSVDD(max_epochs=20, random_state=0).fit(X)
    >>> bool(svdd.score_samples([[0, 0, 0, 0]])[0] > svdd.score_samples([[6, 6, 6, 6]])[0])
    True
    """

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        **OutlierScoresMixin._parameter_constraints,
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "representation_dim": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "network": [torch.nn.Module, callable, None],
        "center_epsilon": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(64, 32),
        *,
        representation_dim=16,
        activation="leaky_relu",
        network=None,
        center_epsilon=0.1,
        learning_rate=1e-3,
        weight_decay=1e-6,
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
        self.representation_dim = representation_dim
        self.activation = activation
        self.network = network
        self.center_epsilon = center_epsilon
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
        """Fix the centre from the data and train ``phi`` toward it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Normal training data (standardise it first).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights: the centre (a weighted mean), the
            objective and ``offset_`` are weighted.

        Returns
        -------
        self : DeepSVDD
            The fitted estimator.
        """
        X = self._validate_fit_data(X)
        sample_weight = check_fit_sample_weight(sample_weight, X)
        self._fit_net(X, sample_weight=sample_weight,
                      module_data={"sample_weight": sample_weight})
        self.center_ = self.module_.center.detach().cpu().numpy().astype(np.float64)
        self._set_offset(self._score_samples(X), sample_weight)
        return self

    def _build_module(self, X, sample_weight=None):
        if self.network is None:
            hidden = check_layer_sizes(self.hidden_layer_sizes)
            network = make_mlp(
                [X.shape[1], *hidden, self.representation_dim], self.activation,
                bias=False,
            )
        else:
            network = build_user_module(
                self.network, "network", X.shape[1], self.representation_dim
            )
            biases = [name for name, _ in network.named_parameters()
                      if name.endswith("bias")]
            if biases:
                raise ValueError(
                    "Deep SVDD needs a network without bias terms (a network with "
                    "biases can map everything onto the centre); found "
                    f"{biases[:3]}. Build its layers with bias=False."
                )
        weights = (torch.ones(X.shape[0], dtype=torch.float64) if sample_weight is None
                   else torch.as_tensor(sample_weight, dtype=torch.float64))
        with torch.no_grad():
            center = sum(
                weights[start : start + 8192]
                @ network(torch.tensor(X[start : start + 8192], dtype=torch.float32)).double()
                for start in range(0, X.shape[0], 8192)
            ) / weights.sum()
            center = center.float()
        small = center.abs() < self.center_epsilon
        sign = torch.where(center < 0, -1.0, 1.0)
        center = torch.where(small, sign * self.center_epsilon, center)
        return SVDDNetwork(network, center)

    def _build_criterion(self, X):
        return SquaredDistanceToCenter()

    def _score_samples(self, X):
        return self._map_batches(lambda batch: -self.module_.squared_distance(batch), X)


class SVDDNetwork(torch.nn.Module):
    """``phi`` and its fixed centre ``c`` (a buffer, not trained)."""

    def __init__(self, network, center):
        super().__init__()
        self.network = network
        self.register_buffer("center", center)

    def forward(self, x):
        return self.network(x)

    def squared_distance(self, x):
        return ((self.network(x) - self.center) ** 2).sum(dim=1)


class SquaredDistanceToCenter(torch.nn.Module):
    """Deep SVDD's one-class objective ``mean ||phi(x) - c||^2``."""

    def forward(self, module, X, y=None, weight=None):
        return weighted_mean(module.squared_distance(X), weight)
