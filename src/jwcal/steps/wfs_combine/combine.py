"""Combining the two dithered images of a WFS&C pair (jwst 3.0's wfs_combine): image 2 is
moved by a whole-pixel offset onto image 1 (from the WCSs, optionally refined by
cross-correlating the PSFs), and the two are averaged where both are good."""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal
from scipy.interpolate import griddata

from ...dqflags import pixel as PIXEL

__all__ = ["wcs_offset", "shift_by", "combine_pair", "refine_offset", "blur_kernel"]

DO_NOT_USE = np.uint32(PIXEL["DO_NOT_USE"])


def wcs_offset(wcs1, wcs2, shape) -> tuple[float, float]:
    """Where the centre pixel of image 1 (``(nx // 2, ny // 2)``, as jwst takes it) falls
    in image 2, minus that centre: the offset of image 2 relative to image 1, pixels."""
    ny, nx = shape
    xc, yc = int(nx / 2), int(ny / 2)
    ra, dec = wcs1.get_transform("detector", "world")(xc, yc)
    x2, y2 = wcs2.get_transform("world", "detector")(ra, dec)
    return float(x2) - xc, float(y2) - yc


def shift_by(a: np.ndarray, ox: int, oy: int) -> np.ndarray:
    """``out[y, x] = a[y + oy, x + ox]``, zero where that falls outside ``a`` (float64)."""
    ny, nx = a.shape
    out = np.zeros((ny, nx))
    ys, ye = max(oy, 0), ny + min(oy, 0)
    xs, xe = max(ox, 0), nx + min(ox, 0)
    if ye > ys and xe > xs:
        out[ys - oy : ye - oy, xs - ox : xe - ox] = a[ys:ye, xs:xe]
    return out


def combine_pair(d1, dq1, e1, d2, dq2, e2):
    """Mean of the two aligned images where both are good, the good one where only one
    is, 0 (DQ gets DO_NOT_USE) where neither.  ERR is averaged the same way (jwst's
    choice, not a propagation).  Returns (data, dq, err, difference 1 - 2)."""
    d1, d2 = np.asarray(d1, float), np.asarray(d2, float)
    e1, e2 = np.asarray(e1), np.asarray(e2)
    dq1, dq2 = np.asarray(dq1, np.uint32), np.asarray(dq2, np.uint32)
    b1, b2 = (dq1 & DO_NOT_USE) > 0, (dq2 & DO_NOT_USE) > 0
    both, only1, only2 = ~b1 & ~b2, ~b1 & b2, b1 & ~b2
    data = np.zeros_like(d1)
    data[both] = 0.5 * (d1[both] + d2[both])
    data[only1] = d1[only1]
    data[only2] = d2[only2]
    dq = dq1.copy()
    dq[only2] = dq2[only2]
    dq[b1 & b2] |= DO_NOT_USE
    err = np.zeros_like(e1)
    err[both] = 0.5 * (e1[both] + e2[both])
    err[only1] = e1[only1]
    err[only2] = e2[only2]
    diff = np.zeros_like(d1)
    diff[both] = d1[both] - d2[both]
    return data, dq, err, diff


def blur_kernel(size: int) -> np.ndarray:
    """jwst's smoothing kernel: exp(-(x^2 + y^2) / size) on [-size, size]^2, summing to 1."""
    r = np.arange(-int(size), int(size) + 1, dtype=float)
    g = np.exp(-(r[:, None] ** 2 + r[None, :] ** 2) / float(size))
    return g / g.sum()


