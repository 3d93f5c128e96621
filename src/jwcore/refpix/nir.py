"""Reference-pixel correction of near-infrared up-the-ramp data (NIRCam, NIRISS, NIRSpec, FGS)."""

from __future__ import annotations

import numpy as np

from .._validate import as_c, check_threads
from . import _nir
from ._irs2geom import irs2_odd_mask
from ._nirplan import (
    REFERENCE_PIXEL,
    Frame,
    _amplifier_plan,
    _multistripe_plan,
    _single_output_plan,
    add_side,
)

__all__ = ["subtract_refpix_nir", "subtract_refpix_multistripe", "NIR_FULL_SHAPE"]

#: Shape of a near-IR detector (rows, columns).
NIR_FULL_SHAPE = (2048, 2048)


def _as_cube(data, out):
    data = np.asarray(data)
    if data.ndim not in (3, 4):
        raise ValueError(f"data must be 3-D or 4-D, got {data.ndim}-D")
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
    ny, nx = src.shape[-2:]
    return src, out, src.reshape(-1, ny, nx), out.reshape(-1, ny, nx)


def _pixeldq(pixeldq, shape):
    dq = as_c(pixeldq, np.uint32)
    if dq.shape != shape:
        raise ValueError(f"pixeldq shape {dq.shape} does not match the data {shape}")
    return dq


def _zeroframe(zeroframe, plan, first_f32, nints, shape, n_threads):
    """Correct the ZEROFRAME as one-group integrations; zero values stay zero."""
    if zeroframe is None:
        return
    zf = zeroframe[np.newaxis] if np.ndim(zeroframe) == 2 else zeroframe
    if (
        not isinstance(zf, np.ndarray)
        or zf.shape != (nints,) + shape
        or zf.dtype != np.float32
        or not zf.flags.c_contiguous
        or not zf.flags.writeable
    ):
        raise ValueError(f"zeroframe must be a writeable float32 array of shape {(nints,) + shape}")
    empty = zf == 0.0
    _nir.correct_groups(zf.copy(), zf, plan, first_f32, n_threads)
    zf[empty] = 0.0


