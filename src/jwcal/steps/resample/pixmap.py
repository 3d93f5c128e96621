"""Pixel maps of input exposures onto an output grid, with the input gwcs evaluated on a
coarse grid only (jwcore interpolates the rest)."""

from __future__ import annotations

import numpy as np

from jwcore.resample import DEFAULT_STEP, pixmap_from_function

__all__ = ["exposure_pixmap", "input_box"]


def _bbox(wcs):
    bb = getattr(wcs, "bounding_box", None)
    if bb is None:
        return None
    try:
        return tuple(tuple(float(v) for v in iv) for iv in bb.bounding_box(order="F"))
    except AttributeError:
        return tuple(tuple(float(v) for v in iv) for iv in bb)


def input_box(shape, wcs) -> tuple[int, int, int, int]:
    """Inclusive (xmin, xmax, ymin, ymax) of the input pixels drizzled: those inside the
    WCS bounding box, rounded as stcal's ``resample_range``."""
    ny, nx = shape
    bb = _bbox(wcs)
    if bb is None:
        return 0, nx - 1, 0, ny - 1
    (x1, x2), (y1, y2) = bb
    xmin = max(0, int(x1 + 0.5))
    ymin = max(0, int(y1 + 0.5))
    xmax = max(xmin, min(nx - 1, int(x2 + 0.5)))
    ymax = max(ymin, min(ny - 1, int(y2 + 0.5)))
    return xmin, xmax, ymin, ymax


def exposure_pixmap(wcs, shape, grid, *, step: int = DEFAULT_STEP, n_threads: int = 1):
    """Output (x, y) of every input pixel centre, NaN outside the input's bounding box.

    Parameters
    ----------
    wcs : gwcs.WCS
        The input's pixel -> (RA, Dec) transform.
    shape : tuple of int
        (ny, nx) of the input.
    grid : OutputGrid or CustomGrid
        The output frame (its ``world_to_pixel``).
    step : int
        Node spacing of the coarse grid on which the gwcs is evaluated; 1 evaluates every
        pixel.  Where a coarse node has no finite sky position, every pixel is evaluated
        (as stcal does).
    n_threads : int
        Threads for the interpolation and the projection.

    Returns
    -------
    ndarray of shape (ny, nx, 2), float64
    """
    ny, nx = shape

    def transform(x, y):
        ra, dec = wcs(x, y, with_bounding_box=False)
        return grid.world_to_pixel(np.asarray(ra, float), np.asarray(dec, float), n_threads)

    pm = None
    if step > 1 and min(nx, ny) >= 4:
        pm = pixmap_from_function(transform, shape, step=step, n_threads=n_threads)
        if not np.isfinite(pm).all():
            pm = None
    if pm is None:
        y, x = np.indices(shape, dtype=np.float64)
        px, py = transform(x, y)
        pm = np.stack([px, py], axis=-1)
    bb = _bbox(wcs)
    if bb is not None:
        # gwcs gives NaN for pixel centres outside the bounding box; so does the map, which
        # makes drizzle skip those pixels and their neighbours' shared corners, as in jwst.
        (x1, x2), (y1, y2) = bb
        xs, ys = np.arange(nx), np.arange(ny)
        xout = (xs < x1) | (xs > x2)
        yout = (ys < y1) | (ys > y2)
        if xout.any():
            pm[:, xout, :] = np.nan
        if yout.any():
            pm[yout, :, :] = np.nan
    return pm
