"""Consistent invalid pixels: NaN in every science array and DO_NOT_USE in DQ."""

from __future__ import annotations

import numpy as np

from ...dqflags import pixel as PIXEL

__all__ = ["match_nans_and_flags"]

_ARRAYS = ("data", "err", "var_rnoise", "var_poisson", "var_flat")


def match_nans_and_flags(model) -> None:
    """Make invalid pixels consistent in place, as jwst does after photom and before resample.

    A pixel that is NaN in SCI, ERR or a variance, or flagged DO_NOT_USE, becomes NaN in all
    of those arrays and DO_NOT_USE in DQ.  Arrays the model does not hold are not created,
    and arrays whose shape differs from SCI's are left alone (jwst warns and skips them).
    """
    arrays = [getattr(model, n) for n in _ARRAYS if model.has(n)]
    if not arrays:
        return
    shape = arrays[0].shape
    arrays = [a for a in arrays if a.shape == shape]
    invalid = np.isnan(arrays[0])
    for a in arrays[1:]:
        invalid |= np.isnan(a)
    if model.has("dq") and model.dq.shape == shape:
        dq = model.dq
        invalid |= (dq & PIXEL["DO_NOT_USE"]) != 0
        dq[invalid] |= PIXEL["DO_NOT_USE"]
    if invalid.any():
        for a in arrays:
            a[invalid] = np.nan
