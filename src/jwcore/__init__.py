"""jwcore: the compiled kernels of jwcal.

Each algorithm family lives in a subpackage that works on NumPy arrays and plain numbers
(no data models, no astropy), so that other packages can call it directly:

- :mod:`jwcore.detector`: per-pixel detector corrections (saturation flagging, ...)
- :mod:`jwcore.ramp`: ramp fitting (OLS with optimal weighting, LIKELY)
- :mod:`jwcore.dqflags`: the JWST data-quality flag values
- :mod:`jwcore.resample`: drizzle, blot and fast pixel maps

Every kernel takes ``n_threads`` and gives identical results for any thread count.
"""

from importlib import import_module as _import_module

from ._version import __version__

__all__ = ["__version__", "detector", "dqflags", "openmp_enabled"]

_SUBMODULES = {"detector", "dqflags", "ramp", "jump", "refpix", "resample", "cube"}


def openmp_enabled() -> bool:
    """True when jwcore was built with OpenMP, so ``n_threads > 1`` runs in parallel."""
    from ._buildinfo import OPENMP

    return bool(OPENMP)


def __getattr__(name):
    # Subpackages load on first use so that ``import jwcore`` stays fast.
    if name in _SUBMODULES:
        return _import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'jwcore' has no attribute {name!r}")
