"""Shared machinery of every torch-backed estimator in sklearn_physgen.

Each public estimator is a scikit-learn estimator on the outside and a skorch
net on the inside.  This module holds what they all need, written once:

- input validation with scikit-learn's ``validate_data`` and clear errors;
- resolution of ``random_state`` and ``device`` inside ``fit`` only, with the
  global NumPy / torch random state left untouched;
- a skorch :class:`~skorch.NeuralNet` that batches from in-memory tensors
  instead of a per-sample ``DataLoader`` and whose loss is a criterion called
  as ``criterion(module, X_batch, y_batch, weight_batch)``;
- event weights (``sample_weight``): validation, per-row loss weights or
  weighted resampling of the mini-batches, weighted quantiles for
  ``offset_``;
- callbacks for early stopping, a tqdm progress bar and a divergence guard;
- batched inference, CPU-safe pickling, and the outlier-detector conventions
  of scikit-learn (``score_samples`` higher = more normal,
  ``decision_function = score_samples - offset_``, ``predict`` in {-1, +1}).
"""

import contextlib
import copy
import functools
import itertools
import math
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from skorch.utils import TeeGenerator

#: Rows per forward pass at prediction time: every block has exactly this
#: many rows (see ``BaseTorchEstimator._map_batches``).
INFERENCE_BATCH_SIZE = 1024

ACTIVATIONS = {
    "identity": torch.nn.Identity,
    "logistic": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "elu": torch.nn.ELU,
    "gelu": torch.nn.GELU,
    "leaky_relu": torch.nn.LeakyReLU,
}


class TrainingDivergedError(FloatingPointError):
    """Raised when the training loss of an estimator becomes NaN or infinite."""


# ----------------------------------------------------------------------------
# Small building blocks
# ----------------------------------------------------------------------------


def make_mlp(layer_sizes, activation="relu", bias=True):
    """Fully connected network ``layer_sizes[0] -> ... -> layer_sizes[-1]``.

    ``activation`` follows every layer but the last one, which stays linear.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(layer_sizes)):
        layers.append(torch.nn.Linear(n_in, n_out, bias=bias))
        if i < len(layer_sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*layers)


def check_layer_sizes(sizes, name="hidden_layer_sizes"):
    """The hidden layer widths ``sizes`` as a list of positive ints, or a ValueError."""
    values = np.atleast_1d(np.asarray(sizes, dtype=object))
    if values.ndim != 1 or not all(
        isinstance(v, (Integral, np.integer, Real)) and not isinstance(v, bool)
        and float(v).is_integer() and v >= 1
        for v in values
    ):
        raise ValueError(f"{name} must hold positive integers, got {sizes!r}.")
    return [int(v) for v in values]


def build_user_module(spec, name, n_inputs=None, n_outputs=None):
    """A fresh copy of a user-supplied module, checked against its expected shape.

    ``spec`` is either a ``torch.nn.Module`` instance, deep-copied so that the
    estimator parameter is never trained in place (a pre-trained module keeps
    its weights as a starting point), or a zero-argument callable such as a
    module class or ``functools.partial``, called under the estimator's seeded
    random state so that ``random_state`` controls the initial weights.

    With ``n_inputs`` and ``n_outputs`` the module is run once on a batch of
    zeros of shape ``(2, n_inputs)`` and must return ``(2, n_outputs)``;
    anything else is a ``ValueError`` naming the shape the estimator needs,
    instead of a torch shape error in the middle of training.
    """
    if isinstance(spec, torch.nn.Module):
        module = copy.deepcopy(spec)
    else:
        module = spec()
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"{name} must be a torch.nn.Module or a callable returning one; "
                f"calling it returned {type(module).__name__}."
            )
    if n_inputs is not None:
        check_module_shape(module, n_inputs, n_outputs, name)
    return module


def check_module_shape(module, n_inputs, n_outputs, name):
    """Run ``module`` on a dummy batch; a clear ValueError unless it maps
    ``(batch, n_inputs)`` to ``(batch, n_outputs)``."""
    parameter = next(itertools.chain(module.parameters(), module.buffers()), None)
    device = "cpu" if parameter is None else parameter.device
    expected = f"(batch, {n_inputs}) to (batch, {n_outputs})"
    try:
        with torch.no_grad():
            out = module(torch.zeros(2, n_inputs, device=device))
    except Exception as exc:
        raise ValueError(
            f"The {name} must map a float32 batch of shape {expected}; on a "
            f"batch of shape (2, {n_inputs}) it raised {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (2, n_outputs):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(
            f"The {name} must map a batch of shape {expected}; on (2, {n_inputs}) "
            f"it returned {shape}."
        )


def resolve_device(device):
    """Turn the ``device`` parameter into a concrete torch device string."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'cpu', 'cuda', "
            "'cuda:<index>' or 'auto'."
        ) from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='cpu' or device='auto'."
        )
    return str(resolved)


