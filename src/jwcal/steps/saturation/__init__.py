"""saturation: flag saturated and A/D-floor groups."""

from .saturation_step import SaturationStep

__all__ = ["SaturationStep"]
