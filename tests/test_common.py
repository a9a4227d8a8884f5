"""scikit-learn's estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_physgen import (
    GAN,
    Autoencoder,
    DeepSVDD,
    NormalizingFlow,
    OnePlusEpsilonClassifier,
    OnePlusEpsilonDetector,
    VariationalAutoencoder,
)

SAMPLERS = ("uniform", "hmc", "rmsprop", "deep")


class OneClassOnePlusEpsilon(OnePlusEpsilonDetector):
    """The detector with ``y`` ignored, i.e. its one-class fit.

    Many checks call ``fit(X, y)`` with arbitrary class labels (0/1/2 or
    regression targets). The detector reads ``y`` as anomaly labels and
    rejects such labels by design, so the whole check suite runs on this
    one-class view; the labelled fit is pinned in test_one_plus_epsilon.py and
    by the real class below.
    """

    def fit(self, X, y=None):
        return super().fit(X)


class OneClassOnePlusEpsilonClassifier(OnePlusEpsilonClassifier):
    """The meta-estimator's one-class fit, for the same reason as above."""

    def fit(self, X, y=None, sample_weight=None):
        return super().fit(X, sample_weight=sample_weight)


# Short training keeps the ~50 checks per estimator fast; the checks test the
# API contract, the behaviour tests in the family files test learning.
ESTIMATORS = [
    Autoencoder(max_epochs=5, device="cpu"),
    VariationalAutoencoder(max_epochs=5, device="cpu"),
    DeepSVDD(max_epochs=5, device="cpu"),
    OnePlusEpsilonDetector(max_epochs=5, device="cpu"),
    *[OneClassOnePlusEpsilon(sampler=s, max_epochs=5, device="cpu") for s in SAMPLERS],
    GAN(max_epochs=3, device="cpu"),
    GAN(loss="wasserstein", max_epochs=3, device="cpu"),
    NormalizingFlow(max_epochs=3, device="cpu"),
    OneClassOnePlusEpsilonClassifier(),
]

FLOAT32_BATCHING = (
    "the networks compute in float32; a matrix product over a different "
    "number of rows may round the last bit differently (|diff| ~ 1e-7), which "
    "these checks' rtol=1e-7 rejects"
)
REJECTS_CLASS_LABELS = (
    "the check passes class labels such as 0/1/2 or float targets as y; the "
    "detector reads y as anomaly labels in {1, -1} and rejects anything else "
    "with a ValueError, by design (its one-class view runs this check)"
)
CHECKS_WITH_ARBITRARY_Y = [
    "check_classifier_data_not_an_array",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
]


def expected_failed_checks(estimator):
    expected = {"check_methods_subset_invariance": FLOAT32_BATCHING}
    if type(estimator) is OnePlusEpsilonDetector:
        expected.update({check: REJECTS_CLASS_LABELS for check in CHECKS_WITH_ARBITRARY_Y})
    if isinstance(estimator, GAN):
        no_tail = (
            "after a few epochs the adversarially trained scores of the check's "
            "blobs have no tail, so contamination='auto' (Tukey's fence) flags "
            "no training sample while the check wants both labels"
        )
        expected["check_outliers_train"] = no_tail
        expected["check_outliers_fit_predict"] = no_tail
    if isinstance(estimator, OnePlusEpsilonClassifier):
        expected["check_sample_weight_equivalence_on_dense_data"] = (
            "the pseudo-anomalies are a fresh random sample as large as the normal "
            "data, so repeating rows changes them; the default "
            "HistGradientBoostingClassifier is itself listed by scikit-learn as "
            "failing this check (its binning subsamples)"
        )
        no_tail = (
            "gradient boosting scores its own training blobs without a tail: "
            "contamination='auto' (Tukey's fence) falls just below the lowest "
            "training score (-1.40 against -1.34), while the check wants both "
            "labels; a float contamination passes"
        )
        expected["check_outliers_train"] = no_tail
        expected["check_outliers_fit_predict"] = no_tail
    return expected


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