@functools.cache
def adam_implementation(device):
    """Fastest Adam implementation torch offers on ``device``.

    The fused kernel updates all parameters of a tensor in one call, instead
    of about ten elementwise ops per tensor; on a small MLP that is ~1.5x the
    training throughput of the default implementation on a CPU. Older torch
    builds without it fall back to ``foreach``.
    """
    probe = torch.zeros(1, device=device, requires_grad=True)
    try:
        torch.optim.Adam([probe], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return {"foreach": True}
    return {"fused": True}


def update_moving_average(average, module, decay, n_updates):
    """Move the weights of ``average`` towards those of ``module``, in place.

    An exponential moving average of the weights (Polyak averaging), with
    the warm-up of TensorFlow's ``ExponentialMovingAverage``: the decay used
    is ``min(decay, (1 + n) / (10 + n))`` after ``n`` updates, so early
    averages forget the random initialisation quickly. Buffers that are not
    floating point are copied.
    """
    decay = min(decay, (1 + n_updates) / (10 + n_updates))
    targets, sources = [], []
    with torch.no_grad():
        averaged = itertools.chain(average.parameters(), average.buffers())
        current = itertools.chain(module.parameters(), module.buffers())
        for target, source in zip(averaged, current):
            if target.dtype.is_floating_point:
                targets.append(target)
                sources.append(source)
            else:
                target.copy_(source)
        # one fused call for all tensors instead of one small kernel each
        torch._foreach_lerp_(targets, sources, 1 - decay)


def inner_step(optimizer, loss, parameters):
    """One step of a criterion's own ``optimizer`` on ``loss``.

    A criterion that trains a second network (a GAN's discriminator, the
    (1+eps) generator sampler) steps it inside the skorch training step of
    the main module. The gradients of ``loss`` are taken with respect to
    ``parameters`` only (``torch.autograd.grad``), so nothing accumulates
    in the ``.grad`` of the main module, which skorch's optimizer steps.
    """
    gradients = torch.autograd.grad(loss, parameters)
    for parameter, gradient in zip(parameters, gradients):
        parameter.grad = gradient
    optimizer.step()


class MovingAverageCallback(Callback):
    """After every training step, ``net.module_.update_average()``."""

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            net.module_.update_average()


def _flushing_denormals():
    # torch has a setter but no getter: a subnormal float32 times one is
    # zero exactly when the CPU flushes subnormals
    return bool((torch.tensor([1e-40]) * 1.0).item() == 0.0)


@contextlib.contextmanager
def flushed_denormals(device):
    """Treat subnormal floats as zero on the CPU while training, then restore.

    Long CPU trainings can fill a network's weights, Adam's moment estimates
    or activations with subnormal numbers (ReLU units that stopped
    receiving gradient decay towards zero through them), and arithmetic on
    subnormals is many times slower on x86 (``benchmarks/bench_subnormals.py``
    and the benchmarks page measure it). Values below 1.2e-38 change a
    float32 network by nothing measurable.
    """
    if torch.device(device).type != "cpu":
        yield
        return
    before = _flushing_denormals()
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(before)


@contextlib.contextmanager
def seeded_torch(seed, device="cpu"):
    """Seed torch's global RNG for the block and restore it afterwards.

    torch initialises layers and draws dropout / reparameterisation noise from
    its global generator; forking it keeps ``fit`` repeatable for a given seed
    without changing the random state the user's own code sees.
    """
    device = torch.device(device)
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# ----------------------------------------------------------------------------
# In-memory batching for skorch
# ----------------------------------------------------------------------------


class InMemoryDataset(torch.utils.data.Dataset):
    """Training rows ``X`` (with ``y`` and per-row ``weight``, or ``None``), or a subset.

    A subset (``indices``) is a view: it keeps the row indices, not a copy of
    the rows, so a validation split costs 8 bytes per row instead of a second
    copy of the data set. ``weight`` is a float tensor as long as ``X``.
    """

    def __init__(self, X, y=None, indices=None, transform=None, weight=None):
        self.X = X
        self.y = y
        self.indices = indices
        self.transform = transform
        self.weight = weight

    def __len__(self):
        return len(self.X) if self.indices is None else len(self.indices)

    def take(self, positions, weighted=True):
        """``(X_rows, y_rows, weight_rows)`` at ``positions`` (a slice or index
        tensor) of this set, with ``transform`` applied to the rows of ``X``;
        ``weight_rows`` is ``None`` without weights or with ``weighted=False``."""
        if self.indices is not None:
            positions = self.indices[positions]
        if isinstance(positions, torch.Tensor):
            positions = positions.to(self.X.device)
        rows = self.X[positions]
        if self.transform is not None:
            rows = self.transform(rows)
        y = None if self.y is None else self.y[positions]
        weight = None if self.weight is None or not weighted else self.weight[positions]
        return rows, y, weight

    def __getitem__(self, index):
        return self.take(index)

    def row_weights(self):
        """The weights of this set's rows (a view's own), or ``None``."""
        if self.weight is None or self.indices is None:
            return self.weight
        return self.weight[self.indices.to(self.weight.device)]

    def subset(self, indices):
        indices = torch.as_tensor(indices)
        if self.indices is not None:
            indices = self.indices[indices]
        return InMemoryDataset(self.X, self.y, indices, self.transform, self.weight)


class BatchStandardizer(torch.nn.Module):
    """A fitted ``StandardScaler``'s ``transform``, applied to torch batches.

    ``(rows - mean) / scale`` in float32, the operations scikit-learn's
    ``transform`` runs on a float32 array, so a batch standardised here is
    bit for bit the same rows of the standardised array. Training applies it
    to mini-batches of shared data; the ONNX export puts it in the graph.
    """

    def __init__(self, scaler):
        super().__init__()
        n_features = scaler.n_features_in_
        mean = scaler.mean_ if scaler.with_mean else np.zeros(n_features)
        scale = scaler.scale_ if scaler.with_std else np.ones(n_features)
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, rows):
        if self.mean.device != rows.device:
            self.to(rows.device)
        return (rows - self.mean) / self.scale

    def inverse(self, rows):
        """``rows * scale + mean``: back to the data's units."""
        return rows * self.scale + self.mean


