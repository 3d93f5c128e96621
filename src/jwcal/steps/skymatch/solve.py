"""The sky-matching arithmetic: per-image sky levels in overlaps turned into additive
offsets that bring all exposures to a common level (least squares, as jwst/stcal)."""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["match_deltas"]

log = logging.getLogger(__name__)


def match_deltas(sky, npix) -> np.ndarray:
    """Sky offsets of ``n`` units from their pairwise overlap statistics.

    Parameters
    ----------
    sky : ndarray of shape (n, n), float64
        ``sky[i, j]``: the sky of unit ``i`` measured where it overlaps unit ``j`` (NaN:
        none).
    npix : ndarray of shape (n, n), float64
        The number of pixels behind each ``sky[i, j]`` (0: none).

    Returns
    -------
    ndarray of shape (n,), float64
        Offsets minimising ``sum w_ij ((s_ij - d_i) - (s_ji - d_j))^2`` with
        ``w_ij = (npix_ij + npix_ji) / 2`` (the minimum-norm solution, as the pseudo-inverse
        gives it); NaN for units that overlap no other.
    """
    sky = np.asarray(sky, float)
    npix = np.asarray(npix, float)
    n = sky.shape[0]
    rows, rhs = [], []
    used = np.zeros(n, bool)
    for i in range(n):
        for j in range(i + 1, n):
            if not (npix[i, j] > 0 and npix[j, i] > 0):
                continue
            w = 0.5 * (npix[i, j] + npix[j, i])
            row = np.zeros(n)
            row[i], row[j] = w, -w
            rows.append(row)
            rhs.append(w * (sky[i, j] - sky[j, i]))
            used[i] = used[j] = True
    if not rows:
        log.warning("Unable to compute sky: no valid data in common image areas")
        return np.full(n, np.nan)
    k = np.array(rows)
    rank = np.linalg.matrix_rank(k, 1e-12)
    if rank < n - 1:
        log.warning("%d sky values but only %d independent overlaps: offsets are found within "
                    "each connected set of images only", n, rank)  # fmt: skip
    deltas = np.linalg.pinv(k, rcond=1e-12) @ np.array(rhs)
    deltas[~used] = np.nan
    return deltas
