"""Matching two source lists in a common tangent plane (tweakwcs' ``XYXYMatch`` semantics).

1. The offset between the lists is the peak of the 2-D histogram of the differences of
   every pair closer than ``searchrad`` (bins of one image pixel), refined by the mean
   difference of the pairs in the 3 x 3 bins around the peak.
2. Each list is thinned so that no two sources are closer than ``separation`` (the
   later of two close sources, sorted by y then x, is dropped), as stimage's
   ``xyxymatch`` does.
3. Each image source, moved by the offset, is paired with the nearest reference source
   within ``tolerance``; a reference source claimed by several keeps the closest.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["estimate_offset", "match_lists"]

log = logging.getLogger(__name__)


def estimate_offset(img: np.ndarray, ref: np.ndarray, searchrad: float, pscale: float = 1.0):
    """(dx, dy) = image - reference at the peak of the pair-difference histogram.

    Parameters
    ----------
    img, ref : ndarray of shape (n, 2), float64
        Positions in the tangent plane (arcsec).
    searchrad : float
        Largest offset searched (arcsec).
    pscale : float
        Histogram bin (arcsec): the pixel scale.

    Returns
    -------
    (float, float, int)
        The offset and the number of pairs that support it (0: none found, offset 0).
    """
    from scipy.spatial import cKDTree

    if len(img) == 0 or len(ref) == 0:
        return 0.0, 0.0, 0
    tree = cKDTree(ref)
    pairs = tree.query_ball_point(img, searchrad * np.sqrt(2.0) + pscale)
    ii = np.repeat(np.arange(len(img)), [len(p) for p in pairs])
    jj = np.concatenate([np.asarray(p, int) for p in pairs]) if ii.size else ii
    d = img[ii] - ref[jj]
    inside = (np.abs(d[:, 0]) <= searchrad) & (np.abs(d[:, 1]) <= searchrad)
    d = d[inside]
    if d.shape[0] == 0:
        log.warning("No pairs within a search radius of %g arcsec", searchrad)
        return 0.0, 0.0, 0
    r = int(np.ceil(searchrad / pscale))
    edges = (np.arange(-r, r + 2) - 0.5) * pscale
    hist, _, _ = np.histogram2d(d[:, 0], d[:, 1], bins=[edges, edges])
    # the peak of the histogram smoothed over 3 x 3 bins: one bin of a real offset can
    # split between neighbours, noise pairs spread evenly
    from scipy import ndimage

    smooth = ndimage.uniform_filter(hist, size=3, mode="constant")
    i, j = np.unravel_index(np.argmax(smooth), smooth.shape)
    cx, cy = (i - r) * pscale, (j - r) * pscale
    near = (np.abs(d[:, 0] - cx) <= 1.5 * pscale) & (np.abs(d[:, 1] - cy) <= 1.5 * pscale)
    if not near.any():
        return 0.0, 0.0, 0
    dx, dy = d[near].mean(axis=0)
    return float(dx), float(dy), int(near.sum())


def _isolated(xy: np.ndarray, separation: float) -> np.ndarray:
    """Keep-mask thinning a list to points at least ``separation`` apart: walking the points
    sorted by y then x, a point goes when an earlier kept one is too close (what stimage's
    ``xyxymatch`` does; only the later of two close points is lost)."""
    from scipy.spatial import cKDTree

    n = len(xy)
    keep = np.ones(n, bool)
    if n < 2:
        return keep
    pairs = cKDTree(xy).query_pairs(separation, output_type="ndarray")
    if pairs.size == 0:
        return keep
    rank = np.empty(n, int)
    rank[np.lexsort((xy[:, 0], xy[:, 1]))] = np.arange(n)
    first = np.where(rank[pairs[:, 0]] < rank[pairs[:, 1]], pairs[:, 0], pairs[:, 1])
    later = np.where(rank[pairs[:, 0]] < rank[pairs[:, 1]], pairs[:, 1], pairs[:, 0])
    order = np.argsort(rank[later], kind="stable")
    for a, b in zip(first[order], later[order], strict=True):
        if keep[a]:
            keep[b] = False
    return keep


def match_lists(img: np.ndarray, ref: np.ndarray, offset=(0.0, 0.0), tolerance: float = 0.7,
                separation: float = 1.0):  # fmt: skip
    """Indices of matched pairs.

    Parameters
    ----------
    img, ref : ndarray of shape (n, 2), float64
        Tangent-plane positions (arcsec).
    offset : (float, float)
        image - reference, subtracted from the image positions before pairing.
    tolerance, separation : float
        Pairing radius and minimum separation within each list (arcsec).

    Returns
    -------
    ref_idx, img_idx : ndarray of int
    """
    from scipy.spatial import cKDTree

    empty = np.zeros(0, int)
    if len(img) == 0 or len(ref) == 0:
        return empty, empty
    isel = np.flatnonzero(_isolated(img, separation))
    rsel = np.flatnonzero(_isolated(ref, separation))
    if isel.size == 0 or rsel.size == 0:
        return empty, empty
    moved = img[isel] - np.asarray(offset, float)
    d, k = cKDTree(ref[rsel]).query(moved, distance_upper_bound=tolerance)
    ok = np.isfinite(d)
    cand_img, cand_ref, dist = isel[ok], rsel[k[ok]], d[ok]
    # one image source per reference source: the closest
    order = np.lexsort((dist, cand_ref))
    cand_img, cand_ref = cand_img[order], cand_ref[order]
    first = np.ones(cand_ref.size, bool)
    first[1:] = cand_ref[1:] != cand_ref[:-1]
    ri, ii = cand_ref[first], cand_img[first]
    order = np.argsort(ii, kind="stable")
    return ri[order], ii[order]