def standardized_training_data(X, scaler):
    """What to train on for the standardised ``X``: ``(rows, batch_transform)``.

    Float32 C-ordered ``X`` (a memory-mapped data set, say) is shared by
    training (see ``BaseTorchEstimator._training_tensor``), so it is
    standardised batch by batch instead of in a full-size copy. Any other
    ``X`` needs a converted copy anyway, and that copy is the standardised
    one.
    """
    if isinstance(X, np.ndarray) and X.dtype == np.float32 and X.flags.c_contiguous:
        return X, BatchStandardizer(scaler)
    return scaler.transform(X).astype(np.float32, copy=False), None


class TensorBatchIterator:
    """Mini-batches ``(X_batch, y_batch, weight_batch)`` by indexing whole tensors.

    One tensor index per batch replaces the per-sample ``__getitem__`` and
    collate calls of a ``DataLoader``, which dominate the cost of training a
    small network on tabular data.

    With ``resample=True`` and a weighted dataset, an epoch is ``len(dataset)``
    rows drawn with replacement with probability proportional to their
    weights, and the batches carry no weights: the model sees the weighted
    distribution itself (see :func:`weighted_draws`).
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, resample=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.resample = resample

    def __len__(self):
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        n_samples = len(self.dataset)
        weights = self.dataset.row_weights() if self.resample else None
        if weights is not None:
            order = weighted_draws(cumulative_weights(weights), n_samples, self.generator)
            for start in range(0, n_samples, self.batch_size):
                rows = order[start : start + self.batch_size]
                yield self.dataset.take(rows, weighted=False)
        elif self.shuffle:
            order = torch.randperm(n_samples, generator=self.generator)
            for start in range(0, n_samples, self.batch_size):
                yield self.dataset.take(order[start : start + self.batch_size])
        else:
            for start in range(0, n_samples, self.batch_size):
                yield self.dataset.take(slice(start, start + self.batch_size))


def cumulative_weights(weights):
    """The float64 running sum of ``weights`` (a tensor), for :func:`weighted_draws`."""
    return torch.cumsum(weights.detach().to("cpu", torch.float64), 0)


def weighted_draws(cumulative, n_draws, generator=None, device=None):
    """``n_draws`` row indices drawn with replacement, row ``i`` with probability
    ``w_i / sum(w)``, from the running sum ``cumulative`` of the weights.

    Inverse-CDF sampling: a binary search of uniform draws in the running
    sum. Unlike ``torch.multinomial`` it has no limit on the number of rows
    (multinomial takes at most 2**24 categories; full HIGGS has 1.1e7 rows).
    """
    u = torch.rand(n_draws, generator=generator, dtype=torch.float64) * cumulative[-1]
    index = torch.searchsorted(cumulative, u, right=True).clamp_(max=len(cumulative) - 1)
    return index if device is None else index.to(device)


def weighted_mean(values, weight=None):
    """Mean of ``values`` over a batch, each row counted ``weight`` times.

    The weights are normalised to mean 1 over the training set (see
    ``BaseTorchEstimator._fit_net``), so ``mean(weight * values)`` is an
    unbiased estimate of the weighted mean of the whole set and the
    learning rate means the same with or without weights.
    """
    return values.mean() if weight is None else (values * weight).mean()


def check_fit_sample_weight(sample_weight, X):
    """``sample_weight`` of a ``fit`` as float64 of shape ``(n_samples,)``, or None.

    NaN, infinite, wrongly shaped and all-zero weights are a ``ValueError``
    (scikit-learn's ``_check_sample_weight``), and so are negative weights:
    every loss in this package is minimised over a flexible model, and a
    negative weight makes it unbounded below (the model lowers the loss
    without limit by fitting a negative-weight event as badly as it can).
    Equal weights are returned as ``None``, so they give exactly the
    unweighted fit.
    """
    if sample_weight is None:
        return None
    sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64)
    n_negative = int(np.sum(sample_weight < 0))
    if n_negative:
        raise ValueError(
            f"sample_weight has {n_negative} negative value(s) (NLO Monte Carlo "
            "weights, say). The losses these models minimise are unbounded below "
            "with negative weights; make the weights non-negative first, e.g. "
            "with sklearn_physgen.cell_resample_weights, which keeps the "
            "weighted distribution (see the 'Event weights' page of the docs)."
        )
    if np.all(sample_weight == sample_weight[0]):
        return None
    return sample_weight


def weighted_percentile(values, percentiles, weights=None):
    """Percentiles of ``values``, each counted ``weights`` times.

    Without weights, or with equal ones, ``np.percentile`` (linear
    interpolation). With weights, the inverted empirical CDF: the smallest
    value whose cumulative weight reaches the percentile, which with integer
    weights is exactly that of the rows repeated (``method='inverted_cdf'``).
    """
    if weights is None or np.all(weights == weights[0]):
        return np.percentile(values, percentiles)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    targets = np.asarray(percentiles, dtype=float) / 100.0 * cumulative[-1]
    index = np.searchsorted(cumulative, targets, side="left")
    return values[order][np.minimum(index, len(values) - 1)]


class RandomSplit:
    """skorch ``train_split``: hold out a random ``fraction`` for validation."""

    def __init__(self, fraction, seed):
        self.fraction = fraction
        self.seed = seed

    def __call__(self, dataset, y=None, **fit_params):
        n_samples = len(dataset)
        n_valid = max(1, round(self.fraction * n_samples))
        if n_valid >= n_samples:
            raise ValueError(
                f"validation_fraction={self.fraction} leaves no training sample "
                f"out of {n_samples}; lower it or pass more samples."
            )
        order = np.random.RandomState(self.seed).permutation(n_samples)
        return dataset.subset(order[n_valid:]), dataset.subset(order[:n_valid])


class PhysgenNet(NeuralNet):
    """skorch net whose criterion computes the whole training objective.

    The criterion is called as ``criterion_(module_, X_batch, y_batch,
    weight_batch)`` and returns a scalar loss (``weight_batch`` is ``None``
    for unweighted data, else the rows' weights, see :func:`weighted_mean`),
    so a model's objective (reconstruction error, an ELBO, an adversarial or
    (1+eps) loss) lives in one small ``torch.nn.Module`` next to the network
    it trains.
    """

    def get_all_learnable_params(self):
        # Only the module: a criterion with parameters trains them itself.
        yield from self.module_.named_parameters()

    def _set_training(self, training=True):
        # skorch calls this every batch; walking the module tree each time
        # costs ~10 % of a small MLP's step, so only switch when needed.
        if self.module_.training is training and self.criterion_.training is training:
            return
        super()._set_training(training)

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        loss = self.criterion_(self.module_, *batch)
        loss.backward()
        return {"loss": loss, "y_pred": None}

    def train_step(self, batch, **fit_params):
        # skorch's version wraps this in an optimizer closure for LBFGS-style
        # optimizers; Adam needs none, and the closure costs time every batch.
        self.optimizer_.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        listeners = self._listeners("on_grad_computed")
        if listeners:
            named_parameters = TeeGenerator(self.get_all_learnable_params())
            for callback in listeners:
                callback.on_grad_computed(
                    self, named_parameters=named_parameters, batch=batch, training=True
                )
        self.optimizer_.step()
        return step

    def _listeners(self, event):
        """The callbacks that override ``event`` (skorch calls them all)."""
        return [
            callback
            for _, callback in self.callbacks_
            if getattr(type(callback), event) is not getattr(Callback, event)
        ]

    def _accumulator_dtype(self):
        # float64 where the device has it (Apple's MPS does not)
        return torch.float32 if torch.device(self.device).type == "mps" else torch.float64

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """One pass over ``iterator``, with the bookkeeping of a bare loop.

        skorch's own loop records two history entries per batch, reads the
        loss back with ``.item()`` (a device synchronisation on a GPU) and
        calls every callback three times per batch; on a small network that
        costs ~10 % of the step. Here the epoch's mean loss is summed on the
        device and read once, and only the callbacks that override a batch
        event hear of it. The history holds what skorch's would at the epoch
        level (``{prefix}_loss``, ``{prefix}_batch_count``); a callback that
        reads per-batch history entries gets skorch's loop by setting the
        class attribute ``needs_batch_history = True``.
        """
        if iterator is None:
            return
        if any(getattr(callback, "needs_batch_history", False)
               for _, callback in self.callbacks_):
            return super().run_single_epoch(iterator, training, prefix, step_fn,
                                            **fit_params)
        begin, end = self._listeners("on_batch_begin"), self._listeners("on_batch_end")
        # One accumulator, added to in place: keeping each batch's loss
        # tensor instead would pin a small allocation per batch between the
        # batches' large ones, and the heap would grow with the epoch.
        # With weights a batch's loss is mean(weight * loss) over its n rows,
        # so n * loss summed over the batches, divided by the summed weights,
        # is the epoch's weighted mean loss.
        total = torch.zeros((), dtype=self._accumulator_dtype(), device=self.device)
        total_weight = torch.zeros_like(total)
        n_rows = n_batches = 0
        for batch in iterator:
            for callback in begin:
                callback.on_batch_begin(self, batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            n = len(batch[0])
            total.add_(step["loss"].detach(), alpha=n)
            if batch[2] is not None:
                total_weight.add_(batch[2].sum())
            n_rows += n
            n_batches += 1
            for callback in end:
                callback.on_batch_end(self, batch=batch, training=training, **step)
        self.history.record(prefix + "_batch_count", n_batches)
        if n_batches:
            weight = float(total_weight)
            loss = float(total) / (weight if weight > 0 else n_rows)
            key = prefix + "_loss"
            earlier = [row[key] for row in self.history[:-1] if key in row]
            is_best = not earlier or loss < min(earlier)
            self.history.record(key, loss)
            self.history.record(prefix + "_loss_best", bool(is_best))

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        with torch.no_grad():
            loss = self.criterion_(self.module_, *batch)
        return {"loss": loss, "y_pred": None}

    def __getstate__(self):
        # skorch pickles the attributes named by these prefixes apart, so that
        # their tensors are mapped to the available device on loading. Besides
        # module_ and criterion_, the `module` and `criterion` arguments (the
        # same instances) and the callbacks (early stopping's best weights, the
        # validation anomalies) hold tensors on the training device.
        registered = self.__dict__.get("cuda_dependent_attributes_", [])
        self.cuda_dependent_attributes_ = [*registered, "module", "criterion", "callbacks"]
        try:
            state = super().__getstate__()
        finally:
            self.cuda_dependent_attributes_ = registered
        state["cuda_dependent_attributes_"] = registered
        return state

    def __setstate__(self, state):
        # A net trained on a GPU loads onto the CPU of a machine without one.
        if torch.device(state["device"]).type == "cuda" and not torch.cuda.is_available():
            state["device"] = "cpu"
        super().__setstate__(state)


class DivergenceGuard(Callback):
    """Stop training with a clear error as soon as an epoch's loss is not finite."""

    def __init__(self, estimator_name):
        self.estimator_name = estimator_name

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            if key in row and not np.isfinite(row[key]):
                raise TrainingDivergedError(
                    f"{self.estimator_name} training diverged at epoch "
                    f"{row['epoch']}: {key} is {row[key]}. Lower learning_rate, "
                    "standardise the features (e.g. StandardScaler) or check the "
                    "input for extreme values."
                )


class EpochProgressBar(Callback):
    """One tqdm bar per ``fit``, advancing once per epoch with the losses."""

    def __init__(self, total, desc):
        self.total = total
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=self.total, desc=self.desc, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix(
            {k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row},
            refresh=False,
        )
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        self.bar_ = None  # a finished bar is of no use, and tqdm does not pickle


# ----------------------------------------------------------------------------
# The estimator base
# ----------------------------------------------------------------------------


class BaseTorchEstimator(BaseEstimator):
    """Base class of every torch-backed estimator.

    Subclasses list their hyperparameters in ``__init__`` (storing them and
    nothing else), extend ``_parameter_constraints``, and implement

    - ``_build_module(X)``: the network to train, a ``torch.nn.Module``
      (``X`` is the training data, for data-dependent initialisation);
    - ``_build_criterion(X, **criterion_data)``: a ``torch.nn.Module`` whose
      ``forward(module, X_batch, y_batch)`` returns the scalar training loss.
      Data that every step draws from apart from the mini-batch (known
      anomalies, say) reaches it through ``criterion_data``. Parameters of the
      criterion (a jointly trained sampler) are optimised by the criterion
      itself; skorch's optimizer updates the module only.

    ``fit`` then calls :meth:`_validate_fit_data` and :meth:`_fit_net`, which
    train through skorch and set ``net_``, ``history_``, ``loss_curve_``,
    ``validation_loss_curve_``, ``n_iter_`` and ``device_``.
    """

    _parameter_constraints = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "callbacks": [list, None],
        "random_state": ["random_state"],
        "device": [str, torch.device],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
    }

    #: Rows per inference block. A subclass whose forward pass costs much
    #: per row (a spline flow) may lower it, so that scoring a single row
    #: does not pay for a large padded block.
    _inference_batch_size = INFERENCE_BATCH_SIZE

    # -- hyperparameters -----------------------------------------------------

    def _validate_params(self):
        """scikit-learn's constraint check, plus what constraints cannot say.

        Every ``*hidden_layer_sizes`` must hold positive integers (``(16, 0)``
        or ``(16.7,)`` would build a degenerate or silently truncated
        network), and early stopping needs a validation split.
        """
        super()._validate_params()
        params = self.get_params(deep=False)
        for name, value in params.items():
            if name.endswith("hidden_layer_sizes"):
                check_layer_sizes(value, name)
        if params.get("early_stopping") and params.get("validation_fraction") == 0:
            raise ValueError(
                "early_stopping=True needs held-out data: validation_fraction must "
                "be in (0, 1), got 0. Use early_stopping=False to train on all "
                "samples."
            )

    # -- input ---------------------------------------------------------------

    def _validate_fit_data(self, X):
        """Validate training data and record ``n_features_in_``.

        The result is C-ordered: NumPy's reductions (the scalers' means and
        variances) and torch's matrix products may round differently on a
        Fortran-ordered array, and the fit must not depend on the layout.
        """
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], order="C", ensure_min_samples=2
        )
        return _check_float32_range(X)

    def _validate_predict_data(self, X):
        """Validate data at prediction time against the fitted input."""
        check_is_fitted(self)
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], order="C", reset=False
        )
        return _check_float32_range(X)

    # -- training ------------------------------------------------------------

    #: How event weights reach the loss: ``False``, each batch carries its
    #: rows' weights to the criterion (a weighted loss); ``True``, batches are
    #: drawn with probability proportional to the weights and carry none (for
    #: a loss with no per-row terms to weight, like a GAN's).
    _resample_weighted_batches = False

    def _fit_net(self, X, y=None, *, rows=None, transform=None, sample_weight=None,
                 module_data=None, callback_data=None, **criterion_data):
        """Train a fresh module on ``X`` (and optional ``y``) through skorch.

        ``rows`` (indices) trains on those rows of ``X`` only, without copying
        them out of a large ``X``; ``transform`` (a function of a tensor of
        rows) is applied to every mini-batch of ``X``, e.g. a
        :class:`BatchStandardizer` from :func:`standardized_training_data`.
        ``sample_weight`` (from :func:`check_fit_sample_weight`, as long as
        ``X``) weights the rows, normalised to mean 1 over the rows trained
        on; the validation split keeps its rows' weights, so the validation
        loss is weighted too.

        ``module_data``, a dict, goes to ``_build_module(X, **module_data)``,
        ``criterion_data`` to ``_build_criterion(X, **criterion_data)``;
        ``callback_data``, a dict, to ``_extra_callbacks(**callback_data)`` and
        ``_early_stopping_target(**callback_data)``: data the training
        callbacks need apart from the training set (held-out known anomalies
        for a validation score, say).
        """
        rng = check_random_state(self.random_state)
        self.device_ = resolve_device(self.device)
        early_stopping = getattr(self, "early_stopping", False)
        torch_seed = int(rng.randint(np.iinfo(np.int32).max))
        split_seed = int(rng.randint(np.iinfo(np.int32).max))

        with seeded_torch(torch_seed, self.device_):
            module = self._build_module(X, **(module_data or {}))
            criterion = self._build_criterion(X, **criterion_data)
            dataset = InMemoryDataset(
                self._training_tensor(X),
                None if y is None else torch.as_tensor(y, device=self.device_),
                None if rows is None else torch.as_tensor(rows),
                transform,
                self._weight_tensor(sample_weight, rows),
            )
            net = PhysgenNet(
                module=module,
                criterion=criterion,
                optimizer=torch.optim.Adam,
                **{
                    f"optimizer__{key}": value
                    for key, value in self._optimizer_options().items()
                },
                lr=self.learning_rate,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                dataset=InMemoryDataset,
                iterator_train=functools.partial(
                    TensorBatchIterator,
                    shuffle=True,
                    generator=torch.Generator().manual_seed(torch_seed),
                    resample=self._resample_weighted_batches,
                ),
                iterator_valid=TensorBatchIterator,
                train_split=(
                    RandomSplit(self.validation_fraction, split_seed)
                    if early_stopping
                    else None
                ),
                callbacks=self._training_callbacks(**(callback_data or {})),
                verbose=int(self.verbose >= 2),
                device=self.device_,
            )
            with flushed_denormals(self.device_):
                net.fit(dataset, None)

        # What training drew from besides the mini-batches (known anomalies,
        # real batches for extra critic steps, held-out anomalies) is not
        # part of the model: it must not travel in every pickle of it.
        for part in (net.criterion_, *(callback for _, callback in net.callbacks_)):
            release = getattr(part, "release_training_data", None)
            if release is not None:
                release()
        self.net_ = net
        self.history_ = net.history
        self.loss_curve_ = np.asarray(net.history[:, "train_loss"], dtype=float)
        self.validation_loss_curve_ = (
            np.asarray(net.history[:, "valid_loss"], dtype=float)
            if early_stopping
            else None
        )
        self.n_iter_ = len(net.history)
        return net

    def _weight_tensor(self, sample_weight, rows=None):
        """``sample_weight`` as a float32 tensor on the device, with mean 1 over
        ``rows`` (all rows by default), or ``None`` without weights."""
        if sample_weight is None:
            return None
        used = sample_weight if rows is None else sample_weight[rows]
        if not used.sum() > 0:
            raise ValueError("sample_weight is zero on every sample the model trains on.")
        normalised = sample_weight / used.mean()
        return torch.as_tensor(normalised, dtype=torch.float32, device=self.device_)

    def _optimizer_options(self):
        """Keyword arguments of the module's Adam optimizer."""
        return {
            "weight_decay": getattr(self, "weight_decay", 0.0),
            **adam_implementation(self.device_),
        }

    def _extra_callbacks(self, **callback_data):
        """Estimator-specific skorch callbacks, as ``(name, callback)`` pairs.

        ``callback_data`` is what ``fit`` passed to :meth:`_fit_net` as
        ``callback_data``; subclasses that pass none may omit it.
        """
        return []

    def _early_stopping_target(self, **callback_data):
        """History key early stopping watches, and whether lower is better."""
        return "valid_loss", True

    def _training_callbacks(self, **callback_data):
        name = type(self).__name__
        callbacks = [
            ("divergence_guard", DivergenceGuard(name)),
            *self._extra_callbacks(**callback_data),
        ]
        if getattr(self, "early_stopping", False):
            monitor, lower_is_better = self._early_stopping_target(**callback_data)
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor=monitor,
                        lower_is_better=lower_is_better,
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="abs",
                        load_best=True,
                    ),
                )
            )
        if self.verbose == 1:
            callbacks.append(("progress_bar", EpochProgressBar(self.max_epochs, name)))
        callbacks.extend(copy.deepcopy(self.callbacks or []))
        return callbacks

    # -- inference -----------------------------------------------------------

    @property
    def module_(self):
        """The trained ``torch.nn.Module`` (``net_.module_``)."""
        return self.net_.module_

    def _to_tensor(self, X):
        # torch.tensor copies, so read-only inputs (memmaps) are safe.
        return torch.tensor(X, dtype=torch.float32, device=self.device_)

    def _training_tensor(self, X):
        """``X`` as the float32 tensor training indexes into, without a copy
        where possible.

        Float32 C-ordered rows on the CPU (a memory-mapped file from
        ``fetch_higgs`` included) are shared, not copied: mini-batches are
        gathered from them and nothing writes to them, so training needs no
        second copy of the data set. Anything else is converted once.
        """
        if (
            torch.device(self.device_).type == "cpu"
            and isinstance(X, np.ndarray)
            and X.dtype == np.float32
            and X.flags.c_contiguous
        ):
            with warnings.catch_warnings():
                # read-only arrays (memmaps) are never written to
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                return torch.from_numpy(X)
        return self._to_tensor(X)

    def _map_batches(self, function, X, batch_size=None, *, conditions=None, prepare=None):
        """Apply ``function(tensor_batch) -> tensor`` to ``X`` without gradients.

        ``prepare`` (a NumPy function, e.g. a fitted scaler's ``transform``)
        and the encoded ``conditions`` (appended as extra columns) are
        applied block by block, so no method makes a full-size copy of ``X``:
        a memory-mapped data set larger than the memory is scored in
        bounded memory.

        Rows go through ``function`` in blocks of exactly ``batch_size``; the
        last block is padded by repeating its final row and the padding's
        outputs are dropped. A float32 matrix product over a different number
        of rows may round a row's result differently (~1e-7), so with blocks
        of varying size the score of a row would depend on which other rows
        share the call. With a fixed block shape it does not: a subset, a
        permutation or a single row gets bit-identical results.

        The module and criterion are put in evaluation mode; the result is a
        NumPy array in the floating dtype of ``X``.
        """
        batch_size = batch_size or self._inference_batch_size
        self.net_._set_training(False)
        result = None
        with torch.no_grad():
            for start in range(0, X.shape[0], batch_size):
                block = X[start : start + batch_size]
                if prepare is not None:
                    block = prepare(block)
                if conditions is not None:
                    block = append_conditions(block, conditions[start : start + batch_size])
                batch = self._to_tensor(block)
                n_rows = batch.shape[0]
                if n_rows < batch_size:
                    padding = batch[-1:].expand(batch_size - n_rows, *batch.shape[1:])
                    batch = torch.cat([batch, padding])
                output = function(batch)[:n_rows].cpu().numpy()
                if result is None:
                    # one output array, filled block by block: no list of
                    # block tensors (which may pin whole blocks) to join
                    result = np.empty((X.shape[0], *output.shape[1:]), dtype=X.dtype)
                result[start : start + n_rows] = output
        return result

    def __setstate__(self, state):
        device = state.get("device_")
        on_gpu = device is not None and torch.device(device).type == "cuda"
        if on_gpu and not torch.cuda.is_available():
            state["device_"] = "cpu"
        super().__setstate__(state)


