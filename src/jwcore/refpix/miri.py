"""Reference-pixel correction of MIRI up-the-ramp data."""

from __future__ import annotations

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _miri

__all__ = ["subtract_refpix_miri", "MIRI_FULL_SHAPE"]

#: Shape of a MIRI full-frame readout (rows, columns), reference columns included.
MIRI_FULL_SHAPE = (1024, 1032)


def subtract_refpix_miri(
    data: np.ndarray,
    pixeldq: np.ndarray,
    *,
    odd_even_rows: bool = True,
    siglimit: float = 3.0,
    out: np.ndarray | None = None,
    n_threads: int = 1,
) -> np.ndarray:
    """Subtract the drifts seen by the MIRI reference columns from full-frame ramps.

    Each of the 4 interleaved amplifiers (column ``c`` belongs to amplifier ``c % 4``) has a
    reference column at each side of the detector.  Every group after the first is taken
    relative to the first group of its integration; the sigma-clipped means of the amplifier's
    left and right reference columns (odd and even rows apart) are averaged and subtracted
    from the amplifier's columns; the first group is added back.  This is the JWST refpix
    step for MIRI, with its float32 rounding (the result matches it bit for bit), including
    its behaviour when a reference level has no usable pixels: that group and all later ones
    are left uncorrected.  MIRI subarrays have no reference columns and are not corrected by
    the JWST step.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, 1024, 1032) or (ngroups, 1024, 1032), float32
        Groups in DN.
    pixeldq : ndarray of shape (1024, 1032), uint32
        DO_NOT_USE reference pixels are left out of the means.
    odd_even_rows : bool
        Separate levels for odd and even rows.
    siglimit : float
        Sigma-clipping limit of the means.
    out : ndarray, optional
        Output array (may be ``data`` itself when float32 and C-contiguous).
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    ndarray of the shape of ``data``, float32
    """
    n_threads = check_threads(n_threads)
    data = np.asarray(data)
    if data.ndim not in (3, 4):
        raise ValueError(f"data must be 3-D or 4-D, got {data.ndim}-D")
    if data.shape[-2:] != MIRI_FULL_SHAPE:
        raise ValueError(
            f"MIRI reference pixels exist in full frames {MIRI_FULL_SHAPE} only, got "
            f"{data.shape[-2:]}"
        )
    src = as_c(data, np.float32)
    if out is None:
        out = np.empty(src.shape, np.float32)
    elif (
        not isinstance(out, np.ndarray)
        or out.shape != data.shape
        or out.dtype != np.float32
        or not out.flags.c_contiguous
        or not out.flags.writeable
    ):
        raise ValueError(
            f"out must be a writeable C-contiguous float32 array of shape {data.shape}"
        )
    dq = as_c(pixeldq, np.uint32)
    if dq.shape != MIRI_FULL_SHAPE:
        raise ValueError(f"pixeldq shape {dq.shape} does not match the data {MIRI_FULL_SHAPE}")
    nx = MIRI_FULL_SHAPE[1]
    cols = np.array([[a for a in range(4)], [nx - 4 + a for a in range(4)]])
    usable = (dq[:, cols] & dqflags.pixel["DO_NOT_USE"]) == 0  # (ny, 2, 4)
    ref_ok = np.ascontiguousarray(usable.transpose(1, 2, 0), np.uint8)
    src4 = src if src.ndim == 4 else src[np.newaxis]
    out4 = out if out.ndim == 4 else out[np.newaxis]
    _miri.correct(src4, out4, ref_ok, bool(odd_even_rows), float(siglimit), n_threads)
    return out
