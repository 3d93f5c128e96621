"""The arithmetic side of ramp_fit: which groups to fit, and the fits, one integration at a
time where the algorithm allows (no 4-D temporaries)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from jwcore.ramp import (
    LIKELY_MIN_NGROUPS,
    OlsRampFitter,
    RampFitResult,
    RampProducts,
    fit_ramps_likely,
    fit_ramps_ols,
    stack_optional,
)

from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL

__all__ = [
    "RampInputs",
    "flag_group_range",
    "miri_group_range",
    "fit_ols",
    "fit_likely",
    "suppress_one_good_group_ramps",
    "unusable",
    "choose_algorithm",
]

log = logging.getLogger("jwcal.steps.ramp_fit")


@dataclass
class RampInputs:
    """Everything the fits need, as arrays and numbers.

    ``data`` and ``groupdq`` are (nints, ngroups, ny, nx) (views are fine: each integration
    is made contiguous on its own); the 2-D arrays are (ny, nx).
    """

    data: np.ndarray
    groupdq: np.ndarray
    pixeldq: np.ndarray
    readnoise: np.ndarray
    gain: np.ndarray
    frame_time: float
    group_time: float
    nframes: int = 1
    groupgap: int = 0
    dropframes1: int = 0
    zeroframe: np.ndarray | None = None
    average_dark_current: np.ndarray | None = None

    @property
    def nints(self) -> int:
        return self.data.shape[0]

    @property
    def ngroups(self) -> int:
        return self.data.shape[1]

    def groups(self, first: int, last: int) -> RampInputs:
        """The same ramps restricted to groups ``first``..``last`` (inclusive), as views."""
        sel = slice(first, last + 1)
        out = RampInputs(**self.__dict__)
        out.data = self.data[:, sel]
        out.groupdq = self.groupdq[:, sel]
        return out


def choose_algorithm(algorithm: str, ngroups: int) -> str:
    """OLS_C or LIKELY; LIKELY needs at least 4 groups (jwst falls back to OLS_C)."""
    algo = algorithm.upper()
    if algo == "LIKELY" and ngroups < LIKELY_MIN_NGROUPS:
        log.info(
            "The LIKELY algorithm needs at least %d groups, but ngroups = %d: using OLS_C",
            LIKELY_MIN_NGROUPS,
            ngroups,
        )
        return "OLS_C"
    return algo


def flag_group_range(groupdq: np.ndarray, firstgroup, lastgroup) -> None:
    """OR DO_NOT_USE into the groups before ``firstgroup`` and after ``lastgroup`` (0-based,
    None: no limit), in place, with jwst's checks of the two values."""
    ngroups = groupdq.shape[1]
    first = 0 if firstgroup is None else int(firstgroup)
    last = ngroups - 1 if lastgroup is None else int(lastgroup)
    if first < 0:
        log.warning("first group < 0, reset to 0")
        first = 0
    if last >= ngroups:
        log.warning("Last group number >= #groups (%d), reset to %d", ngroups, ngroups - 1)
    if first >= last:
        log.warning(
            "firstgroup (%d) cannot be >= lastgroup (%d); group selectors ignored", first, last
        )
        first, last = 0, ngroups - 1
    dnu = np.uint8(GROUP["DO_NOT_USE"])
    if first > 0:
        groupdq[:, :first] |= dnu
    if last < ngroups - 1:
        groupdq[:, last + 1 :] |= dnu


def _all_flagged(plane_stack: np.ndarray, flag: int) -> bool:
    """True when every pixel of every integration has ``flag`` in this group."""
    f = np.uint8(flag)
    return all(int(np.bitwise_and(p, f).min()) != 0 for p in plane_stack)


