"""Combining background exposures: sigma-clipped means over exposures (and integrations)."""

from __future__ import annotations

import numpy as np

from ...errors import InputError

__all__ = ["sigma_clip_mask", "clipped_mean", "Region", "average_background"]


def sigma_clip_mask(values: np.ndarray, sigma: float, maxiters: int | None) -> np.ndarray:
    """Mask of the values rejected by iterative sigma clipping along axis 0.

    Per pixel, as astropy's fast ``sigma_clip`` (centre the median, width the population
    standard deviation, both over the values still kept): values outside
    ``[median - sigma std, median + sigma std]`` are dropped until none is, or none is left,
    or ``maxiters`` rounds have been made (None: no limit).  Non-finite values are always
    rejected.

    Parameters
    ----------
    values : ndarray of shape (n, ...), float
    sigma : float
    maxiters : int or None

    Returns
    -------
    ndarray of bool, the shape of ``values`` (True: rejected)
    """
    vals = np.asarray(values, dtype=np.float64)
    mask = ~np.isfinite(vals)
    if vals.shape[0] == 0:
        return mask
    work = np.where(mask, np.nan, vals)
    it = 0
    with np.errstate(invalid="ignore"), _quiet():
        while maxiters is None or it < maxiters:
            cen = np.nanmedian(work, axis=0)
            std = np.nanstd(work, axis=0)
            lo, hi = cen - sigma * std, cen + sigma * std
            out = (work < lo) | (work > hi)
            if not out.any():
                break
            mask |= out
            work[out] = np.nan
            it += 1
    return mask


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def clipped_mean(values, mask, axis=0) -> np.ndarray:
    """Mean of the unmasked values along ``axis``; 0 where all are masked (as numpy's
    masked mean leaves its data there)."""
    v = np.where(mask, 0.0, values)
    n = (~mask).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = v.sum(axis=axis) / n
    return np.where(n > 0, out, 0.0)


class Region:
    """Where an exposure sits on the detector (0-based, end-exclusive), with its arrays."""

    def __init__(self, model):
        sub = model.meta.subarray
        x0, y0, nx, ny = sub.xstart, sub.ystart, sub.xsize, sub.ysize
        if None in (x0, y0, nx, ny):
            full = (
                (1024, 1032) if str(model.meta.instrument.name).upper() == "MIRI" else (2048, 2048)
            )
            if model.shape[-2:] != full:
                raise InputError(
                    f"{model.meta.get('filename') or 'exposure'}: no SUBSTRT/SUBSIZE keywords"
                )
            x0, y0, ny, nx = 1, 1, full[0], full[1]
        self.imin, self.jmin = int(x0) - 1, int(y0) - 1
        self.imax, self.jmax = self.imin + int(nx), self.jmin + int(ny)
        self.data, self.err, self.dq = model.data, model.err, model.dq

    def overlaps(self, other) -> bool:
        return not (self.imax <= other.imin or other.imax <= self.imin
                    or self.jmax <= other.jmin or other.jmax <= self.jmin)  # fmt: skip

    def cut(self, other):
        """``other``'s SCI, ERR and DQ over the common region, in arrays of this exposure's
        shape (NaN and 0 elsewhere).  As jwst, the common part is placed at the array's
        origin, which is its true place when both share their lower-left corner."""
        imin, imax = max(self.imin, other.imin), min(self.imax, other.imax)
        jmin, jmax = max(self.jmin, other.jmin), min(self.jmax, other.jmax)
        imax, jmax = max(imax, imin), max(jmax, jmin)
        shape = list(self.data.shape)
        if self.data.ndim == 3:
            shape[0] = other.data.shape[0]
        idx = (..., slice(jmin - other.jmin, jmax - other.jmin),
               slice(imin - other.imin, imax - other.imin))  # fmt: skip
        d, e, q = other.data[idx], other.err[idx], other.dq[idx]
        data = np.full(shape, np.nan, dtype=other.data.dtype)
        err = np.full(shape, np.nan, dtype=other.data.dtype)
        dq = np.zeros(shape, dtype=np.uint32)
        h, w = d.shape[-2:]
        data[..., :h, :w] = d
        err[..., :h, :w] = e
        dq[..., :h, :w] = q
        return data, err, dq


def average_background(science, backgrounds, sigma: float, maxiters, open_model, log=None):
    """The sigma-clipped mean of the background exposures over the science exposure.

    Each background of a ``_rateints`` science cube is first reduced to the clipped mean
    over its integrations (its ERR**2 likewise); then the exposures are clipped against
    each other and averaged.  ERR is ``sqrt(sum ERR**2) / n`` over the exposures kept.

    Returns
    -------
    data, err : ndarray of shape (ny, nx), float32
    dq : ndarray of shape (ny, nx), uint32
        The OR of the backgrounds' DQ over the common region.
    """
    ndim = science.data.ndim
    shape = science.shape[-2:]
    me = Region(science)
    n = len(backgrounds)
    cdata = np.zeros((n,) + shape)
    cerr = np.zeros((n,) + shape)
    dq = np.zeros(shape, np.uint32)
    for i, item in enumerate(backgrounds):
        if log is not None:
            log.info("Accumulate bkg from %s", item)
        bkg = open_model(item)
        other = Region(bkg)
        if not me.overlaps(other):
            cdata[i] = np.nan
            cerr[i] = np.nan
            continue
        d, e, q = me.cut(other)
        if ndim == 2:
            cdata[i] = d
            cerr[i] = e * e  # float32 squares, as jwst
            dq |= q
        else:
            e2 = e * e
            cdata[i] = clipped_mean(d, sigma_clip_mask(d, sigma, maxiters))
            cerr[i] = clipped_mean(e2, sigma_clip_mask(e2, sigma, maxiters))
            dq |= np.bitwise_or.reduce(q, axis=0)
    mask = sigma_clip_mask(cdata, sigma, maxiters)
    data = clipped_mean(cdata, mask)
    kept = (~mask).sum(axis=0)
    esum = np.where(mask, 0.0, cerr).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.where(kept > 0, np.sqrt(esum) / kept, 0.0)
    return data.astype(np.float32), err.astype(np.float32), dq
