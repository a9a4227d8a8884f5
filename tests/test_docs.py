"""The documentation builds without a warning, examples included.

Runs ``python -m sphinx -W --keep-going -b html docs <tmp>/html`` from the
repository root: numpydoc parses every public docstring, autosummary writes
the API pages, and sphinx-gallery runs every ``examples/plot_*.py`` (an example
that raises fails the build). About a minute on two cores.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_physgen
from sklearn_physgen import datasets, metrics

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT_TAIL_CHARS = 6000


@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason='sphinx is not installed; pip install -e ".[test]" installs it with '
    "numpydoc, sphinx-gallery and matplotlib",
)
@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    env = dict(os.environ)
    # Run every example, also those unchanged since an earlier build in this
    # checkout (read by docs/conf.py), so that a change in the package that
    # breaks an example fails here.
    env["SKLEARN_PHYSGEN_DOCS_RUN_ALL"] = "1"
    env["MPLBACKEND"] = "Agg"
    command = [
        sys.executable, "-m", "sphinx",
        "-W", "--keep-going",
        "-b", "html",
        "-d", str(tmp_path / "doctrees"),
        "docs", str(tmp_path / "html"),
    ]
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    output = completed.stdout
    assert completed.returncode == 0, (
        f"{' '.join(command)} exited with {completed.returncode}; "
        f"last {OUTPUT_TAIL_CHARS} characters of its output:\n"
        f"{output[-OUTPUT_TAIL_CHARS:]}"
    )
    assert (tmp_path / "html" / "index.html").exists()
    assert (tmp_path / "html" / "api.html").exists()
    assert (tmp_path / "html" / "auto_examples" / "index.html").exists()


def test_api_reference_lists_every_public_name():
    # An estimator or function added to an ``__all__`` must get an API page.
    api = (REPO_ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^ {3}(\w+)\s*$", api, flags=re.MULTILINE))
    modules = {"__version__", "datasets", "metrics"}
    public = (
        {name for name in sklearn_physgen.__all__ if name not in modules}
        | set(metrics.__all__)
        | set(datasets.__all__)
    )
    missing = sorted(public - listed)
    assert not missing, f"not in an autosummary list of docs/api.rst: {missing}"


@pytest.mark.parametrize("page", ["weights.rst", "onnx.rst", "datasets.rst"])
def test_examples_on_the_page_run(page):
    # The page's ``>>>`` examples are doctests; a change that breaks what a
    # page shows fails here. The routing example switches scikit-learn's
    # metadata routing on and off; config_context restores it either way.
    import doctest

    import sklearn

    with sklearn.config_context():
        result = doctest.testfile(
            str(REPO_ROOT / "docs" / page), module_relative=False,
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
        )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"


def test_gallery_style_follows_the_environment(monkeypatch):
    # docs/conf.py has sphinx-gallery call reset_style before every example
    pytest.importorskip("mplhep")
    import matplotlib.pyplot as plt

    spec = importlib.util.spec_from_file_location(
        "_gallery_style", REPO_ROOT / "docs" / "_gallery_style.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with plt.rc_context():
        default = dict(plt.rcParams)
        monkeypatch.delenv(module.VARIABLE, raising=False)
        module.reset_style({}, "plot_x.py")
        assert dict(plt.rcParams) == default
        monkeypatch.setenv(module.VARIABLE, "CMS")
        module.reset_style({}, "plot_x.py")
        assert plt.rcParams["xtick.direction"] == "in" != default["xtick.direction"]
        monkeypatch.setenv(module.VARIABLE, "NoSuchStyle")
        with pytest.raises(ValueError, match="not an mplhep style"):
            module.reset_style({}, "plot_x.py")

