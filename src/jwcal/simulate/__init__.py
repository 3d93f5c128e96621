"""Realistic simulated JWST exposures, with matching reference files and truth.

``simulate_exposure(outdir, instrument="nircam", detector="nrca1", subarray="SUB320",
readpatt="BRIGHT2", ngroups=10, nints=1, seed=7)`` writes ``outdir/<jwst name>_uncal.fits``,
the reference files of every stage-1 step in ``outdir/refs/`` and the truth
(``truth_rate.fits``, ``truth_jumps.ecsv``, ``truth_saturation.fits``, ``truth_masks.fits``).
``simulate_rate`` writes a ``_rate.fits`` (truth rate plus noise) with the stage-2 references
instead, and ``simulate_dithers`` a dithered observation of one field with its associations;
``simulate_image3`` adds pointing errors, sky offsets and residual cosmic rays for stage 3.
The imagers' exposures carry the flight geometry (pysiaf, optional) and the truth of a sky
catalogue (``truth_catalog.ecsv``, ``truth_sources.ecsv``).
The command line is ``python -m jwcal simulate``.
"""

from .api import DEFAULT_SWITCHES, SimResult, simulate_exposure
from .instruments import DETECTORS, READ_PATTERNS, detector_spec, frame_time, subarray_spec
from .observation import DitherResult, simulate_dithers
from .ratefile import RateResult, simulate_rate
from .stage3 import Image3Sim, simulate_image3

__all__ = [
    "simulate_exposure",
    "SimResult",
    "simulate_rate",
    "RateResult",
    "simulate_dithers",
    "DitherResult",
    "simulate_image3",
    "Image3Sim",
    "DEFAULT_SWITCHES",
    "DETECTORS",
    "READ_PATTERNS",
    "detector_spec",
    "subarray_spec",
    "frame_time",
]
