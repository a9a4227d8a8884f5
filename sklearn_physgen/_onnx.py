"""Export of fitted estimators' inference paths to ONNX."""

import copy
import os
import tempfile

import numpy as np
import torch
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ._autoencoders import Autoencoder, VariationalAutoencoder
from ._base import BatchStandardizer
from ._deep_svdd import DeepSVDD
from ._flows import NormalizingFlow
from ._gan import GAN
from ._one_plus_epsilon import OUTSIDE_BOX_SLOPE, OnePlusEpsilonDetector


def _float32(values):
    return torch.as_tensor(np.asarray(values, dtype=np.float32))


class _Unstandardize(torch.nn.Module):
    def __init__(self, scaler):
        super().__init__()
        self.standardizer = BatchStandardizer(scaler)

    def forward(self, x):
        return self.standardizer.inverse(x)


class _ReconstructionScore(torch.nn.Module):
    """``Autoencoder.score_samples``: minus the mean squared reconstruction error."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return -((self.network(x) - x) ** 2).mean(dim=1)


class _Encode(torch.nn.Module):
    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        codes = self.network.encode(x)
        return codes[0] if isinstance(codes, tuple) else codes  # the VAE: (mean, log_var)


class _SVDDScore(torch.nn.Module):
    def __init__(self, network):
        super().__init__()
        self.network = network

    def forward(self, x):
        return -self.network.squared_distance(x)


class _BoxedLogits(torch.nn.Module):
    """``OnePlusEpsilonDetector.score_samples``: ``g`` of the point clipped to
    the sampling box, minus a steep slope times its distance to the box."""

    def __init__(self, network, low, high):
        super().__init__()
        self.network = network
        self.register_buffer("low", _float32(low))
        self.register_buffer("high", _float32(high))
        self.register_buffer("width", _float32(np.where(high > low, high - low, 1.0)))

    def forward(self, x):
        clipped = torch.minimum(torch.maximum(x, self.low), self.high)
        logits = self.network(clipped)[:, 0]
        distance = (((x - clipped) / self.width) ** 2).sum(dim=1).sqrt()
        return logits - OUTSIDE_BOX_SLOPE * distance


class _FlowLogDensity(torch.nn.Module):
    """``NormalizingFlow.score_samples``: the log-density in the data's units,
    the flow's on the standardised features plus the scaling's log-Jacobian."""

    def __init__(self, network, scaler):
        super().__init__()
        self.network = network
        self.standardize = BatchStandardizer(scaler)
        self.log_jacobian = float(np.log(scaler.scale_).sum())

    def forward(self, x):
        return self.network.log_prob(self.standardize(x)) - self.log_jacobian


class _OneHot(torch.nn.Module):
    """A fitted ``OneHotEncoder`` on numeric categories."""

    def __init__(self, encoder):
        super().__init__()
        self.n_columns = len(encoder.categories_)
        for j, categories in enumerate(encoder.categories_):
            self.register_buffer(f"categories_{j}", _float32(categories))

    def forward(self, c):
        return torch.cat(
            [(c[:, j : j + 1] == getattr(self, f"categories_{j}")).to(c.dtype)
             for j in range(self.n_columns)],
            dim=1,
        )


def _condition_encoder(estimator):
    encoder = estimator.condition_encoder_
    if isinstance(encoder, StandardScaler):
        return BatchStandardizer(encoder)
    if not all(np.asarray(c).dtype.kind in "biuf" for c in encoder.categories_):
        raise NotImplementedError(
            "Exporting a GAN conditioned on non-numeric categories is not "
            "supported: an ONNX graph takes numbers. Encode the categories as "
            "integers before fitting."
        )
    return _OneHot(encoder)


class _ConditionalGenerator(torch.nn.Module):
    """``GAN.sample`` of a conditional GAN: noise and raw conditions in."""

    def __init__(self, generator, encode_conditions, unscale):
        super().__init__()
        self.generator = generator
        self.encode_conditions = encode_conditions
        self.unscale = unscale

    def forward(self, z, c):
        return self.unscale(self.generator(torch.cat([z, self.encode_conditions(c)], dim=1)))


class _Shift(torch.nn.Module):
    def __init__(self, scores, offset):
        super().__init__()
        self.scores = scores
        self.offset = float(offset)

    def forward(self, x):
        return self.scores(x) - self.offset


def _scoring_module(estimator, method):
    if method not in ("score_samples", "decision_function", "transform", "sample"):
        raise ValueError(
            f"method must be 'score_samples', 'decision_function', 'transform' or "
            f"'sample', got {method!r}."
        )
    name = type(estimator).__name__
    if method == "sample" and isinstance(estimator, GAN) and estimator.n_conditions_:
        return _ConditionalGenerator(estimator.generator_, _condition_encoder(estimator),
                                     _Unstandardize(estimator.scaler_))
    if getattr(estimator, "n_conditions_", 0):
        raise NotImplementedError(
            f"Exporting {method} of a conditional {name} is not supported (only "
            "a conditional GAN's sample is): its conditions are encoded outside "
            "the network."
        )
    if method == "transform":
        if not isinstance(estimator, (Autoencoder, VariationalAutoencoder)):
            raise ValueError(
                f"Exporting transform is supported for Autoencoder and "
                f"VariationalAutoencoder, not {name}."
            )
        return _Encode(estimator.module_)  # the VAE's encode: posterior means
    if method == "sample":
        if not isinstance(estimator, GAN):
            raise ValueError(
                f"Exporting sample is supported for GAN (noise in, events out), "
                f"not {name}."
            )
        return torch.nn.Sequential(estimator.generator_, _Unstandardize(estimator.scaler_))
    if isinstance(estimator, Autoencoder):
        scores = _ReconstructionScore(estimator.module_)
    elif isinstance(estimator, DeepSVDD):
        scores = _SVDDScore(estimator.module_)
    elif isinstance(estimator, OnePlusEpsilonDetector):
        scores = _BoxedLogits(estimator.module_, estimator.box_low_, estimator.box_high_)
    elif isinstance(estimator, NormalizingFlow):
        scores = _FlowLogDensity(estimator.module_, estimator.scaler_)
    elif isinstance(estimator, VariationalAutoencoder):
        raise NotImplementedError(
            "VariationalAutoencoder.score_samples is a Monte Carlo estimate (an "
            "average over random latent draws), which an ONNX graph cannot "
            "reproduce draw for draw; export its transform (the posterior means) "
            "or score with an Autoencoder."
        )
    else:
        raise NotImplementedError(
            f"Exporting {method} of {name} is not supported; supported: the scores "
            "of Autoencoder, DeepSVDD, OnePlusEpsilonDetector and NormalizingFlow, "
            "the transform of the autoencoders and GAN.sample."
        )
    return _Shift(scores, estimator.offset_) if method == "decision_function" else scores


def export_onnx(estimator, path, *, method=None, opset_version=None):
    """Write the inference path of a fitted estimator to an ONNX file.

    The file holds one graph with one float32 input and one output, for any
    number of rows, which ONNX Runtime (Python, C++, C#, Java) and the
    frameworks built on it run without Python or PyTorch: a trigger or an
    offline reconstruction job can then score events with the trained model.

    ============================  ======================  ======================
    estimator                     method                  input -> output
    ============================  ======================  ======================
    ``Autoencoder``               ``score_samples``,      ``X`` -> scores
                                  ``decision_function``
    ``DeepSVDD``                  the same                ``X`` -> scores
    ``OnePlusEpsilonDetector``    the same                ``X`` -> scores
    ``NormalizingFlow``           the same                ``X`` -> log-density
    ``Autoencoder``, ``VAE``      ``transform``           ``X`` -> codes
    ``GAN``                       ``sample``              noise ``Z`` (and
                                                          conditions ``C``) ->
                                                          events
    ============================  ======================  ======================

    Parameters
    ----------
    estimator : estimator or Pipeline
        A fitted estimator from the table, or a fitted ``Pipeline`` whose
        last step is one and whose other steps are ``StandardScaler``: their
        scaling goes into the graph, so the file takes raw features.
    path : str or path-like
        The ``.onnx`` file to write. It is written under a temporary name and
        renamed when complete: an interrupted export leaves no partial file.
    method : str, default=None
        The method to export; by default ``'sample'`` for a GAN,
        ``'transform'`` for a VariationalAutoencoder and ``'score_samples'``
        otherwise.
    opset_version : int, default=None
        ONNX operator set; ``None`` lets torch choose.

    Returns
    -------
    path : str
        The path written.

    Raises
    ------
    NotImplementedError
        For what cannot be exported: the VAE's ``score_samples`` (a Monte
        Carlo average over random draws), conditional models other than a
        GAN's ``sample``, the flow's ``sample``
        and ``transform`` (not tried), and the gradient-boosting
        ``OnePlusEpsilonClassifier`` (not a torch network; scikit-learn models
        go through ``skl2onnx``).
    ValueError
        For a method the estimator does not have.
    TypeError
        For a pipeline step other than ``StandardScaler``.

    Notes
    -----
    The graph computes in float32, as the estimators do; it matches their
    output to about 1e-6 relative (the tests require 1e-5). The export runs
    ``torch.onnx.export`` (its ``torch.export``-based exporter, which needs
    the ``onnxscript`` package: ``pip install 'sklearn_physgen[onnx]'``).
    ``GAN.sample`` in the graph takes the noise as input: draw it from
    ``N(0, 1)`` with shape ``(n_events, latent_dim)`` on the side of the
    consumer. A conditional GAN's graph has a second input ``C``, the raw
    conditions of each event (one row per event), encoded in the graph as in
    ``fit`` (standardised, or one-hot on numeric categories).

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> from sklearn_physgen import Autoencoder, export_onnx
    >>> X = np.random.RandomState(0).normal(size=(200, 4)).astype(np.float32)
    >>> model = Autoencoder(max_epochs=2, random_state=0).fit(X)
    >>> path = export_onnx(model, os.path.join(tempfile.mkdtemp(), "ae.onnx"))
    >>> import onnxruntime
    >>> session = onnxruntime.InferenceSession(path)
    >>> scores = session.run(None, {"X": X})[0]
    >>> bool(np.allclose(scores, model.score_samples(X), rtol=1e-5, atol=1e-6))
    True
    >>> import shutil; shutil.rmtree(os.path.dirname(path))
    """
    scalers = []
    if isinstance(estimator, Pipeline):
        *transformers, (_, estimator) = estimator.steps
        for step_name, step in transformers:
            if not isinstance(step, StandardScaler):
                raise TypeError(
                    f"Pipeline step {step_name!r} is a {type(step).__name__}; only "
                    "StandardScaler steps can go into the ONNX graph before the model."
                )
            check_is_fitted(step)
            scalers.append(BatchStandardizer(step))
    check_is_fitted(estimator)
    if method is None:
        method = ("sample" if isinstance(estimator, GAN)
                  else "transform" if isinstance(estimator, VariationalAutoencoder)
                  else "score_samples")
    module = _scoring_module(estimator, method)
    rows = torch.export.Dim("n_rows")
    if method == "sample":
        if scalers:
            raise ValueError("A pipeline's scalers cannot precede GAN.sample.")
        examples = (torch.zeros(3, estimator.latent_dim),)
        input_names, output_name = ["Z"], "X"
        if estimator.n_conditions_:
            n_raw = estimator.condition_encoder_.n_features_in_
            examples += (torch.zeros(3, n_raw),)
            input_names.append("C")
    else:
        module = torch.nn.Sequential(*scalers, module)
        examples = (torch.zeros(3, estimator.n_features_in_),)
        input_names = ["X"]
        output_name = "codes" if method == "transform" else "scores"
    # a copy: exporting must not move a GPU-trained estimator's networks
    module = copy.deepcopy(module).cpu().eval()

    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(suffix=".onnx.tmp", dir=directory)
    os.close(handle)
    try:
        with torch.no_grad():
            torch.onnx.export(
                module, examples, temporary,
                input_names=input_names, output_names=[output_name],
                dynamic_shapes=tuple({0: rows} for _ in examples),
                opset_version=opset_version, dynamo=True, verbose=False,
            )
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path
