"""Result containers of the ramp-fitting kernels and input checks they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import dqflags
from .._validate import as_c

__all__ = ["RampProducts", "OlsOptional", "RampFitResult"]

_HUGE_PAGE = 2 << 20


def _huge_aligned(shape, dtype) -> np.ndarray:
    """An uninitialised array starting on a 2 MB boundary when it spans huge pages (a
    view of a slightly larger block; the part before it is never touched)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes < 2 * _HUGE_PAGE:
        return np.empty(shape, dtype)
    block = np.empty(nbytes + _HUGE_PAGE, np.uint8)
    start = -block.ctypes.data % _HUGE_PAGE
    return block[start : start + nbytes].view(dtype).reshape(shape)


@dataclass
class RampProducts:
    """Slopes and their uncertainties: the SCI, DQ, ERR and variance arrays of a rate
    (2-D) or rateints (3-D) product.

    Attributes
    ----------
    slope : ndarray, float32
        Count rate in DN/s (NaN where no rate can be measured).
    dq : ndarray, uint32
        Pixel DQ flags.
    var_poisson, var_rnoise : ndarray, float32
        Poisson and read-noise variances of the slope, (DN/s)^2.
    err : ndarray, float32
        Uncertainty of the slope, DN/s.
    """

    slope: np.ndarray
    dq: np.ndarray
    var_poisson: np.ndarray
    var_rnoise: np.ndarray
    err: np.ndarray

    @classmethod
    def empty(cls, shape) -> RampProducts:
        f = [np.zeros(shape, np.float32) for _ in range(4)]
        return cls(f[0], np.zeros(shape, np.uint32), f[1], f[2], f[3])

    @classmethod
    def unfilled(cls, shape) -> RampProducts:
        """Uninitialised arrays, for a kernel that writes every element.

        Cheaper than :meth:`empty`: numpy asks for huge pages for large uninitialised
        arrays, so the kernel's first writes fault in 2 MB pages rather than 4 kB ones
        (about three times faster on a full frame); each array starts on a 2 MB boundary,
        so that none of it is left to 4 kB pages.
        """
        f = [_huge_aligned(shape, np.float32) for _ in range(4)]
        return cls(f[0], _huge_aligned(shape, np.uint32), f[1], f[2], f[3])

    def as_tuple(self):
        """(slope, var_poisson, var_rnoise, err, dq): the order the bridges take."""
        return (self.slope, self.var_poisson, self.var_rnoise, self.err, self.dq)

    def views(self, index) -> RampProducts:
        """The same products indexed alike (``np.newaxis``, an integration...): views."""
        return RampProducts(
            self.slope[index], self.dq[index], self.var_poisson[index],
            self.var_rnoise[index], self.err[index],
        )  # fmt: skip


@dataclass
class OlsOptional:
    """Per-segment products of the OLS fit, laid out as the JWST ``fitopt`` product
    (RampFitOutputModel): segment arrays are (nints, nsegments, ny, nx), ``pedestal`` is
    (nints, ny, nx) and ``crmag`` is (nints, ncosmic_rays, ny, nx), zero where unused.
    """

    slope: np.ndarray
    sigslope: np.ndarray
    var_poisson: np.ndarray
    var_rnoise: np.ndarray
    yint: np.ndarray
    sigyint: np.ndarray
    pedestal: np.ndarray
    weights: np.ndarray
    crmag: np.ndarray

    @classmethod
    def empty(cls, nints, nsegs, ncrs, ny, nx) -> OlsOptional:
        seg = [np.zeros((nints, nsegs, ny, nx), np.float32) for _ in range(7)]
        return cls(
            seg[0],
            seg[1],
            seg[2],
            seg[3],
            seg[4],
            seg[5],
            np.zeros((nints, ny, nx), np.float32),
            seg[6],
            np.zeros((nints, ncrs, ny, nx), np.float32),
        )

    def as_tuple(self):
        return (
            self.slope,
            self.sigslope,
            self.var_poisson,
            self.var_rnoise,
            self.yint,
            self.sigyint,
            self.weights,
            self.pedestal,
            self.crmag,
        )


