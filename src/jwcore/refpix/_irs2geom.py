"""Layout of NIRSpec IRS2 readouts: where the interleaved reference pixels sit.

In IRS2 ("improved reference sampling and subtraction", Rauscher et al. 2017, PASP 129,
105003) each of the 4 outputs reads ``scipix_n`` science pixels, then ``refpix_r`` reference
pixels, and so on; a fifth output reads only reference pixels (the reference sector).  A
detector row therefore holds 5 x 640 samples instead of 2048.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_irs2_mask", "irs2_odd_mask", "irs2_time_indices"]


def make_irs2_mask(nx: int, ny: int, scipix_n: int, refpix_r: int) -> np.ndarray:
    """True for the normal (science) samples of an IRS2 row, False for reference ones.

    Parameters
    ----------
    nx, ny : int
        The two axis lengths of the data (one of them is the IRS2 row length, e.g. 3200).
    scipix_n : int
        Science samples between two runs of interleaved reference samples (NRS_NORM).
    refpix_r : int
        Interleaved reference samples per run (NRS_REF).

    Returns
    -------
    ndarray of shape (max(nx, ny),), bool
    """
    n = max(nx, ny)
    sector = n // 5
    period = scipix_n + refpix_r
    half = scipix_n // 2
    part = sector - (half + refpix_r)
    tail = part - (part // period) * period
    mask = np.ones(n, dtype=bool)
    mask[:sector] = False
    if tail == half:
        # the reference runs sit at the same places whichever way an output is read
        for i in range(sector + half, n + 1, period):
            mask[i : i + refpix_r] = False
    else:
        # outputs are read in alternate directions: mirror the pattern of every other one
        one = np.ones(sector, dtype=bool)
        for i in range(half, sector + 1, period):
            one[i : i + refpix_r] = False
        for k in range(4):
            mask[sector * (k + 1) : sector * (k + 2)] = one if k % 2 == 0 else one[::-1]
    return mask


def irs2_odd_mask(nrows: int, ncols: int, scipix_n: int, refpix_r: int) -> np.ndarray:
    """Parity of every detector column of IRS2 data, for odd/even reference means.

    Normal columns alternate odd/even (the first is odd); the interleaved reference samples
    come in two pairs, the first pair odd and the second even.  The reference sector follows
    the pattern of the others.

    Parameters
    ----------
    nrows, ncols : int
        Stored shape of one group (3200, 2048 for full-frame NIRSpec IRS2).
    scipix_n, refpix_r : int
        NRS_NORM and NRS_REF.

    Returns
    -------
    ndarray of shape (nrows,), bool
        True for odd columns.
    """
    interleaved = ~make_irs2_mask(nrows, ncols, scipix_n, refpix_r)
    sector = nrows // 5
    interleaved[:sector] = interleaved[sector : 2 * sector]
    pos = np.arange(interleaved.size) % 4
    odd = np.arange(interleaved.size) % 2 == 0
    odd[interleaved & (pos >= 2)] = False
    odd[interleaved & (pos < 2)] = True
    return odd


def irs2_time_indices(scipix_n: int, refpix_r: int, pad: int):
    """Positions of the samples of one output in time order.

    Returns ``(row, hnorm, hnorm1, href, href1)``: ``row`` is the number of sample times per
    detector row (science + reference + the jump overheads + ``pad`` new-row overhead, 712
    for the standard 16/4/8), ``hnorm``/``href`` the positions of the normal and reference
    samples within the 640 read ones, ``hnorm1``/``href1`` their times.
    """
    ind_n = np.arange(512, dtype=np.intp)
    ind_ref = np.arange(512 // scipix_n * refpix_r, dtype=np.intp)
    hnorm = ind_n + refpix_r * ((ind_n + scipix_n // 2) // scipix_n)
    href = ind_ref + scipix_n * (ind_ref // refpix_r) + scipix_n // 2
    hnorm1 = ind_n + (refpix_r + 2) * ((ind_n + scipix_n // 2) // scipix_n)
    href1 = ind_ref + (scipix_n + 2) * (ind_ref // refpix_r) + scipix_n // 2 + 1
    row = (scipix_n + refpix_r + 2) * 512 // scipix_n + pad
    return row, hnorm, hnorm1, href, href1


def irs2_spread_indices(scipix_n: int, refpix_r: int):
    """Where the interleaved reference samples are copied to build the reference signal.

    In each block of ``scipix_n + refpix_r + 2`` sample times, the reference samples (the
    odd pair then the even pair) are repeated over the surrounding gap and edge times, so
    that each parity covers twice its own span.  Returns ``(hs, ht)``: the sample at time
    ``hs[i]`` goes to time ``ht[i]``.
    """
    n0 = 512 // scipix_n
    n1 = scipix_n + refpix_r + 2
    half = scipix_n // 2
    first = (scipix_n - refpix_r) // 2 + 1  # first time of the spread span in a block
    width = 2 * refpix_r
    base = np.arange(n0)[:, None] * n1
    ht = (base + np.arange(first, first + width)[None, :]).ravel()
    # sources: each pair index repeated twice, first the odd samples, then the even ones
    pairs = np.arange(refpix_r).reshape(2, refpix_r // 2).T
    src = np.concatenate((pairs, pairs), axis=1).ravel() + half + 1
    hs = (base + src[None, :]).ravel()
    if refpix_r % 4 == 2:
        hs = hs.reshape(-1, 2)[:, ::-1].ravel()
    return hs, ht


def irs2_lowpass(scipix_n: int, refpix_r: int, pad: int, nrows: int) -> np.ndarray:
    """The frequency filter that interpolates the reference output over its gaps.

    Flat (1) up to a maximum frequency, a raised-cosine taper, then 0, and mirrored for the
    negative frequencies, over the ``row * nrows`` samples of the time series.
    """
    block = scipix_n + refpix_r + 2
    row = block * 512 // scipix_n + pad
    elen = 110000 // block
    blen = (512 + 512 // scipix_n * (refpix_r + 2) + pad) // block * nrows // 2 - elen // 2
    taper = (np.cos(np.arange(elen, dtype=np.float64) * np.pi / float(elen)) + 1.0) / 2.0
    half = np.concatenate(
        (
            np.ones(blen),
            taper,
            np.zeros(row * nrows // 2 - 2 * blen - 2 * elen),
            taper[::-1],
            np.ones(blen),
        )
    )
    return np.concatenate((half, np.roll(half, -1)[::-1]))
