"""Full-size HIGGS on one machine: time and peak memory of fit and scoring on
a memory-mapped float32 array of 10^5 to 10^7 rows.

The array is what ``sklearn_physgen.datasets.fetch_higgs`` returns for the
full UCI file (11M x 28 float32, memory-mapped with ``np.load(path,
mmap_mode="r")``), built offline from the 25,970 real HIGGS events in
``../shared/data/higgs.npz``: rows are resampled with replacement and every
feature gets Gaussian noise of ``--noise`` (0.05) times its standard
deviation. The file is written **already standardised** with the mean and
standard deviation of the 25,970 real rows (the estimators here expect
standardised input; nothing standardises on the fly), chunk by chunk with
``np.lib.format.open_memmap``, so the whole array is never in memory. (The
noise makes the four three-valued b-tag columns continuous; for timing and
memory that does not matter.)

Each (model, size) runs in a fresh subprocess, so that its peak RSS is its
own. The child imports everything and fits the model once on 2,048 rows
(warm-up: library and allocator overhead), reads the peak RSS
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``), then fits on the whole
memory-mapped array and calls ``score_samples`` and, where the estimator
has them, ``decision_function`` and ``transform`` on the whole array. It
reports:

- ``fit s``: wall time of ``fit`` (one epoch plus, for ours, the pass over the
  training data that sets ``offset_``); ``epoch s``: the epoch alone
  (skorch's ``dur`` for ours, PyOD's ``train`` method);
- ``score rows/s``: rows / wall time of ``score_samples`` (PyOD, which has
  none: ``decision_function``), and the same for the other methods;
- ``peak RSS / array``: peak RSS after minus peak RSS before the full-size
  fit (``ru_maxrss``), divided by the array's size in bytes. The array's
  pages, once read, count in the RSS, so reading it is 1x; the package's
  target is at most 2x. ``HWM / array``: the same from the kernel's
  high-water mark (``VmHWM``), reset through ``/proc/self/clear_refs`` when
  ``ru_maxrss`` is read, minus the RSS at that moment. ``ru_maxrss`` cannot
  be reset, and Linux starts a program's peak at the peak of the process
  that started it, so the parent here keeps its own memory small (the data
  file is written by a child process, torch is never imported); the two
  measures then agree.

Models (``--models``): ``Autoencoder``, ``VariationalAutoencoder``,
``OPE-uniform`` (``OnePlusEpsilonDetector(sampler='uniform')``, brute force),
``OPE-rmsprop`` (``sampler='rmsprop'``, an energy sampler), ``DeepSVDD``, all
with package defaults and ``batch_size=1024, max_epochs=1, device='cpu',
random_state=0``, fitted one-class; the peers ``IsolationForest``
(scikit-learn defaults, ``random_state=0``; scoring runs under joblib's
threading backend with ``--threads`` jobs, as its docstring suggests, so it
gets the same cores as torch) and ``PyOD-AutoEncoder``
(``pyod.models.auto_encoder.AutoEncoder`` with the same 28-64-32-2 encoder
as our ``Autoencoder``'s defaults, no batch norm, dropout, weight decay or
own standardisation, ``epoch_num=1, batch_size=1024``; its ``fit`` also
scores the training data).

Sizes run in increasing order. Before each run the time is extrapolated
linearly from the model's previous size, and the peak memory from its
previous multiple of the array; a run whose extrapolated time exceeds
``--max-run-seconds`` or whose extrapolated memory exceeds the available
memory is skipped and the extrapolation recorded instead (marked ``~``). A
run that passes the check but outlives the limit is killed and marked
``timed out``.

At the end it prints, per model, how fit time, scoring time and peak RSS
growth scale from the smallest to the largest size measured, the ratio of
each model's scoring throughput to IsolationForest's at each size (same
invocation, same data file), and the epoch-time ratio of the energy sampler
to brute force. Results go to ``--json`` (``benchmarks/results/``, ignored
by git); ``--rst`` prints the table as an RST list-table.

Examples
--------
Full run (33 minutes on a 2-core VM with one thread, the VAE at 10^7 rows
stopped at the 8-minute limit; needs about 1.2 GB of disk for the 10^7-row
file, deleted at the end). On a machine whose cores are busy with other
work, use one thread: OpenMP threads competing for cores made the torch
models 1.6-15x slower there::

    OMP_NUM_THREADS=1 python benchmarks/bench_full_size.py --threads 1 \\
        --budget-seconds 2100 --rst

Quick check::

    OMP_NUM_THREADS=1 python benchmarks/bench_full_size.py --sizes 20000 \\
        --threads 1
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_autoencoder_throughput import make_pyod_autoencoder, time_pyod_training

REPO_ROOT = Path(__file__).resolve().parents[1]
HIGGS_PATH = (REPO_ROOT / ".." / "shared" / "data" / "higgs.npz").resolve()
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
MODELS = ["Autoencoder", "VariationalAutoencoder", "OPE-uniform", "OPE-rmsprop",
          "DeepSVDD", "IsolationForest", "PyOD-AutoEncoder"]
OURS = ["Autoencoder", "VariationalAutoencoder", "OPE-uniform", "OPE-rmsprop", "DeepSVDD"]
METHODS = ("score_samples", "decision_function", "transform")
OURS_SETTINGS = {"batch_size": 1024, "max_epochs": 1, "device": "cpu", "random_state": 0}
CHUNK_ROWS = 1_000_000
WARM_UP_ROWS = 2048


# -- the data file --------------------------------------------------------------

def write_data(path, n_rows, noise, seed=0, chunk_rows=CHUNK_ROWS):
    """Write ``n_rows`` resampled, jittered, standardised HIGGS rows to ``path``.

    Returns a description of the data. Memory: one chunk at a time.
    """
    real = np.load(HIGGS_PATH)["X"].astype(np.float64)
    mean, std = real.mean(axis=0), real.std(axis=0)
    # standardised real rows; noise of `noise` x each feature's std is
    # `noise` in standardised units
    standard = ((real - mean) / std).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32,
                                    shape=(n_rows, real.shape[1]))
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        index = rng.integers(0, len(standard), size=stop - start)
        block = standard[index]
        block += np.float32(noise) * rng.standard_normal(block.shape, dtype=np.float32)
        out[start:stop] = block
    out.flush()
    del out
    return (f"{len(real):,} real HIGGS rows ({HIGGS_PATH.name}), resampled with "
            f"replacement, + N(0, ({noise} std)^2) noise per feature, standardised "
            "with the real rows' mean/std, float32 .npy, memory-mapped")


def available_memory_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


# -- one run, in a child process ----------------------------------------------

def proc_status_bytes(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_high_water_mark():
    """Reset the kernel's peak RSS (VmHWM) of this process; its RSS now, or None."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    return proc_status_bytes("VmRSS")