class ConditionsMixin:
    """Conditions ``y`` for conditional generators, and the outlier API with ``y``.

    Conditioning is opt-in: the estimator has a ``conditional`` parameter,
    and ``y`` is ignored unless it is True (so that a labelled workflow's
    class labels never silently become conditions). ``fit`` calls
    ``_fit_conditions(y, n_samples)``, which encodes continuous
    conditions with a ``StandardScaler`` and categorical ones one-hot
    (``condition_type``) and sets ``condition_encoder_`` and ``n_conditions_``
    (0 and None without conditions). Later calls encode the conditions they are
    given with ``_conditions_for``. The estimator implements
    ``_score_samples(X, conditions)``.
    """

    _parameter_constraints = {
        "condition_type": [StrOptions({"auto", "continuous", "categorical"})],
    }

    def _fit_conditions(self, y, n_samples):
        if not self.conditional:
            y = None
        elif y is None:
            raise ValueError(
                f"{type(self).__name__}(conditional=True) needs the conditions y in fit."
            )
        if y is None:
            self.condition_encoder_ = None
            self.n_conditions_ = 0
            return None
        y = _as_condition_array(y, n_samples)
        kind = self.condition_type
        if kind == "auto":
            kind = "continuous" if y.dtype.kind == "f" else "categorical"
        if kind == "continuous":
            y = check_array(y, dtype=np.float64, input_name="y")
            encoder = StandardScaler().fit(y)
        else:
            if y.dtype.kind == "f" and not np.isfinite(y).all():
                raise ValueError("y contains NaN or infinity.")
            encoder = OneHotEncoder(sparse_output=False, handle_unknown="error").fit(y)
        self.condition_encoder_ = encoder
        encoded = self._transform_conditions(y)
        self.n_conditions_ = encoded.shape[1]
        return encoded

    def _transform_conditions(self, y):
        if isinstance(self.condition_encoder_, StandardScaler):
            y = check_array(y, dtype=np.float64, input_name="y")
        return self.condition_encoder_.transform(y).astype(np.float32)

    def _conditions_for(self, y, n_samples):
        """Encoded conditions for ``n_samples`` rows, or None if unconditional."""
        name = type(self).__name__
        if self.condition_encoder_ is None:
            if y is not None:
                raise ValueError(
                    f"This {name} was fitted without conditions; call it without y."
                )
            return None
        if y is None:
            raise ValueError(
                f"This {name} was fitted with conditions y; pass the conditions of "
                "the samples as y."
            )
        y = np.asarray(y)
        if y.ndim == 1 and self.condition_encoder_.n_features_in_ > 1:
            y = y[None, :]  # one condition vector for every sample
        y = _as_condition_array(y, None)
        if y.shape[1] != self.condition_encoder_.n_features_in_:
            raise ValueError(
                f"y has {y.shape[1]} condition columns, but the {name} was fitted "
                f"with {self.condition_encoder_.n_features_in_}."
            )
        if y.shape[0] == 1 and n_samples != 1:
            y = np.repeat(y, n_samples, axis=0)
        check_consistent_length(np.empty(n_samples), y)
        return self._transform_conditions(y)

    def score_samples(self, X, y=None):
        """Normality score of each sample (at its conditions): higher = more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.
        y : array-like, default=None
            Their conditions, for a model fitted with conditions.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The estimator's normality score; its class documentation says
            what it is.
        """
        X = self._validate_predict_data(X)
        return finite_scores(self._score_samples(X, self._conditions_for(y, X.shape[0])))

    def decision_function(self, X, y=None):
        """``score_samples(X, y) - offset_``; negative for predicted outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like, default=None
            Their conditions, for a model fitted with conditions.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Shifted normality score.
        """
        return self.score_samples(X, y) - self.offset_

    def predict(self, X, y=None):
        """+1 where ``decision_function(X, y) >= 0``, -1 elsewhere.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like, default=None
            Their conditions, for a model fitted with conditions.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 inlier, -1 outlier.
        """
        return np.where(self.decision_function(X, y) < 0, -1, 1)


