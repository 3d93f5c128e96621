"""Saturation and A/D-floor flagging of up-the-ramp data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _saturation

__all__ = ["flag_saturation", "dilate_mask", "ATOD_LIMIT"]

#: Largest value of the 16-bit analog-to-digital converter, in DN.
ATOD_LIMIT = 65535.0


def flag_saturation(
    data: np.ndarray,
    groupdq: np.ndarray,
    threshold: np.ndarray,
    *,
    no_sat_check: np.ndarray | None = None,
    n_pix_grow_sat: int = 1,
    read_pattern: Sequence[Sequence[float]] | None = None,
    bias: np.ndarray | None = None,
    zeroframe: np.ndarray | None = None,
    atod_limit: float = ATOD_LIMIT,
    n_threads: int = 1,
) -> np.ndarray:
    """Flag saturated and A/D-floor groups in place.

    A group at or above the pixel's threshold is flagged SATURATED with every later group of
    the integration; a group at or below 0 DN is flagged AD_FLOOR and DO_NOT_USE.  Saturation
    then grows by ``n_pix_grow_sat`` rings of neighbours (charge spilling).  With a
    ``read_pattern`` of frame-averaged groups, a group just before the first saturated group
    is flagged DO_NOT_USE when its value, diluted by the unsaturated frames it averages,
    reaches the diluted threshold, and group 2 is flagged DO_NOT_USE when the group-1 rate
    shows that saturation began inside it.  This is the algorithm of the JWST saturation
    step.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Group values in DN, bias included.
    groupdq : ndarray of the same shape, uint8
        Group DQ, updated in place.
    threshold : ndarray of shape (ny, nx), float
        Saturation threshold in DN.  NaN means "do not check".
    no_sat_check : ndarray of shape (ny, nx), bool, optional
        Pixels exempt from checking (the NO_SAT_CHECK flag of the reference file).
    n_pix_grow_sat : int
        Rings of neighbours flagged around each saturated pixel.
    read_pattern : sequence of sequences of float, optional
        The frame numbers making up each group; enables the frame-averaged-group tests.
    bias : ndarray of shape (ny, nx), optional
        Superbias in DN for the group-2 test.
    zeroframe : ndarray of shape (nints, ny, nx) or (ny, nx), float32, optional
        Zero-frame values, updated in place: saturated and floor pixels are set to 0.
    atod_limit : float
        Threshold used for pixels that are not checked (above any possible value).
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    ndarray of shape (ny, nx), bool
        The pixels exempt from saturation checking (NaN threshold or ``no_sat_check``).
    """
    n_threads = check_threads(n_threads)
    data = np.asarray(data)
    if data.ndim not in (3, 4):
        raise ValueError(f"data must be 3-D or 4-D, got {data.ndim}-D")
    if not isinstance(groupdq, np.ndarray) or groupdq.shape != data.shape:
        raise ValueError(
            f"groupdq must be an array of shape {data.shape}, got "
            f"{getattr(groupdq, 'shape', type(groupdq).__name__)}"
        )
    if groupdq.dtype != np.uint8 or not groupdq.flags.c_contiguous or not groupdq.flags.writeable:
        raise ValueError("groupdq must be a writeable C-contiguous uint8 array")
    ny, nx = data.shape[-2:]
    thr = np.array(threshold, dtype=np.float32, copy=True)
    if thr.shape != (ny, nx):
        raise ValueError(f"threshold shape {thr.shape} does not match the data {(ny, nx)}")
    exempt = np.isnan(thr)
    if no_sat_check is not None:
        nsc = np.asarray(no_sat_check, dtype=bool)
        if nsc.shape != (ny, nx):
            raise ValueError(f"no_sat_check shape {nsc.shape} does not match {(ny, nx)}")
        exempt |= nsc
    thr[exempt] = atod_limit + 1
    nosat = exempt.view(np.uint8)
    b = None if bias is None else as_c(bias, np.float32, (ny, nx), "bias")
    fm = fl = fc = None
    if read_pattern is not None:
        ngroups = data.shape[-3]
        if len(read_pattern) < ngroups:
            raise ValueError(f"read_pattern has {len(read_pattern)} groups, the data {ngroups}")
        rp = [np.asarray(g, dtype=np.float64) for g in read_pattern[:ngroups]]
        fm = np.array([g.mean() for g in rp])
        fl = np.array([g[-1] for g in rp])
        fc = np.array([g.size for g in rp], dtype=np.float64)
    cube = data[np.newaxis] if data.ndim == 3 else data
    gdq4 = groupdq[np.newaxis] if groupdq.ndim == 3 else groupdq
    zf = None
    if zeroframe is not None:
        zf = zeroframe[np.newaxis] if zeroframe.ndim == 2 else zeroframe
        if zf.shape != (cube.shape[0], ny, nx) or zf.dtype != np.float32:
            raise ValueError("zeroframe must be float32 of shape (nints, ny, nx)")
    for i in range(cube.shape[0]):
        _saturation.flag_integration(
            as_c(cube[i], np.float32),
            thr,
            gdq4[i],
            nosat=nosat,
            bias=b,
            frame_mean=fm,
            frame_last=fl,
            frame_count=fc,
            zframe=None if zf is None else zf[i],
            n_grow=int(n_pix_grow_sat),
            saturated=dqflags.group["SATURATED"],
            do_not_use=dqflags.group["DO_NOT_USE"],
            ad_floor=dqflags.group["AD_FLOOR"],
            n_threads=n_threads,
        )
    return exempt


def dilate_mask(mask: np.ndarray, n: int, *, n_threads: int = 1) -> np.ndarray:
    """Grow a boolean mask by ``n`` pixels in every direction (a (2n+1)-square dilation).

    Parameters
    ----------
    mask : ndarray of shape (ny, nx), bool
    n : int
        Rings of neighbours to add; 0 returns a copy.
    n_threads : int

    Returns
    -------
    ndarray of shape (ny, nx), bool
    """
    m = np.ascontiguousarray(mask, dtype=bool).view(np.uint8)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D, got {m.ndim}-D")
    out = np.empty_like(m)
    _saturation.dilate_square(m, out, int(n), check_threads(n_threads))
    return out.view(bool)
