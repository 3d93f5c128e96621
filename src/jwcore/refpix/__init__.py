"""Reference-pixel corrections of up-the-ramp data (the JWST refpix step).

- :func:`subtract_refpix_nir`: near-IR detectors (full frame, subarrays, IRS2 mean offset)
- :func:`subtract_refpix_multistripe`: near-IR multistripe subarrays
- :func:`subtract_refpix_irs2`, :func:`flag_bad_refpix_irs2`, :func:`replace_bad_refpix_irs2`,
  :func:`apply_irs2_dq_table`: NIRSpec IRS2 readouts
- :func:`subtract_refpix_miri`: MIRI full frames
- :func:`make_sirs_kernels`: SIRS 1/f kernels from the SIRSKERNEL coefficients
"""

from ._irs2geom import irs2_odd_mask, make_irs2_mask
from .irs2 import (
    IRS2_ROW_TIMES,
    apply_irs2_dq_table,
    flag_bad_refpix_irs2,
    replace_bad_refpix_irs2,
    subtract_refpix_irs2,
)
from .miri import MIRI_FULL_SHAPE, subtract_refpix_miri
from .nir import NIR_FULL_SHAPE, subtract_refpix_multistripe, subtract_refpix_nir
from .sirs import make_sirs_kernels

__all__ = [
    "IRS2_ROW_TIMES",
    "apply_irs2_dq_table",
    "flag_bad_refpix_irs2",
    "MIRI_FULL_SHAPE",
    "NIR_FULL_SHAPE",
    "irs2_odd_mask",
    "make_irs2_mask",
    "make_sirs_kernels",
    "replace_bad_refpix_irs2",
    "subtract_refpix_irs2",
    "subtract_refpix_miri",
    "subtract_refpix_multistripe",
    "subtract_refpix_nir",
]
