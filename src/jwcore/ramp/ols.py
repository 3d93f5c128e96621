"""Ramp fitting by ordinary least squares with optimal weighting (JWST ``OLS_C``)."""

from __future__ import annotations

import numpy as np

from .._validate import check_threads
from . import _ols
from ._products import (
    OlsOptional,
    RampFitResult,
    RampProducts,
    as_dq,
    as_plane,
    as_ramps,
    check_times,
    flag_tuple,
    products_out,
)

__all__ = ["fit_ramps_ols", "OlsRampFitter", "stack_optional"]


def _setup(frame_time, group_time, nframes, groupgap, dropframes1, suppress_one_group, bitwise):
    ft, gt, nf, gg, d = check_times(frame_time, group_time, nframes, groupgap, dropframes1)
    return _ols.OlsSetup(
        ft, gt, nf, gg, d, bool(suppress_one_group), flag_tuple(), bitwise=bool(bitwise)
    )


def _zeroframe(zeroframe, shape):
    if zeroframe is None:
        return None
    return as_plane(zeroframe, shape, "zeroframe")


def fit_ramps_ols(
    data: np.ndarray,
    groupdq: np.ndarray,
    pixeldq: np.ndarray,
    readnoise: np.ndarray,
    gain: np.ndarray,
    *,
    frame_time: float,
    group_time: float,
    nframes: int = 1,
    groupgap: int = 0,
    dropframes1: int | None = 0,
    zeroframe: np.ndarray | None = None,
    average_dark_current: np.ndarray | None = None,
    suppress_one_group: bool = False,
    save_opt: bool = False,
    rate_out: RampProducts | None = None,
    rateints_out: RampProducts | None = None,
    bitwise: bool = False,
    n_threads: int = 1,
) -> RampFitResult:
    """Fit up-the-ramp slopes by least squares with optimal weighting.

    The algorithm of the JWST ``ramp_fit`` step with ``algorithm='OLS_C'`` (JWST
    Science Calibration Pipeline documentation, "Ramp Fitting"; weights after Fixsen et
    al. 2000, PASP 112, 1350), with stcal 1.20's conventions throughout.  Each
    integration of each pixel is cut into segments of good groups (a group flagged
    JUMP_DET alone opens the next segment; SATURATED, DO_NOT_USE and any other flag except
    PERSISTENCE end one).  A segment of three or more groups is fitted by weighted least
    squares, the weights ``|x - mid|**P / rn**2`` with ``P`` from the segment's
    signal-to-noise ratio (0, 0.4, 1, 3, 6 or 10 at the thresholds 5, 10, 20, 50, 100);
    two-group segments by their difference; a ramp whose only good group is the first is
    fitted by that value over the first-read time, and one whose groups are all flagged
    by the ZEROFRAME over the frame time.  Variances per segment: read noise
    ``12 rn**2 / ((L**3 - L) tgroup**2)`` (rn per frame, ``READNOISE / sqrt(2 nframes)``)
    and Poisson ``(median rate + dark) / (gain tgroup (L - 1))``, the median rate being the
    pixel's median first difference averaged over all integrations.  Segments and then
    integrations are combined with inverse read-noise variance weights.

    Ramps with a flagged group are fitted with stcal's expressions in stcal's order.
    Unflagged ramps (most pixels) take a faster route to the same quantities (the slope as
    fixed coefficients of the ramp's differences from its first group, a variance where
    stcal inverts its inverse): their float32 products equal stcal's on all but a few
    pixels in a million, and there differ by an ulp or two.  ``bitwise=True`` fits them
    with stcal's expressions too, for products identical to stcal's bit for bit (about
    1.4x slower on one thread).

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx), float32
        Ramps in DN.
    groupdq : ndarray of shape (nints, ngroups, ny, nx), uint8
        Group DQ flags.  Not modified.
    pixeldq : ndarray of shape (ny, nx), uint32
        Pixel DQ flags; DO_NOT_USE or SATURATED there invalidate the pixel.
    readnoise : ndarray of shape (ny, nx), float32
        Correlated-double-sample read noise in DN (the READNOISE reference file).
    gain : ndarray of shape (ny, nx), float32
        Gain in e-/DN; pixels with gain <= 0 or NaN are flagged DO_NOT_USE and
        NO_GAIN_VALUE.
    frame_time, group_time : float
        Seconds (used at single precision, as stcal does).
    nframes, groupgap : int
        Frames averaged per group and frames dropped between groups.
    dropframes1 : int or None
        Frames dropped at the start of each integration (pedestal only); None means 0.
    zeroframe : ndarray of shape (nints, ny, nx), float32, optional
        ZEROFRAME values (0 where unusable), used for ramps whose groups are all flagged.
    average_dark_current : ndarray of shape (ny, nx), float32, optional
        Average dark current in DN/s added to the rate in the Poisson variance.
    suppress_one_group : bool
        Treat ramps with a single good group as having none (the ``ramp_fit`` step's
        default is True; stcal's function default, kept here, is False).  Disables the
        first-group and ZEROFRAME rates.  Ignored for one-group exposures.
    save_opt : bool
        Also return the per-segment ``fitopt`` products.
    rate_out, rateints_out : RampProducts, optional
        Where to write the products (float32, DQ uint32; (ny, nx) and (nints, ny, nx),
        every row contiguous), allocated when not given.  They may lie in the memory of
        ``data``, which is then overwritten: row y of integration i's ramps (any group) is
        last read before the rateints products of that row and integration are written,
        and every integration's row y before the rate products of row y, so the products of
        row y may be placed over row y of the ramps (of integration i for its rateints, of
        any integration for the rate).
    bitwise : bool
        Fit unflagged ramps with stcal's expressions in stcal's order too (see above).
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    RampFitResult
        ``rate`` (2-D) and ``rateints`` (3-D) products, and ``optional`` when asked for.
        Unlike stcal, a fully saturated exposure still returns products (NaN rates with
        DO_NOT_USE and SATURATED) rather than None.
    """
    n_threads = check_threads(n_threads)
    data, gdq = as_ramps(data, groupdq)
    nints, ngroups, ny, nx = data.shape
    plane = (ny, nx)
    pdq = as_dq(pixeldq, np.uint32, plane, "pixeldq")
    rn = as_plane(readnoise, plane, "readnoise")
    g = as_plane(gain, plane, "gain")
    dark = None
    if average_dark_current is not None:
        dark = as_plane(average_dark_current, plane, "average_dark_current")
    zf = _zeroframe(zeroframe, (nints, ny, nx))
    setup = _setup(
        frame_time, group_time, nframes, groupgap, dropframes1, suppress_one_group, bitwise
    )

    ints = products_out(rateints_out, (nints, ny, nx), "rateints_out")
    rate = products_out(rate_out, plane, "rate_out")
    opt = None
    if save_opt:
        nsegs, ncrs = _ols.count(setup, data, gdq, zf, n_threads)
        opt = OlsOptional.empty(nints, nsegs, ncrs, ny, nx)
    _ols.fit(
        setup, data, gdq, pdq, rn, g, dark, zf, None, 0.0,
        ints.as_tuple(), None, rate.as_tuple(), None if opt is None else opt.as_tuple(),
        n_threads,
    )  # fmt: skip
    return RampFitResult(rate=rate, rateints=ints, optional=opt)


