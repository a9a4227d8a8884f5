"""OnePlusEpsilonClassifier: the (1+eps) method around a scikit-learn classifier."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_physgen import FitHealthWarning, OnePlusEpsilonClassifier


def gaussian_with_anomalies(n_normal=1500, n_known=40, n_test=400, seed=0):
    """Normal data N(0, I) in 4-D; known anomalies near (+3.5, 0, ...);
    a test set with normal data, known-type anomalies and a new type near
    (-3.5, 0, ...) that no label ever showed."""
    rng = np.random.RandomState(seed)

    def anomalies(n, sign):
        return rng.normal(size=(n, 4)) * 0.3 + np.array([sign * 3.5, 0, 0, 0])

    X_train = np.vstack([rng.normal(size=(n_normal, 4)), anomalies(n_known, +1)])
    y_train = np.r_[np.ones(n_normal), -np.ones(n_known)].astype(int)
    X_test = np.vstack([rng.normal(size=(n_test, 4)), anomalies(n_test // 4, +1),
                        anomalies(n_test // 4, -1)])
    kind = np.r_[np.zeros(n_test), np.ones(n_test // 4), 2 * np.ones(n_test // 4)]
    return X_train, y_train, X_test, kind


def auc(model, X_test, kind, anomaly_kind):
    keep = (kind == 0) | (kind == anomaly_kind)
    return roc_auc_score(kind[keep] == 0, model.score_samples(X_test[keep]))


def test_one_class_fit_learns_the_density():
    X_train, y_train, X_test, kind = gaussian_with_anomalies()
    model = OnePlusEpsilonClassifier(random_state=0).fit(X_train[y_train == 1])
    assert model.epsilon_ == 0.0 and model.sampler_ == "gaussian"
    assert model.cv_scores_ is None and model.cv_candidates_ is None
    assert model.n_known_anomalies_ == 0
    # both kinds of anomaly sit in low-density regions of the normal data
    assert auc(model, X_test, kind, 1) > 0.9
    assert auc(model, X_test, kind, 2) > 0.9


def test_pseudo_anomalies_guard_against_unseen_anomalies():
    """Plain classification (eps=1) learns only the known side; eps < 1
    keeps flagging the kind of anomaly that no label showed."""
    X_train, y_train, X_test, kind = gaussian_with_anomalies()
    two_class = OnePlusEpsilonClassifier(epsilon=1.0, random_state=0).fit(X_train, y_train)
    ope = OnePlusEpsilonClassifier(epsilon=0.5, random_state=0).fit(X_train, y_train)
    assert auc(two_class, X_test, kind, 1) > 0.95
    assert auc(ope, X_test, kind, 1) > 0.95
    assert auc(ope, X_test, kind, 2) > 0.9
    assert auc(two_class, X_test, kind, 2) < auc(ope, X_test, kind, 2) - 0.1


def test_known_anomalies_help_where_the_density_cannot():
    """Anomalies inside the bulk of the normal data: one-class cannot see
    them, the labels can."""
    rng = np.random.RandomState(1)
    normal = rng.normal(size=(3000, 3))
    inside = rng.normal(size=(300, 3)) * 0.2 + np.array([0.5, 0.5, 0.0])
    X_train = np.vstack([normal[:2000], inside[:100]])
    y_train = np.r_[np.ones(2000), -np.ones(100)]
    X_test = np.vstack([normal[2000:], inside[100:]])
    is_normal = np.r_[np.ones(1000), np.zeros(200)].astype(bool)
    one_class = OnePlusEpsilonClassifier(random_state=0).fit(X_train[y_train == 1])
    labelled = OnePlusEpsilonClassifier(epsilon=0.5, random_state=0).fit(X_train, y_train)
    auc_one_class = roc_auc_score(is_normal, one_class.score_samples(X_test))
    auc_labelled = roc_auc_score(is_normal, labelled.score_samples(X_test))
    assert auc_one_class < 0.5  # the anomalies sit in the densest region
    assert auc_labelled > 0.9


def test_auto_cross_validates_sampler_and_epsilon():
    X_train, y_train, _, _ = gaussian_with_anomalies(n_normal=400, n_known=40)
    grid = (0.25, 0.5, 1.0)
    model = OnePlusEpsilonClassifier(epsilon_grid=grid, cv=3, random_state=0)
    model.fit(X_train, y_train)
    # eps = 1 draws no pseudo-anomaly: one candidate for both samplers
    assert model.cv_candidates_ == [("gaussian", 0.25), ("gaussian", 0.5),
                                    ("gaussian", 1.0), ("uniform", 0.25),
                                    ("uniform", 0.5)]
    assert model.cv_scores_.shape == (5, 3)
    assert np.all((model.cv_scores_ >= 0) & (model.cv_scores_ <= 1))
    best = int(np.argmax(model.cv_scores_.mean(axis=1)))
    assert (model.sampler_, model.epsilon_) == model.cv_candidates_[best]
    assert (model.reference_ is None) == (model.epsilon_ == 1.0)
    fixed = OnePlusEpsilonClassifier(sampler="uniform", epsilon_grid=grid,
                                     random_state=0).fit(X_train, y_train)
    assert fixed.cv_candidates_ == [("uniform", 0.25), ("uniform", 0.5), ("uniform", 1.0)]


def test_epsilon_auto_takes_a_cv_splitter():
    X_train, y_train, _, _ = gaussian_with_anomalies(n_known=40)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    model = OnePlusEpsilonClassifier(cv=cv, epsilon_grid=(0.5, 1.0), random_state=0)
    model.fit(X_train, y_train)
    assert model.cv_scores_.shape == (3, 3)
    # the known anomalies are far from the data: every eps finds them
    assert model.cv_scores_.min() > 0.9
    assert model.cv_scores_.mean() > 0.97


def test_parallel_search_gives_the_serial_result():
    X_train, y_train, X_test, _ = gaussian_with_anomalies(n_normal=400, n_known=40)
    serial, parallel = (
        OnePlusEpsilonClassifier(LogisticRegression(), n_jobs=n_jobs, random_state=0)
        .fit(X_train, y_train) for n_jobs in (None, 2))
    np.testing.assert_array_equal(parallel.cv_scores_, serial.cv_scores_)
    assert (parallel.sampler_, parallel.epsilon_) == (serial.sampler_, serial.epsilon_)
    np.testing.assert_array_equal(parallel.score_samples(X_test), serial.score_samples(X_test))


def test_epsilon_auto_falls_back_below_min_known_anomalies():
    X_train, y_train, _, _ = gaussian_with_anomalies(n_known=5)
    model = OnePlusEpsilonClassifier(default_epsilon=0.3, random_state=0).fit(X_train, y_train)
    assert model.epsilon_ == 0.3 and model.sampler_ == "uniform"
    assert model.cv_scores_ is None
    assert model.n_known_anomalies_ == 5


def test_search_warns_when_it_ranks_the_known_anomalies_as_normal():
    """Known anomalies in the densest region of the normal data: with
    ``epsilon=0`` the labels only check the fit, and the held-out ones score
    above the normal data, beyond chance: the fit says so. Labels drawn from
    the normal law (at chance) and labels of real anomalies fit silently."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(800, 3)), rng.normal(size=(60, 3)) * 0.1])
    y = np.r_[np.ones(800), -np.ones(60)].astype(int)
    with pytest.warns(FitHealthWarning, match="score above the normal data") as record:
        blind = OnePlusEpsilonClassifier(epsilon=0.0, random_state=0).fit(X, y)
    assert blind.cv_scores_.shape == (2, 3)  # the Gaussian and the uniform reference
    best = blind.cv_scores_.mean(axis=1).max()
    assert best < 0.45  # the chance spread for 800 / 60 is 0.04
    assert f"held-out ROC AUC {best:.2f}" in str(record[0].message)
    X_train, y_train, _, _ = gaussian_with_anomalies(n_normal=400, n_known=40)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FitHealthWarning)
        OnePlusEpsilonClassifier(random_state=0).fit(X, y)  # eps = 1 finds the core
        OnePlusEpsilonClassifier(random_state=0).fit(X_train, y_train)
        OnePlusEpsilonClassifier(random_state=0).fit(  # uninformative labels
            rng.normal(size=(800, 4)), np.r_[np.ones(740), -np.ones(60)].astype(int))