def _fill_bad(sci, dq, n_size):
    """Bad pixels replaced in place, in row-major order, by linear (else nearest)
    interpolation of their neighbourhood (the pixel itself left out; neighbours already
    filled count with their new values), as jwst's interp_array."""
    ny, nx = sci.shape
    for y, x in zip(*np.nonzero(dq & DO_NOT_USE), strict=True):
        xs = np.arange(max(0, x - n_size), min(nx - n_size, x + n_size) + 1)
        ys = np.arange(max(0, y - n_size), min(ny - n_size, y + n_size) + 1)
        yy, xx = np.meshgrid(ys, xs, indexing="xy")
        keep = ~((yy == y) & (xx == x))
        pts = np.stack([yy[keep], xx[keep]], axis=-1).astype(float)
        vals = sci[yy[keep], xx[keep]]
        v = griddata(pts, vals, [(y, x)], method="linear").item()
        if np.isnan(v):
            v = griddata(pts, vals, [(y, x)], method="nearest").item()
        sci[y, x] = v
    return sci


def _overlap(a, b, ox, oy):
    """The parts of ``a`` and ``b`` that overlap when ``b`` is moved by (ox, oy)."""

    def rng(o, n):
        return (0, n - o, o, n) if o > 0 else (-o, n, 0, n + o)

    a0x, a1x, b0x, b1x = rng(ox, b.shape[1])
    a0y, a1y, b0y, b1y = rng(oy, b.shape[0])
    return a[a0y:a1y, a0x:a1x], b[b0y:b1y, b0x:b1x]


def refine_offset(m1, m2, off, *, psf_size, blur_size, n_size) -> tuple[float, float]:
    """Change to the whole-pixel offset ``off`` that best lines up the two PSFs: the peak
    of the cross-correlation of their high-pass filtered cores, centroided over 7 x 7.

    The PSF is located in image 1 smoothed by :func:`blur_kernel` (the mean of the pixels
    above half the maximum); bad pixels in its box are interpolated (in the input arrays,
    as jwst does; they stay flagged).  The correlation is computed by FFT (jwst uses a
    direct sum: the same numbers to rounding, hundreds of times faster).
    """
    data_1 = np.asarray(m1.data, float).copy()
    bad1 = (np.asarray(m1.dq) & DO_NOT_USE) > 0
    data_1[bad1] = data_1[~bad1].mean()
    s = signal.convolve(data_1, blur_kernel(blur_size), mode="valid")
    hy, hx = np.nonzero(s > 0.5 * s.max())
    cx, cy = hx.mean() + blur_size, hy.mean() + blur_size
    ny, nx = m1.data.shape
    x0, y0 = int(round(max(0, cx - psf_size))), int(round(max(0, cy - psf_size)))
    x1, y1 = int(round(min(nx, cx + psf_size))), int(round(min(ny, cy + psf_size)))
    box = (slice(y0, y1), slice(x0, x1))
    sub1 = _fill_bad(m1.data[box], np.asarray(m1.dq)[box], n_size)
    sub2 = _fill_bad(m2.data[box], np.asarray(m2.dq)[box], n_size)
    a, b = _overlap(np.asarray(sub1, float), np.asarray(sub2, float), off[0], off[1])
    if a.size == 0:
        raise ValueError("the offset leaves no overlap between the two images")
    ylen, xlen = a.shape
    xc, yc = xlen / 2 + 1, ylen / 2 + 1
    xa, xb = int(max(0, xc - psf_size)), int(min(xlen - 1, xc + psf_size))
    ya, yb = int(max(0, yc - psf_size)), int(min(ylen - 1, yc + psf_size))
    a, b = a[ya:yb, xa:xb], b[ya:yb, xa:xb]
    hp_a = a - ndimage.gaussian_filter(a, 5)
    hp_b = b - ndimage.gaussian_filter(b, 5)
    cc = signal.fftconvolve(hp_b, hp_a[::-1, ::-1], mode="full")
    py, px = np.unravel_index(np.argmax(cc), cc.shape)
    c = 3
    cut = cc[py - c : py + c + 1, px - c : px + c + 1]
    gy, gx = ndimage.center_of_mass(cut)
    return (px - a.shape[1] + 1) + gx - c, (py - a.shape[0] + 1) + gy - c
