"""Background statistics of the flicker-noise cleaning: sigma clipping and background levels.

``clip_to_background`` and ``background_level`` follow jwst 3.0's clean_flicker_noise;
``background_2d`` is the low-resolution background model jwst takes from
``photutils.background.Background2D`` (boxes of sigma-clipped medians, boxes with too few
pixels filled by inverse-distance weighting, a 5 x 5 median filter of the box grid, a cubic
spline zoom back to the image), written here on astropy and scipy.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

__all__ = ["clip_to_background", "background_level", "background_2d", "default_box_size"]

log = logging.getLogger(__name__)

_SIGMA = 3.0


def _sigma_clipped_stats(data, mask=None, sigma=_SIGMA):
    from astropy.stats import sigma_clipped_stats
    from astropy.utils.exceptions import AstropyUserWarning

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=AstropyUserWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        return sigma_clipped_stats(data, mask=mask, sigma=sigma)


def clip_to_background(image, mask, sigma_lower=3.0, sigma_upper=2.0, fit_histogram=False,
                       lower_half_only=False):  # fmt: skip
    """Unmask (set False in ``mask``, in place) signal and bad values of an image.

    The centre and width of the background come from a 3-sigma iterative clip (median, or
    mean with ``fit_histogram``), optionally redone on the lower half of the values mirrored
    about the centre, optionally refined by a Gaussian fit to a 2000-bin histogram; values
    below ``centre - sigma_lower * width`` or above ``centre + sigma_upper * width`` are
    unmasked.

    Parameters
    ----------
    image : ndarray of shape (ny, nx), float
    mask : ndarray of shape (ny, nx), bool
        True for background pixels; updated in place.
    sigma_lower, sigma_upper : float
        Clipping limits in units of the width.
    fit_histogram : bool
        Refine the centre and width with a Gaussian fit to the histogram.
    lower_half_only : bool
        Take the statistics from the values below the centre only (mirrored).
    """
    image = image.astype(np.float64)
    if not np.any(mask):
        return
    mean, median, sigma = _sigma_clipped_stats(image, mask=~mask)
    center = mean if fit_histogram else median
    if lower_half_only:
        low = mask & (image <= center)
        stats_data = np.concatenate(((image[low] - center), (center - image[low]))) + center
        mean, median, sigma = _sigma_clipped_stats(stats_data)
        center = mean if fit_histogram else median
    else:
        stats_data = image[mask]
    if fit_histogram:
        center, sigma = _histogram_fit(stats_data, center, sigma)
    mask[image < center - sigma_lower * sigma] = False
    mask[image > center + sigma_upper * sigma] = False


def _histogram_fit(values, center, sigma):
    from scipy.optimize import curve_fit

    try:
        hist, edges = np.histogram(
            values, bins=2000, range=(center - 4.0 * sigma, center + 4.0 * sigma)
        )
    except ValueError:
        log.error("Histogram failed; using clip center and sigma.")
        return center, sigma
    mids = (edges[1:] + edges[0:-1]) / 2.0
    ind = np.argmax(hist)

    def gaussian(x, g_amp, g_mean, g_sigma):
        return g_amp * np.exp(-0.5 * ((x - g_mean) / g_sigma) ** 2)

    start = (hist[ind], mids[ind], sigma)
    bounds = [(0, mids[0], 0), (np.inf, mids[-1], mids[-1] - mids[0])]
    try:
        opt, _ = curve_fit(gaussian, mids, hist, p0=start, bounds=bounds)
    except RuntimeError:
        log.error("Gaussian fit failed; using clip center and sigma.")
        return center, sigma
    return opt[1], opt[2]


def default_box_size(shape) -> list[int]:
    """32 x 32, or per axis the largest size below it that divides the image evenly."""
    sizes = np.arange(1, 33)
    return [int(sizes[n % sizes == 0][-1]) for n in shape]


def background_level(image, mask, background_method="median", background_box_size=None):
    """The background under an image: a median (a number), a 2-D model, or 0.

    The background pixels are clipped first (3 sigma, on the lower half of the values).
    A failed 2-D model falls back to the median.

    Parameters
    ----------
    image : ndarray of shape (ny, nx), float
    mask : ndarray of shape (ny, nx), bool
        True for background pixels; updated in place by the clipping.
    background_method : {"median", "model", None}
    background_box_size : (int, int), optional
        Box size of the 2-D model (default: :func:`default_box_size`).

    Returns
    -------
    float or ndarray of shape (ny, nx)
    """
    if background_method is None:
        return 0.0
    clip_to_background(image, mask, sigma_lower=_SIGMA, sigma_upper=_SIGMA, lower_half_only=True)
    if background_method == "model":
        box = background_box_size or default_box_size(image.shape)
        log.debug("Using box size %s", box)
        if image.shape[0] % box[0] or image.shape[1] % box[1]:
            log.warning(
                "Background box size %s does not divide evenly into the image shape %s.",
                box, image.shape,
            )  # fmt: skip
        try:
            return background_2d(image, ~mask, box)
        except ValueError:
            log.error("Background fit failed, using median value.")
            return np.nanmedian(image[mask])
    return np.nanmedian(image[mask])


def _box_stats(data, npix_box, exclude_percentile=10.0):
    """Sigma-clipped medians along the last axis; NaN for boxes with too few pixels."""
    from astropy.stats import SigmaClip
    from astropy.utils.exceptions import AstropyUserWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=AstropyUserWarning)
        warnings.simplefilter("ignore", category=RuntimeWarning)
        data = SigmaClip(sigma=_SIGMA, maxiters=5)(data, axis=-1, masked=False, copy=False)
        bkg = np.nanmedian(data, axis=-1)
    ngood = np.count_nonzero(~np.isnan(data), axis=-1)
    bad = ngood <= (1 - exclude_percentile / 100.0) * npix_box
    if np.ndim(bkg) == 0:
        return np.float32(np.nan) if bad else bkg
    bkg[bad] = np.nan
    return bkg


def _blocks(arr, by, bx):
    ny, nx = arr.shape
    return arr.reshape(ny // by, by, nx // bx, bx).transpose(0, 2, 1, 3)


def background_2d(image, masked, box_size, filter_size=(5, 5)):
    """Low-resolution background of an image (``photutils`` ``Background2D`` with a median
    estimator, 3-sigma clipping and the default zoom interpolation).

    Parameters
    ----------
    image : ndarray of shape (ny, nx), float
    masked : ndarray of shape (ny, nx), bool
        True for pixels to leave out.
    box_size : (int, int)
        Box size (rows, columns).
    filter_size : (int, int)
        Median filter applied to the grid of boxes.

    Returns
    -------
    ndarray of shape (ny, nx), the image's float dtype

    Raises
    ------
    ValueError
        When every value or every box is unusable.
    """
    from scipy.ndimage import generic_filter, zoom

    data = np.asarray(image)
    if data.dtype.kind != "f":
        data = data.astype(np.float32)
    if np.all(~np.isfinite(data)):
        raise ValueError("all values are NaN or infinite")
    mask = masked | ~np.isfinite(data)
    if np.all(mask):
        raise ValueError("all pixels are masked")
    by, bx = (int(box_size[0]), int(box_size[1]))
    ny, nx = data.shape
    nby, nbx = ny // by, nx // bx
    y1, x1 = nby * by, nbx * bx
    npix = by * bx
    core = _blocks(data[:y1, :x1].copy(), by, bx).reshape(nby, nbx, -1).copy()
    core[_blocks(mask[:y1, :x1], by, bx).reshape(nby, nbx, -1)] = np.nan
    bkg = _box_stats(core, npix)
    if y1 < ny or x1 < nx:
        bkg = _edge_boxes(data, mask, bkg, by, bx, y1, x1, npix)
    if np.all(np.isnan(bkg)):
        raise ValueError("every box has too few usable pixels")
    mesh = _fill_mesh(bkg)
    if tuple(filter_size) != (1, 1):
        mesh = generic_filter(mesh, np.nanmedian, size=filter_size, mode="constant", cval=np.nan)
    if np.ptp(mesh) == 0:
        return np.full(data.shape, np.min(mesh), dtype=data.dtype)
    out = zoom(mesh, (by, bx), order=3, mode="reflect", cval=0.0, grid_mode=True)[:ny, :nx]
    np.clip(out, np.min(mesh), np.max(mesh), out=out)
    return out


def _edge_boxes(data, mask, bkg, by, bx, y1, x1, npix):
    """Boxes of the partial row and column of boxes at the top and right edges."""
    ny, nx = data.shape
    extra_row, extra_col = y1 < ny, x1 < nx
    if extra_row:
        rows = data[y1:, :x1].copy()
        rows[mask[y1:, :x1]] = np.nan
        # photutils orders each box's pixels column by column here (and row by row in
        # the partial column below); the order is kept so the clipped sums agree
        rows = rows.reshape(rows.shape[0], -1, bx).transpose(1, 2, 0).reshape(x1 // bx, -1)
        row_bkg = _box_stats(rows, npix)
    if extra_col:
        cols = data[:y1, x1:].copy()
        cols[mask[:y1, x1:]] = np.nan
        cols = cols.reshape(-1, by, cols.shape[1]).transpose(0, 2, 1).reshape(y1 // by, -1)
        col_bkg = _box_stats(cols, npix)[:, None]
        if extra_row:
            corner = data[y1:, x1:].copy()
            corner[mask[y1:, x1:]] = np.nan
            col_bkg = np.vstack((col_bkg, _box_stats(corner.ravel(), npix)))
    if extra_row:
        bkg = np.vstack([bkg, row_bkg])
    if extra_col:
        bkg = np.hstack([bkg, col_bkg])
    return bkg


def _fill_mesh(bkg):
    """Boxes without a value get the inverse-distance mean of their 10 nearest boxes."""
    from scipy.spatial import cKDTree

    if not np.any(np.isnan(bkg)):
        return bkg
    good = ~np.isnan(bkg)
    tree = cKDTree(np.column_stack(np.where(good)), leafsize=10)
    values = bkg[good].ravel()
    bad_idx = np.where(np.isnan(bkg))
    dist, idx = tree.query(np.column_stack(bad_idx), k=10, eps=0.0)
    valid = np.isfinite(dist)
    safe_d = np.where(valid, dist, 1.0)
    safe_i = np.where(valid, idx, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(valid, 1.0 / (safe_d**1.0 + 0.0), 0.0)
        tot = np.sum(w, axis=1)
        interp = np.where(tot > 0.0, np.sum(w * values[safe_i], axis=1) / tot, np.nan)
    close = np.isfinite(dist[:, 0]) & (dist[:, 0] <= 1.0e-12)
    interp[close] = values[idx[close, 0]]
    out = np.copy(bkg)
    out[bad_idx] = interp
    return out
