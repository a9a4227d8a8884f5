"""The package's public estimators, for the tests that must cover them all."""

import inspect

from sklearn.base import BaseEstimator

import sklearn_physgen


def public_estimators():
    """Every ``BaseEstimator`` subclass in ``sklearn_physgen.__all__``, by name."""
    return sorted(
        (
            getattr(sklearn_physgen, name)
            for name in sklearn_physgen.__all__
            if inspect.isclass(getattr(sklearn_physgen, name))
            and issubclass(getattr(sklearn_physgen, name), BaseEstimator)
        ),
        key=lambda cls: cls.__name__,
    )