def make_model(name, threads):
    if name == "IsolationForest":
        from sklearn.ensemble import IsolationForest
        return IsolationForest(random_state=0)
    if name == "PyOD-AutoEncoder":
        # the same 28-64-32-2 encoder (and mirrored decoder) as our Autoencoder
        return make_pyod_autoencoder([64, 32, 2], learning_rate=1e-3, epochs=1,
                                     batch_size=1024)
    import sklearn_physgen as sp
    if name.startswith("OPE-"):
        return sp.OnePlusEpsilonDetector(sampler=name[4:], **OURS_SETTINGS)
    return getattr(sp, name)(**OURS_SETTINGS)


def child(model_name, path, threads):
    import warnings

    import joblib
    import torch

    warnings.simplefilter("ignore")
    torch.set_num_threads(threads)
    X = np.load(path, mmap_mode="r")
    is_pyod = model_name == "PyOD-AutoEncoder"
    methods = [m for m in METHODS if hasattr(make_model(model_name, threads), m)]

    def call(model, method, data):
        if model_name == "IsolationForest" and threads > 1:
            with joblib.parallel_backend("threading", n_jobs=threads):
                return getattr(model, method)(data)
        return getattr(model, method)(data)

    # warm-up: imports, first calls, allocator pools, excluded from the growth
    warm = make_model(model_name, threads).fit(X[:WARM_UP_ROWS])
    for method in methods:
        call(warm, method, X[:WARM_UP_ROWS])
    del warm
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    rss_now = reset_high_water_mark()

    model = make_model(model_name, threads)
    epoch = time_pyod_training(model) if is_pyod else []
    start = time.perf_counter()
    model.fit(X)
    fit_s = time.perf_counter() - start
    if hasattr(model, "history_"):
        epoch.append(float(sum(model.history_[:, "dur"])))
    after_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    seconds = {}
    for method in methods:
        start = time.perf_counter()
        result = call(model, method, X)
        seconds[method] = time.perf_counter() - start
        del result
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    hwm = proc_status_bytes("VmHWM") if rss_now is not None else None
    return {
        # secondary measure: the kernel's high-water mark reset just before
        # the fit, minus the RSS then (ru_maxrss cannot be reset, so when
        # the warm-up's peak is never exceeded the main measure reads 0)
        "rss_before": rss_now,
        "hwm_growth_x_array": (hwm - rss_now) / X.nbytes if hwm is not None else None,
        "fit_s": fit_s, "epoch_s": epoch[0] if epoch else None,
        "method_s": seconds,
        "rows_per_s": {m: len(X) / s for m, s in seconds.items()},
        "peak_rss_before": before, "peak_rss_growth": after - before,
        "peak_rss_growth_fit": after_fit - before,
        "growth_x_array": (after - before) / X.nbytes,
        "growth_x_array_fit": (after_fit - before) / X.nbytes,
        "array_bytes": int(X.nbytes), "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


# -- the parent ---------------------------------------------------------------

def score_rate(record):
    rates = record.get("rows_per_s") or {}
    return rates.get("score_samples", rates.get("decision_function"))


def run_child(model, path, threads, limit):
    command = [sys.executable, __file__, "--child", model, str(path), "--threads", str(threads)]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        return {"status": "timed out", "wall_s": time.perf_counter() - start,
                "note": f"killed after {limit:.0f} s"}
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "wall_s": wall, "returncode": done.returncode,
                "note": " | ".join(tail)}
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record.update(status="measured", wall_s=wall)
    return record


