"""Searches and chunked scoring on a Dask cluster equal their in-process runs.

A ``LocalCluster`` of two worker processes stands in for a batch system: the
estimators are pickled to the workers, trained there through joblib's Dask
backend, and must give the results of the same search run with ``n_jobs=1``,
bit for bit. Scoring a Dask array chunk by chunk (``map_blocks``) must give
the in-memory scores exactly, because inference runs in blocks of a fixed
shape (see ``BaseTorchEstimator._map_batches``). docs/distributed.rst shows
the same recipes.

Bit-identical results need the same number of torch threads on both sides:
a float32 matrix-vector product (a network with one output, the (1+eps)
logit) rounds differently with some thread counts. Dask's nanny starts each
worker with ``OMP_NUM_THREADS=1``; this module runs its in-process fits and
scores with one torch thread too, and sets one on the workers explicitly.
"""

import logging
import operator
import pickle

import joblib
import numpy as np
import pytest
import torch
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, StratifiedKFold

from sklearn_physgen import GAN, Autoencoder, OnePlusEpsilonDetector

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

COMMON = {"max_epochs": 3, "random_state": 0, "device": "cpu"}
# Enough training for the searched parameters to matter, in well under a second.
SEARCHED = {**COMMON, "max_epochs": 5, "batch_size": 32, "learning_rate": 1e-2}


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=str(tmp_path_factory.mktemp("dask-workers")),
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(torch.set_num_threads, 1)
        yield client


def normal_data(n_samples=240, n_features=6, seed=0):
    """Rows near a 2-D plane of R^n_features."""
    rng = np.random.RandomState(seed)
    basis = rng.normal(size=(2, n_features))
    noise = 0.1 * rng.normal(size=(n_samples, n_features))
    return rng.normal(size=(n_samples, 2)) @ basis + noise


def labelled_data(n_normal=200, n_anomalies=20, seed=0):
    """Normal rows (y=1) and a cluster of anomalies off the plane (y=-1)."""
    rng = np.random.RandomState(seed + 1)
    X_normal = normal_data(n_normal, seed=seed)
    X_anomalies = 2.0 + 0.3 * rng.normal(size=(n_anomalies, X_normal.shape[1]))
    y = np.r_[np.ones(n_normal, dtype=int), -np.ones(n_anomalies, dtype=int)]
    return np.vstack([X_normal, X_anomalies]), y


def fit_on_the_cluster(search, X, y=None):
    search.set_params(n_jobs=-1)  # every worker of the cluster
    with distributed.get_task_stream() as tasks, joblib.parallel_config(backend="dask"):
        search.fit(X, y)
    assert tasks.data, "no task ran on the Dask workers"
    return search


def assert_same_search(on_dask, serial, X):
    results = on_dask.cv_results_
    for key in ("mean_test_score", "split0_test_score", "split1_test_score"):
        np.testing.assert_array_equal(results[key], serial.cv_results_[key])
    assert on_dask.best_params_ == serial.best_params_
    np.testing.assert_array_equal(
        on_dask.best_estimator_.score_samples(X),
        serial.best_estimator_.score_samples(X),
    )


# -- searches ---------------------------------------------------------------------


def test_grid_search_of_the_detector_on_dask_equals_the_serial_search(client):
    X, y = labelled_data()

    def search():
        # y in {1 normal, -1 anomaly} and higher scores for normal rows: the
        # ROC AUC of decision_function with the normal class as positive.
        return GridSearchCV(
            OnePlusEpsilonDetector(hidden_layer_sizes=(16, 16), **SEARCHED),
            {"epsilon": [0.0, 0.5, 0.9]},
            scoring="roc_auc",
            cv=StratifiedKFold(n_splits=2, shuffle=True, random_state=0),
        )

    serial = search().set_params(n_jobs=1).fit(X, y)
    assert serial.best_score_ > 0.9  # measured: ROC AUC 0.973, 0.995, 0.999
    on_dask = fit_on_the_cluster(search(), X, y)
    assert_same_search(on_dask, serial, X)


def autoencoder_search(Search):
    model = Autoencoder(hidden_layer_sizes=(16,), **SEARCHED)
    if Search is GridSearchCV:
        return GridSearchCV(model, {"latent_dim": [1, 2]}, cv=2)
    return RandomizedSearchCV(
        model,
        {"latent_dim": [1, 2, 3], "learning_rate": loguniform(1e-4, 1e-2)},
        n_iter=3,
        cv=2,
        random_state=0,
    )


@pytest.mark.parametrize("Search", [GridSearchCV, RandomizedSearchCV])
def test_search_of_the_autoencoder_on_dask_equals_the_serial_search(client, Search):
    # Unsupervised: the default scorer is the mean normality score (minus
    # the reconstruction error) of the held-out fold.
    X = normal_data()
    serial = autoencoder_search(Search).set_params(n_jobs=1).fit(X)
    on_dask = fit_on_the_cluster(autoencoder_search(Search), X)
    assert_same_search(on_dask, serial, X)