def miri_group_range(groupdq: np.ndarray) -> tuple[int, int] | None:
    """Groups of a MIRI exposure that ramp fitting uses, as jwst 3.0.0 (stcal) chooses them.

    Leading groups that are DO_NOT_USE in every pixel of every integration are dropped (and
    JUMP_DET is removed, in place, from the group that becomes the first, so that it counts
    in the fit); so is a last group flagged that way.  Returns (first, last), 0-based and
    inclusive, or None when fewer than 2 groups remain.
    """
    ngroups = groupdq.shape[1]
    dnu, jump = GROUP["DO_NOT_USE"], np.uint8(GROUP["JUMP_DET"])
    first = 0
    while _all_flagged(groupdq[:, first], dnu):
        first += 1
        if first >= ngroups:
            log.error("All groups have all pixels flagged as DO_NOT_USE")
            return None
        plane = groupdq[:, first]
        plane &= ~jump
    if first:
        log.info("Number of leading groups that are flagged as DO_NOT_USE: %d", first)
    last = ngroups - 1
    if _all_flagged(groupdq[:, last], dnu):
        last -= 1
        log.info("MIRI dataset has all pixels in the final group flagged as DO_NOT_USE.")
    if last - first + 1 < 2:
        log.warning("MIRI datasets require at least 2 groups/integration")
        return None
    return first, last


def suppress_one_good_group_ramps(groupdq: np.ndarray) -> int:
    """Flag DO_NOT_USE on every group of ramps with exactly one good group, in place.

    A good group has no flag but PERSISTENCE.  stcal does this on the whole exposure before
    it drops MIRI's unusable leading groups; the kernels do it themselves otherwise.
    Returns the number of ramps suppressed.
    """
    keep = np.uint8(~np.uint8(PIXEL["PERSISTENCE"]))
    dnu = np.uint8(GROUP["DO_NOT_USE"])
    n = 0
    for ints in groupdq:
        good = np.zeros(ints.shape[1:], np.int32)
        for plane in ints:
            good += (plane & keep) == 0
        one = good == 1
        k = int(np.count_nonzero(one))
        if k:
            ints[:, one] |= dnu
            n += k
    return n


def fit_ols(
    inp: RampInputs,
    *,
    suppress_one_group: bool,
    save_opt: bool,
    n_threads: int,
    over_ramps: bool = False,
) -> RampFitResult:
    """Least squares with optimal weighting (OLS_C).

    Ramps held as one contiguous cube are fitted in one call, which reads each row of every
    integration once; with ``over_ramps`` (the caller no longer needs them) the products
    are written into the ramps' memory, which spares allocating and faulting in up to
    ten full-size planes (:func:`products_over_ramps`).  Others (MIRI ramps with groups
    dropped are views) are fitted one integration at a time, so that no copy of the whole
    cube is made; the Poisson variance needs the exposure's median rate, so each
    integration is then read twice (:class:`jwcore.ramp.OlsRampFitter`).  All give the
    same numbers: stcal's, to the bit (``bitwise``: the step's products are jwst's; the
    faster default of the kernel differs from them by an ulp on a few pixels in a million,
    and for a step that costs about 0.1 s a full frame).
    """
    nints, ngroups, ny, nx = inp.data.shape
    # stcal only suppresses one-good-group ramps when integrations have several groups.
    suppress = bool(suppress_one_group) and ngroups > 1
    if _contiguous(inp.data, np.float32) and _contiguous(inp.groupdq, np.uint8):
        rate_out = ints_out = None
        if over_ramps and inp.data.flags.writeable:
            rate_out, ints_out = products_over_ramps(inp.data)
        return fit_ramps_ols(
            inp.data,
            inp.groupdq,
            inp.pixeldq,
            inp.readnoise,
            inp.gain,
            frame_time=inp.frame_time,
            group_time=inp.group_time,
            nframes=inp.nframes,
            groupgap=inp.groupgap,
            dropframes1=inp.dropframes1,
            zeroframe=inp.zeroframe,
            average_dark_current=inp.average_dark_current,
            suppress_one_group=suppress,
            save_opt=save_opt,
            rate_out=rate_out,
            rateints_out=ints_out,
            bitwise=True,
            n_threads=n_threads,
        )
    fitter = OlsRampFitter(
        inp.pixeldq,
        inp.readnoise,
        inp.gain,
        ngroups=ngroups,
        frame_time=inp.frame_time,
        group_time=inp.group_time,
        nframes=inp.nframes,
        groupgap=inp.groupgap,
        dropframes1=inp.dropframes1,
        average_dark_current=inp.average_dark_current,
        suppress_one_group=suppress,
        bitwise=True,
        n_threads=n_threads,
    )

    def zf(i):
        return None if inp.zeroframe is None else inp.zeroframe[i]

    for i in range(nints):
        fitter.add_median(inp.data[i], inp.groupdq[i], zf(i))
    ints = RampProducts.empty((nints, ny, nx))
    opts = []
    for i in range(nints):
        res = fitter.fit_integration(inp.data[i], inp.groupdq[i], zf(i), save_opt=save_opt)
        plane = res[0] if save_opt else res
        if save_opt:
            opts.append(res[1])
        for name in ("slope", "dq", "var_poisson", "var_rnoise", "err"):
            getattr(ints, name)[i] = getattr(plane, name)
    rate = fitter.finish()
    return RampFitResult(rate=rate, rateints=ints, optional=stack_optional(opts) if opts else None)


