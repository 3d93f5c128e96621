"""Group flags from a pixel's history: persistence windows and charge migration."""

from __future__ import annotations

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _rampflags

__all__ = ["flag_persistence_windows", "flag_charge_migration"]


def _writeable_dq(groupdq, ndims=(3, 4)) -> None:
    if not isinstance(groupdq, np.ndarray) or groupdq.ndim not in ndims:
        raise ValueError("groupdq must be a 3-D or 4-D array")
    if groupdq.dtype != np.uint8 or not groupdq.flags.c_contiguous or not groupdq.flags.writeable:
        raise ValueError("groupdq must be a writeable C-contiguous uint8 array")


def flag_persistence_windows(
    groupdq: np.ndarray,
    window: np.ndarray,
    times: np.ndarray,
    duration: float,
    *,
    data: np.ndarray | None = None,
    dn_threshold: float | None = None,
    flag: int = dqflags.group["PERSISTENCE"],
    saturated: int = dqflags.group["SATURATED"],
    n_threads: int = 1,
) -> int:
    """Flag the groups of one integration that fall inside a persistence window.

    This is the persistence algorithm of jwst 3.0: a pixel's window opens at its first
    saturated group of the integration (or, with ``dn_threshold``, at a group above that
    value where no window is open) and lasts ``duration`` seconds; every group read while a
    window is open gets ``flag``.  ``window`` carries the end time of each pixel's window
    from one integration, and one exposure, to the next.

    Parameters
    ----------
    groupdq : ndarray of shape (ngroups, ny, nx), uint8
        Group DQ of one integration, updated in place.
    window : ndarray of shape (ny, nx), float64
        End time (s) of each pixel's open window, 0 for none; updated in place.
    times : ndarray of shape (ngroups,), float64
        Time (s, any epoch shared with ``window``) at which each group was read.
    duration : float
        Length of a window (s).
    data : ndarray of shape (ngroups, ny, nx), float32, optional
        Group values, needed with ``dn_threshold``.
    dn_threshold : float, optional
        Values above it open a window too.
    flag, saturated : int
        The group flag to set (PERSISTENCE, optionally with DO_NOT_USE) and the SATURATED
        flag value.
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    int
        How many windows that would have opened after the group being read were reset
        (an inconsistent carried-over window).
    """
    n_threads = check_threads(n_threads)
    _writeable_dq(groupdq, (3,))
    ny, nx = groupdq.shape[1:]
    if (
        not isinstance(window, np.ndarray)
        or window.shape != (ny, nx)
        or window.dtype != np.float64
        or not window.dtype.isnative
        or not window.flags.c_contiguous
        or not window.flags.writeable
    ):
        raise ValueError(f"window must be a writeable C-contiguous float64 array of {(ny, nx)}")
    t = as_c(times, np.float64, (groupdq.shape[0],), "times")
    d = None
    thr = 0.0
    if dn_threshold is not None:
        if data is None:
            raise ValueError("dn_threshold needs the data")
        d = as_c(data, np.float32, groupdq.shape, "data")
        thr = float(dn_threshold)
    return _rampflags.flag_persistence(
        groupdq, d, window, t, float(duration), thr, int(saturated), int(flag), n_threads
    )


def flag_charge_migration(
    data: np.ndarray,
    groupdq: np.ndarray,
    threshold: float,
    *,
    flag: int = dqflags.group["CHARGELOSS"] | dqflags.group["DO_NOT_USE"],
    skip_dq: int = dqflags.group["DO_NOT_USE"],
    n_threads: int = 1,
) -> None:
    """Flag groups affected by charge migration (the JWST ``charge_migration`` step).

    In each integration, from the first group whose value exceeds ``threshold`` onwards
    (groups whose DQ is exactly DO_NOT_USE do not count), the pixel and its four nearest
    neighbours get CHARGELOSS and DO_NOT_USE.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Group values.
    groupdq : ndarray of the same shape, uint8
        Group DQ, updated in place.
    threshold : float
        Signal level (DN) above which charge migrates (compared in single precision).
    flag, skip_dq : int
        Flags to set, and the DQ value of groups that do not trigger.
    n_threads : int
        Threads to use; results do not depend on it.
    """
    n_threads = check_threads(n_threads)
    _writeable_dq(groupdq)
    if np.shape(data) != groupdq.shape:
        raise ValueError(f"data has shape {np.shape(data)}, groupdq {groupdq.shape}")
    cube = data[np.newaxis] if np.ndim(data) == 3 else data
    dq4 = groupdq[np.newaxis] if groupdq.ndim == 3 else groupdq
    for i in range(dq4.shape[0]):
        _rampflags.flag_charge_migration(
            dq4[i], as_c(cube[i], np.float32), float(threshold), int(skip_dq), int(flag), n_threads
        )
