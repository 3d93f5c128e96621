"""Detection: background mesh, threshold image, Gaussian smoothing and the segmentation map.

The background and the segmentation (with deblending) are photutils' (Background2D and
SourceFinder), the tools jwst 3.0 uses, with the same settings, so that jwcal finds the
same sources and splits blends the same way.  The smoothing is jwcal's own: a normalised
convolution that fills masked and NaN pixels from their neighbours, as astropy's
``convolve`` does by default.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Detection", "gaussian_kernel", "smooth", "estimate_background", "detect_sources"]

_log = logging.getLogger("jwcal.steps.source_catalog")
_FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


@dataclass
class Detection:
    """What detection hands to the measurements."""

    data: np.ndarray  #: background-subtracted image (Jy), in the image's precision
    convolved: np.ndarray  #: its smoothed version (centroids and shapes are measured on it)
    segm: object  #: photutils SegmentationImage (labels 1..n)
    background: np.ndarray
    background_rms: np.ndarray


def gaussian_kernel(fwhm: float) -> np.ndarray:
    """A circular Gaussian sampled at pixel centres, of odd size ~8 sigma, summing to 1."""
    sigma = fwhm * _FWHM_TO_SIGMA
    size = int(np.ceil(8.0 * sigma))
    size += 1 - size % 2
    half = size // 2
    r2 = np.arange(-half, half + 1, dtype=float) ** 2
    k = np.exp(-(r2[:, None] + r2[None, :]) / (2.0 * sigma * sigma))
    return k / k.sum()


def smooth(data: np.ndarray, kernel: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Convolve ``data`` with ``kernel``, ignoring masked and non-finite pixels.

    Each output is the kernel-weighted mean over the valid pixels within reach; pixels
    beyond the edge count as zeros (so sources near the border are not brightened).

    Parameters
    ----------
    data : ndarray of shape (ny, nx), float
    kernel : ndarray of shape (k, k), float, odd k
    mask : ndarray of shape (ny, nx), bool, optional
        True where the data must not be used.
    """
    from scipy import ndimage

    data = np.asarray(data, dtype=np.float64)
    valid = np.isfinite(data)
    if mask is not None:
        valid &= ~mask
    k = np.asarray(kernel, dtype=np.float64)
    num = ndimage.correlate(np.where(valid, data, 0.0), k[::-1, ::-1], mode="constant", cval=0.0)
    # outside the image counts as a valid zero; inside, only valid pixels carry weight
    wsum = ndimage.correlate(valid.astype(np.float64), k[::-1, ::-1], mode="constant", cval=1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / wsum
    out[wsum == 0] = np.nan
    return out


def estimate_background(data: np.ndarray, box_size: int, coverage_mask: np.ndarray):
    """The 2-D background and its rms (3-sigma clipped medians on a mesh, 3x3 filtered).

    When no mesh box has enough unmasked pixels, one box spanning the whole image is used.
    """
    from astropy.stats import SigmaClip
    from astropy.utils.exceptions import AstropyUserWarning
    from photutils.background import Background2D, MedianBackground

    kwargs = {
        "filter_size": (3, 3),
        "coverage_mask": coverage_mask,
        "sigma_clip": SigmaClip(sigma=3.0),
        "bkg_estimator": MedianBackground(),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyUserWarning)
        try:
            bkg = Background2D(data, int(box_size), **kwargs)
        except ValueError:
            _log.info("Background estimated over the whole image (no mesh box was usable)")
            bkg = Background2D(data, data.shape, exclude_percentile=100.0, **kwargs)
        return bkg.background, bkg.background_rms


def detect_sources(
    data: np.ndarray,
    coverage_mask: np.ndarray,
    *,
    snr_threshold: float,
    kernel_fwhm: float,
    bkg_boxsize: int,
    npixels: int,
    connectivity: int,
    deblend: bool,
    nlevels: int,
    contrast: float,
    mode: str,
) -> Detection | None:
    """Find the sources of an image: None when there are none (or no usable background).

    Parameters
    ----------
    data : ndarray of shape (ny, nx), float
        The image in Jy per pixel.
    coverage_mask : ndarray of shape (ny, nx), bool
        True where the image has no data (no exposure covers it).
    """
    from photutils.segmentation import SourceFinder
    from photutils.utils import NoDetectionsWarning

    try:
        background, rms = estimate_background(data, bkg_boxsize, coverage_mask)
    except ValueError as exc:
        _log.warning("Error determining sky background: %s", exc.args[0])
        return None
    threshold = snr_threshold * rms
    # in the image's precision (float32 for an _i2d), as jwst subtracts it
    sub = np.asarray(data) - background.astype(np.asarray(data).dtype, copy=False)
    if kernel_fwhm > 0:
        conv = smooth(sub, gaussian_kernel(kernel_fwhm), coverage_mask)
    else:
        conv = sub
    finder = SourceFinder(
        int(npixels),
        connectivity=int(connectivity),
        deblend=bool(deblend),
        n_levels=int(nlevels),
        contrast=float(contrast),
        mode=mode,
        relabel=True,
        progress_bar=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDetectionsWarning)
        segm = finder(conv, threshold, mask=coverage_mask)
    if segm is None or segm.n_labels == 0:
        return None
    return Detection(sub, conv, segm, background, rms)
