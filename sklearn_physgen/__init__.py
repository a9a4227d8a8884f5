"""sklearn_physgen: scikit-learn compatible deep generative models and
semi-supervised anomaly detectors for physics data."""

from . import datasets, metrics
from ._autoencoders import Autoencoder, VariationalAutoencoder
from ._base import TrainingDivergedError
from ._compose import TransformedGenerator
from ._deep_svdd import DeepSVDD
from ._flows import NormalizingFlow
from ._gan import GAN
from ._one_plus_epsilon import FitHealthWarning, OnePlusEpsilonDetector
from ._one_plus_epsilon_classifier import OnePlusEpsilonClassifier
from ._onnx import export_onnx
from ._weights import cell_resample_weights

__version__ = "0.1.0.dev0"

__all__ = [
    "GAN",
    "Autoencoder",
    "DeepSVDD",
    "FitHealthWarning",
    "NormalizingFlow",
    "OnePlusEpsilonClassifier",
    "OnePlusEpsilonDetector",
    "TrainingDivergedError",
    "TransformedGenerator",
    "VariationalAutoencoder",
    "__version__",
    "cell_resample_weights",
    "datasets",
    "export_onnx",
    "metrics",
]
