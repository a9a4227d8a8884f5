"""Matplotlib style of the gallery: matplotlib's, or a collaboration's.

``SKLEARN_PHYSGEN_PLOT_STYLE=CMS`` (or ``ATLAS``, ``LHCb2``, ``ALICE``,
``ROOT``: mplhep's styles, as for the command's ``--plot-style``) draws every
example in that style. sphinx-gallery calls :func:`reset_style` before each
example, after resetting matplotlib (``reset_modules`` in ``conf.py``).
"""

import os

VARIABLE = "SKLEARN_PHYSGEN_PLOT_STYLE"


def reset_style(gallery_conf, fname):
    """Apply the style named by ``SKLEARN_PHYSGEN_PLOT_STYLE``, if any."""
    name = os.environ.get(VARIABLE)
    if not name:
        return
    import matplotlib.pyplot as plt
    import mplhep  # the 'hep' extra

    style = getattr(mplhep.style, name, None)
    if style is None:
        raise ValueError(f"{VARIABLE}={name!r} is not an mplhep style.")
    plt.style.use(style)
