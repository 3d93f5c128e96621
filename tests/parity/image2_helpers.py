"""Shared parts of the calwebb_image2 parity tests: simulated exposures, the jwst runs and
the comparisons with their tolerances."""

from __future__ import annotations

import json
import os

import numpy as np
from astropy.io import fits

from jwcal.testing.forkserver import run_python
from jwcal.testing.oracle import offline_environment

# Parameters that matter, passed explicitly to both pipelines (offline jwst runs with its
# code defaults, which are also jwcal's, except the pixel-map step: see PIXMAP_NOTE).
RESAMPLE = {"pixfrac": 1.0, "kernel": "square", "weight_type": "ivm", "fillval": "NAN"}
PIXMAP_NOTE = (
    "jwst evaluates the input gwcs on every pixel (pixmap_stepsize=1), jwcal on a 32-pixel "
    "grid (cubic interpolation, 5e-7 pixel from exact here)"
)


def jwcal_overrides(refs: dict) -> dict:
    """``steps`` overrides giving jwcal's Image2Pipeline the simulator's references."""
    return {
        "assign_wcs": {
            "override_distortion": str(refs["distortion"]),
            "override_filteroffset": str(refs.get("filteroffset", "N/A")),
        },
        "flat_field": {"override_flat": str(refs["flat"])},
        "photom": {"override_photom": str(refs["photom"]), "override_area": str(refs["area"])},
    }


_LOOP = r"""
import json, sys, importlib
args = json.loads(sys.argv[1])
mod, _, cls = args["cls"].rpartition(".")
klass = getattr(importlib.import_module(mod), cls)
for job in args["jobs"]:
    klass.call(job["input"], output_dir=job["output_dir"], save_results=True,
               **job.get("params", {}))
"""


def run_jwst_many(cls: str, jobs: list[dict], scratch) -> None:
    """Run one jwst step class on several inputs/parameter sets in one offline process
    (one import of jwst for all)."""
    env = dict(os.environ)
    env.update(offline_environment(scratch))
    for job in jobs:
        os.makedirs(job["output_dir"], exist_ok=True)
    run_python(_LOOP, [json.dumps({"cls": cls, "jobs": jobs})], env=env, check=True, timeout=1800)


def read(path, ext):
    with fits.open(path) as h:
        return np.asarray(h[ext].data), h[0].header, h["SCI"].header


def assert_close_to_level(a, b, rel, what, mask=None):
    """|a - b| <= rel * (|a| + median|a|): relative to the value, with the image's typical
    level as a floor (a relative error means nothing where a sky-subtracted value crosses
    zero).  NaN must be NaN in both."""
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} and {b.shape}"
    if mask is None:
        mask = np.ones(a.shape, bool)
    nan_a, nan_b = np.isnan(a) & mask, np.isnan(b) & mask
    assert (nan_a == nan_b).all(), f"{what}: NaN in {np.sum(nan_a != nan_b)} pixels differ"
    ok = mask & ~nan_a
    level = np.median(np.abs(a[ok]))
    err = np.abs(a[ok] - b[ok]) / (np.abs(a[ok]) + level)
    assert err.max() <= rel, f"{what}: worst difference {err.max():.3g} of the value (> {rel})"


def interior(wht, border=2):
    """Output pixels with weight whose neighbours within ``border`` all have weight."""
    from scipy.ndimage import binary_erosion

    return binary_erosion(wht > 0, iterations=border, border_value=0)