class OlsRampFitter:
    """OLS ramp fitting one integration at a time, for pipelines that stream integrations.

    The Poisson variance of every integration uses the pixel's median rate averaged over
    the whole exposure, so the integrations are read twice: first each is given to
    :meth:`add_median`, then each to :meth:`fit_integration`, which returns its rateints
    plane and adds it to the exposure sums; :meth:`finish` gives the rate product.  The
    numbers are identical to :func:`fit_ramps_ols` on the whole exposure.  Memory: four
    float64 planes and one byte plane of sums.

    Parameters
    ----------
    pixeldq, readnoise, gain, average_dark_current
        As for :func:`fit_ramps_ols`, shape (ny, nx).
    ngroups : int
        Groups per integration.
    frame_time, group_time, nframes, groupgap, dropframes1, suppress_one_group, bitwise, n_threads
        As for :func:`fit_ramps_ols`.
    """

    def __init__(
        self,
        pixeldq,
        readnoise,
        gain,
        *,
        ngroups: int,
        frame_time: float,
        group_time: float,
        nframes: int = 1,
        groupgap: int = 0,
        dropframes1: int | None = 0,
        average_dark_current=None,
        suppress_one_group: bool = False,
        bitwise: bool = False,
        n_threads: int = 1,
    ):
        self.n_threads = check_threads(n_threads)
        self.pixeldq = as_dq(pixeldq, np.uint32, None, "pixeldq")
        if self.pixeldq.ndim != 2:
            raise ValueError(f"pixeldq must be 2-D, got {self.pixeldq.ndim}-D")
        self.shape = self.pixeldq.shape
        self.readnoise = as_plane(readnoise, self.shape, "readnoise")
        self.gain = as_plane(gain, self.shape, "gain")
        self.dark = (
            None
            if average_dark_current is None
            else as_plane(average_dark_current, self.shape, "average_dark_current")
        )
        if int(ngroups) != ngroups or ngroups < 1:
            raise ValueError(f"ngroups must be a positive integer, got {ngroups!r}")
        self.ngroups = int(ngroups)
        self._setup = _setup(
            frame_time, group_time, nframes, groupgap, dropframes1, suppress_one_group, bitwise
        )
        self._median = np.zeros(self.shape, np.float64)
        self.n_median = 0
        self.n_fitted = 0
        self._acc = (
            *(np.empty(self.shape, np.float64) for _ in range(4)),
            np.empty(self.shape, np.uint8),
        )
        _ols.accum_init(self._acc)

    def _one(self, data, groupdq, zeroframe):
        d = np.asarray(data)
        if d.ndim != 3 or d.shape[0] != self.ngroups or d.shape[1:] != self.shape:
            raise ValueError(
                f"an integration must have shape {(self.ngroups, *self.shape)}, got {d.shape}"
            )
        d4, g4 = as_ramps(d[np.newaxis], np.asarray(groupdq)[np.newaxis])
        zf = None
        if zeroframe is not None:
            zf = _zeroframe(np.asarray(zeroframe)[np.newaxis], (1, *self.shape))
        return d4, g4, zf

    def add_median(self, data, groupdq, zeroframe=None) -> None:
        """First pass: add one integration's median rates.

        Parameters
        ----------
        data : ndarray of shape (ngroups, ny, nx), float32
        groupdq : ndarray of shape (ngroups, ny, nx), uint8
        zeroframe : ndarray of shape (ny, nx), float32, optional
        """
        if self.n_fitted:
            raise RuntimeError("add_median after fit_integration: give every median first")
        d4, g4, zf = self._one(data, groupdq, zeroframe)
        _ols.median_sum(self._setup, d4, g4, zf, self.gain, self._median, self.n_threads)
        self.n_median += 1

    def fit_integration(self, data, groupdq, zeroframe=None, *, save_opt: bool = False):
        """Second pass: fit one integration and add it to the exposure sums.

        Parameters
        ----------
        data : ndarray of shape (ngroups, ny, nx), float32
        groupdq : ndarray of shape (ngroups, ny, nx), uint8
        zeroframe : ndarray of shape (ny, nx), float32, optional
        save_opt : bool
            Also return this integration's per-segment products.

        Returns
        -------
        RampProducts or (RampProducts, OlsOptional)
            The rateints plane of this integration (arrays of shape (ny, nx)), and with
            ``save_opt`` its optional products (with a leading axis of length 1; pad and
            stack them with :func:`stack_optional`).
        """
        if self.n_median == 0:
            raise RuntimeError("fit_integration before add_median: give every median first")
        if self.n_fitted >= self.n_median:
            raise RuntimeError(
                f"fit_integration called more often than add_median ({self.n_median})"
            )
        d4, g4, zf = self._one(data, groupdq, zeroframe)
        ints = RampProducts.unfilled((1, *self.shape))
        opt = None
        if save_opt:
            nsegs, ncrs = _ols.count(self._setup, d4, g4, zf, self.n_threads)
            opt = OlsOptional.empty(1, nsegs, ncrs, *self.shape)
        _ols.fit(
            self._setup, d4, g4, self.pixeldq, self.readnoise, self.gain, self.dark, zf,
            self._median, float(self.n_median), ints.as_tuple(), self._acc, None,
            None if opt is None else opt.as_tuple(), self.n_threads,
        )  # fmt: skip
        self.n_fitted += 1
        plane = ints.views(0)
        return (plane, opt) if save_opt else plane

    def finish(self) -> RampProducts:
        """The exposure rate product, shape (ny, nx), from the integrations fitted."""
        if self.n_fitted != self.n_median:
            raise RuntimeError(
                f"{self.n_fitted} integrations fitted but {self.n_median} medians given"
            )
        rate = RampProducts.unfilled(self.shape)
        _ols.finish(
            self._setup,
            self.pixeldq,
            self.gain,
            self._acc,
            rate.as_tuple(),
            self.ngroups,
            self.n_threads,
        )
        return rate


_SEGMENT_ARRAYS = ("slope", "sigslope", "var_poisson", "var_rnoise", "yint", "sigyint", "weights")


def stack_optional(parts: list[OlsOptional]) -> OlsOptional:
    """Stack per-integration optional products, padding the segment and cosmic-ray axes
    with zeros to the longest."""
    if not parts:
        raise ValueError("no optional products to stack")
    nseg = max(p.slope.shape[1] for p in parts)
    ncr = max(p.crmag.shape[1] for p in parts)
    ny, nx = parts[0].pedestal.shape[-2:]
    out = OlsOptional.empty(len(parts), nseg, ncr, ny, nx)
    for i, p in enumerate(parts):
        for name in _SEGMENT_ARRAYS:
            a = getattr(p, name)
            getattr(out, name)[i, : a.shape[1]] = a[0]
        out.pedestal[i] = p.pedestal[0]
        out.crmag[i, : p.crmag.shape[1]] = p.crmag[0]
    return out