def extrapolate(previous, n_rows, array_bytes):
    """Linear in rows for time; the same multiple of the array for memory."""
    factor = n_rows / previous["n_rows"]
    # the work grows with the rows; the start-up (imports, warm-up) does not
    work = previous.get("fit_s", 0.0) + sum((previous.get("method_s") or {}).values())
    overhead = max(previous["wall_s"] - work, 0.0) if work else 0.0
    record = {"status": "extrapolated", "from_n_rows": previous["n_rows"],
              "wall_s": overhead + (previous["wall_s"] - overhead) * factor}
    for key in ("fit_s", "epoch_s"):
        if previous.get(key) is not None:
            record[key] = previous[key] * factor
    if previous.get("method_s"):
        record["method_s"] = {m: s * factor for m, s in previous["method_s"].items()}
        record["rows_per_s"] = dict(previous["rows_per_s"])
    if previous.get("growth_x_array") is not None:
        record["growth_x_array"] = previous["growth_x_array"]
        record["hwm_growth_x_array"] = previous.get("hwm_growth_x_array")
        record["peak_rss_growth"] = max(previous["growth_x_array"],
                                        previous.get("hwm_growth_x_array") or 0) * array_bytes
    return record


def fmt(value, spec, approx=False):
    if value is None:
        return "–"
    return ("~" if approx else "") + format(value, spec)


