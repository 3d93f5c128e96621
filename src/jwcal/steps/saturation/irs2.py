"""Saturation flagging of NIRSpec IRS2 exposures, as jwst 3.0.0 does it.

IRS2 readouts interleave reference pixels with the normal ones along the detector rows of
the science frame (3200 rows for 2048 normal ones): a 640-row reference output first, then
after every ``NRS_NORM`` normal rows ``NRS_REF`` reference rows, in four output sections
(the last two read backwards when the section length is not a whole number of blocks).
The thresholds (a 2048 x 2048 SATURATION file) apply to the normal rows only; the
reference rows get no flags.

jwst's IRS2 algorithm differs from its ordinary one: no backward pass for frame-averaged
groups, and the group-2 test flags group 2 SATURATED (not DO_NOT_USE) and grows it.  The
per-group flagging and the zero frame are :func:`jwcore.detector.flag_saturation` (with no
read pattern) on the normal rows; the group-2 test is done here, in the same arithmetic
(float64 after dividing by the mean frame number) as jwst.
"""

from __future__ import annotations

import numpy as np

from jwcore.detector import ATOD_LIMIT, dilate_mask, flag_saturation

from ...dqflags import group as GROUP
from ...dqflags import pixel as PIXEL
from ...errors import InputError

__all__ = ["normal_rows", "flag_irs2"]


def normal_rows(meta, nrows: int) -> np.ndarray:
    """Boolean mask, along the science-frame rows, of the normal (not reference) rows.

    Parameters
    ----------
    meta : Node
        The exposure's metadata (NRS_NORM, NRS_REF, detector).
    nrows : int
        Length of the IRS2 row axis (3200).
    """
    n_norm = meta.get("exposure.nrs_normal") or 16
    n_ref = meta.get("exposure.nrs_reference") or 4
    refout = 512 + 512 // n_norm * n_ref
    k = (nrows - refout) // 4 // (n_norm + n_ref)
    n_out = (nrows - refout) // 4 - k * n_ref
    mask = np.ones(nrows, dtype=bool)
    mask[:refout] = False
    if n_out % n_norm == 0:
        for i in range(refout + n_norm // 2, nrows + 1, n_norm + n_ref):
            mask[i : i + n_ref] = False
    else:
        per_out = (nrows - refout) // 4
        sec = np.ones(per_out, dtype=bool)
        for i in range(n_norm // 2, per_out + 1, n_norm + n_ref):
            sec[i : i + n_ref] = False
        for j in range(4):
            start = refout + j * per_out
            # The second and fourth outputs are read in the opposite direction.
            mask[start : start + per_out] = sec if j % 2 == 0 else sec[::-1]
    detector = str(meta.get("instrument.detector") or "").upper()
    if detector == "NRS2":
        mask = mask[::-1]
    elif detector != "NRS1":
        raise InputError(f"IRS2 data from detector {detector or '?'} are not supported")
    return mask


def flag_irs2(model, threshold, sat_dq, n_grow, read_pattern, bias, n_threads):
    """Flag saturation in an IRS2 RampModel in place (GROUPDQ, PIXELDQ, ZEROFRAME).

    Parameters
    ----------
    model : RampModel
        Data of shape (nints, ngroups, 3200, 2048) in the science frame.
    threshold : ndarray of shape (2048, 2048), float32
        Saturation thresholds of the normal pixels.
    sat_dq : ndarray of shape (2048, 2048), uint32
        DQ of the saturation reference.
    n_grow : int
        Rings of neighbours flagged around saturated pixels.
    read_pattern : list of lists, or None
        Frame numbers of each group; enables the group-2 test.
    bias : ndarray of shape (3200, 2048), float32, or None
        The superbias in IRS2 layout.
    n_threads : int
    """
    rows = normal_rows(model.meta, model.shape[-2])
    nints, ngroups, _, nx = model.shape
    thr = np.array(threshold, dtype=np.float32, copy=True)
    sdq = np.array(sat_dq, dtype=np.uint32, copy=True)
    if thr.shape != (int(rows.sum()), nx):
        raise InputError(
            f"SATURATION reference has shape {thr.shape}; IRS2 data need the "
            f"{(int(rows.sum()), nx)} normal pixels"
        )
    nsc = (sdq & PIXEL["NO_SAT_CHECK"]) == PIXEL["NO_SAT_CHECK"]
    thr[nsc] = ATOD_LIMIT + 1
    nan = np.isnan(thr)
    sdq[nan] |= PIXEL["NO_SAT_CHECK"]
    thr[nan] = ATOD_LIMIT + 1
    b = 0.0
    if bias is not None:
        if bias.shape[-2:] != model.shape[-2:]:
            raise InputError(f"SUPERBIAS has shape {bias.shape}; IRS2 data are {model.shape[-2:]}")
        b = np.asarray(bias)[rows, :]
    zero = model.meta.get("exposure.zero_frame") and model.has("zeroframe")
    gdq = model.groupdq
    for i in range(nints):
        sci = np.ascontiguousarray(model.data[i][:, rows, :])
        flags = np.zeros(sci.shape, np.uint8)
        zf = np.ascontiguousarray(model.zeroframe[i][rows, :]) if zero else None
        flag_saturation(sci, flags, thr, n_pix_grow_sat=n_grow, zeroframe=zf, n_threads=n_threads)
        if read_pattern is not None and ngroups > 2:
            flags[1] |= _group2(sci, thr, b, read_pattern, n_grow, n_threads)
        gdq[i][:, rows, :] |= flags
        if zero:
            model.zeroframe[i][rows, :] = zf
    model.groupdq = gdq
    pdq = model.pixeldq
    pdq[rows, :] |= sdq
    model.pixeldq = pdq


def _group2(sci, thr, bias, read_pattern, n_grow, n_threads) -> np.ndarray:
    """SATURATED for group 2 where group 3 saturated and the group-1 rate says the jump
    from group 1 to 2 can only be the start of saturation inside group 2."""
    g1 = sci[0] - bias
    expected_g3 = (g1 / np.mean(read_pattern[0])) * read_pattern[2][-1] + bias
    hit = expected_g3 < thr
    hit &= (sci[1] - sci[0]) > (thr - sci[0]) / len(read_pattern[1])
    hit &= sci[2] >= thr
    if n_grow > 0:
        hit = dilate_mask(hit, n_grow, n_threads=n_threads)
    return np.where(hit, np.uint8(GROUP["SATURATED"]), np.uint8(0))
