"""A generative model fitted in a transformed feature space."""

import inspect
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, _fit_context, clone
from sklearn.preprocessing import QuantileTransformer
from sklearn.utils import TransformerTags, _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_is_fitted,
    has_fit_parameter,
    validate_data,
)

from ._base import check_fit_sample_weight, check_sample_size


def _generator_has(method):
    def check(self):
        fitted = getattr(self, "generator_", None)
        return hasattr(fitted if fitted is not None else self.generator, method)

    return check


class TransformedGenerator(BaseEstimator):
    """Fit a generative model on transformed features; sample in the original ones.

    Collider features are far from Gaussian: transverse momenta and masses
    are positive with long tails, angles are uniform, b-tags are discrete.
    A neural generator spends most of its capacity on reproducing such
    marginals. Mapping every feature to a standard normal first (by default
    with scikit-learn's :class:`~sklearn.preprocessing.QuantileTransformer`)
    makes the marginals exact after the inverse map, and leaves the
    generator to learn only how the features depend on each other. This is
    the generative counterpart of scikit-learn's
    :class:`~sklearn.compose.TransformedTargetRegressor`.

    Parameters
    ----------
    generator : estimator with ``fit`` and ``sample``
        The generative model, cloned and fitted on ``transformer.transform(X)``:
        a :class:`VariationalAutoencoder`, :class:`GAN`, :class:`Autoencoder`,
        or scikit-learn's :class:`~sklearn.mixture.GaussianMixture` or
        :class:`~sklearn.neighbors.KernelDensity`.
    transformer : transformer with ``inverse_transform`` or None, default=None
        Cloned and fitted on ``X``. ``None`` means
        ``QuantileTransformer(output_distribution="normal",
        n_quantiles=min(1000, n_samples))``.
    discrete_features : 'auto', array-like of int or bool, or None, default=None
        Columns that take a few discrete values (b-tags, multiplicities).
        They are *dequantised* before the transformer sees them: a value
        ``v_i`` becomes a uniform draw in ``[v_i, v_{i+1})``, the gap to the
        next value seen in training, so the transformer and the generator see
        a continuous feature; generated values are mapped back to the value
        whose interval holds them. ``'auto'`` takes the columns with at most
        ``max_discrete_values`` distinct training values; ``None``, none.
    max_discrete_values : int, default=10
        Threshold of ``discrete_features='auto'``.
    random_state : int, RandomState instance or None, default=None
        Seeds the dequantisation noise.

    Attributes
    ----------
    transformer_ : transformer
        The fitted transformer.
    generator_ : estimator
        The generator fitted on the transformed training data.
    discrete_levels_ : dict of int to ndarray
        For each discrete column, its sorted distinct training values.
    n_features_in_ : int
        Number of features seen during ``fit``.

    See Also
    --------
    VariationalAutoencoder : A generator that benefits from Gaussian inputs.

    Notes
    -----
    ``sample`` returns ``T^{-1}(G(z))`` for the fitted transformer ``T`` and
    generator ``G``. With the default quantile map, generated values stay
    within the range of the training data, feature by feature.

    ``score_samples`` is the generator's score of ``T(x)``. For a density
    model it is the log-density of the transformed features, which differs
    from the log-density of ``x`` by ``log |det dT/dx|``: use it to rank
    samples, not as a likelihood in the original space.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.mixture import GaussianMixture
    >>> from sklearn_physgen import TransformedGenerator
    >>> X = np.random.RandomState(0).lognormal(size=(500, 2))
    >>> model = TransformedGenerator(GaussianMixture(2, random_state=0)).fit(X)
    >>> samples = model.sample(1000, random_state=0)
    >>> samples.shape
    (1000, 2)
    >>> bool(samples.min() > 0)
    True
    """

    _parameter_constraints = {
        "generator": [HasMethods(["fit", "sample"])],
        "transformer": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        "discrete_features": [StrOptions({"auto"}), "array-like", None],
        "max_discrete_values": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        generator,
        *,
        transformer=None,
        discrete_features=None,
        max_discrete_values=10,
        random_state=None,
    ):
        self.generator = generator
        self.transformer = transformer
        self.discrete_features = discrete_features
        self.max_discrete_values = max_discrete_values
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the transformer on ``X`` and the generator on the transformed data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions), default=None
            Passed to the generator's ``fit`` when given (e.g. the conditions
            of a conditional :class:`GAN`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative event weights, passed to the generator's ``fit``
            where it takes them (every sklearn_physgen generator does), and
            to the transformer's where it takes them (the transformer is only
            a change of variables: the generator learns the weighted
            distribution whether or not the map is weighted). A generator
            that takes no weights (``GaussianMixture``) is fitted on
            ``n_samples`` rows drawn with replacement in proportion to the
            weights, which follow the weighted distribution.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], order="C", ensure_min_samples=2
        )
        rng = check_random_state(self.random_state)
        weighted = {}
        sample_weight = check_fit_sample_weight(sample_weight, X)
        if sample_weight is not None:
            if has_fit_parameter(self.generator, "sample_weight"):
                weighted = {"sample_weight": sample_weight}
            else:
                probability = sample_weight / sample_weight.sum()
                rows = rng.choice(X.shape[0], X.shape[0], p=probability)
                X = X[rows]
                if y is not None:
                    y = _safe_indexing(y if hasattr(y, "iloc") else np.asarray(y), rows)
        if self.transformer is None:
            transformer = QuantileTransformer(
                output_distribution="normal", n_quantiles=min(1000, X.shape[0])
            )
        else:
            transformer = clone(self.transformer)
        self.discrete_levels_ = {
            column: np.unique(X[:, column]) for column in self._discrete_columns(X)
        }
        X = self._dequantize(X, rng)
        self.transformer_ = (
            transformer.fit(X, **weighted)
            if has_fit_parameter(transformer, "sample_weight") else transformer.fit(X)
        )
        X_transformed = self.transformer_.transform(X)
        self.generator_ = clone(self.generator)
        if y is None:
            self.generator_.fit(X_transformed, **weighted)
        else:
            self.generator_.fit(X_transformed, y, **weighted)
        return self

    def sample(self, n_samples=1, random_state=None, **sample_params):
        """Draw from the generator and map the draws back to the original features.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws, for generators whose ``sample`` accepts a
            ``random_state``.
        **sample_params : dict
            Passed on to the generator's ``sample`` (e.g. ``y=conditions``
            for a conditional :class:`GAN`).

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            Generated samples in the original feature space.
        """
        check_is_fitted(self)
        n_samples = check_sample_size(n_samples)
        if "random_state" in inspect.signature(self.generator_.sample).parameters:
            sample_params["random_state"] = check_random_state(random_state)
        draws = self.generator_.sample(n_samples, **sample_params)
        if isinstance(draws, tuple):  # GaussianMixture returns (X, component labels)
            draws = draws[0]
        return self._quantize(self.transformer_.inverse_transform(np.asarray(draws)))

    @available_if(_generator_has("score_samples"))
    def score_samples(self, X, **score_params):
        """Generator's score of the transformed samples (higher = more typical).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        **score_params : dict
            Passed on to the generator's ``score_samples`` (e.g. ``y=conditions``
            for a conditional generator).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The generator's ``score_samples`` of ``transformer_.transform(X)``.
        """
        return self.generator_.score_samples(self._transform_input(X), **score_params)

    @available_if(_generator_has("transform"))
    def transform(self, X, **transform_params):
        """Latent codes of the generator for the transformed samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        **transform_params : dict
            Passed on to the generator's ``transform`` (e.g. ``y=conditions``
            for a conditional generator).

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            ``generator_.transform(transformer_.transform(X))``.
        """
        return self.generator_.transform(self._transform_input(X), **transform_params)

    @available_if(_generator_has("transform"))
    def fit_transform(self, X, y=None):
        """Fit, then return the latent codes of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like, default=None
            Passed to the generator's ``fit`` when given.

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim)
            Latent codes of ``X``.
        """
        return self.fit(X, y).transform(X)

    @available_if(_generator_has("inverse_transform"))
    def inverse_transform(self, Z, **transform_params):
        """Decode latent codes and map them back to the original features.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent codes.
        **transform_params : dict
            Passed on to the generator's ``inverse_transform`` (e.g.
            ``y=conditions`` for a conditional generator).

        Returns
        -------
        X : ndarray of shape (n_samples, `n_features_in_`)
            ``transformer_.inverse_transform(generator_.inverse_transform(Z))``.
        """
        check_is_fitted(self)
        decoded = self.generator_.inverse_transform(Z, **transform_params)
        return self._quantize(self.transformer_.inverse_transform(decoded))

    def _transform_input(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self.transformer_.transform(self._dequantize(X, None))

    # -- discrete columns ----------------------------------------------------

    def _discrete_columns(self, X):
        if self.discrete_features is None:
            return []
        if isinstance(self.discrete_features, str):  # 'auto'
            return [
                column
                for column in range(X.shape[1])
                if len(np.unique(X[:, column])) <= self.max_discrete_values
            ]
        mask_or_indices = np.asarray(self.discrete_features)
        if mask_or_indices.dtype == bool:
            if mask_or_indices.shape != (X.shape[1],):
                raise ValueError(
                    f"discrete_features as a mask needs {X.shape[1]} entries, "
                    f"got {mask_or_indices.shape[0]}."
                )
            return list(np.flatnonzero(mask_or_indices))
        columns = [int(column) for column in mask_or_indices.ravel()]
        if any(not 0 <= column < X.shape[1] for column in columns):
            raise ValueError(
                f"discrete_features holds column indices outside [0, {X.shape[1]})."
            )
        return columns

    @staticmethod
    def _level_widths(levels):
        """Width of the interval above each level: the gap to the next one."""
        if len(levels) == 1:
            return np.ones(1)
        gaps = np.diff(levels)
        return np.append(gaps, gaps[-1])

    def _dequantize(self, X, rng):
        """Spread each discrete value over its interval (midpoint if ``rng`` is None)."""
        if not self.discrete_levels_:
            return X
        X = np.array(X, dtype=np.float64)
        for column, levels in self.discrete_levels_.items():
            index = np.clip(
                np.searchsorted(levels, X[:, column], side="right") - 1, 0, len(levels) - 1
            )
            offset = 0.5 if rng is None else rng.uniform(size=len(X))
            X[:, column] = levels[index] + offset * self._level_widths(levels)[index]
        return X

    def _quantize(self, X):
        """Map every value of a discrete column to the level whose interval holds it."""
        for column, levels in self.discrete_levels_.items():
            index = np.searchsorted(levels, X[:, column], side="right") - 1
            X[:, column] = levels[np.clip(index, 0, len(levels) - 1)]
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        if _generator_has("transform")(self):
            tags.transformer_tags = TransformerTags(preserves_dtype=[])
        return tags
