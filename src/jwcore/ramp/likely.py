"""Likelihood ramp fitting with its jump test (JWST ``LIKELY``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import dqflags
from .._validate import check_threads
from . import _likely
from ._products import (
    RampFitResult,
    RampProducts,
    _huge_aligned,
    as_dq,
    as_plane,
    as_ramps,
    check_times,
    products_out,
)

__all__ = ["fit_ramps_likely", "likely_covariance", "LIKELY_MIN_NGROUPS"]

_COV_TERMS = ("alpha_ph", "alpha_rn", "beta_ph", "beta_rn", "delta_t")

#: The jump test needs at least this many groups (stcal falls back to OLS below it).
LIKELY_MIN_NGROUPS = 4


def _read_times(ngroups, frame_time, nframes, groupgap, read_times):
    if read_times is not None:
        if len(read_times) < ngroups:
            raise ValueError(f"read_times has {len(read_times)} groups, the data {ngroups}")
        return [np.atleast_1d(np.asarray(t, dtype=np.float64)) for t in read_times[:ngroups]]
    frames = np.arange(1, nframes + 1)
    return [(frames + k * (nframes + groupgap)) * frame_time for k in range(ngroups)]


def likely_covariance(read_times: Sequence[Sequence[float]]) -> dict[str, np.ndarray]:
    """Covariance terms of resultant differences for a read pattern (Brandt 2024, paper I,
    equations 4, 11, 28 and 29).

    Parameters
    ----------
    read_times : sequence of sequences of float
        Times (s) of the reads averaged into each resultant.

    Returns
    -------
    dict
        ``alpha_ph``, ``alpha_rn`` (diagonal per unit count rate and per unit read
        variance), ``beta_ph``, ``beta_rn`` (off-diagonal), ``delta_t`` (time between
        resultant means) and ``nreads``.
    """
    mean_t, tau, nreads = [], [], []
    for times in read_times:
        t = np.atleast_1d(np.asarray(times, dtype=np.float64))
        n = t.size
        mean_t.append(np.mean(t))
        k = np.arange(1, n + 1)
        tau.append(np.sum(((2 * n + 1) - 2 * k) * t) / n**2)
        nreads.append(n)
    mean_t, tau, nr = np.array(mean_t), np.array(tau), np.array(nreads)
    dt = mean_t[1:] - mean_t[:-1]
    return {
        "alpha_rn": (1 / nr[:-1] + 1 / nr[1:]) / dt**2,
        "beta_rn": -1 / (nr[1:-1] * dt[1:] * dt[:-1]),
        "alpha_ph": (tau[:-1] + tau[1:] - 2 * mean_t[:-1]) / dt**2,
        "beta_ph": (mean_t[1:-1] - tau[1:-1]) / (dt[1:] * dt[:-1]),
        "delta_t": dt,
        "nreads": nr,
    }


def _thresholds(rejection_threshold):
    if rejection_threshold is None:
        return 20.25, 23.8
    rt = float(rejection_threshold)
    if not rt > 0:
        raise ValueError(f"rejection_threshold must be positive, got {rejection_threshold!r}")
    one = rt**2
    # the chi-square (2 degrees of freedom) improvement with the same false-alarm rate
    p = math.erfc(rt / math.sqrt(2))
    two = -2.0 * math.log(p) if p > 0 else math.inf
    if math.isinf(two):
        two = one + 10
    return one, two


def fit_ramps_likely(
    data: np.ndarray,
    groupdq: np.ndarray,
    pixeldq: np.ndarray,
    readnoise: np.ndarray,
    gain: np.ndarray,
    *,
    frame_time: float,
    group_time: float | None = None,
    nframes: int = 1,
    groupgap: int = 0,
    read_times: Sequence[Sequence[float]] | None = None,
    zeroframe: np.ndarray | None = None,
    average_dark_current: np.ndarray | None = None,
    rejection_threshold: float | None = None,
    update_groupdq: bool = False,
    save_chisq: bool = False,
    rate_out: RampProducts | None = None,
    rateints_out: RampProducts | None = None,
    n_threads: int = 1,
) -> RampFitResult:
    """Fit ramps by maximum likelihood on resultant differences, with jump detection.

    The LIKELY algorithm of the JWST ``ramp_fit`` step (Brandt 2024, PASP 136, 045004:
    "Optimal fitting and debiasing for detectors read out up-the-ramp", and 045005: "Jump
    detection"), with stcal 1.20's conventions.  The differences between consecutive
    resultants, divided by the time between their mean read times, have a tridiagonal
    covariance from read noise (``READNOISE / sqrt(2)`` per read) and photon noise at a
    guessed rate; the rate is their generalised-least-squares mean.  A difference whose
    omission improves the chi square by more than ``rejection_threshold**2`` (20.25 by
    default), or a pair of adjacent differences (23.8) when the shared resultant averages
    several reads, is dropped and its later group flagged JUMP_DET; this repeats until
    nothing more is dropped or three differences remain.  The final fit takes the rate
    from that test plus the dark current as its photon-noise guess.  A difference is used
    only when both its groups have no DQ flag at all.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx), float32
        Ramps in DN; at least 4 groups.
    groupdq : ndarray of shape (nints, ngroups, ny, nx), uint8
        Group DQ flags; updated with the jumps found only if ``update_groupdq``.
    pixeldq : ndarray of shape (ny, nx), uint32
    readnoise : ndarray of shape (ny, nx), float32
        Correlated-double-sample read noise, DN.
    gain : ndarray of shape (ny, nx), float32
        e-/DN.
    frame_time : float
        Seconds between frames.
    group_time : float, optional
        Unused (the times come from the read pattern); accepted for symmetry with OLS.
    nframes, groupgap : int
        Frames averaged per group and frames skipped between groups, giving evenly
        spaced read times when ``read_times`` is not given.
    read_times : sequence of sequences of float, optional
        The times of the reads in each resultant (unevenly sampled exposures).
    zeroframe : ndarray of shape (nints, ny, nx), float32, optional
        Used as a resultant of its own, taken out of the first group, when the first
        group averages at least two reads; otherwise ignored (as stcal does).
    average_dark_current : ndarray of shape (ny, nx), float32, optional
        DN/s added to the rate guess of the final fit.
    rejection_threshold : float, optional
        Jump threshold in sigma (the default thresholds correspond to 4.5).
    update_groupdq : bool
        OR the JUMP_DET flags found into ``groupdq`` in place (as stcal does to its
        input); ``groupdq`` must then be a writeable C-contiguous uint8 array.
    save_chisq : bool
        Also return the chi square of each fit (the ``ramp_fit`` step's ``_likely_chisq``
        product); not computed into memory otherwise.
    rate_out, rateints_out : RampProducts, optional
        Where to write the products (float32, DQ uint32; (ny, nx) and (nints, ny, nx),
        every row contiguous), allocated when not given.  They may lie in the memory of
        ``data``, which is then overwritten: each pixel's ramp in integration i is read
        before its products are written, and row y of every integration before the rate
        products of row y, so the rateints products of integration i and row y may sit
        over row y of integration i's ramps (any group), and the rate's of row y over row
        y of any integration's.  With one integration the rate is the rateints' plane:
        ``rate_out`` alone receives it directly, ``rate_out`` with ``rateints_out`` a copy.
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    RampFitResult
        ``rate`` and ``rateints``; with ``save_chisq``, ``chisq`` (ny, nx, the sum over the
        integrations) and ``chisq_ints`` (nints, ny, nx), else None.
        ERR of rateints (and of rate for one integration) is the fit's own uncertainty;
        for several integrations the rate combines them as stcal does.  Rates are not
        NaN-ed for DO_NOT_USE pixels, as in stcal.

    Notes
    -----
    The fits are solved by an LDL^T factorisation of the tridiagonal covariance and the
    fits leaving out differences by Schur complements, not by stcal's closed forms: the
    numbers agree with stcal's to rounding (float32 products to the last bit or two).
    Deliberate differences from stcal: adjacent pairs of differences that may not be
    dropped together (one read per resultant) are left out of the jump test, and the pair
    fits have no spurious singularity.  stcal multiplies the improvement of a pair that
    may not be dropped by zero instead, and its closed form for a pair divides by zero at
    zero count rate (for every pair with one read per resultant, and for some positions
    with several, e.g. 5-group ramps); the NaN then switches its jump test off for the
    whole ramp, so jumps in faint ramps can go undetected there (0.1-0.6% of ramps in the
    parity tests).  Where a ramp has only two usable differences, both omissions improve
    the chi square equally and rounding decides which one is called the jump.
    """
    n_threads = check_threads(n_threads)
    data, gdq = as_ramps(data, groupdq)
    nints, ngroups, ny, nx = data.shape
    if ngroups < LIKELY_MIN_NGROUPS:
        raise ValueError(
            f"LIKELY needs at least {LIKELY_MIN_NGROUPS} groups, got {ngroups}; use OLS"
        )
    ft, _, nf, gg, _ = check_times(frame_time, group_time or frame_time, nframes, groupgap, 0)
    plane = (ny, nx)
    pdq = as_dq(pixeldq, np.uint32, plane, "pixeldq")
    rn = as_plane(readnoise, plane, "readnoise")
    g = as_plane(gain, plane, "gain")
    dark = None
    if average_dark_current is not None:
        dark = as_plane(average_dark_current, plane, "average_dark_current")
    rt = _read_times(ngroups, ft, nf, gg, read_times)
    zf = None
    if zeroframe is not None and len(rt[0]) >= 2:
        zf = as_plane(zeroframe, (nints, ny, nx), "zeroframe")
        rt = [rt[0][:1], rt[0][1:], *rt[1:]]
    cov = likely_covariance(rt)
    two_omit = np.ascontiguousarray(cov["nreads"][1:-1] > 1, dtype=np.uint8)
    t1, t2 = _thresholds(rejection_threshold)
    jump_out = None
    if update_groupdq:
        if (
            not isinstance(groupdq, np.ndarray)
            or groupdq.dtype != np.uint8
            or not groupdq.flags.c_contiguous
            or not groupdq.flags.writeable
        ):
            raise ValueError("update_groupdq needs a writeable C-contiguous uint8 groupdq")
        jump_out = groupdq
    p = dqflags.pixel
    # the kernel writes every element: uninitialised, huge-page aligned products
    copy_to = None
    if nints == 1 and rate_out is not None and rateints_out is None:
        rate_out = products_out(rate_out, plane, "rate_out")
        rateints_out = rate_out.views(np.newaxis)
    elif nints == 1 and rate_out is not None:
        copy_to, rate_out = products_out(rate_out, plane, "rate_out"), None
    ints = products_out(rateints_out, (nints, ny, nx), "rateints_out")
    chisq_ints = _huge_aligned((nints, ny, nx), np.float32) if save_chisq else None
    if nints == 1:
        rate = rate_out if rate_out is not None else ints.views(0)
        chisq = None if chisq_ints is None else chisq_ints[0]
        combined = ()
    else:  # the kernel combines the integrations row by row, as _likely.combine does
        rate = products_out(rate_out, plane, "rate_out")
        chisq = _huge_aligned(plane, np.float32) if save_chisq else None
        combined = (rate.slope, rate.dq, rate.var_poisson, rate.var_rnoise, rate.err, chisq)
    _likely.fit(
        data, gdq, pdq, rn, g, dark, zf,
        *(np.ascontiguousarray(cov[k]) for k in _COV_TERMS),
        two_omit, t1, t2, nf, (p["DO_NOT_USE"], p["SATURATED"], p["JUMP_DET"]),
        jump_out, ints.slope, ints.dq, ints.var_poisson, ints.var_rnoise, ints.err, chisq_ints,
        *combined, n_threads=n_threads,
    )  # fmt: skip
    if copy_to is not None:
        for dst, src in zip(copy_to.as_tuple(), rate.as_tuple(), strict=True):
            np.copyto(dst, src)
        rate = copy_to
    return RampFitResult(rate=rate, rateints=ints, chisq=chisq, chisq_ints=chisq_ints)