# -- fitted models on the workers ---------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    X, y = labelled_data()
    detector = OnePlusEpsilonDetector(hidden_layer_sizes=(16, 16), **COMMON)
    return {
        "autoencoder": Autoencoder(latent_dim=2, **COMMON).fit(X[y == 1]),
        "one-class detector": clone(detector).fit(X[y == 1]),
        "detector": detector.fit(X, y),
        # its extra critic steps draw real batches from the training set
        "wasserstein gan": GAN(loss="wasserstein", **COMMON).fit(X[y == 1]),
    }


@pytest.mark.parametrize("name", ["autoencoder", "detector"])
def test_a_pickled_model_scores_identically_on_every_worker(client, fitted, name):
    model = fitted[name]
    X_new = normal_data(300, seed=3)
    payload = pickle.dumps(model)
    for worker in client.scheduler_info()["workers"]:
        restored = client.submit(pickle.loads, payload, workers=[worker], pure=False)
        scores = client.submit(
            operator.methodcaller("score_samples", X_new), restored, workers=[worker]
        )
        np.testing.assert_array_equal(scores.result(), model.score_samples(X_new))


@pytest.mark.parametrize(
    "name", ["autoencoder", "one-class detector", "detector", "wasserstein gan"]
)
def test_the_pickle_holds_no_training_row(fitted, name):
    # What is shipped to the workers is the model, not the data.
    X, _ = labelled_data()
    payload = pickle.dumps(fitted[name])
    found = [
        i for i, row in enumerate(X) for dtype in (np.float32, np.float64)
        if row.astype(dtype).tobytes() in payload
    ]
    assert found == []


# -- scoring a Dask array chunk by chunk ------------------------------------------


def chunked(method, X, dtype, n_columns=None):
    """``method`` over the row chunks of the Dask array ``X``: one value per
    row, or ``n_columns`` values per row."""
    if n_columns is None:
        return X.map_blocks(method, drop_axis=1, dtype=dtype)
    return X.map_blocks(method, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)


def chunked_results(fitted, X):
    """``{name: (in-memory method, lazy chunked result)}``."""
    ae, detector = fitted["autoencoder"], fitted["detector"]
    return {
        "score_samples": (ae.score_samples, chunked(ae.score_samples, X, X.dtype)),
        "decision_function": (
            ae.decision_function,
            chunked(ae.decision_function, X, X.dtype),
        ),
        "predict": (ae.predict, chunked(ae.predict, X, int)),
        "transform": (
            ae.transform,
            chunked(ae.transform, X, X.dtype, n_columns=ae.latent_dim),
        ),
        "detector score_samples": (
            detector.score_samples,
            chunked(detector.score_samples, X, X.dtype),
        ),
    }


def assert_chunked_equal_in_memory(fitted, X_dask, X, scheduler):
    # More rows than one inference block, so that blocks are padded.
    assert X.shape[0] > 1024
    expected_and_lazy = chunked_results(fitted, X_dask)
    computed = scheduler(*[lazy for _, lazy in expected_and_lazy.values()])
    for (name, (method, _)), result in zip(expected_and_lazy.items(), computed):
        assert isinstance(result, np.ndarray), name
        np.testing.assert_array_equal(result, method(X), err_msg=name)


def on_threads(*arrays):
    return dask.compute(*arrays, scheduler="threads")


def on_cluster(client):
    return lambda *arrays: client.compute(list(arrays), sync=True)


def test_scores_of_a_dask_array_with_uneven_chunks_equal_in_memory_scores(
    client, fitted
):
    X = normal_data(2600, seed=4)
    X_dask = da.from_array(X, chunks=((700, 1300, 1, 599), (X.shape[1],)))
    assert_chunked_equal_in_memory(fitted, X_dask, X, on_cluster(client))


@pytest.mark.parametrize("where", ["threads", "cluster"])
def test_scores_of_a_memmap_file_equal_in_memory_scores(
    client, fitted, tmp_path, where
):
    X = normal_data(2600, seed=5)
    path = tmp_path / "events.f64"
    on_disk = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    on_disk[:] = X
    on_disk.flush()
    del on_disk
    memmap = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    X_dask = da.from_array(memmap, chunks=(1000, -1))
    assert X_dask.chunks[0] == (1000, 1000, 600)
    # Threads read the chunks from the file in this process. The cluster gets
    # the memmap pickled with its contents: right, but not for data larger
    # than memory (docs/distributed.rst says what to use there).
    scheduler = on_threads if where == "threads" else on_cluster(client)
    assert_chunked_equal_in_memory(fitted, X_dask, X, scheduler)
