"""MIRI electromagnetic interference (EMI): ramp sums by phase of the interference."""

from __future__ import annotations

import numpy as np

from .._validate import as_c
from . import _emi

__all__ = ["emi_phase_sums"]


def emi_phase_sums(
    data: np.ndarray,
    ok: np.ndarray,
    phase_index: np.ndarray,
    nphases: int,
    *,
    sum_y: np.ndarray | None = None,
    count: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sum the ramps of one integration by the EMI phase of their first read.

    MIRI reads its four output channels simultaneously, so the four pixels of a channel
    column share a read time, hence a phase.  This is the accumulation of the JWST
    emicorr step's joint fit, in its order (bit-identical sums).

    Parameters
    ----------
    data : ndarray of shape (ngroups, ny, nx), float32
        One integration.
    ok : ndarray of shape (ny, nx), bool
        Pixels to use (others add ``value * 0``: NaN or infinity still spoil a bin).
    phase_index : ndarray of shape (ny, nx // 4), int
        Phase bin (0 .. nphases-1) of each row and channel column.
    nphases : int
        Number of phase bins.
    sum_y : ndarray of shape (nphases, ngroups), float64, optional
        Accumulated into (new zeros when not given).
    count : ndarray of shape (nphases,), float64, optional
        Pixels per bin, accumulated into.

    Returns
    -------
    sum_y, count : ndarray
    """
    d = as_c(data, np.float32, name="data")
    if d.ndim != 3:
        raise ValueError(f"data must be (ngroups, ny, nx), got shape {d.shape}")
    ngroups, ny, nx = d.shape
    okb = as_c(np.asarray(ok, dtype=bool), np.uint8, (ny, nx), "ok")
    idx = as_c(phase_index, np.int32, (ny, nx // 4), "phase_index")
    if sum_y is None:
        sum_y = np.zeros((nphases, ngroups), np.float64)
    if count is None:
        count = np.zeros(nphases, np.float64)
    for name, arr, shape in (("sum_y", sum_y, (nphases, ngroups)), ("count", count, (nphases,))):
        if (
            arr.shape != shape
            or arr.dtype != np.float64
            or not arr.flags.c_contiguous
            or not arr.flags.writeable
        ):
            raise ValueError(f"{name} must be a writeable C-contiguous float64 array of {shape}")
    _emi.phase_sums(d, okb, idx, sum_y, count)
    return sum_y, count
