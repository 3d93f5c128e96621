"""The flicker-noise correction loop: each group difference (ramps) or image (rates) is
cleaned of its background 1/f stripes, the median or the NSClean way."""

from __future__ import annotations

import logging

import numpy as np

from jwcore.detector import masked_line_medians

from ...dqflags import group as GROUP
from .background import background_level, clip_to_background
from .nsclean import clean_full_frame, clean_subarray

__all__ = ["median_clean", "clean_one_image", "median_image", "clean_exposure"]

log = logging.getLogger(__name__)


def median_clean(image, mask, axis_to_correct, fit_by_channel=False, n_threads=1):
    """Subtract from an image the median of its background pixels along one axis.

    ``axis_to_correct`` is 1 or 2 (the JWST slow-axis convention: 1 = medians along y, one
    per column).  ``fit_by_channel`` takes the medians over each of the four 512-pixel
    amplifier channels of a full-frame detector separately.
    """
    corrected = image.copy()
    array_axis = axis_to_correct - 1
    if fit_by_channel and image.shape[array_axis] == 2048:
        n_out, size = 4, 512
    else:
        n_out, size = 1, image.shape[array_axis]
    for c in range(n_out):
        sl = slice(c * size, (c + 1) * size)
        if array_axis == 1:
            stripes = masked_line_medians(image[:, sl], mask[:, sl], 1, n_threads=n_threads)
            corrected[:, sl] = image[:, sl] - stripes[:, None]
        else:
            stripes = masked_line_medians(image[sl, :], mask[sl, :], 0, n_threads=n_threads)
            corrected[sl, :] = image[sl, :] - stripes[None, :]
    return corrected


def clean_one_image(image, mask, p, flat, n_threads=1):
    """Fit and remove the background noise of one image.

    Returns (cleaned image or None when nothing is usable, background, success); success
    is False when the noise fit failed and the step must give up.
    """
    image = image.astype(np.float32)
    if flat is not None:
        image /= flat
    nan_pix = np.isnan(image)
    image[nan_pix] = 0.0
    mask[nan_pix] = False
    if not np.any(mask):
        return None, None, True
    if p.background_method is None:
        background = 0.0
        bkg_sub = image
    else:
        background = background_level(image, mask, p.background_method, p.background_box_size)
        bkg_sub = image - background
        if p.n_sigma > 0:
            clip_to_background(bkg_sub, mask, sigma_lower=p.n_sigma, sigma_upper=p.n_sigma,
                               lower_half_only=True)  # fmt: skip
    if p.fit_method == "fft":
        if bkg_sub.shape == (2048, 2048):
            cleaned = clean_full_frame(bkg_sub, mask, p.detector, log)
        else:
            cleaned = clean_subarray(bkg_sub, mask, p.detector, log, fc=p.fc)
    else:
        cleaned = median_clean(bkg_sub, mask, p.axis_to_correct, p.fit_by_channel, n_threads)
    if cleaned is None:
        return None, None, False
    cleaned += background
    if flat is not None:
        cleaned *= flat
    cleaned[nan_pix] = np.nan
    return cleaned, background, True


def median_image(model, rate_model):
    """Median across integrations (of groups or images), and each integration's flux
    scale: the median rate of the integration over the median of those."""
    data = model.data
    if data.ndim < 3 or data.shape[0] <= 1:
        raise ValueError("a median image needs several integrations")
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            median_flux = np.nanmedian(rate_model.data, axis=(1, 2))
            norm = median_flux / np.nanmedian(median_flux)
            invalid = ~np.isfinite(norm)
            if np.all(invalid):
                raise ValueError("No valid flux for scaling")
            if np.any(invalid):
                log.warning(
                    "%d integration(s) out of %d had non-finite flux and are scaled by the "
                    "median flux instead.", invalid.sum(), data.shape[0],
                )  # fmt: skip
                norm[invalid] = np.median(norm[~invalid])
            log.info("Making a scaled median image")
            if data.ndim == 3:
                med = np.nanmedian(data, axis=0)
            else:
                med = np.empty(data.shape[1:], dtype=data.dtype)
                for g in range(data.shape[1]):
                    med[g] = np.nanmedian(data[:, g], axis=0)
    return norm, med


def clean_exposure(model, mask, p, flat, median=None, keep_background=False, keep_noise=False,
                   n_threads=1):  # fmt: skip
    """Clean every image (or group difference) of a model in place.

    Returns (status, background or None, noise or None); on failure the data are restored.
    """
    data = model.data
    ndim = data.ndim
    nints = 1 if ndim == 2 else data.shape[0]
    ngroups = data.shape[1] - 1 if ndim == 4 else 1
    if median is not None and ndim == 4:
        ngroups += 1
    backup = data.copy() if (p.fit_method == "fft" or keep_noise) else None
    bkg_out = np.zeros_like(data) if keep_background else None
    log.info("Cleaning image %s", model.meta.get("filename"))
    for i in range(nints):
        prev = data[i, 0].copy() if ndim == 4 and median is None else None
        for j in range(ngroups):
            m = (mask[i] if mask.ndim == 3 else mask).copy()
            nxt = None
            if ndim == 2:
                image = data
            elif ndim == 3:
                image = data[i] if median is None else data[i] - median[0][i] * median[1]
            elif median is not None:
                image = data[i, j] - median[0][i] * median[1][j]
            else:
                nxt = data[i, j + 1].copy()
                image = nxt - prev
                dq = model.groupdq[i, j + 1]
                m[(dq & GROUP["DO_NOT_USE"]) > 0] = False
                m[(dq & GROUP["JUMP_DET"]) > 0] = False
            cleaned, background, ok = clean_one_image(image, m, p, flat, n_threads)
            if not ok:
                log.error("Cleaning failed for integration %d, group %d", i + 1, j + 1)
                model.data = backup
                return "FAILED", None, None
            if cleaned is None:
                log.warning(
                    "No usable data in integration %d, group %d. Skipping correction for this "
                    "image.", i + 1, j + 1,
                )  # fmt: skip
            else:
                _store(data, cleaned, background, bkg_out, median, ndim, i, j)
            if nxt is not None:
                prev = nxt
    noise = data - backup if keep_noise else None
    return "COMPLETE", bkg_out, noise


def _store(data, cleaned, background, bkg_out, median, ndim, i, j):
    if ndim == 2:
        data[...] = cleaned
        if bkg_out is not None:
            bkg_out[:] = background
    elif ndim == 3:
        if median is not None:
            scaled = median[0][i] * median[1]
            data[i] = scaled + cleaned
            if bkg_out is not None:
                bkg_out[i] = scaled
        else:
            data[i] = cleaned
            if bkg_out is not None:
                bkg_out[i] = background
    elif median is not None:
        scaled = median[0][i] * median[1][j]
        data[i, j] = scaled + cleaned
        if bkg_out is not None:
            bkg_out[i, j] = scaled
    else:
        # The cleaned difference is added to the cleaned previous group, not the noisy one.
        data[i, j + 1] = data[i, j] + cleaned
        if bkg_out is not None:
            bkg_out[i, j + 1] = background