@dataclass
class RampFitResult:
    """What a ramp fit returns: the exposure ``rate``, the per-integration ``rateints``
    and, when asked for, the ``optional`` per-segment products (OLS) or the ``chisq`` of
    the likelihood fit (LIKELY, shape (ny, nx) with ``chisq_ints`` (nints, ny, nx))."""

    rate: RampProducts
    rateints: RampProducts
    optional: OlsOptional | None = None
    chisq: np.ndarray | None = None
    chisq_ints: np.ndarray | None = None


def flag_tuple() -> tuple[int, int, int, int, int, int]:
    """DO_NOT_USE, SATURATED, JUMP_DET, PERSISTENCE, CHARGELOSS, NO_GAIN_VALUE."""
    p = dqflags.pixel
    return (
        p["DO_NOT_USE"],
        p["SATURATED"],
        p["JUMP_DET"],
        p["PERSISTENCE"],
        p["CHARGELOSS"],
        p["NO_GAIN_VALUE"],
    )


def as_dq(a, dtype, shape, name) -> np.ndarray:
    """A DQ array of an unsigned integer type; refuses values the type cannot hold."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "ui":
        raise TypeError(f"{name} must be an integer array, got dtype {arr.dtype}")
    if arr.dtype.itemsize > np.dtype(dtype).itemsize and arr.size:
        info = np.iinfo(dtype)
        if arr.min() < 0 or arr.max() > info.max:
            raise ValueError(f"{name} holds values outside the {np.dtype(dtype).name} range")
    return as_c(arr, dtype, shape, name)


def as_ramps(data, groupdq):
    """Coerce (nints, ngroups, ny, nx) data and group DQ."""
    data = np.asarray(data)
    if data.ndim != 4:
        raise ValueError(f"data must be 4-D (nints, ngroups, ny, nx), got {data.ndim}-D")
    if data.dtype.kind not in "fiu":
        raise TypeError(f"data must be a real array, got dtype {data.dtype}")
    data = as_c(data, np.float32, name="data")
    gdq = as_dq(groupdq, np.uint8, data.shape, "groupdq")
    return data, gdq


def as_plane(a, shape, name, dtype=np.float32) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    return as_c(arr, dtype, shape, name)


def check_times(frame_time, group_time, nframes, groupgap, dropframes1):
    for name, v in (("frame_time", frame_time), ("group_time", group_time)):
        if not np.isfinite(v) or v <= 0:
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    if int(nframes) != nframes or nframes < 1:
        raise ValueError(f"nframes must be a positive integer, got {nframes!r}")
    if int(groupgap) != groupgap or groupgap < 0:
        raise ValueError(f"groupgap must be a non-negative integer, got {groupgap!r}")
    d = 0 if dropframes1 is None else dropframes1
    if int(d) != d or d < 0:
        raise ValueError(f"dropframes1 must be a non-negative integer, got {dropframes1!r}")
    return float(frame_time), float(group_time), int(nframes), int(groupgap), int(d)


def products_out(out: RampProducts | None, shape, name: str) -> RampProducts:
    """``out`` checked as the products of the given shape (float32 planes, DQ uint32;
    rows need not follow each other, the bridges check that each row is contiguous), or
    new uninitialised products when None."""
    if out is None:
        # the kernel writes every element of the rate and rateints products
        return RampProducts.unfilled(shape)
    for arr, dtype in zip(out.as_tuple(), (np.float32,) * 4 + (np.uint32,), strict=True):
        if (
            not isinstance(arr, np.ndarray)
            or arr.shape != shape
            or arr.dtype != dtype
            or not arr.dtype.isnative
            or not arr.flags.writeable
        ):
            raise ValueError(
                f"{name} arrays must be writeable native float32 (DQ uint32) of shape {shape}"
            )
    return out
