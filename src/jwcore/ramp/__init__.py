"""Ramp fitting: slopes of up-the-ramp exposures.

- :func:`fit_ramps_ols`: least squares with optimal weighting (JWST ``OLS_C``), and
  :class:`OlsRampFitter` to fit one integration at a time;
- :func:`fit_ramps_likely`: the likelihood fit on resultant differences with its jump
  test (Brandt 2024, JWST ``LIKELY``).
"""

from ._products import OlsOptional, RampFitResult, RampProducts
from .likely import LIKELY_MIN_NGROUPS, fit_ramps_likely, likely_covariance
from .ols import OlsRampFitter, fit_ramps_ols, stack_optional

__all__ = [
    "LIKELY_MIN_NGROUPS",
    "fit_ramps_likely",
    "likely_covariance",
    "OlsOptional",
    "OlsRampFitter",
    "RampFitResult",
    "RampProducts",
    "fit_ramps_ols",
    "stack_optional",
]
