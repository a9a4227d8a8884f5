"""Property-based tests (Hypothesis) of every public estimator's input handling.

For data drawn at random -- shapes, dtypes, NaN and infinity, extreme
values, constant and duplicated columns, read-only memmaps, Fortran order,
pandas DataFrames with a categorical column -- every ``fit``, and after it
every prediction method, must either

- succeed, with finite outputs of the right shape, or
- raise a clear error: a ``ValueError`` or ``TypeError`` (or a subclass, or
  :class:`~sklearn_physgen.TrainingDivergedError`) raised by the package or
  scikit-learn with a message a user can read, never a raw torch error, an
  ``IndexError``, a ``LinAlgError`` and the like.

Input the estimators must reject (NaN, infinity, strings, a single sample) has
to be rejected at ``fit`` with a ``ValueError``; ordinary finite numeric
input has to be accepted. Hypothesis draws the data only: the estimators are
parametrised, trained for one epoch on tiny networks, and every example is
derandomised so that CI sees the same data on every run.
"""

import inspect
import os
import tempfile
import traceback
import warnings

import numpy as np
import pandas as pd
import pytest
from _public import public_estimators
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    NormalizingFlow,
    OnePlusEpsilonClassifier,
    OnePlusEpsilonDetector,
    TrainingDivergedError,
    TransformedGenerator,
    VariationalAutoencoder,
)

# ----------------------------------------------------------------------------
# The estimators: every public BaseEstimator subclass, trained as little as
# possible.
# ----------------------------------------------------------------------------

TINY = {"max_epochs": 1, "batch_size": 8, "device": "cpu", "random_state": 0}


def _tiny_vae():
    return VariationalAutoencoder(hidden_layer_sizes=(4,), latent_dim=2, **TINY)


FACTORIES = {
    "Autoencoder": lambda: Autoencoder(hidden_layer_sizes=(4,), latent_dim=2, **TINY),
    "VariationalAutoencoder": _tiny_vae,
    "DeepSVDD": lambda: DeepSVDD(hidden_layer_sizes=(4,), representation_dim=2, **TINY),
    "OnePlusEpsilonDetector": lambda: OnePlusEpsilonDetector(
        hidden_layer_sizes=(4,), **TINY
    ),
    "GAN": lambda: GAN(
        latent_dim=2,
        generator_hidden_layer_sizes=(4,),
        discriminator_hidden_layer_sizes=(4,),
        **TINY,
    ),
    "NormalizingFlow": lambda: NormalizingFlow(
        n_transforms=1, hidden_layer_sizes=(4,), n_bins=4, **TINY
    ),
    "OnePlusEpsilonClassifier": lambda: OnePlusEpsilonClassifier(random_state=0),
    "TransformedGenerator": lambda: TransformedGenerator(_tiny_vae(), random_state=0),
}

# Extra configurations of the same classes that take other code paths.
EXTRA_CONFIGS = {
    "TransformedGenerator(discrete_features='auto')": lambda: TransformedGenerator(
        _tiny_vae(), discrete_features="auto", random_state=0
    ),
}

PUBLIC_ESTIMATORS = [cls.__name__ for cls in public_estimators()]
CONFIGS = {**FACTORIES, **EXTRA_CONFIGS}
CONFIG_NAMES = sorted(CONFIGS)

METHODS = (
    "score_samples",
    "decision_function",
    "predict",
    "predict_proba",
    "transform",
)

# Derandomised: CI draws the same examples on every run. Fits of the tiny
# networks take ~10 ms, so each estimator gets a dozen inputs; the layout test
# fits four times per input and gets fewer. The whole file runs in ~20 s.
HYPOTHESIS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)
HYPOTHESIS_FEW = settings(HYPOTHESIS, max_examples=6)


def test_every_public_estimator_is_covered():
    assert PUBLIC_ESTIMATORS, "found no estimator in sklearn_physgen.__all__"
    assert sorted(FACTORIES) == PUBLIC_ESTIMATORS
    for name, factory in FACTORIES.items():
        assert type(factory()).__name__ == name