class ConditionalTransformMixin:
    """``fit_transform`` of a transformer whose ``transform`` takes conditions.

    For estimators with a ``conditional`` flag (the conditional VAE and
    flow): the training conditions reach ``transform`` only when the model
    was fitted with them.
    """

    def fit_transform(self, X, y=None):
        """Fit, then return the latent codes of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like, default=None
            Conditions when ``conditional=True``; ignored otherwise.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            Latent codes of ``X``.
        """
        return self.fit(X, y).transform(X, y if self.conditional else None)


def fit_standard_scaler(X, chunk_size=65536, sample_weight=None):
    """A ``StandardScaler`` fitted on ``X`` (weighted) chunk by chunk.

    ``StandardScaler().fit`` makes float64 temporaries as large as ``X``;
    ``partial_fit`` over chunks of rows gives the same means and scales (to
    rounding) in memory bounded by one chunk, for memory-mapped data sets.
    """
    scaler = StandardScaler()
    for start in range(0, X.shape[0], chunk_size):
        chunk = slice(start, start + chunk_size)
        weights = None if sample_weight is None else sample_weight[chunk]
        if weights is not None and not weights.any():
            continue  # rows of zero weight do not count (scikit-learn refuses them)
        scaler.partial_fit(X[chunk], sample_weight=weights)
    return scaler


