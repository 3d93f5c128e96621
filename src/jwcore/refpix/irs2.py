"""NIRSpec IRS2 reference correction: interleaved reference pixels and the reference output.

IRS2 readouts (Rauscher et al. 2017, PASP 129, 105003) interleave reference pixels with the
science pixels of each output and read a fifth, reference-only output.  The JWST pipeline
(jwst.refpix.irs2_subtract_reference) first flags and replaces unreliable interleaved
reference pixels, then removes from each output the signal predicted, frequency by
frequency, from its reference pixels and from the reference output with the alpha and beta
coefficients of the REFPIX reference file.  The functions here do the same on arrays.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from .. import dqflags
from .._validate import as_c, check_threads
from . import _irs2
from ._irs2geom import (
    irs2_lowpass,
    irs2_spread_indices,
    irs2_time_indices,
    make_irs2_mask,
)
from ._nirplan import Frame

__all__ = [
    "subtract_refpix_irs2",
    "flag_bad_refpix_irs2",
    "replace_bad_refpix_irs2",
    "apply_irs2_dq_table",
    "IRS2_ROW_TIMES",
]

#: Sample times per detector row and output: 712 for the standard 16/4 pattern with 8 pad.
IRS2_ROW_TIMES = 712
BAD_REF_PIXEL = dqflags.pixel["BAD_REF_PIXEL"]


def _data4(data):
    data = np.asarray(data)
    if data.ndim not in (3, 4):
        raise ValueError(f"data must be 3-D or 4-D, got {data.ndim}-D")
    return data if data.ndim == 4 else data[np.newaxis]


def _frame(shape, fastaxis, slowaxis):
    frame = Frame(shape, (0, 0), shape, fastaxis, slowaxis)
    nr, nc = frame.det_shape
    if nc % 5:
        raise ValueError(f"IRS2 detector rows must hold 5 outputs, got {nc} columns")
    return frame


def _cosine_weights():
    # float32 throughout, numpy's own sin, as the official code builds them
    return np.sin(np.arange(1, 32, dtype=np.float32) / 32.0 * np.pi).astype(np.float32)


def _coefficients(a, name, n):
    a = np.asarray(a)
    if a.shape != (4, n):
        raise ValueError(f"{name} must have shape (4, {n}), got {a.shape}")
    c = np.ascontiguousarray(a, dtype=np.complex64)
    return c.view(np.float32).ravel()


def _plan(shape, alpha, beta, fastaxis, slowaxis, scipix_n, refpix_r, pad, preserve_refpix):
    """Index maps and filters of ``rp_irs2_plan`` (see src/rp_irs2.h), and the output plane
    shape."""
    ny, nx = shape
    frame = _frame((ny, nx), fastaxis, slowaxis)
    nr, nc = frame.det_shape
    sector = nc // 5
    row, hnorm, hnorm1, href, href1 = irs2_time_indices(scipix_n, refpix_r, pad)
    if hnorm1.size + href1.size != sector:
        raise ValueError(
            f"NRS_NORM={scipix_n}, NRS_REF={refpix_r} do not fill a {sector}-sample output"
        )
    n = row * nr
    tpos = np.empty(sector, np.int32)
    tpos[hnorm] = hnorm1
    tpos[href] = href1
    flip = np.array([True, False, True, False, True])
    u = np.arange(sector)
    src_col = np.stack([s * sector + (sector - 1 - u if flip[s] else u) for s in range(5)])
    row_off, col_off = frame.det_offsets()
    hs, ht = irs2_spread_indices(scipix_n, refpix_r)
    is_norm = np.zeros(row, np.uint8)
    is_norm[hnorm1] = 1
    n_out = np.zeros(5, np.int32)
    out_u = np.zeros((5, sector), np.int32)
    out_col = np.zeros((5, sector), np.int64)
    out_addb = np.zeros((5, sector), np.uint8)
    if preserve_refpix:
        out_frame = frame
        for s in range(5):
            n_out[s] = sector
            out_u[s] = u
            out_col[s] = src_col[s]
            # the ramp mean goes back on the normal samples and on the reference output
            out_addb[s] = 1 if s == 0 else np.isin(u, hnorm)
        oshape = (ny, nx)
    else:
        nsci = hnorm.size
        oshape = (nr, nr) if frame.transposed else (nr, 4 * nsci)
        if frame.transposed and nr != 4 * nsci:
            raise ValueError("IRS2 output would not be square")
        out_frame = Frame(oshape, (0, 0), oshape, fastaxis, slowaxis)
        i = np.arange(nsci)
        for s in range(1, 5):
            n_out[s] = nsci
            out_u[s, :nsci] = hnorm
            out_col[s, :nsci] = (s - 1) * nsci + (nsci - 1 - i if flip[s] else i)
            out_addb[s, :nsci] = 1
    o_row, o_col = out_frame.det_offsets()
    out_col_off = np.zeros((5, sector), np.int64)
    for s in range(5):
        out_col_off[s, : n_out[s]] = o_col[out_col[s, : n_out[s]]]
    aa = irs2_lowpass(scipix_n, refpix_r, pad, nr)
    if aa.size != n:
        raise ValueError("IRS2 filter length does not match the time series")
    odd = n
    while odd % 2 == 0:
        odd //= 2
    aa_rows = (aa.reshape(odd, n // odd) != 0).any(axis=1).astype(np.uint8)
    plan = SimpleNamespace(
        ny=ny,
        nx=nx,
        row_off=row_off,
        col_off=col_off,
        sector=sector,
        row=row,
        src_col=src_col.astype(np.int32).ravel(),
        tpos=tpos,
        hs=hs.astype(np.int32),
        ht=ht.astype(np.int32),
        is_norm=is_norm,
        n_out=n_out,
        out_u=out_u.ravel(),
        out_col_off=out_col_off.ravel(),
        out_addb=out_addb.ravel(),
        out_row_off=o_row,
        alpha=_coefficients(alpha, "alpha", n),
        beta=_coefficients(beta, "beta", n),
        aa=np.ascontiguousarray(aa),
        aa_rows=aa_rows,
        cos_w=_cosine_weights(),
        n_iter=3,
    )
    return plan, oshape


def subtract_refpix_irs2(
    data: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    *,
    fastaxis: int = 2,
    slowaxis: int = 1,
    scipix_n: int = 16,
    refpix_r: int = 4,
    pad: int = 8,
    preserve_refpix: bool = False,
    out: np.ndarray | None = None,
    n_threads: int = 1,
) -> np.ndarray:
    """Remove the reference signal of NIRSpec IRS2 ramps, frequency by frequency.

    For each group, every sample loses its mean over the ramp; each output is put in time
    order (gaps included) and a straight line in time, fitted on the top and bottom
    reference rows, is removed; the reference output's gaps are filled by cosine-weighted and
    then Fourier (low-pass) interpolation; the correction
    ``IFFT(beta_k FFT(ref_k) + alpha_k FFT(refout))``, with ``ref_k`` the interleaved
    reference samples of output ``k`` spread over their gaps, is subtracted from output
    ``k``; the ramp mean is added back and the interleaved reference pixels are dropped.
    This is the JWST pipeline's IRS2 algorithm (after Rauscher et al. 2017).  The transforms
    run in double precision (jwst uses complex64), so results agree with jwst to ~1e-5 DN
    plus float32 rounding.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, 3200, 2048) or (ngroups, 3200, 2048), float32
        IRS2 groups in DMS orientation (interleaved reference pixels included).
    alpha, beta : ndarray of shape (4, 712 * 2048), complex
        Coefficients of the REFPIX reference file (the ``alpha_k``/``beta_k`` table columns as
        complex numbers): alpha weighs the reference output, beta the interleaved pixels.
    fastaxis, slowaxis : int
        FASTAXIS/SLOWAXIS: (2, 1) for NRS1, (-2, -1) for NRS2; (1, 1) leaves the
        orientation alone (the official code does so for any other detector).
    scipix_n, refpix_r : int
        NRS_NORM and NRS_REF of the readout.
    pad : int
        New-row overhead, in sample times.
    preserve_refpix : bool
        Keep every sample (output shape = input shape), as for building IRS2 bias files.
    out : ndarray, optional
        Output array of shape (..., 2048, 2048) (or the input shape with
        ``preserve_refpix``), float32, C-contiguous.
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    ndarray of shape (nints, ngroups, 2048, 2048) (or the data's shape), float32
    """
    n_threads = check_threads(n_threads)
    squeeze = np.ndim(data) == 3
    d4 = _data4(data)
    plan, oshape = _plan(
        d4.shape[-2:], alpha, beta, fastaxis, slowaxis, scipix_n, refpix_r, pad, preserve_refpix
    )
    shape = d4.shape[:2] + oshape
    if out is None:
        out4 = np.empty(shape, np.float32)
    else:
        want = shape[1:] if squeeze else shape
        if (
            not isinstance(out, np.ndarray)
            or out.shape != want
            or out.dtype != np.float32
            or not out.flags.c_contiguous
            or not out.flags.writeable
        ):
            raise ValueError(f"out must be a writeable C-contiguous float32 array of shape {want}")
        out4 = out[np.newaxis] if squeeze else out
    for i in range(d4.shape[0]):
        _irs2.correct_integration(as_c(d4[i], np.float32), out4[i], plan, n_threads)
    return out4[0] if squeeze else out4


def _pair_rows(nrows, scipix_n, refpix_r):
    """First stored row of every interleaved reference pair, per output (5 lists)."""
    amp = nrows // 5
    starts = np.arange(scipix_n // 2, amp, scipix_n + refpix_r)
    within = (starts[:, None] + np.arange(0, refpix_r, 2)[None, :]).ravel()
    return [k * amp + within for k in range(5)]


def _clipped_stats(values, sigma, maxiters=5):
    """Mean and standard deviation after iterative clipping about the median (the
    astropy ``sigma_clipped_stats`` defaults)."""
    v = values[np.isfinite(values)]
    for _ in range(maxiters):
        if v.size == 0:
            break
        med, sd = np.median(v), v.std()
        keep = (v >= med - sigma * sd) & (v <= med + sigma * sd)
        if keep.all():
            break
        v = v[keep]
    if v.size == 0:
        return np.nan, np.nan
    return v.mean(), v.std()


def flag_bad_refpix_irs2(
    data: np.ndarray,
    pixeldq: np.ndarray,
    *,
    scipix_n: int = 16,
    refpix_r: int = 4,
    n_sigma: float = 3.0,
    n_threads: int = 1,
) -> np.ndarray:
    """Find intermittently bad interleaved reference pixels of IRS2 data.

    For every pair of interleaved reference pixels (two stored rows), in each integration,
    three statistics over all groups and columns are compared with their sigma-clipped
    mean over the output: the mean absolute difference between the two rows, their mean
    and their standard deviation.  A pair more than ``n_sigma`` standard deviations above
    in any of them is flagged (both rows), as in the JWST refpix step
    (``ovr_corr_mitigation_ftr``).  Rows already flagged BAD_REF_PIXEL are left out.  The
    statistics are computed in double precision (jwst uses float32), which matters only
    for values within ~1e-7 of a limit.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, nrows, ncols), float32
        IRS2 data in DMS orientation (3200 stored rows).
    pixeldq : ndarray of shape (nrows, ncols), uint32
    scipix_n, refpix_r : int
        NRS_NORM and NRS_REF.
    n_sigma : float
        Flagging threshold.
    n_threads : int

    Returns
    -------
    ndarray of shape (nrows,), bool
        Stored rows that are bad: those already flagged plus the new ones.  The JWST step
        then sets BAD_REF_PIXEL and DO_NOT_USE on every pixel of these rows.
    """
    n_threads = check_threads(n_threads)
    d4 = _data4(data)
    nrows = d4.shape[-2]
    dq = as_c(pixeldq, np.uint32, d4.shape[-2:], "pixeldq")
    initial = (dq & BAD_REF_PIXEL).any(axis=1)
    bad = initial.copy()
    for rows in _pair_rows(nrows, scipix_n, refpix_r):
        for j in range(d4.shape[0]):
            this = initial.copy()
            good = ~(this[rows] | this[rows + 1])
            sel = rows[good]
            if sel.size:
                stats = _irs2.pair_stats(as_c(d4[j], np.float32), sel.astype(np.int64), n_threads)
                for values in stats:
                    mean, sd = _clipped_stats(values, n_sigma)
                    high = (values - mean) > n_sigma * sd
                    this[sel[high]] = True
                    this[sel[high] + 1] = True
            bad |= this
    return bad


def _replace_lines(get, put, bad, flagged, is_irs2, low, high, period):
    """Replace line ``bad`` by its nearest good same-parity neighbours one period away (their
    mean when both exist), else by a good adjacent reference line, else by zero."""
    neighbour = None
    if bad - 2 >= low and is_irs2[bad - 2] and not flagged[bad - 2]:
        neighbour = bad - 2
    elif bad + 2 < high and is_irs2[bad + 2] and not flagged[bad + 2]:
        neighbour = bad + 2
    lo, hi = bad - period, bad + period
    v1 = get(lo) if lo >= low and not flagged[lo] else None
    v2 = get(hi) if hi < high and not flagged[hi] else None
    if v1 is not None and v2 is not None:
        put(bad, (v1 + v2) * np.float32(0.5))
    elif v1 is not None or v2 is not None:
        put(bad, v1 if v1 is not None else v2)
    elif neighbour is not None:
        put(bad, get(neighbour))
    else:
        put(bad, np.float32(0.0))


def replace_bad_refpix_irs2(
    data: np.ndarray, bad_rows: np.ndarray, *, scipix_n: int = 16, refpix_r: int = 4
) -> None:
    """Replace bad interleaved reference rows of IRS2 data in place, in every group.

    Each bad row takes the mean of the rows one reference period away on both sides within
    its output (or the one that is good), else a good adjacent reference row of the other
    parity, else zero, as the JWST step does.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, nrows, ncols), float32
        Updated in place (a C-contiguous writeable array).
    bad_rows : ndarray of shape (nrows,), bool
        From :func:`flag_bad_refpix_irs2`.
    scipix_n, refpix_r : int
    """
    if not isinstance(data, np.ndarray) or not data.flags.writeable or data.ndim != 4:
        raise ValueError("data must be a writeable 4-D array")
    nrows = data.shape[-2]
    flagged = np.asarray(bad_rows, bool)
    if flagged.shape != (nrows,):
        raise ValueError(f"bad_rows must have shape ({nrows},)")
    is_irs2 = np.zeros(nrows, bool)
    for rows in _pair_rows(nrows, scipix_n, refpix_r):
        is_irs2[rows] = is_irs2[rows + 1] = True
    amp = nrows // 5

    def get(i):
        return data[:, :, i, :].copy()

    def put(i, v):
        data[:, :, i, :] = v

    for k in range(5):
        for bad in np.flatnonzero(flagged[k * amp : (k + 1) * amp]) + k * amp:
            _replace_lines(
                get, put, int(bad), flagged, is_irs2, k * amp, (k + 1) * amp, scipix_n + refpix_r
            )


def apply_irs2_dq_table(
    data: np.ndarray,
    pixeldq: np.ndarray,
    output: np.ndarray,
    odd_even: np.ndarray,
    mask: np.ndarray,
    *,
    fastaxis: int = 2,
    slowaxis: int = 1,
    scipix_n: int = 16,
    refpix_r: int = 4,
) -> None:
    """Replace the interleaved reference pixels the REFPIX file's DQ table marks as bad.

    Each table row names an output (1-4), a parity (1: first pair, 2: second pair; swapped
    for the even outputs, read backwards) and a 32-bit mask of reference blocks, counted
    from the left in the detector frame.  Pixels not already flagged BAD_REF_PIXEL are
    replaced as :func:`replace_bad_refpix_irs2` does, row by row of the table, as in the
    JWST step.  ``data`` is updated in place.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, nrows, ncols), float32
        IRS2 data in DMS orientation.
    pixeldq : ndarray of shape (nrows, ncols), uint32
    output, odd_even, mask : ndarray of shape (ntable,)
        The OUTPUT, ODD_EVEN and MASK columns of the DQ table.
    fastaxis, slowaxis : int
        Orientation, as for :func:`subtract_refpix_irs2`.
    scipix_n, refpix_r : int
    """
    if not isinstance(data, np.ndarray) or not data.flags.writeable or data.ndim != 4:
        raise ValueError("data must be a writeable 4-D array")
    frame = _frame(data.shape[-2:], fastaxis, slowaxis)
    nr, nc = frame.det_shape
    sector = nc // 5
    # detector column c is a stored row (transposed frames) or a stored column
    det_col = frame.det_col_of_line()
    line_of = np.empty(nc, np.int64)
    line_of[det_col] = np.arange(det_col.size)
    dq = as_c(pixeldq, np.uint32, data.shape[-2:], "pixeldq")
    axis = 0 if frame.transposed else 1
    flagged = ((dq & BAD_REF_PIXEL) != 0).any(axis=1 - axis)[line_of]
    is_irs2 = ~make_irs2_mask(nc, nr, scipix_n, refpix_r)
    is_irs2[:sector] = is_irs2[2 * sector : 3 * sector]

    def get(c):
        line = line_of[c]
        return (data[:, :, line, :] if axis == 0 else data[:, :, :, line]).copy()

    def put(c, v):
        line = line_of[c]
        if axis == 0:
            data[:, :, line, :] = v
        else:
            data[:, :, :, line] = v

    period = scipix_n + refpix_r
    for out_k, parity, bits in zip(
        np.asarray(output), np.asarray(odd_even), np.asarray(mask), strict=True
    ):
        out_k, parity, bits = int(out_k), int(parity), int(bits)
        offset = out_k * sector
        if out_k % 2 == 0:
            parity = 3 - parity
        new = []
        for k in range(32):
            if not (bits >> k) & 1:
                continue
            ref = offset + scipix_n // 2 + k * period + 2 * (parity - 1)
            for c in (ref, ref + 1):
                if not flagged[c]:
                    new.append(c)
                    flagged[c] = True
        for c in new:
            _replace_lines(get, put, c, flagged, is_irs2, offset, offset + sector, period)