def subtract_refpix_nir(
    data: np.ndarray,
    pixeldq: np.ndarray,
    *,
    fastaxis: int,
    slowaxis: int,
    xstart: int = 1,
    ystart: int = 1,
    noutputs: int = 4,
    odd_even_columns: bool = True,
    use_side_ref_pixels: bool = True,
    side_smoothing_length: int = 11,
    side_gain: float = 1.0,
    siglimit: float = 3.0,
    sirs_kernels: tuple[np.ndarray, np.ndarray] | None = None,
    sigreject: float = 4.0,
    edge_reference_columns: bool = False,
    irs2: tuple[int, int] | None = None,
    zeroframe: np.ndarray | None = None,
    out: np.ndarray | None = None,
    n_threads: int = 1,
) -> np.ndarray:
    """Subtract the bias drifts seen by the reference pixels of a near-IR detector.

    For each group, the sigma-clipped means of the top and bottom reference rows of each
    amplifier (odd and even columns apart) are averaged and subtracted from the amplifier's
    columns; then the side reference columns, median-smoothed along rows (or convolved with
    the SIRS kernels of Brandt & Rauscher), are subtracted row by row to remove 1/f noise.
    This follows the recommendation of the JWST Calibration Working Group (2013) as the JWST
    refpix step implements it, with its rounding: the result matches it to the last bit
    (except SIRS, whose convolutions jwst sums through BLAS).

    The geometry decides the mode as in the JWST step:

    - full frame: all the above;
    - subarray read through 4 outputs (``noutputs == 4``): the same, on the subarray placed in
      the full frame, with whatever reference rows and columns it contains;
    - subarray read through 1 output: one clipped mean of every flagged reference pixel of
      the subarray per column parity (or one for all), subtracted everywhere; no side pixels;
    - ``irs2``: NIRSpec IRS2 data (3200 stored rows), five 640-column sectors with the parity
      of the interleaved reference pixels, no side pixels (the IRS2 mean offset).

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Groups in DMS orientation, in DN.
    pixeldq : ndarray of shape (ny, nx), uint32
        Pixel DQ: DO_NOT_USE pixels are left out of every reference mean; REFERENCE_PIXEL
        marks the reference pixels of single-output subarrays.
    fastaxis, slowaxis : int
        Detector readout directions (FASTAXIS/SLOWAXIS keywords), which map the stored
        orientation to the detector one.
    xstart, ystart : int
        1-based position of a subarray in the full frame (SUBSTRT1/SUBSTRT2).
    noutputs : int
        Number of readout outputs (NOUTPUTS) of a subarray.
    odd_even_columns : bool
        Separate reference levels for odd and even detector columns.
    use_side_ref_pixels : bool
        Subtract the smoothed side reference pixels (full frame and 4-output subarrays).
    side_smoothing_length : int
        Running-median window along detector rows, in rows.
    side_gain : float
        Factor applied to the side signal.
    siglimit : float
        Sigma-clipping limit of the reference means.
    sirs_kernels : (ndarray, ndarray) of shape (nchan, klen), optional
        Left and right SIRS convolution kernels per amplifier (see
        :func:`make_sirs_kernels`); replaces the running median (full frame only).
    sigreject : float
        SIRS outlier rejection, in robust standard deviations.
    edge_reference_columns : bool
        Treat the 4 stored columns at each end of the subarray as reference pixels (the JWST
        step does so for NIRSpec SUB512, SUB512S and SUB32, which reach no detector edge).
    irs2 : (int, int), optional
        ``(NRS_NORM, NRS_REF)`` of IRS2 data: selects the IRS2 layout.
    zeroframe : ndarray of shape (nints, ny, nx), float32, optional
        ZEROFRAME array, corrected in place the same way (zeros stay zero).
    out : ndarray, optional
        Output array (may be ``data`` itself when that is float32 and C-contiguous).
    n_threads : int
        Threads to use (groups are shared out); results do not depend on it.

    Returns
    -------
    ndarray of the shape of ``data``, float32
        The corrected groups.
    """
    n_threads = check_threads(n_threads)
    src, out, src3, out3 = _as_cube(data, out)
    shape = src.shape[-2:]
    dq = _pixeldq(pixeldq, shape)
    if side_smoothing_length < 0:
        raise ValueError("side_smoothing_length must not be negative")
    odd_mask = None
    namps = 4
    if irs2 is not None:
        if shape[0] <= NIR_FULL_SHAPE[0]:
            raise ValueError(f"IRS2 data have more than 2048 stored rows, got shape {shape}")
        if use_side_ref_pixels:
            raise ValueError("IRS2 data have no side reference pixels to use")
        if sirs_kernels is not None:
            raise ValueError("SIRS applies to full-frame non-IRS2 data only")
        odd_mask = irs2_odd_mask(shape[0], shape[1], *irs2)
        namps = 5
    subarray = shape[0] < NIR_FULL_SHAPE[0] or shape[1] < NIR_FULL_SHAPE[1]
    if subarray:
        row0, col0 = ystart - 1, xstart - 1
        if row0 < 0 or col0 < 0 or row0 + shape[0] > 2048 or col0 + shape[1] > 2048:
            raise ValueError(
                f"subarray at xstart={xstart}, ystart={ystart} of shape {shape} does not fit "
                "the detector"
            )
        if sirs_kernels is not None:
            raise ValueError("SIRS applies to full-frame data only")
        frame = Frame(NIR_FULL_SHAPE, (row0, col0), shape, fastaxis, slowaxis)
        if edge_reference_columns:
            dq = dq.copy()
            dq[:, :4] |= REFERENCE_PIXEL
            dq[:, -4:] |= REFERENCE_PIXEL
    else:
        frame = Frame(shape, (0, 0), shape, fastaxis, slowaxis)
    dq_flat = dq.ravel()
    side = use_side_ref_pixels
    if subarray and noutputs != 4:
        plan = _single_output_plan(frame, dq, odd_even_columns, siglimit)
        side = False
    else:
        plan = _amplifier_plan(frame, dq_flat, namps, odd_mask, odd_even_columns, siglimit)
        if side:
            if frame.det_shape[0] <= side_smoothing_length:
                raise ValueError("side_smoothing_length must be shorter than the detector rows")
            kernels = None
            if sirs_kernels is not None:
                kernels = tuple(np.atleast_2d(np.asarray(k, np.float64)) for k in sirs_kernels)
                if kernels[0].shape != kernels[1].shape:
                    raise ValueError("SIRS kernels must be two arrays of shape (nchan, klen)")
                if kernels[0].shape[1] > frame.det_shape[0]:
                    raise ValueError("SIRS kernels longer than the detector rows")
            add_side(plan, frame, dq_flat, side_smoothing_length, side_gain, kernels, sigreject)
    _nir.correct_groups(src3, out3, plan, True, n_threads)
    nints = src.shape[0] if src.ndim == 4 else 1
    _zeroframe(zeroframe, plan, not side, nints, shape, n_threads)
    return out


