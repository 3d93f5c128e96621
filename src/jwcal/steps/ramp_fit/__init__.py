"""ramp_fit: count rates from up-the-ramp data (OLS with optimal weighting, or LIKELY)."""

from .ramp_fit_step import RampFitStep

__all__ = ["RampFitStep"]
