"""Parameters of the flicker-noise cleaning chosen from the data (NIRCam and NIRISS
imaging), by the decision tree of jwst 3.0's ``autoparam``: how much of the image is
masked, how steep the background is along rows and columns, and how much the amplifier
channels differ, decide between a median and a 2-D background model and whether to fit
channels separately."""

from __future__ import annotations

import logging
import warnings
from fractions import Fraction

import numpy as np

from ... import datamodels
from ...references.subarray import fit_to_exposure
from .background import background_level, clip_to_background
from .correction import median_clean
from .scene import draft_rate, read_flat

__all__ = ["quick_clean", "image_parameters"]

log = logging.getLogger(__name__)

_LIMITS = {
    "nircam": {"mask_frac": 0.1, "max_offset_high_mask": 0.07, "max_slope_low_offset": 1e-5,
               "max_slope_high_offset": 1e-5, "slope_ratio": 3.0, "channel_sigma": 0.02},
    "niriss": {"mask_frac": 0.07, "max_offset_high_mask": 0.07, "max_slope_low_offset": 1e-5,
               "max_slope_high_offset": 1e-4, "slope_ratio": 5.0, "channel_sigma": 0.02},
}  # fmt: skip


def _stats(data, sigma):
    from astropy.stats import sigma_clipped_stats

    return sigma_clipped_stats(data, sigma=sigma)


def quick_clean(step, model, flat_path=None):
    """A median-cleaned (optionally flat-fielded) rate image of the input, and its mask."""
    if isinstance(model, datamodels.RampModel):
        rate = draft_rate(step, model).data
    elif model.data.ndim == 3:
        rate = np.nanmean(model.data, axis=0)
    else:
        rate = model.data.copy()
    image = rate
    if flat_path is not None:
        flat = fit_to_exposure(datamodels.FlatModel(flat_path), model, "FLAT")
        image /= read_flat(flat, image.shape)
    mask = np.full(image.shape, True)
    clip_to_background(image, mask)
    nan_pix = np.isnan(image)
    image[nan_pix] = 0.0
    mask[nan_pix] = False
    background = background_level(image, mask)
    image -= background
    clip_to_background(image, mask, lower_half_only=True)
    axis = abs(int(model.meta.get("subarray.slowaxis") or 2))
    image = median_clean(image, mask, axis)
    image += background
    image[nan_pix] = np.nan
    return image, mask


def _row_average(image, start, stop):
    y0, y1 = int(round(start * image.shape[0])), int(round(stop * image.shape[0]))
    return np.nanmean(image[y0:y1, :], axis=0)


def _col_average(image, start, stop):
    x0, x1 = int(round(start * image.shape[1])), int(round(stop * image.shape[1]))
    return np.nanmean(image[:, x0:x1], axis=1)


def _line_fit(data):
    good = np.isfinite(data)
    x = np.arange(data.size)
    fit = np.polynomial.Polynomial.fit(x[good], data[good], deg=1)
    coef = fit.convert().coef
    slope = coef[1] if len(coef) > 1 else 0.0
    _, _, sigma = _stats(data[good] - fit(x[good]), 10.0)
    return coef[0], slope, sigma


def _max_channel_offset(data):
    if data.size != 2048:
        return 0.0
    av = np.array([_stats(data[c * 512 : (c + 1) * 512], 3.0)[0] for c in range(4)])
    return np.max(np.abs(av[1:] - av[:-1]))


def _decide(params, lim, mask_frac, max_offset, max_slope, slope_ratio, channel_sigma):
    high_mask = mask_frac >= lim["mask_frac"]
    high_offset = max_offset >= lim["max_offset_high_mask"]
    slope_lo = max_slope >= lim["max_slope_low_offset"]
    slope_hi = max_slope >= lim["max_slope_high_offset"]
    high_ratio = slope_ratio >= lim["slope_ratio"]
    if not high_mask and high_offset:
        params.update(background_method="median", fit_by_channel=True)
    elif high_mask:
        params["fit_by_channel"] = False
        steep = slope_hi if high_offset else slope_lo
        params["background_method"] = "model" if steep else "median"
    else:
        if slope_hi:
            params["background_method"] = "model"
        elif slope_lo:
            params["background_method"] = "median" if high_ratio else "model"
        else:
            params["background_method"] = "median"
        params["fit_by_channel"] = bool(max_offset > 0 and channel_sigma >= lim["channel_sigma"])


def image_parameters(step, model, flat_path, nircam: bool) -> dict:
    """Parameters for cleaning a NIRCam (``nircam``) or NIRISS image."""
    params = {
        "apply_flat_field": flat_path is not None,
        "background_method": "median",
        "fit_by_channel": False,
    }
    image, mask = quick_clean(step, model, flat_path)
    bkg = background_level(image, mask, background_method="model")
    image[~mask] = bkg if np.isscalar(bkg) else bkg[~mask]
    mask_frac = np.sum(~mask) / mask.size
    over_rows = _row_average(image, Fraction(3, 8), Fraction(5, 8))
    over_cols = _col_average(image, Fraction(3, 8), Fraction(5, 8))
    _, col_slope, col_sigma = _line_fit(over_rows)
    _, row_slope, _ = _line_fit(over_cols)
    slopes = np.abs([row_slope, col_slope])
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "divide by zero", RuntimeWarning)
        slope_ratio = np.max(slopes) / np.min(slopes)
    if nircam:
        channel_sigma = col_sigma
        max_offset = _max_channel_offset(over_rows)
    else:
        _, _, channel_sigma = _line_fit(_row_average(image, Fraction(10, 12), Fraction(11, 12)))
        max_offset = _max_channel_offset(over_cols)
    _decide(params, _LIMITS["nircam" if nircam else "niriss"], mask_frac, max_offset,
            np.max(slopes), slope_ratio, channel_sigma)  # fmt: skip
    return params