def append_conditions(X, conditions):
    """``X`` with the encoded conditions as extra columns (``X`` if there are none)."""
    if conditions is None:
        return X
    return np.hstack([X, conditions.astype(X.dtype)])


def _as_condition_array(y, n_samples):
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"y must be 1-D or 2-D, got an array of shape {y.shape}.")
    if n_samples is not None:
        check_consistent_length(np.empty(n_samples), y)
    return y


def _check_float32_range(X):
    """Fit ``X`` to the float32 of torch.

    Values that become infinite when cast to float32 are rejected. In a
    float32 ``X``, subnormal values (``0 < |x| < finfo(float32).tiny``) become
    zeros, in a copy: a feature scaler fitted on them gets a standard
    deviation that rounds to zero in float32, and dividing by it turns the
    feature into NaN and infinities. ``X`` is scanned in blocks of rows, so a
    memory-mapped ``X`` is checked without a temporary as large as itself.
    """
    if X.dtype not in (np.float32, np.float64):
        return X
    limit, tiny = np.finfo(np.float32).max, np.finfo(np.float32).tiny
    rows = max(1, 2**16 // max(1, X.shape[1]))
    has_subnormal = False
    for start in range(0, X.shape[0], rows):
        block = np.abs(X[start : start + rows])
        if X.dtype == np.float64:
            if block.max(initial=0.0) > limit:
                raise ValueError(
                    "Input X contains values too large for float32 "
                    f"(|x| > {limit:.3g}); rescale the features."
                )
        elif ((block < tiny) & (block > 0)).any():
            has_subnormal = True
            break
    if has_subnormal:
        X = np.where(np.abs(X) < tiny, np.float32(0), X)
    return X


# ----------------------------------------------------------------------------
# Outlier-detector conventions
# ----------------------------------------------------------------------------


def finite_scores(scores):
    """``scores`` with ``-inf`` at the lowest finite value of their dtype.

    A point far enough from the training data overflows a float32 network's
    score (a squared reconstruction error beyond 3.4e38, say): it is as
    anomalous as a score can say, and stays the lowest, but as a finite
    number, which ``roc_auc_score`` and the like accept.
    """
    low = np.isneginf(scores)
    if low.any():
        scores = np.where(low, np.finfo(scores.dtype).min, scores)
    return scores


class OutlierScoresMixin(OutlierMixin):
    """scikit-learn's outlier API on top of a ``_score_samples`` method.

    Estimators implement ``_score_samples(X)`` on validated input; the score
    is higher for more normal samples.  ``offset_`` is set at
    the end of ``fit`` from the training scores:

    - ``contamination='auto'``: Tukey's fence, ``offset_ = Q1 - 1.5 * IQR`` of
      the training scores, so training samples that a box plot would mark as
      outliers are predicted -1;
    - ``contamination=c`` (float in (0, 0.5]): the ``c``-quantile of the
      training scores, so a fraction ``c`` of the training data is predicted -1.

    With event weights the quantiles are weighted (:func:`weighted_percentile`):
    ``c`` is then the fraction of the training weight predicted -1.
    """

    _parameter_constraints = {
        "contamination": [
            StrOptions({"auto"}),
            Interval(Real, 0, 0.5, closed="right"),
        ],
    }

    def _set_offset(self, training_scores, sample_weight=None):
        if not np.all(np.isfinite(training_scores)):
            raise TrainingDivergedError(
                f"{type(self).__name__} scores some training samples as "
                f"{training_scores[~np.isfinite(training_scores)][0]}: the values are "
                "too large for the float32 network (or training diverged). "
                "Standardise the features (e.g. StandardScaler) or lower "
                "learning_rate."
            )
        if self.contamination == "auto":
            q1, q3 = weighted_percentile(training_scores, [25.0, 75.0], sample_weight)
            self.offset_ = float(q1 - 1.5 * (q3 - q1))
        else:
            self.offset_ = float(weighted_percentile(
                training_scores, 100.0 * self.contamination, sample_weight
            ))

    def score_samples(self, X):
        """Normality score of each sample: higher means more normal.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The estimator's normality score; its class documentation says
            what it is (minus a reconstruction error, an ELBO, a logit, ...).
        """
        X = self._validate_predict_data(X)
        return finite_scores(self._score_samples(X))

    def decision_function(self, X):
        """Shifted normality score: negative for predicted outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label samples as inliers (+1) or outliers (-1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to label.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where ``decision_function(X) >= 0``, -1 elsewhere.
        """
        decision = self.decision_function(X)
        return np.where(decision < 0, -1, 1)

    def score(self, X, y=None, sample_weight=None):
        """Mean normality score of ``X`` (higher is better).

        Lets ``GridSearchCV`` and ``cross_val_score`` compare hyperparameters of
        the unsupervised model without labels, as ``PCA.score`` does.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples to score.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Event weights: the mean is weighted.

        Returns
        -------
        score : float
            Weighted mean of ``score_samples(X)``.
        """
        scores = self.score_samples(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, scores, dtype=np.float64)
        return float(np.average(scores, weights=sample_weight))


def check_sample_size(n_samples):
    """Validate ``n_samples`` of a ``sample`` call."""
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    return int(n_samples)

