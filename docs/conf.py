"""Sphinx configuration of the sklearn_physgen documentation.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
from the repository root. The build runs every ``examples/plot_*.py`` (through
sphinx-gallery) and needs no network: no intersphinx, a built-in theme.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # examples run headless, also when this file is imported

DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent
# The package is normally installed (editable); this keeps a bare checkout working.
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(DOCS_DIR))  # _gallery_style, named in sphinx_gallery_conf

import torch

import sklearn_physgen

# The examples train small networks on small batches, for which one thread is
# fastest. On a machine whose cores are busy with other work, more OpenMP
# threads are much slower (a short GAN fit took 0.8 s with one thread and 36 s
# with two on the project's shared 2-core machine). Examples run in this
# process, so this applies to all of them.
torch.set_num_threads(1)

# -- Project ---------------------------------------------------------------

project = "sklearn_physgen"
author = "sklearn_physgen developers"
copyright = "sklearn_physgen developers, BSD-3-Clause"
release = sklearn_physgen.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "_templates",
    "**.ipynb_checkpoints",
    "sg_execution_times.rst",
]
root_doc = "index"
default_role = "literal"  # `x` renders as code, never as a dangling reference
pygments_style = "sphinx"

# -- autodoc / autosummary / numpydoc --------------------------------------

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # types are in the numpydoc Parameters sections
numpydoc_show_class_members = False  # methods are listed by the class template
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery --------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(REPO_ROOT / "examples"),
    "gallery_dirs": str(DOCS_DIR / "auto_examples"),
    # Run every plot_*.py; helper modules whose name starts with "_" are
    # neither run nor listed.
    "filename_pattern": r"[\\/]plot_",
    "ignore_pattern": r"(^|[\\/])_[^\\/]*\.py$",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_physgen",),
    "backreferences_dir": str(DOCS_DIR / "gen_modules" / "backreferences"),
    "reference_url": {"sklearn_physgen": None},
    "image_scrapers": ("matplotlib",),
    # SKLEARN_PHYSGEN_PLOT_STYLE=CMS draws the gallery in mplhep's CMS style
    "reset_modules": ("matplotlib", "_gallery_style.reset_style"),
    "matplotlib_animations": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
    "download_all_examples": False,
    # sphinx-gallery skips examples whose source has not changed since the
    # last build in this checkout. tests/test_docs.py sets this variable so
    # that an example broken by a change in the package is run, and fails.
    "run_stale_examples": os.environ.get("SKLEARN_PHYSGEN_DOCS_RUN_ALL") == "1",
}

# -- HTML ------------------------------------------------------------------

html_theme = "alabaster"
html_theme_options = {
    "description": "Deep generative models and (1+ε) anomaly detectors, "
    "scikit-learn style",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_static_path = []
html_show_sourcelink = False
html_title = f"sklearn_physgen {release}"
