"""A smooth background and its noise from sigma-clipped statistics in a mesh of boxes.

What photutils' ``Background2D`` gives jwst (box medians after 3-sigma clipping, a 3 x 3
median filter over the mesh, interpolation back to the pixels), in a few NumPy passes: boxes
with fewer than 10% usable pixels are filled from their neighbours, and the mesh is
interpolated linearly between box centres (photutils uses a cubic spline; for the smooth
skies of stage-3 images the two agree far below the noise).
"""

from __future__ import annotations

import numpy as np

__all__ = ["clipped_stats", "background_mesh"]


def clipped_stats(values: np.ndarray, sigma: float = 3.0, maxiters: int = 10):
    """Median and standard deviation of ``values`` after iterative clipping at ``sigma``
    standard deviations about the median (astropy's ``SigmaClip`` defaults).

    Returns
    -------
    (median, std, n) : float, float, int
        NaN and 0 when nothing is left.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    for _ in range(maxiters):
        if v.size == 0:
            break
        med = np.median(v)
        std = v.std()
        keep = np.abs(v - med) <= sigma * std
        if keep.all():
            break
        v = v[keep]
    if v.size == 0:
        return float("nan"), float("nan"), 0
    return float(np.median(v)), float(v.std()), int(v.size)


def _fill_holes(mesh: np.ndarray) -> np.ndarray:
    bad = ~np.isfinite(mesh)
    if not bad.any():
        return mesh
    if bad.all():
        return np.zeros_like(mesh)
    from scipy import ndimage

    # each hole takes the value of its nearest valid box
    idx = ndimage.distance_transform_edt(bad, return_distances=False, return_indices=True)
    return mesh[tuple(idx)]


def background_mesh(data, mask=None, box_size: int = 400, filter_size: int = 3,
                    sigma: float = 3.0, min_fraction: float = 0.1):  # fmt: skip
    """Background and background RMS images of ``data``.

    Parameters
    ----------
    data : ndarray of shape (ny, nx), float32
    mask : ndarray of shape (ny, nx), bool, optional
        True where a pixel is not to be used (no coverage, bad).
    box_size : int
        Side of the boxes (the last row and column of boxes take what is left; one box
        when the image is smaller).
    filter_size : int
        Side of the median filter applied to the mesh.
    sigma : float
        Clipping limit.
    min_fraction : float
        Boxes with fewer usable pixels than this fraction are filled from their neighbours.

    Returns
    -------
    background, rms : ndarray of shape (ny, nx), float32
    """
    from scipy import ndimage

    data = np.asarray(data)
    ny, nx = data.shape
    good = np.isfinite(data)
    if mask is not None:
        good &= ~np.asarray(mask, bool)
    box = int(max(1, box_size))
    nby, nbx = max(1, ny // box), max(1, nx // box)
    ye = np.linspace(0, ny, nby + 1).astype(int) if nby * box > ny else _edges(ny, box, nby)
    xe = np.linspace(0, nx, nbx + 1).astype(int) if nbx * box > nx else _edges(nx, box, nbx)
    med = np.full((nby, nbx), np.nan)
    std = np.full((nby, nbx), np.nan)
    for j in range(nby):
        for i in range(nbx):
            sl = (slice(ye[j], ye[j + 1]), slice(xe[i], xe[i + 1]))
            g = good[sl]
            if g.sum() < min_fraction * g.size or g.sum() < 3:
                continue
            med[j, i], std[j, i], _ = clipped_stats(data[sl][g], sigma)
    if not np.isfinite(med).any():
        raise ValueError("no usable pixels to estimate the background")
    med, std = _fill_holes(med), _fill_holes(std)
    if filter_size > 1 and (nby > 1 or nbx > 1):
        med = ndimage.median_filter(med, size=filter_size, mode="nearest")
        std = ndimage.median_filter(std, size=filter_size, mode="nearest")
    yc = 0.5 * (ye[:-1] + ye[1:]) - 0.5
    xc = 0.5 * (xe[:-1] + xe[1:]) - 0.5
    return _expand(med, yc, xc, ny, nx), _expand(std, yc, xc, ny, nx)


def _edges(n: int, box: int, nb: int) -> np.ndarray:
    e = np.arange(nb + 1) * box
    e[-1] = n  # the last box takes the remainder
    return e


def _expand(mesh, yc, xc, ny, nx) -> np.ndarray:
    """Bilinear interpolation between box centres, constant beyond the outer centres."""
    if mesh.size == 1:
        return np.full((ny, nx), mesh.flat[0], np.float32)
    fy = np.interp(np.arange(ny), yc, np.arange(len(yc)))
    fx = np.interp(np.arange(nx), xc, np.arange(len(xc)))
    j0 = np.minimum(np.floor(fy).astype(int), len(yc) - 1)
    i0 = np.minimum(np.floor(fx).astype(int), len(xc) - 1)
    j1 = np.minimum(j0 + 1, len(yc) - 1)
    i1 = np.minimum(i0 + 1, len(xc) - 1)
    wy = (fy - j0)[:, None]
    wx = (fx - i0)[None, :]
    m = mesh.astype(np.float64)
    # separable: the mesh rows interpolated along x first (small), then rows blended along
    # y; the same operations per pixel as the 2-D form, with two full-size gathers not four
    rows = m[:, i0] * (1 - wx) + m[:, i1] * wx
    return (rows[j0] * (1 - wy) + rows[j1] * wy).astype(np.float32)