# ----------------------------------------------------------------------------
# What counts as a clear error
# ----------------------------------------------------------------------------

#: Fragments of messages that come from torch, NumPy internals or Python
#: itself rather than from a validation step that tells the user what to do.
RAW_MESSAGES = (
    "mat1 and mat2",
    "size mismatch",
    "Expected all tensors",
    "expected scalar type",
    "must match the size of tensor",
    "shape '[",
    "dimension out of range",
    "Expected parameter",
    "can't convert np.ndarray",
    "tensor",
    "ufunc",
    "index out of",
    "out of bounds",
    "division by zero",
    "object has no attribute",
    "unsupported operand",
    "Singular matrix",
    "not positive definite",
    "assignment destination is read-only",
)
#: Packages whose own raise sites mean an error escaped the validation.
RAW_SOURCES = tuple(f"{os.sep}{name}{os.sep}" for name in ("torch", "skorch", "zuko"))
FORBIDDEN = (
    IndexError,
    KeyError,
    ZeroDivisionError,
    RuntimeError,
    np.linalg.LinAlgError,
)


def _raise_site(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


def check_clear_error(exc, where):
    """Fail unless ``exc`` is an error a user of the estimator understands."""
    kind = type(exc).__name__
    message = str(exc)
    problem = None
    if isinstance(exc, FORBIDDEN):
        problem = "forbidden exception type"
    elif isinstance(exc, AttributeError) and not isinstance(exc, NotFittedError):
        problem = "AttributeError"
    elif not isinstance(exc, (ValueError, TypeError, TrainingDivergedError)):
        problem = "neither a ValueError nor a TypeError"
    elif len(message.split()) < 3:
        problem = "message is not a sentence"
    elif any(raw.lower() in message.lower() for raw in RAW_MESSAGES):
        problem = "raw library message"
    elif any(source in _raise_site(exc) for source in RAW_SOURCES):
        problem = f"raised inside {_raise_site(exc)}"
    if problem is not None:
        raise AssertionError(
            f"{where} raised an unclear error ({problem}): {kind}: {message}"
        ) from exc


# ----------------------------------------------------------------------------
# The data
# ----------------------------------------------------------------------------

DTYPES = ("float16", "float32", "float64", "int64", "bool", "object")
CONTAINERS = ("C", "F", "memmap", "memmap_F", "DataFrame", "DataFrame_categorical")
SPECIAL = (np.nan, np.inf, -np.inf)
EXTREME_FLOAT64 = (1e300, -1e300, 1e39, -1e39, 1e-300, 5e-324)


#: Finite inputs up to this magnitude must be accepted; beyond it, an
#: estimator may refuse them clearly (e.g. a diverged training loss).
MODERATE = 1e4


class Case:
    """An input, and what the estimators are expected to make of it.

    ``values`` is a 2-D ndarray (numeric, or object holding floats, None and
    strings); ``container`` the form the estimators get it in; for
    ``'DataFrame_categorical'``, ``categorical`` is ``(column, levels)``, a
    column replaced by a pandas Categorical of strings.
    """

    def __init__(self, values, container="C", categorical=None):
        self.n_samples, self.n_features = values.shape
        self.dtype = str(values.dtype)
        if values.dtype == object:
            entries = list(values.ravel())
            numbers = [v for v in entries if not isinstance(v, str) and v is not None]
            self.strings = any(isinstance(v, str) for v in entries)
            self.nonfinite = any(v is None for v in entries) or not np.isfinite(
                np.asarray(numbers, dtype=float)).all()
            if container.startswith("memmap"):
                container = "C"  # object arrays cannot be memory-mapped
        else:
            numbers = values.ravel()
            self.strings = False
            self.nonfinite = values.dtype.kind == "f" and not np.isfinite(values).all()
        numbers = np.asarray(numbers, dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        self.extreme = bool(numbers.size) and np.abs(numbers).max() > MODERATE
        self.container = container
        if container == "C":
            self.X = np.ascontiguousarray(values)
        elif container == "F":
            self.X = np.asfortranarray(values)
        elif container.startswith("memmap"):
            self.X, _ = _memmap(values, "F" if container == "memmap_F" else "C")
        else:
            columns = [f"x{j}" for j in range(self.n_features)]
            self.X = pd.DataFrame(values, columns=columns)
            if categorical is not None:
                column, levels = categorical
                self.X[f"x{column}"] = pd.Categorical(levels)
                self.strings = True

    @property
    def must_reject(self):
        """NaN, infinity, strings and single samples are errors at fit."""
        return self.nonfinite or self.strings or self.n_samples < 2

    @property
    def must_accept(self):
        """Finite numeric input of moderate size must fit."""
        return not self.must_reject and not self.extreme

    def __repr__(self):
        head = {k: v for k, v in vars(self).items() if k != "X"}
        return f"Case({head}, X=\n{_describe(self.X)})"


def _describe(X):
    if isinstance(X, pd.DataFrame):
        return f"{X!r}\ndtypes: {list(X.dtypes.astype(str))}"
    return repr(np.asarray(X))


#: Holds the memmaps' files; removed with everything in it at exit.
_MEMMAP_DIR = tempfile.TemporaryDirectory(prefix="physgen-properties-")


def _memmap(values, order):
    """A read-only memmap (mode 'r') of a file holding ``values``, and its path."""
    handle, path = tempfile.mkstemp(suffix=".dat", dir=_MEMMAP_DIR.name)
    os.close(handle)
    writable = np.memmap(path, dtype=values.dtype, mode="w+", shape=values.shape,
                         order=order)
    writable[:] = values
    writable.flush()
    del writable
    return np.memmap(path, dtype=values.dtype, mode="r", shape=values.shape,
                     order=order), path


@st.composite
def _values(draw, n_samples, n_features, dtype, extreme):
    shape = (n_samples, n_features)
    if dtype == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if dtype == "int64":
        bound = 2**62 if extreme else 1000
        return draw(hnp.arrays(np.int64, shape, elements=st.integers(-bound, bound)))
    float_dtype = np.float64 if dtype == "object" else np.dtype(dtype)
    width = {np.dtype("float16"): 16, np.dtype("float32"): 32}.get(
        np.dtype(float_dtype), 64
    )
    if extreme:
        elements = st.floats(allow_nan=False, allow_infinity=False, width=width)
    else:
        elements = st.floats(-1000, 1000, width=width)
    values = draw(hnp.arrays(float_dtype, shape, elements=elements))
    if extreme and width == 64:
        spots = draw(st.lists(st.tuples(st.integers(0, n_samples - 1),
                                        st.integers(0, n_features - 1)), max_size=3))
        for i, j in spots:
            values[i, j] = draw(st.sampled_from(EXTREME_FLOAT64))
    return values


ANY_WIDTH = st.integers(1, 6)


@st.composite
def cases(draw, containers=CONTAINERS, dtypes=DTYPES, min_samples=1,
          allow_invalid=True, n_features=ANY_WIDTH):
    """Inputs of every kind; ``allow_invalid=False``: finite numeric only."""
    n_samples = draw(st.integers(min_samples, 40))
    n_features = draw(n_features)
    dtype = draw(st.sampled_from(dtypes))
    container = draw(st.sampled_from(containers))
    extreme = allow_invalid and draw(st.booleans())
    values = draw(_values(n_samples, n_features, dtype, extreme))

    # constant and duplicated columns
    for column in draw(st.sets(st.integers(0, n_features - 1), max_size=n_features)):
        values[:, column] = values[0, column]
    if n_features > 1 and draw(st.booleans()):
        source, target = draw(st.permutations(range(n_features)))[:2]
        values[:, target] = values[:, source]

    if allow_invalid and values.dtype.kind == "f" and draw(st.booleans()):
        spots = draw(st.lists(st.tuples(st.integers(0, n_samples - 1),
                                        st.integers(0, n_features - 1)),
                              min_size=1, max_size=4))
        for i, j in spots:
            values[i, j] = draw(st.sampled_from(SPECIAL))
    if dtype == "object":
        values = values.astype(object)
        if allow_invalid and draw(st.booleans()):  # None is a missing value
            values[np.isnan(values.astype(float))] = None
        if allow_invalid and draw(st.booleans()):
            i = draw(st.integers(0, n_samples - 1))
            j = draw(st.integers(0, n_features - 1))
            values[i, j] = draw(st.sampled_from(["abc", "high", "1.0.0"]))

    categorical = None
    if container == "DataFrame_categorical":
        levels = draw(st.lists(st.sampled_from(["low", "mid", "high"]),
                               min_size=n_samples, max_size=n_samples))
        categorical = (draw(st.integers(0, n_features - 1)), levels)
    return Case(values, container, categorical)


def _snapshot(X):
    if isinstance(X, pd.DataFrame):
        return X.copy(deep=True)
    return np.array(X, copy=True)


def _unchanged(before, after):
    """Fail if the estimator modified its input in place."""
    if isinstance(before, pd.DataFrame):
        pd.testing.assert_frame_equal(before, after)
        return
    after = np.asarray(after)
    if before.dtype == object:  # NaN != NaN, and strings do not compare to floats
        assert before.shape == after.shape
        assert all(
            a is b or a == b or (pd.isna(a) and pd.isna(b))
            for a, b in zip(before.ravel(), after.ravel())
        ), "the estimator modified its input"
    else:
        np.testing.assert_array_equal(
            before, after, err_msg="the estimator modified its input"
        )


# ----------------------------------------------------------------------------
# Outputs
# ----------------------------------------------------------------------------


def _check_output(name, output, n_rows, n_columns=None):
    output = np.asarray(output)
    assert output.shape[0] == n_rows, (
        f"{name} returned {output.shape[0]} rows for {n_rows} samples"
    )
    if n_columns is None:
        assert output.ndim == 1, f"{name} returned shape {output.shape}, want 1-D"
    else:
        assert output.shape == (n_rows, n_columns), (
            f"{name} returned shape {output.shape}, want {(n_rows, n_columns)}"
        )
    assert output.dtype.kind in "fiub", f"{name} returned dtype {output.dtype}"
    assert np.isfinite(output).all(), f"{name} returned non-finite values:\n{output}"
    return output


def _check_method_output(where, method, output, n_rows, n_features):
    if method == "predict":
        output = _check_output(where, output, n_rows)
        assert set(np.unique(output)) <= {-1, 1}, f"{where} returned {output}"
    elif method == "predict_proba":
        output = _check_output(where, output, n_rows, 2)
        assert ((output >= 0) & (output <= 1)).all(), f"{where} returned {output}"
        np.testing.assert_allclose(output.sum(axis=1), 1.0, rtol=1e-6)
    elif method == "transform":
        output = np.asarray(output)
        assert output.ndim == 2, f"{where} returned shape {output.shape}, want 2-D"
        _check_output(where, output, n_rows, output.shape[1])
    elif method in ("inverse_transform", "sample"):
        _check_output(where, output, n_rows, n_features)
    else:
        _check_output(where, output, n_rows)
    return output


def check_methods(estimator, case, must_reject=False, must_accept=False):
    """Every prediction method of a fitted ``estimator`` on ``case.X``.

    Each gives finite outputs of the right shape, or raises a clear error:
    a ValueError when ``must_reject``; none at all when ``must_accept``.
    Then ``inverse_transform`` of the latent codes and ``sample(3)``.
    """
    name = type(estimator).__name__
    n_features = estimator.n_features_in_
    calls = [(method, case.X, case.n_samples) for method in METHODS]
    if hasattr(estimator, "sample"):
        calls.append(("sample", 3, 3))
    while calls:
        method, argument, n_rows = calls.pop(0)
        if not hasattr(estimator, method):
            continue
        where = f"{name}.{method}"
        kwargs = {}
        if method == "sample" and "random_state" in inspect.signature(
            estimator.sample
        ).parameters:
            kwargs["random_state"] = 0
        validated = method not in ("sample", "inverse_transform")
        try:
            output = getattr(estimator, method)(argument, **kwargs)
        except Exception as exc:  # judged by check_clear_error
            check_clear_error(exc, where)
            if validated and must_reject:
                assert isinstance(exc, ValueError), (
                    f"{where} should reject this input with a ValueError, got "
                    f"{type(exc).__name__}: {exc}"
                )
            elif must_accept:
                raise AssertionError(
                    f"{where} rejected valid finite numeric input: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            continue
        assert not (validated and must_reject), (
            f"{where} accepted input it must reject (NaN/inf: {case.nonfinite}, "
            f"strings: {case.strings}, n_features: {case.n_features} for "
            f"{n_features} fitted)"
        )
        output = _check_method_output(where, method, output, n_rows, n_features)
        if method == "transform":
            calls.insert(0, ("inverse_transform", output, n_rows))


def _with_cases(known_cases):
    """Run a test on every input of ``known_cases`` before the drawn ones."""

    def decorate(test):
        for case in reversed(known_cases):
            test = example(case=case)(test)
        return test

    return decorate


#: Inputs every run checks, whatever Hypothesis draws.
KNOWN_CASES = [
    # a categorical column of strings in a DataFrame
    Case(np.arange(12.0).reshape(6, 2), "DataFrame_categorical",
         (1, ["low", "high"] * 3)),
    # strings and None in an object array
    Case(np.array([[1.0, "abc"], [None, 2.0], [3.0, 4.0]], dtype=object)),
    # NaN and infinity in read-only memmaps, float16 and float32
    Case(np.array([[0, 1], [np.nan, 2], [3, 4]], dtype=np.float32), "memmap_F"),
    Case(np.array([[0, np.inf], [1, 2], [3, 4]], dtype=np.float16), "memmap"),
    # a single sample
    Case(np.ones((1, 3))),
    # integers with constant and duplicated columns; all-constant booleans
    Case(np.array([[1, 7, 7, 5], [1, 2, 2, 5], [1, 3, 3, 5]]), "F"),
    Case(np.ones((4, 2), dtype=bool), "DataFrame"),
    # values beyond float32 and subnormal ones
    Case(np.array([[1e300, 1.0], [5e-324, 2.0], [3.0, 4.0]])),
    # a float32 subnormal: the scaler of GAN and NormalizingFlow divided by a
    # standard deviation that rounds to 0 in float32 (found by this file)
    Case(np.r_[[[4e-45]], np.zeros((34, 1))].astype(np.float32)),
    # large values: trained, but scored -inf afterwards (found by this file)
    Case(np.full((2, 4), 1.2098271e22, dtype=np.float32)),
    Case(np.full((2, 5), 2918578436823843073)),
]


# ----------------------------------------------------------------------------
# The properties
# ----------------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIG_NAMES)
@HYPOTHESIS
@given(case=cases())
@_with_cases(KNOWN_CASES)
def test_fit_succeeds_or_raises_a_clear_error(config, case):
    """Any input: finite outputs of the right shape, or a clear error.

    NaN, infinity, strings and single samples must be rejected at ``fit``
    with a ValueError; finite numeric input of moderate size must fit, and
    the fitted estimator must then handle the same input.
    """
    estimator = CONFIGS[config]()
    before = _snapshot(case.X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = estimator.fit(case.X)
        except Exception as exc:  # judged below
            check_clear_error(exc, f"{config}.fit")
            event(f"fit rejected with {type(exc).__name__}")
            if case.must_accept:
                raise AssertionError(
                    f"{config}.fit rejected valid finite numeric input: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            if case.must_reject:
                assert isinstance(exc, ValueError), (
                    f"{config}.fit should reject this input with a ValueError, "
                    f"got {type(exc).__name__}: {exc}"
                )
            _unchanged(before, case.X)
            return
        assert not case.must_reject, (
            f"{config}.fit accepted input it must reject "
            f"(NaN/inf: {case.nonfinite}, strings: {case.strings}, "
            f"n_samples: {case.n_samples})"
        )
        assert fitted is estimator, f"{config}.fit did not return self"
        assert estimator.n_features_in_ == case.n_features
        event("fit succeeded" + (" on extreme values" if case.extreme else ""))
        check_methods(estimator, case, must_accept=case.must_accept)
    _unchanged(before, case.X)


N_FITTED_FEATURES = 3

#: Inputs test_prediction_input_is_validated checks on every run.
KNOWN_PREDICTION_CASES = [
    # a wrong number of features, in a DataFrame
    Case(np.zeros((2, N_FITTED_FEATURES + 1)), "DataFrame"),
    # NaN in a read-only memmap; a string in an object array
    Case(np.array([[0.0, 1.0, np.nan]]), "memmap"),
    Case(np.array([[0.0, 1.0, "abc"]], dtype=object)),
    # one sample of booleans, Fortran-ordered
    Case(np.array([[True, False, True]]), "F"),
    # far outliers: scored -inf instead of a finite score (found by this file)
    Case(np.full((1, N_FITTED_FEATURES), 7.942547e21, dtype=np.float32)),
    Case(np.array([[1e300, 0.0, 0.0]])),
]

#: Fitted estimators of test_prediction_input_is_validated, one per config.
_FITTED = {}


def _fitted(config):
    if config not in _FITTED:
        X = np.random.RandomState(0).normal(size=(30, N_FITTED_FEATURES))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITTED[config] = CONFIGS[config]().fit(X)
    return _FITTED[config]


@pytest.mark.parametrize("config", CONFIG_NAMES)
@HYPOTHESIS
@given(case=cases(n_features=st.sampled_from([N_FITTED_FEATURES] * 3 + [1, 5])))
@_with_cases(KNOWN_PREDICTION_CASES)
def test_prediction_input_is_validated(config, case):
    """After a fit, any input to a method: finite outputs or a clear error.

    NaN, infinity, strings and a wrong number of features are rejected with
    a ValueError; finite numeric input of moderate size is scored.
    """
    estimator = _fitted(config)
    before = _snapshot(case.X)
    wrong_width = case.n_features != N_FITTED_FEATURES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_methods(
            estimator,
            case,
            must_reject=case.nonfinite or case.strings or wrong_width,
            must_accept=not (case.nonfinite or case.strings or wrong_width
                             or case.extreme),
        )
    _unchanged(before, case.X)


@pytest.mark.parametrize("config", CONFIG_NAMES)
@HYPOTHESIS_FEW
@given(case=cases(containers=("C",), dtypes=("float32", "float64"), min_samples=2,
                  allow_invalid=False))
def test_memory_layout_does_not_change_the_fit(config, case):
    """Fortran order and read-only memmaps fit exactly like a C-ordered array.

    Fitting on a read-only memmap writes nothing to its file, and the same
    ``random_state`` gives identical scores whatever the memory layout.
    """
    X = case.X
    estimator = CONFIGS[config]()
    method = "score_samples"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = getattr(clone(estimator).fit(X), method)(X)
        assert np.isfinite(reference).all()

        fortran = np.asfortranarray(X)
        assert fortran.flags.f_contiguous
        fitted = clone(estimator).fit(fortran)
        for scored in (fortran, X):
            np.testing.assert_array_equal(
                getattr(fitted, method)(scored), reference,
                err_msg=f"{config}: Fortran order changed the scores",
            )

        for order in ("C", "F"):
            memmap, path = _memmap(X, order)
            try:
                with open(path, "rb") as handle:
                    content = handle.read()
                fitted = clone(estimator).fit(memmap)
                scores = getattr(fitted, method)(memmap)
                with open(path, "rb") as handle:
                    assert handle.read() == content, f"{config}.fit wrote to its input"
            finally:
                del memmap
                os.remove(path)
            np.testing.assert_array_equal(
                scores, reference,
                err_msg=f"{config}: a read-only {order}-ordered memmap changed scores",
            )
