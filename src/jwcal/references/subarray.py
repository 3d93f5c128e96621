"""Fitting a reference file to an exposure's detector and subarray."""

from __future__ import annotations

import numpy as np

from ..errors import ReferenceFileError

__all__ = ["region_of", "fit_to_exposure", "check_instrument"]

_ANY = {None, "", "ANY", "N/A", "MULTIPLE", "GENERIC"}


def _norm(v):
    return None if v is None else str(v).strip().upper()


def check_instrument(ref, sci, reftype: str) -> None:
    """Raise ReferenceFileError when ``ref`` is for another instrument or detector."""
    name = getattr(ref, "path", None)
    name = name.name if name is not None else reftype
    ri, si = _norm(ref.meta.get("instrument.name")), _norm(sci.meta.get("instrument.name"))
    if ri not in _ANY and si not in _ANY and ri != si:
        raise ReferenceFileError(f"{reftype} reference {name} is for {ri}, the exposure is {si}")
    rd, sd = _norm(ref.meta.get("instrument.detector")), _norm(sci.meta.get("instrument.detector"))
    if rd not in _ANY and sd not in _ANY and rd != sd:
        raise ReferenceFileError(
            f"{reftype} reference {name} is for detector {rd}, the exposure is {sd}"
        )


def region_of(meta, shape) -> tuple[int, int, int, int]:
    """(x0, y0, nx, ny) of an array on the detector, 0-based, from SUBSTRT/SUBSIZE or shape."""
    ny, nx = shape[-2:]
    x0 = meta.get("subarray.xstart") or 1
    y0 = meta.get("subarray.ystart") or 1
    return int(x0) - 1, int(y0) - 1, int(nx), int(ny)


def fit_to_exposure(ref, sci, reftype: str, sci_shape=None):
    """Return ``ref`` with its image arrays cut to the exposure's subarray.

    A reference that already has the exposure's shape and position is returned unchanged;
    one that covers a larger region of the detector (a full-frame file for a subarray
    exposure, darks included) is cut; anything else is an error.  Arrays whose last two axes
    are not the reference image (tables, IPC kernels) are left alone.
    """
    check_instrument(ref, sci, reftype)
    sci_shape = tuple(sci_shape or sci.shape)
    sx0, sy0, snx, sny = region_of(sci.meta, sci_shape)
    names = [n for n in ref.schema_def.arrays if ref.has(n)]
    shapes = {n: ref.array_shape(n) for n in names}
    images = [s[-2:] for s in shapes.values() if s and len(s) >= 2 and min(s[-2:]) >= 16]
    if not images:
        return ref
    rshape = max(images, key=lambda s: s[0] * s[1])
    if rshape == (sny, snx):
        rx0, ry0, _, _ = region_of(ref.meta, rshape)
        if (rx0, ry0) == (sx0, sy0) or ref.meta.get("subarray.xstart") is None:
            return ref
    rx0, ry0, rnx, rny = region_of(ref.meta, rshape)
    name = getattr(ref, "path", None)
    name = name.name if name is not None else reftype
    inside = rx0 <= sx0 and ry0 <= sy0 and sx0 + snx <= rx0 + rnx and sy0 + sny <= ry0 + rny
    if not inside:
        raise ReferenceFileError(
            f"{reftype} reference {name} covers detector columns {rx0 + 1}-{rx0 + rnx}, rows "
            f"{ry0 + 1}-{ry0 + rny}; the exposure ({sci.meta.get('subarray.name') or 'subarray'}) "
            f"needs columns {sx0 + 1}-{sx0 + snx}, rows {sy0 + 1}-{sy0 + sny}"
        )
    ys = slice(sy0 - ry0, sy0 - ry0 + sny)
    xs = slice(sx0 - rx0, sx0 - rx0 + snx)
    for n, s in shapes.items():
        if s and len(s) >= 2 and tuple(s[-2:]) == rshape:
            arr = getattr(ref, n)
            setattr(ref, n, np.ascontiguousarray(arr[..., ys, xs]))
    ref.meta.subarray.xstart = sx0 + 1
    ref.meta.subarray.ystart = sy0 + 1
    ref.meta.subarray.xsize = snx
    ref.meta.subarray.ysize = sny
    if sci.meta.get("subarray.name"):
        ref.meta.subarray.name = sci.meta.get("subarray.name")
    return ref