def table_rows(records, n_rows):
    rows = []
    iforest = records.get(("IsolationForest", n_rows), {})
    for (model, size), r in records.items():
        if size != n_rows:
            continue
        approx = r["status"] == "extrapolated"
        rates = r.get("rows_per_s") or {}
        rate, base = score_rate(r), score_rate(iforest)
        measured = r["status"] in ("measured", "extrapolated")
        rows.append([
            model,
            fmt(r.get("fit_s"), ".1f", approx) if measured else r["status"],
            fmt(r.get("epoch_s"), ".1f", approx) if measured else "–",
            fmt(rate, ",.0f", approx) if measured else "–",
            fmt(rates.get("decision_function") if "score_samples" in rates else None,
                ",.0f", approx),
            fmt(rates.get("transform"), ",.0f", approx),
            fmt(r.get("growth_x_array"), ".2f", approx) + ("x" if r.get("growth_x_array") is not None else ""),
            fmt(r.get("hwm_growth_x_array"), ".2f", approx) + ("x" if r.get("hwm_growth_x_array") is not None else ""),
            (fmt(rate / base, ".2f", approx or iforest.get("status") == "extrapolated") + "x"
             if rate and base else "–"),
        ])
    return rows


HEADER = ["model", "fit s", "epoch s", "score rows/s", "decision rows/s",
          "transform rows/s", "peak RSS / array", "HWM / array", "score vs IForest"]


def print_table(records, n_rows):
    print(f"\n{n_rows:,} rows x 28 float32 ({n_rows * 28 * 4 / 1e6:,.1f} MB)")
    widths = [24, 9, 9, 14, 16, 17, 17, 13, 17]
    print("".join(f"{h:>{w}}" if i else f"{h:<{w}}" for i, (h, w) in enumerate(zip(HEADER, widths))))
    for row in table_rows(records, n_rows):
        print("".join(f"{c:>{w}}" if i else f"{c:<{w}}" for i, (c, w) in enumerate(zip(row, widths))))
    for model, size in records:
        r = records[(model, size)]
        if size == n_rows and r.get("note"):
            print(f"  {model}: {r['status']}: {r['note']}")


def rst_table(records, sizes):
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - rows", *[f"     - {h}" for h in HEADER]]
    for n_rows in sizes:
        for row in table_rows(records, n_rows):
            lines.append(f"   * - {n_rows:.0e}".replace("e+0", "e"))
            lines += [f"     - {c}" for c in row]
    return "\n".join(lines)


def summaries(records, sizes):
    out = {"scaling": {}, "vs_isolation_forest": {}, "energy_vs_brute_force_epoch": {}}
    models = list(dict.fromkeys(m for m, _ in records))
    print("\nScaling, smallest to largest size measured (linear in rows = the size ratio):")
    for model in models:
        done = [n for n in sizes if records.get((model, n), {}).get("status") == "measured"]
        if len(done) < 2:
            print(f"  {model}: fewer than two sizes measured")
            continue
        a, b = records[(model, done[0])], records[(model, done[-1])]
        s = {"from": done[0], "to": done[-1], "rows_ratio": done[-1] / done[0],
             "fit_time_ratio": b["fit_s"] / a["fit_s"],
             "score_time_ratio": (done[-1] / score_rate(b)) / (done[0] / score_rate(a)),
             "peak_rss_growth_ratio": (b["hwm_growth_x_array"] * b["array_bytes"]
                                       / (a["hwm_growth_x_array"] * a["array_bytes"])
                                       if a.get("hwm_growth_x_array") else None),
             "growth_x_array": [a["hwm_growth_x_array"], b["hwm_growth_x_array"]]}
        out["scaling"][model] = s
        rss = (f"{s['peak_rss_growth_ratio']:.1f}x" if s["peak_rss_growth_ratio"] else "n/a")
        print(f"  {model}: {done[0]:,} -> {done[-1]:,} rows ({s['rows_ratio']:.0f}x): fit time "
              f"{s['fit_time_ratio']:.1f}x, scoring time {s['score_time_ratio']:.1f}x, "
              f"peak RSS growth (HWM) {rss} ({s['growth_x_array'][0]:.2f}x -> "
              f"{s['growth_x_array'][1]:.2f}x the array)")
    print("\nScoring throughput / IsolationForest's (same invocation, same file):")
    for n_rows in sizes:
        base = records.get(("IsolationForest", n_rows))
        if not base or not score_rate(base):
            continue
        ratios = {m: score_rate(r) / score_rate(base) for (m, n), r in records.items()
                  if n == n_rows and m != "IsolationForest" and score_rate(r)}
        if not ratios:
            continue
        out["vs_isolation_forest"][n_rows] = ratios
        approx = base["status"] == "extrapolated"
        print(f"  {n_rows:,}{' (IsolationForest extrapolated)' if approx else ''}: "
              + ", ".join(f"{m} {v:.2f}x" for m, v in ratios.items()))
    print("\nEnergy sampler (rmsprop) / brute force (uniform), epoch time:")
    for n_rows in sizes:
        u, e = records.get(("OPE-uniform", n_rows)), records.get(("OPE-rmsprop", n_rows))
        if u and e and u.get("epoch_s") and e.get("epoch_s"):
            ratio = e["epoch_s"] / u["epoch_s"]
            approx = "extrapolated" in (u["status"], e["status"])
            out["energy_vs_brute_force_epoch"][n_rows] = ratio
            print(f"  {n_rows:,}: {ratio:.2f}x{' (extrapolated)' if approx else ''}")
    return out


