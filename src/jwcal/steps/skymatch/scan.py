"""Pixels inside a polygon, selected exactly as gwcs's ``region.Polygon.scan`` selects them
(the scanner jwst's skymatch uses), but vectorised: gwcs walks the scan lines in Python,
a fifth of skymatch's time on full frames.

The rules reproduced: the polygon is moved so that its lowest x and y are not negative,
its vertices rounded to integers (Python's round: halves to even); a non-horizontal edge
is active on scan lines ``ymin <= y < ymax`` (on the top line, the edges ending there);
each active edge crosses the line at ``ceil(x)`` with the same floating-point operations
as gwcs; the sorted crossings are taken in pairs and the pixels from one to the next
(inclusive, clipped to the image) are set.
"""

from __future__ import annotations

import numpy as np

__all__ = ["scan_polygon"]


def scan_polygon(mask: np.ndarray, vertices) -> np.ndarray:
    """Set (True) the pixels of ``mask`` inside the closed polygon ``vertices`` ((x, y)
    pairs, the last equal to the first); returns ``mask``."""
    pts = [(float(x), float(y)) for x, y in vertices]
    if len(pts) < 4:
        raise ValueError("a polygon needs at least 4 vertices (closed)")
    shx = min(0.0, min(p[0] for p in pts))
    shy = min(0.0, min(p[1] for p in pts))
    v = np.array([(round(x - shx), round(y - shy)) for x, y in pts], dtype=np.int64)
    shx, shy = round(shx), round(shy)
    bx = int(v[:, 0].min())
    width = int(v[:, 0].max()) - bx
    top = int(v[:, 1].max())
    if width <= 0:
        return mask
    ny, nx = mask.shape
    start, stop = v[:-1], v[1:]
    ys_all, xs_all = [], []
    for (sx, sy), (ex, ey) in zip(start.tolist(), stop.tolist(), strict=True):
        if sy == ey:
            continue
        lo, hi = min(sy, ey), max(sy, ey)
        y = np.arange(lo, hi + 1 if hi == top else hi, dtype=np.int64)
        if y.size == 0:
            continue
        u0, u1 = ex - sx, ey - sy
        d = -u1 * width  # gwcs's determinant of the edge and the scan line
        t = (width * (sy - y)) / d
        x = t * u0 + sx
        ys_all.append(y)
        xs_all.append(np.ceil(x).astype(np.int64))
    if not ys_all:
        return mask
    y = np.concatenate(ys_all)
    x = np.concatenate(xs_all)
    order = np.lexsort((x, y))
    y, x = y[order], x[order]
    first = np.r_[True, y[1:] != y[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(y.size), 0))
    pos = np.arange(y.size) - group_start
    left = np.flatnonzero((pos % 2 == 0)[:-1] & (y[1:] == y[:-1]))
    for k in left.tolist():
        row = int(y[k]) + shy
        if row < 0 or row >= ny:
            continue
        x0 = max(0, int(x[k]) + shx)
        x1 = min(int(x[k + 1]) + shx, nx - 1) + 1
        if x1 < 0:  # gwcs slices with a negative stop: counted from the end
            x1 += nx
        if x0 < x1:
            mask[row, x0:x1] = True
    return mask