def subtract_refpix_multistripe(
    data: np.ndarray,
    pixeldq: np.ndarray,
    *,
    fastaxis: int,
    slowaxis: int,
    fastmin: int,
    odd_even_columns: bool = True,
    siglimit: float = 3.0,
    num_superstripe: int = 0,
    zeroframe: np.ndarray | None = None,
    out: np.ndarray | None = None,
    n_threads: int = 1,
) -> np.ndarray:
    """Reference-pixel correction of multistripe subarrays (NIRCam stripe readouts).

    Stripes do not keep the contiguous reference rows of a normal readout, so reference pixels
    are the REFERENCE_PIXEL-flagged pixels of the stored array; their sigma-clipped mean per
    amplifier (512 columns of the full-frame fast axis, odd and even columns of the stored
    array apart) is subtracted from the amplifier's columns, as in the JWST refpix step.

    Parameters
    ----------
    data : ndarray of shape (nints, ngroups, ny, nx) or (ngroups, ny, nx), float32
        Groups in DMS orientation.
    pixeldq : ndarray of shape (ny, nx) or (nplanes, ny, nx), uint32
        Pixel DQ of the stripe; for superstripes one plane per stripe position.
    fastaxis, slowaxis : int
        FASTAXIS/SLOWAXIS keywords.
    fastmin : int
        0-based offset of the stored array along the full-frame fast axis (SUBSTRT1 - 1 when
        |fastaxis| is 1, else SUBSTRT2 - 1).
    odd_even_columns : bool
        Separate levels for odd and even columns.
    siglimit : float
        Sigma-clipping limit.
    num_superstripe : int
        Number of superstripe positions (SSTR_NST): integration ``i`` was read at position
        ``i % num_superstripe`` and is corrected with that plane of ``pixeldq``.  (jwst 3.0.0
        means to do the same but, through an operator-precedence slip, always uses plane 0;
        the two agree whenever the planes flag the same reference pixels.)
    zeroframe : ndarray of shape (nints, ny, nx), float32, optional
        Corrected in place the same way.
    out : ndarray, optional
        Output array (may be ``data``).
    n_threads : int
        Threads to use; results do not depend on it.

    Returns
    -------
    ndarray of the shape of ``data``, float32
    """
    n_threads = check_threads(n_threads)
    src, out, _, _ = _as_cube(data, out)
    shape = src.shape[-2:]
    dq = as_c(pixeldq, np.uint32)
    if dq.ndim == 2:
        dq = dq[np.newaxis]
    if dq.ndim != 3 or dq.shape[1:] != shape:
        raise ValueError(f"pixeldq shape {dq.shape} does not match the data {shape}")
    nplanes = dq.shape[0]
    if num_superstripe < 0 or (num_superstripe == 0 and nplanes != 1):
        raise ValueError("a pixeldq plane per stripe needs num_superstripe > 0")
    if nplanes < max(num_superstripe, 1):
        raise ValueError(f"pixeldq has {nplanes} planes for {num_superstripe} superstripes")
    src4 = src if src.ndim == 4 else src[np.newaxis]
    out4 = out if out.ndim == 4 else out[np.newaxis]
    nints = src4.shape[0]
    zf = (
        None if zeroframe is None else (zeroframe[np.newaxis] if zeroframe.ndim == 2 else zeroframe)
    )
    frame = Frame(shape, (0, 0), shape, fastaxis, slowaxis)
    for plane in range(max(num_superstripe, 1)):
        ints = np.arange(plane, nints, max(num_superstripe, 1))
        if ints.size == 0:
            continue
        plan = _multistripe_plan(frame, dq[plane], int(fastmin), odd_even_columns, siglimit)
        for i in ints:
            _nir.correct_groups(src4[i], out4[i], plan, True, n_threads)
            if zf is not None:
                _zeroframe(zf[i : i + 1], plan, True, 1, shape, n_threads)
    return out