class WeightSpy(ClassifierMixin, BaseEstimator):
    """Logistic regression that records the weights it was fit with."""

    def fit(self, X, y, sample_weight=None):
        self.y_ = np.asarray(y)
        self.sample_weight_ = np.asarray(sample_weight)
        self.model_ = LogisticRegression().fit(X, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@pytest.mark.parametrize("epsilon", [0.0, 0.3, 1.0])
def test_weights_follow_the_one_plus_epsilon_loss(epsilon):
    """Normal : pseudo-anomalies : known anomalies = 1 : (1 - eps) : eps."""
    X_train, y_train, _, _ = gaussian_with_anomalies(n_normal=600, n_known=30)
    event_weight = np.random.RandomState(0).uniform(0.5, 2.0, len(y_train))
    model = OnePlusEpsilonClassifier(WeightSpy(), epsilon=epsilon, random_state=0)
    model.fit(X_train, y_train, sample_weight=event_weight)
    spy = model.estimator_
    weight, target = spy.sample_weight_, spy.y_
    assert weight.mean() == pytest.approx(1.0)
    normal_total = weight[target == 1].sum()
    n_pseudo = 600 if epsilon < 1 else 0
    assert len(weight) == 600 + n_pseudo + (30 if epsilon > 0 else 0)
    negative_total = weight[target == 0].sum()
    assert negative_total / normal_total == pytest.approx(
        (1 - epsilon) + epsilon, abs=1e-9)
    # the event weights are kept, relative to each other, within the normal data
    normal_weights = weight[:600]
    expected = event_weight[y_train == 1]
    np.testing.assert_allclose(normal_weights / normal_weights.sum(),
                               expected / expected.sum())
    if 0 < epsilon:
        known = weight[-30:]
        assert known.sum() / normal_total == pytest.approx(epsilon)


def test_sample_weight_zero_drops_a_known_anomaly():
    """A zero event weight removes a sample from the loss."""
    X_train, y_train, X_test, _ = gaussian_with_anomalies(n_normal=600, n_known=30)
    weight = np.ones(len(y_train))
    weight[-1] = 0.0
    kwargs = {"estimator": WeightSpy(), "epsilon": 0.5, "random_state": 0}
    weighted = OnePlusEpsilonClassifier(**kwargs).fit(X_train, y_train, sample_weight=weight)
    # same pseudo-anomalies (same seed, same normal data), one anomaly fewer
    dropped = OnePlusEpsilonClassifier(**kwargs).fit(X_train[:-1], y_train[:-1])
    np.testing.assert_allclose(weighted.score_samples(X_test),
                               dropped.score_samples(X_test), rtol=1e-4, atol=1e-4)


def test_label_conventions_agree():
    X_train, y_train, X_test, _ = gaussian_with_anomalies(n_known=10)
    minus_one = OnePlusEpsilonClassifier(random_state=0).fit(X_train, y_train)
    zero_one = OnePlusEpsilonClassifier(anomaly_label=1, random_state=0).fit(
        X_train, (y_train == -1).astype(int))
    np.testing.assert_array_equal(minus_one.score_samples(X_test),
                                  zero_one.score_samples(X_test))
    with pytest.raises(ValueError, match="anomaly_label=1"):
        OnePlusEpsilonClassifier().fit(X_train, (y_train == -1).astype(int))


def test_repeatable_and_outlier_api():
    X_train, y_train, X_test, _ = gaussian_with_anomalies(n_normal=400, n_known=30)
    a = OnePlusEpsilonClassifier(epsilon_grid=(0.5, 1.0), random_state=3).fit(X_train, y_train)
    b = OnePlusEpsilonClassifier(epsilon_grid=(0.5, 1.0), random_state=3).fit(X_train, y_train)
    assert a.cv_scores_ is not None  # the cross-validated search is repeatable too
    np.testing.assert_array_equal(a.cv_scores_, b.cv_scores_)
    np.testing.assert_array_equal(a.score_samples(X_test), b.score_samples(X_test))
    proba = a.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(a.classes_, [-1, 1])
    # P(normal) is the sigmoid of the decision function: it ranks like the score
    normal = np.clip(proba[:, 1], 1e-12, 1 - 1e-12)
    np.testing.assert_allclose(np.log(normal / (1 - normal)), a.decision_function(X_test),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(proba[:, 1] >= 0.5, a.predict(X_test) == 1)
    np.testing.assert_array_equal(a.predict(X_test),
                                  np.where(a.decision_function(X_test) < 0, -1, 1))
    assert a.predict(np.zeros((1, 4)))[0] == 1
    assert a.predict(np.full((1, 4), 8.0))[0] == -1


def test_classifier_without_decision_function():
    X_train, y_train, X_test, kind = gaussian_with_anomalies(n_known=30)
    forest = RandomForestClassifier(n_estimators=50, min_samples_leaf=5)
    model = OnePlusEpsilonClassifier(forest, epsilon=0.5, random_state=0).fit(X_train, y_train)
    assert np.all(np.isfinite(model.score_samples(X_test)))
    assert auc(model, X_test, kind, 2) > 0.9
    assert model.estimator_.random_state is not None  # seeded from random_state


def test_grid_search_over_epsilon_in_a_pipeline():
    X_train, y_train, _, _ = gaussian_with_anomalies(n_known=60)
    pipe = make_pipeline(StandardScaler(),
                         OnePlusEpsilonClassifier(sampler="gaussian", random_state=0))
    search = GridSearchCV(pipe, {"oneplusepsilonclassifier__epsilon": [0.0, 0.5]},
                          scoring="roc_auc", cv=StratifiedKFold(3, shuffle=True, random_state=0))
    search.fit(X_train, y_train)
    assert search.best_score_ > 0.95


def test_bad_input():
    X_train, y_train, _, _ = gaussian_with_anomalies(n_known=30)
    with pytest.raises(ValueError, match="epsilon_grid"):
        OnePlusEpsilonClassifier(epsilon_grid=(0.5, 1.5)).fit(X_train, y_train)
    with pytest.raises(ValueError, match="sample_weight"):
        OnePlusEpsilonClassifier(NoWeights()).fit(X_train, y_train)
    with pytest.raises(ValueError, match="normal"):
        OnePlusEpsilonClassifier().fit(X_train[:3], [1, -1, -1])
    with pytest.raises(ValueError, match="epsilon"):
        OnePlusEpsilonClassifier(epsilon=2.0).fit(X_train, y_train)
    with pytest.raises(ValueError, match="NaN|infinity"):
        X_bad = X_train.copy()
        X_bad[0, 0] = np.nan
        OnePlusEpsilonClassifier().fit(X_bad, y_train)


class NoWeights(ClassifierMixin, BaseEstimator):
    """A classifier whose fit has no sample_weight."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_one_class_score_estimates_the_log_density():
    """Density estimation by classification: on a two-mode mixture the
    score follows the true log-density, which the Gaussian reference alone
    (one mode) cannot."""
    from scipy.stats import multivariate_normal, spearmanr

    rng = np.random.RandomState(0)
    centres = np.array([[-2.0, 0.0, 0.0], [2.0, 0.0, 0.0]])

    def draw(n):
        return centres[rng.randint(2, size=n)] + 0.7 * rng.normal(size=(n, 3))

    def true_log_density(X):
        return np.log(0.5 * sum(multivariate_normal(c, 0.49 * np.eye(3)).pdf(X)
                                for c in centres))

    X, X_test = draw(4000), draw(1000)
    model = OnePlusEpsilonClassifier(random_state=0).fit(X)
    truth = true_log_density(X_test)
    reference_only = spearmanr(model.reference_.logpdf(X_test), truth).statistic
    learned = spearmanr(model.score_samples(X_test), truth).statistic
    assert learned > 0.88 and learned > reference_only + 0.1
    # the Gaussian puts its peak in the empty gap between the modes; the score
    # ranks the gap below the modes
    gap = np.array([[0.0, 0.0, 0.0], [0.3, 0.2, -0.1], [-0.2, 0.1, 0.2]])
    assert model.reference_.logpdf(gap).min() > model.reference_.logpdf(centres).max()
    assert model.score_samples(gap).max() < model.score_samples(centres).min() - 1.0


def test_gaussian_reference_is_the_fitted_normal_law():
    from scipy.stats import multivariate_normal

    rng = np.random.RandomState(0)
    X = rng.normal(size=(3000, 3)) @ np.array([[2.0, 0, 0], [1.0, 1.0, 0], [0, 0, 0.1]])
    X = np.column_stack([X, np.full(len(X), 5.0)])  # a constant feature
    model = OnePlusEpsilonClassifier(sampler="gaussian", random_state=0).fit(X)
    covariance = np.cov(X, rowvar=False)
    variance = np.diag(covariance)
    floor = np.where(variance > 0, variance, variance.mean())
    expected = multivariate_normal(X.mean(axis=0), covariance + 1e-3 * np.diag(floor))
    Z = X[:20] + 0.1
    np.testing.assert_allclose(model.reference_.logpdf(Z), expected.logpdf(Z), rtol=1e-8)
    draws = model.reference_.sample(20000, np.random.RandomState(1))
    np.testing.assert_allclose(np.cov(draws[:, :3], rowvar=False), covariance[:3, :3],
                               atol=0.1)