def machine_info(threads):
    # versions from the package metadata: importing torch here would raise
    # the parent's peak RSS, which every child inherits (see main)
    from importlib.metadata import version

    model = platform.processor()
    try:
        for line in subprocess.run(["lscpu"], check=False, capture_output=True,
                                    text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(), "cpu_model": model, "cpu_count": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "torch_threads": threads, "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        "python": platform.python_version(), "numpy": np.__version__,
        **{name: version(name) for name in ("torch", "skorch", "scikit-learn", "pyod",
                                            "sklearn-physgen")},
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=int,
                        default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="torch threads (and IsolationForest scoring jobs)")
    parser.add_argument("--noise", type=float, default=0.05)
    parser.add_argument("--max-run-seconds", type=float, default=480.0,
                        help="skip (extrapolate) or kill a run longer than this")
    parser.add_argument("--budget-seconds", type=float, default=None,
                        help="whole-run budget: a run that would end past it is "
                        "skipped (extrapolated) or killed")
    parser.add_argument("--data-dir", default=None,
                        help="where the .npy files go (a temporary folder)")
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--json", default=str(RESULTS_DIR / "full_size.json"))
    parser.add_argument("--rst", action="store_true", help="also print an RST list-table")
    parser.add_argument("--child", nargs=2, metavar=("MODEL", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--write-data", nargs=3, metavar=("PATH", "ROWS", "NOISE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.write_data:
        path, n_rows, noise = args.write_data
        print(write_data(path, int(n_rows), float(noise)))
        return None

    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.threads)))
        return None

    sizes = sorted(args.sizes)
    machine = machine_info(args.threads)
    for key, value in machine.items():
        print(f"{key:>16}: {value}")
    own_dir = args.data_dir is None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="physgen_full_size_"))
    data_dir.mkdir(parents=True, exist_ok=True)
    records, data_note = {}, None
    deadline = (time.monotonic() + args.budget_seconds) if args.budget_seconds else None
    payload = {"machine": machine, "config": {**vars(args), "sizes": sizes,
                                              "ours": OURS_SETTINGS}}
    json_path = Path(args.json)
    json_path.parent.mkdir(parents=True, exist_ok=True)

    def save():
        payload["records"] = [{"model": m, "n_rows": n, **r} for (m, n), r in records.items()]
        json_path.write_text(json.dumps(payload, indent=1, default=str) + "\n")

    try:
        for n_rows in sizes:
            path = data_dir / f"higgs_like_{n_rows}.npy"
            array_bytes = n_rows * 28 * 4
            free = shutil.disk_usage(data_dir).free
            if free < 1.2 * array_bytes:
                print(f"\n{n_rows:,} rows: not enough disk ({free / 1e9:.1f} GB free "
                      f"in {data_dir}, the file needs {array_bytes / 1e9:.2f} GB)")
                break
            start = time.perf_counter()
            # in a child process: a process's peak RSS passes to the program
            # it starts (Linux records the old memory's peak at exec), so a
            # parent that had the file mapped would raise every run's
            # ru_maxrss baseline by the array's size
            data_note = subprocess.run(
                [sys.executable, __file__, "--write-data", str(path), str(n_rows),
                 str(args.noise)], check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            payload["data"] = data_note
            print(f"\n[{n_rows:,} rows] wrote {path} ({array_bytes / 1e6:,.1f} MB) in "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
            for model in args.models:
                smaller = [n for n in sizes if n < n_rows and records.get(
                    (model, n), {}).get("status") in ("measured", "extrapolated")]
                previous = ({**records[(model, smaller[-1])], "n_rows": smaller[-1]}
                            if smaller else None)
                if any(records.get((model, n), {}).get("status") == "timed out"
                       for n in sizes if n < n_rows):
                    records[(model, n_rows)] = {"status": "not run",
                                                "note": "a smaller size timed out"}
                    print(f"  {model}: not run (a smaller size timed out)", flush=True)
                    save()
                    continue
                if previous is not None:
                    guess = extrapolate(previous, n_rows, array_bytes)
                    memory = available_memory_bytes()
                    limit = args.max_run_seconds
                    if deadline is not None:
                        limit = min(limit, deadline - time.monotonic())
                    too_slow = guess["wall_s"] > limit
                    too_big = (memory is not None and guess.get("peak_rss_growth", 0) > memory)
                    if too_slow or too_big or previous["status"] == "extrapolated":
                        why = []
                        if too_slow:
                            why.append(f"time: ~{guess['wall_s']:.0f} s extrapolated from "
                                       f"{previous['n_rows']:,} rows > {limit:.0f} s "
                                       + ("left" if limit < args.max_run_seconds else "limit"))
                        if too_big:
                            why.append(f"memory: ~{guess['peak_rss_growth'] / 2**30:.1f} GiB "
                                       f"> {memory / 2**30:.1f} GiB available")
                        if previous["status"] == "extrapolated" and not why:
                            why.append("the smaller size was already extrapolated")
                        guess["note"] = "not run: " + "; ".join(why)
                        records[(model, n_rows)] = guess
                        print(f"  {model}: skipped ({guess['note']})", flush=True)
                        save()
                        continue
                limit = args.max_run_seconds
                if deadline is not None:
                    limit = min(limit, deadline - time.monotonic())
                if limit < 10:
                    records[(model, n_rows)] = {"status": "not run",
                                                "note": "the run's time budget was spent"}
                    print(f"  {model}: not run (budget spent)", flush=True)
                    save()
                    continue
                load = os.getloadavg()[0]
                record = run_child(model, path, args.threads, limit)
                record["load_avg_1min_before"] = round(load, 2)
                if record["status"] == "timed out" and previous is not None:
                    guess = extrapolate(previous, n_rows, array_bytes)
                    guess["note"] = (f"timed out after {limit:.0f} s; numbers "
                                     f"extrapolated from {previous['n_rows']:,} rows")
                    record = guess
                records[(model, n_rows)] = record
                if record["status"] == "measured":
                    print(f"  {model}: fit {record['fit_s']:.1f} s, score "
                          f"{score_rate(record):,.0f} rows/s, peak RSS "
                          f"+{record['growth_x_array']:.2f}x the array (HWM "
                          f"{fmt(record.get('hwm_growth_x_array'), '.2f')}x), run "
                          f"{record['wall_s']:.0f} s (load {load:.1f})", flush=True)
                else:
                    print(f"  {model}: {record['status']} ({record.get('note', '')})", flush=True)
                save()
            print_table(records, n_rows)
            if not args.keep_data:
                path.unlink()
    finally:
        if not args.keep_data:
            for n_rows in sizes:
                (data_dir / f"higgs_like_{n_rows}.npy").unlink(missing_ok=True)
            if own_dir:
                shutil.rmtree(data_dir, ignore_errors=True)

    payload["summaries"] = summaries(records, sizes)
    save()
    if args.rst:
        print("\n" + rst_table(records, sizes))
    print(f"\nResults written to {json_path}")
    return records


if __name__ == "__main__":
    main()