def products_over_ramps(data: np.ndarray) -> tuple[RampProducts | None, RampProducts | None]:
    """Rate and rateints products laid in the memory of ramps (nints, ngroups, ny, nx)
    that are fitted for the last time: the five planes (slope, the two variances, ERR, DQ)
    of integration i in its first five groups, the rate's in any five groups left.  Where
    the ramps have too few groups, None (the fit allocates those products).  The kernel
    reads each row of the ramps before it writes that row's products there
    (:func:`jwcore.ramp.fit_ramps_ols`)."""

    def products(planes):
        return RampProducts(
            slope=planes[0],
            var_poisson=planes[1],
            var_rnoise=planes[2],
            err=planes[3],
            dq=planes[4].view(np.uint32),
        )

    nints, ngroups = data.shape[:2]
    ints = None
    spare = [data[i, g] for i in range(nints) for g in range(ngroups)]
    if ngroups >= 5:
        ints = products([data[:, k] for k in range(5)])
        spare = [data[i, g] for i in range(nints) for g in range(5, ngroups)]
    rate = products(spare[:5]) if len(spare) >= 5 else None
    return rate, ints


def _contiguous(a: np.ndarray, dtype) -> bool:
    return a.dtype == dtype and a.flags.c_contiguous and a.dtype.isnative


def fit_likely(
    inp: RampInputs, *, save_chisq: bool = False, n_threads: int, over_ramps: bool = False
) -> RampFitResult:
    """The likelihood fit with its jump test (LIKELY) on the whole exposure; with
    ``save_chisq``, also its chi squares.  With ``over_ramps`` (the caller no longer needs
    the ramps), the products are written into the ramps' memory, as :func:`fit_ols` does
    (one integration's rate is its rateints plane)."""
    rate_out = ints_out = None
    if over_ramps and _contiguous(inp.data, np.float32) and inp.data.flags.writeable:
        rate_out, ints_out = products_over_ramps(inp.data)
        if inp.nints == 1:
            rate_out = None
    return fit_ramps_likely(
        inp.data,
        inp.groupdq,
        inp.pixeldq,
        inp.readnoise,
        inp.gain,
        frame_time=inp.frame_time,
        group_time=inp.group_time,
        nframes=inp.nframes,
        groupgap=inp.groupgap,
        zeroframe=inp.zeroframe,
        average_dark_current=inp.average_dark_current,
        save_chisq=save_chisq,
        rate_out=rate_out,
        rateints_out=ints_out,
        n_threads=n_threads,
    )


def unusable(shape, pixeldq: np.ndarray) -> RampFitResult:
    """Products for an exposure with nothing to fit: NaN rates flagged DO_NOT_USE."""
    nints, ny, nx = shape
    ints = RampProducts.empty((nints, ny, nx))
    rate = RampProducts.empty((ny, nx))
    for p in (ints, rate):
        p.slope[...] = np.nan
        p.dq[...] = pixeldq | PIXEL["DO_NOT_USE"]
    return RampFitResult(rate=rate, rateints=ints)
