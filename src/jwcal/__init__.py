"""jwcal: a fast re-implementation of the JWST science calibration pipeline.

Stage 1 (ramps to count rates), stage 2 (calibrated exposures) and stage 3 (combined
products) run from the command line (``python -m jwcal detector1 file_uncal.fits``) or from
Python.  The per-pixel work is done by the compiled kernels of :mod:`jwcore`.

Subpackages load on first use, so ``import jwcal`` is quick.
"""

from importlib import import_module as _import_module

from ._version import __version__

__all__ = ["__version__", "datamodels", "dqflags", "references", "errors"]

_SUBMODULES = {
    "associations",
    "datamodels",
    "dqflags",
    "errors",
    "pipelines",
    "references",
    "simulate",
    "steps",
    "stpipe",
}


def __getattr__(name):
    if name in _SUBMODULES:
        return _import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'jwcal' has no attribute {name!r}")
