"""gain_scale: rescale count rates taken with a non-standard gain setting."""

from .gain_scale_step import GainScaleStep

__all__ = ["GainScaleStep"]
